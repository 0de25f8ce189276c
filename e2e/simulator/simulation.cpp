#include "e2e/simulator/simulation.h"

#include <spdlog/spdlog.h>

#include <cmath>

namespace mr::sim {
namespace {

// Reads metadata without copying subtrees: this runs for every object on every tick.
std::pair<std::string, std::string> keyOf(const Json& object) {
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return {};
  const auto ns = meta->find("namespace"), name = meta->find("name");
  return {ns != meta->end() && ns->is_string() ? ns->get<std::string>() : "",
          name != meta->end() && name->is_string() ? name->get<std::string>() : ""};
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
    : options_(options),
      metrics_(metrics),
      kubelet_(options.ready_delay),
      pod_kubelet_(options.ready_delay, options.node_name, options.rewrite_after),
      sampler_(options.seed) {}

std::vector<StatusWrite> Simulation::tick(const ClusterSnapshot& snapshot, SteadyTime now,
                                          SystemTime wall_now, std::chrono::nanoseconds dt) {
  std::vector<StatusWrite> writes;
  if (options_.kubelet_only) {
    seen_deployments_.clear();
    for (const auto& d : snapshot.deployments)
      seen_deployments_.emplace(keyOf(*d), d);
    pod_actions_ = pod_kubelet_.tick(snapshot.pods, now, wall_now);
  } else {
    writes = syncDeployments(snapshot, now, wall_now);
  }

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
    serveRollout(rollout, routes, services, dt);
  return writes;
}

std::vector<StatusWrite> Simulation::syncDeployments(const ClusterSnapshot& snapshot,
                                                     SteadyTime now, SystemTime wall_now) {
  std::map<Key, ObjectPtr> current;
  for (const auto& d : snapshot.deployments) {
    const Key key = keyOf(*d);
    current.emplace(key, d);
    const auto seen = seen_deployments_.find(key);
    if (seen == seen_deployments_.end() || seen->second != d) {
      kubelet_.observe(*d, now);
      needs_check_.insert(key);
    }
  }
  for (const auto& [key, d] : seen_deployments_) {
    if (!current.count(key)) {
      kubelet_.forget(key.first, key.second);
      written_.erase(key);
      needs_check_.erase(key);
    }
  }
  seen_deployments_ = std::move(current);
  kubelet_.advance(now);

  // Only Deployments that changed, wait for readiness, or await the echo of a write are
  // checked, so a steady cluster costs nothing here.
  std::vector<StatusWrite> writes;
  for (auto it = needs_check_.begin(); it != needs_check_.end();) {
    const auto& [ns, name] = *it;
    Json desired = kubelet_.desiredStatus(ns, name, wall_now);
    if (deploymentStatusEquivalent(desired, kubelet_.observedStatus(ns, name))) {
      written_.erase(*it);
      it = kubelet_.settled(ns, name) ? needs_check_.erase(it) : std::next(it);
      continue;
    }
    const auto w = written_.find(*it);
    const bool recently_written = w != written_.end() &&
                                  deploymentStatusEquivalent(desired, w->second.status) &&
                                  now - w->second.at < options_.rewrite_after;
    if (!recently_written) writes.push_back({ns, name, std::move(desired)});
    ++it;
  }
  return writes;
}

void Simulation::statusWritten(const StatusWrite& write, SteadyTime now) {
  written_[{write.ns, write.name}] = {write.status, now};
}

std::vector<PodWrite> Simulation::podWrites(SystemTime wall_now) const {
  std::vector<PodWrite> out;
  if (options_.kubelet_only) return out;  // the ReplicaSet controller creates real pods
  auto desired = kubelet_.failingPods(wall_now);
  for (auto& [key, pod] : desired) {
    if (!pods_.count(key)) out.push_back({true, key.first, key.second, std::move(pod)});
  }
  for (const auto& key : pods_) {
    if (!desired.count(key)) out.push_back({false, key.first, key.second, Json()});
  }
  return out;
}

void Simulation::podWritten(const PodWrite& write) {
  if (write.create) {
    pods_.insert({write.ns, write.name});
  } else {
    pods_.erase({write.ns, write.name});
  }
}

TrafficSplit Simulation::lastSplit(const std::string& ns, const std::string& name) const {
  const auto it = rollouts_.find({ns, name});
  return it == rollouts_.end() ? TrafficSplit{} : it->second.split;
}

Result<TrafficSplit> Simulation::currentSplit(const ObjectPtr& rollout, RolloutState& state,
                                              const std::map<Key, ObjectPtr>& routes,
                                              const std::map<Key, ObjectPtr>& services) {
  const auto [ns, name] = keyOf(*rollout);
  if (state.routing_source != rollout || !state.routing) {
    state.routing_source = rollout;
    state.routing = routingOf(*rollout);
    state.route_source = nullptr;
  }
  const Result<RoutingRef>& ref = *state.routing;
  if (!ref.isOk()) return ref.status();
  if (ref->kind == RouterKind::kReplicaRatio) {
    return splitFromReplicas(readyReplicas(ns, name + "-stable"),
                             readyReplicas(ns, name + "-canary"));
  }
  const auto& objects = ref->kind == RouterKind::kHttpRoute ? routes : services;
  const auto it = objects.find({ns, ref->object_name});
  if (it == objects.end()) {
    return notFound("route object " + ns + "/" + ref->object_name + " not found");
  }
  if (state.route_source != it->second || !state.route_split) {
    state.route_source = it->second;
    state.route_split = ref->kind == RouterKind::kHttpRoute
                            ? splitFromHttpRoute(*it->second, name)
                            : splitFromVirtualService(*it->second, name, ref->routes);
  }
  return *state.route_split;
}

void Simulation::serveRollout(const ObjectPtr& rollout, const std::map<Key, ObjectPtr>& routes,
                              const std::map<Key, ObjectPtr>& services,
                              std::chrono::nanoseconds dt) {
  const auto [ns, name] = keyOf(*rollout);
  RolloutState& state = rollouts_[{ns, name}];
  Result<TrafficSplit> split = currentSplit(rollout, state, routes, services);
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
  const std::vector<ReadyGroup> groups = readyGroups(ns, deployment);
  int ready = 0;
  for (const auto& g : groups)
    ready += g.ready;
  if (ready == 0) {
    const Json target = seen->second->value("spec", Json::object()).value("template", Json());
    RoleTick t;
    t.unavailable = n;
    metrics_.add({ns, rollout, role, revisionOf(target)}, t);
    return;
  }
  // Each template serves its share of the requests, by its share of the ready pods.
  for (const auto& g : groups) {
    const uint64_t share = g.ready == ready ? n : sampler_.split(n, double(g.ready) / ready);
    n -= share;
    ready -= g.ready;
    if (share == 0) continue;
    const VersionInfo& version = versionFor(g.hash, *g.pod);
    metrics_.add({ns, rollout, role, version.revision}, sampler_.serve(version.behavior, share));
  }
}

std::vector<ReadyGroup> Simulation::readyGroups(const std::string& ns,
                                                const std::string& deployment) const {
  if (options_.kubelet_only) return pod_kubelet_.readyGroups(ns, deployment);
  const ReadyView view = kubelet_.readyView(ns, deployment);
  if (view.ready_replicas == 0 || view.ready_template == nullptr) return {};
  // Non-owning: the template lives in the KubeletModel until its next observe/advance.
  return {{view.ready_replicas, view.ready_hash,
           std::shared_ptr<const Json>(std::shared_ptr<const Json>(), view.ready_template)}};
}

int Simulation::readyReplicas(const std::string& ns, const std::string& deployment) const {
  int ready = 0;
  for (const auto& g : readyGroups(ns, deployment))
    ready += g.ready;
  return ready;
}

const Simulation::VersionInfo& Simulation::versionFor(const std::string& hash,
                                                      const Json& pod_template) {
  auto it = versions_.find(hash);
  if (it != versions_.end()) return it->second;
  Result<ModelBehavior> behavior = parseBehavior(pod_template);
  if (!behavior.isOk() && bad_behaviors_.insert(hash).second) {
    spdlog::warn("pod template {}: {}; using default behaviour", hash,
                 behavior.status().toString());
  }
  if (versions_.size() > 4096) versions_.clear();  // bound memory across many revisions
  VersionInfo info{revisionOf(pod_template),
                   compileBehavior(behavior.isOk() ? *behavior : ModelBehavior{})};
  return versions_.emplace(hash, std::move(info)).first->second;
}

}  // namespace mr::sim
