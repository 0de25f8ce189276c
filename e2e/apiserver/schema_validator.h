// Validation of custom resources against a CRD's structural OpenAPI v3 schema, the way
// kube-apiserver does it: prune unknown fields (unless x-kubernetes-preserve-unknown-fields),
// apply defaults, then validate types, required, enum, bounds, lengths, pattern, items,
// minItems/maxItems, uniqueItems, min/maxProperties, allOf/anyOf/oneOf/not, int-or-string and
// embedded resources. CEL rules (x-kubernetes-validations) are NOT evaluated.
// Thread-safety: pure functions (a process-wide regex cache is internally locked).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mr::apiserver {

struct FieldError {
  std::string field;   // "spec.steps[0].weight"
  std::string reason;  // FieldValueRequired | FieldValueInvalid | FieldValueNotSupported | ...
  std::string detail;  // the text after "<field>: ", e.g. "Required value"
  std::string toString() const { return field + ": " + detail; }
};

struct SchemaOutcome {
  std::vector<FieldError> errors;
  std::vector<std::string> unknown_fields;  // pruned paths, e.g. "spec.foo"
};

// Prunes, defaults and validates `object` (a whole custom resource) in place. apiVersion, kind
// and metadata at the root are handled as ObjectMeta, not by the schema (metadata is pruned to
// the ObjectMeta fields).
SchemaOutcome validateCustomResource(nlohmann::json& object, const nlohmann::json& schema);

}  // namespace mr::apiserver
