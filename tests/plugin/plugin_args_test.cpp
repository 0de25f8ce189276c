#include "plugin/plugin_args.h"

#include <gtest/gtest.h>

namespace mr::plugin {
namespace {

TEST(PluginArgsTest, GlobalFlagsAnywhereInBothForms) {
  auto args = parseArgs({"-n", "ml", "status", "fraud", "--watch", "--kubeconfig=/tmp/kc",
                         "--context", "dev", "--timeout", "10m"});
  ASSERT_TRUE(args.isOk()) << args.status().toString();
  EXPECT_EQ(args->command, "status");
  EXPECT_EQ(args->name, "fraud");
  EXPECT_EQ(args->ns, "ml");
  EXPECT_EQ(args->kubeconfig, "/tmp/kc");
  EXPECT_EQ(args->context, "dev");
  EXPECT_TRUE(args->watch);
  EXPECT_EQ(args->timeout, Millis(600000));
}

TEST(PluginArgsTest, Commands) {
  EXPECT_TRUE(parseArgs({"list", "-A"})->all_namespaces);
  EXPECT_TRUE(parseArgs({"promote", "x", "--full"})->full);
  EXPECT_FALSE(parseArgs({"promote", "x"})->full);
  for (const char* c : {"abort", "retry", "pause", "resume"}) {
    auto args = parseArgs({c, "x", "--namespace=prod"});
    ASSERT_TRUE(args.isOk()) << c;
    EXPECT_EQ(args->command, c);
    EXPECT_EQ(args->ns, "prod");
  }
  EXPECT_EQ(parseArgs({"--help"})->command, "help");
}

TEST(PluginArgsTest, RejectsBadInput) {
  auto message = [](std::vector<std::string> a) { return parseArgs(a).status().message(); };
  EXPECT_EQ(message({}), "missing command");
  EXPECT_EQ(message({"deploy", "x"}), "unknown command \"deploy\"");
  EXPECT_EQ(message({"status"}), "status needs a NAME");
  EXPECT_EQ(message({"list", "extra"}), "unexpected argument \"extra\"");
  EXPECT_EQ(message({"abort", "x", "--full"}), "--full applies to promote only");
  EXPECT_EQ(message({"pause", "x", "--watch"}), "--watch applies to status only");
  EXPECT_EQ(message({"status", "x", "--timeout", "5m"}), "--timeout needs --watch");
  EXPECT_EQ(message({"status", "x", "-n"}), "flag -n needs a value");
  EXPECT_EQ(message({"status", "x", "--bogus"}), "unknown flag --bogus");
  EXPECT_FALSE(parseArgs({"status", "x", "-w", "--timeout", "soon"}).isOk());
}

}  // namespace
}  // namespace mr::plugin
