#include "rollout/scale_status.h"

#include <algorithm>
#include <vector>

namespace mr::rollout {
namespace {

std::string joinSorted(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  std::string out;
  for (const auto& v : values)
    out += (out.empty() ? "" : ",") + v;
  return out;
}

}  // namespace

std::string labelSelectorString(const Json& selector,
                                const std::map<std::string, std::string>& extra_match_labels) {
  // (key, requirement text); a stable sort by key keeps the order of equal keys.
  std::vector<std::pair<std::string, std::string>> reqs;
  std::map<std::string, std::string> match_labels = extra_match_labels;
  if (selector.is_object()) {
    if (auto ml = selector.find("matchLabels"); ml != selector.end() && ml->is_object()) {
      for (const auto& [k, v] : ml->items()) {
        if (v.is_string() && !extra_match_labels.count(k)) match_labels[k] = v.get<std::string>();
      }
    }
  }
  for (const auto& [k, v] : match_labels)
    reqs.emplace_back(k, k + "=" + v);
  if (selector.is_object()) {
    if (auto me = selector.find("matchExpressions"); me != selector.end() && me->is_array()) {
      for (const auto& e : *me) {
        if (!e.is_object() || !e.contains("key") || !e["key"].is_string()) continue;
        const std::string key = e["key"].get<std::string>();
        const std::string op = e.value("operator", "");
        std::vector<std::string> values;
        if (auto vs = e.find("values"); vs != e.end() && vs->is_array()) {
          for (const auto& v : *vs) {
            if (v.is_string()) values.push_back(v.get<std::string>());
          }
        }
        if (op == "In") reqs.emplace_back(key, key + " in (" + joinSorted(values) + ")");
        if (op == "NotIn") reqs.emplace_back(key, key + " notin (" + joinSorted(values) + ")");
        if (op == "Exists") reqs.emplace_back(key, key);
        if (op == "DoesNotExist") reqs.emplace_back(key, "!" + key);
      }
    }
  }
  std::stable_sort(reqs.begin(), reqs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& r : reqs)
    out += (out.empty() ? "" : ",") + r.second;
  return out;
}

void setScaleStatus(RolloutStatus& s, const ScaleInputs& in, const ObservedWorld& world) {
  const ObservedDeployment& stable = world.stable;
  const ObservedDeployment& canary = world.canary;
  s.replicas = stable.total_replicas + canary.total_replicas;
  s.ready_replicas = stable.ready_replicas + canary.ready_replicas;
  s.available_replicas = stable.available_replicas + canary.available_replicas;
  s.selector = labelSelectorString(in.spec_selector, {{kLabelRollout, in.rollout_name}});
  // Desired: the stable replicas plus what the canary Deployment is asked to run.
  const int desired = in.desired_replicas + (canary.exists ? canary.replicas : 0);
  s.ready_display = std::to_string(s.ready_replicas) + "/" + std::to_string(desired);
  if (!in.steps) return;
  if (s.canary_revision.empty() || *in.steps <= 0) {
    s.current_step_display = "-";  // as the kubectl plugin shows it
    return;
  }
  // currentStep == len(steps) while promoting: every step passed, shown as "4/4".
  const int shown = std::clamp(s.current_step + 1, 1, *in.steps);
  s.current_step_display = std::to_string(shown) + "/" + std::to_string(*in.steps);
}

}  // namespace mr::rollout
