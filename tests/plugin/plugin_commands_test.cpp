#include "plugin/plugin_commands.h"

#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <thread>

#include "common/fake_clock.h"
#include "plugin/output_format.h"
#include "rollout/template_hash.h"
#include "tests/plugin/sample_rollout.h"
#include "tests/traffic/fake_api_client.h"

namespace mr::plugin {
namespace {

using k8s::Json;
using mr::testing::FakeApiClient;

const k8s::ResourceType& rollouts() {
  return k8s::resources::modelRollouts();
}

class PluginCommandsTest : public ::testing::Test {
 protected:
  PluginCommandsTest() {
    api_.setStatusSubresource(rollouts());
    api_.seed(rollouts(), plugin::testing::sampleRollout());
  }
  int run(std::vector<std::string> argv) {
    out_.str("");
    err_.str("");
    auto args = parseArgs(argv);
    EXPECT_TRUE(args.isOk()) << args.status().toString();
    PluginCommands commands(api_, clock_, out_, err_);
    return commands.run(*args, args->ns.empty() ? "ml" : args->ns);
  }
  Json stored() { return *api_.object(rollouts(), "ml", "fraud-scorer"); }

  FakeApiClient api_;
  FakeClock clock_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(PluginCommandsTest, PromoteAbortRetryAreAnnotationsByMergePatch) {
  const Json status_before = stored()["status"];
  EXPECT_EQ(run({"promote", "fraud-scorer"}), exit_code::kOk);
  EXPECT_EQ(stored()["metadata"]["annotations"]["modelrollout.io/promote"], "true");
  EXPECT_EQ(out_.str(),
            "modelrollout.modelrollout.io/fraud-scorer promotion requested "
            "(modelrollout.io/promote=true)\n");
  EXPECT_EQ(run({"promote", "fraud-scorer", "--full"}), exit_code::kOk);
  EXPECT_EQ(stored()["metadata"]["annotations"]["modelrollout.io/promote"], "full");
  EXPECT_EQ(run({"abort", "fraud-scorer"}), exit_code::kOk);
  EXPECT_EQ(stored()["metadata"]["annotations"]["modelrollout.io/abort"], "true");
  EXPECT_EQ(run({"retry", "fraud-scorer"}), exit_code::kOk);
  EXPECT_EQ(stored()["metadata"]["annotations"]["modelrollout.io/retry"], "true");
  for (const auto& request : api_.requests()) {
    if (request.verb == "get") continue;
    EXPECT_EQ(request.verb, "patch");
    EXPECT_EQ(request.patch_type, k8s::PatchType::kMerge);
    EXPECT_EQ(request.subresource, "");
    EXPECT_FALSE(request.body.contains("status"));
  }
  EXPECT_EQ(stored()["status"], status_before);
}

TEST_F(PluginCommandsTest, PauseAndResumeSetSpecPaused) {
  EXPECT_EQ(run({"pause", "fraud-scorer"}), exit_code::kOk);
  EXPECT_EQ(stored()["spec"]["paused"], true);
  EXPECT_EQ(out_.str(), "modelrollout.modelrollout.io/fraud-scorer paused\n");
  EXPECT_EQ(run({"resume", "fraud-scorer"}), exit_code::kOk);
  EXPECT_EQ(stored()["spec"]["paused"], false);
  EXPECT_EQ(stored()["spec"]["replicas"], 4);  // the rest of spec untouched
}

TEST_F(PluginCommandsTest, MissingObjectIsAnError) {
  EXPECT_EQ(run({"abort", "nope"}), exit_code::kError);
  EXPECT_EQ(err_.str(), "error: modelrollouts.modelrollout.io \"nope\" not found\n");
  EXPECT_EQ(run({"status", "nope"}), exit_code::kError);
}

TEST_F(PluginCommandsTest, ListAndStatusRender) {
  EXPECT_EQ(run({"list"}), exit_code::kOk);
  EXPECT_NE(out_.str().find("fraud-scorer   Progressing   2/4    10%"), std::string::npos);
  api_.seed(k8s::resources::coreEvents(),
            Json::parse(R"({"metadata": {"name": "e1", "namespace": "ml"},
                            "involvedObject": {"kind": "ModelRollout", "name": "fraud-scorer"},
                            "type": "Warning", "reason": "RouteDrift", "message": "put back"})"));
  api_.seed(k8s::resources::coreEvents(),
            Json::parse(R"({"metadata": {"name": "e2", "namespace": "ml"},
                            "involvedObject": {"kind": "ModelRollout", "name": "other"},
                            "type": "Normal", "reason": "Unrelated", "message": "x"})"));
  EXPECT_EQ(run({"status", "fraud-scorer"}), exit_code::kOk);
  EXPECT_NE(out_.str().find("Weight:      [##..................] 10%"), std::string::npos);
  EXPECT_NE(out_.str().find("RouteDrift"), std::string::npos);
  EXPECT_EQ(out_.str().find("Unrelated"), std::string::npos);
}

// docs/plugin.md: `list` on events is optional; without it `status` simply shows no Events.
TEST_F(PluginCommandsTest, StatusWithoutPermissionToListEventsStillShowsTheRollout) {
  api_.seed(k8s::resources::coreEvents(),
            Json::parse(R"({"metadata": {"name": "e1", "namespace": "ml"},
                            "involvedObject": {"kind": "ModelRollout", "name": "fraud-scorer"},
                            "type": "Warning", "reason": "RouteDrift", "message": "put back"})"));
  api_.injectError("list", Status(StatusCode::kPermissionDenied, "events is forbidden"), 2,
                   "events");
  EXPECT_EQ(run({"status", "fraud-scorer"}), exit_code::kOk) << err_.str();
  EXPECT_NE(out_.str().find("Phase:       Progressing"), std::string::npos) << out_.str();
  EXPECT_EQ(out_.str().find("RouteDrift"), std::string::npos) << "the list was refused";
  EXPECT_EQ(err_.str(), "");
}

TEST_F(PluginCommandsTest, ListErrorsAreReported) {
  api_.injectError("list", Status(StatusCode::kPermissionDenied, "forbidden", 403, "Forbidden"));
  EXPECT_EQ(run({"list"}), exit_code::kError);
  EXPECT_EQ(err_.str(), "error: forbidden\n");
}

// Sets the status as the controller would, through the status subresource.
void setPhase(FakeApiClient& api, const std::string& phase) {
  Json object = *api.object(rollouts(), "ml", "fraud-scorer");
  object["status"]["phase"] = phase;
  ASSERT_TRUE(api.updateStatus(rollouts(), object).isOk());
}

TEST_F(PluginCommandsTest, WatchRerendersOnChangeAndExitsWithThePhase) {
  for (const auto& [phase, code] :
       std::vector<std::pair<std::string, int>>{{"Healthy", exit_code::kOk},
                                                {"RolledBack", exit_code::kRolledBack},
                                                {"Degraded", exit_code::kDegraded}}) {
    setPhase(api_, "Progressing");
    std::atomic<int> result{-1};
    const int gets_before = api_.count("get");
    std::thread watcher([&] { result = run({"status", "fraud-scorer", "--watch"}); });
    // Let it poll a few unchanged rounds, then change the phase.
    while (api_.count("get") < gets_before + 3)
      clock_.advance(std::chrono::milliseconds(100));
    setPhase(api_, phase);
    while (result == -1)
      clock_.advance(std::chrono::milliseconds(100));
    watcher.join();
    EXPECT_EQ(result, code) << phase;
    const std::string out = out_.str();
    EXPECT_NE(out.find("Phase:       Progressing\n"), std::string::npos);
    EXPECT_NE(out.find("Phase:       " + phase + "\n"), std::string::npos);
    // Printed once per change, not once per poll.
    size_t renders = 0;
    for (size_t at = out.find("Name:"); at != std::string::npos; at = out.find("Name:", at + 1)) {
      ++renders;
    }
    EXPECT_EQ(renders, 2u) << phase;
  }
}

TEST_F(PluginCommandsTest, WatchTimesOut) {
  std::atomic<int> result{-1};
  std::thread watcher([&] {
    result = run({"status", "fraud-scorer", "--watch", "--timeout", "5s"});
  });
  while (result == -1)
    clock_.advance(std::chrono::milliseconds(200));
  watcher.join();
  EXPECT_EQ(result, exit_code::kTimeout);
  EXPECT_NE(err_.str().find("timed out"), std::string::npos);
}

TEST_F(PluginCommandsTest, WatchSurvivesTransientErrors) {
  api_.injectError("get", unavailable("connection refused"), 2, "modelrollouts");
  setPhase(api_, "Healthy");
  std::atomic<int> result{-1};
  std::thread watcher([&] { result = run({"status", "fraud-scorer", "-w"}); });
  while (result == -1)
    clock_.advance(std::chrono::milliseconds(200));
  watcher.join();
  EXPECT_EQ(result, exit_code::kOk);
  EXPECT_NE(err_.str().find("connection refused (retrying)"), std::string::npos);
}

// A rollout mid-canary with a template: the stable Deployment runs `stable`, spec has `canary`.
class TemplateCommandsTest : public PluginCommandsTest {
 protected:
  void SetUp() override {
    stable_ = Json::parse(R"({"metadata": {"labels": {"app": "fraud-scorer"}},
        "spec": {"containers": [{"name": "server", "image": "reg/fraud:2.3.0"}]}})");
    Json canary = stable_;
    canary["spec"]["containers"][0]["image"] = "reg/fraud:2.4.0";
    Json rollout = *api_.object(rollouts(), "ml", "fraud-scorer");
    rollout["spec"]["template"] = canary;
    ASSERT_TRUE(api_.update(rollouts(), rollout).isOk());
    rollout = *api_.object(rollouts(), "ml", "fraud-scorer");
    rollout["status"]["stableRevision"] = rollout::podTemplateHash(stable_);
    ASSERT_TRUE(api_.updateStatus(rollouts(), rollout).isOk());
    Json tmpl = stable_;
    tmpl["metadata"]["labels"]["modelrollout.io/rollout"] = "fraud-scorer";
    tmpl["metadata"]["labels"]["modelrollout.io/role"] = "stable";
    tmpl["metadata"]["labels"]["modelrollout.io/revision"] = rollout::podTemplateHash(stable_);
    api_.seed(
        k8s::resources::deployments(),
        {{"apiVersion", "apps/v1"},
         {"kind", "Deployment"},
         {"metadata",
          {{"name", "fraud-scorer-stable"},
           {"namespace", "ml"},
           {"labels", {{"modelrollout.io/rollout", "fraud-scorer"}}},
           {"ownerReferences", Json::array({{{"kind", "ModelRollout"},
                                             {"name", "fraud-scorer"},
                                             {"uid", rollout["metadata"].value("uid", "")}}})}}},
         {"spec", {{"replicas", 4}, {"template", tmpl}}},
         {"status", {{"readyReplicas", 4}, {"availableReplicas", 4}}}});
  }
  Json image() { return stored()["spec"]["template"]["spec"]["containers"][0]["image"]; }
  int writes() { return api_.count("update") + api_.count("patch") + api_.count("updateStatus"); }

