// Drives the real mr-test-apiserver binary with the real kubectl (v1.32) over TLS with a bearer
// token and a fresh --cache-dir: CRD registration from real upstream CRDs, apply/get/-o wide/
// -w/patch/annotate/delete/api-resources, schema errors naming the field, strict unknown
// fields, and Deployment apply twice (strategic merge patch). When the project's ModelRollout
// CRD and examples exist in the tree they are applied too.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.h"

namespace {

namespace fs = std::filesystem;

struct CmdResult {
  int exit_code;
  std::string output;
};

CmdResult run(const std::string& cmd) {
  CmdResult r{-1, ""};
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
    r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void sleepMs(int ms) {
  mr::RealClock::instance().sleepFor(mr::Millis(ms));
}

class ApiserverKubectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mr-apiserver-kubectl-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    pid_ = ::fork();
    if (pid_ == 0) {
      int log = ::open((dir_ / "apiserver.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::execl(MR_APISERVER_BIN, MR_APISERVER_BIN, "--listen", "127.0.0.1:0", "--port-file",
              (dir_ / "port").c_str(), "--kubeconfig-out", (dir_ / "kubeconfig").c_str(), "--tls",
              "--cert-dir", (dir_ / "certs").c_str(), "--token", "kubectl-test-token",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200 && !fs::exists(dir_ / "port"); ++i)
      sleepMs(25);
    ASSERT_TRUE(fs::exists(dir_ / "port")) << readFile(dir_ / "apiserver.log");
    kubectl_ = "kubectl --kubeconfig " + (dir_ / "kubeconfig").string() + " --cache-dir " +
               (dir_ / "cache").string() + " ";
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!HasFailure()) fs::remove_all(dir_);
  }
  CmdResult k(const std::string& args) { return run(kubectl_ + args); }
  // Writes `content` to a temp file and returns its path.
  std::string file(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name) << content;
    return (dir_ / name).string();
  }

  fs::path dir_;
  pid_t pid_ = -1;
  std::string kubectl_;
};

const char* kWidgetCrd = "tests/apiserver/testdata/widgets.yaml";
const char* kWidgetA = "tests/apiserver/testdata/widget-a.yaml";

TEST_F(ApiserverKubectlTest, KubeconfigUsesTlsAndToken) {
  std::string kc = readFile(dir_ / "kubeconfig");
  EXPECT_NE(kc.find("server: https://127.0.0.1:"), std::string::npos);
  EXPECT_NE(kc.find("certificate-authority-data:"), std::string::npos);
  EXPECT_NE(kc.find("token: kubectl-test-token"), std::string::npos);
  auto denied = run("kubectl --kubeconfig " + (dir_ / "kubeconfig").string() +
                    " --token wrong --cache-dir " + (dir_ / "c2").string() + " get ns");
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_NE(denied.output.find("You must be logged in to the server"), std::string::npos)
      << denied.output;
  auto ns = k("get ns");
  ASSERT_EQ(ns.exit_code, 0) << ns.output;
  EXPECT_NE(ns.output.find("kube-system"), std::string::npos);
}

TEST_F(ApiserverKubectlTest, CustomResourceLifecycle) {
  auto crds = k("apply -f e2e/crds/");
  ASSERT_EQ(crds.exit_code, 0) << crds.output;
  EXPECT_NE(crds.output.find("httproutes.gateway.networking.k8s.io created"), std::string::npos);
  ASSERT_EQ(k(std::string("apply -f ") + kWidgetCrd).exit_code, 0);
  auto created = k(std::string("apply -f ") + kWidgetA);
  ASSERT_EQ(created.exit_code, 0) << created.output;
  EXPECT_NE(created.output.find("widget.test.mr.io/widget-a created"), std::string::npos);
  EXPECT_NE(k(std::string("apply -f ") + kWidgetA).output.find("unchanged"), std::string::npos);

  auto wide = k("get wd -o wide");
  ASSERT_EQ(wide.exit_code, 0) << wide.output;
  EXPECT_NE(wide.output.find("PHASE"), std::string::npos) << wide.output;
  EXPECT_NE(wide.output.find("SIZE"), std::string::npos) << wide.output;   // priority 1 column
  EXPECT_NE(wide.output.find("small"), std::string::npos) << wide.output;  // schema default
  EXPECT_EQ(k("get wd").output.find("SIZE"), std::string::npos);
  EXPECT_NE(k("get mrtest").output.find("widget-a"), std::string::npos);  // category

  auto resources = k("api-resources");
  EXPECT_NE(resources.output.find("widgets"), std::string::npos);
  EXPECT_NE(resources.output.find("wd,wds"), std::string::npos) << resources.output;
  EXPECT_NE(resources.output.find("httproutes"), std::string::npos);

  auto patched = k("patch wd widget-a --type=merge -p '{\"spec\":{\"replicas\":5}}'");
  ASSERT_EQ(patched.exit_code, 0) << patched.output;
  ASSERT_EQ(k("annotate wd widget-a team=ml").exit_code, 0);
  auto got =
      k("get wd widget-a -o jsonpath='{.spec.replicas} {.metadata.annotations.team} "
        "{.metadata.generation}'");
  EXPECT_EQ(got.output, "5 ml 2");

  auto status =
      k("patch wd widget-a --subresource=status --type=merge -p "
        "'{\"status\":{\"phase\":\"Running\"}}'");
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(k("get wd widget-a").output.find("Running"), std::string::npos);

  auto deleted = k("delete wd widget-a");
  ASSERT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_NE(k("get wd widget-a").output.find("NotFound"), std::string::npos);
}

