package io.jvirt.launcher.libvirt;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * The few libvirt C functions that org.libvirt 0.5.2 does not expose (state with reason, flags on shutdown/create,
 * listing all domains, lifecycle and guest agent events with raw codes). Pointers are raw {@code virConnectPtr} /
 * {@code virDomainPtr}.
 */
interface LibvirtNative extends Library {

    LibvirtNative INSTANCE = Native.load("virt", LibvirtNative.class);

    int VIR_DOMAIN_EVENT_ID_LIFECYCLE = 0;
    int VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE = 18;
    int VIR_DOMAIN_START_PAUSED = 1;
    int VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN = 1;
    int VIR_DOMAIN_UNDEFINE_MANAGED_SAVE = 1;
    int VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA = 2;
    int VIR_DOMAIN_UNDEFINE_NVRAM = 4;
    int VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA = 16;

    Pointer virDomainLookupByName(Pointer conn, String name);

    int virDomainFree(Pointer dom);

    int virDomainGetState(Pointer dom, IntByReference state, IntByReference reason, int flags);

    int virDomainIsActive(Pointer dom);

    int virDomainIsPersistent(Pointer dom);

    /** Returns a string owned by the domain object: not to be freed. */
    String virDomainGetName(Pointer dom);

    int virDomainGetUUIDString(Pointer dom, byte[] buf);

    int virDomainShutdownFlags(Pointer dom, int flags);

    int virDomainCreateWithFlags(Pointer dom, int flags);

    int virConnectListAllDomains(Pointer conn, PointerByReference domains, int flags);

    /** Returns a string the caller frees ({@code free}), or null on error. */
    Pointer virConnectGetDomainCapabilities(Pointer conn, String emulatorbin, String arch, String machine,
                                            String virttype, int flags);

    int virConnectDomainEventRegisterAny(Pointer conn, Pointer dom, int eventID, LifecycleCallback cb,
                                         Pointer opaque, Pointer freecb);

    /** The same C function, for {@code VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE} (JNA converts per argument type). */
    int virConnectDomainEventRegisterAny(Pointer conn, Pointer dom, int eventID, AgentLifecycleCallback cb,
                                         Pointer opaque, Pointer freecb);

    int virConnectDomainEventDeregisterAny(Pointer conn, int callbackID);

    /** {@code virErrorPtr}: int code @0, int domain @4, char *message @8. Thread-local; not to be freed. */
    Pointer virGetLastError();

    void virResetLastError();

    /** {@code virConnectDomainEventCallback} for {@code VIR_DOMAIN_EVENT_ID_LIFECYCLE}. */
    interface LifecycleCallback extends Callback {
        int invoke(Pointer conn, Pointer dom, int event, int detail, Pointer opaque);
    }

    /** {@code virConnectDomainEventAgentLifecycleCallback}: state 1 connected / 2 disconnected, reason 0–2. */
    interface AgentLifecycleCallback extends Callback {
        void invoke(Pointer conn, Pointer dom, int state, int reason, Pointer opaque);
    }
}
