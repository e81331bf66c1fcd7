package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The IOThreads of a VMI, as KubeVirt's {@code converter/iothreads} and {@code storage/configurator.go} decide them:
 * how many ({@code <iothreads>N</iothreads>}) and which one each virtio disk uses ({@code <driver iothread='k'/>}).
 * Pure: {@link DiskConfigurator} (the {@code iothread} attributes) and {@link PlacementConfigurator} (the count and
 * {@code <iothreadpin>}) both derive it from the VMI.
 *
 * <p>IOThreads exist when {@code spec.domain.ioThreadsPolicy} is set or a disk has {@code dedicatedIOThread: true}.
 * <ul>
 * <li>{@code shared} (or no policy): a pool of at most 1 thread for the disks without a dedicated one;</li>
 * <li>{@code auto}: at most 2 × CPUs ({@code resources.requests.cpu}, else {@code limits.cpu}, else 1), but 1 when
 *     the emulator thread is isolated (that thread then shares the emulator's CPU);</li>
 * <li>count = shared threads + one per {@code dedicatedIOThread} disk, where shared threads = the disks without a
 *     dedicated thread (every disk counts, as in KubeVirt), clamped to pool limit − dedicated, at least 1. Virtio
 *     disks get ids 1..shared round-robin, dedicated disks ids shared+1... in disk order;</li>
 * <li>{@code supplementalPool}: {@code ioThreads.supplementalPoolThreadCount} threads. KubeVirt lists all of them
 *     on every virtio disk ({@code <driver><iothreads><iothread id/>...}, QEMU's iothread-vq-mapping), which needs
 *     libvirt ≥ 10.0; libvirt 9 takes a single {@code iothread} per disk. So here each virtio disk gets one thread
 *     of the pool: {@code dedicatedIOThread} disks take one each, from the top of the pool, as long as one thread is
 *     left for the other disks, which share the rest round-robin.</li>
 * </ul>
 * Only virtio disks use IOThreads; {@code dedicatedIOThread} on another bus is refused, as KubeVirt's admission does.
 *
 * @param count        number of IOThreads (0: none)
 * @param supplemental the supplemental pool size (0 unless {@code ioThreadsPolicy: supplementalPool})
 * @param diskThreads  IOThread id by index in {@code spec.domain.devices.disks}, virtio disks only
 */
record IoThreads(int count, int supplemental, Map<Integer, Integer> diskThreads) {

    static final String POLICY = Vmi.DOMAIN + ".ioThreadsPolicy";
    private static final String DISKS = Vmi.DEVICES + ".disks";
    private static final IoThreads NONE = new IoThreads(0, 0, Map.of());

    IoThreads {
        diskThreads = Collections.unmodifiableMap(new TreeMap<>(diskThreads));
    }

    /** The IOThread of disk {@code index}, or null. */
    Integer threadOf(int index) {
        return diskThreads.get(index);
    }

    static IoThreads of(Vmi vmi) {
        String policy = Json.text(vmi.domain(), "ioThreadsPolicy", Vmi.DOMAIN);
        if (policy != null && !policy.equals("shared") && !policy.equals("auto")
                && !policy.equals("supplementalPool")) {
            throw ConversionException.at(POLICY, "Invalid IOThreadsPolicy (" + policy
                    + "): one of shared, auto, supplementalPool");
        }
        List<JsonNode> disks = Json.array(vmi.devices(), "disks", Vmi.DEVICES);
        int dedicated = 0;
        int shared = 0;
        boolean[] virtio = new boolean[disks.size()];
        boolean[] wantsOwn = new boolean[disks.size()];
        for (int i = 0; i < disks.size(); i++) {
            String path = DISKS + "[" + i + "]";
            JsonNode disk = disks.get(i);
            String bus = bus(disk, path);
            virtio[i] = bus.equals("virtio");
            wantsOwn[i] = Json.bool(disk, "dedicatedIOThread", false, path);
            if (wantsOwn[i] && !virtio[i]) {
                throw ConversionException.at(path + ".dedicatedIOThread", "IOThreads are not supported for disks on a "
                        + bus + " bus");
            }
            if (wantsOwn[i]) {
                dedicated++;
            } else {
                shared++;
            }
        }
        if (policy == null && dedicated == 0) {
            return NONE;
        }
        Map<Integer, Integer> threads = new TreeMap<>();
        if ("supplementalPool".equals(policy)) {
            return supplementalPool(vmi, virtio, wantsOwn, threads);
        }

        int limit = "auto".equals(policy) ? autoLimit(vmi) : 1;
        int autoThreads = shared;
        if (autoThreads + dedicated > limit) {
            autoThreads = Math.max(1, limit - dedicated);
        }
        int nextAuto = 1;
        int nextDedicated = autoThreads + 1;
        for (int i = 0; i < virtio.length; i++) {
            if (!virtio[i]) {
                continue;
            }
            if (wantsOwn[i]) {
                threads.put(i, nextDedicated++);
            } else {
                threads.put(i, nextAuto);
                nextAuto = nextAuto % autoThreads + 1;
            }
        }
        return new IoThreads(autoThreads + dedicated, 0, threads);
    }

    private static IoThreads supplementalPool(Vmi vmi, boolean[] virtio, boolean[] wantsOwn,
                                              Map<Integer, Integer> threads) {
        String path = Vmi.DOMAIN + ".ioThreads";
        Long n = Json.integer(Json.object(vmi.domain(), "ioThreads", Vmi.DOMAIN), "supplementalPoolThreadCount", path);
        if (n == null || n < 1) {
            throw ConversionException.at(path + ".supplementalPoolThreadCount", "the number of iothreads needs to be "
                    + "set and positive for the supplementalPool policy");
        }
        if (n > 512) {
            throw ConversionException.at(path + ".supplementalPoolThreadCount", "at most 512, got " + n);
        }
        int pool = n.intValue();
        int ownWanted = 0;
        int others = 0;
        for (int i = 0; i < virtio.length; i++) {
            if (virtio[i]) {
                if (wantsOwn[i]) {
                    ownWanted++;
                } else {
                    others++;
                }
            }
        }
        int own = Math.min(ownWanted, pool - (others > 0 ? 1 : 0));
        int sharedPool = pool - own;
        int nextShared = 1;
        int nextOwn = sharedPool + 1;
        for (int i = 0; i < virtio.length; i++) {
            if (!virtio[i]) {
                continue;
            }
            if (wantsOwn[i] && nextOwn <= pool) {
                threads.put(i, nextOwn++);
            } else {
                threads.put(i, nextShared);
                nextShared = nextShared % sharedPool + 1;
            }
        }
        return new IoThreads(pool, pool, threads);
    }

    /** KubeVirt's {@code auto} pool limit. */
    private static int autoLimit(Vmi vmi) {
        JsonNode cpu = Json.object(vmi.domain(), "cpu", Vmi.DOMAIN);
        if (Json.bool(cpu, "dedicatedCpuPlacement", false, Vmi.DOMAIN + ".cpu")
                && Json.bool(cpu, "isolateEmulatorThread", false, Vmi.DOMAIN + ".cpu")) {
            return 1;
        }
        JsonNode resources = Json.object(vmi.domain(), "resources", Vmi.DOMAIN);
        long cpus = 1;
        for (String kind : new String[] {"requests", "limits"}) {
            String p = "spec.domain.resources." + kind;
            BigDecimal value = Quantity.read(Json.object(resources, kind, "spec.domain.resources"), "cpu", p);
            if (value != null) {
                cpus = Math.max(1, Quantity.ceilToLong(value, p + ".cpu"));
                break;
            }
        }
        return (int) Math.min(2 * cpus, 1024);
    }

    /** The bus a disk ends up on (the defaults of {@link DiskConfigurator}: virtio for disks, sata for CD-ROMs). */
    private static String bus(JsonNode disk, String path) {
        for (String kind : new String[] {"disk", "cdrom", "lun"}) {
            if (Json.has(disk, kind)) {
                String bus = Json.text(Json.object(disk, kind, path), "bus", path + "." + kind);
                if (bus != null) {
                    return bus;
                }
                return switch (kind) {
                    case "cdrom" -> "sata";
                    case "lun" -> "scsi";
                    default -> "virtio";
                };
            }
        }
        return "virtio";
    }
}
