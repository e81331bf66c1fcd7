package io.jvirt.launcher.libvirt;

import com.sun.jna.Pointer;

/**
 * A failed raw libvirt call ({@link LibvirtNative}, {@link LibvirtQemuNative}) with libvirt's error code
 * ({@code virErrorNumber}). Translated into the {@link HypervisorException} family before it leaves the package.
 */
final class LibvirtCallException extends RuntimeException {
    final int code;

    LibvirtCallException(int code, String message) {
        super(message);
        this.code = code;
    }

    /**
     * The calling thread's last libvirt error ({@code virGetLastError}: thread-local, owned by libvirt), which is
     * reset afterwards. Call it right after the failed call, on the same thread.
     */
    static LibvirtCallException last() {
        Pointer err = LibvirtNative.INSTANCE.virGetLastError();
        if (err == null) {
            return new LibvirtCallException(-1, "libvirt call failed without an error report");
        }
        // virError: int code @0, int domain @4, char *message @8
        int code = err.getInt(0);
        Pointer msg = err.getPointer(8);
        String m = msg != null ? msg.getString(0) : "libvirt error " + code;
        LibvirtNative.INSTANCE.virResetLastError();
        return new LibvirtCallException(code, m);
    }
}
