package io.jvirt.node.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.launcher.libvirt.DomainDevices;
import io.jvirt.launcher.runtime.VmiRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The poller against a scripted runtime: what it keeps, when it reports a change, that it never piles up polls. */
class GuestAgentPollerTest {
    private static final Duration SOON = Duration.ofSeconds(10);
    private static final List<DomainDevices.Nic> NICS = List.of(new DomainDevices.Nic("default", "52:54:00:00:00:01"));

    private final FakeRuntime runtime = new FakeRuntime();
    private final List<String> changes = new CopyOnWriteArrayList<>();
    private final GuestAgentPoller poller = new GuestAgentPoller(runtime, (ns, n) -> changes.add(ns + "/" + n));

    @AfterEach
    void close() {
        poller.close();
    }

    private static JsonNode os(String id) {
        return JsonNodeFactory.instance.objectNode().put("id", id);
    }

    @Test
    void aTrackedGuestIsPolledAtOnceAndAChangeIsReportedOnce() {
        runtime.connected = true;
        runtime.replies.put("guest-get-osinfo", os("a"));
        poller.start();
        poller.track("ns", "vm", true);
        await().atMost(SOON).until(() -> poller.snapshot("ns", "vm").isPresent());
        GuestAgentPoller.Snapshot s = poller.snapshot("ns", "vm").orElseThrow();
        assertThat(s.connected()).isTrue();
        assertThat(s.nics()).isEqualTo(NICS);
        assertThat(s.osInfo()).isEqualTo(os("a"));
        await().atMost(SOON).until(() -> changes.size() == 1);
        assertThat(changes).containsExactly("ns/vm");

        poller.track("ns", "vm", true); // already tracked: no new poll
        runtime.fireAgentChange("ns", "vm"); // nothing changed: polled, but no change reported
        await().atMost(SOON).until(() -> runtime.commandCalls.get() >= 4); // two commands per poll
        await().during(Duration.ofMillis(300)).atMost(SOON).until(() -> changes.size() == 1);
    }

    @Test
    void anAgentEventRepollsAndADisconnectKeepsTheLastAnswers() {
        runtime.connected = true;
        runtime.replies.put("guest-get-osinfo", os("a"));
        poller.start();
        poller.track("ns", "vm", true);
        await().atMost(SOON).until(() -> changes.size() == 1);

        runtime.connected = false;
        runtime.replies.clear();
        runtime.fireAgentChange("ns", "vm");
        await().atMost(SOON).until(() -> changes.size() == 2);
        GuestAgentPoller.Snapshot s = poller.snapshot("ns", "vm").orElseThrow();
        assertThat(s.connected()).isFalse();
        assertThat(s.osInfo()).as("kept while the agent is away").isEqualTo(os("a"));
        int commands = runtime.commandCalls.get();

        runtime.fireAgentChange("ns", "vm");
        await().atMost(SOON).until(() -> runtime.devicesCalls.get() >= 3);
        assertThat(runtime.commandCalls.get()).as("no agent commands while disconnected").isEqualTo(commands);
    }

    @Test
    void aFailingCommandKeepsThePreviousAnswer() {
        runtime.connected = true;
        runtime.replies.put("guest-get-osinfo", os("a"));
        runtime.replies.put("guest-network-get-interfaces", JsonNodeFactory.instance.arrayNode());
        poller.start();
        poller.track("ns", "vm", true);
        await().atMost(SOON).until(() -> changes.size() == 1);
        runtime.replies.remove("guest-get-osinfo"); // the fake answers AgentException
        runtime.fireAgentChange("ns", "vm");
        await().atMost(SOON).until(() -> runtime.commandCalls.get() >= 4); // two commands per poll
        await().during(Duration.ofMillis(300)).atMost(SOON).until(() -> changes.size() == 1);
        assertThat(poller.snapshot("ns", "vm").orElseThrow().osInfo()).isEqualTo(os("a"));
    }

    @Test
    void eventsDuringAPollCauseOneMorePollNotOnePerEvent() {
        runtime.connected = true;
        runtime.block = new CountDownLatch(1);
        poller.start();
        poller.track("ns", "vm", true);
        await().atMost(SOON).until(runtime::busy);
        for (int i = 0; i < 5; i++) {
            runtime.fireAgentChange("ns", "vm");
        }
        runtime.block.countDown();
        await().atMost(SOON).until(() -> runtime.devicesCalls.get() == 2);
        await().during(Duration.ofMillis(300)).atMost(SOON).until(() -> runtime.devicesCalls.get() == 2);
        assertThat(runtime.maxConcurrent.get()).isEqualTo(1);
    }

