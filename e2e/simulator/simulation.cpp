#include "e2e/simulator/simulation.h"

#include <spdlog/spdlog.h>

#include <cmath>

namespace mr::sim {
namespace {

std::pair<std::string, std::string> keyOf(const Json& object) {
  const Json meta = object.value("metadata", Json::object());
  return {meta.value("namespace", ""), meta.value("name", "")};
}

// The revision label of a pod template; the template hash when the label is absent.
std::string revisionOf(const Json& pod_template) {
  const Json labels =
      pod_template.value("metadata", Json::object()).value("labels", Json::object());
  const std::string label = labels.is_object() ? labels.value("modelrollout.io/revision", "") : "";
  return label.empty() ? KubeletModel::templateHash(pod_template) : label;
}

}  // namespace

Simulation::Simulation(SimulationOptions options, MetricsStore& metrics)
    : options_(options), metrics_(metrics), kubelet_(options.ready_delay), sampler_(options.seed) {}

std::vector<StatusWrite> Simulation::tick(const ClusterSnapshot& snapshot, SteadyTime now,
                                          SystemTime wall_now, std::chrono::nanoseconds dt) {
  std::vector<StatusWrite> writes = syncDeployments(snapshot, now, wall_now);

  std::map<Key, ObjectPtr> routes, services;
  for (const auto& r : snapshot.http_routes)
    routes.emplace(keyOf(*r), r);
  for (const auto& v : snapshot.virtual_services)
    services.emplace(keyOf(*v), v);
  std::map<Key, RolloutState> live;
  for (const auto& rollout : snapshot.rollouts) {
    const Key key = keyOf(*rollout);
    auto it = rollouts_.find(key);
    if (it != rollouts_.end())
      live.emplace(key, std::move(it->second));
    else
      live.emplace(key, RolloutState{});
  }
  for (const auto& [key, state] : rollouts_) {
    if (!live.count(key)) metrics_.removeRollout(key.first, key.second);
  }
  rollouts_ = std::move(live);
  for (const auto& rollout : snapshot.rollouts)
    serveRollout(*rollout, routes, services, dt);
  return writes;
}

std::vector<StatusWrite> Simulation::syncDeployments(const ClusterSnapshot& snapshot,
                                                     SteadyTime now, SystemTime wall_now) {
  std::map<Key, ObjectPtr> current;
  for (const auto& d : snapshot.deployments) {
    const Key key = keyOf(*d);
    current.emplace(key, d);
    const auto seen = seen_deployments_.find(key);
    if (seen == seen_deployments_.end() || seen->second != d) kubelet_.observe(*d, now);
  }
  for (const auto& [key, d] : seen_deployments_) {
    if (!current.count(key)) {
      kubelet_.forget(key.first, key.second);
      written_.erase(key);
    }
  }
  seen_deployments_ = std::move(current);
  kubelet_.advance(now);

  std::vector<StatusWrite> writes;
  for (const auto& [key, d] : seen_deployments_) {
    Json desired = kubelet_.desiredStatus(key.first, key.second, wall_now);
    if (deploymentStatusEquivalent(desired, kubelet_.observedStatus(key.first, key.second))) {
      continue;
    }
    const auto w = written_.find(key);
    if (w != written_.end() && deploymentStatusEquivalent(desired, w->second.status) &&
        now - w->second.at < options_.rewrite_after) {
      continue;  // written recently; the watch has not shown it yet
    }
    writes.push_back({key.first, key.second, std::move(desired)});
  }
  return writes;
}

void Simulation::statusWritten(const StatusWrite& write, SteadyTime now) {
  written_[{write.ns, write.name}] = {write.status, now};
}

TrafficSplit Simulation::lastSplit(const std::string& ns, const std::string& name) const {
  const auto it = rollouts_.find({ns, name});
  return it == rollouts_.end() ? TrafficSplit{} : it->second.split;
}

void Simulation::serveRollout(const Json& rollout, const std::map<Key, ObjectPtr>& routes,
                              const std::map<Key, ObjectPtr>& services,
                              std::chrono::nanoseconds dt) {
  const auto [ns, name] = keyOf(rollout);
  RolloutState& state = rollouts_[{ns, name}];
  Result<TrafficSplit> split = TrafficSplit{};
  Result<RoutingRef> ref = routingOf(rollout);
  if (!ref.isOk()) {
    split = ref.status();
  } else if (ref->kind == RouterKind::kReplicaRatio) {
    split = splitFromReplicas(kubelet_.readyView(ns, name + "-stable").ready_replicas,
                              kubelet_.readyView(ns, name + "-canary").ready_replicas);
  } else {
    const auto& objects = ref->kind == RouterKind::kHttpRoute ? routes : services;
    const auto it = objects.find({ns, ref->object_name});
    if (it == objects.end()) {
      split = notFound("route object " + ns + "/" + ref->object_name + " not found");
    } else if (ref->kind == RouterKind::kHttpRoute) {
      split = splitFromHttpRoute(*it->second, name);
    } else {
      split = splitFromVirtualService(*it->second, name, ref->routes);
    }
  }
  if (!split.isOk()) {
    if (state.warning != split.status().message()) {
      state.warning = split.status().message();
      spdlog::warn("rollout {}/{}: no traffic: {}", ns, name, state.warning);
    }
    state.split = {};
    state.carry = 0;
    return;
  }
  state.warning.clear();
  state.split = *split;
  if (split->total() == 0) {
    state.carry = 0;
    return;
  }
  state.carry += options_.rate * std::chrono::duration<double>(dt).count();
  const double whole = std::floor(state.carry);
  state.carry -= whole;
  const auto n = static_cast<uint64_t>(whole);
  const uint64_t canary = sampler_.split(n, split->canaryFraction());
  serveRole(ns, name, "stable", n - canary);
  serveRole(ns, name, "canary", canary);
}

void Simulation::serveRole(const std::string& ns, const std::string& rollout,
                           const std::string& role, uint64_t n) {
  if (n == 0) return;
  const std::string deployment = rollout + "-" + role;
  const auto seen = seen_deployments_.find({ns, deployment});
  if (seen == seen_deployments_.end()) return;  // a route to nothing: no server to count it
  const ReadyView view = kubelet_.readyView(ns, deployment);
  if (view.ready_replicas == 0 || view.ready_template.is_null()) {
    const Json target = seen->second->value("spec", Json::object()).value("template", Json());
    RoleTick t;
    t.unavailable = n;
    metrics_.add({ns, rollout, role, revisionOf(target)}, t);
    return;
  }
  metrics_.add({ns, rollout, role, revisionOf(view.ready_template)},
               sampler_.serve(behaviorFor(view.ready_template), n));
}

const CompiledBehavior& Simulation::behaviorFor(const Json& pod_template) {
  const std::string hash = KubeletModel::templateHash(pod_template);
  auto it = behaviors_.find(hash);
  if (it != behaviors_.end()) return it->second;
  Result<ModelBehavior> behavior = parseBehavior(pod_template);
  if (!behavior.isOk() && bad_behaviors_.insert(hash).second) {
    spdlog::warn("pod template {}: {}; using default behaviour", hash,
                 behavior.status().toString());
  }
  if (behaviors_.size() > 4096) behaviors_.clear();  // bound memory across many revisions
  return behaviors_.emplace(hash, compileBehavior(behavior.isOk() ? *behavior : ModelBehavior{}))
      .first->second;
}

}  // namespace mr::sim
