// Fuzzes the Prometheus /api/v1/query response parser. The first byte picks the HTTP status
// (200 most of the time); the rest is the body.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "analysis/query_result.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // the code under test logs every rejected input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const int kCodes[] = {200, 200, 200, 200, 400, 422, 429, 500, 503, 302};
  const int code = kCodes[data[0] % (sizeof kCodes / sizeof kCodes[0])];
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto result = mr::analysis::parseQueryResponse(code, body);
  if (result.isOk()) {
    (void)mr::analysis::singleValue(*result);
  } else {
    (void)result.status().toString();
  }
  (void)mr::analysis::parseSampleValue(body);
  return 0;
}
