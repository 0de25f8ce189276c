// Entry point of the planner: guards (deleted, invalid spec), state derivation, the one-shot
// annotations, the route guard, and the conditions computed from the outcome.
#include <algorithm>
#include <cmath>

#include "rollout/conditions.h"
#include "rollout/planner_internal.h"
#include "rollout/template_hash.h"

namespace mr::rollout {
namespace detail {

PlanContext::PlanContext(const PlanInput& input, const ModelRolloutSpec& s)
    : in(input),
      spec(s),
      hash(podTemplateHash(s.pod_template)),
      fingerprint(stepsFingerprint(s.steps)),
      now(std::chrono::floor<std::chrono::seconds>(input.now)),
      real_now(input.now) {
  out.status = input.status;
}

std::string PlanContext::annotation(const char* key) const {
  auto it = in.annotations.find(key);
  return it == in.annotations.end() ? std::string() : it->second;
}

void PlanContext::event(const char* type, const std::string& reason, const std::string& message) {
  act(RecordEvent{type, reason, message});
}

void PlanContext::transition(Phase to, const std::string& reason, const std::string& message) {
  const std::string from = st().phase ? phaseName(*st().phase) : "";
  st().phase = to;
  st().message = message;
  appendHistory(st().history, {now, from, phaseName(to), reason, message});
  const bool warning = to == Phase::kRolledBack || to == Phase::kDegraded;
  event(warning ? "Warning" : "Normal", reason, message);
}

void PlanContext::requeueIn(Millis d) {
  if (d < Millis(0)) d = Millis(0);
  if (!out.requeue_after || d < *out.requeue_after) out.requeue_after = d;
}

void PlanContext::requeueAt(SystemTime t) {
  requeueIn(std::chrono::ceil<Millis>(t - real_now));
}

std::string PlanContext::routeDescription() const {
  if (spec.traffic_routing.kind == RouterKind::kGatewayApi) {
    return "HTTPRoute " + spec.traffic_routing.http_route;
  }
  if (spec.traffic_routing.kind == RouterKind::kIstio) {
    return "VirtualService " + spec.traffic_routing.virtual_service;
  }
  return "replica ratio";
}

void PlanContext::ensureWeight(int desired) {
  const auto& read = world().route_weight;
  const bool believed_set = in.status.canary_weight == desired;
  if (read && *read == desired) {
    st().canary_weight = desired;
    return;
  }
  if (read && believed_set && routed() && in.status.phase) {
    event("Warning", "RouteDrift",
          routeDescription() + " carried " + std::to_string(*read) + "% to the canary, expected " +
              std::to_string(desired) + "%; put back");
  }
  // The replica-ratio router reports an effective weight that rarely equals the request, so
  // only a change of request is sent (and it writes nothing: the canary's replica count, which
  // makes that weight, is EnsureCanary's alone).
  if (routed() || !believed_set || !read) act(SetWeight{desired});
  st().canary_weight = desired;
}

bool PlanContext::canaryAvailableAt(const std::string& revision, int replicas) const {
  const auto& d = world().canary;
  return d.exists && d.revision == revision && d.observed_generation >= d.generation &&
         d.updated_replicas >= replicas && ownAvailableReplicas(d) >= replicas;
}

int PlanContext::canaryReplicasNow(int replicas) const {
  const auto& d = world().canary;
  if (routed() || !d.exists) return replicas;
  const int own = d.revision == hash ? d.updated_replicas : 0;
  return d.total_replicas > own ? 0 : replicas;
}

bool PlanContext::stableAvailableAt(const std::string& revision) const {
  const auto& d = world().stable;
  return d.exists && d.revision == revision && d.observed_generation >= d.generation &&
         d.updated_replicas >= spec.replicas && ownAvailableReplicas(d) >= spec.replicas;
}

std::string PlanContext::stableSelector(const std::string& revision) const {
  const auto& d = world().stable;
  const bool rolling = d.exists && d.revision == revision && d.total_replicas > d.updated_replicas;
  return rolling && !stableAvailableAt(revision) ? std::string() : revision;
}

void PlanContext::ensureServices(const std::string& stable_rev, const std::string& canary_rev) {
  act(EnsureServices{stableSelector(stable_rev), canary_rev});
}

void PlanContext::noteRecreated() {
  if (in.status.stable_revision.empty()) return;  // nothing existed yet
  std::vector<std::string> missing;
  if (!world().stable.exists) missing.push_back("stable Deployment");
  if (!in.status.canary_revision.empty() && !world().canary.exists) {
    missing.push_back("canary Deployment");
  }
  if (!world().stable_service) missing.push_back("stable Service");
  if (!world().canary_service) missing.push_back("canary Service");
  if (!world().root_service) missing.push_back("root Service");
  if (missing.empty()) return;
  std::string list;
  for (const auto& m : missing)
    list += (list.empty() ? "" : ", ") + m;
  event("Warning", "ManagedObjectRecreated", "recreating missing " + list);
}

State deriveState(const PlanContext& c) {
  const RolloutStatus& s = c.st();
  if (s.stable_revision.empty()) return State::kFirstDeploy;
  if (!s.canary_revision.empty()) {
    return s.current_step >= c.stepCount() ? State::kPromoting : State::kCanary;
  }
  if (c.hash == s.stable_revision) return State::kSteady;
  if (c.hash == s.rolled_back_revision) return State::kRolledBackHold;
  return State::kNewTemplate;
}

namespace {

Plan planDeleted(const PlanInput& in) {
  // Owner references let the garbage collector remove the managed objects; touching them now
  // would race it (and could recreate what it just deleted).
  Plan p;
  p.status = in.status;
  return p;
}

Plan planInvalidSpec(const PlanInput& in) {
  Plan p;
  p.status = in.status;
  auto& s = p.status;
  const std::string message = "invalid spec: " + in.spec.summary();
  const SystemTime now = std::chrono::floor<std::chrono::seconds>(in.now);
  const Condition* before = findCondition(s.conditions, kCondInvalidSpec);
  const bool changed = !before || before->status != "True" || before->message != message;
  setCondition(s.conditions, kCondInvalidSpec, "True", "InvalidSpec", message, in.generation, now);
  s.observed_generation = in.generation;
  // A canary at a step keeps its pods (replica ratio: not, its pods are its traffic) but loses
  // its traffic until the spec is valid again
  // (then planCanary enters the step again with a fresh hold): nothing judges it meanwhile.
  // Not during a promotion, where stable is taking the canary's template and needs it.
  const bool promoting = in.status.phase == Phase::kPromoting ||
                         (in.world.stable.exists && !s.canary_revision.empty() &&
                          in.world.stable.revision == s.canary_revision);
  const bool routed =
      in.spec.traffic_routing && in.spec.traffic_routing->kind != RouterKind::kReplicaRatio;
  const bool replica_ratio =
      in.spec.traffic_routing && in.spec.traffic_routing->kind == RouterKind::kReplicaRatio;
  if (!s.canary_revision.empty() && !promoting) {
    if (routed && in.world.route_weight && *in.world.route_weight != 0) {
      p.actions.push_back(SetWeight{0});
    }
    // Replica ratio: the canary's pods are its traffic (the root Service selects them).
    if (replica_ratio && in.world.canary.exists && in.world.canary.replicas > 0) {
      p.actions.push_back(ScaleCanary{0});
    }
    if (routed) s.canary_weight = 0;
    s.step_started_at.reset();
  }
  if (!s.canary_revision.empty() && promoting && routed && in.world.route_weight) {
    // A promotion keeps the weight it had, not one someone else raised, and only while the
    // canary's own pods cover it, as promotionWeight() (safety simulation). spec.replicas
    // alone may still be valid; else the stable Deployment's replicas are the last valid ones.
    const int replicas = in.spec.replicas.value_or(
        in.world.stable.exists ? in.world.stable.replicas : in.world.canary.replicas);
    const int needed = canaryReplicasFor(replicas, in.status.canary_weight);
    const auto& d = in.world.canary;
    const bool covered = d.exists && d.revision == s.canary_revision &&
                         d.observed_generation >= d.generation && d.updated_replicas >= needed &&
                         ownAvailableReplicas(d) >= needed;
    const int keep = covered ? in.status.canary_weight : 0;
    if (*in.world.route_weight > keep) p.actions.push_back(SetWeight{keep});
    s.canary_weight = keep;
  }
  if (s.canary_revision.empty()) {
    // No canary may run (Healthy, or a RolledBack stored before its actions ran): finish that
    // even while the spec is invalid, so an edit (or a platform rule, such as the Prometheus
    // allow-list) that invalidates the spec can never leave a failed canary serving.
    if (routed && in.world.route_weight && *in.world.route_weight != 0) {
      p.actions.push_back(SetWeight{0});
      s.canary_weight = 0;
    }
    if (in.world.canary.exists && in.world.canary.replicas > 0) p.actions.push_back(ScaleCanary{0});
  }
  if (s.phase != Phase::kDegraded || changed) {
    appendHistory(s.history,
                  {now, s.phase ? phaseName(*s.phase) : "", "Degraded", "InvalidSpec", message});
    p.actions.push_back(RecordEvent{"Warning", "InvalidSpec", message});
  }
  s.phase = Phase::kDegraded;
  s.message = message;
  return p;
}

// abort: acted on in a canary; acknowledged everywhere. Returns true if the plan is complete.
bool handleAbort(PlanContext& c, State state) {
  if (!c.hasAnnotation(kAnnotationAbort)) return false;
  c.acknowledge(kAnnotationAbort);
  if (state == State::kCanary || state == State::kNewTemplate) {
    if (state == State::kNewTemplate) {
      // Nothing runs yet: remember the revision so it is not started.
      c.st().rolled_back_revision = c.hash;
      c.transition(Phase::kRolledBack, "Aborted",
                   "rollout of revision " + c.hash + " aborted before it started");
      return false;  // continue as RolledBackHold to keep stable serving
    }
    const std::string canary = c.st().canary_revision;
    // spec.template moved on to a newer revision the canary has not taken yet: the abort is
    // for that one too, so it is the one remembered (else the next pass would start it).
    const bool newer = c.hash != canary && c.hash != c.st().stable_revision;
    rollback(c, "Aborted",
             "aborted by annotation " + std::string(kAnnotationAbort) + " at step " +
                 std::to_string(c.st().current_step + 1) + "/" + std::to_string(c.stepCount()) +
                 " (canary weight " + std::to_string(c.in.status.canary_weight) + "%)" +
                 (newer ? "; revision " + c.hash + " of spec.template is not started" : ""));
    if (newer) c.st().rolled_back_revision = c.hash;
    return true;
  }
  if (c.in.status.phase == Phase::kRolledBack) return false;  // already acted on
  c.event("Normal", "AbortIgnored",
          state == State::kPromoting ? "abort ignored: promotion of " + c.st().canary_revision +
                                           " is already replacing the stable version"
                                     : "abort ignored: no rollout in progress");
  return false;
}

// retry: re-run a rolled-back revision, or lift an analysis pause. Returns the new state.
State handleRetry(PlanContext& c, State state) {
  if (!c.hasAnnotation(kAnnotationRetry)) return state;
  auto& s = c.st();
  if (state == State::kRolledBackHold) {
    c.acknowledge(kAnnotationRetry);
    s.rolled_back_revision.clear();
    return State::kNewTemplate;  // planNewTemplate records the transition
  }
  if (state == State::kCanary && s.analysis_paused) {
    c.acknowledge(kAnnotationRetry);
    s.analysis_paused = false;
    s.hold_extended_at.reset();  // another inconclusiveTimeout from the next pass
    s.consecutive_inconclusive = 0;
    s.consecutive_errors = 0;
    c.event("Normal", "RetryAcknowledged",
            "analysis pause lifted by " + std::string(kAnnotationRetry) + " at step " +
                std::to_string(s.current_step + 1) + "/" + std::to_string(c.stepCount()));
    return state;  // planCanary records the Paused -> Progressing transition
  }
  // Nothing to retry: dropped first, so that a failed removal never leaves it to be read as a
  // retry of a rollback this pass makes (a failed check; safety simulation, seed 20648811).
  c.ignore(kAnnotationRetry);
  if (state != State::kCanary && state != State::kNewTemplate) {
    c.event("Normal", "RetryIgnored", "retry ignored: no rolled-back or paused rollout to retry");
  }
  return state;
}

// promote outside a canary has nothing to act on; inside one planCanary consumes it.
void handleStrayPromote(PlanContext& c, State state) {
  if (!c.hasAnnotation(kAnnotationPromote)) return;
  if (state == State::kCanary || state == State::kNewTemplate) return;
  c.acknowledge(kAnnotationPromote);
  if (state == State::kPromoting) return;  // acted on in an earlier pass
  c.event("Normal", "PromoteIgnored", "promote ignored: no canary to promote");
}

// While the route is still missing, the Degraded phase stored by the route guard is an overlay,
// not a phase to recover from: plan with the phase it covered, so the transitions below do not
// flip Degraded <-> Recovered every pass (and flush the bounded history).
std::string routeMissingMessage(const PlanContext& c) {
  return c.routeDescription() + " not found; traffic cannot be shifted";
}

void unmaskRouteDegraded(PlanContext& c) {
  if (!c.routed() || c.world().route_exists) return;
  const auto& s = c.in.status;
  if (s.phase != Phase::kDegraded || s.message != routeMissingMessage(c)) return;
  if (s.history.empty()) return;
  // The overlay is recorded as "X -> Degraded"; a transition made while it lasted (an abort)
  // is the last entry, with the overlay set again silently.
  const auto& last = s.history.back();
  c.st().phase = phaseFromName(last.to == "Degraded" ? last.from : last.to);
}

// A missing route object: Degraded, weights untouched, everything else kept.
void applyRouteGuard(PlanContext& c) {
  if (!c.routed() || c.world().route_exists) return;
  auto is_weight = [](const Action& a) { return std::holds_alternative<SetWeight>(a); };
  std::erase_if(c.out.actions, is_weight);
  std::erase_if(c.out.after_status, is_weight);
  c.st().canary_weight = c.in.status.canary_weight;
  const std::string message = routeMissingMessage(c);
  if (c.in.status.phase != Phase::kDegraded || c.in.status.message != message) {
    c.transition(Phase::kDegraded, "RouteNotFound", message);
  } else {
    c.st().phase = Phase::kDegraded;
    c.st().message = message;
  }
  c.requeueIn(kDegradedPoll);
}

void finalizeConditions(PlanContext& c) {
  auto& s = c.st();
  const auto gen = c.in.generation;
  auto set = [&](const char* type, bool value, const std::string& reason, const std::string& msg) {
    setCondition(s.conditions, type, value ? "True" : "False", reason, msg, gen, c.now);
  };
  const auto& stable = c.world().stable;
  const bool available = stable.exists && stable.available_replicas >= c.spec.replicas;
  set(kCondAvailable, available, available ? "StableAvailable" : "StableUnavailable",
      "stable " + std::to_string(stable.available_replicas) + "/" +
          std::to_string(c.spec.replicas) + " available");
  const Phase phase = s.phase.value_or(Phase::kHealthy);
  const bool progressing = phase == Phase::kProgressing || phase == Phase::kPromoting;
  set(kCondProgressing, progressing, phaseName(phase), s.message);
  const bool paused = phase == Phase::kPaused;
  set(kCondPaused, paused,
      paused ? (s.analysis_paused ? "InconclusiveLimit" : "SpecPaused") : "NotPaused",
      paused ? s.message : "");
  if (phase == Phase::kHealthy) {
    set(kCondCompleted, true, "Completed", "revision " + s.stable_revision + " is stable");
  } else if (phase != Phase::kDegraded) {
    set(kCondCompleted, false, phaseName(phase), s.message);
  }
  if (c.spec.analysis && s.last_analysis) {
    const auto& a = *s.last_analysis;
    set(kCondAnalysis, a.verdict == "Pass", a.verdict.empty() ? "Pending" : a.verdict,
        "step " + std::to_string(a.step + 1) + " revision " + a.revision + ": " + a.message +
            " (failures " + std::to_string(s.consecutive_failures) + ", inconclusive " +
            std::to_string(s.consecutive_inconclusive) + ", errors " +
            std::to_string(s.consecutive_errors) + ")");
  }
  // The spec parsed, but a check found part of it unusable against the live metrics.
  const std::string invalid = invalidAnalysisSpec(c);
  set(kCondInvalidSpec, !invalid.empty(), invalid.empty() ? "Valid" : "InvalidAnalysisSpec",
      invalid);
}

}  // namespace
}  // namespace detail

int ownAvailableReplicas(const ObservedDeployment& d) {
  // kubectl rollout status: complete when status.replicas == updatedReplicas (no old pods) and
  // availableReplicas >= updatedReplicas. While old ReplicaSets still have pods,
  // availableReplicas may count them, so every old pod is assumed to be an available one.
  const int old_pods = std::max(0, d.total_replicas - d.updated_replicas);
  return std::clamp(d.available_replicas - old_pods, 0, std::max(0, d.updated_replicas));
}

int canaryReplicasFor(int replicas, int weight) {
  if (replicas <= 0 || weight <= 0) return 0;
  return std::max(1, (replicas * weight + 99) / 100);
}

Plan plan(const PlanInput& in) {
  using namespace detail;
  if (in.world.deleting) return planDeleted(in);
  if (!in.spec.ok() || !in.spec.spec) return planInvalidSpec(in);

  PlanContext c(in, *in.spec.spec);
  c.st().observed_generation = in.generation;
  // A status lost (e.g. restored from Git without status): adopt the live stable Deployment.
  if (c.st().stable_revision.empty() && in.world.stable.exists &&
      !in.world.stable.revision.empty()) {
    c.st().stable_revision = in.world.stable.revision;
  }
  unmaskRouteDegraded(c);
  reenterAfterStepsEdit(c);
  State state = deriveState(c);
  if (handleAbort(c, state)) {
    // rollback() already planned everything.
  } else {
    state = deriveState(c);
    state = handleRetry(c, state);
    handleStrayPromote(c, state);
    switch (state) {
      case State::kFirstDeploy:
        planFirstDeploy(c);
        break;
      case State::kSteady:
      case State::kRolledBackHold:
        planSteady(c, state);
        break;
      case State::kNewTemplate:
        planNewTemplate(c);
        break;
      case State::kCanary:
        planCanary(c);
        break;
      case State::kPromoting:
        planPromoting(c);
        break;
    }
  }
  if (!applyBlockedGuard(c)) applyRouteGuard(c);
  finalizeConditions(c);
  finishDeadline(c);
  for (const auto& key : c.annotations_to_remove)
    c.act(RemoveAnnotation{key});
  std::vector<Action> ignored;
  for (const auto& key : c.annotations_ignored)
    ignored.emplace_back(RemoveAnnotation{key, true});
  c.out.actions.insert(c.out.actions.begin(), ignored.begin(), ignored.end());
  return std::move(c.out);
}

}  // namespace mr::rollout
