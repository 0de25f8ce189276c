#include "bench/analysis_sim/scenarios.h"

namespace mr::analysis_sim {

namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// The stable version of every scenario: half of every threshold of the runbook schedule.
RoleBehaviour baseline() {
  RoleBehaviour b;
  b.error_rate = 0.0005;       // max 0.001
  b.latency_median_s = 0.020;  // P99 50 ms, max 100 ms
  b.latency_p99_s = 0.050;
  b.prediction_bins = basePredictionBins();
  b.abs_error = {AbsErrorKind::kHalfNormal, 1.0, 1, 1};
  b.label_fraction = 0.2;
  return b;
}

Scenario make(std::string id, std::string description, CanaryKind kind, RoleBehaviour stable,
              RoleBehaviour canary, double failures = 0) {
  return {std::move(id),     std::move(description), kind,
          std::move(stable), std::move(canary),      failures};
}

analysis::AnalysisSpec runbookThresholds() {
  analysis::AnalysisSpec a;
  a.interval = minutes(1);
  a.window = minutes(5);
  a.confidence = 0.99;
  a.error_rate.max = 0.001;
  a.latency_p99_ms.max = 100;
  a.drift.max = 0.2;
  a.mae_degradation.max = 0.1;
  return a;
}

Millis totalHold(const std::vector<rollout::Step>& steps) {
  Millis t{0};
  for (const auto& s : steps)
    t += s.hold;
  return t;
}

}  // namespace

std::vector<Scenario> allScenarios() {
  const RoleBehaviour base = baseline();
  std::vector<Scenario> out;
  out.push_back(
      make("aa", "A/A (identical, half of every max)", CanaryKind::kIdentical, base, base));
  {
    RoleBehaviour s = base;
    s.abs_error = {AbsErrorKind::kZeroOne, 0.05, 1, 1};
    out.push_back(make("aa-01", "A/A, 0/1 loss at 5%", CanaryKind::kIdentical, s, s));
  }
  out.push_back(
      make("aa-outage", "A/A, 10% of queries fail", CanaryKind::kIdentical, base, base, 0.10));
  RoleBehaviour c = base;
  c.error_rate = 0.002;
  out.push_back(make("err2x", "error rate 2x max (0.002)", CanaryKind::kWorse, base, c));
  c = base;
  c.error_rate = 1.0;
  out.push_back(make("err100", "100% errors", CanaryKind::kWorse, base, c));
  c = base;
  c.latency_p99_s = 0.150;
  out.push_back(make("p99", "P99 1.5x maxMs (150 ms)", CanaryKind::kWorse, base, c));
  c = base;
  c.prediction_bins = tiltToPsi(base.prediction_bins, 0.3);
  out.push_back(make("psi", "PSI 0.3 vs max 0.2", CanaryKind::kWorse, base, c));
  c = base;
  c.abs_error.scale = 1.2;
  out.push_back(make("mae-reg", "MAE +20%, regression \\|normal\\|", CanaryKind::kWorse, base, c));
  {
    RoleBehaviour s = base;
    s.abs_error = {AbsErrorKind::kZeroOne, 0.05, 1, 1};
    RoleBehaviour w = s;
    w.abs_error.scale = 0.06;
    out.push_back(make("mae-01", "MAE +20%, 0/1 loss at 5%", CanaryKind::kWorse, s, w));
  }
  {
    RoleBehaviour s = base;
    s.abs_error = {AbsErrorKind::kBeta, 1, 1.0, 4.0};  // |y - p| ~ Beta(1, 4), mean 0.2
    RoleBehaviour w = s;
    w.abs_error.shape_a = 1.2;  // Beta(1.2, 3.8): mean 0.24, same a + b
    w.abs_error.shape_b = 3.8;
    out.push_back(
        make("mae-yp", "MAE +20%, \\|y - p\\| of a classifier", CanaryKind::kWorse, s, w));
  }
  c = base;
  c.error_rate = 0.001;
  out.push_back(make("at-err", "at max: error rate 0.001", CanaryKind::kAtThreshold, base, c));
  c = base;
  c.latency_p99_s = 0.100;
  out.push_back(make("at-p99", "at max: P99 100 ms", CanaryKind::kAtThreshold, base, c));
  c = base;
  c.prediction_bins = tiltToPsi(base.prediction_bins, 0.2);
  out.push_back(make("at-psi", "at max: PSI 0.2", CanaryKind::kAtThreshold, base, c));
  c = base;
  c.abs_error.scale = 1.1;
  out.push_back(make("at-mae", "at max: MAE +10%", CanaryKind::kAtThreshold, base, c));
  return out;
}

Schedule runbookSchedule() {
  Schedule s;
  s.id = "runbook";
  s.description = "1% 24h, 10% 48h, 50% 72h, 100%; interval 1m; inconclusiveTimeout 24h";
  s.steps = {{1, hours(24)}, {10, hours(48)}, {50, hours(72)}, {100, Millis(0)}};
  s.analysis = runbookThresholds();
  s.horizon = totalHold(s.steps) + 2 * s.analysis.inconclusive_timeout + hours(1);
  return s;
}

Schedule compressedSchedule() {
  Schedule s;
  s.id = "compressed";
  s.description = "1% 10m, 10% 10m, 50% 10m, 100%; interval 30s; inconclusiveTimeout 1h";
  s.steps = {{1, minutes(10)}, {10, minutes(10)}, {50, minutes(10)}, {100, Millis(0)}};
  s.analysis = runbookThresholds();
  s.analysis.interval = seconds(30);
  s.analysis.inconclusive_timeout = hours(1);
  s.horizon = totalHold(s.steps) + 2 * s.analysis.inconclusive_timeout + hours(1);
  return s;
}

}  // namespace mr::analysis_sim
