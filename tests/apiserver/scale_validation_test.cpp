// validateScalePaths (scale_validation.h): the replicas and selector paths of a CRD's scale
// subresource, with kube-apiserver's messages (compared with v1.32 for the string case).
#include "scale_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mr::apiserver {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;

ServedVersion scaled() {
  ServedVersion v;
  v.scale_subresource = true;
  v.spec_replicas_path = ".spec.replicas";
  v.status_replicas_path = ".status.replicas";
  v.label_selector_path = ".status.selector";
  return v;
}

std::vector<std::string> messages(const json& obj, const ServedVersion& v = scaled()) {
  std::vector<std::string> out;
  for (const auto& e : validateScalePaths(obj, v))
    out.push_back(e.toString());
  return out;
}

TEST(ApiserverScaleValidationTest, AbsentOrValidValuesPass) {
  EXPECT_THAT(messages(json::object()), ElementsAre());
  EXPECT_THAT(messages({{"spec", {{"replicas", 3}}}, {"status", {{"selector", "app=m"}}}}),
              ElementsAre());
  ServedVersion unscaled;
  EXPECT_THAT(messages({{"spec", {{"replicas", "four"}}}}, unscaled), ElementsAre());
}

TEST(ApiserverScaleValidationTest, NonIntegerReplicasIsAnAccessorError) {
  EXPECT_THAT(messages({{"spec", {{"replicas", "four"}}}}),
              ElementsAre(".spec.replicas: Invalid value: 0: .spec.replicas accessor error: four "
                          "is of the type string, expected int64"));
  EXPECT_THAT(messages({{"spec", {{"replicas", 1.5}}}}),
              ElementsAre(".spec.replicas: Invalid value: 0: .spec.replicas accessor error: 1.5 "
                          "is of the type float64, expected int64"));
  EXPECT_THAT(messages({{"spec", "x"}}),
              ElementsAre(".spec.replicas: Invalid value: 0: .spec.replicas accessor error: x is "
                          "of the type string, expected map[string]interface{}"));
}

TEST(ApiserverScaleValidationTest, ReplicasOutOfRange) {
  EXPECT_THAT(messages({{"spec", {{"replicas", -1}}}, {"status", {{"replicas", 2147483648LL}}}}),
              ElementsAre(".spec.replicas: Invalid value: -1: should be a non-negative integer",
                          ".status.replicas: Invalid value: 2147483648: should be less than or "
                          "equal to 2147483647"));
}

TEST(ApiserverScaleValidationTest, SelectorMustBeAString) {
  EXPECT_THAT(messages({{"status", {{"selector", 5}}}}),
              ElementsAre(".status.selector: Invalid value: \"\": .status.selector accessor "
                          "error: 5 is of the type int64, expected string"));
}

}  // namespace
}  // namespace mr::apiserver
