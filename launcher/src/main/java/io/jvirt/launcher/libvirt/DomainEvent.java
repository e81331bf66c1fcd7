package io.jvirt.launcher.libvirt;

import java.time.Instant;
import java.util.List;

/**
 * A libvirt lifecycle event ({@code VIR_DOMAIN_EVENT_ID_LIFECYCLE}).
 *
 * @param domain     domain name
 * @param uuid       domain UUID
 * @param type       event type ({@code virDomainEventType})
 * @param detailCode event detail ({@code virDomainEvent<Type>DetailType})
 * @param detail     the detail's name, lower-case with hyphens ({@code destroyed}, {@code booted}, ...)
 * @param receivedAt when the event loop delivered the event
 */
public record DomainEvent(String domain, String uuid, Type type, int detailCode, String detail, Instant receivedAt) {

    /** {@code virDomainEventType} with the names of each type's details. */
    public enum Type {
        DEFINED(0, List.of("added", "updated", "renamed", "from-snapshot")),
        UNDEFINED(1, List.of("removed", "renamed")),
        STARTED(2, List.of("booted", "migrated", "restored", "from-snapshot", "wakeup")),
        SUSPENDED(3, List.of("paused", "migrated", "ioerror", "watchdog", "restored", "from-snapshot", "api-error",
                "postcopy", "postcopy-failed")),
        RESUMED(4, List.of("unpaused", "migrated", "from-snapshot", "postcopy", "postcopy-failed")),
        STOPPED(5, List.of("shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from-snapshot")),
        SHUTDOWN(6, List.of("finished", "guest", "host")),
        PMSUSPENDED(7, List.of("memory", "disk")),
        CRASHED(8, List.of("panicked", "crashloaded")),
        UNKNOWN(-1, List.of());

        private final int code;
        private final List<String> details;

        Type(int code, List<String> details) {
            this.code = code;
            this.details = details;
        }

        public int code() {
            return code;
        }

        public String detailName(int detail) {
            return detail >= 0 && detail < details.size() ? details.get(detail) : "detail-" + detail;
        }

        public static Type fromCode(int code) {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            return UNKNOWN;
        }
    }

    public static DomainEvent of(String domain, String uuid, int type, int detail) {
        Type t = Type.fromCode(type);
        return new DomainEvent(domain, uuid, t, detail, t.detailName(detail), Instant.now());
    }
}
