#include "analysis/query_result.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

namespace mr::analysis {

using nlohmann::json;

const char* resultTypeName(ResultType t) {
  switch (t) {
    case ResultType::kVector:
      return "vector";
    case ResultType::kScalar:
      return "scalar";
    case ResultType::kMatrix:
      return "matrix";
    case ResultType::kString:
      return "string";
  }
  return "unknown";
}

namespace {
std::string bytes(size_t n);
}  // namespace

Result<double> parseSampleValue(const std::string& text) {
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "+Inf" || text == "Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  if (text.empty()) return invalidArgument("empty sample value");
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) {
    return invalidArgument("a sample value of " + bytes(text.size()) + " is not a number");
  }
  return v;
}

namespace {

StatusCode codeForHttp(int http) {
  if (http == 429 || http == 502 || http == 503 || http == 504) return StatusCode::kUnavailable;
  if (http == 400 || http == 422) return StatusCode::kInvalidArgument;
  if (http == 401 || http == 403) return StatusCode::kPermissionDenied;
  if (http == 404) return StatusCode::kNotFound;
  return StatusCode::kInternal;
}

// Text taken from a well-formed Prometheus error envelope ("error": the PromQL parser's or
// engine's message, needed to fix a query) or a result type name: at most `n` bytes of
// printable ASCII, anything else replaced, so a reply cannot smuggle log or header injection
// or bulk data into status and Events. Other response content is never quoted.
std::string printable(const std::string& s, size_t n = 200) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  if (s.size() > n) out += "...";
  return out;
}

std::string bytes(size_t n) {
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

Labels parseLabels(const json& metric) {
  Labels labels;
  if (!metric.is_object()) return labels;
  for (const auto& [k, v] : metric.items()) {
    if (v.is_string()) labels[k] = v.get<std::string>();
  }
  return labels;
}

// [unix_seconds, "value"]
Result<std::pair<double, double>> parsePoint(const json& point) {
  if (!point.is_array() || point.size() != 2 || !point[0].is_number() || !point[1].is_string()) {
    return invalidArgument("malformed sample (want [time, \"value\"])");
  }
  auto v = parseSampleValue(point[1].get<std::string>());
  if (!v) return v.status();
  return std::make_pair(point[0].get<double>(), *v);
}

Result<QueryResult> parseData(const json& data) {
  if (!data.is_object() || !data.contains("resultType") || !data["resultType"].is_string() ||
      !data.contains("result")) {
    return invalidArgument("response has no data.resultType/data.result");
  }
  const std::string type = data["resultType"].get<std::string>();
  const json& result = data["result"];
  QueryResult out;
  if (type == "vector" || type == "matrix") {
    if (!result.is_array()) return invalidArgument(type + " result is not an array");
    out.type = type == "vector" ? ResultType::kVector : ResultType::kMatrix;
    for (const auto& item : result) {
      if (!item.is_object()) return invalidArgument("malformed series (not an object)");
      Labels labels = parseLabels(item.value("metric", json::object()));
      if (out.type == ResultType::kVector) {
        if (!item.contains("value")) return invalidArgument("vector sample has no value");
        auto p = parsePoint(item["value"]);
        if (!p) return p.status();
        out.samples.push_back({std::move(labels), p->second});
      } else {
        if (!item.contains("values") || !item["values"].is_array()) {
          return invalidArgument("matrix series has no values");
        }
        Series s{std::move(labels), {}};
        for (const auto& point : item["values"]) {
          auto p = parsePoint(point);
          if (!p) return p.status();
          s.points.push_back(*p);
        }
        out.series.push_back(std::move(s));
      }
    }
  } else if (type == "scalar") {
    auto p = parsePoint(result);
    if (!p) return p.status();
    out.type = ResultType::kScalar;
    out.samples.push_back({{}, p->second});
  } else if (type == "string") {
    if (!result.is_array() || result.size() != 2 || !result[1].is_string()) {
      return invalidArgument("malformed string result");
    }
    out.type = ResultType::kString;
    out.string_value = result[1].get<std::string>();
  } else {
    return invalidArgument("unknown resultType \"" + printable(type, 32) + "\"");
  }
  return out;
}

Result<QueryResult> parseResponse(int http_status, const std::string& body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  const bool ok_http = http_status >= 200 && http_status < 300;
  if (doc.is_discarded() || !doc.is_object()) {
    // Never quote the body: the reply may come from anything at that address (a login page,
    // another service's data) and status and Events are readable by every tenant.
    const std::string what = "a non-JSON body of " + bytes(body.size());
    if (ok_http) {
      return invalidArgument("Prometheus returned HTTP " + std::to_string(http_status) + " with " +
                             what + " (not a Prometheus API response)");
    }
    return Status(codeForHttp(http_status),
                  "Prometheus returned HTTP " + std::to_string(http_status) + " with " + what,
                  http_status, "");
  }
  const std::string status = doc.value("status", "");
  if (status == "error" || !ok_http) {
    const auto text = [&](const char* key) {
      return doc.contains(key) && doc[key].is_string() ? printable(doc[key].get<std::string>())
                                                       : std::string();
    };
    const std::string error_type = text("errorType");
    std::string error = text("error");
    if (error.empty()) error = "a JSON body of " + bytes(body.size()) + " without an error message";
    const int http = ok_http ? 500 : http_status;
    std::string msg = "Prometheus returned HTTP " + std::to_string(http_status);
    if (!error_type.empty()) msg += " (" + error_type + ")";
    msg += ": " + error;
    StatusCode code = codeForHttp(http);
    if (error_type == "timeout" || error_type == "unavailable") code = StatusCode::kUnavailable;
    return Status(code, msg, http_status, error_type);
  }
  if (status != "success") {
    return invalidArgument("response status is \"" + printable(status, 32) + "\"");
  }
  auto out = parseData(doc.contains("data") ? doc["data"] : json());
  if (!out) return out.status();
  if (doc.contains("warnings") && doc["warnings"].is_array()) {
    for (const auto& w : doc["warnings"]) {
      if (w.is_string()) out->warnings.push_back(w.get<std::string>());
    }
  }
  return out;
}

}  // namespace

Result<QueryResult> parseQueryResponse(int http_status, const std::string& body) {
  try {
    return parseResponse(http_status, body);
  } catch (const json::exception& e) {
    return invalidArgument(std::string("malformed Prometheus response: ") + e.what());
  }
}

Result<std::optional<double>> singleValue(const QueryResult& result) {
  switch (result.type) {
    case ResultType::kScalar:
      return std::optional<double>(result.samples.at(0).value);
    case ResultType::kVector:
      if (result.samples.empty()) return std::optional<double>();
      if (result.samples.size() == 1) return std::optional<double>(result.samples[0].value);
      return invalidArgument("query returned " + std::to_string(result.samples.size()) +
                             " series where one number was expected; aggregate it (e.g. sum())");
    case ResultType::kMatrix:
      return invalidArgument("query returned a range vector (matrix); use an instant expression");
    case ResultType::kString:
      return invalidArgument("query returned a string where a number was expected");
  }
  return internalError("unreachable");
}

}  // namespace mr::analysis
