#include "common/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cstdio>
#include <mutex>
#include <random>
#include <thread>

namespace mr {
namespace {

constexpr const char* kDefaultLogger = "modelrollout";

thread_local std::vector<std::pair<std::string, std::string>> t_fields;

// Appends `s` escaped as the inside of a JSON string.
void appendJsonEscaped(std::string_view s, spdlog::memory_buf_t& dest) {
  static const char* kHex = "0123456789abcdef";
  for (char c : s) {
    switch (c) {
      case '"':
        dest.append(std::string_view("\\\""));
        break;
      case '\\':
        dest.append(std::string_view("\\\\"));
        break;
      case '\n':
        dest.append(std::string_view("\\n"));
        break;
      case '\r':
        dest.append(std::string_view("\\r"));
        break;
      case '\t':
        dest.append(std::string_view("\\t"));
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xF], kHex[c & 0xF]};
          dest.append(esc, esc + sizeof(esc));
        } else {
          dest.push_back(c);
        }
    }
  }
}

// %j: the message as the inside of a JSON string, so JSON logs stay parseable.
class JsonMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    appendJsonEscaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessage>();
  }
};

// %J: this thread's LogFields as further JSON members (`,"key":"value"`...).
class JsonFields final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    for (const auto& [key, value] : t_fields) {
      dest.append(std::string_view(",\""));
      appendJsonEscaped(key, dest);
      dest.append(std::string_view("\":\""));
      appendJsonEscaped(value, dest);
      dest.push_back('"');
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonFields>();
  }
};

// %K: this thread's LogFields as ` key=value` (quoted when the value has a space or quote).
class TextFields final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    for (const auto& [key, value] : t_fields) {
      dest.push_back(' ');
      dest.append(key);
      dest.push_back('=');
      const bool quote = value.empty() || value.find_first_of(" \"=\t\n") != std::string::npos;
      if (!quote) {
        dest.append(value);
        continue;
      }
      dest.push_back('"');
      appendJsonEscaped(value, dest);
      dest.push_back('"');
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<TextFields>();
  }
};

std::mutex g_named_mu;  // serializes creation of named loggers

}  // namespace

Status setupLogging(const std::string& format, const std::string& level, spdlog::sink_ptr sink) {
  const auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    return invalidArgument("unknown log level \"" + level + "\"");
  }
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  if (format == "json") {
    formatter->add_flag<JsonMessage>('j').add_flag<JsonFields>('J').set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"%n","msg":"%j"%J})");
  } else if (format == "text") {
    formatter->add_flag<TextFields>('K').set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%L%$ [%n] %v%K");
  } else {
    return invalidArgument("unknown log format \"" + format + "\" (json|text)");
  }
  if (!sink) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(std::move(formatter));
  std::lock_guard lock(g_named_mu);
  auto logger = spdlog::get(kDefaultLogger);
  if (!logger) {
    logger = std::make_shared<spdlog::logger>(kDefaultLogger, sink);
    spdlog::register_logger(logger);
  }
  spdlog::set_default_logger(logger);
  // Named loggers made before (or by an earlier call) follow the new sink and level.
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
    l->sinks() = {sink};
    l->set_level(lvl);
  });
  return Status::ok();
}

std::shared_ptr<spdlog::logger> namedLogger(const std::string& name) {
  std::lock_guard lock(g_named_mu);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = spdlog::default_logger()->clone(name);
  spdlog::register_logger(logger);
  return logger;
}

LogFields::LogFields(std::initializer_list<std::pair<std::string, std::string>> fields)
    : added_(fields.size()) {
  t_fields.insert(t_fields.end(), fields.begin(), fields.end());
}

LogFields::~LogFields() {
  t_fields.resize(t_fields.size() >= added_ ? t_fields.size() - added_ : 0);
}

std::string newReconcileId() {
  thread_local std::mt19937_64 rng{std::random_device{}() ^
                                   std::hash<std::thread::id>{}(std::this_thread::get_id())};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof(out), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return out;
}

}  // namespace mr
