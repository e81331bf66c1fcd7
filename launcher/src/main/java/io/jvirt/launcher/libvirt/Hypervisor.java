package io.jvirt.launcher.libvirt;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Domain lifecycle on this node's hypervisor. All methods throw {@link HypervisorException} (unchecked) with
 * libvirt's error message; {@link DomainNotFoundException} when the named domain does not exist.
 *
 * <p>Implementations are thread-safe. Closing the hypervisor only closes the client connection: guests keep running
 * (they belong to libvirtd).
 */
public interface Hypervisor extends AutoCloseable {

    /** Defines (or redefines) a persistent domain from libvirt domain XML; returns the domain name. */
    String define(String xml);

    /** Starts a defined, shut-off domain. */
    void start(String name);

    /** Starts a defined domain with its vCPUs paused ({@code VIR_DOMAIN_START_PAUSED}); {@link #resume} runs it. */
    void startPaused(String name);

    /** Asks the guest to shut down by pressing the ACPI power button; returns without waiting. */
    void shutdown(String name);

    /** Stops the domain immediately (kills QEMU); the domain stays defined. */
    void destroy(String name);

    /** Pauses the vCPUs ({@code virDomainSuspend}). */
    void pause(String name);

    /** Resumes paused vCPUs. */
    void resume(String name);

    /** Asks the guest to reboot: through the guest agent when one is connected, else via ACPI. */
    void reboot(String name);

    /** Removes the definition, its NVRAM, managed-save image and snapshot/checkpoint metadata. */
    void undefine(String name);

    /** Current state of the domain, or empty if there is no such domain. */
    Optional<DomainStatus> status(String name);

    /** All domains of this hypervisor, active or not. */
    List<DomainStatus> list();

    /**
     * The domain capabilities XML of one emulator binary ({@code virConnectGetDomainCapabilities}). The first call for
     * a binary on a fresh libvirt state directory makes libvirtd probe that binary (seconds); later calls, and domain
     * starts, read its cache.
     *
     * @param virtType {@code kvm} or {@code qemu} (software emulation)
     */
    String domainCapabilities(String emulator, String virtType);

    /** The live domain XML ({@code virDomainGetXMLDesc}, flags 0). */
    String xml(String name);

    /**
     * Registers a lifecycle-event listener. Listeners are called in event order on one dispatcher thread (never on
     * libvirt's event-loop thread), so they may call back into this hypervisor.
     */
    void onEvent(Consumer<DomainEvent> listener);

    /**
     * Registers a guest agent lifecycle listener (the guest opened or closed the agent's port), called like the
     * {@link #onEvent} listeners: in order, on the dispatcher thread.
     */
    void onAgentEvent(Consumer<AgentEvent> listener);

    /**
     * Sends one QEMU guest agent command (QGA JSON, e.g. {@code {"execute":"guest-get-osinfo"}}) through libvirt's
     * agent connection and returns the agent's reply (JSON text, {@code {"return": ...}}).
     *
     * @param timeoutSeconds how long to wait for the reply (libvirt's default if not positive)
     * @throws GuestAgentException if no agent is connected, it does not answer in time, or it answers with an error
     */
    String agentCommand(String name, String command, int timeoutSeconds);

    /**
     * Registers a callback run (on the dispatcher thread) after the connection to libvirtd was lost and has been
     * re-established: events may have been missed meanwhile, so the caller should resynchronise via {@link #list()}.
     */
    void onReconnect(Runnable listener);

    /** Closes the client connection only; domains are not affected. */
    @Override
    void close();
}
