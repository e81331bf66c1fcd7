package io.jvirt.launcher.storage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A response body that fails when no byte arrives for a while. {@code java.net.http} times out only the wait for a
 * response's headers; a registry (or a proxy) that stalls mid-body would otherwise block the reading thread — a
 * node agent worker — forever. A watchdog closes the stream, which wakes the blocked read.
 */
final class IdleTimeoutInputStream extends FilterInputStream {

    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "registry-idle-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final Duration timeout;
    private final ScheduledFuture<?> check;
    private volatile long lastProgress = System.nanoTime();
    private volatile boolean timedOut;

    IdleTimeoutInputStream(InputStream in, Duration timeout) {
        super(in);
        this.timeout = timeout;
        long period = Math.max(50, timeout.toMillis() / 4);
        this.check = WATCHDOG.scheduleWithFixedDelay(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    private void check() {
        if (!timedOut && System.nanoTime() - lastProgress > timeout.toNanos()) {
            timedOut = true;
            try {
                in.close();
            } catch (IOException ignored) {
                // the reader gets its IOException either way
            }
            check.cancel(false);
        }
    }

    @Override
    public int read() throws IOException {
        try {
            int b = super.read();
            lastProgress = System.nanoTime();
            return b;
        } catch (IOException e) {
            throw translate(e);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            int n = super.read(b, off, len);
            lastProgress = System.nanoTime();
            return n;
        } catch (IOException e) {
            throw translate(e);
        }
    }

    private IOException translate(IOException e) {
        return timedOut ? new IOException("no data from the registry for " + timeout.toSeconds() + " s", e) : e;
    }

    @Override
    public void close() throws IOException {
        check.cancel(false);
        super.close();
    }
}
