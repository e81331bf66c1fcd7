package io.jvirt.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Write → event latencies for several receivers observing the same sequential writes. */
final class WatchMeasure {
    private final int receivers;
    private final List<Map<String, Long>> recv = new ArrayList<>();
    private final Object lock = new Object();
    private long[][] sendTo;
    private long[][] ackTo;
    private long[] writeLat;
    private final int[] missed;

    WatchMeasure(int receivers) {
        this.receivers = receivers;
        this.missed = new int[receivers];
        for (int i = 0; i < receivers; i++) {
            recv.add(new ConcurrentHashMap<>());
        }
    }

    void received(int receiver, String rv, long nanos) {
        recv.get(receiver).putIfAbsent(rv, nanos);
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    interface Writer {
        String write(int i);
    }

    /** Sequential writes; each waits (≤ 5 s) until every receiver saw its event before the next is sent. */
    void run(int warm, int n, Writer writer) throws InterruptedException {
        sendTo = new long[receivers][n];
        ackTo = new long[receivers][n];
        writeLat = new long[n];
        int[] got = new int[receivers];
        for (int i = 0; i < warm + n; i++) {
            long t0 = System.nanoTime();
            String rv = writer.write(i);
            long t1 = System.nanoTime();
            long deadline = t1 + Duration.ofSeconds(5).toNanos();
            synchronized (lock) {
                while (!allHave(rv) && System.nanoTime() < deadline) {
                    lock.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                }
            }
            if (i < warm) {
                continue;
            }
            int k = i - warm;
            writeLat[k] = t1 - t0;
            for (int r = 0; r < receivers; r++) {
                Long t = recv.get(r).get(rv);
                if (t == null) {
                    missed[r]++;
                    continue;
                }
                sendTo[r][got[r]] = t - t0;
                ackTo[r][got[r]] = t - t1;
                got[r]++;
            }
        }
        for (int r = 0; r < receivers; r++) {
            sendTo[r] = Arrays.copyOf(sendTo[r], got[r]);
            ackTo[r] = Arrays.copyOf(ackTo[r], got[r]);
        }
    }

    private boolean allHave(String rv) {
        for (Map<String, Long> m : recv) {
            if (!m.containsKey(rv)) {
                return false;
            }
        }
        return true;
    }

    Stats sendToEvent(int r) {
        return new Stats(sendTo[r]);
    }

    Stats ackToEvent(int r) {
        return new Stats(ackTo[r]);
    }

    Stats writeLatency() {
        return new Stats(writeLat);
    }

    int missed(int r) {
        return missed[r];
    }
}
