package io.jvirt.placement;

/**
 * One logical CPU (hardware thread) of the host.
 *
 * @param id       the kernel's CPU number
 * @param core     physical core id, unique within its socket; threads with the same (socket, core) are siblings
 * @param socket   physical package id
 * @param numaNode the NUMA node it belongs to
 */
public record Cpu(int id, int core, int socket, int numaNode) {
}
