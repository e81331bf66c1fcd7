package io.jvirt.launcher.libvirt;

import java.time.Instant;

/**
 * A guest agent lifecycle event ({@code VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE}): libvirt saw the guest open
 * ({@code connected}) or close the agent's virtio-serial port, or the domain (re)start.
 *
 * @param domain     domain name
 * @param connected  whether the agent is connected now
 * @param reason     {@code unknown}, {@code domain-started} or {@code channel}
 * @param receivedAt when the event loop delivered the event
 */
public record AgentEvent(String domain, boolean connected, String reason, Instant receivedAt) {

    /** {@code virConnectDomainEventAgentLifecycleState}: 1 connected, 2 disconnected. */
    private static final int STATE_CONNECTED = 1;

    static AgentEvent of(String domain, int state, int reason) {
        String r = switch (reason) {
            case 1 -> "domain-started";
            case 2 -> "channel";
            default -> "unknown";
        };
        return new AgentEvent(domain, state == STATE_CONNECTED, r, Instant.now());
    }
}
