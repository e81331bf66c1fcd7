package io.jvirt.node.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.launcher.domain.ConversionException;
import io.jvirt.launcher.libvirt.DomainDevices;
import io.jvirt.launcher.libvirt.DomainNotFoundException;
import io.jvirt.launcher.libvirt.GuestAgent;
import io.jvirt.launcher.libvirt.DomainStatus;
import io.jvirt.launcher.libvirt.Hypervisor;
import io.jvirt.launcher.libvirt.HypervisorException;
import io.jvirt.launcher.runtime.VmiDomain;
import io.jvirt.launcher.runtime.VmiRuntime;
import io.jvirt.launcher.storage.ImagePullException;
import io.jvirt.launcher.storage.StorageException;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The node agent's {@link GuestRuntime} backed by the launcher (libvirt through the node's private libvirtd).
 * Launcher failures become reasons KubeVirt users know from the VMI's Synchronized condition.
 */
public final class LibvirtGuestRuntime implements GuestRuntime {
    private final VmiRuntime runtime;
    private final Hypervisor hypervisor;
    private final GuestAgent agent;
    private final java.util.function.BooleanSupplier kvm;

    /** @param kvm whether guests started now use KVM (the KVM probe and the cluster's {@code useEmulation}) */
    public LibvirtGuestRuntime(VmiRuntime runtime, Hypervisor hypervisor, java.util.function.BooleanSupplier kvm) {
        this.runtime = runtime;
        this.hypervisor = hypervisor;
        this.agent = new GuestAgent(hypervisor);
        this.kvm = kvm;
    }

    @Override
    public void start(ObjectNode vmi, Function<String, Map<String, String>> secrets, VmiRuntime.Pinning pinning) {
        try {
            runtime.start(vmi, secrets, pinning);
        } catch (ImagePullException e) {
            throw new GuestException("ErrImagePull", e.getMessage(), e);
        } catch (StorageException e) {
            throw new GuestException("FailedPrepareDisks", e.getMessage(), e);
        } catch (ConversionException e) {
            throw new GuestException("FailedConvertDomain", e.getMessage(), e);
        } catch (HypervisorException e) {
            throw new GuestException("FailedStartDomain", e.getMessage(), e);
        }
    }

    @Override
    public void shutdown(String namespace, String name) {
        runtime.shutdown(namespace, name);
    }

    @Override
    public void kill(String namespace, String name) {
        runtime.kill(namespace, name);
    }

    @Override
    public void pause(String namespace, String name) {
        runtime.pause(namespace, name);
    }

    @Override
    public void unpause(String namespace, String name) {
        runtime.unpause(namespace, name);
    }

    @Override
    public void softReboot(String namespace, String name) {
        runtime.softReboot(namespace, name);
    }

    @Override
    public Optional<GuestStatus> status(String namespace, String name) {
        return runtime.find(namespace, name).map(LibvirtGuestRuntime::toStatus);
    }

    private static GuestStatus toStatus(VmiDomain d) {
        DomainStatus s = d.domain();
        return new GuestStatus(d.namespace(), d.name(), d.uid(), s.state().libvirtName(), s.reason(),
                s.qemuPid().isPresent() ? (int) s.qemuPid().getAsLong() : null);
    }

    @Override
    public List<GuestStatus> list() {
        return runtime.list().stream().map(LibvirtGuestRuntime::toStatus).toList();
    }

    @Override
    public void cleanup(String namespace, String name) {
        runtime.cleanup(namespace, name);
    }

    @Override
    public Path serialSocket(String namespace, String name) {
        return runtime.serialSocket(namespace, name);
    }

    @Override
    public Path vncSocket(String namespace, String name) {
        return runtime.vncSocket(namespace, name);
    }

    @Override
    public void onChange(Consumer<String[]> listener) {
        hypervisor.onEvent(ev -> vmiOf(ev.domain(), listener));
    }

    @Override
    public Optional<DomainDevices> devices(String namespace, String name) {
        try {
            return Optional.of(agent.devices(VmiRuntime.domainName(namespace, name)));
        } catch (DomainNotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public JsonNode agentCommand(String namespace, String name, String command) {
        try {
            return agent.execute(VmiRuntime.domainName(namespace, name), command);
        } catch (HypervisorException e) {
            throw new AgentException(e.getMessage(), e);
        }
    }

    @Override
    public void onAgentChange(Consumer<String[]> listener) {
        hypervisor.onAgentEvent(ev -> vmiOf(ev.domain(), listener));
    }

    /** Domain {@code <namespace>_<name>} → (namespace, name). */
    private static void vmiOf(String domain, Consumer<String[]> listener) {
        int sep = domain.indexOf('_');
        if (sep > 0) {
            listener.accept(new String[] {domain.substring(0, sep), domain.substring(sep + 1)});
        }
    }

    @Override
    public boolean kvm() {
        return kvm.getAsBoolean();
    }
}
