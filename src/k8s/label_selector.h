// LabelSelector: the Kubernetes label-selector string syntax ("a=b,c!=d,e,!f,g in (x,y),
// h notin (z)") parsed once and matched against metadata.labels. The empty selector matches
// everything. Also builds the string form of a metav1.LabelSelector (matchLabels +
// matchExpressions) so it can be sent to the server.
// Thread-safety: immutable after parse; safe to share.
#pragma once

#include <string>
#include <vector>

#include "k8s/api_client.h"

namespace mr::k8s {

class LabelSelector {
 public:
  enum class Op { kEquals, kNotEquals, kExists, kNotExists, kIn, kNotIn };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };

  LabelSelector() = default;
  static Result<LabelSelector> parse(const std::string& text);
  // From a metav1.LabelSelector JSON object.
  static Result<LabelSelector> fromJson(const Json& selector);

  bool empty() const { return requirements_.empty(); }
  // Matches a labels map (JSON object of strings; null = no labels).
  bool matches(const Json& labels) const;
  // Matches an object's metadata.labels.
  bool matchesObject(const Json& object) const;
  std::string toString() const;
  const std::vector<Requirement>& requirements() const { return requirements_; }

 private:
  std::vector<Requirement> requirements_;
};

}  // namespace mr::k8s