    @Test
    void quiesceWaitsForThePollInFlightAndStopsFurtherPolls() throws Exception {
        runtime.connected = true;
        runtime.block = new CountDownLatch(1);
        poller.start();
        poller.track("ns", "vm", true);
        await().atMost(SOON).until(runtime::busy);
        CountDownLatch quiesced = new CountDownLatch(1);
        Thread.ofVirtual().start(() -> {
            poller.quiesce("ns", "vm", SOON);
            quiesced.countDown();
        });
        assertThat(quiesced.await(300, TimeUnit.MILLISECONDS)).as("returns only once the poll is done").isFalse();
        runtime.block.countDown();
        assertThat(quiesced.await(10, TimeUnit.SECONDS)).isTrue();
        int calls = runtime.devicesCalls.get();
        runtime.fireAgentChange("ns", "vm");
        await().during(Duration.ofMillis(300)).atMost(SOON).until(() -> runtime.devicesCalls.get() == calls);
        assertThat(poller.snapshot("ns", "vm")).isEmpty();
    }

    @Test
    void quiesceGivesUpAfterItsLimit() {
        runtime.connected = true;
        runtime.block = new CountDownLatch(1);
        poller.start();
        poller.track("ns", "vm", true);
        await().atMost(SOON).until(runtime::busy);
        poller.quiesce("ns", "vm", Duration.ofMillis(50));
        assertThat(runtime.busy()).as("returned while the poll is still blocked").isTrue();
        runtime.block.countDown();
    }

    @Test
    void aPausedGuestsAgentIsNotAskedUntilItRunsAgain() {
        runtime.connected = true;
        runtime.replies.put("guest-get-osinfo", os("a"));
        poller.start();
        poller.track("ns", "vm", false);
        await().atMost(SOON).until(() -> poller.snapshot("ns", "vm").isPresent());
        assertThat(poller.snapshot("ns", "vm").orElseThrow().connected()).isTrue();
        assertThat(runtime.commandCalls.get()).isZero();
        poller.track("ns", "vm", true); // unpaused: polled at once
        await().atMost(SOON).untilAsserted(() ->
                assertThat(poller.snapshot("ns", "vm").orElseThrow().osInfo()).isEqualTo(os("a")));
    }

    @Test
    void aForgottenGuestIsNotPolledAndHasNoSnapshot() {
        runtime.connected = true;
        poller.start();
        poller.track("ns", "vm", true);
        await().atMost(SOON).until(() -> poller.snapshot("ns", "vm").isPresent());
        poller.forget("ns", "vm");
        assertThat(poller.snapshot("ns", "vm")).isEmpty();
        int polls = runtime.devicesCalls.get();
        runtime.fireAgentChange("ns", "vm");
        assertThat(runtime.devicesCalls.get()).isEqualTo(polls);
    }

    /** Answers from fields the test sets; counts calls. */
    private static final class FakeRuntime implements GuestRuntime {
        volatile boolean connected;
        final Map<String, JsonNode> replies = new java.util.concurrent.ConcurrentHashMap<>();
        volatile CountDownLatch block;
        final AtomicInteger devicesCalls = new AtomicInteger();
        final AtomicInteger commandCalls = new AtomicInteger();
        final AtomicInteger concurrent = new AtomicInteger();
        final AtomicInteger maxConcurrent = new AtomicInteger();
        private final List<Consumer<String[]>> agentListeners = new CopyOnWriteArrayList<>();

        void fireAgentChange(String ns, String name) {
            agentListeners.forEach(l -> l.accept(new String[] {ns, name}));
        }

        boolean busy() {
            return concurrent.get() > 0;
        }

        @Override
        public Optional<DomainDevices> devices(String namespace, String name) {
            int now = concurrent.incrementAndGet();
            maxConcurrent.accumulateAndGet(now, Math::max);
            try {
                CountDownLatch b = block;
                if (b != null) {
                    b.await(10, TimeUnit.SECONDS);
                }
                devicesCalls.incrementAndGet();
                return Optional.of(new DomainDevices(connected, NICS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            } finally {
                concurrent.decrementAndGet();
            }
        }

        @Override
        public JsonNode agentCommand(String namespace, String name, String command) {
            commandCalls.incrementAndGet();
            JsonNode r = replies.get(command);
            if (r == null) {
                throw new AgentException("no reply to " + command, null);
            }
            return r;
        }

        @Override
        public void onAgentChange(Consumer<String[]> listener) {
            agentListeners.add(listener);
        }

        @Override
        public void start(ObjectNode vmi, Function<String, Map<String, String>> secrets, VmiRuntime.Pinning pinning) {
        }

        @Override
        public void shutdown(String namespace, String name) {
        }

        @Override
        public void kill(String namespace, String name) {
        }

        @Override
        public void pause(String namespace, String name) {
        }

        @Override
        public void unpause(String namespace, String name) {
        }

        @Override
        public void softReboot(String namespace, String name) {
        }

        @Override
        public Optional<GuestStatus> status(String namespace, String name) {
            return Optional.empty();
        }

        @Override
        public List<GuestStatus> list() {
            return List.of();
        }

        @Override
        public void cleanup(String namespace, String name) {
        }

        @Override
        public Path serialSocket(String namespace, String name) {
            return null;
        }

        @Override
        public Path vncSocket(String namespace, String name) {
            return null;
        }

        @Override
        public void onChange(Consumer<String[]> listener) {
        }

        @Override
        public boolean kvm() {
            return false;
        }
    }
}
