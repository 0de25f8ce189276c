#include "safety/sim_model.h"

#include <algorithm>

#include "rollout/template_hash.h"
#include "traffic/traffic_router.h"

namespace mr::safety {
namespace {

using rollout::Json;
using namespace std::chrono_literals;

struct Pool {
  std::array<Json, kTemplateCount> templates;
  std::array<std::string, kTemplateCount> revisions;
  Pool() {
    for (int i = 0; i < kTemplateCount; ++i) {
      templates[i] = {
          {"metadata", {{"labels", {{"app", "model"}}}}},
          {"spec",
           {{"containers",
             Json::array({{{"name", "model"}, {"image", "model:v" + std::to_string(i + 1)}}})}}}};
      revisions[i] = rollout::podTemplateHash(templates[i]);
    }
  }
};

const Pool& pool() {
  static const Pool p;
  return p;
}

// Step lists of the pool; every one ends at 100 as the parser requires.
const std::vector<std::vector<std::pair<int, int>>>& stepPool() {
  static const std::vector<std::vector<std::pair<int, int>>> s = {
      {{1, 30}, {10, 30}, {50, 30}, {100, 0}},
      {{10, 60}, {50, 60}, {100, 0}},
      {{50, 30}, {100, 0}},
      {{20, 0}, {100, 0}},
      {{100, 30}},
      {{10, 0}, {50, 0}, {100, 30}},
  };
  return s;
}

std::uint64_t splitmix(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

struct Rng {
  std::uint64_t state;
  int below(int n) { return static_cast<int>(splitmix(state) % static_cast<std::uint64_t>(n)); }
  bool chance(int percent) { return below(100) < percent; }
};

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t x = a * 0x9e3779b97f4a7c15ULL ^ b;
  return splitmix(x);
}

}  // namespace

const char* traitName(Trait t) {
  switch (t) {
    case Trait::kGood:
      return "good";
    case Trait::kSlow:
      return "slow";
    case Trait::kCrashLoop:
      return "crashloop";
    case Trait::kUnschedulable:
      return "unschedulable";
    case Trait::kBadMetrics:
      return "bad-metrics";
  }
  return "?";
}

const std::string& templateRevision(int i) {
  return pool().revisions[i];
}
const Json& templateJson(int i) {
  return pool().templates[i];
}

std::string describe(const Event& e) {
  const std::string a = std::to_string(e.a);
  switch (e.kind) {
    case EventKind::kReconcile:
      if (e.a < 0) return "reconcile";
      return std::string("reconcile, ") + (e.b == 0 ? "controller crash" : "API error") +
             " after op #" + a + " (mod ops+1)";
    case EventKind::kTick:
      return "clock +" + a + "s, kubelet";
    case EventKind::kPodCrash:
      return std::string("pod crash: ") + (e.a == 0 ? "stable" : "canary") + " pod #" +
             std::to_string(e.b);
    case EventKind::kAnalysisDone:
      return "analysis result (draw " + a + ")";
    case EventKind::kEditTemplate:
      return "edit spec.template -> template " + a;
    case EventKind::kEditSteps:
      return "edit spec.steps -> pool " + a;
    case EventKind::kEditPaused:
      return "edit spec.paused -> " + std::string(e.a ? "true" : "false");
    case EventKind::kEditAnalysis:
      return "edit spec.analysis -> variant " + a;
    case EventKind::kEditReplicas:
      return "edit spec.replicas -> " + a;
    case EventKind::kEditInvalid:
      return std::string("edit spec: ") + (e.a ? "make invalid (selector)" : "make valid");
    case EventKind::kAnnotate: {
      static const char* names[] = {"promote=true", "promote=full", "abort", "retry"};
      return std::string("annotate ") + names[e.a & 3];
    }
    case EventKind::kRouteEdit:
      return "someone else sets the route/lever to " + a;
    case EventKind::kRouteDelete:
      return "someone deletes the route";
    case EventKind::kRouteCreate:
      return "someone recreates the route with weight " + a;
    case EventKind::kLeaderChange:
      return e.a < 0 ? "leader change between passes"
                     : "leader change during a pass, after op #" + a + " (mod ops+1)";
  }
  return "?";
}

std::string describe(const HistoryConfig& c) {
  std::string out = std::string("routing=") +
                    (c.routing == rollout::RouterKind::kReplicaRatio ? "replicaRatio"
                     : c.routing == rollout::RouterKind::kGatewayApi ? "gatewayAPI"
                                                                     : "istio") +
                    " replicas=" + std::to_string(c.replicas) + " steps=pool" +
                    std::to_string(c.steps) + " analysis=variant" + std::to_string(c.analysis) +
                    " templates=[";
  for (int i = 0; i < kTemplateCount; ++i)
    out += std::string(i ? "," : "") + traitName(c.traits[i]);
  return out + "]";
}

History generateHistory(std::uint64_t seed, const SimOptions& options) {
  History h;
  h.seed = seed;
  Rng r{mix(seed, 0x5afe)};
  auto& c = h.config;
  static const rollout::RouterKind kinds[] = {rollout::RouterKind::kReplicaRatio,
                                              rollout::RouterKind::kGatewayApi,
                                              rollout::RouterKind::kIstio};
  c.routing = kinds[r.below(3)];
  static const int replicas[] = {1, 2, 3, 4, 5, 10};
  c.replicas = replicas[r.below(6)];
  c.steps = r.below(kStepPoolSize);
  c.analysis = r.below(kAnalysisVariants);
  c.traits[0] = Trait::kGood;
  for (int i = 1; i < kTemplateCount; ++i) {
    const int x = r.below(100);
    Trait t = x < 45   ? Trait::kGood
              : x < 60 ? Trait::kSlow
              : x < 75 ? Trait::kBadMetrics
              : x < 88 ? Trait::kCrashLoop
                       : Trait::kUnschedulable;
    if (!options.pod_faults && (t == Trait::kCrashLoop || t == Trait::kUnschedulable)) {
      t = Trait::kSlow;
    }
    c.traits[i] = t;
  }
  // Start from a Healthy rollout: one pass, pods ready, another pass.
  h.events.push_back({EventKind::kReconcile, -1, 0});
  h.events.push_back({EventKind::kTick, 60, 0});
  h.events.push_back({EventKind::kReconcile, -1, 0});
  for (int i = 0; i < options.events; ++i) {
    Event e;
    const int x = r.below(1000);
    if (x < 380) {
      e.kind = EventKind::kReconcile;
      e.a = -1;
      const int f = r.below(100);
      if (f < 12) {
        e.a = r.below(12);
        e.b = 0;
      } else if (f < 16) {
        e.a = r.below(12);
        e.b = 1;
      }
    } else if (x < 590) {
      e.kind = EventKind::kTick;
      static const int secs[] = {1, 5, 10, 20, 30, 60, 120, 300};
      e.a = secs[r.below(8)];
    } else if (x < 670) {
      e.kind = EventKind::kAnalysisDone;
      e.a = r.below(100);
    } else if (x < 710) {
      e.kind = EventKind::kPodCrash;
      e.a = r.below(2);
      e.b = r.below(10);
    } else if (x < 780) {
      e.kind = EventKind::kEditTemplate;
      e.a = r.below(kTemplateCount);
    } else if (x < 810) {
      e.kind = EventKind::kEditSteps;
      e.a = r.below(kStepPoolSize);
    } else if (x < 835) {
      e.kind = EventKind::kEditPaused;
      e.a = r.below(2);
    } else if (x < 850) {
      e.kind = EventKind::kEditAnalysis;
      e.a = r.below(kAnalysisVariants);
    } else if (x < 875) {
      e.kind = EventKind::kEditReplicas;
      e.a = replicas[r.below(6)];
    } else if (x < 890) {
      e.kind = EventKind::kEditInvalid;
      e.a = r.below(2);
    } else if (x < 935) {
      e.kind = EventKind::kAnnotate;
      e.a = r.below(4);
    } else if (x < 955) {
      e.kind = EventKind::kRouteEdit;
      e.a = r.below(101);
    } else if (x < 965) {
      e.kind = EventKind::kRouteDelete;
    } else if (x < 975) {
      e.kind = EventKind::kRouteCreate;
      e.a = r.chance(50) ? 0 : r.below(101);
    } else {
      e.kind = EventKind::kLeaderChange;
      e.a = r.chance(50) ? -1 : r.below(12);
    }
    h.events.push_back(e);
  }
  return h;
}

rollout::SpecParseResult buildSpec(const UserSpec& u, rollout::RouterKind routing) {
  rollout::SpecParseResult out;
  if (u.invalid) {
    out.errors.push_back({"spec.selector", "matchLabels must be in spec.template's labels"});
    // The parser still returns a valid spec.trafficRouting (and spec.replicas) beside the
    // errors (parseSpec).
    rollout::TrafficRouting t;
    t.kind = routing;
    if (routing == rollout::RouterKind::kGatewayApi) t.http_route = "model";
    if (routing == rollout::RouterKind::kIstio) t.virtual_service = "model";
    out.traffic_routing = t;
    out.replicas = u.replicas;  // and spec.replicas, which is valid too
    return out;
  }
  rollout::ModelRolloutSpec s;
  s.replicas = u.replicas;
  s.selector = {{"matchLabels", {{"app", "model"}}}};
  s.pod_template = templateJson(u.tmpl);
  s.traffic_routing.kind = routing;
  if (routing == rollout::RouterKind::kGatewayApi) s.traffic_routing.http_route = "model";
  if (routing == rollout::RouterKind::kIstio) s.traffic_routing.virtual_service = "model";
  for (const auto& [w, hold] : stepPool()[u.steps]) {
    s.steps.push_back({w, std::chrono::milliseconds(std::chrono::seconds(hold))});
  }
  if (u.analysis > 0) {
    analysis::AnalysisSpec a;
    a.interval = 20s;
    if (u.analysis == 1) {
      a.failure_limit = 1;
      a.inconclusive_timeout = 60s;
      a.on_inconclusive_limit = analysis::InconclusiveLimitPolicy::kPause;
    } else {
      a.failure_limit = 2;
      a.inconclusive_timeout = 40s;
      a.on_inconclusive_limit = analysis::InconclusiveLimitPolicy::kRollback;
    }
    s.analysis = a;
  }
  s.paused = u.paused;
  out.spec = std::move(s);
  return out;
}

int SimDeployment::updated() const {
  int n = 0;
  for (const auto& p : pods)
    n += p.rev == rev;
  return n;
}

int SimDeployment::ready() const {
  int n = 0;
  for (const auto& p : pods)
    n += p.ready;
  return n;
}

int SimDeployment::readyOf(const std::string& r) const {
  int n = 0;
  for (const auto& p : pods)
    n += p.ready && p.rev == r;
  return n;
}

SimCluster::SimCluster(const HistoryConfig& config)
    : routing(config.routing), traits(config.traits) {
  spec.replicas = config.replicas;
  spec.steps = config.steps;
  spec.analysis = config.analysis;
}

SystemTime SimCluster::now() const {
  return SystemTime(std::chrono::seconds(1'800'000'000)) + std::chrono::milliseconds(now_ms);
}

Trait SimCluster::traitOf(const std::string& rev) const {
  for (int i = 0; i < kTemplateCount; ++i)
    if (templateRevision(i) == rev) return traits[i];
  return Trait::kGood;
}

SimPod SimCluster::newPod(const std::string& rev) {
  SimPod p;
  p.rev = rev;
  const std::uint64_t h = mix(++pod_counter_, std::hash<std::string>()(rev));
  switch (traitOf(rev)) {
    case Trait::kGood:
    case Trait::kBadMetrics:
      p.ready_at = now_ms + 5000 + static_cast<std::int64_t>(h % 25000);
      break;
    case Trait::kSlow:
      p.ready_at = now_ms + 60000 + static_cast<std::int64_t>(h % 180000);
      break;
    case Trait::kCrashLoop:
    case Trait::kUnschedulable:
      p.ready_at = kNever;
      break;
  }
  return p;
}

void SimCluster::syncDeployment(SimDeployment& d) {
  if (!d.exists) return;
  d.observed_generation = d.generation;
  const int want = std::max(0, d.replicas);
  const int surge = (want * 25 + 99) / 100;
  int unavailable = want * 25 / 100;
  if (surge == 0 && unavailable == 0) unavailable = 1;
  auto count_new = [&] {
    return static_cast<int>(std::count_if(d.pods.begin(), d.pods.end(),
                                          [&](const SimPod& p) { return p.rev == d.rev; }));
  };
  // Removes up to n pods matching `pred`, unready ones first.
  auto remove = [&](int n, auto pred) {
    for (int pass = 0; pass < 2 && n > 0; ++pass) {
      for (auto it = d.pods.end(); it != d.pods.begin() && n > 0;) {
        --it;
        if (pred(*it) && it->ready == (pass == 1)) {
          it = d.pods.erase(it);
          --n;
        }
      }
    }
  };
  for (int round = 0; round < 4; ++round) {
    const int fresh = count_new();
    if (fresh > want) remove(fresh - want, [&](const SimPod& p) { return p.rev == d.rev; });
    const int total = static_cast<int>(d.pods.size());
    const int add = std::min(want - count_new(), want + surge - total);
    for (int i = 0; i < add; ++i)
      d.pods.push_back(newPod(d.rev));
    // Old pods: unready ones go at once, ready ones while availability stays above the floor.
    remove(static_cast<int>(d.pods.size()),
           [&](const SimPod& p) { return p.rev != d.rev && !p.ready; });
    const int floor = want - unavailable;
    int removable = d.ready() - floor;
    if (count_new() == 0 && want == 0) removable = static_cast<int>(d.pods.size());
    remove(std::max(0, removable), [&](const SimPod& p) { return p.rev != d.rev; });
    if (add <= 0 && removable <= 0) break;
  }
}

bool SimCluster::kubelet() {
  bool changed = false;
  for (SimDeployment* d : {&stable, &canary}) {
    for (auto& p : d->pods) {
      if (!p.ready && p.ready_at != kNever && p.ready_at <= now_ms) {
        p.ready = true;
        changed = true;
      }
    }
    if (changed) syncDeployment(*d);
  }
  return changed;
}

std::optional<std::int64_t> SimCluster::nextReadyAt() const {
  std::optional<std::int64_t> out;
  for (const SimDeployment* d : {&stable, &canary})
    for (const auto& p : d->pods)
      if (!p.ready && p.ready_at != kNever && (!out || p.ready_at < *out)) out = p.ready_at;
  return out;
}

std::optional<int> SimCluster::replicaRatioWeight() const {
  return traffic::weightPercent(stable.exists ? stable.ready() : 0,
                                canary.exists ? canary.ready() : 0);
}

rollout::ObservedWorld SimCluster::observe(bool read_route) const {
  rollout::ObservedWorld w;
  auto obs = [](const SimDeployment& d) {
    rollout::ObservedDeployment o;
    if (!d.exists) return o;
    o.exists = true;
    o.revision = d.rev;
    o.replicas = d.replicas;
    o.generation = d.generation;
    o.observed_generation = d.observed_generation;
    o.total_replicas = static_cast<int>(d.pods.size());  // status.replicas: every ReplicaSet
    o.ready_replicas = d.ready();
    o.available_replicas = o.ready_replicas;  // minReadySeconds 0
    o.updated_replicas = d.updated();
    return o;
  };
  w.stable = obs(stable);
  w.canary = obs(canary);
  w.stable_service = services.stable;
  w.canary_service = services.canary;
  w.root_service = services.root;
  if (!read_route) {
    // No router this pass: route_exists stays true, the weight unknown.
  } else if (routed()) {
    w.route_exists = route.exists;
    if (route.exists) w.route_weight = route.weight;
  } else {
    w.route_exists = true;
    w.route_weight = replicaRatioWeight();
  }
  return w;
}

}  // namespace mr::safety
