package io.jvirt.api.schema;

import static io.jvirt.api.schema.Defs.V1;
import static io.jvirt.api.schema.Schema.array;
import static io.jvirt.api.schema.Schema.bool;
import static io.jvirt.api.schema.Schema.empty;
import static io.jvirt.api.schema.Schema.int32;
import static io.jvirt.api.schema.Schema.int64;
import static io.jvirt.api.schema.Schema.object;
import static io.jvirt.api.schema.Schema.ref;
import static io.jvirt.api.schema.Schema.string;
import static io.jvirt.api.schema.Schema.stringArray;

/**
 * {@code spec.domain.devices}: disks, network interfaces, GPUs, host devices, watchdog, TPM, video and the
 * auto-attach switches (KubeVirt's {@code Devices} and friends in {@code schema.go}).
 */
final class DeviceSchemas {
    static final String DEVICES = V1 + "Devices";
    static final String DISK = V1 + "Disk";
    static final String BLOCK_SIZE = V1 + "BlockSize";
    static final String INTERFACE = V1 + "Interface";
    static final String GPU = V1 + "GPU";
    static final String HOST_DEVICE = V1 + "HostDevice";
    static final String VGPU_OPTIONS = V1 + "VGPUOptions";
    static final String TPM = V1 + "TPMDevice";
    static final String RNG = V1 + "Rng";
    static final String INTERFACE_MASQUERADE = V1 + "InterfaceMasquerade";

    private DeviceSchemas() {
    }

