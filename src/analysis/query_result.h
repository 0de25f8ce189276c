// QueryResult: a parsed Prometheus instant-query response (/api/v1/query), and the parser.
// Every resultType is represented; special values "NaN", "+Inf", "-Inf" become the matching
// doubles. Errors (HTTP status, {"status":"error","errorType","error"} envelopes, malformed
// bodies) become a Status whose code says whether a retry may help (503/429 -> kUnavailable;
// 400/422/other -> not retryable). Messages quote only an error envelope's errorType and
// error (printable ASCII, at most 200 bytes); any other body is described by its size and
// never quoted ("HTTP 502 with a non-JSON body of 1234 bytes"), because status and Events
// are readable by tenants (docs/security.md).
// Thread-safety: value types and pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace mr::analysis {

using Labels = std::map<std::string, std::string>;

enum class ResultType { kVector, kScalar, kMatrix, kString };
const char* resultTypeName(ResultType t);

struct Sample {
  Labels labels;
  double value = 0;
};

struct Series {
  Labels labels;
  std::vector<std::pair<double, double>> points;  // (unix seconds, value)
};

struct QueryResult {
  ResultType type = ResultType::kVector;
  std::vector<Sample> samples;  // vector: one per series; scalar: one sample without labels
  std::vector<Series> series;   // matrix only
  std::string string_value;     // string only
  std::vector<std::string> warnings;
};

// Parses "1.5", "NaN", "+Inf", "-Inf" as Prometheus writes sample values.
Result<double> parseSampleValue(const std::string& text);

// Parses a response. `http_status` is the HTTP code (200 on success).
Result<QueryResult> parseQueryResponse(int http_status, const std::string& body);

// The one number a query must return: a scalar, or a vector with at most one sample.
// Empty vector -> nullopt (no data). Several series, a matrix or a string -> kInvalidArgument
// naming what was returned (the query needs an aggregation such as sum()).
Result<std::optional<double>> singleValue(const QueryResult& result);

}  // namespace mr::analysis
