package io.jvirt.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What one run of the VM start bench found, in the order it found it; {@link VmStartReport} writes it out. */
final class VmStartResults {
    /** The paths a start is measured on: through jvirt, {@code virsh create}, and a direct QEMU. */
    static final List<String> PATHS = List.of("jvirt", "virsh", "qemu");

    /** Host, platform and run facts, as "- key: value" lines. */
    final Map<String, String> facts = new LinkedHashMap<>();
    /** Timeouts and failures worth a line. */
    final List<String> notes = new ArrayList<>();

    // latency samples (ns), one per measured iteration; null where the VMI did not report the timestamp
    final List<Long> jvRunning = new ArrayList<>();
    final List<Long> jvLogin = new ArrayList<>();
    final List<Long> virshRunning = new ArrayList<>();
    final List<Long> virshLogin = new ArrayList<>();
    final List<Long> qemuLogin = new ArrayList<>();
    final List<Long> jvCreateAck = new ArrayList<>();
    final List<Long> jvToScheduling = new ArrayList<>();
    final List<Long> jvToScheduled = new ArrayList<>();
    final List<Long> jvToRunningTs = new ArrayList<>();
    final List<Long> jvRunningEvent = new ArrayList<>();
    final List<Long> jvRunningToConsole = new ArrayList<>();
    final List<Long> jvDelete = new ArrayList<>();
    final List<Long> pairedRunning = new ArrayList<>();
    final List<Long> pairedLogin = new ArrayList<>();
    /** Per path (see {@link #PATHS}). */
    final Map<String, List<CpuToLogin>> cpuToLogin = new LinkedHashMap<>();
    /** QEMU memory at the login prompt, per path (see {@link #PATHS}). */
    final Map<String, List<QemuMemory>> qemuAtLogin = new LinkedHashMap<>();

    /** Density facts, as "- key: value" lines. */
    final Map<String, String> densityFacts = new LinkedHashMap<>();
    /** Density table rows: component, RSS MiB, PSS MiB, PSS per guest MiB. */
    final List<String[]> densityRows = new ArrayList<>();

    VmStartResults() {
        for (String p : PATHS) {
            qemuAtLogin.put(p, new ArrayList<>());
            cpuToLogin.put(p, new ArrayList<>());
        }
    }
}
