package io.jvirt.launcher.libvirt;

import java.util.concurrent.atomic.AtomicBoolean;
import org.libvirt.Connect;
import org.libvirt.Library;
import org.libvirt.LibvirtException;
import org.libvirt.jna.Libvirt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libvirt's default event loop ({@code virEventRegisterDefaultImpl}), registered once per JVM before the first
 * connection and run by a daemon thread ({@code virEventRunDefaultImpl} in a loop). Domain events, guest agent
 * events, keepalives and close callbacks of every connection arrive on that thread.
 */
final class LibvirtEventLoop {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtEventLoop.class);
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    /** Keeps libvirt from printing every error to stderr (errors are reported through exceptions). */
    private static final Libvirt.VirErrorCallback SILENT_ERRORS = (userData, error) -> { };

    private LibvirtEventLoop() {
    }

    static void ensureStarted() {
        if (!STARTED.compareAndSet(false, true)) {
            return;
        }
        try {
            Connect.setErrorCallback(SILENT_ERRORS);
            Library.initEventLoop();
        } catch (LibvirtException e) {
            STARTED.set(false);
            throw new HypervisorException("cannot initialise libvirt's event loop: " + e.getMessage(), e);
        }
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Library.processEvent();
                } catch (LibvirtException e) {
                    LOG.warn("libvirt event loop iteration failed: {}", e.getMessage());
                } catch (Throwable e) {
                    LOG.error("libvirt event loop failed", e);
                }
            }
        }, "libvirt-event-loop");
        t.setDaemon(true);
        t.start();
    }
}
