// Exec credential plugins (issue 15 item 6): started with posix_spawn, a clean signal mask and
// default dispositions, killed at a timeout, refreshed outside the token lock one at a time,
// and their JSON read type-checked. The plugins are small shell scripts in a temp directory.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/time_format.h"
#include "k8s/credentials.h"
#include "test_clock.h"

namespace mr::k8s {
namespace {

namespace fs = std::filesystem;

class ExecPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mr-exec-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ExecConfig plugin(const std::string& body) {
    const std::string path = (dir_ / "plugin.sh").string();
    std::ofstream(path) << "#!/bin/sh\n" << body;
    chmod(path.c_str(), 0755);
    ExecConfig c;
    c.command = path;
    c.working_dir = dir_.string();
    return c;
  }
  int runs() {
    std::ifstream in(dir_ / "runs");
    return static_cast<int>(std::count(std::istreambuf_iterator<char>(in), {}, '\n'));
  }

  fs::path dir_;
};

const char* kCredential =
    "printf '{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}' \"$TOKEN\"\n";

TEST_F(ExecPluginTest, PluginGetsAnEmptySignalMaskAndDefaultDispositions) {
  // The controller blocks SIGTERM/SIGINT and ignores SIGPIPE; with fork() the plugin inherited
  // both and could not be stopped nor see a closed pipe.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &block, &old), 0);
  struct sigaction ignore {
  }, old_pipe{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old_pipe);

  auto c = plugin(
      "blk=$(awk '/^SigBlk/{print $2}' /proc/self/status)\n"
      "ign=$(awk '/^SigIgn/{print $2}' /proc/self/status)\n"
      "TOKEN=\"$blk-$ign\"\n" +
      std::string(kCredential));
  auto cred = runExecPlugin(c);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  ASSERT_TRUE(cred.isOk()) << cred.status().toString();
  const size_t dash = cred->token.find('-');
  ASSERT_NE(dash, std::string::npos) << cred->token;
  const unsigned long long blocked = std::stoull(cred->token.substr(0, dash), nullptr, 16);
  const unsigned long long ignored = std::stoull(cred->token.substr(dash + 1), nullptr, 16);
  EXPECT_EQ(blocked, 0u) << "signal mask of the plugin";
  EXPECT_EQ(ignored & (1ull << (SIGPIPE - 1)), 0u) << "SIGPIPE ignored in the plugin";
}

TEST_F(ExecPluginTest, HungPluginIsKilledAtTheTimeout) {
  auto c = plugin("exec sleep 30\n");
  c.timeout = Millis(300);
  const auto start = std::chrono::steady_clock::now();
  auto cred = runExecPlugin(c);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(cred.isOk());
  EXPECT_EQ(cred.status().code(), StatusCode::kDeadlineExceeded) << cred.status().toString();
  EXPECT_LT(took, std::chrono::seconds(10)) << "the plugin was killed, not waited for";
}

TEST_F(ExecPluginTest, MissingCommandIsAnErrorNotACrash) {
  ExecConfig c;
  c.command = (dir_ / "does-not-exist").string();
  auto cred = runExecPlugin(c);
  ASSERT_FALSE(cred.isOk());
  EXPECT_EQ(cred.status().code(), StatusCode::kUnavailable);
}

TEST_F(ExecPluginTest, ConcurrentCallersShareOneRefresh) {
  // The plugin ran under the token lock; now it runs outside it, one refresh at a time.
  auto c = plugin("echo run >> runs\nsleep 0.3\nTOKEN=fresh\n" + std::string(kCredential));
  testing::TestClock clock;
  auto source = makeExecTokenSource(c, clock);
  std::vector<std::thread> callers;
  std::atomic<int> fresh{0};
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&] {
      auto t = source->token();
      if (t.isOk() && *t == "fresh") ++fresh;
    });
  }
  for (auto& t : callers)
    t.join();
  EXPECT_EQ(fresh, 4);
  EXPECT_EQ(runs(), 1) << "one refresh served every caller";
}

TEST_F(ExecPluginTest, StillValidTokenIsServedWhileAnotherCallerRefreshes) {
  // A token inside its 10 s refresh margin is refreshed by the first caller; the others keep
  // using it meanwhile instead of waiting for the plugin.
  auto c = plugin("echo run >> runs\nwhile [ ! -e release ]; do sleep 0.02; done\nTOKEN=new\n" +
                  std::string(kCredential));
  testing::TestClock clock;
  clock.setNow(*parseRfc3339("2027-01-15T09:59:55Z"));
  ExecCredential old;
  old.token = "old";
  old.expiration = *parseRfc3339("2027-01-15T10:00:00Z");
  auto source = makeExecTokenSource(c, clock, old);
  std::string refreshed;
  std::thread refresher([&] {
    auto t = source->token();
    refreshed = t.isOk() ? *t : t.status().toString();
  });
  while (runs() == 0)
    std::this_thread::yield();  // the plugin has started
  auto meanwhile = source->token();
  ASSERT_TRUE(meanwhile.isOk());
  EXPECT_EQ(*meanwhile, "old") << "served at once while the refresh runs";
  std::ofstream(dir_ / "release") << "";
  refresher.join();
  EXPECT_EQ(refreshed, "new");
  EXPECT_EQ(*source->token(), "new");
}

TEST(ExecCredentialParseTest, WrongTypesAreErrorsNotThrows) {
  for (const char* bad : {"[]", "{\"kind\":5}", "{\"kind\":\"ExecCredential\",\"status\":\"x\"}",
                          "{\"kind\":\"ExecCredential\",\"status\":{\"token\":5}}",
                          "{\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":[],"
                          "\"clientKeyData\":{}}}",
                          "{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\","
                          "\"expirationTimestamp\":7}}x"}) {
    auto r = parseExecCredential(bad);
    EXPECT_FALSE(r.isOk()) << bad;
  }
  auto typed = parseExecCredential(
      "{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\",\"expirationTimestamp\":7}}");
  ASSERT_TRUE(typed.isOk()) << "a wrong-typed optional field is absent";
  EXPECT_FALSE(typed->expiration.has_value());
}

TEST(ExecCredentialParseTest, TokenWithControlCharactersIsRefused) {
  auto r = parseExecCredential(
      "{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"a\\r\\nX-Evil: 1\"}}");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("control character"), std::string::npos);
}

TEST(ExecCredentialParseTest, OtherApiVersionIsRefused) {
  auto r = parseExecCredential(
      "{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
      "\"status\":{\"token\":\"t\"}}",
      "client.authentication.k8s.io/v1");
  EXPECT_FALSE(r.isOk());
}

}  // namespace
}  // namespace mr::k8s
