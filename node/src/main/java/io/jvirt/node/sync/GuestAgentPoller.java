package io.jvirt.node.sync;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.launcher.libvirt.DomainDevices;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * What the guest agents of this node's running guests report, for the VMI status (virt-launcher's agent poller):
 * whether the agent is connected (the channel state libvirt keeps), the guest OS and the guest's network interfaces.
 * Every tracked guest is polled every {@link #INTERVAL}, and at once when libvirt reports its agent connecting or
 * disconnecting. Polls run on virtual threads, one at a time per guest, each agent command bounded by the launcher's
 * timeout; the sync loop only reads the latest {@link Snapshot}. When a snapshot changes, {@code changed} is called
 * with (namespace, name) so that the status gets written.
 */
final class GuestAgentPoller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GuestAgentPoller.class);
    /** virt-launcher polls the agent's guest info (OS, interfaces, hostname, users) every 10 s. */
    static final Duration INTERVAL = Duration.ofSeconds(10);

    /**
     * One poll's result.
     *
     * @param connected  whether the agent is connected now
     * @param nics       the domain's NICs
     * @param osInfo     the last {@code guest-get-osinfo} reply (kept while the agent is away), or null
     * @param interfaces the last {@code guest-network-get-interfaces} reply (kept likewise), or null
     */
    record Snapshot(boolean connected, List<DomainDevices.Nic> nics, JsonNode osInfo, JsonNode interfaces) {
    }

    private final GuestRuntime runtime;
    private final BiConsumer<String, String> changed;
    /** Tracked guests → whether to send agent commands (not while the vCPUs are paused: they would time out). */
    private final Map<String, Boolean> tracked = new ConcurrentHashMap<>();
    private final Map<String, Snapshot> snapshots = new ConcurrentHashMap<>();
    /** Guests with a poll running; true: poll once more when it is done (a change came in meanwhile). */
    private final Map<String, Boolean> inFlight = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("guest-agent-poll-", 0).factory());
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "guest-agent-timer");
        t.setDaemon(true);
        return t;
    });

    GuestAgentPoller(GuestRuntime runtime, BiConsumer<String, String> changed) {
        this.runtime = runtime;
        this.changed = changed;
    }

    void start() {
        runtime.onAgentChange(k -> pollSoon(key(k[0], k[1])));
        timer.scheduleWithFixedDelay(() -> tracked.keySet().forEach(this::pollSoon), INTERVAL.toMillis(),
                INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static String key(String ns, String name) {
        return ns + "/" + name;
    }

    /**
     * Starts watching a running guest; polls at once the first time and when agent calls are allowed again.
     *
     * @param agentCalls false while the guest is paused: only the channel state and NICs are read then
     */
    void track(String ns, String name, boolean agentCalls) {
        String k = key(ns, name);
        Boolean before = tracked.put(k, agentCalls);
        if (before == null || (agentCalls && !before)) {
            pollSoon(k);
        }
    }

    /** Stops watching a guest and forgets what its agent said. */
    void forget(String ns, String name) {
        String k = key(ns, name);
        tracked.remove(k);
        snapshots.remove(k);
    }

    /**
     * Stops watching a guest and waits (at most {@code max}) until no poll of it is running. Call it before the guest
     * is destroyed or shut down: libvirt's destroy waits for an agent command in flight to time out (seconds), while
     * a command left to finish normally takes milliseconds.
     */
    void quiesce(String ns, String name, Duration max) {
        forget(ns, name);
        String k = key(ns, name);
        long deadline = System.nanoTime() + max.toNanos();
        while (inFlight.containsKey(k) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The latest poll of a tracked guest, if one finished. */
    Optional<Snapshot> snapshot(String ns, String name) {
        return Optional.ofNullable(snapshots.get(key(ns, name)));
    }

    private void pollSoon(String k) {
        if (!tracked.containsKey(k)) {
            return;
        }
        while (true) {
            Boolean running = inFlight.putIfAbsent(k, Boolean.FALSE);
            if (running == null) {
                break;
            }
            if (inFlight.replace(k, running, Boolean.TRUE)) {
                return; // the running poll goes again when done
            }
        }
        try {
            workers.execute(() -> {
                do {
                    inFlight.replace(k, Boolean.FALSE);
                    try {
                        poll(k);
                    } catch (RuntimeException e) {
                        LOG.warn("polling the guest agent of {} failed", k, e);
                    }
                } while (!inFlight.remove(k, Boolean.FALSE));
            });
        } catch (RejectedExecutionException e) {
            inFlight.remove(k); // closing
        }
    }

    private void poll(String k) {
        int slash = k.indexOf('/');
        String ns = k.substring(0, slash);
        String name = k.substring(slash + 1);
        Optional<DomainDevices> devices;
        try {
            devices = runtime.devices(ns, name);
        } catch (RuntimeException e) {
            LOG.debug("guest {}: cannot read its devices: {}", k, e.toString());
            return;
        }
        if (devices.isEmpty()) {
            return;
        }
        Snapshot prev = snapshots.get(k);
        JsonNode os = prev == null ? null : prev.osInfo();
        JsonNode ifaces = prev == null ? null : prev.interfaces();
        boolean connected = devices.get().agentConnected();
        if (connected && tracked.getOrDefault(k, false)) {
            os = query(ns, name, "guest-get-osinfo", os);
            ifaces = query(ns, name, "guest-network-get-interfaces", ifaces);
        }
        Snapshot now = new Snapshot(connected, devices.get().nics(), os, ifaces);
        if (!tracked.containsKey(k)) {
            return; // forgotten meanwhile
        }
        Snapshot old = snapshots.put(k, now);
        if (!now.equals(old)) {
            if (old == null ? connected : old.connected() != connected) {
                LOG.info("guest agent of {} {}", k, connected ? "connected" : "disconnected");
            }
            changed.accept(ns, name);
        }
    }

    /** A command's reply, or {@code previous} if the agent did not answer (virt-launcher skips failed commands). */
    private JsonNode query(String ns, String name, String command, JsonNode previous) {
        try {
            return runtime.agentCommand(ns, name, command);
        } catch (GuestRuntime.AgentException e) {
            LOG.debug("guest agent of {}/{}: {} failed: {}", ns, name, command, e.getMessage());
            return previous;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        workers.shutdownNow();
    }
}