    static void register(Defs d) {
        registerDisks(d);
        registerInterfaces(d);

        Schema claimName = string("Name of an entry in spec.resourceClaims the device is allocated from "
                + "(dynamic resource allocation).");
        Schema requestName = string("Name of the request inside that ResourceClaim.");
        Schema tag = string("Tag passed to the guest with the device's address in the config drive metadata.");
        d.define(VGPU_OPTIONS, object("Options of a virtual (mediated) GPU.")
                .prop("display", object("Display backed by the vGPU.")
                        .prop("enabled", bool("Whether the vGPU provides the guest's display. Defaults to "
                                + "true."))
                        .prop("ramFB", ref(DomainSchemas.FEATURE_STATE, "Boot framebuffer shown until the guest "
                                + "driver takes over; enabled by default."))
                        .build())
                .build());
        d.define(GPU, object("A GPU passed through to the guest.")
                .prop("name", string("Name of the GPU device within the VMI."))
                .prop("deviceName", string("Resource name of the GPU as advertised by a device plugin, e.g. "
                        + "\"nvidia.com/TU104GL_Tesla_T4\"."))
                .prop("claimName", claimName)
                .prop("requestName", requestName)
                .prop("virtualGPUOptions", ref(VGPU_OPTIONS, "Options for mediated (virtual) GPUs."))
                .prop("tag", tag)
                .required("name")
                .build());
        d.define(HOST_DEVICE, object("A host PCI or mediated device passed through to the guest.")
                .prop("name", string("Name of the device within the VMI."))
                .prop("deviceName", string("Resource name of the device as advertised by a device plugin; must be "
                        + "permitted in the cluster configuration."))
                .prop("claimName", claimName)
                .prop("requestName", requestName)
                .prop("tag", tag)
                .required("name")
                .build());
        d.define(TPM, object("Emulated Trusted Platform Module.")
                .prop("enabled", bool("Set to false to remove a TPM a preference would add. Defaults to true."))
                .prop("persistent", bool("When true, the TPM state is kept across restarts (stored in a PVC). "
                        + "Defaults to false."))
                .build());
        d.define(RNG, empty("Virtio random number generator fed from the host's entropy; an empty object "
                + "enables it."));

        Schema action = string("What the watchdog does when it fires: poweroff, reset (default) or shutdown.");
        String watchdog = d.define(V1 + "Watchdog", object("A hardware watchdog device; set exactly one model.")
                .prop("name", string("Name of the watchdog."))
                .prop("i6300esb", object("Intel 6300ESB watchdog.").prop("action", action).build())
                .prop("diag288", object("diag288 watchdog (s390x only).").prop("action", action).build())
                .required("name")
                .build());
        String input = d.define(V1 + "Input", object("An input device such as a tablet for absolute pointer "
                + "positions over VNC.")
                .prop("name", string("Name of the input device."))
                .prop("type", string("Device type; only \"tablet\" and \"keyboard\" are supported."))
                .prop("bus", string("Bus of the device: usb or virtio. Defaults to usb."))
                .required("type", "name")
                .build());
        String filesystem = d.define(V1 + "Filesystem", object("A directory shared with the guest through "
                + "virtiofs; the name must match a volume.")
                .prop("name", string("Name of the filesystem; matches a volume name."))
                .prop("virtiofs", empty("Share the volume with virtiofs (the only supported method)."))
                .required("name", "virtiofs")
                .build());

        d.define(DEVICES, object("Devices attached to the guest.")
                .prop("disks", array("Disks, CD-ROMs and LUNs of the guest; each refers to a volume by name. At "
                        + "most 256.", ref(DISK, null)))
                .prop("interfaces", array("Network interfaces of the guest; each refers to a network by name. "
                        + "At most 256.", ref(INTERFACE, null)))
                .prop("inputs", array("Input devices.", ref(input, null)))
                .prop("watchdog", ref(watchdog, "Hardware watchdog."))
                .prop("gpus", array("GPUs passed through from the node.", ref(GPU, null)))
                .prop("hostDevices", array("Host PCI/mediated devices passed through from the node.",
                        ref(HOST_DEVICE, null)))
                .prop("filesystems", array("Volumes shared as filesystems (virtiofs) instead of disks.",
                        ref(filesystem, null)))
                .prop("autoattachPodInterface", bool("Whether a pod-network interface is added when no "
                        + "interfaces are listed. Defaults to true."))
                .prop("autoattachGraphicsDevice", bool("Whether a VGA/VNC graphics device is added. Without it "
                        + "there is no VNC console. Defaults to true."))
                .prop("autoattachSerialConsole", bool("Whether the default serial console is added. Without it "
                        + "there is no serial console access. Defaults to true."))
                .prop("logSerialConsole", bool("Whether the serial console output is also logged through the "
                        + "guest-console-log container. Defaults to the cluster setting."))
                .prop("autoattachMemBalloon", bool("Whether a virtio memory balloon device is added (used for "
                        + "memory statistics and free page reporting). Defaults to true."))
                .prop("autoattachInputDevice", bool("Whether a default input device is added. Defaults to "
                        + "false."))
                .prop("autoattachVSOCK", bool("Whether a virtio VSOCK device with a cluster-unique CID is added. "
                        + "Defaults to false."))
                .prop("rng", ref(RNG, "Random number generator device."))
                .prop("blockMultiQueue", bool("When true, virtio disks get one queue per vCPU. Defaults to "
                        + "false."))
                .prop("networkInterfaceMultiqueue", bool("When true, virtio network interfaces get vhost "
                        + "multi-queue, one queue per vCPU up to a limit."))
                .prop("useVirtioTransitional", bool("When true, virtio devices use the transitional (virtio "
                        + "0.9 compatible) model for old guests such as RHEL 6."))
                .prop("disableHotplug", bool("When true, volumes cannot be hot-plugged into the guest."))
                .prop("downwardMetrics", empty("Expose host and guest metrics to the guest over a virtio "
                        + "serial port."))
                .prop("panicDevices", array("Devices through which the guest reports a crash to the host.",
                        object("A panic notifier device.")
                                .prop("model", string("Device model: isa, hyperv or pvpanic. Defaults per "
                                        + "architecture."))
                                .build()))
                .prop("clientPassthrough", empty("Allow redirecting USB devices from a client machine into the "
                        + "guest (usbredir)."))
                .prop("sound", object("An emulated sound card.")
                        .prop("name", string("Name of the sound device."))
                        .prop("model", string("Sound card model: ich9 (default) or ac97."))
                        .required("name")
                        .build())
                .prop("tpm", ref(TPM, "Emulated TPM."))
                .prop("video", object("Video device of the guest.")
                        .prop("type", string("Video device model such as virtio, vga, bochs or ramfb. Defaults "
                                + "per architecture and firmware."))
                        .build())
                .build());
    }

