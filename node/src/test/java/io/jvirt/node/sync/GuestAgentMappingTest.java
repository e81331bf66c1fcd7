package io.jvirt.node.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvirt.launcher.libvirt.DomainDevices;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** QGA replies (as the jvirt test guest and qemu-ga send them) → KubeVirt's status and subresource shapes. */
class GuestAgentMappingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String s) {
        try {
            return JSON.readTree(s.replace('\'', '"'));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    /** Re-parsed, so that numbers compare by value (a long 1024 and a parsed int 1024 are different nodes). */
    private static JsonNode norm(JsonNode n) {
        return json(n.toString());
    }

    /** guest-get-osinfo of the test guest. */
    static final JsonNode OSINFO = json("""
            {'kernel-release': '6.1.0-56-amd64', 'kernel-version': '#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2',
             'machine': 'x86_64', 'id': 'jvirt-test-guest', 'name': 'jvirt test guest',
             'pretty-name': 'jvirt test guest (busybox + Debian kernel)', 'version': '1 (busybox + Debian kernel)',
             'version-id': '1'}""");
    /** guest-network-get-interfaces of the test guest (user-mode network). */
    static final JsonNode IFACES = json("""
            [{'name': 'lo', 'hardware-address': '00:00:00:00:00:00', 'ip-addresses': [
                {'ip-address-type': 'ipv4', 'ip-address': '127.0.0.1', 'prefix': 8},
                {'ip-address-type': 'ipv6', 'ip-address': '::1', 'prefix': 128}]},
             {'name': 'eth0', 'hardware-address': '52:54:00:AA:BB:01', 'ip-addresses': [
                {'ip-address-type': 'ipv6', 'ip-address': 'fec0::5054:ff:feaa:bb01', 'prefix': 64},
                {'ip-address-type': 'ipv4', 'ip-address': '10.0.2.15', 'prefix': 24},
                {'ip-address-type': 'ipv6', 'ip-address': 'fe80::5054:ff:feaa:bb01', 'prefix': 64}]},
             {'name': 'docker0', 'hardware-address': '02:42:ac:11:00:01', 'ip-addresses': [
                {'ip-address-type': 'ipv4', 'ip-address': '172.17.0.1', 'prefix': 16}]}]""");

    @Test
    void guestOsInfoRenamesTheFieldsAndLeavesOutEmptyOnes() {
        assertThat(GuestAgentMapping.guestOsInfo(OSINFO)).isEqualTo(json("""
                {'name': 'jvirt test guest', 'kernelRelease': '6.1.0-56-amd64',
                 'version': '1 (busybox + Debian kernel)', 'prettyName': 'jvirt test guest (busybox + Debian kernel)',
                 'versionId': '1',
                 'kernelVersion': '#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2', 'machine': 'x86_64',
                 'id': 'jvirt-test-guest'}"""));
        assertThat(GuestAgentMapping.guestOsInfo(json("{'id': 'mswindows', 'name': '', 'version': null}")))
                .isEqualTo(json("{'id': 'mswindows'}"));
    }

    @Test
    void interfacesMergeDomainNicsWithTheGuestsByMac() {
        List<DomainDevices.Nic> nics = List.of(new DomainDevices.Nic("default", "52:54:00:aa:bb:01"),
                new DomainDevices.Nic("second", "52:54:00:aa:bb:02"));
        assertThat(GuestAgentMapping.interfaces(nics, IFACES, "10.0.2.15")).isEqualTo(json("""
                [{'name': 'default', 'mac': '52:54:00:aa:bb:01', 'interfaceName': 'eth0', 'ipAddress': '10.0.2.15',
                  'ipAddresses': ['fec0::5054:ff:feaa:bb01', '10.0.2.15', 'fe80::5054:ff:feaa:bb01'],
                  'infoSource': 'domain, guest-agent'},
                 {'name': 'second', 'mac': '52:54:00:aa:bb:02', 'ipAddress': '10.0.2.15', 'ipAddresses': ['10.0.2.15'],
                  'infoSource': 'domain'},
                 {'mac': '02:42:ac:11:00:01', 'interfaceName': 'docker0', 'ipAddress': '172.17.0.1',
                  'ipAddresses': ['172.17.0.1'], 'infoSource': 'guest-agent'}]"""));
    }

    @Test
    void withoutAgentDataEveryNicIsFromTheDomain() {
        assertThat(GuestAgentMapping.interfaces(List.of(new DomainDevices.Nic("default", "52:54:00:aa:bb:01")), null,
                "10.0.2.15")).isEqualTo(json("""
                [{'name': 'default', 'mac': '52:54:00:aa:bb:01', 'ipAddress': '10.0.2.15', 'ipAddresses': ['10.0.2.15'],
                  'infoSource': 'domain'}]"""));
        assertThat(GuestAgentMapping.interfaces(List.of(), IFACES, "10.0.2.15")).as("no NICs in the domain")
                .hasSize(2);
    }

    @Test
    void anIpv6OnlyInterfaceUsesItsFirstAddress() {
        JsonNode v6 = json("""
                [{'name': 'eth0', 'hardware-address': '52:54:00:aa:bb:01', 'ip-addresses': [
                   {'ip-address-type': 'ipv6', 'ip-address': 'fd00::5', 'prefix': 64}]},
                 {'name': 'eth1', 'hardware-address': '52:54:00:aa:bb:02'}]""");
        assertThat(GuestAgentMapping.interfaces(List.of(new DomainDevices.Nic("default", "52:54:00:aa:bb:01"),
                new DomainDevices.Nic("down", "52:54:00:aa:bb:02")), v6, "10.0.2.15")).isEqualTo(json("""
                [{'name': 'default', 'mac': '52:54:00:aa:bb:01', 'interfaceName': 'eth0', 'ipAddress': 'fd00::5',
                  'ipAddresses': ['fd00::5'], 'infoSource': 'domain, guest-agent'},
                 {'name': 'down', 'mac': '52:54:00:aa:bb:02', 'interfaceName': 'eth1',
                  'infoSource': 'domain, guest-agent'}]"""));
    }

    @Test
    void guestAgentInfoAsVirtLauncherBuildsIt() {
        JsonNode info = json("""
                {'version': '1.0.0', 'supported_commands': [
                   {'enabled': true, 'name': 'guest-ping', 'success-response': true},
                   {'enabled': false, 'name': 'guest-exec', 'success-response': true}]}""");
        JsonNode fs = json("""
                [{'name': 'vda1', 'mountpoint': '/', 'type': 'ext4', 'used-bytes': 1024, 'total-bytes': 4096,
                  'disk': [{'pci-controller': {'domain': 0, 'bus': 4, 'slot': 0, 'function': 0}, 'bus-type': 'virtio',
                            'bus': 0, 'target': 0, 'unit': 0, 'serial': 'rootdisk', 'dev': '/dev/vda'}]},
                 {'name': 'sr0', 'mountpoint': '/mnt/cd', 'type': 'iso9660', 'used-bytes': 366, 'total-bytes': 366,
                  'disk': [{'bus-type': 'sata', 'bus': 0, 'target': 0, 'unit': 0}]}]""");
        Map<String, JsonNode> replies = Map.of("guest-info", info,
                "guest-get-host-name", json("{'host-name': 'vm1'}"),
                "guest-get-osinfo", OSINFO,
                "guest-get-timezone", json("{'zone': 'CET', 'offset': 3600}"),
                "guest-get-users", json("[{'user': 'root', 'login-time': 1700000000.25}]"),
                "guest-get-fsinfo", fs,
                "guest-fsfreeze-status", json("'thawed'"));
        assertThat(norm(GuestAgentMapping.guestAgentInfo(replies))).isEqualTo(json("""
                {'guestAgentVersion': '1.0.0',
                 'supportedCommands': [{'name': 'guest-ping', 'enabled': true}, {'name': 'guest-exec'}],
                 'hostname': 'vm1',
                 'os': {'name': 'jvirt test guest', 'kernelRelease': '6.1.0-56-amd64',
                        'version': '1 (busybox + Debian kernel)',
                        'prettyName': 'jvirt test guest (busybox + Debian kernel)', 'versionId': '1',
                        'kernelVersion': '#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2', 'machine': 'x86_64',
                        'id': 'jvirt-test-guest'},
                 'timezone': 'CET, 3600',
                 'userList': [{'userName': 'root', 'loginTime': 1700000000250}],
                 'fsInfo': {'disks': [
                   {'diskName': 'vda1', 'mountPoint': '/', 'fileSystemType': 'ext4', 'usedBytes': 1024,
                    'totalBytes': 4096, 'disk': [{'serial': 'rootdisk', 'busType': 'virtio'}]},
                   {'diskName': 'sr0', 'mountPoint': '/mnt/cd', 'fileSystemType': 'iso9660', 'usedBytes': 366,
                    'totalBytes': 366, 'disk': [{'busType': 'sata'}]}]},
                 'fsFreezeStatus': 'thawed'}"""));
    }

    @Test
    void commandsThatFailedAreLeftOut() {
        assertThat(norm(GuestAgentMapping.guestAgentInfo(Map.of("guest-get-host-name", json("{'host-name': 'vm1'}")))))
                .isEqualTo(json("{'hostname': 'vm1', 'os': {}, 'fsInfo': {'disks': []}}"));
    }

    @Test
    void guestAgentInfoCapsUsersAndFileSystemsAtTen() {
        StringBuilder users = new StringBuilder("[");
        for (int i = 0; i < 12; i++) {
            users.append(i == 0 ? "" : ",").append("{'user': 'u").append(i).append("', 'login-time': 1}");
        }
        JsonNode u = json(users + "]");
        assertThat(GuestAgentMapping.guestAgentInfo(Map.of("guest-get-users", u)).path("userList")).hasSize(10);
        assertThat(GuestAgentMapping.userList(u).path("items")).as("the userlist subresource has them all")
                .hasSize(12);
    }

    @Test
    void userListAndFileSystemListAreKubernetesLists() {
        assertThat(norm(GuestAgentMapping.userList(json(
                "[{'user': 'root', 'domain': 'WORKGROUP', 'login-time': 1795407162}]"))))
                .isEqualTo(json("""
                        {'metadata': {}, 'items': [
                          {'userName': 'root', 'domain': 'WORKGROUP', 'loginTime': 1795407162000}]}"""));
        assertThat(norm(GuestAgentMapping.userList(null))).isEqualTo(json("{'metadata': {}, 'items': []}"));
        JsonNode fsinfo = json("""
                [{'name': 'vdb', 'mountpoint': '/mnt/cidata', 'type': 'iso9660', 'used-bytes': 376832,
                  'total-bytes': 376832,
                  'disk': [{'bus-type': 'virtio', 'serial': 'cloudinit', 'dev': '/dev/vdb'}]}]""");
        assertThat(norm(GuestAgentMapping.fileSystemList(fsinfo))).isEqualTo(json("""
                {'metadata': {}, 'items': [
                  {'diskName': 'vdb', 'mountPoint': '/mnt/cidata', 'fileSystemType': 'iso9660', 'usedBytes': 376832,
                   'totalBytes': 376832, 'disk': [{'serial': 'cloudinit', 'busType': 'virtio'}]}]}"""));
    }
}
