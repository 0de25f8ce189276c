// Shared fixture of the reconciler tests (reconciler_*_test.cpp): the reconciler against an
// in-memory API (FakeApiClient), a fake clock and a scripted analyzer, as docs/lifecycle.md
// describes its I/O. ReconcilerTest owns the cluster and plays kubelet (makeDeploymentsAvailable);
// ReconcilerRouteCacheTest adds the route read cache the controller runs with.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <iostream>
#include <set>

#include "common/fake_clock.h"
#include "reconcile/modelrollout_reconciler.h"
#include "rollout/status_json.h"
#include "tests/traffic/fake_api_client.h"

namespace mr::reconcile::reconciler_test {

using nlohmann::json;
namespace res = k8s::resources;

class ScriptedAnalyzer final : public analysis::Analyzer {
 public:
  void submit(analysis::AnalysisRequest request,
              std::function<void(analysis::AnalysisResult)> done) override {
    requests.push_back(request);
    pending.push_back(std::move(done));
  }
  void answer(analysis::AnalysisResult r) {
    auto done = std::move(pending.front());
    pending.pop_front();
    done(std::move(r));
  }
  std::vector<analysis::AnalysisRequest> requests;
  std::deque<std::function<void(analysis::AnalysisResult)>> pending;
};

struct RecordedEvent {
  std::string type, reason, message;
};

inline json rollout(const std::string& image, bool with_analysis) {
  json spec = {
      {"replicas", 2},
      {"selector", {{"matchLabels", {{"app", "m"}}}}},
      {"template",
       {{"metadata", {{"labels", {{"app", "m"}}}}},
        {"spec", {{"containers", json::array({{{"name", "server"}, {"image", image}}})}}}}},
      {"service", {{"port", 80}, {"targetPort", 8080}}},
      {"trafficRouting", {{"gatewayAPI", {{"httpRoute", "m"}}}}},
      {"steps", json::array({{{"weight", 1}, {"hold", "10s"}},
                             {{"weight", 50}, {"hold", "10s"}},
                             {{"weight", 100}}})}};
  if (with_analysis) {
    spec["analysis"] = {
        {"prometheus", {{"address", "http://127.0.0.1:9"}}}, {"interval", "5s"}, {"window", "1m"}};
  }
  return {{"apiVersion", "modelrollout.io/v1alpha1"},
          {"kind", "ModelRollout"},
          {"metadata", {{"name", "m"}, {"namespace", "ml"}}},
          {"spec", spec}};
}

inline json httpRoute() {
  return {
      {"apiVersion", "gateway.networking.k8s.io/v1"},
      {"kind", "HTTPRoute"},
      {"metadata", {{"name", "m"}, {"namespace", "ml"}}},
      {"spec",
       {{"rules",
         json::array({{{"backendRefs",
                        json::array({{{"name", "m-stable"}, {"port", 80}, {"weight", 100}},
                                     {{"name", "m-canary"}, {"port", 80}, {"weight", 0}}})}}})}}}};
}

class ReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api.setStatusSubresource(res::modelRollouts());
    api.setStatusSubresource(res::deployments());
    api.seed(res::httpRoutes(), httpRoute());
    startReconciler(analyzer);
  }

  // A new reconciler over the same cluster: what a controller (re)start builds.
  void startReconciler(ScriptedAnalyzer& with) {
    ReconcilerDeps deps;
    deps.api = &api;
    deps.clock = &clock;
    deps.analyzer = &with;
    deps.prometheus_policy.allowed_addresses = {"http://127.0.0.1:9", "https://prom.example"};
    deps.cache = [this](const k8s::ResourceType& t, const std::string& ns,
                        const std::string& n) -> std::shared_ptr<const json> {
      if (frozen_rollout && t == res::modelRollouts()) {
        return std::make_shared<const json>(*frozen_rollout);
      }
      if (hidden_from_cache.count(t.plural + "/" + n)) return nullptr;
      auto o = api.object(t, ns, n);
      return o ? std::make_shared<const json>(*o) : nullptr;
    };
    deps.route_cache = route_cache;
    deps.enqueue = [this](const k8s::ObjectKey&) { ++enqueued; };
    deps.events = [this](const json&, const std::string& type, const std::string& reason,
                         const std::string& message) {
      events.push_back({type, reason, message});
    };
    deps.metrics = rollout_metrics;
    reconciler = std::make_unique<ModelRolloutReconciler>(std::move(deps));
  }

  k8s::ReconcileResult pass() { return reconciler->reconcile({"ml", "m"}); }

  // A canary at 1% fails its first check; RolledBack is stored, then the route write after the
  // status write fails (etcd down), so the canary still has its traffic.
  void storeRollbackWhoseRouteWriteFails() {
    api.seed(res::modelRollouts(), rollout("img:1", true));
    settle();
    changeImage("img:2", true);
    settle();
    ASSERT_EQ(routeCanaryWeight(), 1);
    clock.advance(std::chrono::seconds(6));
    settle(2);
    ASSERT_EQ(analyzer.requests.size(), 1u);
    analysis::AnalysisResult result;
    result.verdict = analysis::Verdict::kFail;
    result.time = clock.now();
    result.canary_revision = analyzer.requests[0].canary_revision;
    result.step = 0;
    result.message = "errorRate 0.2 > 0.001";
    analyzer.answer(result);
    api.injectError("update", Status(StatusCode::kUnavailable, "etcd down", 503, "Unavailable"), 1,
                    "httproutes");
    ASSERT_FALSE(pass().error.isOk()) << "the route write after the status write failed";
    ASSERT_EQ(status()["phase"], "RolledBack") << "stored first";
  }

  // Plays kubelet: every managed Deployment becomes fully available.
  void makeDeploymentsAvailable() {
    for (const char* name : {"m-stable", "m-canary"}) {
      auto d = api.object(res::deployments(), "ml", name);
      if (!d) continue;
      const int replicas = (*d)["spec"].value("replicas", 1);
      (*d)["status"] = {{"observedGeneration", (*d)["metadata"]["generation"]},
                        {"replicas", replicas},
                        {"readyReplicas", replicas},
                        {"availableReplicas", replicas},
                        {"updatedReplicas", replicas}};
      ASSERT_TRUE(api.updateStatus(res::deployments(), *d).isOk());
    }
  }

  // Reconciles until the status stops changing (at most `max` passes), as the queue would.
  void settle(int max = 6) {
    for (int i = 0; i < max; ++i) {
      const int before = api.count("updateStatus");
      auto r = pass();
      ASSERT_TRUE(r.error.isOk()) << r.error.toString();
      makeDeploymentsAvailable();
      if (api.count("updateStatus") == before + 0 && i > 0) return;
    }
  }

  // Writes the controller sent (not the test's own kubelet updates of Deployment status).
  int controllerWrites() const {
    int n = 0;
    for (const auto& r : api.requests()) {
      if (r.verb == "updateStatus" && r.plural == "deployments") continue;
      if (r.verb == "create" || r.verb == "update" || r.verb == "updateStatus" ||
          r.verb == "patch" || r.verb == "remove") {
        ++n;
      }
    }
    return n;
  }

  json status() { return (*api.object(res::modelRollouts(), "ml", "m"))["status"]; }
  int routeCanaryWeight() {
    auto r = api.object(res::httpRoutes(), "ml", "m");
    for (const auto& ref : (*r)["spec"]["rules"][0]["backendRefs"]) {
      if (ref["name"] == "m-canary") return ref.value("weight", 1);
    }
    return -1;
  }
  void changeImage(const std::string& image, bool with_analysis = false) {
    auto o = *api.object(res::modelRollouts(), "ml", "m");
    o["spec"] = rollout(image, with_analysis)["spec"];
    ASSERT_TRUE(api.update(res::modelRollouts(), o).isOk());
  }
  // img:1 deployed and Healthy, then img:2 applied: the canary holds the first step (1%).
  void canaryAtFirstStep() {
    api.seed(res::modelRollouts(), rollout("img:1", false));
    settle();
    changeImage("img:2");
    settle();
  }
  bool hasEvent(const std::string& reason) const {
    for (const auto& e : events) {
      if (e.reason == reason) return true;
    }
    return false;
  }

  mr::testing::FakeApiClient api;
  FakeClock clock;
  ScriptedAnalyzer analyzer;
  std::vector<RecordedEvent> events;
  int enqueued = 0;
  // "plural/name" of objects the informer caches have not delivered yet.
  std::set<std::string> hidden_from_cache;
  std::optional<json> frozen_rollout;  // the cache's view of the ModelRollout, when set
  RouteCache route_cache;              // none: every pass GETs its route
  std::unique_ptr<ModelRolloutReconciler> reconciler;
  RolloutMetrics* rollout_metrics = nullptr;  // set before SetUp to publish metrics
};

// With a route read cache (route_reads.h), as the controller runs: `route_view`, when set, is
// what the cache shows (a watch that has not delivered our writes yet).
class ReconcilerRouteCacheTest : public ReconcilerTest {
 protected:
  void SetUp() override {
    route_cache = [this](const k8s::ResourceType& t, const std::string& ns,
                         const std::string& n) -> std::optional<std::shared_ptr<const json>> {
      if (route_view) return std::make_shared<const json>(*route_view);
      auto o = api.object(t, ns, n);
      return o ? std::make_shared<const json>(*o) : nullptr;
    };
    ReconcilerTest::SetUp();
  }
  int count(const std::string& verb, const std::string& plural) const {
    int n = 0;
    for (const auto& r : api.requests())
      n += r.verb == verb && r.plural == plural;
    return n;
  }
  std::optional<json> route_view;
};

}  // namespace mr::reconcile::reconciler_test