    private static void registerDisks(Defs d) {
        Schema bus = string("Bus the device is emulated on: virtio, sata, scsi or usb. Defaults to virtio "
                + "(sata for CD-ROMs).");
        String diskTarget = d.define(V1 + "DiskTarget", object("Attach the volume as a regular disk.")
                .prop("bus", bus)
                .prop("readonly", bool("Expose the disk read-only. Defaults to false."))
                .prop("pciAddress", string("Guest PCI address to place the disk at, e.g. \"0000:81:01.1\"; "
                        + "virtio bus only."))
                .build());
        String lunTarget = d.define(V1 + "LunTarget", object("Attach the volume as a SCSI LUN passed through "
                + "from the PVC's block device.")
                .prop("bus", bus)
                .prop("readonly", bool("Expose the LUN read-only. Defaults to false."))
                .prop("reservation", bool("Allow SCSI persistent reservations on the LUN."))
                .build());
        String cdromTarget = d.define(V1 + "CDRomTarget", object("Attach the volume as a CD-ROM.")
                .prop("bus", string("Bus the CD-ROM is emulated on: sata (default), scsi or usb; virtio is not "
                        + "allowed."))
                .prop("readonly", bool("Expose the CD-ROM read-only. Defaults to true."))
                .prop("tray", string("Whether the tray is open or closed. Defaults to closed."))
                .build());
        d.define(BLOCK_SIZE, object("Block sizes presented to the guest; set one of custom and matchVolume.")
                .prop("custom", object("Explicit block sizes in bytes.")
                        .prop("logical", int64("Logical block size (512 to 2Mi, a power of two)."))
                        .prop("physical", int64("Physical block size (512 to 2Mi, a power of two)."))
                        .prop("discardGranularity", int64("Granularity of discard (unmap) requests in bytes."))
                        .build())
                .prop("matchVolume", ref(DomainSchemas.FEATURE_STATE, "Detect the sizes from the underlying "
                        + "volume."))
                .build());
        d.define(DISK, object("A disk, CD-ROM or LUN of the guest, backed by the volume of the same name. Set "
                + "at most one of disk, cdrom and lun (disk is the default).")
                .prop("name", string("Name of the disk; must match the name of a volume."))
                .prop("disk", ref(diskTarget, "Attach as a regular disk."))
                .prop("cdrom", ref(cdromTarget, "Attach as a CD-ROM."))
                .prop("lun", ref(lunTarget, "Attach as a SCSI LUN."))
                .prop("bootOrder", int64("Boot priority, 1 or higher; lower boots first. Must be unique across "
                        + "disks and interfaces; when any device has one, devices without are not booted."))
                .prop("serial", string("Serial number the guest sees for the disk (letters, digits, '_', '.', "
                        + "'+', '-')."))
                .prop("dedicatedIOThread", bool("When true, the disk gets its own QEMU IOThread; virtio bus "
                        + "only. Defaults to false."))
                .prop("cache", string("Host page cache mode: none, writethrough or writeback. Defaults to none "
                        + "when the storage supports direct I/O, writethrough otherwise."))
                .prop("io", string("QEMU I/O mode: native or threads. Defaults to native for preallocated or "
                        + "block storage with cache none."))
                .prop("tag", string("Tag passed to the guest with the disk's address in the config drive "
                        + "metadata."))
                .prop("blockSize", ref(BLOCK_SIZE, "Logical/physical block sizes the guest sees."))
                .prop("shareable", bool("Allow several VMs to write the disk at once; requires cache none."))
                .prop("errorPolicy", string("What to do on an I/O error: stop (default), report, ignore or "
                        + "enospace."))
                .prop("changedBlockTracking", bool("Track changed blocks on this disk for incremental backups. "
                        + "Defaults to false."))
                .required("name")
                .build());
    }

