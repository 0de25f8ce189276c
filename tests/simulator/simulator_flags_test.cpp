#include "e2e/simulator/simulator_flags.h"

#include <gtest/gtest.h>

namespace mr::sim {
namespace {

TEST(SimulatorFlagsTest, Defaults) {
  auto f = parseSimulatorFlags({});
  ASSERT_TRUE(f.isOk());
  EXPECT_DOUBLE_EQ(f->rate, 100.0);
  EXPECT_EQ(f->ready_delay, std::chrono::milliseconds(1000));
  EXPECT_EQ(f->tick, std::chrono::milliseconds(100));
  EXPECT_EQ(f->metrics_listen, "127.0.0.1:0");
  EXPECT_EQ(f->seed, 1u);
  EXPECT_EQ(f->log_level, "info");
}

TEST(SimulatorFlagsTest, AllFlagsBothForms) {
  auto f = parseSimulatorFlags({"--kubeconfig", "/k", "--rate=250", "--ready-delay", "300ms",
                                "--metrics-listen=127.0.0.1:9100", "--port-file", "/p", "--seed=7",
                                "--tick", "50ms", "--log-level=debug", "--log-format", "json"});
  ASSERT_TRUE(f.isOk()) << f.status().toString();
  EXPECT_EQ(f->kubeconfig, "/k");
  EXPECT_DOUBLE_EQ(f->rate, 250);
  EXPECT_EQ(f->ready_delay, std::chrono::milliseconds(300));
  EXPECT_EQ(f->metrics_listen, "127.0.0.1:9100");
  EXPECT_EQ(f->port_file, "/p");
  EXPECT_EQ(f->seed, 7u);
  EXPECT_EQ(f->tick, std::chrono::milliseconds(50));
  EXPECT_EQ(f->log_level, "debug");
  EXPECT_EQ(f->log_format, "json");
  EXPECT_TRUE(parseSimulatorFlags({"--ready-delay=0s"}).isOk());
}

TEST(SimulatorFlagsTest, Errors) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--rate", "fast"},
                                                                {"--rate=-1"},
                                                                {"--tick", "0s"},
                                                                {"--ready-delay", "soon"},
                                                                {"--seed", "x"},
                                                                {"--metrics-listen", "9100"},
                                                                {"--bogus", "1"},
                                                                {"--rate"},
                                                                {"--log-format", "xml"}}) {
    EXPECT_FALSE(parseSimulatorFlags(args).isOk()) << args[0];
  }
  auto unknown = parseSimulatorFlags({"--bogus", "1"});
  EXPECT_NE(unknown.status().message().find("--bogus"), std::string::npos);
}

}  // namespace
}  // namespace mr::sim
