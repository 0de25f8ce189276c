// ModelRollout value types: the parsed, defaulted spec and the controller-owned status.
// The JSON wire names are the pinned contract (see docs/api.md); parsing lives in
// modelrollout_parse.h and status (de)serialization in status_json.h.
// Thread-safety: plain value types.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis_spec.h"
#include "analysis/verdict.h"
#include "common/clock.h"

namespace mr::rollout {

using Json = nlohmann::json;

inline constexpr const char* kGroup = "modelrollout.io";
inline constexpr const char* kApiVersion = "modelrollout.io/v1alpha1";
inline constexpr const char* kKind = "ModelRollout";

// Labels on every managed object (and the pods of managed Deployments).
inline constexpr const char* kLabelRollout = "modelrollout.io/rollout";
inline constexpr const char* kLabelRole = "modelrollout.io/role";
inline constexpr const char* kLabelRevision = "modelrollout.io/revision";

// One-shot user actions; the controller acknowledges and removes them.
inline constexpr const char* kAnnotationPromote = "modelrollout.io/promote";  // "true" | "full"
inline constexpr const char* kAnnotationAbort = "modelrollout.io/abort";
inline constexpr const char* kAnnotationRetry = "modelrollout.io/retry";

inline constexpr std::size_t kMaxHistory = 20;

struct Step {
  int weight = 100;                   // canary traffic percent, 1..100
  std::chrono::milliseconds hold{0};  // how long the step lasts at least
  bool operator==(const Step&) const = default;
};

enum class RouterKind { kReplicaRatio, kGatewayApi, kIstio };

struct TrafficRouting {
  RouterKind kind = RouterKind::kReplicaRatio;  // trafficRouting omitted = replica ratio
  std::string http_route;                       // gatewayAPI.httpRoute
  std::string virtual_service;                  // istio.virtualService
  std::vector<std::string> routes;              // istio.routes (empty = every http route)
};

struct ServiceSpec {
  int port = 80;
  // targetPort is an int or a named container port (IntOrString); exactly one is set.
  int target_port = 8080;
  std::string target_port_name;
};

struct ModelRolloutSpec {
  int replicas = 1;
  Json selector = Json::object();  // LabelSelector; matchLabels must be in the template labels
  Json pod_template;               // spec.template (PodTemplateSpec), kept as written
  ServiceSpec service;
  TrafficRouting traffic_routing;
  std::vector<Step> steps;                         // never empty after parsing (defaults applied)
  std::optional<analysis::AnalysisSpec> analysis;  // absent = time-based canary
  bool paused = false;
  // How long the canary (for a step) or the stable Deployment (while promoting) may take to
  // become available before the rollout reports ProgressDeadlineExceeded (planner_deadline.cpp).
  std::chrono::seconds progress_deadline{600};
  bool progress_deadline_abort = true;  // roll the canary back when its deadline passes
};

// The four defaults of DESIGN.md: 1% 24h, 10% 48h, 50% 72h, 100%.
std::vector<Step> defaultSteps();

// A short stable fingerprint of spec.steps (weights and holds), stored in status when a step is
// entered so an edit of the steps is noticed instead of reinterpreting the stored index.
std::string stepsFingerprint(const std::vector<Step>& steps);

enum class Phase { kHealthy, kProgressing, kPaused, kPromoting, kRolledBack, kDegraded };
const char* phaseName(Phase p);
std::optional<Phase> phaseFromName(const std::string& name);

// Wire names of verdicts ("Pass", "Fail", "Inconclusive", "Error"); kept here so the rollout
// module does not link the analysis module.
const char* verdictWireName(analysis::Verdict v);
std::optional<analysis::Verdict> verdictFromWireName(const std::string& name);

struct MetricStatus {
  std::string name;
  std::optional<double> value;
  std::string threshold;
  std::optional<double> sample_size;
  std::string verdict;
  std::string query;
  std::string message;
  std::optional<double> lower;  // anytime-valid bounds of the judged quantity
  std::optional<double> upper;
  bool operator==(const MetricStatus&) const = default;
};

struct LastAnalysis {
  SystemTime time;
  int step = 0;
  std::string revision;
  std::string verdict;  // Pass | Fail | Inconclusive | Error
  std::string message;
  std::vector<MetricStatus> metrics;
  // The step entry (RolloutStatus::step_entry) the check was made for; 0 when unknown (stored
  // by a controller from before stepEntry).
  std::int64_t step_entry = 0;
  bool operator==(const LastAnalysis&) const = default;
};

// Condition types used in status.conditions.
inline constexpr const char* kCondAvailable = "Available";
inline constexpr const char* kCondProgressing = "Progressing";
inline constexpr const char* kCondAnalysis = "Analysis";
inline constexpr const char* kCondPaused = "Paused";
inline constexpr const char* kCondCompleted = "Completed";
inline constexpr const char* kCondInvalidSpec = "InvalidSpec";

struct Condition {
  std::string type;
  std::string status;  // "True" | "False" | "Unknown"
  std::string reason;  // CamelCase
  std::string message;
  SystemTime last_transition_time;
  std::int64_t observed_generation = 0;
  bool operator==(const Condition&) const = default;
};

struct HistoryEntry {
  SystemTime time;
  std::string from;  // phase before
  std::string to;    // phase after
  std::string reason;
  std::string message;
  bool operator==(const HistoryEntry&) const = default;
};

// The largest status.stepEntry (2^53 - 1: exact in every JSON reader; the CRD's maximum).
inline constexpr std::int64_t kMaxStepEntry = 9'007'199'254'740'991;

// status of a ModelRollout. Written only by the controller.
struct RolloutStatus {
  std::optional<Phase> phase;  // absent until the first reconcile
  std::string message;
  std::int64_t observed_generation = 0;
  std::string stable_revision;
  std::string canary_revision;  // empty when no canary is running
  // 0-based index into spec.steps; equal to steps.size() while promoting (as Argo Rollouts).
  int current_step = 0;
  int canary_weight = 0;                      // as read back from the router
  std::optional<SystemTime> step_started_at;  // absent until the step's weight is set
  // Counts step entries of this rollout: +1 whenever a step's hold starts (a step entered, or
  // its hold restarted). A check counts for the current step only if it was made for this
  // entry: step indexes change meaning with an edit of spec.steps, and status times are whole
  // seconds. 0: stored by a controller from before it (checks are then judged by time).
  // At most kMaxStepEntry (the CRD's maximum), then 1 again.
  std::int64_t step_entry = 0;
  int consecutive_failures = 0;
  int consecutive_inconclusive = 0;  // consecutive Inconclusive checks (Errors leave it)
  int consecutive_errors = 0;
  std::optional<LastAnalysis> last_analysis;
  std::vector<Condition> conditions;
  std::vector<HistoryEntry> history;  // oldest first, at most kMaxHistory
  // Additions to the DESIGN.md status (docs/lifecycle.md says why):
  std::string rolled_back_revision;     // not retried while the template still hashes to it
  std::optional<SystemTime> paused_at;  // hold time stops while paused
  bool analysis_paused = false;         // paused by onInconclusiveLimit: Pause; lifted by retry
  // When this canary revision's evidence began (set when the canary starts; kept across steps):
  // every check reads the cumulative counts since then (docs/analysis.md).
  std::optional<SystemTime> analysis_since;
  // When the current step's hold was first found elapsed without a decision (Inconclusive);
  // onInconclusiveLimit applies inconclusiveTimeout after it. Cleared on step entry and retry.
  std::optional<SystemTime> hold_extended_at;
  // What the current step's entry was based on (issue 13): the weight of spec.steps[currentStep]
  // and the fingerprint of spec.steps at that time. 0 / empty when no canary runs.
  int step_weight = 0;
  std::string steps_fingerprint;
  // Since when the canary (a step's pods) or the stable Deployment (promotion) has been waited
  // for; the progress deadline counts from here. Absent when nothing is waited for.
  std::optional<SystemTime> waiting_since;
  // Observed pods and display strings (scale_status.h): the scale subresource reads replicas
  // and selector; the printer columns read readyDisplay, availableReplicas and
  // currentStepDisplay.
  int replicas = 0;  // pods of both managed Deployments, every ReplicaSet included
  int ready_replicas = 0;
  int available_replicas = 0;
  std::string selector;              // label selector of those pods, string form
  std::string ready_display;         // "ready/desired"
  std::string current_step_display;  // "2/4" (1-based); "-" when no canary runs
  bool operator==(const RolloutStatus&) const = default;
};

}  // namespace mr::rollout
