// Label selectors (equality- and set-based, the `labelSelector` query syntax) and the field
// selectors kubectl uses (metadata.name, metadata.namespace, plus any dotted path with = / == /
// !=).
// Thread-safety: immutable after parse; match() is const.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace mr::apiserver {

class LabelSelector {
 public:
  // "app=a,tier!=db,env in (prod,staging),!legacy,release"
  static Result<LabelSelector> parse(const std::string& text);
  bool matches(const nlohmann::json& labels) const;  // labels: object or null
  bool empty() const { return reqs_.empty(); }

 private:
  enum class Op { kEq, kNotEq, kIn, kNotIn, kExists, kNotExists };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  std::vector<Requirement> reqs_;
};

class FieldSelector {
 public:
  static Result<FieldSelector> parse(const std::string& text);
  bool matches(const nlohmann::json& object) const;
  bool empty() const { return reqs_.empty(); }

 private:
  struct Requirement {
    std::string path;  // "metadata.name"
    bool equal;
    std::string value;
  };
  std::vector<Requirement> reqs_;
};

}  // namespace mr::apiserver
