package io.jvirt.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.resources.PrinterColumn;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.http.Json;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Server-side printing ({@code Accept: application/json;as=Table;v=v1;g=meta.k8s.io}): a {@code meta.k8s.io/v1
 * Table} whose first column is Name, followed by the resource's printer columns (KubeVirt's for its kinds, the
 * familiar kubectl ones for pods, nodes and events).
 */
final class TableConverter {
    private TableConverter() {
    }

    private record Column(String name, String type, String format, String description, int priority) {
    }

    static ObjectNode table(ResourceType rt, List<ObjectNode> objects, String resourceVersion, String continueToken,
                            String includeObject) {
        ObjectNode t = Json.object();
        t.put("kind", "Table");
        t.put("apiVersion", "meta.k8s.io/v1");
        ObjectNode meta = t.putObject("metadata");
        if (resourceVersion != null) {
            meta.put("resourceVersion", resourceVersion);
        }
        if (continueToken != null) {
            meta.put("continue", continueToken);
        }
        ArrayNode defs = t.putArray("columnDefinitions");
        for (Column c : columns(rt)) {
            ObjectNode d = defs.addObject();
            d.put("name", c.name());
            d.put("type", c.type());
            d.put("format", c.format());
            d.put("description", c.description());
            d.put("priority", c.priority());
        }
        ArrayNode rows = t.putArray("rows");
        for (ObjectNode o : objects) {
            rows.add(row(rt, o, includeObject));
        }
        return t;
    }

    static ObjectNode row(ResourceType rt, ObjectNode obj, String includeObject) {
        ObjectNode row = Json.object();
        ArrayNode cells = row.putArray("cells");
        for (Object v : cells(rt, obj)) {
            if (v instanceof Long l) {
                cells.add(l);
            } else if (v instanceof Integer i) {
                cells.add(i);
            } else if (v instanceof Boolean b) {
                cells.add(b);
            } else if (v == null) {
                cells.addNull();
            } else {
                cells.add(v.toString());
            }
        }
        switch (includeObject == null ? "Metadata" : includeObject) {
            case "None" -> {
            }
            case "Object" -> row.set("object", obj);
            default -> {
                ObjectNode partial = row.putObject("object");
                partial.put("kind", "PartialObjectMetadata");
                partial.put("apiVersion", "meta.k8s.io/v1");
                partial.set("metadata", obj.path("metadata").deepCopy());
            }
        }
        return row;
    }

    private static List<Column> columns(ResourceType rt) {
        List<Column> cols = new ArrayList<>();
        cols.add(new Column("Name", "string", "name", "Name must be unique within a namespace.", 0));
        String special = special(rt);
        switch (special) {
            case "pod" -> {
                cols.add(new Column("Ready", "string", "", "The aggregate readiness state of this pod.", 0));
                cols.add(new Column("Status", "string", "", "The aggregate status of the containers in this pod.", 0));
                cols.add(new Column("Restarts", "string", "", "The number of times the containers were restarted.", 0));
                cols.add(new Column("Age", "string", "", "Time since creation", 0));
                cols.add(new Column("IP", "string", "", "IP address assigned to the pod", 1));
                cols.add(new Column("Node", "string", "", "Name of the node the pod is bound to", 1));
            }
            case "node" -> {
                cols.add(new Column("Status", "string", "", "The status of the node", 0));
                cols.add(new Column("Roles", "string", "", "The roles of the node", 0));
                cols.add(new Column("Age", "string", "", "Time since creation", 0));
                cols.add(new Column("Version", "string", "", "Kubelet version", 0));
                cols.add(new Column("Internal-IP", "string", "", "Internal IP of the node", 1));
                cols.add(new Column("OS-Image", "string", "", "OS image reported by the node", 1));
                cols.add(new Column("Kernel-Version", "string", "", "Kernel version reported by the node", 1));
            }
            case "event" -> {
                cols.add(new Column("Last Seen", "string", "", "Time since the event was last seen", 0));
                cols.add(new Column("Type", "string", "", "Type of this event", 0));
                cols.add(new Column("Reason", "string", "", "Why the event was generated", 0));
                cols.add(new Column("Object", "string", "", "The object this event is about", 0));
                cols.add(new Column("Message", "string", "", "A human-readable description", 0));
            }
            default -> {
                List<PrinterColumn> pcs = rt.printerColumns().isEmpty() ? List.of(PrinterColumn.age())
                        : rt.printerColumns();
                for (PrinterColumn pc : pcs) {
                    String type = pc.type().equals("date") ? "string" : pc.type();
                    cols.add(new Column(pc.name(), type, "", pc.description(), pc.priority()));
                }
            }
        }
        return cols;
    }

