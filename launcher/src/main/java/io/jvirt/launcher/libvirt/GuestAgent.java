package io.jvirt.launcher.libvirt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The QEMU guest agents of a hypervisor's domains, as KubeVirt's virt-launcher uses them: through libvirt, which
 * connects to the agent's socket once the guest opens the {@value DomainDevices#AGENT_CHANNEL} port, syncs with it
 * ({@code guest-sync}) and passes commands on ({@link Hypervisor#agentCommand}). Every command waits at most
 * {@value #TIMEOUT_SECONDS} s, so a hung agent costs callers no more than that.
 */
public final class GuestAgent {

    /**
     * Seconds to wait for an agent reply. virt-launcher gives libvirt's agent calls 10 s; the test guest's agent
     * answers in ~10–60 ms under TCG, and a slow or absent agent must not hold the node agent long.
     */
    public static final int TIMEOUT_SECONDS = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Hypervisor hypervisor;

    public GuestAgent(Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    /** The agent channel's state and the NICs of a running domain, from its live XML (no agent call). */
    public DomainDevices devices(String domain) {
        return DomainDevices.parse(hypervisor.xml(domain));
    }

    /**
     * Runs a QGA command without arguments (e.g. {@code guest-get-osinfo}) and returns its {@code return} value.
     *
     * @throws GuestAgentException no agent, no reply in time, or an error reply
     */
    public JsonNode execute(String domain, String command) {
        if (!command.matches("[a-z0-9-]+")) {
            throw new IllegalArgumentException("not a guest agent command name: " + command);
        }
        return returnValue(command, hypervisor.agentCommand(domain, "{\"execute\":\"" + command + "\"}",
                TIMEOUT_SECONDS));
    }

    /** The {@code return} member of an agent reply; an {@code error} reply or anything else is an exception. */
    static JsonNode returnValue(String command, String reply) {
        JsonNode r;
        try {
            r = JSON.readTree(reply);
        } catch (JsonProcessingException e) {
            throw new GuestAgentException("guest agent reply to " + command + " is not JSON: " + e.getOriginalMessage(),
                    -1, e);
        }
        if (r != null && r.has("return")) {
            return r.get("return");
        }
        JsonNode error = r == null ? null : r.get("error");
        if (error != null) {
            throw new GuestAgentException("guest agent command " + command + " failed: "
                    + error.path("class").asText("GenericError") + ": " + error.path("desc").asText(""), -1, null);
        }
        throw new GuestAgentException("guest agent reply to " + command + " has no return value: " + reply, -1, null);
    }
}
