// Logging setup for executables: spdlog to stderr, JSON lines or human text.
// Call once from main() before other threads start. Library code logs with spdlog::info etc.
#pragma once

#include <string>

#include "common/status.h"

namespace mr {

// format: "json" | "text"; level: trace|debug|info|warn|error|off.
Status setupLogging(const std::string& format, const std::string& level);

}  // namespace mr
