// set image and undo's template edits (plugin/template_edit.h).
#include "plugin/template_edit.h"

#include <gtest/gtest.h>

#include "rollout/template_hash.h"

namespace mr::plugin {
namespace {

using Json = nlohmann::json;

Json userTemplate() {
  return Json::parse(R"({"metadata": {"labels": {"app": "fraud"}},
    "spec": {"initContainers": [{"name": "fetch-model", "image": "reg/fetch:1"}],
             "containers": [{"name": "server", "image": "reg/fraud:2.3.0",
                             "ports": [{"name": "http", "containerPort": 8080}]},
                            {"name": "sidecar", "image": "reg/proxy:1"}]}})");
}

Json rolloutWith(Json tmpl, const std::string& stable) {
  return {{"apiVersion", "modelrollout.io/v1alpha1"},
          {"kind", "ModelRollout"},
          {"metadata", {{"name", "fraud"}, {"namespace", "ml"}, {"uid", "u-1"}}},
          {"spec", {{"template", std::move(tmpl)}}},
          {"status", {{"stableRevision", stable}}}};
}

// The stable Deployment as the controller builds it: the template plus its three labels.
Json stableDeployment(Json tmpl, const std::string& revision) {
  tmpl["metadata"]["labels"]["modelrollout.io/rollout"] = "fraud";
  tmpl["metadata"]["labels"]["modelrollout.io/role"] = "stable";
  tmpl["metadata"]["labels"]["modelrollout.io/revision"] = revision;
  return {{"metadata",
           {{"name", "fraud-stable"},
            {"ownerReferences",
             Json::array({{{"kind", "ModelRollout"}, {"name", "fraud"}, {"uid", "u-1"}}})}}},
          {"spec", {{"template", std::move(tmpl)}}}};
}

TEST(TemplateEditTest, SetImagesByNameAndStar) {
  const Json rollout = rolloutWith(userTemplate(), "x");
  auto one = setImages(rollout, {{"server", "reg/fraud:2.4.0"}});
  ASSERT_TRUE(one.isOk());
  EXPECT_TRUE(one->second);
  EXPECT_EQ(one->first["spec"]["template"]["spec"]["containers"][0]["image"], "reg/fraud:2.4.0");
  EXPECT_EQ(one->first["spec"]["template"]["spec"]["containers"][1]["image"], "reg/proxy:1");

  auto init = setImages(rollout, {{"fetch-model", "reg/fetch:2"}});
  ASSERT_TRUE(init.isOk());
  EXPECT_EQ(init->first["spec"]["template"]["spec"]["initContainers"][0]["image"], "reg/fetch:2");

  auto all = setImages(rollout, {{"*", "reg/all:9"}});
  ASSERT_TRUE(all.isOk());
  for (const char* list : {"containers", "initContainers"}) {
    for (const Json& c : all->first["spec"]["template"]["spec"][list])
      EXPECT_EQ(c["image"], "reg/all:9");
  }

  auto same = setImages(rollout, {{"server", "reg/fraud:2.3.0"}});
  ASSERT_TRUE(same.isOk());
  EXPECT_FALSE(same->second);
}

TEST(TemplateEditTest, SetImageOfAnUnknownContainerNamesTheKnownOnes) {
  auto missing = setImages(rolloutWith(userTemplate(), "x"), {{"serve", "reg/x:1"}});
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().message(),
            "container \"serve\" not found in the template (containers: server, sidecar, "
            "fetch-model)");
}

TEST(TemplateEditTest, UndoRebuildsTheStableTemplateExactly) {
  const Json stable = userTemplate();
  const std::string revision = rollout::podTemplateHash(stable);
  Json canary = userTemplate();
  canary["spec"]["containers"][0]["image"] = "reg/fraud:2.4.0";
  auto rebuilt = stableTemplate(rolloutWith(canary, revision), stableDeployment(stable, revision));
  ASSERT_TRUE(rebuilt.isOk()) << rebuilt.status().toString();
  EXPECT_EQ(*rebuilt, stable);
}

TEST(TemplateEditTest, UndoDropsServerDefaultsTheUserDidNotWrite) {
  const Json stable = userTemplate();
  const std::string revision = rollout::podTemplateHash(stable);
  Json defaulted = stable;  // what a real API server stores in the Deployment
  defaulted["metadata"]["creationTimestamp"] = nullptr;
  defaulted["spec"]["restartPolicy"] = "Always";
  defaulted["spec"]["dnsPolicy"] = "ClusterFirst";
  defaulted["spec"]["schedulerName"] = "default-scheduler";
  defaulted["spec"]["terminationGracePeriodSeconds"] = 30;
  defaulted["spec"]["securityContext"] = Json::object();
  for (Json& c : defaulted["spec"]["containers"]) {
    c["terminationMessagePath"] = "/dev/termination-log";
    c["terminationMessagePolicy"] = "File";
    c["imagePullPolicy"] = "IfNotPresent";
    c["resources"] = Json::object();
  }
  defaulted["spec"]["containers"][0]["ports"][0]["protocol"] = "TCP";
  auto rebuilt =
      stableTemplate(rolloutWith(stable, revision), stableDeployment(defaulted, revision));
  ASSERT_TRUE(rebuilt.isOk()) << rebuilt.status().toString();
  EXPECT_EQ(*rebuilt, stable);
}

TEST(TemplateEditTest, UndoRefusesWhatWouldStartACanary) {
  const Json stable = userTemplate();
  const std::string revision = rollout::podTemplateHash(stable);
  // Promotion under way: the stable Deployment already runs the canary's revision.
  auto promoting =
      stableTemplate(rolloutWith(stable, revision), stableDeployment(stable, "0123456789"));
  ASSERT_FALSE(promoting.isOk());
  EXPECT_NE(promoting.status().message().find("a promotion is under way"), std::string::npos);
  // A Deployment of that name that another owner controls.
  Json foreign = stableDeployment(stable, revision);
  foreign["metadata"]["ownerReferences"][0]["uid"] = "someone-else";
  EXPECT_FALSE(stableTemplate(rolloutWith(stable, revision), foreign).isOk());
  // A template that does not hash to the stable revision, even without defaults.
  Json drifted = stable;
  drifted["spec"]["containers"][0]["image"] = "reg/fraud:hotfix";
  auto cannot = stableTemplate(rolloutWith(stable, revision), stableDeployment(drifted, revision));
  ASSERT_FALSE(cannot.isOk());
  EXPECT_NE(cannot.status().message().find("cannot rebuild"), std::string::npos);
  // No stable revision yet.
  EXPECT_FALSE(stableTemplate(rolloutWith(stable, ""), stableDeployment(stable, "")).isOk());
}

}  // namespace
}  // namespace mr::plugin
