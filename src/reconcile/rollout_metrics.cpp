#include "reconcile/rollout_metrics.h"

#include <cmath>
#include <limits>

namespace mr::reconcile {
namespace {

constexpr const char* kVerdicts[] = {"Pass", "Fail", "Inconclusive", "Error", "Skipped", "Unknown"};
constexpr uint8_t kUnknownVerdict = 5;

uint8_t verdictIndex(const std::string& v) {
  for (uint8_t i = 0; i < kUnknownVerdict; ++i) {
    if (v == kVerdicts[i]) return i;
  }
  return kUnknownVerdict;
}

constexpr rollout::Phase kPhases[] = {rollout::Phase::kHealthy,    rollout::Phase::kProgressing,
                                      rollout::Phase::kPaused,     rollout::Phase::kPromoting,
                                      rollout::Phase::kRolledBack, rollout::Phase::kDegraded};

}  // namespace

RolloutMetrics::RolloutMetrics(prometheus::Registry& registry)
    : phases_(prometheus::BuildGauge()
                  .Name("modelrollout_rollouts")
                  .Help("ModelRollouts by status.phase")
                  .Register(registry)),
      rollbacks_(prometheus::BuildCounter()
                     .Name("modelrollout_rollbacks_total")
                     .Help("Rollbacks by reason")
                     .Register(registry)),
      transitions_(prometheus::BuildCounter()
                       .Name("modelrollout_transitions_total")
                       .Help("Phase transitions by the phase entered")
                       .Register(registry)),
      writes_(prometheus::BuildCounter()
                  .Name("modelrollout_api_writes_total")
                  .Help("Writes the reconciler sent, by kind")
                  .Register(registry)) {
  for (rollout::Phase p : kPhases) {
    phases_.Add({{"phase", rollout::phaseName(p)}}).Set(0);
  }
}

void RolloutMetrics::setPhaseLocked(const std::string& key,
                                    const std::optional<rollout::Phase>& phase) {
  auto it = series_.find(key);
  const std::optional<rollout::Phase> old =
      it == series_.end() ? std::nullopt : std::optional(it->second.phase);
  if (old == phase) return;
  if (old) phases_.Add({{"phase", rollout::phaseName(*old)}}).Decrement();
  if (phase) phases_.Add({{"phase", rollout::phaseName(*phase)}}).Increment();
}

void RolloutMetrics::observe(const std::string& ns, const std::string& name,
                             const rollout::RolloutStatus& status) {
  const std::string key = ns + "/" + name;
  if (!status.phase) {
    forget(ns, name);
    return;
  }
  Series s;
  s.phase = *status.phase;
  s.canary_weight = status.canary_weight;
  s.canary = !status.canary_revision.empty();
  if (s.canary) {
    s.consecutive_errors = status.consecutive_errors;
    const auto& last = status.last_analysis;
    if (last && last->revision == status.canary_revision) {
      s.metrics.reserve(last->metrics.size());
      for (const auto& m : last->metrics) {
        s.metrics.push_back({m.name, m.value.value_or(std::numeric_limits<double>::quiet_NaN()),
                             verdictIndex(m.verdict)});
      }
    }
  }
  std::lock_guard lock(mu_);
  setPhaseLocked(key, s.phase);
  series_[key] = std::move(s);
}

void RolloutMetrics::forget(const std::string& ns, const std::string& name) {
  const std::string key = ns + "/" + name;
  std::lock_guard lock(mu_);
  setPhaseLocked(key, std::nullopt);
  series_.erase(key);
}

void RolloutMetrics::rollback(const std::string& reason) {
  rollbacks_.Add({{"reason", reason}}).Increment();
}

void RolloutMetrics::transition(const std::string& to_phase) {
  transitions_.Add({{"phase", to_phase}}).Increment();
}

void RolloutMetrics::write(const std::string& kind) {
  writes_.Add({{"kind", kind}}).Increment();
}

size_t RolloutMetrics::rolloutsTracked() const {
  std::lock_guard lock(mu_);
  return series_.size();
}

void RolloutMetrics::appendTo(std::string& out) const {
  using textmetrics::appendHeader;
  using textmetrics::appendSample;
  std::lock_guard lock(mu_);
  out.reserve(out.size() + 1024 + series_.size() * 200);
  // Splits "namespace/name" without copying.
  const auto split = [](const std::string& key) {
    const size_t slash = key.find('/');
    return std::pair<std::string_view, std::string_view>(std::string_view(key).substr(0, slash),
                                                         std::string_view(key).substr(slash + 1));
  };
  appendHeader(out, "modelrollout_rollout_info",
               "A ModelRollout and its status.phase (1 for the current phase only)", "gauge");
  for (const auto& [key, s] : series_) {
    const auto [ns, name] = split(key);
    appendSample(out, "modelrollout_rollout_info",
                 {{"namespace", ns}, {"name", name}, {"phase", rollout::phaseName(s.phase)}}, 1);
  }
  appendHeader(out, "modelrollout_rollout_canary_weight",
               "Canary traffic percent as read back from the router (status.canaryWeight)",
               "gauge");
  for (const auto& [key, s] : series_) {
    const auto [ns, name] = split(key);
    appendSample(out, "modelrollout_rollout_canary_weight", {{"namespace", ns}, {"name", name}},
                 s.canary_weight);
  }
  appendHeader(out, "modelrollout_rollout_analysis_consecutive_errors",
               "Consecutive checks that could not run (status.consecutiveErrors), while a "
               "canary runs",
               "gauge");
  for (const auto& [key, s] : series_) {
    if (!s.canary) continue;
    const auto [ns, name] = split(key);
    appendSample(out, "modelrollout_rollout_analysis_consecutive_errors",
                 {{"namespace", ns}, {"name", name}}, s.consecutive_errors);
  }
  appendHeader(out, "modelrollout_analysis_metric_value",
               "Value of each analysis metric in the canary's latest check", "gauge");
  for (const auto& [key, s] : series_) {
    const auto [ns, name] = split(key);
    for (const auto& m : s.metrics) {
      if (std::isnan(m.value)) continue;
      appendSample(out, "modelrollout_analysis_metric_value",
                   {{"namespace", ns}, {"name", name}, {"metric", m.metric}}, m.value);
    }
  }
  appendHeader(out, "modelrollout_analysis_metric_verdict",
               "Verdict of each analysis metric in the canary's latest check (1 for the current "
               "verdict only: Pass, Fail, Inconclusive, Error, Skipped)",
               "gauge");
  for (const auto& [key, s] : series_) {
    const auto [ns, name] = split(key);
    for (const auto& m : s.metrics) {
      appendSample(out, "modelrollout_analysis_metric_verdict",
                   {{"namespace", ns},
                    {"name", name},
                    {"metric", m.metric},
                    {"verdict", kVerdicts[m.verdict]}},
                   1);
    }
  }
}

}  // namespace mr::reconcile