TEST_F(ApiserverKubectlTest, MalformedResourcesAreRejectedWithTheField) {
  ASSERT_EQ(k(std::string("apply -f ") + kWidgetCrd).exit_code, 0);
  auto bad = k("apply -f " + file("bad.yaml", R"(apiVersion: test.mr.io/v1
kind: Widget
metadata: {name: bad, namespace: default}
spec: {image: "a/b:1", replicas: 20, size: huge}
)"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("spec.replicas"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("spec.size: Unsupported value: \"huge\""), std::string::npos)
      << bad.output;
  auto unknown = k("apply -f " + file("unknown.yaml", R"(apiVersion: test.mr.io/v1
kind: Widget
metadata: {name: unk, namespace: default}
spec: {image: "a/b:1", colour: blue}
)"));
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.output.find("unknown field \"spec.colour\""), std::string::npos)
      << unknown.output;
}

TEST_F(ApiserverKubectlTest, WatchPrintsUpdatesFromAnotherClient) {
  ASSERT_EQ(k(std::string("apply -f ") + kWidgetCrd).exit_code, 0);
  ASSERT_EQ(k(std::string("apply -f ") + kWidgetA).exit_code, 0);
  std::string out = (dir_ / "watch.out").string();
  pid_t watcher = ::fork();
  if (watcher == 0) {
    ::setpgid(0, 0);
    ::execl("/bin/sh", "sh", "-c",
            (kubectl_ + "get wd -w --request-timeout=0 > " + out + " 2>&1").c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 100 && readFile(out).find("widget-a") == std::string::npos; ++i)
    sleepMs(50);
  ASSERT_EQ(k("patch wd widget-a --type=merge -p '{\"spec\":{\"replicas\":7}}'").exit_code, 0);
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    std::string text = readFile(out);
    seen = text.find(" 7 ") != std::string::npos;
    if (!seen) sleepMs(50);
  }
  ::kill(-watcher, SIGTERM);
  ::waitpid(watcher, nullptr, 0);
  EXPECT_TRUE(seen) << readFile(out);
}

TEST_F(ApiserverKubectlTest, DeploymentApplyTwiceUsesStrategicMerge) {
  std::string manifest = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: server, image: "nginx:1.25", env: [{name: A, value: "1"}, {name: B, value: "2"}]}
      - {name: sidecar, image: "busybox:1.36"}
)";
  ASSERT_EQ(k("apply -f " + file("d.yaml", manifest)).exit_code, 0);
  std::string changed = manifest;
  changed.replace(changed.find("nginx:1.25"), 10, "nginx:1.26");
  changed.replace(changed.find("value: \"2\""), 10, "value: \"3\"");
  auto second = k("apply -f " + file("d.yaml", changed) + " -v=6");
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("PATCH"), std::string::npos);
  auto got =
      k("get deploy web -o jsonpath='{.metadata.generation} "
        "{.spec.template.spec.containers[*].image} "
        "{.spec.template.spec.containers[0].env[1].value}'");
  EXPECT_EQ(got.output, "2 nginx:1.26 busybox:1.36 3");
  auto wide = k("get deploy -o wide");
  EXPECT_NE(wide.output.find("server,sidecar"), std::string::npos) << wide.output;
  ASSERT_EQ(k("scale deploy web --replicas=4").exit_code, 0);
  EXPECT_EQ(k("get deploy web -o jsonpath='{.spec.replicas}'").output, "4");
}

