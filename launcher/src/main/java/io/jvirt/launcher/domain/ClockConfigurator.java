package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Set;

/**
 * {@code <clock>} from {@code spec.domain.clock}: UTC by default; {@code utc.offsetSeconds} becomes
 * {@code adjustment} (else {@code reset}, as KubeVirt); {@code timezone}; timers rtc, pit, kvm (kvmclock), hpet and
 * hyperv (hypervclock) with {@code present}, {@code tickPolicy} and {@code track}.
 */
final class ClockConfigurator implements DomainConfigurator {

    private static final String CLOCK = "spec.domain.clock";
    private static final String TIMER = CLOCK + ".timer";
    /** KubeVirt timer key → libvirt timer name. */
    private static final String[][] TIMERS = {
            {"rtc", "rtc"}, {"pit", "pit"}, {"kvm", "kvmclock"}, {"hpet", "hpet"}, {"hyperv", "hypervclock"},
    };
    private static final Set<String> TICK_POLICIES = Set.of("delay", "catchup", "merge", "discard");
    private static final Set<String> TRACKS = Set.of("guest", "wall", "boot", "realtime");

    @Override
    public void configure(Vmi vmi, ConverterContext ctx, DomainSpec domain) {
        JsonNode clock = Json.object(vmi.domain(), "clock", Vmi.DOMAIN);
        XmlElement element = new XmlElement("clock");
        JsonNode utc = Json.object(clock, "utc", CLOCK);
        String timezone = Json.text(clock, "timezone", CLOCK);
        if (Json.isSet(utc) && timezone != null) {
            throw ConversionException.at(CLOCK, "set only one of utc and timezone");
        }
        if (timezone != null) {
            element.attr("offset", "timezone").attr("timezone", timezone);
        } else if (Json.isSet(utc)) {
            Long offset = Json.integer(utc, "offsetSeconds", CLOCK + ".utc");
            element.attr("offset", "utc").attr("adjustment", offset == null ? "reset" : offset.toString());
        } else {
            element.attr("offset", "utc");
        }

        JsonNode timer = Json.object(clock, "timer", CLOCK);
        for (String[] t : TIMERS) {
            JsonNode spec = Json.object(timer, t[0], TIMER);
            if (!Json.isSet(spec)) {
                continue;
            }
            String path = TIMER + "." + t[0];
            XmlElement e = element.child("timer").attr("name", t[1]);
            String tickPolicy = Json.text(spec, "tickPolicy", path);
            if (tickPolicy != null) {
                if (!TICK_POLICIES.contains(tickPolicy)) {
                    throw ConversionException.at(path + ".tickPolicy", "'" + tickPolicy + "' is not one of "
                            + "delay, catchup, merge, discard");
                }
                e.attr("tickpolicy", tickPolicy);
            }
            String track = Json.text(spec, "track", path);
            if (track != null) {
                if (!TRACKS.contains(track)) {
                    throw ConversionException.at(path + ".track", "'" + track + "' is not one of guest, wall");
                }
                e.attr("track", track);
            }
            e.attr("present", Json.bool(spec, "present", true, path) ? "yes" : "no");
        }
        domain.clock = element;
    }
}
