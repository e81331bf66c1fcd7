package io.jvirt.launcher.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Agent replies as libvirt passes them on ({@code virDomainQemuAgentCommand}). */
class GuestAgentTest {

    @Test
    void theReturnValueOfAReply() {
        assertThat(GuestAgent.returnValue("guest-get-host-name", "{\"return\":{\"host-name\":\"vm1\"}}")
                .path("host-name").asText()).isEqualTo("vm1");
        assertThat(GuestAgent.returnValue("guest-fsfreeze-status", "{\"return\":\"thawed\"}").asText())
                .isEqualTo("thawed");
        assertThat(GuestAgent.returnValue("guest-get-users", "{\"return\":[]}").isArray()).isTrue();
    }

    @Test
    void errorRepliesAndGarbageAreGuestAgentExceptions() {
        assertThatThrownBy(() -> GuestAgent.returnValue("guest-exec",
                "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command guest-exec has not been found\"}}"))
                .isInstanceOf(GuestAgentException.class)
                .hasMessage("guest agent command guest-exec failed: CommandNotFound: The command guest-exec has not "
                        + "been found");
        assertThatThrownBy(() -> GuestAgent.returnValue("guest-ping", "not json"))
                .isInstanceOf(GuestAgentException.class).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> GuestAgent.returnValue("guest-ping", "{}"))
                .isInstanceOf(GuestAgentException.class).hasMessageContaining("no return value");
    }

    @Test
    void onlyPlainCommandNamesAreSent() {
        GuestAgent agent = new GuestAgent(null);
        assertThatThrownBy(() -> agent.execute("d", "guest-ping\"}, {\"x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unresponsiveIsLibvirtsAgentUnresponsiveCode() {
        assertThat(new GuestAgentException("Guest agent is not responding: QEMU guest agent is not connected", 86,
                null).unresponsive()).isTrue();
        assertThat(new GuestAgentException("internal error", 1, null).unresponsive()).isFalse();
    }
}