TEST_F(ApiserverKubectlTest, ModelRolloutCrdAndExamplesWhenPresent) {
  if (!fs::exists("crds/modelrollout.io_modelrollouts.yaml"))
    GTEST_SKIP() << "crds/modelrollout.io_modelrollouts.yaml not in the tree yet";
  auto crd = k("apply -f crds/ -f e2e/crds/");
  ASSERT_EQ(crd.exit_code, 0) << crd.output;
  ASSERT_EQ(k("apply -f " +
              file("ns.yaml",
                   "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ml\"}}"))
                .exit_code,
            0);
  int applied = 0;
  if (fs::exists("examples")) {
    for (const auto& e : fs::directory_iterator("examples")) {
      if (e.path().extension() != ".yaml") continue;
      auto r = k("apply -f " + e.path().string());
      EXPECT_EQ(r.exit_code, 0) << e.path() << ": " << r.output;
      ++applied;
    }
  }
  auto wide = k("get mr -A -o wide");
  ASSERT_EQ(wide.exit_code, 0) << wide.output;
  if (applied > 0) {
    EXPECT_NE(wide.output.find("PHASE"), std::string::npos) << wide.output;
    EXPECT_NE(wide.output.find("WEIGHT"), std::string::npos) << wide.output;
  }
  EXPECT_NE(k("api-resources").output.find("modelrollouts"), std::string::npos);
  auto bad = k("apply -f " + file("bad-mr.yaml", R"(apiVersion: modelrollout.io/v1alpha1
kind: ModelRollout
metadata: {name: broken, namespace: ml}
spec:
  replicas: -3
  selector: {matchLabels: {app: x}}
  template: {metadata: {labels: {app: x}}, spec: {containers: [{name: s, image: "x:1"}]}}
)"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("spec.replicas"), std::string::npos) << bad.output;
}

// The ModelRollout CRD with the real kubectl: a typo inside the pod template is refused with the
// field's name (strict field validation, kubectl's default), `kubectl explain` shows the pod
// template's fields, and `kubectl scale` works through the scale subresource.
TEST_F(ApiserverKubectlTest, ModelRolloutTemplateTypoExplainAndScale) {
  ASSERT_EQ(k("apply -f crds/").exit_code, 0);
  ASSERT_EQ(k("apply -f " +
              file("ns.yaml",
                   "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ml\"}}"))
                .exit_code,
            0);
  const std::string manifest = R"(apiVersion: modelrollout.io/v1alpha1
kind: ModelRollout
metadata: {name: scorer, namespace: ml}
spec:
  replicas: 2
  selector: {matchLabels: {app: scorer}}
  template:
    metadata: {labels: {app: scorer}}
    spec:
      containers:
      - name: server
        image: "scorer:1"
        resources: {limits: {nvidia.com/gpu: 1, cpu: 0.5}}
)";
  std::string typo = manifest;
  typo.replace(typo.find("resources:"), 10, "resource:");
  auto refused = k("apply -f " + file("typo.yaml", typo));
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_NE(
      refused.output.find(
          "strict decoding error: unknown field \"spec.template.spec.containers[0].resource\""),
      std::string::npos)
      << refused.output;
  EXPECT_NE(k("get mr scorer -n ml").output.find("NotFound"), std::string::npos);

  auto applied = k("apply -f " + file("mr.yaml", manifest));
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_EQ(
      k("get mr scorer -n ml -o jsonpath='{.spec.template.spec.containers[0].resources}'").output,
      R"({"limits":{"cpu":0.5,"nvidia.com/gpu":1}})");

  auto explain = k("explain modelrollouts.spec.template.spec.containers");
  ASSERT_EQ(explain.exit_code, 0) << explain.output;
  for (const char* f : {"resources", "readinessProbe", "env", "ports"}) {
    EXPECT_NE(explain.output.find(f), std::string::npos) << f << "\n" << explain.output;
  }

  // The controller's status: pods of both versions and their selector.
  ASSERT_EQ(k("patch mr scorer -n ml --subresource=status --type=merge -p "
              "'{\"status\":{\"replicas\":3,\"availableReplicas\":3,\"readyDisplay\":\"3/3\","
              "\"selector\":\"app=scorer,modelrollout.io/rollout=scorer\","
              "\"currentStepDisplay\":\"2/4\"}}'")
                .exit_code,
            0);
  auto scaled = k("scale mr/scorer -n ml --replicas=5");
  ASSERT_EQ(scaled.exit_code, 0) << scaled.output;
  EXPECT_EQ(k("get mr scorer -n ml -o jsonpath='{.spec.replicas}'").output, "5");
  auto scale =
      k("get --raw /apis/modelrollout.io/v1alpha1/namespaces/ml/modelrollouts/scorer/scale");
  ASSERT_EQ(scale.exit_code, 0) << scale.output;
  EXPECT_NE(scale.output.find(R"("kind":"Scale")"), std::string::npos) << scale.output;
  EXPECT_NE(scale.output.find(R"("spec":{"replicas":5})"), std::string::npos) << scale.output;
  EXPECT_NE(
      scale.output.find(
          R"("status":{"replicas":3,"selector":"app=scorer,modelrollout.io/rollout=scorer"})"),
      std::string::npos)
      << scale.output;
  // The schema's bounds apply to a scale as to any write.
  EXPECT_NE(k("scale mr/scorer -n ml --replicas=20000").exit_code, 0);
  EXPECT_EQ(k("get mr scorer -n ml -o jsonpath='{.spec.replicas}'").output, "5");

  auto table = k("get mr -n ml");
  ASSERT_EQ(table.exit_code, 0) << table.output;
  for (const char* col : {"STEP", "READY", "AVAILABLE", "2/4", "3/3"}) {
    EXPECT_NE(table.output.find(col), std::string::npos) << col << "\n" << table.output;
  }
}

}  // namespace
