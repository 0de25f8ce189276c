// Parsing and validation of a ModelRollout's spec from its JSON wire form. Every invalid field
// is reported at once, each with its path ("spec.steps[1].weight") so status can name them all.
// Defaults are applied here exactly as the CRD schema applies them, so an object that reached
// the controller without server-side defaulting behaves the same.
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rollout/modelrollout_types.h"

namespace mr::rollout {

struct FieldError {
  std::string path;     // e.g. "spec.steps[1].weight"
  std::string message;  // e.g. "must be greater than the previous step's weight (10)"
  bool operator==(const FieldError&) const = default;
};

struct SpecParseResult {
  std::optional<ModelRolloutSpec> spec;  // set iff errors is empty
  std::vector<FieldError> errors;
  // spec.trafficRouting when that part alone is valid, even if other fields are not: an
  // invalid spec mid-canary still needs the router to take the canary's traffic away.
  std::optional<TrafficRouting> traffic_routing;
  // spec.replicas when that field alone is valid: how many pods cover a weight while the rest
  // of the spec is not (an invalid spec during a promotion).
  std::optional<int> replicas;

  bool ok() const { return errors.empty(); }
  // "spec.steps[1].weight: must be ...; spec.service.port: ..." (stable order).
  std::string summary() const;
};

// `spec` is the object's `spec` field (paths are reported relative to the object, "spec.").
SpecParseResult parseSpec(const Json& spec);

// The identity and intent of a ModelRollout object that the planner and builders need.
struct ObjectMeta {
  std::string name;
  std::string namespace_name;
  std::string uid;
  std::int64_t generation = 0;
  std::map<std::string, std::string> annotations;
  bool deleting = false;  // metadata.deletionTimestamp is set
};

ObjectMeta parseObjectMeta(const Json& object);

}  // namespace mr::rollout
