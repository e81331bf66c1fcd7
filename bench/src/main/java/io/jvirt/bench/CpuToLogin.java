package io.jvirt.bench;

/**
 * CPU used from one start until the guest's login prompt, in ms: the platform JVM, libvirtd, the bench driver and
 * the guest's QEMU.
 */
record CpuToLogin(long platformMs, long libvirtdMs, long driverMs, long qemuMs) {
    /** From {@link VmPlatform#cpuNow()} before and after, and the QEMU's CPU so far. */
    static CpuToLogin between(long[] before, long[] after, long qemuMs) {
        return new CpuToLogin(after[0] - before[0], after[1] - before[1], after[2] - before[2], qemuMs);
    }
}
