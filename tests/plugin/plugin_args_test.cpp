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
  EXPECT_EQ(args->connection.kubeconfig, "/tmp/kc");
  EXPECT_EQ(args->connection.context, "dev");
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

TEST(PluginArgsTest, KubectlConnectionFlagsInEveryPflagForm) {
  auto args =
      parseArgs({"get", "fraud", "--cluster=prod", "--user", "alice", "-s", "https://10.0.0.1:6443",
                 "--token=abc", "--certificate-authority", "/tmp/ca.pem", "--tls-server-name",
                 "api.internal", "--request-timeout", "30", "-nml", "-oyaml"});
  ASSERT_TRUE(args.isOk()) << args.status().toString();
  EXPECT_EQ(args->connection.cluster, "prod");
  EXPECT_EQ(args->connection.user, "alice");
  EXPECT_EQ(args->connection.server, "https://10.0.0.1:6443");
  EXPECT_EQ(args->connection.token, "abc");
  EXPECT_EQ(args->connection.certificate_authority, "/tmp/ca.pem");
  EXPECT_EQ(args->connection.tls_server_name, "api.internal");
  EXPECT_EQ(args->connection.request_timeout, Millis(30000));
  EXPECT_EQ(args->ns, "ml");
  EXPECT_EQ(args->output, "yaml");
  EXPECT_EQ(args->name, "fraud");

  auto shorthand_eq = parseArgs({"-n=prod", "-o=json", "status", "x", "--server=h:1"});
  ASSERT_TRUE(shorthand_eq.isOk()) << shorthand_eq.status().toString();
  EXPECT_EQ(shorthand_eq->ns, "prod");
  EXPECT_EQ(shorthand_eq->output, "json");
  EXPECT_EQ(shorthand_eq->connection.server, "h:1");

  auto insecure = parseArgs({"list", "--insecure-skip-tls-verify", "-A"});
  ASSERT_TRUE(insecure.isOk());
  EXPECT_TRUE(insecure->connection.insecure_skip_tls_verify);
  EXPECT_TRUE(insecure->all_namespaces);
  EXPECT_FALSE(
      parseArgs({"list", "--insecure-skip-tls-verify=false"})->connection.insecure_skip_tls_verify);
  EXPECT_EQ(parseArgs({"list", "--insecure-skip-tls-verify=maybe"}).status().message(),
            "flag --insecure-skip-tls-verify takes true or false, not \"maybe\"");
}

TEST(PluginArgsTest, RequestTimeoutAsKubectlReadsIt) {
  EXPECT_EQ(*parseRequestTimeout("0"), Millis(0));
  EXPECT_EQ(*parseRequestTimeout("45"), Millis(45000));
  EXPECT_EQ(*parseRequestTimeout("1m30s"), Millis(90000));
  EXPECT_FALSE(parseRequestTimeout("soon").isOk());
  EXPECT_FALSE(parseRequestTimeout("").isOk());
  EXPECT_FALSE(parseArgs({"list", "--request-timeout", "-5s"}).isOk());
}

TEST(PluginArgsTest, SetImageUndoTreeGet) {
  auto set = parseArgs({"set", "image", "fraud", "server=reg/x:2", "sidecar=reg/y@sha256:ab"});
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  EXPECT_EQ(set->command, "set-image");
  EXPECT_EQ(set->name, "fraud");
  ASSERT_EQ(set->images.size(), 2u);
  EXPECT_EQ(set->images[0], std::make_pair(std::string("server"), std::string("reg/x:2")));
  EXPECT_EQ(set->images[1], std::make_pair(std::string("sidecar"), std::string("reg/y@sha256:ab")));
  EXPECT_EQ(parseArgs({"set", "image", "fraud", "*=reg/x:3"})->images[0].first, "*");
  EXPECT_EQ(parseArgs({"undo", "fraud"})->command, "undo");
  EXPECT_EQ(parseArgs({"tree", "fraud"})->command, "tree");
  EXPECT_EQ(parseArgs({"get"})->name, "");
  EXPECT_EQ(parseArgs({"get", "-A", "-o", "json"})->output, "json");
}

TEST(PluginArgsTest, RejectsMisusedNewFlagsAndCommands) {
  auto message = [](std::vector<std::string> a) { return parseArgs(a).status().message(); };
  EXPECT_EQ(message({"set", "image", "fraud"}), "set image needs CONTAINER=IMAGE");
  EXPECT_EQ(message({"set", "image"}), "set image needs a NAME");
  EXPECT_EQ(message({"set", "env", "fraud", "A=1"}),
            "set supports only \"set image NAME CONTAINER=IMAGE\"");
  EXPECT_EQ(message({"set", "image", "fraud", "=reg/x:2"}),
            "set image: \"=reg/x:2\" is not CONTAINER=IMAGE");
  EXPECT_EQ(message({"set", "image", "fraud", "server"}),
            "set image: \"server\" is not CONTAINER=IMAGE");
  EXPECT_EQ(message({"undo"}), "undo needs a NAME");
  EXPECT_EQ(message({"list", "-o", "wide"}), "--output must be json or yaml, not \"wide\"");
  EXPECT_EQ(message({"promote", "x", "-o", "json"}),
            "--output applies to list, get and status only");
  EXPECT_EQ(message({"status", "x", "-w", "-o", "json"}),
            "--output and --watch cannot be combined");
  EXPECT_EQ(message({"get", "x", "-A"}), "-A/--all-namespaces cannot be combined with a NAME");
  EXPECT_EQ(message({"tree", "x", "-A"}), "-A/--all-namespaces cannot be combined with a NAME");
  EXPECT_EQ(message({"list", "--certificate-authority=/ca", "--insecure-skip-tls-verify"}),
            "--certificate-authority and --insecure-skip-tls-verify cannot be combined");
  EXPECT_EQ(message({"list", "-x"}), "unknown flag -x");
}

}  // namespace
}  // namespace mr::plugin
