// Issue 15 item 4: the probe server served one connection at a time with a 1 s read, so eight
// idle connections delayed /healthz by 8 s (kubelet restarts the pod after 3 x 2 s). Now idle
// and half-sent connections hold no thread: /healthz answers within 100 ms with 100 of them
// open. Timing-based, so it is an integration test (not in the sanitizer run) and it allows a
// few attempts on a loaded machine; the old server needed >= 100 s here and failed every one.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <vector>

#include "controller/probe_server.h"
#include "process_util.h"

namespace mr::controller {
namespace {

int connectTo(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

TEST(ProbeServerConcurrency, HundredIdleConnectionsDoNotDelayHealthz) {
  ProbeServer server;
  server.handle("/healthz", [] { return ProbeResponse{200, "ok\n"}; });
  server.handle("/metrics", [] { return ProbeResponse{200, "# metrics\n"}; });
  ASSERT_TRUE(server.start("127.0.0.1:0").isOk());

  std::vector<int> idle;
  for (int i = 0; i < 100; ++i) {
    const int fd = connectTo(server.port());
    ASSERT_GE(fd, 0) << "connection " << i;
    // Half of them send the start of a request and stall (a slowloris client).
    if (i % 2) ::send(fd, "GET /healthz HTTP/1.1\r\nHost:", 28, MSG_NOSIGNAL);
    idle.push_back(fd);
  }

  std::chrono::milliseconds best{std::chrono::hours(1)};
  for (int attempt = 0; attempt < 5 && best > std::chrono::milliseconds(100); ++attempt) {
    const auto started = std::chrono::steady_clock::now();
    const auto result = k8s::testing::httpGet(server.port(), "/healthz");
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    ASSERT_EQ(result.code, 200);
    EXPECT_EQ(result.body, "ok\n");
    best = std::min(best, took);
  }
  EXPECT_LE(best.count(), 100) << "fastest /healthz with 100 idle connections open";

  // Probes and scrapes are also served side by side while the idle connections stay open.
  auto healthz = std::async(std::launch::async,
                            [&] { return k8s::testing::httpGet(server.port(), "/healthz"); });
  auto metrics = std::async(std::launch::async,
                            [&] { return k8s::testing::httpGet(server.port(), "/metrics"); });
  EXPECT_EQ(healthz.get().code, 200);
  EXPECT_EQ(metrics.get().body, "# metrics\n");

  for (int fd : idle)
    ::close(fd);
  server.stop();
}

TEST(ProbeServerConcurrency, HandlerThatThrowsAnswers500AndTheServerKeepsServing) {
  ProbeServer server;
  server.handle("/healthz", [] { return ProbeResponse{200, "ok\n"}; });
  server.handle("/boom", []() -> ProbeResponse { throw std::runtime_error("boom"); });
  ASSERT_TRUE(server.start("127.0.0.1:0").isOk());
  EXPECT_EQ(k8s::testing::httpGet(server.port(), "/boom").code, 500);
  EXPECT_EQ(k8s::testing::httpGet(server.port(), "/healthz").code, 200);
}

}  // namespace
}  // namespace mr::controller
