package io.jvirt.launcher.libvirt;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;

/**
 * The QEMU-specific libvirt library ({@code libvirt-qemu.so.0}), loaded on first use: only
 * {@code virDomainQemuAgentCommand}, which passes a QEMU guest agent command through libvirt's own agent connection
 * (libvirt owns the agent socket; nobody else may open it). Pointers are raw {@code virDomainPtr}; errors are read
 * with {@code virGetLastError} of {@link LibvirtNative} (the same thread-local error).
 */
interface LibvirtQemuNative extends Library {

    /** {@code VIR_DOMAIN_QEMU_AGENT_COMMAND_DEFAULT}: libvirt's own agent timeout. Positive values are seconds. */
    int TIMEOUT_DEFAULT = -1;

    /**
     * Sends {@code cmd} (one QGA JSON command) and waits up to {@code timeout} seconds for the reply. Returns the
     * reply (a malloc'ed string the caller frees), or null on failure.
     */
    Pointer virDomainQemuAgentCommand(Pointer domain, String cmd, int timeout, int flags);

    /**
     * {@code virDomainQemuAgentCommand} on {@code dom}: the agent's reply, or {@link LibvirtCallException} with
     * libvirt's error ({@code -1} if libvirt-qemu cannot be loaded).
     *
     * @param timeoutSeconds seconds to wait; libvirt's default if not positive
     */
    static String agentCommand(Pointer dom, String command, int timeoutSeconds) {
        LibvirtQemuNative lib;
        try {
            lib = Holder.INSTANCE;
        } catch (LinkageError e) {
            throw new LibvirtCallException(-1, "libvirt-qemu.so.0 cannot be loaded: " + e);
        }
        Pointer p = lib.virDomainQemuAgentCommand(dom, command, timeoutSeconds > 0 ? timeoutSeconds : TIMEOUT_DEFAULT,
                0);
        if (p == null) {
            throw LibvirtCallException.last();
        }
        try {
            return p.getString(0, StandardCharsets.UTF_8.name());
        } finally {
            Native.free(Pointer.nativeValue(p));
        }
    }

    /** Loads the library when first needed (hosts without it can still run guests). */
    final class Holder {
        static final LibvirtQemuNative INSTANCE = Native.load("virt-qemu", LibvirtQemuNative.class);

        private Holder() {
        }
    }
}
