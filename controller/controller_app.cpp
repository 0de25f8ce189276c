#include "controller/controller_app.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <thread>

#include "common/guarded_loop.h"
#include "common/logging.h"
#include "controller/probe_server.h"
#include "k8s/kube_config.h"
#include "k8s/leader_election.h"
#include "k8s/rest_client.h"

namespace mr::controller {
namespace {
spdlog::logger& logger() {
  static const auto named = namedLogger("controller");
  return *named;
}
}  // namespace

void handleTerminationSignals(std::function<void()> on_signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set, on_signal = std::move(on_signal)] {
    int sig = 0;
    if (sigwait(&set, &sig) == 0) {
      logger().info("received signal {}; shutting down", sig);
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
    logger().error("cannot load cluster configuration: {}", config.status().toString());
    return 2;
  }
  logger().info("using {} (server {})", config->description, config->server);
  const std::string config_namespace = config->default_namespace;
  // One identity for the Lease, Events and the User-Agent (servers' audit logs show who wrote).
  const std::string identity = k8s::defaultLeaderIdentity();
  k8s::RestClientOptions client_options;
  client_options.user_agent += " (" + identity + ")";
  // Leader election gets a client of its own: lease calls never queue behind worker writes
  // and are not subject to the write fence that leadership itself feeds.
  std::unique_ptr<k8s::RestClient> lease_client;
  if (flags_.leader_elect) {
    auto made = k8s::RestClient::create(*config, client_options);
    if (!made.isOk()) {
      logger().error("cannot create API client: {}", made.status().toString());
      return 2;
    }
    lease_client = std::move(*made);
  }
  auto created = k8s::RestClient::create(std::move(*config), client_options);
  if (!created.isOk()) {
    logger().error("cannot create API client: {}", created.status().toString());
    return 2;
  }
  std::unique_ptr<k8s::RestClient> client = std::move(*created);
  ControllerMetrics metrics;
  client->setRequestObserver(
      [&metrics](const std::string& verb, int code) { metrics.observeApiRequest(verb, code); });

  // Fenced leadership: the elector exists before the first request so that every write the
  // process makes asks it first. On loss, writes close at once (in-flight ones are cancelled)
  // and the process exits without draining reconciles, as controller-runtime does; a replica
  // that could have been replaced must not write another route or patch.
  std::unique_ptr<k8s::LeaderElector> elector;
  std::function<void()> start_leading;
  std::atomic<bool> releasing{false};  // set on shutdown: giving the lease back is no loss
  if (flags_.leader_elect) {
    k8s::LeaderElectionConfig lease{
        flags_.leader_election_namespace.empty() ? config_namespace
                                                 : flags_.leader_election_namespace,
        flags_.leader_election_id,
        identity,
        flags_.lease_duration,
        flags_.renew_deadline,
        flags_.retry_period,
        std::min(Millis(2000), flags_.lease_duration - flags_.renew_deadline)};
    if (Status s = k8s::LeaderElector::validate(lease); !s.isOk()) {
      logger().error("{}", s.toString());
      return 2;
    }
    k8s::RestClient* writer = client.get();
    elector = std::make_unique<k8s::LeaderElector>(
        *lease_client, lease, clock_,
        k8s::LeaderCallbacks{[&] {
                               metrics.setLeader(true);
                               if (start_leading) start_leading();
                             },
                             [writer, &releasing] {
                               writer->closeWrites("leadership lost");
                               if (releasing) return;
                               logger().error("leader election lost; exiting without draining");
                               spdlog::default_logger()->flush();
                               std::_Exit(1);
                             },
                             [](const std::string& who) { logger().info("leader is {}", who); }});
    client->setWriteFence([e = elector.get()] { return e->writeWindow(); });
  }

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
    logger().info("serving {} on {} (port {})",
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
    logger().error("{}", served.toString());
    return 2;
  }

  k8s::EventRecorder events(*client, clock_, {"modelrollout-controller", identity});
  ControllerContext context{*client, runtime, events, metrics, clock_, flags_};
  std::unique_ptr<k8s::Reconciler> reconciler = factory(context);
  runtime.startInformers();

  std::thread election;
  if (elector) {
    start_leading = [&] { runtime.startWorkers(*reconciler); };
    election = std::thread([&] {
      runGuarded(
          "leader election", [&] { elector->run(); },
          [&] {
            std::lock_guard lock(mu_);
            return stop_requested_;
          },
          clock_);
    });
  } else {
    metrics.setLeader(true);  // the only replica: it reconciles
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
  logger().info("stopping: draining workers");
  runtime.stop();
  if (elector) {
    releasing = true;
    elector->stop();  // releases the lease once the workers are done
    election.join();
  }
  events.stop();
  for (auto& server : servers)
    server->stop();
  logger().info("stopped cleanly");
  return 0;
}

}  // namespace mr::controller
