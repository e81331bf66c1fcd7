package io.jvirt.launcher.runtime;

import io.jvirt.launcher.libvirt.DomainStatus;
import java.nio.file.Path;

/**
 * Result of {@link VmiRuntime#start}.
 *
 * @param domainName   libvirt domain name ({@code <namespace>_<name>})
 * @param vmiDir       the VMI's directory ({@code DATA/vmis/<namespace>/<name>})
 * @param serialSocket unix socket of serial port 0 (QEMU listens; connect to read/write the console), or null
 * @param vncSocket    unix socket of the VNC server, or null
 * @param agentSocket  unix socket of the qemu-guest-agent channel
 * @param status       domain status right after the start
 * @param alreadyRunning true when the domain was already running and start() changed nothing
 */
public record StartedVmi(String domainName, Path vmiDir, Path serialSocket, Path vncSocket, Path agentSocket,
                         DomainStatus status, boolean alreadyRunning) {
}