    private static void registerInterfaces(Defs d) {
        d.define(INTERFACE_MASQUERADE, empty("Connect through NAT: the guest gets a private address and traffic "
                + "leaves with the pod's IP. Live-migratable."));
        String port = d.define(V1 + "Port", object("A port forwarded to the guest.")
                .prop("name", string("Name of the port (an IANA service name), unique within the VMI."))
                .prop("protocol", string("Protocol: TCP (default) or UDP."))
                .prop("port", int32("Port number, 1 to 65535."))
                .required("port")
                .build());
        String dhcp = d.define(V1 + "DHCPOptions", object("Extra options the built-in DHCP server hands to the "
                + "guest.")
                .prop("bootFileName", string("Boot file name (DHCP option 67)."))
                .prop("tftpServerName", string("TFTP server name (DHCP option 66)."))
                .prop("ntpServers", stringArray("NTP servers (DHCP option 42)."))
                .prop("privateOptions", array("Private-use DHCP options (224-254).",
                        object("A private DHCP option.")
                                .prop("option", int32("Option number, 224 to 254."))
                                .prop("value", string("Option value."))
                                .required("option", "value")
                                .build()))
                .build());
        d.define(INTERFACE, object("A network interface of the guest, connected to the network of the same "
                + "name. Set at most one binding method (bridge, masquerade, sriov, passtBinding) or a binding "
                + "plugin.")
                .prop("name", string("Name of the interface; must match the name of a network."))
                .prop("model", string("Emulated NIC model: e1000, e1000e, igb, ne2k_pci, pcnet, rtl8139 or "
                        + "virtio (default)."))
                .prop("bridge", empty("Connect through a Linux bridge in the pod: the guest takes over the pod "
                        + "interface's address."))
                .prop("masquerade", ref(INTERFACE_MASQUERADE, "Connect through NAT behind the pod's IP."))
                .prop("sriov", empty("Pass an SR-IOV virtual function through to the guest (vfio)."))
                .prop("slirp", empty("Deprecated user-mode networking; removed in KubeVirt v1.3."))
                .prop("macvtap", empty("Deprecated macvtap binding; removed in KubeVirt v1.3."))
                .prop("passt", empty("Deprecated passt binding; removed in KubeVirt v1.3, use a binding "
                        + "plugin."))
                .prop("passtBinding", empty("Connect through passt user-mode networking."))
                .prop("binding", object("A network binding plugin registered in the KubeVirt configuration.")
                        .prop("name", string("Name of the binding plugin."))
                        .required("name")
                        .build())
                .prop("ports", array("Ports forwarded to the guest (masquerade); all ports when empty.",
                        ref(port, null)))
                .prop("macAddress", string("MAC address of the interface, e.g. \"de:ad:00:00:be:af\"."))
                .prop("bootOrder", int64("Boot priority, 1 or higher; lower boots first. Unique across disks and "
                        + "interfaces; interfaces without one are not booted from."))
                .prop("pciAddress", string("Guest PCI address of the interface, e.g. \"0000:81:01.1\"."))
                .prop("dhcpOptions", ref(dhcp, "Extra DHCP options for the guest."))
                .prop("tag", string("Tag passed to the guest with the interface's address in the config drive "
                        + "metadata."))
                .prop("acpiIndex", int32("ACPI index for stable interface naming in the guest, 1 to 16383, unique "
                        + "across devices."))
                .prop("state", string("Requested state of the interface: up (default), down (link down) or "
                        + "absent (remove it)."))
                .required("name")
                .build());
    }
}
