// The `tree` view (plugin/tree.h): ownership by uid at every level, readiness, and the
// selector fallback when ReplicaSets cannot be listed.
#include "plugin/tree.h"

#include <gtest/gtest.h>

#include "common/time_format.h"

namespace mr::plugin {
namespace {

using Json = nlohmann::json;

const SystemTime kNow = *parseRfc3339("2027-01-15T10:00:00Z");

Json owned(const std::string& kind, const std::string& name, const std::string& uid,
           const std::string& owner_kind, const std::string& owner_uid,
           const std::string& created = "2027-01-15T08:00:00Z") {
  return {{"kind", kind},
          {"metadata",
           {{"name", name},
            {"uid", uid},
            {"creationTimestamp", created},
            {"ownerReferences", Json::array({{{"kind", owner_kind}, {"uid", owner_uid}}})}}}};
}

Json rollout() {
  return Json::parse(R"({"kind": "ModelRollout",
    "metadata": {"name": "fraud", "uid": "r-1", "creationTimestamp": "2027-01-10T10:00:00Z"},
    "spec": {"steps": [{"weight": 1}, {"weight": 10}, {"weight": 50}, {"weight": 100}]},
    "status": {"phase": "Progressing", "currentStep": 1, "canaryWeight": 10,
               "stableRevision": "6d4f9c8b7", "canaryRevision": "7b8e21aa0"}})");
}

Json deployment(const std::string& role, const std::string& revision, int want, int ready) {
  Json d = owned("Deployment", "fraud-" + role, "d-" + role, "ModelRollout", "r-1");
  d["metadata"]["labels"] = {{"modelrollout.io/role", role}};
  d["spec"] = {
      {"replicas", want},
      {"selector", {{"matchLabels", {{"app", "fraud"}, {"modelrollout.io/role", role}}}}},
      {"template", {{"metadata", {{"labels", {{"modelrollout.io/revision", revision}}}}}}}};
  d["status"] = {{"readyReplicas", ready}, {"availableReplicas", ready}};
  return d;
}

Json pod(const std::string& name, const std::string& owner_kind, const std::string& owner_uid,
         const std::string& role, bool ready, int restarts, const std::string& waiting = "") {
  Json p = owned("Pod", name, "p-" + name, owner_kind, owner_uid, "2027-01-15T09:58:00Z");
  p["metadata"]["labels"] = {{"app", "fraud"}, {"modelrollout.io/role", role}};
  p["spec"] = {{"containers", Json::array({{{"name", "server"}}})}};
  Json state = Json::object();
  if (!waiting.empty()) state["waiting"] = {{"reason", waiting}};
  p["status"] = {{"phase", "Running"},
                 {"containerStatuses",
                  Json::array({{{"ready", ready}, {"restartCount", restarts}, {"state", state}}})}};
  return p;
}

Json listOf(std::vector<Json> items) {
  return {{"items", Json(std::move(items))}};
}

TEST(TreeTest, RolloutDeploymentsReplicaSetsPodsByOwnerUid) {
  Json stable_rs = owned("ReplicaSet", "fraud-stable-6d4f", "rs-s", "Deployment", "d-stable");
  stable_rs["spec"] = {{"replicas", 2}};
  stable_rs["status"] = {{"readyReplicas", 1}, {"availableReplicas", 1}};
  Json old_rs = owned("ReplicaSet", "fraud-stable-1a2b", "rs-old", "Deployment", "d-stable");
  old_rs["spec"] = {{"replicas", 0}};
  Json canary_rs = owned("ReplicaSet", "fraud-canary-7b8e", "rs-c", "Deployment", "d-canary");
  canary_rs["spec"] = {{"replicas", 1}};
  canary_rs["status"] = {{"readyReplicas", 1}, {"availableReplicas", 1}};
  Json foreign = owned("Deployment", "fraud-other", "d-x", "ModelRollout", "someone-else");
  const std::string out = renderTree(
      rollout(),
      listOf({deployment("stable", "6d4f9c8b7", 2, 1), deployment("canary", "7b8e21aa0", 1, 1),
              foreign}),
      listOf({stable_rs, old_rs, canary_rs}),
      listOf(
          {pod("fraud-stable-6d4f-b", "ReplicaSet", "rs-s", "stable", false, 3, "CrashLoopBackOff"),
           pod("fraud-stable-6d4f-a", "ReplicaSet", "rs-s", "stable", true, 0),
           pod("fraud-canary-7b8e-a", "ReplicaSet", "rs-c", "canary", true, 0)}),
      kNow);
  EXPECT_EQ(
      out,
      "NAME                              KIND           STATUS             READY   AGE   INFO\n"
      "fraud                             ModelRollout   Progressing        -       5d    step 2/4, "
      "weight 10%\n"
      "|-- fraud-canary                  Deployment     Available          1/1     2h    canary, "
      "revision 7b8e21aa0\n"
      "|   `-- fraud-canary-7b8e         ReplicaSet     Available          1/1     2h\n"
      "|       `-- fraud-canary-7b8e-a   Pod            Running            1/1     2m    restarts "
      "0\n"
      "`-- fraud-stable                  Deployment     Progressing        1/2     2h    stable, "
      "revision 6d4f9c8b7\n"
      "    |-- fraud-stable-1a2b         ReplicaSet     ScaledDown         0/0     2h\n"
      "    `-- fraud-stable-6d4f         ReplicaSet     Progressing        1/2     2h\n"
      "        |-- fraud-stable-6d4f-a   Pod            Running            1/1     2m    restarts "
      "0\n"
      "        `-- fraud-stable-6d4f-b   Pod            CrashLoopBackOff   0/1     2m    restarts "
      "3\n");
}

TEST(TreeTest, WithoutReplicaSetsPodsHangUnderTheDeploymentThatSelectsThem) {
  const std::string out =
      renderTree(rollout(), listOf({deployment("stable", "6d4f9c8b7", 1, 1)}), Json(),
                 listOf({pod("fraud-stable-a", "ReplicaSet", "rs-unknown", "stable", true, 0),
                         pod("fraud-canary-a", "ReplicaSet", "rs-unknown", "canary", true, 0)}),
                 kNow);
  EXPECT_NE(out.find("`-- fraud-stable-a"), std::string::npos) << out;
  EXPECT_EQ(out.find("fraud-canary-a"), std::string::npos) << out;
}

TEST(TreeTest, NoDeploymentsYetSaysSo) {
  const std::string out = renderTree(rollout(), listOf({}), listOf({}), listOf({}), kNow);
  EXPECT_NE(out.find("(no Deployments owned by this ModelRollout yet)"), std::string::npos) << out;
}

}  // namespace
}  // namespace mr::plugin
