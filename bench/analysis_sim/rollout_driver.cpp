#include "bench/analysis_sim/rollout_driver.h"

#include <algorithm>

#include "analysis/checks.h"
#include "bench/analysis_sim/data_plane.h"
#include "bench/analysis_sim/simulated_prometheus.h"
#include "common/fake_clock.h"
#include "rollout/planner.h"
#include "rollout/template_hash.h"

namespace mr::analysis_sim {

namespace {

using rollout::Json;
using rollout::Phase;

constexpr int kReplicas = 10;
constexpr const char* kStableRevision = "stable0";
// Passes at one simulated instant before time is forced on (a planner that keeps asking for
// work at the same time would otherwise never let the simulation end).
constexpr int kMaxPassesPerInstant = 8;

Json podTemplate(const std::string& image) {
  return Json{{"metadata", {{"labels", {{"app", "model"}}}}},
              {"spec", {{"containers", Json::array({{{"name", "server"}, {"image", image}}})}}}};
}

rollout::ModelRolloutSpec rolloutSpec(const Schedule& schedule) {
  rollout::ModelRolloutSpec s;
  s.replicas = kReplicas;
  s.selector = Json{{"matchLabels", {{"app", "model"}}}};
  s.pod_template = podTemplate("model:2");
  s.traffic_routing.kind = rollout::RouterKind::kGatewayApi;
  s.traffic_routing.http_route = "model";
  s.steps = schedule.steps;
  s.analysis = schedule.analysis;
  return s;
}

rollout::ObservedDeployment availableDeployment(const std::string& revision, int replicas) {
  rollout::ObservedDeployment d;
  d.exists = true;
  d.revision = revision;
  d.replicas = replicas;
  d.generation = d.observed_generation = 1;
  d.ready_replicas = d.available_replicas = d.updated_replicas = replicas;
  return d;
}

// What the reconciler's buildAnalysisRequest does (no Secrets here), plus evidence_since
// when the planner's StartAnalysis carries it.
analysis::AnalysisRequest requestFor(const rollout::StartAnalysis& a,
                                     const analysis::AnalysisSpec& spec) {
  analysis::AnalysisRequest r;
  r.namespace_name = "sim";
  r.rollout = "model";
  r.stable_revision = a.stable_revision;
  r.canary_revision = a.canary_revision;
  r.step = a.step;
  r.spec = spec;
  if constexpr (requires { a.evidence_since; }) r.evidence_since = a.evidence_since;
  r.explain = false;
  return r;
}

class World {
 public:
  explicit World(const std::string& canary_revision) : canary_revision_(canary_revision) {
    w_.stable = availableDeployment(kStableRevision, kReplicas);
    w_.stable_service = w_.canary_service = w_.root_service = true;
    w_.route_exists = true;
    w_.route_weight = 0;
  }
  const rollout::ObservedWorld& observed() const { return w_; }
  int weight() const { return w_.route_weight.value_or(0); }

  // Applies one action; returns the StartAnalysis it carries, if any.
  const rollout::StartAnalysis* apply(const rollout::Action& action) {
    if (auto* a = std::get_if<rollout::EnsureStable>(&action)) {
      w_.stable = availableDeployment(a->revision, a->replicas);
    } else if (auto* a = std::get_if<rollout::EnsureCanary>(&action)) {
      w_.canary = availableDeployment(a->revision, a->replicas);
    } else if (auto* a = std::get_if<rollout::ScaleCanary>(&action)) {
      if (w_.canary.exists) w_.canary = availableDeployment(w_.canary.revision, a->replicas);
    } else if (auto* a = std::get_if<rollout::SetWeight>(&action)) {
      w_.route_weight = a->percent;
    } else if (auto* a = std::get_if<rollout::StartAnalysis>(&action)) {
      return a;
    }
    return nullptr;
  }

