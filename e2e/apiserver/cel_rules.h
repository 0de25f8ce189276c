// The x-kubernetes-validations rules of a CRD's structural schema, evaluated the way
// apiextensions-apiserver (v1.32, schema/cel/validation.go) does, with the CEL subset of
// cel_subset.h:
// - a rule runs at the schema node that declares it (properties, items, additionalProperties,
//   allOf), with `self` bound to that node's value; null or absent values are skipped;
// - a false result is a field error at the node's path (plus the rule's `fieldPath`), of the
//   rule's `reason` (FieldValueInvalid by default: `Invalid value: "<schema type>": <message>`),
//   whose message is `messageExpression` (when it evaluates to a non-empty one-line string),
//   else `message`, else `failed rule: <rule>`; an evaluation error is
//   `Invalid value: "<schema type>": <error> evaluating rule: <message or rule>`;
// - transition rules (using `oldSelf`) run only on update where the old value correlates
//   (object fields, non-atomic maps, x-kubernetes-list-type=map items by key);
// - ratcheting (CRDValidationRatcheting, on by default since v1.30): on update, a rule's false
//   result at a node whose value (or nearest correlatable ancestor's) equals the stored one is
//   a warning, not an error. Transition rules and evaluation errors are not ratcheted.
// Rules outside the subset are skipped; unsupportedRules() names them so CRD registration can
// say so. Not implemented: the cost budget (static estimate and runtime), `optionalOldSelf`.
// Thread-safety: pure functions; compiled programs are cached process-wide under a lock.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "schema_validator.h"

namespace mr::apiserver {

// True when any node of `schema` declares x-kubernetes-validations.
bool hasValidationRules(const nlohmann::json& schema);

// Each rule or messageExpression of `schema` the CEL subset cannot compile, as
// "<schema path>.x-kubernetes-validations[i].rule: <rule>: <why>" (schema path like
// "openAPIV3Schema.properties[spec]").
std::vector<std::string> unsupportedRules(const nlohmann::json& schema);

// Evaluates every rule of `schema` against `object` (a whole custom resource, already pruned
// and defaulted). `old` is the stored object on update, null on create. False results become
// `errors`; ratcheted ones become `warnings` ("<field>: <detail>").
void checkValidationRules(const nlohmann::json& object, const nlohmann::json* old,
                          const nlohmann::json& schema, std::vector<FieldError>& errors,
                          std::vector<std::string>& warnings);

}  // namespace mr::apiserver
