package io.jvirt.apiserver.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.resources.ResourceType;

/**
 * What an admission plugin sees: the operation, the object as it will be stored (mutable during mutation) and,
 * for updates and deletes, the stored object.
 *
 * @param subresource   null for the main resource, e.g. "status"
 * @param fieldValidation Strict, Warn or Ignore (the request's {@code fieldValidation}, default Warn)
 */
public record AdmissionRequest(Operation operation, ResourceType resource, String subresource, ObjectNode object,
                               ObjectNode oldObject, String user, boolean dryRun, String fieldValidation) {
    public enum Operation { CREATE, UPDATE, DELETE }
}
