// Go-style durations as used in Kubernetes specs ("24h", "1m30s", "500ms", "1.5h").
// parseDuration accepts the units ns, us, ms, s, m, h and rejects negatives, empties and
// unknown units; formatDuration prints the shortest Go-like form ("1h30m0s" -> "1h30m").
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mr {

Result<std::chrono::milliseconds> parseDuration(std::string_view text);
std::string formatDuration(std::chrono::milliseconds d);

}  // namespace mr
