// RolloutPlanner: the rollout state machine as one pure function,
//   plan(PlanInput) -> Plan{actions, new status, requeue_after}.
// It performs no I/O and reads no clock: the reconciler gathers the observed world, calls
// plan(), applies the actions and writes the status. docs/lifecycle.md has the state diagram
// and the transition table; planner_transitions.cpp implements one function per transition.
//
// Contract for the caller (the reconciler):
//  - Apply `actions` in order. Stop at the first failed action (RecordEvent failures may be
//    ignored), do not write the new status, and retry later: the plan is re-derived from the
//    stored status and the world, so a retry neither repeats nor skips a step.
//  - SetWeight is applied through the TrafficRouter and read back; a read-back different from
//    the request counts as a failure. After a successful SetWeight the caller may store the
//    read-back value in plan.status.canary_weight (replica ratio reports an effective weight).
//  - Write plan.status (status subresource) only if it differs from the stored one.
//  - Then, only if that write succeeded (or nothing needed writing), apply `after_status` in
//    order the same way. These are actions that must not run before the stored status says
//    what they are for (the weight and capacity of a step entered in this pass, the stable
//    Deployment taking the canary's template). If one fails or the process dies before them,
//    the next pass sees the world differ from the stored status and repairs it.
//    A SetWeight here cannot change plan.status any more (it is stored).
//  - RemoveAnnotation actions come last and must be applied only after the status write
//    succeeded: an annotation is the user's intent until its effect is recorded in status.
//    Except one acknowledged without effect (`ignored`, e.g. retry while a canary runs):
//    nothing records that, so it comes first and is applied in place, and the pass stops if
//    it fails. Otherwise a failed removal after this pass's status write (a rollback) left it
//    to be read again as intent for the new state (safety simulation, seed 20648811).
//  - Ensure* means: create when missing (managed_resources.h build*), else send the owned-field
//    merge patch (deploymentPatch/servicePatch) when non-empty.
//  - StartAnalysis: submit an analysis::AnalysisRequest for {step, canary revision, evidence
//    since}; pass the result back as PlanInput.latest_analysis (and analysis_in_flight=false) when
//    it arrives, with the action's evidence_since in AnalysisResult::evidence_since (the attempt
//    it was made for: a result of another attempt is ignored) and its step_entry in
//    AnalysisResult::step_entry (the step entry it was made for: a check of an earlier entry of
//    the step, before an edit of spec.steps or a restarted hold, does not count for this one).
// Crash safety: a step's weight (and canary capacity) is raised only when the *stored* status
// already says that step (in a later pass, or in `after_status` of the pass that stores it),
// so a crash between actions and the status write never leaves more canary traffic than the
// stored step allows. A rollback is the same the other way round: RolledBack (with
// rolledBackRevision and the verdict) is stored first and weight 0 / canary 0 follow in
// `after_status`; every later pass in RolledBack repeats them, so a restarted controller,
// which knows no in-memory verdict, never gives the failed revision pods or traffic again.
// Evidence (issue 13): a weight above 0 is set and kept only while the canary revision's own
// available pods (ownAvailableReplicas) cover the stored step; status.stepWeight and
// status.stepsFingerprint record what the step entry was based on, and an edit of spec.steps
// re-enters at the highest step whose weight is at most what the route carries, with a fresh
// hold and fresh checks: status.stepEntry numbers hold starts, and a check counts only for the
// entry it was started for (StartAnalysis::step_entry, echoed back).
// Thread-safety: pure function.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "analysis/verdict.h"
#include "rollout/modelrollout_parse.h"
#include "rollout/modelrollout_types.h"

