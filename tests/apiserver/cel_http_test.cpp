// CEL rules over HTTP: the test API server answers a ModelRollout that breaks a rule of
// crds/modelrollout.io_modelrollouts.yaml with the 422 Status kube-apiserver v1.32 sends,
// ratchets an unchanged invalid value on update (a Warning header instead), and accepts a CRD whose
// rule lies outside its CEL subset with a Warning saying so.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "encoding.h"
#include "test_client.h"

namespace mr::apiserver::testing {
namespace {

using json = nlohmann::json;

const char* kModelRollouts = "/apis/modelrollout.io/v1alpha1/namespaces/default/modelrollouts";
const char* kCrds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

json modelRolloutCrd() {
  std::ifstream in("crds/modelrollout.io_modelrollouts.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  return yamlToJson(ss.str()).value();
}

json modelRollout(const std::string& selector_app) {
  return {{"apiVersion", "modelrollout.io/v1alpha1"},
          {"kind", "ModelRollout"},
          {"metadata", {{"name", "m"}}},
          {"spec",
           {{"selector", {{"matchLabels", {{"app", selector_app}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", "m"}}}}},
              {"spec", {{"containers", {{{"name", "server"}, {"image", "model:1"}}}}}}}}}}};
}

class ApiserverCelHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerFixture>();
    client_ = std::make_unique<TestClient>(server_->port());
    auto r = req("POST", kCrds, modelRolloutCrd());
    ASSERT_EQ(r.code, 201) << r.body;
    EXPECT_EQ(r.headers.count("warning"), 0u) << r.headers["warning"];
  }
  HttpResult req(const std::string& m, const std::string& p, const json& body = nullptr) {
    return client_->request(m, p, body.is_null() ? "" : body.dump());
  }
  std::unique_ptr<ServerFixture> server_;
  std::unique_ptr<TestClient> client_;
};

TEST_F(ApiserverCelHttpTest, RuleViolationIsA422LikeKubeApiserver) {
  auto r = req("POST", kModelRollouts, modelRollout("other"));
  ASSERT_EQ(r.code, 422) << r.body;
  const std::string detail =
      "Invalid value: \"object\": spec.selector.matchLabels must be contained in "
      "spec.template.metadata.labels (the selector must select the template's pods)";
  EXPECT_EQ(r.json(),
            json({{"kind", "Status"},
                  {"apiVersion", "v1"},
                  {"metadata", json::object()},
                  {"status", "Failure"},
                  {"message", "ModelRollout.modelrollout.io \"m\" is invalid: spec: " + detail},
                  {"reason", "Invalid"},
                  {"details",
                   {{"name", "m"},
                    {"group", "modelrollout.io"},
                    {"kind", "ModelRollout"},
                    {"causes",
                     {{{"reason", "FieldValueInvalid"}, {"message", detail}, {"field", "spec"}}}}}},
                  {"code", 422}}));
  EXPECT_EQ(req("GET", std::string(kModelRollouts) + "/m").code, 404);
}

TEST_F(ApiserverCelHttpTest, BlockingSchemaErrorSkipsTheRulesAfterTheScaleCheck) {
  json obj = modelRollout("other");
  obj["spec"]["replicas"] = "four";
  auto r = req("POST", kModelRollouts, obj);
  ASSERT_EQ(r.code, 422) << r.body;
  // Word for word what kube-apiserver v1.32 answers (e2e scenario 08's bad-type).
  EXPECT_EQ(r.json()["message"],
            "ModelRollout.modelrollout.io \"m\" is invalid: [spec.replicas: Invalid value: "
            "\"string\": spec.replicas in body must be of type integer: \"string\", "
            ".spec.replicas: Invalid value: 0: .spec.replicas accessor error: four is of the type "
            "string, expected int64, <nil>: Invalid value: \"null\": some validation rules were "
            "not checked because the object was invalid; correct the existing errors to complete "
            "validation]");
  EXPECT_EQ(r.json()["details"]["causes"][2]["field"], "<nil>");
}

TEST_F(ApiserverCelHttpTest, UnchangedInvalidValueIsRatchetedWithAWarning) {
  json obj = modelRollout("m");
  obj["spec"]["steps"] = {{{"weight", 60}}, {{"weight", 100}}};
  auto created = req("POST", kModelRollouts, obj);
  ASSERT_EQ(created.code, 201) << created.body;
  // A stricter rule arrives with a new version of the CRD (its default steps still pass, as
  // kube-apiserver requires); the stored object now breaks it. Measured on kube-apiserver
  // v1.32: the same Warning, then the same 422 once steps change.
  const std::string crd_url = std::string(kCrds) + "/modelrollouts.modelrollout.io";
  json crd = req("GET", crd_url).json();
  crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
     ["steps"]["x-kubernetes-validations"]
         .push_back({{"rule", "self.all(s, s.weight != 60)"}, {"message", "60 is retired"}});
  ASSERT_EQ(req("PUT", crd_url, crd).code, 200);

  json scaled = created.json();
  scaled["spec"]["replicas"] = 2;
  auto ok = req("PUT", std::string(kModelRollouts) + "/m", scaled);
  ASSERT_EQ(ok.code, 200) << ok.body;
  EXPECT_EQ(ok.headers["warning"],
            "299 - \"spec.steps: Invalid value: \\\"array\\\": 60 is retired\"");

  json touched = ok.json();
  touched["spec"]["steps"] = {{{"weight", 50}}, {{"weight", 60}}, {{"weight", 100}}};
  auto refused = req("PUT", std::string(kModelRollouts) + "/m", touched);
  ASSERT_EQ(refused.code, 422) << refused.body;
  EXPECT_EQ(refused.json()["message"],
            "ModelRollout.modelrollout.io \"m\" is invalid: spec.steps: Invalid value: "
            "\"array\": 60 is retired");
}

TEST_F(ApiserverCelHttpTest, CrdWithRuleOutsideTheSubsetIsAcceptedWithAWarning) {
  json crd = modelRolloutCrd();
  crd["metadata"]["name"] = "others.modelrollout.io";
  crd["spec"]["names"] = {{"plural", "others"}, {"kind", "Other"}};
  crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
     ["x-kubernetes-validations"]
         .push_back({{"rule", "quantity('1').isInteger()"}});
  auto r = req("POST", kCrds, crd);
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_EQ(r.headers["warning"],
            "299 - \"CustomResourceDefinition others.modelrollout.io: not evaluated by the test "
            "API server (outside its CEL subset): spec.versions[0].schema.openAPIV3Schema."
            "properties[spec].x-kubernetes-validations[1].rule: quantity('1').isInteger(): "
            "column 1: unsupported function 'quantity'\"");
}

}  // namespace
}  // namespace mr::apiserver::testing