    private static String special(ResourceType rt) {
        if (rt.group().isEmpty()) {
            return switch (rt.plural()) {
                case "pods" -> "pod";
                case "nodes" -> "node";
                case "events" -> "event";
                default -> "";
            };
        }
        return rt.group().equals("events.k8s.io") ? "event" : "";
    }

    private static List<Object> cells(ResourceType rt, ObjectNode o) {
        List<Object> out = new ArrayList<>();
        out.add(o.path("metadata").path("name").asText());
        String age = age(o.path("metadata").path("creationTimestamp").asText(null));
        switch (special(rt)) {
            case "pod" -> {
                int total = o.path("spec").path("containers").size();
                int ready = 0;
                long restarts = 0;
                for (JsonNode cs : o.path("status").path("containerStatuses")) {
                    if (cs.path("ready").asBoolean()) {
                        ready++;
                    }
                    restarts += cs.path("restartCount").asLong();
                }
                String status = o.path("status").path("reason").asText(o.path("status").path("phase").asText(""));
                if (o.path("metadata").has("deletionTimestamp")) {
                    status = "Terminating";
                }
                out.add(ready + "/" + total);
                out.add(status);
                out.add(Long.toString(restarts));
                out.add(age);
                out.add(o.path("status").path("podIP").asText("<none>"));
                out.add(o.path("spec").path("nodeName").asText("<none>"));
            }
            case "node" -> {
                String ready = "Unknown";
                for (JsonNode c : o.path("status").path("conditions")) {
                    if (c.path("type").asText().equals("Ready")) {
                        ready = c.path("status").asText().equals("True") ? "Ready" : "NotReady";
                    }
                }
                if (o.path("spec").path("unschedulable").asBoolean()) {
                    ready += ",SchedulingDisabled";
                }
                List<String> roles = new ArrayList<>();
                o.path("metadata").path("labels").fieldNames().forEachRemaining(l -> {
                    if (l.startsWith("node-role.kubernetes.io/")) {
                        roles.add(l.substring("node-role.kubernetes.io/".length()));
                    }
                });
                out.add(ready);
                out.add(roles.isEmpty() ? "<none>" : String.join(",", roles));
                out.add(age);
                out.add(o.path("status").path("nodeInfo").path("kubeletVersion").asText(""));
                String ip = "<none>";
                for (JsonNode a : o.path("status").path("addresses")) {
                    if (a.path("type").asText().equals("InternalIP")) {
                        ip = a.path("address").asText();
                    }
                }
                out.add(ip);
                out.add(o.path("status").path("nodeInfo").path("osImage").asText("<unknown>"));
                out.add(o.path("status").path("nodeInfo").path("kernelVersion").asText("<unknown>"));
            }
            case "event" -> {
                JsonNode regarding = o.has("regarding") ? o.path("regarding") : o.path("involvedObject");
                String last = o.path("lastTimestamp").asText(o.path("eventTime").asText(
                        o.path("metadata").path("creationTimestamp").asText(null)));
                out.add(age(last));
                out.add(o.path("type").asText(""));
                out.add(o.path("reason").asText(""));
                out.add(regarding.path("kind").asText("").toLowerCase() + "/" + regarding.path("name").asText(""));
                out.add(o.has("note") ? o.path("note").asText("") : o.path("message").asText(""));
            }
            default -> {
                List<PrinterColumn> pcs = rt.printerColumns().isEmpty() ? List.of(PrinterColumn.age())
                        : rt.printerColumns();
                for (PrinterColumn pc : pcs) {
                    out.add(cell(o, pc));
                }
            }
        }
        return out;
    }

    private static Object cell(ObjectNode o, PrinterColumn pc) {
        List<JsonNode> found = SimpleJsonPath.find(o, pc.jsonPath());
        if (found.isEmpty()) {
            return null;
        }
        JsonNode v = found.getFirst();
        if (pc.type().equals("date")) {
            return age(v.asText());
        }
        if (pc.type().equals("integer")) {
            if (v.isObject() || v.isArray()) {
                return (long) v.size(); // e.g. ConfigMap "Data": the number of entries
            }
            return v.isNumber() ? v.asLong() : v.asText();
        }
        if (pc.type().equals("boolean")) {
            return v.isBoolean() ? v.asBoolean() : v.asText();
        }
        if (found.size() > 1) {
            List<String> all = new ArrayList<>();
            found.forEach(n -> all.add(n.isValueNode() ? n.asText() : n.toString()));
            return String.join(",", all);
        }
        return v.isValueNode() ? v.asText() : v.toString();
    }

    static String age(String timestamp) {
        if (timestamp == null || timestamp.isEmpty()) {
            return "<unknown>";
        }
        try {
            return HumanDuration.of(Duration.between(Instant.parse(timestamp), Instant.now()));
        } catch (DateTimeParseException e) {
            return "<invalid>";
        }
    }
}
