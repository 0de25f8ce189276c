#include "common/duration.h"

#include <cctype>
#include <cmath>

namespace mr {
namespace {

// Milliseconds per unit; sub-millisecond units are kept as fractions.
bool unitScale(std::string_view unit, double* scale) {
  if (unit == "ns") *scale = 1e-6;
  else if (unit == "us" || unit == "\xC2\xB5s") *scale = 1e-3;
  else if (unit == "ms") *scale = 1.0;
  else if (unit == "s") *scale = 1e3;
  else if (unit == "m") *scale = 60e3;
  else if (unit == "h") *scale = 3600e3;
  else return false;
  return true;
}

}  // namespace

Result<std::chrono::milliseconds> parseDuration(std::string_view text) {
  const std::string quoted = "duration \"" + std::string(text) + "\"";
  if (text.empty()) return invalidArgument("empty duration");
  if (text == "0") return std::chrono::milliseconds(0);
  if (text.front() == '-') return invalidArgument(quoted + " must not be negative");
  size_t i = 0;
  double total_ms = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (start == i) return invalidArgument(quoted + " is not a Go duration (e.g. 90s, 1h30m)");
    const std::string number(text.substr(start, i - start));
    if (number == "." || number.find('.') != number.rfind('.')) {
      return invalidArgument(quoted + " has a malformed number");
    }
    size_t unit_start = i;
    while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.') ++i;
    double scale = 0;
    if (!unitScale(text.substr(unit_start, i - unit_start), &scale)) {
      return invalidArgument(quoted + " has a missing or unknown unit (use ns, us, ms, s, m, h)");
    }
    total_ms += std::stod(number) * scale;
  }
  if (!std::isfinite(total_ms) || total_ms > 1e15) return invalidArgument(quoted + " is too large");
  return std::chrono::milliseconds(static_cast<long long>(std::llround(total_ms)));
}

std::string formatDuration(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  const long long h = ms / 3600000, m = (ms / 60000) % 60, s = (ms / 1000) % 60, rest = ms % 1000;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s || (rest && (h || m))) {
    out += std::to_string(s);
    if (rest) {
      std::string frac = std::to_string(1000 + rest).substr(1);
      while (!frac.empty() && frac.back() == '0') frac.pop_back();
      out += "." + frac;
    }
    out += "s";
  } else if (rest) {
    out += std::to_string(rest) + "ms";
  }
  return out;
}

}  // namespace mr
