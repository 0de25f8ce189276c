#include "rollout/planner.h"

namespace mr::rollout {
namespace {

struct Describer {
  std::string operator()(const EnsureStable& a) const {
    return "EnsureStable{revision=" + a.revision + ", replicas=" + std::to_string(a.replicas) + "}";
  }
  std::string operator()(const EnsureCanary& a) const {
    return "EnsureCanary{revision=" + a.revision + ", replicas=" + std::to_string(a.replicas) + "}";
  }
  std::string operator()(const ScaleCanary& a) const {
    return "ScaleCanary{" + std::to_string(a.replicas) + "}";
  }
  std::string operator()(const SetWeight& a) const {
    return "SetWeight{" + std::to_string(a.percent) + "}";
  }
  std::string operator()(const EnsureServices& a) const {
    return "EnsureServices{stable=" + a.stable_revision + ", canary=" + a.canary_revision + "}";
  }
  std::string operator()(const StartAnalysis& a) const {
    return "StartAnalysis{step=" + std::to_string(a.step) + ", canary=" + a.canary_revision + "}";
  }
  std::string operator()(const RemoveAnnotation& a) const {
    return "RemoveAnnotation{" + a.key + (a.ignored ? ", ignored" : "") + "}";
  }
  std::string operator()(const RecordEvent& a) const {
    return "RecordEvent{" + a.type + ", " + a.reason + ", " + a.message + "}";
  }
};

}  // namespace

std::string describe(const Action& action) {
  return std::visit(Describer{}, action);
}

}  // namespace mr::rollout
