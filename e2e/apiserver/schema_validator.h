// Validation of custom resources against a CRD's structural OpenAPI v3 schema, the way
// kube-apiserver does it: prune unknown fields (unless x-kubernetes-preserve-unknown-fields),
// apply defaults, then validate types, required, enum, bounds, lengths, pattern, items,
// minItems/maxItems, uniqueItems, x-kubernetes-list-type set/map duplicates (FieldValueDuplicate),
// min/maxProperties, allOf/anyOf/oneOf/not, int-or-string and
// embedded resources; then, as kube-apiserver, the CEL rules (x-kubernetes-validations, see
// cel_rules.h) unless a blocking error (type, required, enum, too long, too many) was found.
// Thread-safety: pure functions (a process-wide regex cache is internally locked).
#pragma once

#include <functional>
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
  std::vector<std::string> warnings;        // ratcheted rule failures ("<field>: <detail>")
};

// Prunes, defaults and validates `object` (a whole custom resource) in place. apiVersion, kind
// and metadata at the root are handled as ObjectMeta, not by the schema (metadata is pruned to
// the ObjectMeta fields). `old` is the stored object on update (null on create): transition
// rules and ratcheting of CEL rules compare with it.
// `between` adds the errors kube-apiserver finds after the schema and before the CEL rules
// (the scale subresource's paths, scale_validation.h); they do not block the rules.
SchemaOutcome validateCustomResource(
    nlohmann::json& object, const nlohmann::json& schema, const nlohmann::json* old = nullptr,
    const std::function<std::vector<FieldError>(const nlohmann::json&)>& between = {});

}  // namespace mr::apiserver
