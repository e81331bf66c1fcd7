package io.jvirt.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One create phase of the API server bench: {@code n} creates by {@code threads} threads taking the next index
 * until all are done.
 *
 * @param perSec         creates per second over the phase's wall time
 * @param latency        each create's latency
 * @param serverCpuPerOp server CPU ms per create
 * @param clientCpuPerOp driver CPU ms per create
 */
record CreateRun(double perSec, Stats latency, CpuUse cpu, double serverCpuPerOp, double clientCpuPerOp) {

    /** Creates object {@code i}. */
    interface Create {
        void create(int i) throws Exception;
    }

    static CreateRun measure(int n, int threads, String threadName, ServerProcess server, Create create)
            throws InterruptedException {
        long[] lat = new long[n];
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            ts.add(Thread.ofPlatform().name(threadName + "-" + t).start(() -> {
                try {
                    start.await();
                    int i;
                    while ((i = next.getAndIncrement()) < n && failure.get() == null) {
                        long t0 = System.nanoTime();
                        create.create(i);
                        lat[i] = System.nanoTime() - t0;
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        CpuUse.Meter meter = CpuUse.start(server);
        start.countDown();
        for (Thread t : ts) {
            t.join();
        }
        CpuUse cpu = meter.stop();
        if (failure.get() != null) {
            throw new IllegalStateException("create failed", failure.get());
        }
        return new CreateRun(n / (cpu.wallMs() / 1000), new Stats(lat), cpu, cpu.serverCpuMs() / (double) n,
                cpu.clientCpuMs() / (double) n);
    }
}
