#include "rollout/status_json.h"

#include "common/time_format.h"

namespace mr::rollout {
namespace {

Json metricToJson(const MetricStatus& m) {
  Json j = {{"name", m.name},
            {"threshold", m.threshold},
            {"verdict", m.verdict},
            {"query", m.query},
            {"message", m.message}};
  if (m.value) j["value"] = *m.value;
  if (m.sample_size) j["sampleSize"] = *m.sample_size;
  if (m.lower) j["lower"] = *m.lower;
  if (m.upper) j["upper"] = *m.upper;
  return j;
}

std::string str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t integer(const Json& j, const char* key) {
  auto it = j.find(key);
  // Integers only: get<int64_t>() of a float such as 1e30 is undefined behaviour (fuzz finding).
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

std::optional<double> number(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::optional<SystemTime> time(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  auto t = parseRfc3339(it->get<std::string>());
  if (!t.isOk()) return std::nullopt;
  return *t;
}

}  // namespace

Json statusToJson(const RolloutStatus& s) {
  Json j = Json::object();
  if (s.phase) j["phase"] = phaseName(*s.phase);
  j["message"] = s.message;
  j["observedGeneration"] = s.observed_generation;
  j["stableRevision"] = s.stable_revision;
  j["canaryRevision"] = s.canary_revision;
  j["currentStep"] = s.current_step;
  j["canaryWeight"] = s.canary_weight;
  if (s.step_started_at) j["stepStartedAt"] = formatRfc3339(*s.step_started_at);
  if (s.step_entry != 0) j["stepEntry"] = s.step_entry;
  j["consecutiveFailures"] = s.consecutive_failures;
  j["consecutiveInconclusive"] = s.consecutive_inconclusive;
  j["consecutiveErrors"] = s.consecutive_errors;
  if (s.last_analysis) {
    const auto& a = *s.last_analysis;
    Json metrics = Json::array();
    for (const auto& m : a.metrics)
      metrics.push_back(metricToJson(m));
    j["lastAnalysis"] = {{"time", formatRfc3339(a.time)}, {"step", a.step},
                         {"revision", a.revision},        {"verdict", a.verdict},
                         {"message", a.message},          {"metrics", metrics}};
    if (a.step_entry != 0) j["lastAnalysis"]["stepEntry"] = a.step_entry;
  }
  Json conditions = Json::array();
  for (const auto& c : s.conditions) {
    conditions.push_back({{"type", c.type},
                          {"status", c.status},
                          {"reason", c.reason},
                          {"message", c.message},
                          {"lastTransitionTime", formatRfc3339(c.last_transition_time)},
                          {"observedGeneration", c.observed_generation}});
  }
  j["conditions"] = conditions;
  Json history = Json::array();
  for (const auto& h : s.history) {
    history.push_back({{"time", formatRfc3339(h.time)},
                       {"from", h.from},
                       {"to", h.to},
                       {"reason", h.reason},
                       {"message", h.message}});
  }
  j["history"] = history;
  if (!s.rolled_back_revision.empty()) j["rolledBackRevision"] = s.rolled_back_revision;
  if (s.paused_at) j["pausedAt"] = formatRfc3339(*s.paused_at);
  if (s.analysis_paused) j["analysisPaused"] = true;
  if (s.analysis_since) j["analysisSince"] = formatRfc3339(*s.analysis_since);
  if (s.hold_extended_at) j["holdExtendedAt"] = formatRfc3339(*s.hold_extended_at);
  if (s.step_weight > 0) j["stepWeight"] = s.step_weight;
  if (!s.steps_fingerprint.empty()) j["stepsFingerprint"] = s.steps_fingerprint;
  if (s.waiting_since) j["waitingSince"] = formatRfc3339(*s.waiting_since);
  j["replicas"] = s.replicas;
  j["readyReplicas"] = s.ready_replicas;
  j["availableReplicas"] = s.available_replicas;
  if (!s.selector.empty()) j["selector"] = s.selector;
  if (!s.ready_display.empty()) j["readyDisplay"] = s.ready_display;
  if (!s.current_step_display.empty()) j["currentStepDisplay"] = s.current_step_display;
  return j;
}

RolloutStatus statusFromJson(const Json& j) {
  RolloutStatus s;
  if (!j.is_object()) return s;
  s.phase = phaseFromName(str(j, "phase"));
  s.message = str(j, "message");
  s.observed_generation = integer(j, "observedGeneration");
  s.stable_revision = str(j, "stableRevision");
  s.canary_revision = str(j, "canaryRevision");
  s.current_step = static_cast<int>(integer(j, "currentStep"));
  s.canary_weight = static_cast<int>(integer(j, "canaryWeight"));
  s.step_started_at = time(j, "stepStartedAt");
  s.step_entry = integer(j, "stepEntry");
  s.consecutive_failures = static_cast<int>(integer(j, "consecutiveFailures"));
  s.consecutive_inconclusive = static_cast<int>(integer(j, "consecutiveInconclusive"));
  s.consecutive_errors = static_cast<int>(integer(j, "consecutiveErrors"));
  if (auto la = j.find("lastAnalysis"); la != j.end() && la->is_object()) {
    LastAnalysis a;
    a.time = time(*la, "time").value_or(SystemTime{});
    a.step = static_cast<int>(integer(*la, "step"));
    a.revision = str(*la, "revision");
    a.verdict = str(*la, "verdict");
    a.message = str(*la, "message");
    a.step_entry = integer(*la, "stepEntry");
    if (auto ms = la->find("metrics"); ms != la->end() && ms->is_array()) {
      for (const auto& m : *ms) {
        if (!m.is_object()) continue;
        a.metrics.push_back({str(m, "name"), number(m, "value"), str(m, "threshold"),
                             number(m, "sampleSize"), str(m, "verdict"), str(m, "query"),
                             str(m, "message"), number(m, "lower"), number(m, "upper")});
      }
    }
    s.last_analysis = std::move(a);
  }
  if (auto cs = j.find("conditions"); cs != j.end() && cs->is_array()) {
    for (const auto& c : *cs) {
      if (!c.is_object() || str(c, "type").empty()) continue;
      s.conditions.push_back({str(c, "type"), str(c, "status"), str(c, "reason"), str(c, "message"),
                              time(c, "lastTransitionTime").value_or(SystemTime{}),
                              integer(c, "observedGeneration")});
    }
  }
  if (auto hs = j.find("history"); hs != j.end() && hs->is_array()) {
    for (const auto& h : *hs) {
      if (!h.is_object()) continue;
      s.history.push_back({time(h, "time").value_or(SystemTime{}), str(h, "from"), str(h, "to"),
                           str(h, "reason"), str(h, "message")});
    }
  }
  s.rolled_back_revision = str(j, "rolledBackRevision");
  s.paused_at = time(j, "pausedAt");
  s.waiting_since = time(j, "waitingSince");
  if (auto ap = j.find("analysisPaused"); ap != j.end() && ap->is_boolean()) {
    s.analysis_paused = ap->get<bool>();
  }
  s.analysis_since = time(j, "analysisSince");
  s.hold_extended_at = time(j, "holdExtendedAt");
  s.step_weight = static_cast<int>(integer(j, "stepWeight"));
  s.steps_fingerprint = str(j, "stepsFingerprint");
  s.replicas = static_cast<int>(integer(j, "replicas"));
  s.ready_replicas = static_cast<int>(integer(j, "readyReplicas"));
  s.available_replicas = static_cast<int>(integer(j, "availableReplicas"));
  s.selector = str(j, "selector");
  s.ready_display = str(j, "readyDisplay");
  s.current_step_display = str(j, "currentStepDisplay");
  return s;
}

LastAnalysis lastAnalysisFrom(const analysis::AnalysisResult& r) {
  LastAnalysis a;
  a.time = r.time;
  a.step = r.step;
  a.revision = r.canary_revision;
  a.verdict = verdictWireName(r.verdict);
  a.message = r.message;
  a.step_entry = r.step_entry.value_or(0);
  for (const auto& m : r.metrics) {
    a.metrics.push_back({m.name, m.value, m.threshold, m.sample_size, verdictWireName(m.verdict),
                         m.query, m.message, m.lower, m.upper});
  }
  return a;
}

}  // namespace mr::rollout
