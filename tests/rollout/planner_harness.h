// Test harness for the planner: a spec (as JSON), a stored status, and a simulated world that
// applies a plan's actions the way the reconciler and kubelet would (Deployments become
// available at once unless `pods_ready` is false). Used by the transition table tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "rollout/planner.h"
#include "rollout/template_hash.h"

namespace mr::rollout::testing {

using namespace std::chrono_literals;

inline SystemTime t0() {
  return SystemTime(std::chrono::seconds(1'800'000'000));
}

inline Json baseSpec() {
  return Json::parse(R"({
    "replicas": 4,
    "selector": {"matchLabels": {"app": "m"}},
    "template": {"metadata": {"labels": {"app": "m"}},
                 "spec": {"containers": [{"name": "s", "image": "m:1"}]}},
    "trafficRouting": {"gatewayAPI": {"httpRoute": "m"}},
    "steps": [{"weight": 1, "hold": "1h"}, {"weight": 10, "hold": "2h"}, {"weight": 100}]
  })");
}

inline Json withImage(Json spec, const std::string& image) {
  spec["template"]["spec"]["containers"][0]["image"] = image;
  return spec;
}

inline std::string revisionOf(const Json& spec) {
  return podTemplateHash(spec["template"]);
}

template <typename T>
std::vector<T> actionsOf(const std::vector<Action>& actions) {
  std::vector<T> out;
  for (const auto& a : actions) {
    if (auto* v = std::get_if<T>(&a)) out.push_back(*v);
  }
  return out;
}

// Actions of type T applied before the status write.
template <typename T>
std::vector<T> actionsOf(const Plan& p) {
  return actionsOf<T>(p.actions);
}

// Actions of type T applied only after the status write.
template <typename T>
std::vector<T> afterStatusOf(const Plan& p) {
  return actionsOf<T>(p.after_status);
}

// Everything that changes traffic in a pass, before and after the status write.
inline std::vector<SetWeight> allWeights(const Plan& p) {
  auto out = actionsOf<SetWeight>(p);
  for (const auto& w : afterStatusOf<SetWeight>(p))
    out.push_back(w);
  return out;
}

inline std::vector<std::string> eventReasons(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& e : actionsOf<RecordEvent>(p))
    out.push_back(e.reason);
  return out;
}

inline bool hasEvent(const Plan& p, const std::string& reason) {
  auto r = eventReasons(p);
  return std::find(r.begin(), r.end(), reason) != r.end();
}

inline std::string dump(const Plan& p) {
  std::string out;
  for (const auto& a : p.actions)
    out += "  " + describe(a) + "\n";
  if (!p.after_status.empty()) out += "  -- status written --\n";
  for (const auto& a : p.after_status)
    out += "  " + describe(a) + "\n";
  return out;
}

// Index of the first action of type T, or -1.
template <typename T>
int indexOf(const Plan& p) {
  for (size_t i = 0; i < p.actions.size(); ++i) {
    if (std::holds_alternative<T>(p.actions[i])) return static_cast<int>(i);
  }
  return -1;
}

// Index of the first after-status action of type T, or -1.
template <typename T>
int indexAfterStatusOf(const Plan& p) {
  for (size_t i = 0; i < p.after_status.size(); ++i) {
    if (std::holds_alternative<T>(p.after_status[i])) return static_cast<int>(i);
  }
  return -1;
}

struct Harness {
  Json spec = baseSpec();
  RolloutStatus status;
  ObservedWorld world;
  std::map<std::string, std::string> annotations;
  std::optional<analysis::AnalysisResult> analysis;
  bool in_flight = false;
  std::optional<SystemTime> request_since;  // the running check's StartAnalysis::evidence_since
  std::int64_t request_entry = 0;           // and its StartAnalysis::step_entry
  SystemTime now = t0();
  std::int64_t generation = 1;
  bool pods_ready = true;
  Plan last;

  Harness() { world.route_weight = 0; }

