#include "common/time_format.h"

#include <cstdio>
#include <ctime>

namespace mr {
namespace {

std::tm toUtc(SystemTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::seconds>(t) > t
          ? std::chrono::time_point_cast<std::chrono::seconds>(t) - std::chrono::seconds(1)
          : std::chrono::time_point_cast<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

}  // namespace

std::string formatRfc3339(SystemTime t) {
  const std::tm tm = toUtc(t);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string formatRfc3339Micro(SystemTime t) {
  const std::tm tm = toUtc(t);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
  char buf[40];
  char date[24];
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf, sizeof(buf), "%s.%06lldZ", date,
                static_cast<long long>(micros < 0 ? micros + 1000000 : micros));
  return buf;
}

Result<SystemTime> parseRfc3339(std::string_view text) {
  const std::string s(text);
  int year, mon, day, hh, mm, ss;
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &mon, &day, &hh, &mm, &ss,
                  &consumed) != 6) {
    return invalidArgument("timestamp \"" + s + "\" is not RFC 3339");
  }
  size_t i = static_cast<size_t>(consumed);
  long long micros = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (digits < 6) micros = micros * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    for (; digits < 6; ++digits) micros *= 10;
  }
  long long offset_secs = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) {
      return invalidArgument("timestamp \"" + s + "\" has a malformed offset");
    }
    offset_secs = (s[i] == '+' ? 1 : -1) * (oh * 3600LL + om * 60LL);
    i += 6;
  } else {
    return invalidArgument("timestamp \"" + s + "\" has no zone");
  }
  if (i != s.size()) return invalidArgument("timestamp \"" + s + "\" has trailing characters");
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  const std::time_t secs = timegm(&tm);
  return std::chrono::system_clock::from_time_t(secs - offset_secs) +
         std::chrono::microseconds(micros);
}

}  // namespace mr
