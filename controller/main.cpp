// modelrollout-controller: parses flags, sets up logging and signals, and runs the controller
// with the ModelRollout reconciler (see controller_app.h and rollout_reconciler_factory.h).
// boost/asio (via pplx/threadpool.h) uses std::exchange without including <utility>.
#include <utility>
// (separate block: clang-format must not sort <utility> after pplx)
#include <malloc.h>
#include <pplx/threadpool.h>

#include <cstdlib>
#include <iostream>

#include "common/logging.h"
#include "controller/controller_app.h"
#include "controller/rollout_reconciler_factory.h"
#include "reconcile/cache_projection.h"
#include "reconcile/event_priority.h"

int main(int argc, char** argv) {
  // glibc gives each thread that allocates its own arena; with workers, informer and analyzer
  // threads that kept ~12% of RSS as per-arena slack (bench idle N=1000: 64.8 -> 56.7 MiB).
  mallopt(M_ARENA_MAX, 2);
  using namespace mr::controller;
  auto flags = parseFlags(std::vector<std::string>(argv + 1, argv + argc));
  if (!flags.isOk()) {
    std::cerr << flags.status().message() << "\n\n" << helpText(argv[0]);
    return 2;
  }
  if (flags->help) {
    std::cout << helpText(argv[0]);
    return 0;
  }
  if (mr::Status s = mr::setupLogging(flags->log_format, flags->log_level); !s.isOk()) {
    std::cerr << s.toString() << "\n";
    return 2;
  }
  ControllerApp app(*flags);
  handleTerminationSignals([&app] { app.requestStop(); });
  // cpprestsdk (now only the Prometheus client; the API client is k8s/http_transport.h) runs
  // continuations and socket handlers on a pool of 40 threads by default; every hop between
  // them is a futex wake-up. Our blocking waits happen on our own threads, so a small pool
  // suffices. MR_CPPREST_THREADS overrides it (for measurements). The pool starts its threads now,
  // so this comes after handleTerminationSignals has blocked SIGTERM/SIGINT (threads inherit the
  // mask; an unblocked pool thread would take the default action and kill the process).
  size_t pool_threads = 4;
  if (const char* n = std::getenv("MR_CPPREST_THREADS"); n != nullptr && std::atoi(n) > 0) {
    pool_threads = static_cast<size_t>(std::atoi(n));
  }
  crossplat::threadpool::initialize_with_threads(pool_threads);
  // Routes are read from caches (reconcile/route_reads.h); those informers do not gate
  // readiness, so clusters without the Gateway API or Istio CRDs run as before.
  return app.run(makeModelRolloutReconciler,
                 {mr::reconcile::projectForCache,
                  mr::reconcile::rolloutEventPriority,
                  {mr::k8s::resources::httpRoutes(), mr::k8s::resources::virtualServices()}});
}
