// RealPrometheus: Debian's /usr/bin/prometheus serving HTTPS (self-signed cert made with the
// openssl CLI) on an ephemeral port, over a TSDB backfilled by `promtool tsdb create-blocks-from
// openmetrics` from synthetic model-server metrics (per-scenario rollouts, see the .cpp).
// Start once per test suite; start() returns an error string, empty on success.
#pragma once

#include <memory>
#include <string>

#include "tests/analysis/test_support.h"

namespace mr::analysis::testing {

class RealPrometheus {
 public:
  std::string start();
  void stop() { process_.reset(); }
  std::string address() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const std::string& caPem() const { return ca_pem_; }

 private:
  TempDir dir_;
  int port_ = 0;
  std::string ca_pem_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace mr::analysis::testing
