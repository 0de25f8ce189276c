#include "rollout/modelrollout_parse.h"

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "common/duration.h"

namespace mr::rollout {
namespace {

// Collects errors while reading optional fields with defaults. Each getter returns the default
// when the field is absent and records an error (returning the default) when it is malformed,
// so parsing continues and every bad field is reported.
class FieldReader {
 public:
  explicit FieldReader(std::vector<FieldError>* errors) : errors_(errors) {}

  void fail(const std::string& path, const std::string& message) {
    errors_->push_back({path, message});
  }

  // The object at obj[key] or nullptr when absent; an error if present but not an object.
  const Json* object(const Json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    if (!it->is_object()) {
      fail(path, "must be an object");
      return nullptr;
    }
    return &*it;
  }

  const Json* array(const Json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    if (!it->is_array()) {
      fail(path, "must be a list");
      return nullptr;
    }
    return &*it;
  }

  int integer(const Json& obj, const char* key, const std::string& path, int def, long long min,
              long long max) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return def;
    if (!it->is_number_integer() && !(it->is_number_float() && isWhole(it->get<double>()))) {
      fail(path, "must be an integer");
      return def;
    }
    const double v = it->get<double>();
    if (v < static_cast<double>(min) || v > static_cast<double>(max)) {
      fail(path, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                     " (got " + it->dump() + ")");
      return def;
    }
    return static_cast<int>(v);
  }

  std::optional<double> number(const Json& obj, const char* key, const std::string& path,
                               std::optional<double> min = std::nullopt) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_number()) {
      fail(path, "must be a number");
      return std::nullopt;
    }
    const double v = it->get<double>();
    if (!std::isfinite(v) || (min && v < *min)) {
      fail(path, "must be a finite number" +
                     (min ? " >= " + nlohmann::json(*min).dump() : std::string()));
      return std::nullopt;
    }
    return v;
  }

  std::string string(const Json& obj, const char* key, const std::string& path,
                     const std::string& def = "") {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return def;
    if (!it->is_string()) {
      fail(path, "must be a string");
      return def;
    }
    return it->get<std::string>();
  }

  bool boolean(const Json& obj, const char* key, const std::string& path, bool def) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return def;
    if (!it->is_boolean()) {
      fail(path, "must be true or false");
      return def;
    }
    return it->get<bool>();
  }

  std::chrono::milliseconds duration(const Json& obj, const char* key, const std::string& path,
                                     std::chrono::milliseconds def, bool positive) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return def;
    if (!it->is_string()) {
      fail(path, "must be a duration string such as \"90s\" or \"24h\"");
      return def;
    }
    auto parsed = parseDuration(it->get<std::string>());
    if (!parsed.isOk()) {
      fail(path, parsed.status().message());
      return def;
    }
    if (positive && parsed->count() <= 0) {
      fail(path, "must be greater than 0");
      return def;
    }
    return *parsed;
  }

  void unknownFields(const Json& obj, const std::set<std::string>& known, const std::string& path) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (!known.count(it.key())) fail(path + "." + it.key(), "unknown field");
    }
  }

 private:
  static bool isWhole(double v) { return std::isfinite(v) && std::floor(v) == v; }
  std::vector<FieldError>* errors_;
};

