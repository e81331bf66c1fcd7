package io.jvirt.launcher.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The agent channel state and the NICs read from live domain XML (as libvirt 9.0 writes it). */
class DomainDevicesTest {

    /** Trimmed from {@code virsh dumpxml} of a running test guest, agent connected. */
    private static final String LIVE = """
            <domain type='qemu' id='1'>
              <name>default_vm</name>
              <devices>
                <emulator>/usr/bin/qemu-system-x86_64</emulator>
                <interface type='user'>
                  <mac address='52:54:00:AA:BB:01'/>
                  <model type='virtio'/>
                  <alias name='ua-default'/>
                  <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
                </interface>
                <interface type='user'>
                  <mac address='52:54:00:aa:bb:02'/>
                  <model type='e1000'/>
                  <alias name='net1'/>
                </interface>
                <serial type='unix'>
                  <source mode='bind' path='/d/serial.sock'/>
                  <target type='isa-serial' port='0'/>
                  <alias name='serial0'/>
                </serial>
                <channel type='unix'>
                  <source mode='bind' path='/d/agent.sock'/>
                  <target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>
                  <alias name='channel0'/>
                </channel>
              </devices>
            </domain>
            """;

    @Test
    void readsTheAgentChannelStateAndTheNicsInDomainOrder() {
        DomainDevices d = DomainDevices.parse(LIVE);
        assertThat(d.agentConnected()).isTrue();
        assertThat(d.nics()).containsExactly(new DomainDevices.Nic("default", "52:54:00:aa:bb:01"),
                new DomainDevices.Nic(null, "52:54:00:aa:bb:02"));
    }

    @Test
    void aDisconnectedOrMissingChannelIsNotConnected() {
        assertThat(DomainDevices.parse(LIVE.replace("state='connected'", "state='disconnected'")).agentConnected())
                .isFalse();
        assertThat(DomainDevices.parse(LIVE.replace("org.qemu.guest_agent.0", "org.example.other")).agentConnected())
                .as("another channel").isFalse();
        assertThat(DomainDevices.parse("<domain><name>x</name></domain>"))
                .isEqualTo(new DomainDevices(false, java.util.List.of()));
    }

    @Test
    void brokenXmlIsAHypervisorException() {
        assertThatThrownBy(() -> DomainDevices.parse("<domain>")).isInstanceOf(HypervisorException.class);
    }
}
