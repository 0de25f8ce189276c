#include "plugin/render.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/duration.h"
#include "common/time_format.h"
#include "plugin/table.h"

namespace mr::plugin {
namespace {

using std::chrono::seconds;

std::string str(const Json& obj, const char* key, const std::string& fallback = "") {
  if (!obj.is_object()) return fallback;
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (it->is_string())
    return it->get_ref<const std::string&>().empty() ? fallback : it->get<std::string>();
  return it->dump();
}

const Json& field(const Json& obj, const char* key) {
  static const Json kNull;
  if (!obj.is_object()) return kNull;
  const auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::optional<long long> integer(const Json& obj, const char* key) {
  const Json& v = field(obj, key);
  if (v.is_number_integer()) return v.get<long long>();
  if (v.is_number()) return static_cast<long long>(std::llround(v.get<double>()));
  return std::nullopt;
}

// Age of an RFC 3339 timestamp, "<unknown>" when absent or malformed (as kubectl prints).
std::string ageOf(const std::string& timestamp, SystemTime now) {
  auto t = parseRfc3339(timestamp);
  if (!t.isOk()) return "<unknown>";
  return formatAge(std::chrono::duration_cast<seconds>(now - *t));
}

std::string formatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// spec.steps, or the CRD default when absent.
Json stepsOf(const Json& spec) {
  const Json& steps = field(spec, "steps");
  if (steps.is_array() && !steps.empty()) return steps;
  return Json::parse(R"([{"weight": 1, "hold": "24h"}, {"weight": 10, "hold": "48h"},
                         {"weight": 50, "hold": "72h"}, {"weight": 100}])");
}

bool rollingOut(const std::string& phase) {
  return phase == "Progressing" || phase == "Paused" || phase == "Promoting" || phase == "Degraded";
}

// "2/4", or "-" when no rollout is under way: the controller's status.currentStepDisplay (the
// CRD's Step column), else computed the same way for a status written by an older controller.
std::string stepColumn(const Json& rollout) {
  const Json& status = field(rollout, "status");
  if (const std::string shown = str(status, "currentStepDisplay"); !shown.empty()) return shown;
  const auto current = integer(status, "currentStep");
  if (!current || !rollingOut(str(status, "phase"))) return "-";
  const auto count = static_cast<long long>(stepsOf(field(rollout, "spec")).size());
  // currentStep == len(steps) while promoting: "4/4", not "5/4".
  return std::to_string(std::clamp(*current + 1, 1LL, count)) + "/" + std::to_string(count);
}

std::string stepLine(const Json& rollout, SystemTime now) {
  const Json& status = field(rollout, "status");
  const Json steps = stepsOf(field(rollout, "spec"));
  const long long index = *integer(status, "currentStep");
  const auto count = static_cast<long long>(steps.size());
  // currentStep == len(steps) while promoting: every step passed, not a step "5/4".
  if (index >= count) return std::to_string(count) + "/" + std::to_string(count) + " (all passed)";
  std::string line = std::to_string(index + 1) + "/" + std::to_string(count);
  if (index < 0) return line;
  const Json& step = steps[index];
  line += " (weight " + str(step, "weight", "?") + "%";
  const std::string hold = str(step, "hold");
  if (hold.empty()) return line + ", no hold)";
  line += ", hold " + hold;
  auto hold_ms = parseDuration(hold);
  auto started = parseRfc3339(str(status, "stepStartedAt"));
  if (hold_ms.isOk() && started.isOk()) {
    const auto remaining = std::chrono::duration_cast<Millis>(*started + *hold_ms - now);
    if (remaining.count() > 0) {
      line += ", " + formatDuration(std::chrono::duration_cast<seconds>(remaining)) + " left";
    } else {
      line += ", elapsed";
    }
  }
  return line + ")";
}

std::string eventTime(const Json& event) {
  for (const char* key : {"lastTimestamp", "eventTime", "firstTimestamp"}) {
    const std::string t = str(event, key);
    if (!t.empty()) return t;
  }
  return str(field(event, "metadata"), "creationTimestamp");
}

void appendAnalysis(const Json& analysis, std::string& out) {
  out += "Analysis:    " + str(analysis, "verdict", "?");
  const std::string time = str(analysis, "time");
  if (!time.empty()) out += " at " + time;
  if (const auto step = integer(analysis, "step")) {
    out += " (step " + std::to_string(*step + 1) + ", revision " + str(analysis, "revision", "?") +
           ")";
  }
  const std::string message = str(analysis, "message");
  out += message.empty() ? "\n" : ": " + message + "\n";
  const Json& metrics = field(analysis, "metrics");
  if (!metrics.is_array() || metrics.empty()) return;
  // BOUNDS: the anytime-valid interval of what is judged (docs/analysis.md); a verdict flips
  // only when the whole interval is on one side of the threshold.
  TextTable table({"METRIC", "VALUE", "THRESHOLD", "BOUNDS", "SAMPLES", "VERDICT", "MESSAGE"},
                  "  ");
  for (const Json& m : metrics) {
    const Json& value = field(m, "value");
    const Json& samples = field(m, "sampleSize");
    const Json& lower = field(m, "lower");
    const Json& upper = field(m, "upper");
    std::string bounds = "-";
    if (lower.is_number() || upper.is_number()) {
      bounds = "[" + (lower.is_number() ? formatNumber(lower.get<double>()) : std::string("0")) +
               ", " + (upper.is_number() ? formatNumber(upper.get<double>()) : std::string("inf")) +
               "]";
    }
    table.addRow({str(m, "name"), value.is_number() ? formatNumber(value.get<double>()) : "-",
                  str(m, "threshold", "-"), bounds,
                  samples.is_number() ? formatNumber(samples.get<double>()) : "-",
                  str(m, "verdict", "?"), str(m, "message")});
  }
  out += table.render();
}

}  // namespace

std::string weightBar(int percent) {
  const int clamped = std::clamp(percent, 0, 100);
  const int cells = (clamped * 20 + 50) / 100;
  return "[" + std::string(cells, '#') + std::string(20 - cells, '.') + "] " +
         std::to_string(percent) + "%";
}

std::string formatAge(seconds age) {
  const long long s = std::max<long long>(0, age.count());
  if (s < 120) return std::to_string(s) + "s";
  if (s < 2 * 3600) return std::to_string(s / 60) + "m";
  if (s < 48 * 3600) return std::to_string(s / 3600) + "h";
  if (s < 2 * 365 * 86400) return std::to_string(s / 86400) + "d";
  return std::to_string(s / (365 * 86400)) + "y";
}

std::string renderList(const Json& rollout_list, SystemTime now, bool with_namespace) {
  const Json& items = field(rollout_list, "items");
  if (!items.is_array() || items.empty()) return "No ModelRollouts found.\n";
  std::vector<std::string> header = {"NAME", "PHASE", "STEP", "WEIGHT", "STABLE", "CANARY", "AGE"};
  if (with_namespace) header.insert(header.begin(), "NAMESPACE");
  TextTable table(header);
  std::vector<Json> sorted(items.begin(), items.end());
  std::sort(sorted.begin(), sorted.end(), [](const Json& a, const Json& b) {
    const Json& ma = field(a, "metadata");
    const Json& mb = field(b, "metadata");
    return std::pair(str(ma, "namespace"), str(ma, "name")) <
           std::pair(str(mb, "namespace"), str(mb, "name"));
  });
  for (const Json& item : sorted) {
    const Json& meta = field(item, "metadata");
    const Json& status = field(item, "status");
    const auto weight = integer(status, "canaryWeight");
    std::vector<std::string> row = {str(meta, "name"),
                                    str(status, "phase", "<none>"),
                                    stepColumn(item),
                                    weight ? std::to_string(*weight) + "%" : "-",
                                    str(status, "stableRevision", "-"),
                                    str(status, "canaryRevision", "-"),
                                    ageOf(str(meta, "creationTimestamp"), now)};
    if (with_namespace) row.insert(row.begin(), str(meta, "namespace"));
    table.addRow(std::move(row));
  }
  return table.render();
}

std::string renderStatus(const Json& rollout, const Json& events, SystemTime now, int history_rows,
                         int event_rows) {
  const Json& meta = field(rollout, "metadata");
  const Json& spec = field(rollout, "spec");
  const Json& status = field(rollout, "status");
  const std::string phase = str(status, "phase", "<none>");
  std::string out;
  out += "Name:        " + str(meta, "name") + "\n";
  out += "Namespace:   " + str(meta, "namespace") + "\n";
  out += "Phase:       " + phase + "\n";
  const std::string message = str(status, "message");
  if (!message.empty()) out += "Message:     " + message + "\n";
  if (field(spec, "paused") == true) out += "Paused:      yes (spec.paused)\n";
  if (integer(status, "currentStep") && rollingOut(phase)) {
    out += "Step:        " + stepLine(rollout, now) + "\n";
  }
  if (const auto weight = integer(status, "canaryWeight")) {
    out += "Weight:      " + weightBar(static_cast<int>(*weight)) + "\n";
  }
  out += "Stable:      " + str(status, "stableRevision", "-") + "\n";
  const std::string canary = str(status, "canaryRevision");
  if (!canary.empty()) out += "Canary:      " + canary + "\n";
  const auto generation = integer(meta, "generation");
  const auto observed = integer(status, "observedGeneration");
  if (generation && (!observed || *observed < *generation)) {
    out += "Note:        the controller has not yet acted on generation " +
           std::to_string(*generation) + "\n";
  }
  const Json& analysis = field(status, "lastAnalysis");
  if (analysis.is_object()) appendAnalysis(analysis, out);

  const Json& conditions = field(status, "conditions");
  if (conditions.is_array() && !conditions.empty()) {
    out += "Conditions:\n";
    TextTable table({"TYPE", "STATUS", "REASON", "AGE", "MESSAGE"}, "  ");
    for (const Json& c : conditions) {
      table.addRow({str(c, "type"), str(c, "status"), str(c, "reason"),
                    ageOf(str(c, "lastTransitionTime"), now), str(c, "message")});
    }
    out += table.render();
  }

  const Json& history = field(status, "history");
  if (history.is_array() && !history.empty()) {
    out += "History:\n";
    TextTable table({"AGE", "FROM", "TO", "REASON", "MESSAGE"}, "  ");
    const size_t first =
        history.size() > static_cast<size_t>(history_rows) ? history.size() - history_rows : 0;
    for (size_t i = first; i < history.size(); ++i) {
      const Json& h = history[i];
      table.addRow({ageOf(str(h, "time"), now), str(h, "from", "-"), str(h, "to", "-"),
                    str(h, "reason"), str(h, "message")});
    }
    out += table.render();
  }

  const Json& items = field(events, "items");
  if (items.is_array() && !items.empty()) {
    std::vector<Json> sorted(items.begin(), items.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const Json& a, const Json& b) {
      return eventTime(a) < eventTime(b);  // RFC 3339 UTC strings sort chronologically
    });
    out += "Events:\n";
    TextTable table({"AGE", "TYPE", "REASON", "MESSAGE"}, "  ");
    const size_t first =
        sorted.size() > static_cast<size_t>(event_rows) ? sorted.size() - event_rows : 0;
    for (size_t i = first; i < sorted.size(); ++i) {
      const Json& e = sorted[i];
      std::string reason = str(e, "reason");
      if (const auto count = integer(e, "count"); count && *count > 1) {
        reason += " (x" + std::to_string(*count) + ")";
      }
      table.addRow({ageOf(eventTime(e), now), str(e, "type"), reason, str(e, "message")});
    }
    out += table.render();
  }
  return out;
}

std::optional<int> watchExitCode(const Json& rollout) {
  const Json& status = field(rollout, "status");
  const auto generation = integer(field(rollout, "metadata"), "generation");
  const auto observed = integer(status, "observedGeneration");
  if (generation && (!observed || *observed < *generation)) return std::nullopt;
  const std::string phase = str(status, "phase");
  if (phase == "Healthy") return 0;
  if (phase == "RolledBack") return 1;
  if (phase == "Degraded") return 2;
  return std::nullopt;
}

}  // namespace mr::plugin
