package io.jvirt.bench;

import java.util.Locale;

/**
 * CPU use over a phase of the API server bench: its wall time, the server's and this driver's CPU, and how busy the
 * machine was (so the rest is other processes).
 */
record CpuUse(double wallMs, long serverCpuMs, long clientCpuMs, double machineBusyPct) {

    /** "machine a % busy: server b %, driver c %, other processes d %", in % of all cores over the wall time. */
    String split() {
        int cores = Runtime.getRuntime().availableProcessors();
        double sp = 100 * serverCpuMs / (cores * wallMs);
        double cp = 100 * clientCpuMs / (cores * wallMs);
        return String.format(Locale.ROOT, "machine %.0f %% busy: server %.0f %%, driver %.0f %%, other processes %.0f %%",
                machineBusyPct, sp, cp, Math.max(0, machineBusyPct - sp - cp));
    }

    /** Starts measuring now. */
    static Meter start(ServerProcess server) {
        return new Meter(server);
    }

    /** A phase being measured. */
    static final class Meter {
        private final ServerProcess server;
        private final long server0;
        private final long self0;
        private final long[] machine0;
        private final long t0;

        private Meter(ServerProcess server) {
            this.server = server;
            this.server0 = server.cpuMs();
            this.self0 = selfCpuMs();
            this.machine0 = ProcFs.machineCpu();
            this.t0 = System.nanoTime();
        }

        /** The CPU use from the start until now. */
        CpuUse stop() {
            double wallMs = (System.nanoTime() - t0) / 1e6;
            long serverMs = server.cpuMs() - server0;
            long selfMs = selfCpuMs() - self0;
            return new CpuUse(wallMs, serverMs, selfMs, busyPct(machine0, ProcFs.machineCpu()));
        }

        private static long selfCpuMs() {
            return Processes.selfCpuMs().orElse(-1);
        }

        private static double busyPct(long[] before, long[] after) {
            long total = after[1] - before[1];
            return total <= 0 ? Double.NaN : 100.0 * (after[0] - before[0]) / total;
        }
    }
}