  Json stable_;
};

TEST_F(TemplateCommandsTest, SetImageUpdatesSpecTemplateOnly) {
  const Json status_before = stored()["status"];
  EXPECT_EQ(run({"set", "image", "fraud-scorer", "server=reg/fraud:2.5.0"}), exit_code::kOk)
      << err_.str();
  EXPECT_EQ(image(), "reg/fraud:2.5.0");
  EXPECT_EQ(out_.str(),
            "modelrollout.modelrollout.io/fraud-scorer image updated (server=reg/fraud:2.5.0)\n");
  EXPECT_EQ(stored()["status"], status_before);
  EXPECT_EQ(stored()["spec"]["replicas"], 4);
  const int before = writes();
  EXPECT_EQ(run({"set", "image", "fraud-scorer", "server=reg/fraud:2.5.0"}), exit_code::kOk);
  EXPECT_EQ(writes(), before) << "an unchanged image must not write";
  EXPECT_NE(out_.str().find("image unchanged"), std::string::npos);
}

TEST_F(TemplateCommandsTest, SetImageKeepsAConcurrentEditAndRetries) {
  bool raced = false;
  const int updates_before = api_.count("update");
  api_.setBeforeWrite([&](const FakeApiClient::Request& r) {
    if (r.verb != "update" || raced) return;
    raced = true;  // someone annotates the rollout between our read and our write
    ASSERT_TRUE(api_.patch(rollouts(), "ml", "fraud-scorer", k8s::PatchType::kMerge,
                           {{"metadata", {{"annotations", {{"team", "ml"}}}}}})
                    .isOk());
  });
  EXPECT_EQ(run({"set", "image", "fraud-scorer", "server=reg/fraud:2.5.0"}), exit_code::kOk)
      << err_.str();
  EXPECT_TRUE(raced);
  EXPECT_EQ(image(), "reg/fraud:2.5.0");
  EXPECT_EQ(stored()["metadata"]["annotations"]["team"], "ml");
  EXPECT_EQ(api_.count("update") - updates_before, 2);  // one 409, then one success
}

TEST_F(TemplateCommandsTest, SetImageOfAnUnknownContainerWritesNothing) {
  const int before = writes();
  EXPECT_EQ(run({"set", "image", "fraud-scorer", "srv=reg/x:1"}), exit_code::kError);
  EXPECT_EQ(err_.str(),
            "error: container \"srv\" not found in the template (containers: server)\n");
  EXPECT_EQ(writes(), before);
}

TEST_F(TemplateCommandsTest, UndoPutsTheStableRevisionsTemplateBack) {
  const std::string revision = rollout::podTemplateHash(stable_);
  EXPECT_EQ(run({"undo", "fraud-scorer"}), exit_code::kOk) << err_.str();
  EXPECT_EQ(stored()["spec"]["template"], stable_);
  EXPECT_EQ(rollout::podTemplateHash(stored()["spec"]["template"]), revision);
  EXPECT_EQ(out_.str(),
            "modelrollout.modelrollout.io/fraud-scorer spec.template set back to the "
            "stable revision " +
                revision + "\n");
  const int before = writes();
  EXPECT_EQ(run({"undo", "fraud-scorer"}), exit_code::kOk);
  EXPECT_EQ(writes(), before);
  EXPECT_NE(out_.str().find("already is the stable revision"), std::string::npos);
}

TEST_F(TemplateCommandsTest, UndoRefusesWhileTheStableDeploymentRunsAnotherRevision) {
  Json deployment = *api_.object(k8s::resources::deployments(), "ml", "fraud-scorer-stable");
  deployment["spec"]["template"]["metadata"]["labels"]["modelrollout.io/revision"] = "7b8e21aa0";
  ASSERT_TRUE(api_.update(k8s::resources::deployments(), deployment).isOk());
  const Json before = stored();
  EXPECT_EQ(run({"undo", "fraud-scorer"}), exit_code::kError);
  EXPECT_NE(err_.str().find("a promotion is under way"), std::string::npos) << err_.str();
  EXPECT_EQ(stored(), before);
}

// docs/plugin.md: undo refuses (exit 4, nothing written) without a recorded stable revision
// and when the stable Deployment is not owned by the rollout.
TEST_F(TemplateCommandsTest, UndoRefusesWithoutAStableRevisionOrAnOwnedStableDeployment) {
  Json rollout = stored();
  const Json recorded = rollout["status"]["stableRevision"];
  rollout["status"].erase("stableRevision");
  ASSERT_TRUE(api_.updateStatus(rollouts(), rollout).isOk());
  Json before = stored();
  EXPECT_EQ(run({"undo", "fraud-scorer"}), exit_code::kError);
  EXPECT_NE(err_.str().find("no stable revision recorded"), std::string::npos) << err_.str();
  EXPECT_EQ(stored(), before);

  rollout = stored();
  rollout["status"]["stableRevision"] = recorded;
  ASSERT_TRUE(api_.updateStatus(rollouts(), rollout).isOk());
  Json deployment = *api_.object(k8s::resources::deployments(), "ml", "fraud-scorer-stable");
  deployment["metadata"]["ownerReferences"][0]["uid"] = "someone-else";
  ASSERT_TRUE(api_.update(k8s::resources::deployments(), deployment).isOk());
  before = stored();
  EXPECT_EQ(run({"undo", "fraud-scorer"}), exit_code::kError);
  EXPECT_NE(err_.str().find("is not owned by ModelRollout fraud-scorer"), std::string::npos)
      << err_.str();
  EXPECT_EQ(stored(), before);
}

TEST_F(TemplateCommandsTest, TreeShowsTheOwnedDeploymentAndItsPods) {
  api_.seed(k8s::resources::deployments(),
            Json::parse(R"({"metadata": {"name": "unrelated", "namespace": "ml",
                            "labels": {"modelrollout.io/rollout": "fraud-scorer"}},
                            "spec": {"replicas": 1}})"));
  EXPECT_EQ(run({"tree", "fraud-scorer"}), exit_code::kOk) << err_.str();
  EXPECT_NE(out_.str().find("fraud-scorer              ModelRollout   Progressing"),
            std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("`-- fraud-scorer-stable   Deployment     Available     4/4"),
            std::string::npos)
      << out_.str();
  EXPECT_EQ(out_.str().find("unrelated"), std::string::npos) << out_.str();
}

TEST_F(PluginCommandsTest, GetAndStatusPrintTheObjectAsJsonOrYaml) {
  EXPECT_EQ(run({"get", "fraud-scorer", "-o", "json"}), exit_code::kOk);
  EXPECT_EQ(Json::parse(out_.str()), stored());
  EXPECT_EQ(run({"status", "fraud-scorer", "-o", "yaml"}), exit_code::kOk);
  EXPECT_EQ(out_.str(), toYaml(stored()));
  EXPECT_EQ(run({"list", "-o", "json"}), exit_code::kOk);
  EXPECT_EQ(Json::parse(out_.str())["items"][0], stored());
  EXPECT_EQ(run({"get"}), exit_code::kOk);
  EXPECT_NE(out_.str().find("fraud-scorer   Progressing   2/4"), std::string::npos) << out_.str();
  EXPECT_EQ(run({"get", "fraud-scorer"}), exit_code::kOk);
  EXPECT_NE(out_.str().find("fraud-scorer   Progressing   2/4"), std::string::npos) << out_.str();
}

}  // namespace
}  // namespace mr::plugin
