package io.jvirt.launcher.runtime;

import io.jvirt.launcher.libvirt.DomainStatus;

/**
 * A libvirt domain that runs (or ran) a VMI, as found on this node.
 *
 * @param namespace VMI namespace
 * @param name      VMI name
 * @param uid       VMI uid recorded in the domain metadata at start, or null if none was recorded
 * @param domain    the libvirt domain status
 */
public record VmiDomain(String namespace, String name, String uid, DomainStatus domain) {
}