const std::regex& dnsLabel() {
  static const std::regex re("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  return re;
}

// spec.selector.matchExpressions must select the template's pods too: the Deployments carry
// the selector, and the API server refuses a Deployment whose selector does not match its
// template, which no later pass could repair.
void parseMatchExpressions(FieldReader& r, const Json& selector, const Json& labels) {
  const Json* exprs = r.array(selector, "matchExpressions", "spec.selector.matchExpressions");
  if (!exprs) return;
  for (size_t i = 0; i < exprs->size(); ++i) {
    const std::string path = "spec.selector.matchExpressions[" + std::to_string(i) + "]";
    const Json& e = (*exprs)[i];
    if (!e.is_object()) {
      r.fail(path, "must be an object");
      continue;
    }
    const std::string key = r.string(e, "key", path + ".key");
    const std::string op = r.string(e, "operator", path + ".operator");
    std::vector<std::string> values;
    if (const Json* v = r.array(e, "values", path + ".values")) {
      for (const auto& x : *v) {
        if (x.is_string()) values.push_back(x.get<std::string>());
      }
    }
    if (key.empty()) {
      r.fail(path + ".key", "is required");
      continue;
    }
    const bool has = labels.is_object() && labels.contains(key) && labels[key].is_string();
    const std::string value = has ? labels[key].get<std::string>() : "";
    const bool listed = std::find(values.begin(), values.end(), value) != values.end();
    bool matches = false;
    if (op == "In" || op == "NotIn") {
      if (values.empty()) {
        r.fail(path + ".values", "must be non-empty for " + op);
        continue;
      }
      matches = op == "In" ? has && listed : !(has && listed);
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (!values.empty()) {
        r.fail(path + ".values", "must be empty for " + op);
        continue;
      }
      matches = op == "Exists" ? has : !has;
    } else {
      r.fail(path + ".operator", "must be In, NotIn, Exists or DoesNotExist, got \"" + op + "\"");
      continue;
    }
    if (!matches) {
      r.fail(path,
             "does not match spec.template.metadata.labels (the selector must select the "
             "template's pods)");
    }
  }
}

void parseTemplate(FieldReader& r, const Json& spec, ModelRolloutSpec& out) {
  auto it = spec.find("template");
  if (it == spec.end() || it->is_null()) {
    r.fail("spec.template", "is required");
    return;
  }
  if (!it->is_object()) {
    r.fail("spec.template", "must be an object (a PodTemplateSpec)");
    return;
  }
  out.pod_template = *it;
  const Json* pod_spec = r.object(*it, "spec", "spec.template.spec");
  const Json* containers =
      pod_spec ? r.array(*pod_spec, "containers", "spec.template.spec.containers") : nullptr;
  if (!containers || containers->empty()) {
    r.fail("spec.template.spec.containers", "must list at least one container");
  }
  // The selector must select the template's pods (as for a Deployment).
  const Json* selector = r.object(spec, "selector", "spec.selector");
  if (!selector) return;
  out.selector = *selector;
  const Json labels = it->value("/metadata/labels"_json_pointer, Json::object());
  parseMatchExpressions(r, *selector, labels);
  const Json* match = r.object(*selector, "matchLabels", "spec.selector.matchLabels");
  if (!match) return;
  if (match->size() > 64) r.fail("spec.selector.matchLabels", "must have at most 64 labels");
  for (auto l = match->begin(); l != match->end(); ++l) {
    if (!l->is_string()) {
      r.fail("spec.selector.matchLabels." + l.key(), "must be a string");
    } else if (!labels.contains(l.key()) || labels[l.key()] != *l) {
      r.fail("spec.selector.matchLabels." + l.key(),
             "does not match spec.template.metadata.labels (the selector must select the "
             "template's pods)");
    }
  }
}

void parseService(FieldReader& r, const Json& spec, ModelRolloutSpec& out) {
  const Json* svc = r.object(spec, "service", "spec.service");
  if (!svc) return;
  r.unknownFields(*svc, {"port", "targetPort"}, "spec.service");
  out.service.port = r.integer(*svc, "port", "spec.service.port", 80, 1, 65535);
  auto tp = svc->find("targetPort");
  if (tp == svc->end() || tp->is_null()) {
    out.service.target_port = out.service.port == 80 ? 8080 : out.service.port;
  } else if (tp->is_string()) {
    out.service.target_port_name = tp->get<std::string>();
    if (out.service.target_port_name.empty() || out.service.target_port_name.size() > 15) {
      r.fail("spec.service.targetPort", "a named port must have 1 to 15 characters");
    }
  } else {
    out.service.target_port =
        r.integer(*svc, "targetPort", "spec.service.targetPort", 8080, 1, 65535);
  }
}

void parseTrafficRouting(FieldReader& r, const Json& spec, ModelRolloutSpec& out) {
  const Json* tr = r.object(spec, "trafficRouting", "spec.trafficRouting");
  if (!tr) return;
  r.unknownFields(*tr, {"gatewayAPI", "istio"}, "spec.trafficRouting");
  const Json* gw = r.object(*tr, "gatewayAPI", "spec.trafficRouting.gatewayAPI");
  const Json* istio = r.object(*tr, "istio", "spec.trafficRouting.istio");
  if (gw && istio) {
    r.fail("spec.trafficRouting", "at most one router may be set (gatewayAPI or istio)");
  }
  if (gw) {
    out.traffic_routing.kind = RouterKind::kGatewayApi;
    out.traffic_routing.http_route =
        r.string(*gw, "httpRoute", "spec.trafficRouting.gatewayAPI.httpRoute");
    if (out.traffic_routing.http_route.empty()) {
      r.fail("spec.trafficRouting.gatewayAPI.httpRoute", "is required");
    }
  }
  if (istio) {
    out.traffic_routing.kind = RouterKind::kIstio;
    out.traffic_routing.virtual_service =
        r.string(*istio, "virtualService", "spec.trafficRouting.istio.virtualService");
    if (out.traffic_routing.virtual_service.empty()) {
      r.fail("spec.trafficRouting.istio.virtualService", "is required");
    }
    if (const Json* routes = r.array(*istio, "routes", "spec.trafficRouting.istio.routes")) {
      if (routes->size() > 32) {
        r.fail("spec.trafficRouting.istio.routes", "must name at most 32 routes");
      }
      for (size_t i = 0; i < routes->size(); ++i) {
        const auto& v = (*routes)[i];
        if (!v.is_string() || v.get<std::string>().empty()) {
          r.fail("spec.trafficRouting.istio.routes[" + std::to_string(i) + "]",
                 "must be a non-empty route name");
        } else {
          out.traffic_routing.routes.push_back(v.get<std::string>());
        }
      }
    }
  }
}

void parseSteps(FieldReader& r, const Json& spec, ModelRolloutSpec& out) {
  const Json* steps = r.array(spec, "steps", "spec.steps");
  if (!steps) {
    out.steps = defaultSteps();
    return;
  }
  if (steps->empty() || steps->size() > 20) {
    r.fail("spec.steps", "must have between 1 and 20 steps");
    out.steps = defaultSteps();
    return;
  }
  int previous = 0;
  for (size_t i = 0; i < steps->size(); ++i) {
    const std::string path = "spec.steps[" + std::to_string(i) + "]";
    const Json& s = (*steps)[i];
    if (!s.is_object()) {
      r.fail(path, "must be an object");
      continue;
    }
    r.unknownFields(s, {"weight", "hold"}, path);
    Step step;
    if (!s.contains("weight")) r.fail(path + ".weight", "is required");
    step.weight = r.integer(s, "weight", path + ".weight", 0, 1, 100);
    if (step.weight != 0 && step.weight <= previous) {
      r.fail(path + ".weight", "must be greater than the previous step's weight (" +
                                   std::to_string(previous) + "), got " +
                                   std::to_string(step.weight));
    }
    if (step.weight != 0) previous = step.weight;
    step.hold = r.duration(s, "hold", path + ".hold", std::chrono::milliseconds(0), false);
    out.steps.push_back(step);
  }
  if (!out.steps.empty() && out.steps.back().weight != 100 && out.steps.back().weight != 0) {
    r.fail("spec.steps[" + std::to_string(out.steps.size() - 1) + "].weight",
           "the last step must have weight 100");
  }
}

// `relative` metrics (errorRate, latencyP99) may be judged against stable instead:
// {relativeTo: stable, maxRatio: R}. An unlisted metric is disabled when `metrics` is present.
analysis::ThresholdMetric parseThreshold(FieldReader& r, const Json& metrics, const char* key,
                                         const char* max_key, analysis::ThresholdMetric def,
                                         bool relative,
                                         std::optional<double> upper = std::nullopt) {
  const std::string path = std::string("spec.analysis.metrics.") + key;
  const Json* m = r.object(metrics, key, path);
  if (!m) {
    def.enabled = false;
    return def;
  }
  if (relative) {
    r.unknownFields(*m, {"enabled", max_key, "query", "relativeTo", "maxRatio"}, path);
  } else {
    r.unknownFields(*m, {"enabled", max_key, "query"}, path);
  }
  def.listed = true;
  def.enabled = r.boolean(*m, "enabled", path + ".enabled", true);
  if (auto v = r.number(*m, max_key, path + "." + max_key, 0.0)) {
    if (upper && *v > *upper) {
      r.fail(path + "." + max_key, "must be at most " + nlohmann::json(*upper).dump() + " (got " +
                                       nlohmann::json(*v).dump() + ")");
    } else {
      def.max = *v;
    }
  }
  def.query = r.string(*m, "query", path + ".query");
  if (!relative) return def;
  const std::string to = r.string(*m, "relativeTo", path + ".relativeTo");
  auto ratio = r.number(*m, "maxRatio", path + ".maxRatio", 0.0);
  if (to.empty()) {
    if (ratio) r.fail(path + ".maxRatio", "needs relativeTo: stable");
  } else if (to != "stable") {
    r.fail(path + ".relativeTo", "must be stable, got \"" + to + "\"");
  } else if (!ratio || *ratio <= 0) {
    r.fail(path + ".maxRatio", "is required (> 0) with relativeTo: stable");
  } else if (!def.query.empty()) {
    r.fail(path + ".relativeTo", "cannot be combined with query (an override is a point value)");
  } else {
    def.max_ratio = ratio;
  }
  return def;
}

void parseMetrics(FieldReader& r, const Json& a, analysis::AnalysisSpec& out) {
  const Json* metrics = r.object(a, "metrics", "spec.analysis.metrics");
  // Omitted or empty: all four built-in metrics with their default thresholds.
  if (!metrics || metrics->empty()) return;
  r.unknownFields(*metrics, {"errorRate", "latencyP99", "drift", "maeDegradation", "custom"},
                  "spec.analysis.metrics");
  // Listing metrics means judging those (as Argo Rollouts, Flagger and Kayenta do).
  // errorRate.max is a fraction of requests.
  out.error_rate = parseThreshold(r, *metrics, "errorRate", "max", out.error_rate, true, 1.0);
  out.latency_p99_ms = parseThreshold(r, *metrics, "latencyP99", "maxMs", out.latency_p99_ms, true);
  out.drift = parseThreshold(r, *metrics, "drift", "max", out.drift, false);
  out.mae_degradation =
      parseThreshold(r, *metrics, "maeDegradation", "max", out.mae_degradation, false);
  const Json* custom = r.array(*metrics, "custom", "spec.analysis.metrics.custom");
  if (!custom) return;
  if (custom->size() > 32) r.fail("spec.analysis.metrics.custom", "must have at most 32 metrics");
  std::set<std::string> names;
  for (size_t i = 0; i < custom->size(); ++i) {
    const std::string path = "spec.analysis.metrics.custom[" + std::to_string(i) + "]";
    const Json& c = (*custom)[i];
    if (!c.is_object()) {
      r.fail(path, "must be an object");
      continue;
    }
    r.unknownFields(c, {"name", "query", "min", "max"}, path);
    analysis::CustomMetric m;
    m.name = r.string(c, "name", path + ".name");
    if (m.name.empty() || m.name.size() > 63 || !std::regex_match(m.name, dnsLabel())) {
      r.fail(path + ".name",
             "must be a DNS label (lowercase letters, digits, '-'), got \"" + m.name + "\"");
    } else if (analysis::isBuiltinMetric(m.name)) {  // only "drift" is also a DNS label
      r.fail(path + ".name", "\"" + m.name + "\" is the name of a built-in metric");
    } else if (!names.insert(m.name).second) {
      r.fail(path + ".name", "duplicate custom metric name \"" + m.name + "\"");
    }
    m.query = r.string(c, "query", path + ".query");
    if (m.query.empty()) r.fail(path + ".query", "is required");
    m.min = r.number(c, "min", path + ".min");
    m.max = r.number(c, "max", path + ".max");
    if (!c.contains("min") && !c.contains("max")) r.fail(path, "must set min, max or both");
    if (m.min && m.max && *m.min > *m.max) r.fail(path + ".min", "must not exceed max");
    out.custom.push_back(std::move(m));
  }
}

void parsePrometheus(FieldReader& r, const Json& a, analysis::AnalysisSpec& out) {
  const Json* p = r.object(a, "prometheus", "spec.analysis.prometheus");
  if (!p) return;
  const std::string path = "spec.analysis.prometheus";
  r.unknownFields(
      *p, {"address", "timeout", "bearerTokenSecretRef", "caSecretRef", "insecureSkipTLSVerify"},
      path);
  out.prometheus.address = r.string(*p, "address", path + ".address", out.prometheus.address);
  static const std::regex url("^https?://[^\\s/]+(/\\S*)?$");
  if (!std::regex_match(out.prometheus.address, url)) {
    // Not quoted: the value may carry user:password@, and this message becomes an Event.
    r.fail(path + ".address", "must be an http:// or https:// URL");
  }
  out.prometheus.timeout =
      r.duration(*p, "timeout", path + ".timeout", out.prometheus.timeout, true);
  out.prometheus.insecure_skip_tls_verify =
      r.boolean(*p, "insecureSkipTLSVerify", path + ".insecureSkipTLSVerify", false);
  auto secretRef = [&](const char* key) -> std::optional<analysis::SecretKeyRef> {
    const Json* s = r.object(*p, key, path + "." + key);
    if (!s) return std::nullopt;
    analysis::SecretKeyRef ref{r.string(*s, "name", path + "." + key + ".name"),
                               r.string(*s, "key", path + "." + key + ".key")};
    if (ref.name.empty()) r.fail(path + "." + key + ".name", "is required");
    if (ref.key.empty()) r.fail(path + "." + key + ".key", "is required");
    return ref;
  };
  out.prometheus.bearer_token = secretRef("bearerTokenSecretRef");
  out.prometheus.ca_cert = secretRef("caSecretRef");
}

void parseAnalysis(FieldReader& r, const Json& spec, ModelRolloutSpec& out) {
  const Json* a = r.object(spec, "analysis", "spec.analysis");
  if (!a) return;
  const std::string path = "spec.analysis";
  r.unknownFields(
      *a,
      {"prometheus", "interval", "window", "confidence", "failureLimit", "minSampleSize",
       "onNoData", "inconclusiveTimeout", "inconclusiveLimit", "onInconclusiveLimit", "metrics"},
      path);
  analysis::AnalysisSpec as;
  parsePrometheus(r, *a, as);
  as.interval = r.duration(*a, "interval", path + ".interval", as.interval, true);
  as.window = r.duration(*a, "window", path + ".window", as.window, true);
  as.failure_limit = r.integer(*a, "failureLimit", path + ".failureLimit", 1, 1, 100);
  as.min_sample_size = r.integer(*a, "minSampleSize", path + ".minSampleSize", 500, 0, 1000000000);
  const std::string no_data = r.string(*a, "onNoData", path + ".onNoData", "Inconclusive");
  if (no_data == "Fail")
    as.on_no_data = analysis::NoDataPolicy::kFail;
  else if (no_data != "Inconclusive")
    r.fail(path + ".onNoData", "must be Inconclusive or Fail, got \"" + no_data + "\"");
  if (auto conf = r.number(*a, "confidence", path + ".confidence")) {
    if (*conf < 0.5 || *conf > 0.999999) {
      r.fail(path + ".confidence", "must be between 0.5 and 0.999999");
    } else {
      as.confidence = *conf;
    }
  }
  // inconclusiveLimit (a count of checks) is accepted for old manifests and ignored: the
  // policy is a time now (docs/api.md).
  r.integer(*a, "inconclusiveLimit", path + ".inconclusiveLimit", 10, 1, 1000);
  as.inconclusive_timeout = r.duration(*a, "inconclusiveTimeout", path + ".inconclusiveTimeout",
                                       as.inconclusive_timeout, true);
  const std::string policy =
      r.string(*a, "onInconclusiveLimit", path + ".onInconclusiveLimit", "Pause");
  if (policy == "Rollback")
    as.on_inconclusive_limit = analysis::InconclusiveLimitPolicy::kRollback;
  else if (policy != "Pause")
    r.fail(path + ".onInconclusiveLimit", "must be Pause or Rollback, got \"" + policy + "\"");
  parseMetrics(r, *a, as);
  out.analysis = std::move(as);
}

}  // namespace

