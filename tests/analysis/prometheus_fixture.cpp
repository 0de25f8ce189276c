#include "tests/analysis/prometheus_fixture.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <vector>

#include "analysis/prometheus_client.h"
#include "common/clock.h"

namespace mr::analysis::testing {

namespace {

// Every role of every scenario gets counters sampled every 15 s for 20 minutes, ending 5 minutes
// after start() (see start()). Observations land in one latency bucket; predictions follow a
// fixed shape.
struct RoleProfile {
  double requests_per_step;
  double error_fraction;
  int latency_bucket;  // index into kLatencyLes; -1 = histogram present but never observed
  std::vector<double> prediction_weights;  // 11 bins: le 0.1..1.0, +Inf
  double abs_error_mean;
  double labelled_per_step;
};

const std::vector<double> kCalm = {5, 10, 15, 20, 20, 15, 8, 4, 2, 1, 0};
const std::vector<double> kShifted = {0, 1, 2, 4, 8, 15, 20, 20, 15, 10, 5};
const char* kLatencyLes[] = {"0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "+Inf"};
const char* kPredictionLes[] = {"0.1", "0.2", "0.3", "0.4", "0.5", "0.6",
                                "0.7", "0.8", "0.9", "1",   "+Inf"};

const RoleProfile kStable = {400, 0, 2, kCalm, 0.25, 200};

const std::map<std::string, RoleProfile> kCanaries = {
    {"good", {250, 0, 2, kCalm, 0.25, 125}}, {"bad", {100, 0.05, 5, kShifted, 0.40, 50}},
    {"sparse", {1, 0, 2, kCalm, 0.25, 1}},   {"borderline", {100, 0.0015, 2, kCalm, 0.25, 50}},
    {"idle", {100, 0, -1, kCalm, 0.25, 50}},
};

constexpr int kSteps = 80;
constexpr int kStepSeconds = 15;

void addRole(std::map<std::string, std::string>& out, const std::string& rollout,
             const std::string& role, const RoleProfile& p, long end) {
  // The canary runs revision r1, the stable r0 (the default queries select both).
  const std::string sel = "namespace=\"ml\",rollout=\"" + rollout + "\",role=\"" + role +
                          "\",revision=\"" + (role == "canary" ? "r1" : "r0") + "\"";
  char line[512];
  auto emit = [&](const std::string& name, const std::string& labels, double v, long t) {
    std::snprintf(line, sizeof line, "%s{%s} %.6f %ld\n", name.c_str(), labels.c_str(), v, t);
    out[name] += line;
  };
  for (int code = 0; code < 2; ++code) {
    for (int i = 0; i <= kSteps; ++i) {
      const long t = end - (kSteps - i) * kStepSeconds;
      const double total = p.requests_per_step * i;
      const double errors = std::floor(total * p.error_fraction);
      emit("model_requests_total", sel + (code ? ",code=\"500\"" : ",code=\"200\""),
           code ? errors : total - errors, t);
    }
  }
  for (int b = 0; b < 8; ++b) {
    for (int i = 0; i <= kSteps; ++i) {
      const long t = end - (kSteps - i) * kStepSeconds;
      const double n = p.latency_bucket >= 0 && b >= p.latency_bucket ? p.requests_per_step * i : 0;
      emit("model_request_duration_seconds_bucket", sel + ",le=\"" + kLatencyLes[b] + "\"", n, t);
    }
  }
  double weight_total = 0;
  for (double w : p.prediction_weights)
    weight_total += w;
  double cumulative = 0;
  for (int b = 0; b < 11; ++b) {
    cumulative += p.prediction_weights[b] / weight_total;
    for (int i = 0; i <= kSteps; ++i) {
      const long t = end - (kSteps - i) * kStepSeconds;
      emit("model_prediction_bucket", sel + ",le=\"" + kPredictionLes[b] + "\"",
           cumulative * p.requests_per_step * i, t);
    }
  }
  for (int i = 0; i <= kSteps; ++i) {
    const long t = end - (kSteps - i) * kStepSeconds;
    emit("model_absolute_error_count", sel, p.labelled_per_step * i, t);
  }
  for (int i = 0; i <= kSteps; ++i) {
    const long t = end - (kSteps - i) * kStepSeconds;
    emit("model_absolute_error_sum", sel, p.abs_error_mean * p.labelled_per_step * i, t);
  }
  for (int i = 0; i <= kSteps; ++i) {  // exponential errors: E[x^2] = 2 mean^2
    const long t = end - (kSteps - i) * kStepSeconds;
    emit("model_absolute_error_squared_sum", sel,
         2 * p.abs_error_mean * p.abs_error_mean * p.labelled_per_step * i, t);
  }
}

std::string openMetrics(long end) {
  std::map<std::string, std::string> families;  // a family's samples must be contiguous
  for (const auto& [rollout, canary] : kCanaries) {
    addRole(families, rollout, "canary", canary, end);
    addRole(families, rollout, "stable", kStable, end);
  }
  std::string text;
  for (const auto& [name, lines] : families)
    text += lines;
  return text + "# EOF\n";
}

}  // namespace

std::string RealPrometheus::start() {
  const std::string d = dir_.path();
  const std::string log = d + "/log.txt";
  // The series run 20 minutes and end 5 minutes from now, so a query made however long the
  // start-up below takes (promtool, openssl, Prometheus loading the blocks) still finds a sample
  // within one step before its evaluation time and rate() extrapolates as on a live server.
  writeFile(d + "/data.om", openMetrics(static_cast<long>(std::time(nullptr)) + 300));
  if (runCommand(
          {"promtool", "tsdb", "create-blocks-from", "openmetrics", d + "/data.om", d + "/tsdb"},
          log) != 0) {
    return "promtool create-blocks-from failed: " + readFile(log);
  }
  if (runCommand(
          {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
           "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
           "subjectAltName=IP:127.0.0.1", "-keyout", d + "/key.pem", "-out", d + "/cert.pem"},
          log) != 0) {
    return "openssl failed: " + readFile(log);
  }
  ca_pem_ = readFile(d + "/cert.pem");
  writeFile(d + "/web.yml",
            "tls_server_config:\n  cert_file: " + d + "/cert.pem\n  key_file: " + d + "/key.pem\n");
  writeFile(d + "/prometheus.yml", "global: {}\n");
  port_ = freePort();
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"prometheus", "--config.file=" + d + "/prometheus.yml",
                               "--storage.tsdb.path=" + d + "/tsdb",
                               "--storage.tsdb.retention.time=10y",
                               "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                               "--web.config.file=" + d + "/web.yml", "--log.level=warn"},
      log);
  if (!process_->started()) return "could not start prometheus";
  PrometheusClientConfig c;
  c.address = address();
  c.ca_pem = ca_pem_;
  c.timeout = std::chrono::seconds(2);
  PrometheusClient client(c, RealClock::instance());
  const auto deadline = RealClock::instance().steadyNow() + std::chrono::seconds(30);
  std::string last;
  while (RealClock::instance().steadyNow() < deadline) {
    // Ready, and the backfilled blocks are loaded and queryable.
    auto r = client.query("count(model_requests_total)");
    if (r.isOk() && !r->samples.empty() && r->samples[0].value > 0) return "";
    last = r.isOk() ? "no backfilled series visible yet" : r.status().toString();
    RealClock::instance().sleepFor(Millis(200));
  }
  return "prometheus not ready within 30s (" + last + "): " + readFile(log);
}

}  // namespace mr::analysis::testing
