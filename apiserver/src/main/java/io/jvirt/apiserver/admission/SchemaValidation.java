package io.jvirt.apiserver.admission;

import io.jvirt.api.schema.SchemaValidator;
import io.jvirt.api.schema.ValidationResult;
import io.jvirt.apiserver.http.ApiException;
import io.jvirt.apiserver.http.ApiException.Cause;

import java.util.List;

/**
 * Validates bodies against the served OpenAPI schemas. Wrong types and unsupported enum values are 422 causes
 * with field paths. Unknown fields follow the request's {@code fieldValidation}: Strict → 400 as kube-apiserver's
 * strict decoding error; Warn (the default) → a Warning header per field; Ignore → nothing. Unknown fields are
 * kept in the stored object either way (jvirt never drops what it does not know).
 */
public final class SchemaValidation implements AdmissionPlugin {
    private final SchemaValidator validator;

    public SchemaValidation() {
        this(SchemaValidator.standard());
    }

    public SchemaValidation(SchemaValidator validator) {
        this.validator = validator;
    }

    @Override
    public boolean handles(AdmissionRequest request) {
        return request.operation() != AdmissionRequest.Operation.DELETE && request.object() != null;
    }

    @Override
    public void validate(AdmissionRequest request, List<Cause> causes, List<String> warnings) {
        ValidationResult r = validator.validate(request.resource(), request.object());
        if (!r.unknownFields().isEmpty()) {
            switch (request.fieldValidation()) {
                case "Strict" -> {
                    String kind = request.resource().kind();
                    throw ApiException.badRequest(kind + " in version \"" + request.resource().version()
                            + "\" cannot be handled as a " + kind + ": strict decoding error: "
                            + String.join(", ", r.unknownFieldMessages()));
                }
                case "Warn" -> warnings.addAll(r.unknownFieldMessages());
                default -> {
                }
            }
        }
        for (ValidationResult.FieldError e : r.errors()) {
            causes.add(new Cause(e.reason(), e.field(), e.message()));
        }
    }
}
