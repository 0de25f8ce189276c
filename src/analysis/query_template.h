// PromQL templates: `{{name}}` placeholders (whitespace inside the braces tolerated) replaced
// by the variables below. Label values are escaped for PromQL double-quoted strings, so a
// template should place them inside "..."; {{window}} renders as a PromQL duration ("300s",
// "1500ms"), and so does {{elapsed}}. An unknown variable or an unclosed "{{" is a configuration
// error naming it. Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mr::analysis {

struct TemplateVars {
  std::string namespace_name;
  std::string rollout;
  std::string role;      // "canary" or "stable": the side this query reads
  std::string revision;  // the revision of `role`
  std::string stable_revision;
  std::string canary_revision;
  std::chrono::milliseconds window{300000};
  // Time since the canary revision's evidence began (its first step of this attempt): the
  // range of the cumulative default queries.
  std::chrono::milliseconds elapsed{300000};
};

// Escapes \, " and newlines for a PromQL double-quoted string.
std::string escapePromqlString(std::string_view value);

// "300s" when whole seconds, else "<n>ms".
std::string promqlDuration(std::chrono::milliseconds d);

Result<std::string> renderQuery(std::string_view text, const TemplateVars& vars);

}  // namespace mr::analysis
