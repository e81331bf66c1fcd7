package io.jvirt.node.sync;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Back-off between failed guest starts of a VMI, as kubelet backs off image pulls and container restarts: 10 s after
 * the first failure, doubling to at most 5 min, forgotten when the guest starts or the VMI goes away. Without it every
 * status write of the failure would wake the sync loop and retry at once (a pull from an unreachable registry about
 * every 100 ms).
 *
 * <p>While a VMI waits, an {@code ErrImagePull} failure is reported as {@code ImagePullBackOff} with kubelet's
 * wording, so the VM's printableStatus moves from ErrImagePull to ImagePullBackOff as a pod's container would.
 */
final class StartBackoff {
    static final Duration INITIAL = Duration.ofSeconds(10);
    static final Duration MAX = Duration.ofMinutes(5);

    /**
     * The last failure of a VMI's start.
     *
     * @param failures how many starts failed in a row
     * @param retryAt  when the next start may be tried
     */
    record Failure(String reason, String message, int failures, Instant retryAt) {
        /** The Synchronized condition's reason and message while waiting for {@link #retryAt}. */
        String[] waitingCondition() {
            if (reason.equals("ErrImagePull")) {
                return new String[] {"ImagePullBackOff", "Back-off pulling image: " + message};
            }
            return new String[] {reason, message};
        }
    }

    private final Map<String, Failure> byUid = new ConcurrentHashMap<>();

    /** Records a failed start; returns the delay before the next one. */
    Duration failed(String uid, String reason, String message, Instant now) {
        Failure previous = byUid.get(uid);
        int failures = previous == null ? 1 : previous.failures() + 1;
        Duration delay = delay(failures);
        byUid.put(uid, new Failure(reason, message, failures, now.plus(delay)));
        return delay;
    }

    /** The VMI's last failure when its back-off has not yet run out. */
    Optional<Failure> waiting(String uid, Instant now) {
        Failure f = byUid.get(uid);
        return f != null && now.isBefore(f.retryAt()) ? Optional.of(f) : Optional.empty();
    }

    void forget(String uid) {
        byUid.remove(uid);
    }

    static Duration delay(int failures) {
        Duration d = INITIAL;
        for (int i = 1; i < failures && d.compareTo(MAX) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(MAX) > 0 ? MAX : d;
    }
}
