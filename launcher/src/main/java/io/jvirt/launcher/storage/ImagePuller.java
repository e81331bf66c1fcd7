package io.jvirt.launcher.storage;

import io.jvirt.launcher.storage.ImagePullException.Failure;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes containerDisk images available in the node's {@link ImageStore}, pulling them from OCI registries as the
 * pull policy says (kubelet's image manager, for the one kind of image jvirt runs).
 *
 * <h2>Pull policy</h2>
 * <ul>
 * <li>{@code Never}: the image must be in the store, else {@link ImageNotFoundException} telling how to import or
 * pull it.</li>
 * <li>{@code IfNotPresent}: an image in the store is used as it is; otherwise it is pulled.</li>
 * <li>{@code Always}: the registry is asked every time; when it names the digest already stored, nothing is
 * downloaded (a {@code HEAD} request, which Docker Hub does not count against its pull limit). When the registry
 * cannot be reached the start fails with {@code ErrImagePull}, even if an older pulled copy is in the store — as
 * kubelet does.</li>
 * </ul>
 *
 * <h2>Imported images are pinned</h2>
 * A reference that was imported ({@code jvirt image import NAME FILE}) is never looked up in a registry, under any
 * policy: the import says what that name means on this node, and the imported file is used. This keeps the offline
 * quickstart working — it imports the test guest as {@code quay.io/kubevirt/cirros-container-disk-demo}, and VMs use
 * that image without a tag, which Kubernetes defaults to {@code Always} — and makes it behave the same online
 * (a pull would otherwise replace the test guest with whatever the registry has under that name) and with local-only
 * names that no registry knows. To follow the registry instead, pull the reference once
 * ({@code jvirt image pull REF}): from then on it is a pulled image and every policy applies as above. References
 * are matched as written ({@link ImageStore#normalize}): an import under {@code cirros} does not pin
 * {@code docker.io/library/cirros}.
 *
 * <h2>Transport</h2>
 * HTTPS, except for registries on the loopback interface ({@code localhost}, {@code 127.0.0.0/8}, {@code [::1]}, as
 * containerd treats them) and those named in {@code insecureRegistries} (entries {@code host} or
 * {@code host:port}), which are talked to over plain HTTP.
 *
 * <p>Pulls of the same reference are serialized (the second finds the first's result); pulls of different
 * references run in parallel. A pull streams each layer once, verifying its digest, and keeps only the disk file.
 */
public final class ImagePuller {

    private static final Logger LOG = LoggerFactory.getLogger(ImagePuller.class);

    /**
     * Where registry credentials come from: an {@code imagePullSecret} (its decoded data, or null if it does not
     * exist) or a Docker config file.
     *
     * @param description for messages: {@code imagePullSecret "regcred"}, {@code auth file /root/.docker/config.json}
     * @param data        the Secret's data ({@code .dockerconfigjson}); may throw or return null
     */
    public record PullSecret(String description, Supplier<Map<String, String>> data) {
    }

    /**
     * The outcome of a pull.
     *
     * @param image      the stored image
     * @param downloaded false when the registry named the digest already stored
     */
    public record Pulled(ImageStore.Image image, boolean downloaded) {
    }

    private final ImageStore store;
    private final RegistryClient client;
    private final Supplier<? extends Collection<String>> insecureRegistries;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    /** A puller that talks plain HTTP only to loopback registries. */
    public ImagePuller(ImageStore store) {
        this(store, List::of);
    }

    /** @param insecureRegistries asked at every pull (the cluster configuration may change) */
    public ImagePuller(ImageStore store, Supplier<? extends Collection<String>> insecureRegistries) {
        this(store, new RegistryClient(), insecureRegistries);
    }

    public ImagePuller(ImageStore store, RegistryClient client,
                       Supplier<? extends Collection<String>> insecureRegistries) {
        this.store = store;
        this.client = client;
        this.insecureRegistries = insecureRegistries;
    }

    public ImageStore store() {
        return store;
    }

    /**
     * The image for a containerDisk under {@code policy}, pulling it if the policy says so.
     *
     * @param secret the containerDisk's {@code imagePullSecret}, or null
     * @throws ImagePullException (or its {@link ImageNotFoundException}) naming the image and the cause
     */
    public ImageStore.Image ensure(String reference, PullPolicy policy, PullSecret secret) {
        String key = key(reference);
        Optional<ImageStore.Image> local = store.find(key);
        if (local.isPresent() && !local.get().pulled()) {
            return local.get(); // imported: pinned (see the class comment)
        }
        if (policy == PullPolicy.NEVER) {
            return local.orElseThrow(() -> new ImageNotFoundException(key, "image \"" + key + "\" is not present "
                    + "with pull policy of Never: import it with `jvirt image import " + key + " FILE` or pull it "
                    + "with `jvirt image pull " + key + "`"));
        }
        if (policy == PullPolicy.IF_NOT_PRESENT && local.isPresent()) {
            return local.get();
        }
        try {
            return pull(key, secret, false).image();
        } catch (ImagePullException e) {
            if (local.isEmpty() && (e.failure() == Failure.UNREACHABLE || e.failure() == Failure.NOT_FOUND)) {
                throw new ImagePullException(e.reference(), e.failure(), e.getMessage()
                        + "; an image can also be imported: `jvirt image import " + key + " FILE`", e.getCause());
            }
            throw e;
        }
    }

    /**
     * Pulls {@code reference} now, whatever is in the store (an imported copy is replaced by the registry's image;
     * a pulled copy with the same manifest digest is kept without downloading).
     *
     * @param plainHttp talk plain HTTP to this registry even if it is not configured as insecure
     */
    public Pulled pull(String reference, PullSecret secret, boolean plainHttp) {
        String key = key(reference);
        ReentrantLock lock = locks.computeIfAbsent(key, k -> new ReentrantLock());
        lock.lock();
        try {
            return pullLocked(key, secret, plainHttp);
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code ref}'s registry is talked to over plain HTTP. */
    public boolean insecure(ImageReference ref) {
        if (ref.loopback()) {
            return true;
        }
        for (String entry : insecureRegistries.get()) {
            String e = entry.strip().replaceFirst("^[a-zA-Z]+://", "").replaceAll("/+$", "")
                    .toLowerCase(Locale.ROOT);
            if (!e.isEmpty() && (e.equals(ref.registry().toLowerCase(Locale.ROOT))
                    || e.equals(ref.host().toLowerCase(Locale.ROOT)))) {
                return true;
            }
        }
        return false;
    }

    // ----------------------------------------------------------------------------------------------- internals

    private Pulled pullLocked(String key, PullSecret secret, boolean forcePlainHttp) {
        ImageReference ref;
        try {
            ref = ImageReference.parse(key);
        } catch (IllegalArgumentException e) {
            throw new ImagePullException(key, Failure.INVALID_REFERENCE, "failed to pull image \"" + key + "\": "
                    + e.getMessage(), e);
        }
        String image = ref.toString();
        Optional<ImageStore.Image> local = store.find(key).filter(ImageStore.Image::pulled);
        if (local.isPresent() && ref.digest() != null && ref.digest().equals(local.get().digest())) {
            return new Pulled(local.get(), false); // content-addressed: nothing can have changed
        }
        Credentials creds = credentials(secret, ref);
        try {
            RegistryClient.Session session = client.open(ref, forcePlainHttp || insecure(ref), creds.value());
            if (local.isPresent()) {
                Optional<String> head = session.headDigest();
                if (head.isPresent() && head.get().equals(local.get().digest())) {
                    LOG.debug("image {} is up to date ({})", image, head.get());
                    return new Pulled(local.get(), false);
                }
            }
            RegistryClient.Manifest manifest = session.manifest();
            if (local.isPresent() && manifest.digest().equals(local.get().digest())) {
                return new Pulled(local.get(), false);
            }
            LOG.info("pulling image {} ({}, {} layer(s), {} bytes)", image, manifest.digest(),
                    manifest.layers().size(),
                    manifest.layers().stream().mapToLong(RegistryClient.Descriptor::size).sum());
            Path work = store.newWorkDir();
            try (ContainerDiskExtractor extractor = new ContainerDiskExtractor(work)) {
                for (RegistryClient.Descriptor layer : manifest.layers()) {
                    applyLayer(session, layer, extractor, image);
                }
                Path disk = extractor.result(image);
                ImageStore.Image stored;
                try {
                    stored = store.storePulled(key, disk, image, manifest.digest());
                } catch (ImagePullException e) {
                    throw e;
                } catch (StorageException e) {
                    throw new ImagePullException(image, Failure.NOT_A_CONTAINER_DISK, "failed to pull image \""
                            + image + "\": its disk is not usable: " + e.getMessage(), e);
                }
                LOG.info("pulled image {} ({}): {} {} of {} bytes", image, manifest.digest(), stored.format(),
                        stored.path().getFileName(), stored.virtualSize());
                return new Pulled(stored, true);
            } finally {
                deleteQuietly(work);
            }
        } catch (ImagePullException e) {
            if (e.failure() == Failure.UNAUTHORIZED && creds.note() != null) {
                throw new ImagePullException(e.reference(), e.failure(), e.getMessage() + "; " + creds.note(),
                        e.getCause());
            }
            throw e;
        }
    }

    /** Streams one layer through the extractor and checks its digest. */
    private static void applyLayer(RegistryClient.Session session, RegistryClient.Descriptor layer,
                                   ContainerDiskExtractor extractor, String image) {
        try (RegistryClient.VerifiedStream raw = session.blob(layer)) {
            try {
                extractor.applyLayer(ContainerDiskExtractor.decompress(raw));
            } catch (ContainerDiskExtractor.UnsupportedLayerException e) {
                throw new ImagePullException(image, Failure.PROTOCOL, "failed to pull image \"" + image
                        + "\": layer " + layer.digest() + ": " + e.getMessage(), e);
            } catch (IOException e) {
                // unreadable content: a corrupted blob shows as a digest mismatch once it is read to the end
                try {
                    raw.drainAndVerify();
                } catch (IOException lost) {
                    throw new ImagePullException(image, Failure.UNREACHABLE, "failed to pull image \"" + image
                            + "\": lost the connection while downloading layer " + layer.digest() + " ("
                            + lost.getMessage() + ")", lost);
                }
                throw new ImagePullException(image, Failure.PROTOCOL, "failed to pull image \"" + image
                        + "\": layer " + layer.digest() + " is not a readable tar archive: " + e.getMessage(), e);
            }
            raw.drainAndVerify();
        } catch (IOException e) {
            throw new ImagePullException(image, Failure.UNREACHABLE, "failed to pull image \"" + image
                    + "\": lost the connection while downloading layer " + layer.digest() + " (" + e.getMessage()
                    + ")", e);
        }
    }

    /** Credentials for the pull, and a note for an unauthorized answer when the secret could not help. */
    private record Credentials(Optional<RegistryCredentials> value, String note) {
    }

    private static Credentials credentials(PullSecret secret, ImageReference ref) {
        if (secret == null) {
            return new Credentials(Optional.empty(), null);
        }
        Map<String, String> data;
        try {
            data = secret.data().get();
        } catch (RuntimeException e) {
            // kubelet goes on without a pull secret it cannot read; the pull may still work (public image)
            LOG.warn("{} for image {} cannot be read ({}); pulling without it", secret.description(), ref,
                    e.getMessage());
            return new Credentials(Optional.empty(), secret.description() + " could not be read: " + e.getMessage());
        }
        if (data == null) {
            LOG.warn("{} for image {} does not exist; pulling without it", secret.description(), ref);
            return new Credentials(Optional.empty(), secret.description() + " does not exist");
        }
        try {
            Optional<RegistryCredentials> c = RegistryCredentials.fromSecret(data, ref, secret.description());
            return new Credentials(c, c.isPresent() ? null
                    : secret.description() + " has no entry for " + ref.registry());
        } catch (IllegalArgumentException e) {
            throw new ImagePullException(ref.toString(), Failure.UNAUTHORIZED, "failed to pull image \"" + ref
                    + "\": " + e.getMessage(), e);
        }
    }

    private static String key(String reference) {
        try {
            return ImageStore.normalize(reference);
        } catch (IllegalArgumentException e) {
            throw new ImagePullException(String.valueOf(reference), Failure.INVALID_REFERENCE, e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            CloudInitIsoBuilder.deleteTree(dir);
        } catch (IOException e) {
            LOG.debug("cannot remove {}: {}", dir, e.getMessage());
        }
    }
}
