// Fuzzes the PromQL template renderer. Input: "<template>\0<namespace>\0<rollout>\0<revision>"
// (missing parts are empty); the window comes from the input size.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "analysis/query_template.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // the code under test logs every rejected input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  auto next = [&rest]() {
    const size_t nul = rest.find('\0');
    std::string_view part = rest.substr(0, nul);
    rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
    return std::string(part);
  };
  const std::string text = next();
  mr::analysis::TemplateVars vars;
  vars.namespace_name = next();
  vars.rollout = next();
  vars.revision = next();
  vars.role = size % 2 ? "canary" : "stable";
  vars.stable_revision = vars.revision + "s";
  vars.canary_revision = vars.revision + "c";
  vars.window = std::chrono::milliseconds(static_cast<long long>(size) * 997);
  auto rendered = mr::analysis::renderQuery(text, vars);
  if (rendered.isOk()) (void)rendered->size();
  // Property: an escaped value cannot end the PromQL string it is placed in (no raw newline,
  // every '"' escaped by an odd run of backslashes).
  const std::string escaped = mr::analysis::escapePromqlString(text);
  size_t backslashes = 0;
  for (char c : escaped) {
    if (c == '\n' || (c == '"' && backslashes % 2 == 0)) __builtin_trap();
    backslashes = c == '\\' ? backslashes + 1 : 0;
  }
  return 0;
}
