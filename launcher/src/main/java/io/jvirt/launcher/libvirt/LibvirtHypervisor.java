package io.jvirt.launcher.libvirt;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Hypervisor} on libvirt through the JNA bindings of org.libvirt (plus {@link LibvirtNative} for the calls
 * those bindings lack).
 *
 * <p>Events arrive on libvirt's event loop thread ({@link LibvirtEventLoop}). Lifecycle and guest agent lifecycle
 * callbacks copy the event and hand it to a single dispatcher thread, which calls the listeners in order.
 *
 * <p>Guest agent commands go through libvirt's own agent connection ({@code virDomainQemuAgentCommand} of
 * libvirt-qemu): libvirt connects to the agent's socket once the guest opens the port, and owns it.
 *
 * <p>Connection loss: keepalive (5 s × 3) and the close callback mark the connection broken; a background task
 * reconnects every second (re-registering the event callback) until it succeeds, then runs the
 * {@link #onReconnect} listeners. Read-only calls that hit a broken connection are retried once on a fresh one;
 * mutating calls throw {@link HypervisorConnectionException}.
 */
public final class LibvirtHypervisor implements Hypervisor {

    private static final Logger LOG = LoggerFactory.getLogger(LibvirtHypervisor.class);

    private static final int VIR_ERR_NO_DOMAIN = 42;
    private static final int VIR_ERR_OPERATION_INVALID = 55;

    private final String uri;
    private final Path runDir;
    private final Object lock = new Object();
    private final List<Consumer<DomainEvent>> eventListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<AgentEvent>> agentListeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> reconnectListeners = new CopyOnWriteArrayList<>();
    private final ExecutorService dispatcher;
    private final ScheduledExecutorService reconnector;
    private volatile Session session;
    private volatile boolean closed;
    private boolean everConnected;
    private final AtomicBoolean reconnectScheduled = new AtomicBoolean();

    /**
     * Connects to libvirtd at {@code uri}.
     *
     * @param runDir host path of libvirtd's {@code /var/run/libvirt} (for QEMU pid files), or null if unknown
     * @throws HypervisorConnectionException if libvirtd cannot be reached
     */
    public LibvirtHypervisor(String uri, Path runDir) {
        this.uri = uri;
        this.runDir = runDir;
        LibvirtEventLoop.ensureStarted();
        this.dispatcher = Executors.newSingleThreadExecutor(daemonThreads("libvirt-events"));
        this.reconnector = Executors.newSingleThreadScheduledExecutor(daemonThreads("libvirt-reconnect"));
        try {
            session();
        } catch (RuntimeException e) {
            dispatcher.shutdownNow();
            reconnector.shutdownNow();
            throw e;
        }
    }

    /** Connects to jvirt's private libvirtd (which must be running: see {@link LibvirtDaemon#ensureStarted()}). */
    public static LibvirtHypervisor connect(LibvirtDaemon daemon) {
        return new LibvirtHypervisor(daemon.uri(), daemon.runDir());
    }

    public String uri() {
        return uri;
    }

    // ---------------------------------------------------------------------------------------------- operations

    @Override
    public String define(String xml) {
        return mutate("define", null, s -> {
            Domain d = s.connect.domainDefineXML(xml);
            try {
                return d.getName();
            } finally {
                d.free();
            }
        });
    }

    @Override
    public void start(String name) {
        onDomain("start", name, Domain::create);
    }

    @Override
    public void startPaused(String name) {
        mutate("start", name, s -> raw(s, name, dom -> check(LibvirtNative.INSTANCE.virDomainCreateWithFlags(dom,
                LibvirtNative.VIR_DOMAIN_START_PAUSED))));
    }

    @Override
    public void shutdown(String name) {
        mutate("shutdown", name, s -> raw(s, name, dom -> check(LibvirtNative.INSTANCE.virDomainShutdownFlags(dom,
                LibvirtNative.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN))));
    }

    @Override
    public void destroy(String name) {
        onDomain("destroy", name, Domain::destroy);
    }

    @Override
    public void pause(String name) {
        onDomain("pause", name, Domain::suspend);
    }

    @Override
    public void resume(String name) {
        onDomain("resume", name, Domain::resume);
    }

    @Override
    public void reboot(String name) {
        // flags 0: libvirt uses the guest agent when one is connected, else the ACPI power button (for QEMU an ACPI
        // reboot is a "fake reboot": power-button shutdown, then libvirt resets and resumes the guest).
        onDomain("reboot", name, d -> d.reboot(0));
    }

    @Override
    public void undefine(String name) {
        onDomain("undefine", name, d -> d.undefine(LibvirtNative.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                | LibvirtNative.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | LibvirtNative.VIR_DOMAIN_UNDEFINE_NVRAM
                | LibvirtNative.VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA));
    }

    @Override
    public Optional<DomainStatus> status(String name) {
        return read("status", name, s -> {
            Pointer dom = LibvirtNative.INSTANCE.virDomainLookupByName(s.raw(), name);
            if (dom == null) {
                LibvirtCallException e = LibvirtCallException.last();
                if (e.code == VIR_ERR_NO_DOMAIN) {
                    return Optional.empty();
                }
                throw e;
            }
            try {
                return Optional.of(statusOf(dom));
            } finally {
                LibvirtNative.INSTANCE.virDomainFree(dom);
            }
        });
    }

    @Override
    public List<DomainStatus> list() {
        return read("list", null, s -> {
            PointerByReference ref = new PointerByReference();
            int n = LibvirtNative.INSTANCE.virConnectListAllDomains(s.raw(), ref, 0);
            if (n < 0) {
                throw LibvirtCallException.last();
            }
            List<DomainStatus> out = new ArrayList<>(n);
            Pointer array = ref.getValue();
            if (array == null) {
                return out;
            }
            try {
                Pointer[] doms = array.getPointerArray(0, n);
                for (Pointer dom : doms) {
                    try {
                        out.add(statusOf(dom));
                    } catch (LibvirtCallException e) {
                        if (e.code != VIR_ERR_NO_DOMAIN) { // undefined meanwhile: skip
                            throw e;
                        }
                    } finally {
                        LibvirtNative.INSTANCE.virDomainFree(dom);
                    }
                }
            } finally {
                Native.free(Pointer.nativeValue(array));
            }
            return out;
        });
    }

    @Override
    public String domainCapabilities(String emulator, String virtType) {
        return read("domain capabilities", null, s -> {
            Pointer xml = LibvirtNative.INSTANCE.virConnectGetDomainCapabilities(s.raw(), emulator, null, null,
                    virtType, 0);
            if (xml == null) {
                throw LibvirtCallException.last();
            }
            try {
                return xml.getString(0);
            } finally {
                Native.free(Pointer.nativeValue(xml));
            }
        });
    }

    @Override
    public String xml(String name) {
        return read("xml", name, s -> {
            Domain d = s.connect.domainLookupByName(name);
            try {
                return d.getXMLDesc(0);
            } finally {
                d.free();
            }
        });
    }

    @Override
    public void onEvent(Consumer<DomainEvent> listener) {
        eventListeners.add(listener);
    }

    @Override
    public void onAgentEvent(Consumer<AgentEvent> listener) {
        agentListeners.add(listener);
    }

    @Override
    public String agentCommand(String name, String command, int timeoutSeconds) {
        try {
            return read("agent command", name, s -> raw(s, name, dom -> LibvirtQemuNative.agentCommand(dom, command,
                    timeoutSeconds)));
        } catch (DomainNotFoundException | InvalidDomainStateException | HypervisorConnectionException e) {
            throw e;
        } catch (HypervisorException e) {
            throw new GuestAgentException(e.getMessage(), e.libvirtCode(), e);
        }
    }

    @Override
    public void onReconnect(Runnable listener) {
        reconnectListeners.add(listener);
    }

    /** Whether the client connection is currently usable (no reconnect pending). */
    public boolean isConnected() {
        Session s = session;
        return s != null && s.alive();
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (session != null) {
                session.dispose();
                session = null;
            }
        }
        reconnector.shutdownNow();
        dispatcher.shutdown();
        try {
            dispatcher.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------------------------------------- internals

    private DomainStatus statusOf(Pointer dom) {
        LibvirtNative n = LibvirtNative.INSTANCE;
        IntByReference state = new IntByReference();
        IntByReference reason = new IntByReference();
        check(n.virDomainGetState(dom, state, reason, 0));
        String name = n.virDomainGetName(dom);
        byte[] uuid = new byte[37];
        check(n.virDomainGetUUIDString(dom, uuid));
        int active = check(n.virDomainIsActive(dom));
        int persistent = check(n.virDomainIsPersistent(dom));
        DomainState st = DomainState.fromCode(state.getValue());
        OptionalLong pid = active == 1 ? qemuPid(name) : OptionalLong.empty();
        return new DomainStatus(name, Native.toString(uuid, StandardCharsets.US_ASCII.name()), st,
                reason.getValue(), st.reasonName(reason.getValue()), active == 1, persistent == 1, pid);
    }

    private OptionalLong qemuPid(String name) {
        if (runDir == null) {
            return OptionalLong.empty();
        }
        try {
            String s = Files.readString(runDir.resolve("qemu").resolve(name + ".pid")).trim();
            return s.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(s));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    @FunctionalInterface
    private interface Call<T> {
        T apply(Session s) throws LibvirtException;
    }

    @FunctionalInterface
    private interface DomainOp {
        void apply(Domain d) throws LibvirtException;
    }

    private void onDomain(String op, String name, DomainOp action) {
        mutate(op, name, s -> {
            Domain d = s.connect.domainLookupByName(name);
            try {
                action.apply(d);
            } finally {
                d.free();
            }
            return null;
        });
    }

    /** Runs {@code action} on a raw {@code virDomainPtr}, freeing it afterwards. */
    private static <T> T raw(Session s, String name, java.util.function.Function<Pointer, T> action) {
        Pointer dom = LibvirtNative.INSTANCE.virDomainLookupByName(s.raw(), name);
        if (dom == null) {
            throw LibvirtCallException.last();
        }
        try {
            return action.apply(dom);
        } finally {
            LibvirtNative.INSTANCE.virDomainFree(dom);
        }
    }

    private static int check(int rc) {
        if (rc < 0) {
            throw LibvirtCallException.last();
        }
        return rc;
    }

    private <T> T mutate(String op, String name, Call<T> call) {
        Session s = session();
        try {
            return call.apply(s);
        } catch (LibvirtException e) {
            throw translate(op, name, s, code(e), message(e), e);
        } catch (LibvirtCallException e) {
            throw translate(op, name, s, e.code, e.getMessage(), e);
        }
    }

    private <T> T read(String op, String name, Call<T> call) {
        try {
            return mutate(op, name, call);
        } catch (HypervisorConnectionException e) {
            LOG.debug("{} {}: connection lost, retrying once", op, name, e);
            return mutate(op, name, call);
        }
    }

    private HypervisorException translate(String op, String name, Session s, int code, String message,
                                          Throwable cause) {
        String msg = message != null ? message : op + " failed";
        if (code == VIR_ERR_NO_DOMAIN) {
            return new DomainNotFoundException(msg, code, cause);
        }
        if (code == VIR_ERR_OPERATION_INVALID) {
            return new InvalidDomainStateException(msg, code, cause);
        }
        if (!s.alive()) {
            connectionLost(s);
            return new HypervisorConnectionException("connection to libvirtd lost during " + op
                    + (name != null ? " of " + name : "") + ": " + msg, code, cause);
        }
        return new HypervisorException(msg, code, cause);
    }

    private static int code(LibvirtException e) {
        return e.getError() != null && e.getError().getCode() != null ? e.getError().getCode().ordinal() : -1;
    }

    private static String message(LibvirtException e) {
        return e.getError() != null && e.getError().getMessage() != null ? e.getError().getMessage()
                : e.getMessage();
    }

    private Session session() {
        Session s = session;
        if (s != null && s.alive()) {
            return s;
        }
        boolean reconnected;
        synchronized (lock) {
            if (closed) {
                throw new HypervisorException("hypervisor client is closed");
            }
            s = session;
            if (s != null && s.alive()) {
                return s;
            }
            if (s != null) {
                s.dispose();
                session = null;
            }
            s = open();
            session = s;
            reconnected = everConnected;
            everConnected = true;
        }
        if (reconnected) {
            LOG.info("reconnected to {}", uri);
            for (Runnable r : reconnectListeners) {
                dispatcher.execute(() -> runQuietly(r));
            }
        }
        return s;
    }

    private Session open() {
        Conn c;
        try {
            c = new Conn(uri);
        } catch (LibvirtException e) {
            throw new HypervisorConnectionException("cannot connect to libvirtd at " + uri + ": " + message(e),
                    code(e), e);
        }
        Session s = new Session(c);
        try {
            c.setKeepAlive(5, 3);
            c.registerCloseListener((conn, reason) -> {
                LOG.warn("libvirt connection {} closed: {}", uri, reason);
                s.broken = true;
                connectionLost(s);
            });
            s.callbackId = LibvirtNative.INSTANCE.virConnectDomainEventRegisterAny(c.raw(), null,
                    LibvirtNative.VIR_DOMAIN_EVENT_ID_LIFECYCLE, s.callback, null, null);
            if (s.callbackId < 0) {
                throw LibvirtCallException.last();
            }
            s.agentCallbackId = LibvirtNative.INSTANCE.virConnectDomainEventRegisterAny(c.raw(), null,
                    LibvirtNative.VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE, s.agentCallback, null, null);
            if (s.agentCallbackId < 0) {
                throw LibvirtCallException.last();
            }
        } catch (LibvirtException | LibvirtCallException e) {
            s.dispose();
            throw new HypervisorConnectionException("cannot set up libvirt connection " + uri + ": "
                    + e.getMessage(), -1, e);
        }
        return s;
    }

    /** Called when a session broke: reconnect in the background so that events resume. */
    private void connectionLost(Session s) {
        s.broken = true;
        if (closed || !reconnectScheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            reconnector.schedule(this::reconnectLoop, 200, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            reconnectScheduled.set(false); // closing
        }
    }

    private void reconnectLoop() {
        try {
            session();
            reconnectScheduled.set(false);
        } catch (RuntimeException e) {
            if (closed) {
                return;
            }
            LOG.debug("reconnect to {} failed: {}", uri, e.getMessage());
            try {
                reconnector.schedule(this::reconnectLoop, 1, TimeUnit.SECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                reconnectScheduled.set(false);
            }
        }
    }

    private void deliver(Pointer dom, int event, int detail) {
        LibvirtNative n = LibvirtNative.INSTANCE;
        String name = n.virDomainGetName(dom);
        byte[] uuid = new byte[37];
        String uuidStr = n.virDomainGetUUIDString(dom, uuid) == 0
                ? Native.toString(uuid, StandardCharsets.US_ASCII.name()) : null;
        dispatch(DomainEvent.of(name, uuidStr, event, detail), eventListeners);
    }

    private void deliverAgent(Pointer dom, int state, int reason) {
        dispatch(AgentEvent.of(LibvirtNative.INSTANCE.virDomainGetName(dom), state, reason), agentListeners);
    }

    /** Hands an event to the dispatcher thread, which calls the listeners in order (never libvirt's loop thread). */
    private <E> void dispatch(E ev, List<Consumer<E>> listeners) {
        LOG.debug("event {}", ev);
        if (!dispatcher.isShutdown()) {
            dispatcher.execute(() -> {
                for (Consumer<E> l : listeners) {
                    try {
                        l.accept(ev);
                    } catch (RuntimeException e) {
                        LOG.warn("event listener failed on {}", ev, e);
                    }
                }
            });
        }
    }

    private static void runQuietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("reconnect listener failed", e);
        }
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** org.libvirt's Connect, exposing the raw {@code virConnectPtr} for {@link LibvirtNative}. */
    private static final class Conn extends Connect {
        Conn(String uri) throws LibvirtException {
            super(uri, false);
        }

        Pointer raw() {
            return vcp.getPointer();
        }
    }

    /** One open connection with its event registration. */
    private final class Session {
        final Conn connect;
        final LibvirtNative.LifecycleCallback callback;
        final LibvirtNative.AgentLifecycleCallback agentCallback;
        volatile boolean broken;
        int callbackId = -1;
        int agentCallbackId = -1;

        Session(Conn connect) {
            this.connect = connect;
            this.callback = (conn, dom, event, detail, opaque) -> {
                try {
                    deliver(dom, event, detail);
                } catch (Throwable e) {
                    LOG.warn("cannot deliver libvirt event", e);
                }
                return 0;
            };
            this.agentCallback = (conn, dom, state, reason, opaque) -> {
                try {
                    deliverAgent(dom, state, reason);
                } catch (Throwable e) {
                    LOG.warn("cannot deliver libvirt agent event", e);
                }
            };
        }

        Pointer raw() {
            return connect.raw();
        }

        boolean alive() {
            if (broken) {
                return false;
            }
            try {
                return connect.isAlive();
            } catch (LibvirtException e) {
                return false;
            }
        }

        void dispose() {
            broken = true;
            try {
                if (callbackId >= 0 && connect.isAlive()) {
                    LibvirtNative.INSTANCE.virConnectDomainEventDeregisterAny(connect.raw(), callbackId);
                }
                if (agentCallbackId >= 0 && connect.isAlive()) {
                    LibvirtNative.INSTANCE.virConnectDomainEventDeregisterAny(connect.raw(), agentCallbackId);
                }
                connect.unregisterCloseListener();
            } catch (LibvirtException | RuntimeException e) {
                LOG.debug("cleanup of libvirt connection: {}", e.getMessage());
            }
            try {
                connect.close();
            } catch (LibvirtException | RuntimeException e) {
                LOG.debug("close of libvirt connection: {}", e.getMessage());
            }
        }
    }

}
