#include "faults.h"

namespace mr::apiserver {

using json = nlohmann::json;

FaultInjector::FaultInjector(uint64_t seed) : rng_(seed) {}

Result<bool> FaultInjector::configure(const json& config) {
  if (!config.is_object()) return invalidArgument("fault configuration must be a JSON object");
  std::vector<ErrorFault> errors;
  try {
    for (const auto& e : config.value("errors", json::array())) {
      ErrorFault f;
      f.verb = e.value("verb", "*");
      f.resource = e.value("resource", "");
      f.rate = e.value("rate", 1.0);
      f.code = e.value("code", 500);
      f.retry_after_seconds = e.value("retryAfterSeconds", 1);
      if (f.rate < 0 || f.rate > 1) return invalidArgument("errors[].rate must be within [0,1]");
      if (f.code < 400 || f.code > 599) return invalidArgument("errors[].code must be 4xx or 5xx");
      errors.push_back(f);
    }
    std::lock_guard lock(mu_);
    errors_ = std::move(errors);
    latency_ms_ = config.value("latencyMs", 0);
    drop_watches_after_s_ = config.value("dropWatchesAfterSeconds", 0);
    expire_next_watches_ =
        config.value("expireNextWatches", config.value("forceExpiredNextWatch", false) ? 1 : 0);
    return config.value("compactHistory", false);
  } catch (const json::exception& e) {
    return invalidArgument(std::string("fault configuration: ") + e.what());
  }
}

void FaultInjector::clear() {
  std::lock_guard lock(mu_);
  errors_.clear();
  latency_ms_ = 0;
  drop_watches_after_s_ = 0;
  expire_next_watches_ = 0;
}

json FaultInjector::current() const {
  std::lock_guard lock(mu_);
  json errors = json::array();
  for (const auto& e : errors_) {
    errors.push_back({{"verb", e.verb},
                      {"resource", e.resource},
                      {"rate", e.rate},
                      {"code", e.code},
                      {"retryAfterSeconds", e.retry_after_seconds}});
  }
  return {{"errors", errors},
          {"latencyMs", latency_ms_},
          {"dropWatchesAfterSeconds", drop_watches_after_s_},
          {"expireNextWatches", expire_next_watches_}};
}

Status FaultInjector::addErrorFlag(const std::string& spec) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t c = spec.find(':', pos);
    if (c == std::string::npos) c = spec.size();
    parts.push_back(spec.substr(pos, c - pos));
    pos = c + 1;
  }
  if (parts.size() < 3)
    return invalidArgument("--fault-error wants VERB:RATE:CODE[:RESOURCE], got " + spec);
  ErrorFault f;
  f.verb = parts[0];
  f.rate = std::atof(parts[1].c_str());
  f.code = std::atoi(parts[2].c_str());
  if (parts.size() > 3) f.resource = parts[3];
  if (f.code < 400 || f.code > 599)
    return invalidArgument("--fault-error code must be 4xx/5xx: " + spec);
  std::lock_guard lock(mu_);
  errors_.push_back(f);
  return Status::ok();
}

void FaultInjector::setLatencyMs(int ms) {
  std::lock_guard lock(mu_);
  latency_ms_ = ms;
}

void FaultInjector::setDropWatchesAfterSeconds(int s) {
  std::lock_guard lock(mu_);
  drop_watches_after_s_ = s;
}

std::optional<InjectedError> FaultInjector::errorFor(const std::string& verb,
                                                     const std::string& plural,
                                                     const std::string& group) {
  std::lock_guard lock(mu_);
  for (const auto& f : errors_) {
    if (f.verb != "*" && f.verb != verb) continue;
    if (!f.resource.empty() && f.resource != plural && f.resource != plural + "." + group) continue;
    double draw = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    if (draw < f.rate) return InjectedError{f.code, f.retry_after_seconds};
  }
  return std::nullopt;
}

int FaultInjector::latencyMs() const {
  std::lock_guard lock(mu_);
  return latency_ms_;
}

int FaultInjector::dropWatchesAfterSeconds() const {
  std::lock_guard lock(mu_);
  return drop_watches_after_s_;
}

bool FaultInjector::takeExpireNextWatch() {
  std::lock_guard lock(mu_);
  if (expire_next_watches_ <= 0) return false;
  --expire_next_watches_;
  return true;
}

}  // namespace mr::apiserver
