// Safety simulation (issue 13): the value types of one seeded history and the in-memory
// cluster it runs against.
//  - A history is a HistoryConfig (routing mode, starting spec, what each of the four pod
//    templates of the pool is like) and a list of Events. Everything a run does follows from
//    these two, so a history replays exactly and can be shrunk by dropping events.
//  - SimCluster is the API server's state that survives a controller crash: the ModelRollout
//    (spec as the user edits it, annotations, stored status), the two Deployments with their
//    pods (a rolling update keeps old-ReplicaSet pods while new ones start, status fields as the
//    Deployment controller reports them), the three Services and the route.
// docs/safety-sim.md describes what is modelled and what is not.
// Thread-safety: plain values; one simulation per thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rollout/modelrollout_parse.h"
#include "rollout/planner.h"

namespace mr::safety {

// What the pods (and the metrics) of a template are like.
enum class Trait {
  kGood,           // ready after 5-30 s, checks pass
  kSlow,           // ready after 60-240 s, checks pass
  kCrashLoop,      // never ready (CrashLoopBackOff, OOMKilled while loading weights)
  kUnschedulable,  // never scheduled (no GPU node)
  kBadMetrics,     // ready quickly, checks mostly fail
};
const char* traitName(Trait t);

inline constexpr int kTemplateCount = 4;
inline constexpr int kStepPoolSize = 6;
inline constexpr int kAnalysisVariants = 3;  // 0 = none (time-based canary)

// The revision (template hash) of pool template `i`.
const std::string& templateRevision(int i);
const rollout::Json& templateJson(int i);

enum class EventKind {
  kReconcile,     // a: cut (-1 = full pass), b: 0 crash at the cut, 1 API error at the cut
  kTick,          // a: seconds the clock moves; the kubelet runs
  kPodCrash,      // a: 0 stable / 1 canary, b: pod index (mod pod count)
  kAnalysisDone,  // a: 0..99, the oracle's draw (mapped by the judged template's trait)
  kEditTemplate,  // a: template index
  kEditSteps,     // a: step pool index
  kEditPaused,    // a: 0/1
  kEditAnalysis,  // a: variant
  kEditReplicas,  // a: replicas
  kEditInvalid,   // a: 0/1 (a selector that no longer matches the template)
  kAnnotate,      // a: 0 promote=true, 1 promote=full, 2 abort, 3 retry
  kRouteEdit,     // a: weight someone else writes (replica ratio: canary replicas a % 11)
  kRouteDelete,   // the route object is deleted by someone
  kRouteCreate,   // a: weight of the recreated route
  kLeaderChange,  // a: cut of the old leader's pass at which the lease moves (-1 = between)
};

struct Event {
  EventKind kind = EventKind::kReconcile;
  int a = 0;
  int b = 0;
};
std::string describe(const Event& e);

struct HistoryConfig {
  rollout::RouterKind routing = rollout::RouterKind::kGatewayApi;
  int replicas = 1;
  int steps = 0;     // step pool index
  int analysis = 0;  // variant
  std::array<Trait, kTemplateCount> traits{};  // template 0 (the first stable) is kGood
};
std::string describe(const HistoryConfig& c);

struct History {
  std::uint64_t seed = 0;
  HistoryConfig config;
  std::vector<Event> events;
};

struct SimOptions {
  int events = 30;              // random events per history (before the quiet phase)
  bool pod_faults = true;       // templates may be kCrashLoop / kUnschedulable
  bool leader_fenced = false;   // abstract runtime: false = an old leader drains its pass
  // Stored status goes through statusToJson/statusFromJson as in the API server (2/3 of the
  // run time; off by default, the same violation counts on the seeds tried, docs/safety-sim.md).
  bool status_roundtrip = false;
  int max_settle_passes = 100;  // I5 bound
  bool trace = false;           // every event and pass (plan, actions) on stderr
};

History generateHistory(std::uint64_t seed, const SimOptions& options);

// The user's spec as edited by events.
struct UserSpec {
  int tmpl = 0;
  int replicas = 1;
  int steps = 0;
  int analysis = 0;
  bool paused = false;
  bool invalid = false;
};
rollout::SpecParseResult buildSpec(const UserSpec& u, rollout::RouterKind routing);

struct SimPod {
  std::string rev;
  std::int64_t ready_at = 0;  // ms; kNever = never
  bool ready = false;
};
inline constexpr std::int64_t kNever = INT64_MAX;

struct SimDeployment {
  bool exists = false;
  std::string rev;  // template revision
  int replicas = 0;
  std::int64_t generation = 0;
  std::int64_t observed_generation = 0;
  std::vector<SimPod> pods;

  int updated() const;  // pods of the current template (status.updatedReplicas)
  int ready() const;    // status.readyReplicas (every ReplicaSet)
  int readyOf(const std::string& rev) const;
};

struct SimServices {
  bool stable = false, canary = false, root = false;
  std::string stable_sel, canary_sel;  // revision in the selector; empty = role only
};

struct SimRoute {
  bool exists = true;
  int weight = 0;
};

class SimCluster {
 public:
  explicit SimCluster(const HistoryConfig& config);

  std::int64_t now_ms = 0;
  rollout::RouterKind routing;
  std::array<Trait, kTemplateCount> traits;
  UserSpec spec;
  std::int64_t generation = 1;
  std::map<std::string, std::string> annotations;
  rollout::RolloutStatus status;  // as stored
  SimDeployment stable, canary;
  SimServices services;
  SimRoute route;

  SystemTime now() const;
  Trait traitOf(const std::string& rev) const;
  // The Deployment controller (instant): rolling update with maxSurge 25% (rounded up) and
  // maxUnavailable 25% (rounded down), unready old pods removed first.
  void syncDeployment(SimDeployment& d);
  // Pods whose time has come become ready. Returns whether anything changed.
  bool kubelet();
  std::optional<std::int64_t> nextReadyAt() const;  // earliest finite pending readiness
  bool routed() const { return routing != rollout::RouterKind::kReplicaRatio; }
  // What the reconciler would observe (observed_world.cpp, the routers' readWeight()).
  rollout::ObservedWorld observe() const;
  std::optional<int> replicaRatioWeight() const;

 private:
  std::uint64_t pod_counter_ = 0;
  SimPod newPod(const std::string& rev);
};

}  // namespace mr::safety
