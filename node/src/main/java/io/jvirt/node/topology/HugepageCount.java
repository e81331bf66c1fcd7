package io.jvirt.node.topology;

/**
 * Hugepages of one size in one pool (a NUMA node, or the whole host), as sysfs counts them.
 *
 * @param total pages reserved in the pool ({@code nr_hugepages})
 * @param free  pages not faulted in by anyone yet ({@code free_hugepages}); pages of a running guest that
 *              preallocated its memory are not free
 */
public record HugepageCount(long total, long free) {
    public HugepageCount {
        if (total < 0 || free < 0) {
            throw new IllegalArgumentException("negative hugepage count: total " + total + ", free " + free);
        }
    }

    /** Pages in use (by anyone: jvirt's guests or other processes). */
    public long inUse() {
        return Math.max(0, total - free);
    }
}
