// Helpers for integration tests that run real binaries: spawn with output to a file, wait for
// a line or file, plain HTTP GET on loopback, YAML-to-JSON for manifests, RSS of a process.
// Thread-safety: free functions; no shared state.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/clock.h"
#include "k8s/api_client.h"

namespace mr::k8s::testing {

struct Spawned {
  pid_t pid = -1;
  std::string log_path;
};

Spawned spawnProcess(const std::vector<std::string>& argv, const std::string& log_path);
// Waits (up to timeout_ms) until the file exists and contains `needle`; returns its content.
std::string waitForText(const std::string& path, const std::string& needle, int timeout_ms);
// Sends `sig` and waits up to timeout_ms; returns the exit code, or -1 if it did not exit
// (then it is killed).
int stopProcess(pid_t pid, int sig, int timeout_ms);

struct HttpResult {
  int code = 0;
  std::string body;
};
HttpResult httpGet(int port, const std::string& path);

Json yamlFileToJson(const std::string& path);
long residentKiB(pid_t pid);

// Polls `pred` every 10 ms on the real clock until it holds or `timeout_ms` passed; the last
// answer of `pred`.
template <typename Pred>
bool eventually(Pred pred, int timeout_ms = 10000) {
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    if (pred()) return true;
    RealClock::instance().sleepFor(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace mr::k8s::testing
