// RFC 3339 timestamps as the Kubernetes API writes them: "2026-11-26T19:45:54Z" (Time) and
// "2026-11-26T19:45:54.123456Z" (MicroTime). Parsing accepts fractional seconds and offsets.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace mr {

std::string formatRfc3339(SystemTime t);       // seconds precision, UTC
std::string formatRfc3339Micro(SystemTime t);  // microseconds, UTC
Result<SystemTime> parseRfc3339(std::string_view text);

}  // namespace mr
