#include "e2e/simulator/simulator_runner.h"

#include <spdlog/spdlog.h>

#include <fstream>

namespace mr::sim {
namespace {

const k8s::ResourceType& podsType() {
  static const k8s::ResourceType pods{"", "v1", "pods", "Pod", true};
  return pods;
}

std::unique_ptr<k8s::Informer> makeInformer(k8s::ApiClient& client, const k8s::ResourceType& type,
                                            const Clock& clock) {
  k8s::InformerOptions options;
  options.reflector.watch_timeout_seconds = 120;
  // CRDs may be registered after the simulator starts: keep retrying quickly.
  options.reflector.backoff = BackoffPolicy{Millis(200), Millis(2000), 2.0, 0.1};
  return std::make_unique<k8s::Informer>(client, type, options, clock);
}

}  // namespace

SimulatorRunner::SimulatorRunner(k8s::ApiClient& client, const Clock& clock, RunnerOptions options)
    : client_(client),
      clock_(clock),
      options_(std::move(options)),
      metrics_(std::make_shared<MetricsStore>()),
      simulation_(options_.simulation, *metrics_) {}

SimulatorRunner::~SimulatorRunner() {
  for (auto* informer : {&deployments_, &rollouts_, &http_routes_, &virtual_services_, &pods_}) {
    if (*informer) (*informer)->stop();
  }
}

Status SimulatorRunner::start() {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(options_.metrics_listen);
    exposer_->RegisterCollectable(metrics_);
    const auto ports = exposer_->GetListeningPorts();
    if (ports.empty()) return unavailable("metrics endpoint has no listening port");
    metrics_port_ = ports.front();
  } catch (const std::exception& e) {
    return unavailable("cannot listen on " + options_.metrics_listen + ": " + e.what());
  }
  if (!options_.port_file.empty()) {
    // Write then rename so a reader never sees a partial file.
    const std::string tmp = options_.port_file + ".tmp";
    {
      std::ofstream out(tmp);
      out << metrics_port_ << "\n";
      if (!out) return internalError("cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), options_.port_file.c_str()) != 0) {
      return internalError("cannot rename " + tmp + " to " + options_.port_file);
    }
  }
  namespace res = k8s::resources;
  deployments_ = makeInformer(client_, res::deployments(), clock_);
  rollouts_ = makeInformer(client_, res::modelRollouts(), clock_);
  http_routes_ = makeInformer(client_, res::httpRoutes(), clock_);
  virtual_services_ = makeInformer(client_, res::virtualServices(), clock_);
  for (auto* informer : {&deployments_, &rollouts_, &http_routes_, &virtual_services_}) {
    (*informer)->start();
  }
  if (options_.simulation.kubelet_only) {
    if (!options_.raw) return invalidArgument("kubelet-only mode needs a raw request function");
    pods_ = makeInformer(client_, podsType(), clock_);
    pods_->start();
  }
  return Status::ok();
}

ClusterSnapshot SimulatorRunner::snapshot() const {
  return {deployments_->list(), rollouts_->list(), http_routes_->list(), virtual_services_->list(),
          pods_ ? pods_->list() : std::vector<ObjectPtr>{}};
}

void SimulatorRunner::writeStatuses(const std::vector<StatusWrite>& writes, SteadyTime now) {
  for (const auto& w : writes) {
    auto result = client_.patch(k8s::resources::deployments(), w.ns, w.name, k8s::PatchType::kMerge,
                                {{"status", w.status}}, "status");
    if (result.isOk()) {
      simulation_.statusWritten(w, now);
      spdlog::debug("deployment {}/{}: status ready={}/{} updated={}", w.ns, w.name,
                    w.status.value("readyReplicas", 0), w.status.value("replicas", 0),
                    w.status.value("updatedReplicas", 0));
    } else if (result.status().code() != StatusCode::kNotFound) {
      spdlog::warn("deployment {}/{}: status write failed: {}", w.ns, w.name,
                   result.status().toString());
    }
  }
}

void SimulatorRunner::writePods(const std::vector<PodWrite>& writes) {
  const k8s::ResourceType& pods = podsType();
  for (const auto& w : writes) {
    if (!w.create) {
      const Status removed = client_.remove(pods, w.ns, w.name);
      if (removed.isOk() || removed.code() == StatusCode::kNotFound) simulation_.podWritten(w);
      continue;
    }
    // Like the real API: the Pod is created, then the scheduler/kubelet write its status.
    Json pod = w.pod;
    const Json status = pod["status"];
    pod.erase("status");
    auto created = client_.create(pods, w.ns, pod);
    if (!created.isOk() && created.status().code() != StatusCode::kAlreadyExists) {
      spdlog::warn("pod {}/{}: create failed: {}", w.ns, w.name, created.status().toString());
      continue;
    }
    auto patched =
        client_.patch(pods, w.ns, w.name, k8s::PatchType::kMerge, {{"status", status}}, "status");
    if (!patched.isOk()) {
      spdlog::warn("pod {}/{}: status write failed: {}", w.ns, w.name, patched.status().toString());
      continue;
    }
    spdlog::info("pod {}/{}: {}", w.ns, w.name, status.dump());
    simulation_.podWritten(w);
  }
}

void SimulatorRunner::runPodActions(SteadyTime now) {
  for (const auto& a : simulation_.podActions()) {
    const std::string pod_path = "/api/v1/namespaces/" + a.ns + "/pods/" + a.name;
    Status s = Status::ok();
    const char* what = "";
    switch (a.kind) {
      case PodAction::Kind::kBind:
        what = "bind";
        s = options_.raw("POST", pod_path + "/binding", a.body);
        break;
      case PodAction::Kind::kDelete:
        what = "delete";
        s = options_.raw("DELETE", pod_path, a.body);
        break;
      case PodAction::Kind::kStatus: {
        what = "status";
        auto r = client_.patch(podsType(), a.ns, a.name, k8s::PatchType::kMerge,
                               {{"status", a.body}}, "status");
        s = r.isOk() ? Status::ok() : r.status();
        break;
      }
    }
    if (s.isOk()) {
      simulation_.podActionWritten(a, now);
      spdlog::debug("pod {}/{}: {}", a.ns, a.name, what);
    } else if (s.code() != StatusCode::kNotFound && s.code() != StatusCode::kConflict) {
      spdlog::warn("pod {}/{}: {} failed: {}", a.ns, a.name, what, s.toString());
    }
  }
}

void SimulatorRunner::run() {
  SteadyTime last = clock_.steadyNow();
  while (!stop_.load()) {
    const SteadyTime now = clock_.steadyNow();
    // Real elapsed time keeps the request rate right even when a tick ran late.
    const auto dt = std::min<std::chrono::nanoseconds>(now - last, std::chrono::seconds(5));
    last = now;
    if (deployments_->hasSynced() && (!pods_ || pods_->hasSynced())) {
      writeStatuses(simulation_.tick(snapshot(), now, clock_.now(), dt), now);
      writePods(simulation_.podWrites(clock_.now()));
      if (pods_) runPodActions(now);
    }
    const SteadyTime next = now + options_.tick;
    const SteadyTime after = clock_.steadyNow();
    if (after < next) clock_.sleepFor(std::chrono::duration_cast<Millis>(next - after));
  }
  for (auto* informer : {&deployments_, &rollouts_, &http_routes_, &virtual_services_, &pods_}) {
    if (*informer) (*informer)->stop();
  }
}

}  // namespace mr::sim
