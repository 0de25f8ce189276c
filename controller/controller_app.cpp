#include "controller/controller_app.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "common/guarded_loop.h"
#include "controller/probe_server.h"
#include "k8s/kube_config.h"
#include "k8s/leader_election.h"
#include "k8s/rest_client.h"

namespace mr::controller {

void handleTerminationSignals(std::function<void()> on_signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set, on_signal = std::move(on_signal)] {
    int sig = 0;
    if (sigwait(&set, &sig) == 0) {
      spdlog::info("received signal {}; shutting down", sig);
      on_signal();
    }
  }).detach();
}

ControllerApp::ControllerApp(ControllerFlags flags, const Clock& clock)
    : flags_(std::move(flags)), clock_(clock) {}

void ControllerApp::requestStop() {
  std::lock_guard lock(mu_);
  stop_requested_ = true;
  cv_.notify_all();
}

int ControllerApp::run(const ReconcilerFactory& factory, RuntimePolicy policy) {
  auto config =
      k8s::loadClusterConfig(flags_.kubeconfig, flags_.context, k8s::processEnv(), clock_);
  if (!config.isOk()) {
    spdlog::error("cannot load cluster configuration: {}", config.status().toString());
    return 2;
  }
  spdlog::info("using {} (server {})", config->description, config->server);
  const std::string config_namespace = config->default_namespace;
  auto created = k8s::RestClient::create(std::move(*config));
  if (!created.isOk()) {
    spdlog::error("cannot create API client: {}", created.status().toString());
    return 2;
  }
  std::unique_ptr<k8s::RestClient> client = std::move(*created);
  ControllerMetrics metrics;
  client->setRequestObserver(
      [&metrics](const std::string& verb, int code) { metrics.observeApiRequest(verb, code); });

  k8s::ControllerOptions options;
  options.ns = flags_.ns;
  options.workers = flags_.workers;
  options.transform = std::move(policy.cache_transform);
  options.primary_priority = std::move(policy.primary_priority);
  options.read_cached = std::move(policy.read_cached);
  k8s::ControllerRuntime runtime(
      *client, clock_, options,
      {[&metrics](const std::string& result, double s) { metrics.observeReconcile(result, s); }});

  // Probes and metrics; one server when both share an address.
  std::vector<std::unique_ptr<ProbeServer>> servers;
  const auto serve = [&](const std::string& address, bool health, bool with_metrics) -> Status {
    if (address.empty() || address == "0") return Status::ok();
    auto server = std::make_unique<ProbeServer>();
    if (health) {
      server->handle("/healthz", [] { return ProbeResponse{200, "ok\n"}; });
      server->handle("/readyz", [&runtime] {
        return runtime.hasSynced() ? ProbeResponse{200, "ok\n"}
                                   : ProbeResponse{503, "informer caches not synced\n"};
      });
    }
    if (with_metrics) {
      server->handle("/metrics", [&metrics] {
        return ProbeResponse{200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8"};
      });
    }
    if (Status s = server->start(address); !s.isOk()) return s;
    (health ? health_port_ : metrics_port_) = server->port();
    if (with_metrics) metrics_port_ = server->port();
    spdlog::info("serving {} on {} (port {})",
                 health && with_metrics ? "probes and metrics"
                 : health               ? "probes"
                                        : "metrics",
                 address, server->port());
    servers.push_back(std::move(server));
    return Status::ok();
  };
  const bool shared = flags_.metrics_bind_address == flags_.health_probe_bind_address;
  Status served = serve(flags_.health_probe_bind_address, true, shared);
  if (served.isOk() && !shared) served = serve(flags_.metrics_bind_address, false, true);
  if (!served.isOk()) {
    spdlog::error("{}", served.toString());
    return 2;
  }

  k8s::EventRecorder events(*client, clock_,
                            {"modelrollout-controller", k8s::defaultLeaderIdentity()});
  ControllerContext context{*client, runtime, events, metrics, clock_, flags_};
  std::unique_ptr<k8s::Reconciler> reconciler = factory(context);
  runtime.startInformers();

  std::unique_ptr<k8s::LeaderElector> elector;
  std::thread election;
  if (flags_.leader_elect) {
    k8s::LeaderElectionConfig lease{flags_.leader_election_namespace.empty()
                                        ? config_namespace
                                        : flags_.leader_election_namespace,
                                    flags_.leader_election_id, k8s::defaultLeaderIdentity()};
    if (Status s = k8s::LeaderElector::validate(lease); !s.isOk()) {
      spdlog::error("{}", s.toString());
      return 2;
    }
    elector = std::make_unique<k8s::LeaderElector>(
        *client, lease, clock_,
        k8s::LeaderCallbacks{[&] {
                               metrics.setLeader(true);
                               runtime.startWorkers(*reconciler);
                             },
                             [&] {
                               metrics.setLeader(false);
                               std::lock_guard lock(mu_);
                               if (!stop_requested_) leadership_lost_ = true;
                               stop_requested_ = true;
                               cv_.notify_all();
                             },
                             [](const std::string& who) { spdlog::info("leader is {}", who); }});
    election = std::thread([&] {
      runGuarded("leader election", [&] { elector->run(); },
                 [&] {
                   std::lock_guard lock(mu_);
                   return stop_requested_;
                 },
                 clock_);
    });
  } else {
    runtime.startWorkers(*reconciler);
  }

  {
    std::unique_lock lock(mu_);
    bool trimmed = false;
    while (!stop_requested_) {
      metrics.setQueueDepth(static_cast<double>(runtime.queue().len()));
      if (!trimmed && runtime.hasSynced()) {
        // The first lists' pages are freed by now; hand that memory back to the OS instead of
        // keeping it as heap slack (bench idle N=10,000).
        malloc_trim(0);
        trimmed = true;
      }
      clock_.waitUntil(cv_, lock, clock_.steadyNow() + Millis(1000));
    }
  }
  spdlog::info("stopping: draining workers");
  runtime.stop();
  if (elector) {
    elector->stop();  // releases the lease once the workers are done
    election.join();
  }
  events.stop();
  for (auto& server : servers)
    server->stop();
  std::lock_guard lock(mu_);
  if (leadership_lost_) {
    spdlog::error("leader election lost");
    return 1;
  }
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace mr::controller
