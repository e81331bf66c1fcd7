package io.jvirt.placement;

/**
 * What a guest asks for.
 *
 * @param vcpus                 number of vCPUs (sockets × cores × threads)
 * @param threadsPerCore        guest threads per core (1 or 2); with 2, vCPU pairs want sibling host threads
 * @param dedicated             {@code dedicatedCpuPlacement}: each vCPU gets an exclusive host CPU
 * @param isolateEmulatorThread one more exclusive CPU for QEMU's emulator thread
 * @param numaPassthrough       {@code guestMappingPassthrough}: guest NUMA cells mirror the host nodes used
 * @param hugepageSize          "2Mi", "1Gi", or null for ordinary memory
 * @param memoryBytes           guest memory
 * @param fullPcpusOnly         the CPU manager's {@code full-pcpus-only}: only whole physical cores, never split
 */
public record Request(int vcpus, int threadsPerCore, boolean dedicated, boolean isolateEmulatorThread,
                      boolean numaPassthrough, String hugepageSize, long memoryBytes, boolean fullPcpusOnly) {
}