namespace mr::rollout {

struct ObservedDeployment {
  bool exists = false;
  std::string revision;  // spec.template.metadata.labels[modelrollout.io/revision]
  int replicas = 0;      // spec.replicas
  std::int64_t generation = 0;
  std::int64_t observed_generation = 0;  // status.observedGeneration
  int total_replicas = 0;  // status.replicas: pods of every ReplicaSet, old ones included
  int ready_replicas = 0;
  int available_replicas = 0;
  int updated_replicas = 0;  // pods of the newest ReplicaSet (this revision)
  // Why its pods are not ready, as the cluster says it ("ImagePullBackOff: ...",
  // "Unschedulable: ...", "OOMKilled ..."); empty when unknown. Gathered by the reconciler
  // (reconcile/not_ready_reason.h) only when a progress deadline is near.
  std::string not_ready_reason;
};

struct ObservedWorld {
  ObservedDeployment stable;
  ObservedDeployment canary;
  bool stable_service = false;
  bool canary_service = false;
  bool root_service = false;
  // The HTTPRoute / VirtualService named in spec.trafficRouting (ignored for replica ratio).
  bool route_exists = true;
  std::optional<int> route_weight;  // canary weight read back; nullopt = unknown
  bool deleting = false;            // the ModelRollout has a deletionTimestamp
  // Set by the reconciler when the rollout cannot act safely: an object with our names that is
  // not ours to write (adoption rule, reason ObjectNotOwned), or a route verify() rejects
  // (RouteInvalid) or that we may not read or write (RouteForbidden). Then the plan is
  // Degraded with this reason and message, writes nothing and keeps the stored status.
  std::string blocked_reason;
  std::string blocked_message;
};

struct PlanInput {
  SpecParseResult spec;  // parsed spec, or the list of field errors
  std::int64_t generation = 0;
  std::map<std::string, std::string> annotations;
  RolloutStatus status;  // as stored
  ObservedWorld world;
  std::optional<analysis::AnalysisResult> latest_analysis;  // newest result for this object
  bool analysis_in_flight = false;
  SystemTime now;
};

// Actions. Templates are spec.template as written; builders add the managed labels.
//
// Field ownership: every field the controller writes has exactly one deciding place, the
// planner, and one action that carries it (DESIGN.md "One owner per field"):
//  - stable Deployment: spec.template, spec.replicas, selector, owned labels -> EnsureStable.
//  - canary Deployment: spec.template -> EnsureCanary; spec.replicas -> EnsureCanary (the
//    step's canaryReplicasFor) and ScaleCanary (0 on rollback/promotion). No router writes it:
//    the replica-ratio router's setWeight writes nothing and only reports the weight the
//    ready pods give (a second writer there was the 800-writes-per-second storm of issue 13).
//  - Services `<name>-stable`, `<name>-canary`, `<name>`: selector and ports -> EnsureServices.
//  - route weights (HTTPRoute backendRefs of our two Services, VirtualService destinations of
//    our two hosts) -> SetWeight through the TrafficRouter. For replica ratio SetWeight is a
//    read: the weight there is derived from the canary replicas above.
//  - ModelRollout status -> Plan::status, written by the reconciler once per pass.
//  - ModelRollout annotations are the user's; RemoveAnnotation only drops an acted-on one.
struct EnsureStable {
  Json pod_template;
  int replicas = 0;
  std::string revision;
  bool operator==(const EnsureStable&) const = default;
};
struct EnsureCanary {
  Json pod_template;
  int replicas = 0;
  std::string revision;
  bool operator==(const EnsureCanary&) const = default;
};
struct ScaleCanary {  // only when the canary Deployment exists
  int replicas = 0;
  bool operator==(const ScaleCanary&) const = default;
};
struct SetWeight {  // canary percent; 0 = all traffic to stable
  int percent = 0;
  bool operator==(const SetWeight&) const = default;
};
struct EnsureServices {         // `<name>-stable`, `<name>-canary`, root `<name>`
  std::string stable_revision;  // selector revision; empty = select the role only
  std::string canary_revision;  // idem
  bool operator==(const EnsureServices&) const = default;
};
struct StartAnalysis {
  int step = 0;
  std::string stable_revision;
  std::string canary_revision;
  std::optional<SystemTime> evidence_since;  // status.analysisSince: the queries' range start
  std::int64_t step_entry = 0;               // status.stepEntry: the entry of the step judged
  bool operator==(const StartAnalysis&) const = default;
};
struct RemoveAnnotation {
  std::string key;
  bool ignored = false;  // acknowledged without effect: removed before anything else
  bool operator==(const RemoveAnnotation&) const = default;
};
struct RecordEvent {
  std::string type;    // "Normal" | "Warning"
  std::string reason;  // CamelCase
  std::string message;
  bool operator==(const RecordEvent&) const = default;
};

using Action = std::variant<EnsureStable, EnsureCanary, ScaleCanary, SetWeight, EnsureServices,
                            StartAnalysis, RemoveAnnotation, RecordEvent>;

struct Plan {
  std::vector<Action> actions;
  RolloutStatus status;
  // Applied only after `status` is stored (see the contract above). No RecordEvent,
  // RemoveAnnotation or StartAnalysis here.
  std::vector<Action> after_status;
  // When to reconcile again at the latest (hold end, next analysis due, or a poll while
  // waiting for Deployments); nullopt = only on watch events.
  std::optional<std::chrono::milliseconds> requeue_after;
};

Plan plan(const PlanInput& input);

// Tunables of the waits that have no spec field (documented in docs/lifecycle.md).
inline constexpr std::chrono::milliseconds kNextPassDelay{1000};      // after a step advance
inline constexpr std::chrono::milliseconds kAvailabilityPoll{10000};  // waiting for pods
inline constexpr std::chrono::milliseconds kDegradedPoll{30000};      // route/stable missing
inline constexpr std::chrono::milliseconds kErrorRetryBase{10000};    // analysis Error backoff

// Available pods of the Deployment's newest ReplicaSet (its own revision), by kubectl's
// rollout-status rule: pods of older ReplicaSets (a rolling update's surge) never count.
int ownAvailableReplicas(const ObservedDeployment& d);

// Canary replicas for a weight: ceil(replicas * weight / 100), at least 1 when replicas > 0.
int canaryReplicasFor(int replicas, int weight);

// For a human: "Action{...}" (used in test failure messages and logs).
std::string describe(const Action& action);

}  // namespace mr::rollout
