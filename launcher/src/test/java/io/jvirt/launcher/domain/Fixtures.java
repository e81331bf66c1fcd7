package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvirt.placement.Outcome;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Golden-file fixtures under {@code src/test/resources/domain/}: {@code <case>.vmi.json} (the VMI),
 * {@code <case>.ctx.json} (the {@link ConverterContext}, as JSON) and {@code <case>.xml} (the expected domain XML).
 */
final class Fixtures {

    static final ObjectMapper MAPPER = new ObjectMapper();
    static final String DIR = "domain";

    private Fixtures() {
    }

    /** Case names, sorted: every {@code *.vmi.json} in the fixture directory. */
    static List<String> cases() {
        URL url = Fixtures.class.getClassLoader().getResource(DIR);
        if (url == null) {
            throw new IllegalStateException("test resource directory '" + DIR + "' not found");
        }
        try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".vmi.json"))
                    .map(n -> n.substring(0, n.length() - ".vmi.json".length()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(String resource) {
        try (InputStream in = Fixtures.class.getClassLoader().getResourceAsStream(DIR + "/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("missing fixture " + DIR + "/" + resource);
            }
            return MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The expected XML of a case, or null when there is no golden file yet. */
    static String golden(String name) {
        try (InputStream in = Fixtures.class.getClassLoader().getResourceAsStream(DIR + "/" + name + ".xml")) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\r\n", "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode vmi(String name) {
        return json(name + ".vmi.json");
    }

    static ConverterContext context(String name) {
        return context(json(name + ".ctx.json"));
    }

    static String convert(String name) {
        return DomainConverter.toXml(vmi(name), context(name));
    }

    static ConverterContext context(JsonNode c) {
        Map<String, PreparedDisk> disks = new LinkedHashMap<>();
        c.path("disks").properties().forEach(e -> {
            JsonNode d = e.getValue();
            disks.put(e.getKey(), new PreparedDisk(path(d, "path"), d.path("format").asText(null),
                    path(d, "backingPath"), d.path("backingFormat").asText(null),
                    d.path("directIoSupported").asBoolean(false), d.path("readOnlyMedia").asBoolean(false),
                    d.path("preallocated").asBoolean(false)));
        });
        Map<Integer, List<Integer>> distances = new TreeMap<>();
        c.path("numaDistances").properties().forEach(e -> distances.put(Integer.parseInt(e.getKey()),
                ints(e.getValue())));
        return new ConverterContext(c.path("kvm").asBoolean(true), c.path("emulator").asText(null), disks,
                path(c, "serialSocket"), path(c, "vncSocket"), path(c, "guestAgentSocket"), path(c, "efiCode"),
                path(c, "efiSecureBootCode"), path(c, "efiVarsTemplate"), path(c, "efiVars"),
                path(c, "kernelBootDir"), path(c, "efiSecureBootVarsTemplate"), placement(c.get("placement")),
                c.has("sharedCpus") ? ints(c.get("sharedCpus")) : null, distances);
    }

    /**
     * The {@code placement} of a context file: the fitter's {@link Outcome.Allocation}, written by hand as
     * {@code {"vcpuPins": [1, 17], "emulatorCpus": [], "cells": [{"id": 0, "hostNode": 0, "vcpus": [0, 1],
     * "memoryBytes": 4294967296}], "hugepagesByNode": {"0": 2048}, "score": 0, "explanation": "..."}}.
     */
    static Outcome.Allocation placement(JsonNode p) {
        if (p == null || p.isNull()) {
            return null;
        }
        List<Outcome.GuestCell> cells = new ArrayList<>();
        p.path("cells").forEach(cell -> cells.add(new Outcome.GuestCell(cell.path("id").asInt(),
                cell.path("hostNode").asInt(), ints(cell.path("vcpus")), cell.path("memoryBytes").asLong())));
        Map<Integer, Long> pages = new TreeMap<>();
        p.path("hugepagesByNode").properties().forEach(e -> pages.put(Integer.parseInt(e.getKey()),
                e.getValue().asLong()));
        return new Outcome.Allocation(ints(p.path("vcpuPins")), ints(p.path("emulatorCpus")), cells, pages,
                p.path("score").asDouble(), p.path("explanation").asText(""));
    }

    /** A JSON array of integers, or a CPU list string such as {@code "0,2-16,18-31"}. */
    static List<Integer> ints(JsonNode node) {
        List<Integer> out = new ArrayList<>();
        if (node.isTextual()) {
            for (String part : node.asText().split(",")) {
                if (part.isBlank()) {
                    continue;
                }
                String[] range = part.trim().split("-");
                int from = Integer.parseInt(range[0]);
                int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
                for (int i = from; i <= to; i++) {
                    out.add(i);
                }
            }
        } else {
            node.forEach(n -> out.add(n.asInt()));
        }
        return out;
    }

    private static Path path(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : Path.of(value.asText());
    }

    /** Where goldens are written with {@code -Dgolden.update=true}: the module's source tree, not target/. */
    static Path sourceDir() {
        String basedir = System.getProperty("basedir", System.getProperty("user.dir"));
        Path dir = Path.of(basedir, "src", "test", "resources", DIR);
        if (!Files.isDirectory(dir)) {
            dir = Path.of(basedir, "launcher", "src", "test", "resources", DIR);
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("cannot find src/test/resources/" + DIR + " from " + basedir);
        }
        return dir;
    }

    static boolean updateGoldens() {
        return Boolean.getBoolean("golden.update") || "true".equals(System.getenv("GOLDEN_UPDATE"));
    }

    /** A line diff (longest common subsequence) with two lines of context: {@code -} expected, {@code +} actual. */
    static String diff(String expected, String actual) {
        String[] a = expected.split("\n", -1);
        String[] b = actual.split("\n", -1);
        int[][] lcs = new int[a.length + 1][b.length + 1];
        for (int i = a.length - 1; i >= 0; i--) {
            for (int j = b.length - 1; j >= 0; j--) {
                lcs[i][j] = a[i].equals(b[j]) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        List<String> out = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < a.length || j < b.length) {
            if (i < a.length && j < b.length && a[i].equals(b[j])) {
                out.add("  " + a[i]);
                i++;
                j++;
            } else if (i < a.length && (j == b.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
                out.add("- " + a[i++]);
            } else {
                out.add("+ " + b[j++]);
            }
        }
        // keep changed lines with two lines of context
        StringBuilder sb = new StringBuilder("--- expected\n+++ actual\n");
        int last = -10;
        for (int k = 0; k < out.size(); k++) {
            boolean near = false;
            for (int d = -2; d <= 2; d++) {
                int n = k + d;
                if (n >= 0 && n < out.size() && !out.get(n).startsWith("  ")) {
                    near = true;
                    break;
                }
            }
            if (near) {
                if (k > last + 1) {
                    sb.append("@@ line ").append(k + 1).append(" @@\n");
                }
                sb.append(out.get(k)).append('\n');
                last = k;
            }
        }
        return sb.toString();
    }
}
