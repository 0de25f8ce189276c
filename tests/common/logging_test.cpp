// Logging: JSON and text lines carry ts, level, logger and msg, plus the fields of the
// thread's LogFields scopes (namespace, name, reconcileID for reconcile-scoped lines).
#include "common/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace mr {
namespace {

using nlohmann::json;

class LoggingTest : public ::testing::Test {
 protected:
  void setup(const std::string& format, const std::string& level = "info") {
    out_.str("");
    ASSERT_TRUE(
        setupLogging(format, level, std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)).isOk());
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);)
      result.push_back(line);
    return result;
  }
  std::vector<json> jsonLines() const {
    std::vector<json> result;
    for (const auto& line : lines())
      result.push_back(json::parse(line));  // throws (fails the test) on invalid JSON
    return result;
  }
  void TearDown() override { (void)setupLogging("text", "info"); }  // back to stderr
  std::ostringstream out_;
};

TEST_F(LoggingTest, JsonLineHasTsLevelLoggerAndMsg) {
  setup("json");
  namedLogger("reconciler")->warn("route {} read back {}%", "fraud", 10);
  spdlog::info("plain");
  const auto got = jsonLines();
  ASSERT_EQ(got.size(), 2u) << out_.str();
  EXPECT_EQ(got[0]["level"], "warning");
  EXPECT_EQ(got[0]["logger"], "reconciler");
  EXPECT_EQ(got[0]["msg"], "route fraud read back 10%");
  EXPECT_TRUE(std::regex_match(got[0]["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")))
      << got[0]["ts"];
  EXPECT_EQ(got[1]["logger"], "modelrollout");
  EXPECT_EQ(got[1]["level"], "info");
  EXPECT_FALSE(got[1].contains("namespace"));
}

TEST_F(LoggingTest, ReconcileScopedLinesCarryNamespaceNameAndReconcileIdAsFields) {
  setup("json");
  const std::string id = newReconcileId();
  {
    LogFields scope({{"namespace", "ml"}, {"name", "fraud-scorer"}, {"reconcileID", id}});
    namedLogger("reconciler")->info("SetWeight 10 failed");
  }
  namedLogger("reconciler")->info("after the scope");
  const auto got = jsonLines();
  ASSERT_EQ(got.size(), 2u) << out_.str();
  EXPECT_EQ(got[0]["namespace"], "ml");
  EXPECT_EQ(got[0]["name"], "fraud-scorer");
  EXPECT_EQ(got[0]["reconcileID"], id);
  EXPECT_EQ(got[0]["msg"], "SetWeight 10 failed");  // the key is a field, not in the message
  EXPECT_FALSE(got[1].contains("namespace")) << "fields outlived their scope";
  EXPECT_FALSE(got[1].contains("reconcileID"));
}

TEST_F(LoggingTest, NestedScopesAppendAndFieldsArePerThread) {
  setup("json");
  LogFields outer({{"namespace", "ml"}});
  {
    LogFields inner({{"name", "a\"b"}});
    spdlog::info("inner");
  }
  std::thread([] { spdlog::info("other thread"); }).join();
  spdlog::info("outer");
  const auto got = jsonLines();
  ASSERT_EQ(got.size(), 3u) << out_.str();
  EXPECT_EQ(got[0]["namespace"], "ml");
  EXPECT_EQ(got[0]["name"], "a\"b");
  EXPECT_FALSE(got[1].contains("namespace")) << "another thread saw this thread's fields";
  EXPECT_EQ(got[2]["namespace"], "ml");
  EXPECT_FALSE(got[2].contains("name"));
}

// Regression (JSON logs): a message with quotes, backslashes and newlines stays one valid line.
TEST_F(LoggingTest, JsonMessageWithQuotesAndNewlinesStaysOneValidLine) {
  setup("json");
  spdlog::error("query \"sum(x)\" failed:\n\tC:\\path \x01");
  const auto got = jsonLines();
  ASSERT_EQ(got.size(), 1u) << out_.str();
  EXPECT_EQ(got[0]["msg"], "query \"sum(x)\" failed:\n\tC:\\path \x01");
}

TEST_F(LoggingTest, TextLineHasLoggerAndFieldsAsKeyValues) {
  setup("text");
  LogFields scope({{"namespace", "ml"}, {"name", "fraud"}, {"reason", "two words"}});
  namedLogger("controller")->info("hello");
  const auto got = lines();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(std::regex_search(got[0], std::regex(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} I )")))
      << got[0];
  EXPECT_NE(got[0].find("[controller] hello namespace=ml name=fraud reason=\"two words\""),
            std::string::npos)
      << got[0];
}

TEST_F(LoggingTest, LevelAppliesToNamedLoggersMadeBeforeSetup) {
  auto early = namedLogger("early-component");
  setup("json", "warn");
  early->info("dropped");
  early->warn("kept");
  const auto got = jsonLines();
  ASSERT_EQ(got.size(), 1u) << out_.str();
  EXPECT_EQ(got[0]["msg"], "kept");
  EXPECT_EQ(got[0]["logger"], "early-component");
}

TEST_F(LoggingTest, UnknownFormatOrLevelIsAnError) {
  EXPECT_FALSE(setupLogging("xml", "info").isOk());
  EXPECT_FALSE(setupLogging("json", "loud").isOk());
}

TEST(ReconcileIdTest, IsAVersion4UuidAndDiffersEachTime) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = newReconcileId();
    EXPECT_TRUE(std::regex_match(
        id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
        << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace mr
