// Fault injection for the test API server, set by flags or `POST /admin/faults` (JSON):
//   {"errors": [{"verb": "update", "rate": 0.5, "code": 409, "resource": "modelrollouts",
//                "retryAfterSeconds": 1}],
//    "latencyMs": 50, "dropWatchesAfterSeconds": 5, "expireNextWatches": 1,
//    "compactHistory": true}
// verbs: get list watch create update patch delete deletecollection ("*" = all); resource is a
// plural or "plural.group" (empty = all). Codes 500, 503, 429 (with Retry-After), 409, 410...
// A POST replaces the whole configuration (compactHistory is an action, not state);
// DELETE /admin/faults clears it. Draws come from one generator seeded by --seed, so a given
// request order reproduces the same faults.
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/status.h"

namespace mr::apiserver {

struct ErrorFault {
  std::string verb = "*";
  std::string resource;
  double rate = 1.0;
  int code = 500;
  int retry_after_seconds = 1;
};

struct InjectedError {
  int code;
  int retry_after_seconds;
};

class FaultInjector {
 public:
  explicit FaultInjector(uint64_t seed);

  // Parses and installs a configuration; returns whether it asked to compact history.
  Result<bool> configure(const nlohmann::json& config);
  void clear();
  nlohmann::json current() const;

  // "VERB:RATE:CODE[:RESOURCE]" from the --fault-error flag.
  Status addErrorFlag(const std::string& spec);
  void setLatencyMs(int ms);
  void setDropWatchesAfterSeconds(int s);

  // Decides whether this request fails; draws from the seeded generator.
  std::optional<InjectedError> errorFor(const std::string& verb, const std::string& plural,
                                        const std::string& group);
  int latencyMs() const;
  int dropWatchesAfterSeconds() const;
  // True (and consumes one) when the next watch must be answered with 410 Expired.
  bool takeExpireNextWatch();

 private:
  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  std::vector<ErrorFault> errors_;
  int latency_ms_ = 0;
  int drop_watches_after_s_ = 0;
  int expire_next_watches_ = 0;
};

}  // namespace mr::apiserver
