// The cache projection keeps every field the reconciler reads, so a projected object leads to
// the same observations and the same (absent) patches as the full one; and the one reader that
// needs the dropped pod template (a revision change) fetches the live object instead.
#include "reconcile/cache_projection.h"

#include <gtest/gtest.h>

#include "k8s/informer.h"
#include "reconcile/action_applier.h"
#include "reconcile/observed_world.h"
#include "rollout/modelrollout_parse.h"
#include "tests/traffic/fake_api_client.h"

namespace mr::reconcile {
namespace {

using nlohmann::json;
using rollout::Role;
namespace res = k8s::resources;

json podTemplate(const std::string& image) {
  return {{"metadata", {{"labels", {{"app", "m"}}}}},
          {"spec", {{"containers", json::array({{{"name", "server"}, {"image", image}}})}}}};
}

rollout::ModelRolloutSpec spec() {
  const json raw = {{"replicas", 2},
                    {"selector", {{"matchLabels", {{"app", "m"}}}}},
                    {"template", podTemplate("img:1")},
                    {"service", {{"port", 80}, {"targetPort", 8080}}},
                    {"steps", json::array({{{"weight", 10}}, {{"weight", 100}}})}};
  auto parsed = rollout::parseSpec(raw);
  EXPECT_TRUE(parsed.ok());
  return *parsed.spec;
}

const rollout::Owner kOwner{"m", "ml", "uid-1"};

// What the API server returns for an object we built: defaults, server fields, status.
json asServed(json object) {
  object["metadata"]["uid"] = "uid-9";
  object["metadata"]["resourceVersion"] = "41";
  object["metadata"]["generation"] = 3;
  object["metadata"]["creationTimestamp"] = "2026-11-26T10:00:00Z";
  object["metadata"]["managedFields"] = json::array({{{"manager", "kubectl"}}});
  object["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = "{}";
  return object;
}

json servedDeployment(const std::string& image, const std::string& revision) {
  json d = asServed(
      rollout::buildDeployment(kOwner, spec(), Role::kStable, podTemplate(image), 2, revision));
  d["spec"]["strategy"] = {{"type", "RollingUpdate"}};
  d["spec"]["template"]["spec"]["restartPolicy"] = "Always";
  d["status"] = {{"observedGeneration", 3}, {"replicas", 2},
                 {"readyReplicas", 2},      {"availableReplicas", 1},
                 {"updatedReplicas", 2},    {"conditions", json::array({{{"type", "Available"}}})}};
  return d;
}

TEST(CacheProjection, DeploymentKeepsWhatTheReconcilerReadsAndDropsThePodSpec) {
  const json full = servedDeployment("img:1", "rev1");
  const json cached = projectForCache(res::deployments(), k8s::compactObject(full));
  EXPECT_FALSE(cached["spec"]["template"].contains("spec"));
  EXPECT_FALSE(cached["spec"].contains("strategy"));
  EXPECT_FALSE(cached["metadata"].contains("managedFields"));
  EXPECT_FALSE(cached["status"].contains("conditions"));
  EXPECT_LT(cached.dump().size(), full.dump().size());

  const auto a = observeDeployment(&full);
  const auto b = observeDeployment(&cached);
  EXPECT_EQ(b.revision, "rev1");
  EXPECT_EQ(a.revision, b.revision);
  EXPECT_EQ(a.replicas, b.replicas);
  EXPECT_EQ(a.generation, b.generation);
  EXPECT_EQ(a.observed_generation, b.observed_generation);
  EXPECT_EQ(a.ready_replicas, b.ready_replicas);
  EXPECT_EQ(a.available_replicas, b.available_replicas);
  EXPECT_EQ(a.updated_replicas, b.updated_replicas);
  EXPECT_EQ(a.total_replicas, b.total_replicas);

  const json desired =
      rollout::buildDeployment(kOwner, spec(), Role::kStable, podTemplate("img:1"), 2, "rev1");
  EXPECT_EQ(rollout::deploymentPatch(cached, desired), std::nullopt);
  // Owned metadata drift is still seen on the projection.
  json relabelled = cached;
  relabelled["metadata"]["labels"].erase("modelrollout.io/role");
  EXPECT_NE(rollout::deploymentPatch(relabelled, desired), std::nullopt);
}

TEST(CacheProjection, ServiceKeepsSelectorPortsAndOwnership) {
  json full = asServed(rollout::buildService(kOwner, spec(), Role::kCanary, "rev1"));
  full["spec"]["clusterIP"] = "10.0.0.7";
  full["spec"]["ports"][0]["protocol"] = "TCP";
  const json cached = projectForCache(res::services(), k8s::compactObject(full));
  EXPECT_FALSE(cached["spec"].contains("clusterIP"));
  EXPECT_EQ(cached["metadata"]["ownerReferences"], full["metadata"]["ownerReferences"]);
  EXPECT_EQ(cached["metadata"]["labels"], full["metadata"]["labels"]);
  EXPECT_EQ(
      rollout::servicePatch(cached, rollout::buildService(kOwner, spec(), Role::kCanary, "rev1")),
      std::nullopt);
  EXPECT_NE(
      rollout::servicePatch(cached, rollout::buildService(kOwner, spec(), Role::kCanary, "rev2")),
      std::nullopt);
}

TEST(CacheProjection, ModelRolloutIsKeptWhole) {
  const json mr = {{"metadata", {{"name", "m"}, {"namespace", "ml"}}},
                   {"spec", {{"replicas", 2}}},
                   {"status", {{"phase", "Healthy"}}}};
  EXPECT_EQ(projectForCache(res::modelRollouts(), mr), mr);
}

TEST(CacheProjection, TemplateChangeReadsTheLiveDeploymentForTheDiff) {
  mr::testing::FakeApiClient api;
  json live = servedDeployment("img:1", "rev1");
  live["spec"]["template"]["spec"]["nodeSelector"] = {{"gpu", "a100"}};  // not in the new template
  api.seed(res::deployments(), live);
  const auto cached =
      std::make_shared<const json>(projectForCache(res::deployments(), k8s::compactObject(live)));
  const auto parsed = spec();
  ApplyContext ctx;
  ctx.owner = kOwner;
  ctx.spec = &parsed;
  ctx.deployments = [&](const std::string&) { return cached; };
  ctx.services = [](const std::string&) { return nullptr; };
  ActionApplier applier(api);
  ASSERT_TRUE(applier.apply(ctx, rollout::EnsureStable{podTemplate("img:2"), 2, "rev2"}).isOk());
  EXPECT_EQ(api.count("get"), 1);
  ASSERT_EQ(api.count("patch"), 1);
  const json stored = *api.object(res::deployments(), "ml", "m-stable");
  EXPECT_EQ(stored["spec"]["template"]["spec"]["containers"][0]["image"], "img:2");
  // The merge patch was computed against the live template, so the key the new template lacks
  // is removed rather than left behind.
  EXPECT_FALSE(stored["spec"]["template"]["spec"].contains("nodeSelector"));

  // Same revision: no read and no write.
  const auto current =
      std::make_shared<const json>(projectForCache(res::deployments(), k8s::compactObject(stored)));
  ctx.deployments = [&](const std::string&) { return current; };
  ASSERT_TRUE(applier.apply(ctx, rollout::EnsureStable{podTemplate("img:2"), 2, "rev2"}).isOk());
  EXPECT_EQ(api.count("get"), 1);
  EXPECT_EQ(api.count("patch"), 1);
}

}  // namespace
}  // namespace mr::reconcile