  PlanInput input() const {
    return PlanInput{parseSpec(spec), generation, annotations, status,
                     world,           analysis,   in_flight,   now};
  }
  Plan run() {
    last = plan(input());
    return last;
  }

  // The Deployment controller observes a change at once; with pods_ready its pods are ready at
  // once too. Otherwise a new revision starts with no updated pod (the old ReplicaSet's pods
  // still count in total/available, as a rolling update's surge) and stays so until settled,
  // and a scale of a settled revision has its pods created but not ready.
  void applyDeployment(ObservedDeployment& d, const std::string& revision, int replicas) {
    const bool new_revision = !d.exists || d.revision != revision;
    const bool scaled = d.replicas != replicas;
    d.exists = true;
    if (new_revision || scaled) ++d.generation;
    d.revision = revision;
    d.replicas = replicas;
    if (pods_ready) {
      settle(d);
      return;
    }
    d.observed_generation = d.generation;
    if (new_revision) {
      d.updated_replicas = 0;
    } else if (scaled && d.updated_replicas == d.total_replicas) {
      d.updated_replicas = d.total_replicas = replicas;
      d.ready_replicas = std::min(d.ready_replicas, replicas);
      d.available_replicas = std::min(d.available_replicas, replicas);
    }
  }
  void settle(ObservedDeployment& d) {
    if (!pods_ready) return;
    d.observed_generation = d.generation;
    d.total_replicas = d.ready_replicas = d.available_replicas = d.updated_replicas = d.replicas;
  }
  void applyAction(const Action& a) {
    if (auto* s = std::get_if<EnsureStable>(&a))
      applyDeployment(world.stable, s->revision, s->replicas);
    if (auto* c = std::get_if<EnsureCanary>(&a))
      applyDeployment(world.canary, c->revision, c->replicas);
    if (auto* sc = std::get_if<ScaleCanary>(&a)) {
      if (world.canary.exists) applyDeployment(world.canary, world.canary.revision, sc->replicas);
    }
    if (auto* w = std::get_if<SetWeight>(&a)) {
      if (world.route_exists) world.route_weight = w->percent;
    }
    if (std::holds_alternative<EnsureServices>(a)) {
      world.stable_service = world.canary_service = world.root_service = true;
    }
    if (auto* sa = std::get_if<StartAnalysis>(&a); sa && !in_flight) {
      in_flight = true;
      request_since = sa->evidence_since;
      request_entry = sa->step_entry;
    }
  }
  // Applies like the reconciler: actions in order, then status, then the after-status actions,
  // then annotation removals.
  void apply(const Plan& p) {
    for (const auto& a : p.actions)
      applyAction(a);
    status = p.status;
    for (const auto& a : p.after_status)
      applyAction(a);
    for (const auto& r : actionsOf<RemoveAnnotation>(p))
      annotations.erase(r.key);
  }
  Plan step() {
    Plan p = run();
    apply(p);
    return p;
  }
  // Delivers an analysis result for the current step and canary, finished at `now`; it names
  // the attempt and step entry of the running check (the reconciler echoes the request's
  // evidence_since and step_entry), or the stored ones when no check was started through the
  // harness.
  void deliver(analysis::Verdict v, const std::string& message = "") {
    analysis::AnalysisResult r;
    r.verdict = v;
    r.time = now;
    r.step = status.current_step;
    r.canary_revision = status.canary_revision;
    r.evidence_since = in_flight ? request_since : status.analysis_since;
    r.step_entry = in_flight ? request_entry : status.step_entry;
    r.message = message.empty() ? std::string("verdict ") + verdictWireName(v) : message;
    analysis::MetricResult m;
    m.name = "errorRate";
    m.verdict = v;
    if (v != analysis::Verdict::kError) m.value = v == analysis::Verdict::kFail ? 0.004 : 0.0005;
    m.threshold = "<= 0.001";
    m.sample_size = 1200;
    r.metrics.push_back(m);
    analysis = r;
    in_flight = false;
  }
  // Deploys the base spec as stable and returns with a Healthy status.
  void deployStable() {
    step();
    step();
  }
};

}  // namespace mr::rollout::testing