std::vector<Step> defaultSteps() {
  using std::chrono::hours;
  return {{1, hours(24)}, {10, hours(48)}, {50, hours(72)}, {100, hours(0)}};
}

std::string SpecParseResult::summary() const {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "; ";
    out += e.path + ": " + e.message;
  }
  return out;
}

SpecParseResult parseSpec(const Json& spec) {
  SpecParseResult result;
  FieldReader r(&result.errors);
  if (!spec.is_object()) {
    r.fail("spec", "must be an object");
    return result;
  }
  r.unknownFields(spec,
                  {"replicas", "selector", "template", "service", "trafficRouting", "steps",
                   "analysis", "paused", "progressDeadlineSeconds", "progressDeadlineAbort"},
                  "spec");
  ModelRolloutSpec out;
  const size_t errors_at_replicas = result.errors.size();
  out.replicas = r.integer(spec, "replicas", "spec.replicas", 1, 0, 10000);
  if (result.errors.size() == errors_at_replicas) result.replicas = out.replicas;
  parseTemplate(r, spec, out);
  parseService(r, spec, out);
  const size_t errors_before = result.errors.size();
  parseTrafficRouting(r, spec, out);
  if (result.errors.size() == errors_before) result.traffic_routing = out.traffic_routing;
  parseSteps(r, spec, out);
  parseAnalysis(r, spec, out);
  out.paused = r.boolean(spec, "paused", "spec.paused", false);
  out.progress_deadline = std::chrono::seconds(r.integer(
      spec, "progressDeadlineSeconds", "spec.progressDeadlineSeconds", 600, 1, 86400LL * 30));
  out.progress_deadline_abort =
      r.boolean(spec, "progressDeadlineAbort", "spec.progressDeadlineAbort", true);
  if (result.errors.empty()) result.spec = std::move(out);
  return result;
}

ObjectMeta parseObjectMeta(const Json& object) {
  ObjectMeta meta;
  const Json md = object.is_object() ? object.value("metadata", Json::object()) : Json();
  if (!md.is_object()) return meta;
  auto str = [&](const char* k) {
    auto it = md.find(k);
    return it != md.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  meta.name = str("name");
  meta.namespace_name = str("namespace");
  meta.uid = str("uid");
  if (auto g = md.find("generation"); g != md.end() && g->is_number_integer()) {
    meta.generation = g->get<std::int64_t>();
  }
  if (auto a = md.find("annotations"); a != md.end() && a->is_object()) {
    for (auto it = a->begin(); it != a->end(); ++it) {
      if (it->is_string()) meta.annotations[it.key()] = it->get<std::string>();
    }
  }
  meta.deleting = md.contains("deletionTimestamp") && !md["deletionTimestamp"].is_null();
  return meta;
}

}  // namespace mr::rollout