 private:
  std::string canary_revision_;
  rollout::ObservedWorld w_;
};

Outcome outcomeOf(const rollout::RolloutStatus& s, const std::string& canary) {
  if (!s.phase) return Outcome::kUndecided;
  switch (*s.phase) {
    case Phase::kPromoting:
      return Outcome::kPromoted;
    case Phase::kHealthy:
      return s.stable_revision == canary ? Outcome::kPromoted : Outcome::kUndecided;
    case Phase::kRolledBack:
      return Outcome::kRolledBack;
    case Phase::kPaused:
      return Outcome::kPaused;
    case Phase::kDegraded:
      return Outcome::kOther;
    case Phase::kProgressing:
      return Outcome::kUndecided;
  }
  return Outcome::kUndecided;
}

}  // namespace

const char* outcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPromoted:
      return "Promoted";
    case Outcome::kRolledBack:
      return "RolledBack";
    case Outcome::kPaused:
      return "Paused";
    case Outcome::kUndecided:
      return "Undecided";
    case Outcome::kOther:
      return "Other";
  }
  return "?";
}

RolloutResult runRollout(const Schedule& schedule, const Scenario& scenario, double rps,
                         std::uint64_t seed) {
  FakeClock clock;
  const SystemTime start = clock.now();
  rollout::PlanInput in;
  in.spec.spec = rolloutSpec(schedule);
  in.generation = 1;
  const std::string canary = rollout::podTemplateHash(in.spec.spec->pod_template);
  in.status.phase = Phase::kHealthy;
  in.status.stable_revision = kStableRevision;
  in.status.observed_generation = 1;
  World world(canary);
  DataPlane plane(scenario.stable, scenario.canary, kStableRevision, canary, rps, start,
                  SeededRandom::mix(seed));
  SimulatedPrometheus prometheus(plane, clock, scenario.query_failure_rate,
                                 SeededRandom::mix(seed ^ 0x5bd1e995ULL));
  const Millis interval = schedule.analysis.interval;

  RolloutResult result;
  int passes_here = 0;
  SystemTime last_pass_time = start;
  while (true) {
    const SystemTime now = clock.now();
    plane.advance(now, world.weight());
    passes_here = now == last_pass_time ? passes_here + 1 : 1;
    last_pass_time = now;
    in.world = world.observed();
    in.now = now;
    rollout::Plan p = rollout::plan(in);
    std::optional<rollout::StartAnalysis> start_analysis;
    for (const auto& a : p.actions) {
      if (auto* sa = world.apply(a)) start_analysis = *sa;
    }
    in.status = std::move(p.status);
    for (const auto& a : p.after_status)
      world.apply(a);

    result.elapsed = std::chrono::duration_cast<Millis>(now - start);
    result.outcome = outcomeOf(in.status, canary);
    if (result.outcome != Outcome::kUndecided || result.elapsed >= schedule.horizon) break;

    if (start_analysis && passes_here < kMaxPassesPerInstant) {
      in.latest_analysis =
          analysis::runAnalysis(requestFor(*start_analysis, schedule.analysis), prometheus, clock);
      // As the reconciler, the result names the attempt and step entry it was made for.
      if constexpr (requires { start_analysis->step_entry; }) {
        in.latest_analysis->evidence_since = start_analysis->evidence_since;
        in.latest_analysis->step_entry = start_analysis->step_entry;
      }
      ++result.checks;
      if (in.latest_analysis->verdict == analysis::Verdict::kError) ++result.check_errors;
      continue;  // the result's callback triggers the next pass at once
    }
    Millis step = std::clamp(p.requeue_after.value_or(interval), Millis(1000), interval);
    step = std::chrono::ceil<std::chrono::seconds>(step);
    if (result.elapsed + step > schedule.horizon) {
      step = std::max(Millis(1000), schedule.horizon - result.elapsed);
    }
    clock.advance(step);
  }
  result.canary_requests = plane.total(Role::kCanary).requests;
  result.final_step = in.status.current_step;
  result.unrecognised_queries = prometheus.unrecognised();
  result.message = in.status.message;
  return result;
}

}  // namespace mr::analysis_sim
