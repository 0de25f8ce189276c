#include "k8s/leader_election.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <random>

#include "common/json_read.h"
#include "common/time_format.h"
#include "k8s/call_timeout.h"

namespace mr::k8s {

std::string defaultLeaderIdentity() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::random_device rd;
  char suffix[17];
  snprintf(suffix, sizeof suffix, "%08x%08x", rd(), rd());
  return std::string(host) + "_" + suffix;
}

LeaderElector::LeaderElector(ApiClient& client, LeaderElectionConfig config, const Clock& clock,
                             LeaderCallbacks callbacks)
    : client_(client),
      config_(std::move(config)),
      clock_(clock),
      callbacks_(std::move(callbacks)) {}

Status LeaderElector::validate(const LeaderElectionConfig& c) {
  if (c.lease_name.empty() || c.lease_namespace.empty()) {
    return invalidArgument("leader election needs a lease name and namespace");
  }
  if (c.identity.empty()) return invalidArgument("leader election needs an identity");
  if (c.lease_duration.count() % 1000 != 0) {
    return invalidArgument("lease duration must be whole seconds (Lease leaseDurationSeconds)");
  }
  if (c.lease_duration <= c.renew_deadline) {
    return invalidArgument("lease duration must exceed the renew deadline");
  }
  if (c.renew_deadline.count() <= c.retry_period.count() * 12 / 10) {
    return invalidArgument("renew deadline must exceed 1.2 x the retry period");
  }
  if (c.fence_margin.count() < 0 || c.fence_margin > c.lease_duration - c.renew_deadline) {
    return invalidArgument(
        "the fence margin must be between 0 and the lease duration minus the renew deadline");
  }
  return Status::ok();
}

std::string LeaderElector::observedHolder() const {
  std::lock_guard lock(observed_mu_);
  if (!observed_) return "";
  return jsonString(jsonObject(*observed_, "spec"), "holderIdentity");
}

void LeaderElector::observe(const Json& lease) {
  const Json spec = jsonObject(lease, "spec");
  std::string new_holder;
  {
    std::lock_guard lock(observed_mu_);
    const std::string old_holder = observed_ ? jsonString(observed_spec_, "holderIdentity") : "";
    if (!observed_ || spec != observed_spec_) {
      observed_spec_ = spec;
      observed_time_ = clock_.steadyNow();
      const std::string holder = jsonString(spec, "holderIdentity");
      if (holder != old_holder) new_holder = holder;
    }
    observed_ = lease;
  }
  if (!new_holder.empty() && callbacks_.on_new_leader) callbacks_.on_new_leader(new_holder);
}

Json LeaderElector::buildLease(const Json* existing, bool takeover) const {
  const std::string now = formatRfc3339Micro(clock_.now());
  Json lease = existing && existing->is_object()
                   ? *existing
                   : Json{{"apiVersion", "coordination.k8s.io/v1"},
                          {"kind", "Lease"},
                          {"metadata",
                           {{"name", config_.lease_name}, {"namespace", config_.lease_namespace}}}};
  Json& spec = lease["spec"];
  if (!spec.is_object()) spec = Json::object();
  const auto transitions = jsonInt(spec, "leaseTransitions");
  spec["holderIdentity"] = config_.identity;
  spec["leaseDurationSeconds"] =
      std::chrono::duration_cast<std::chrono::seconds>(config_.lease_duration).count();
  spec["renewTime"] = now;
  if (!existing || takeover) {
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = existing ? transitions + 1 : 0;
  }
  return lease;
}

SteadyTime LeaderElector::lastRenew() const {
  return SteadyTime(SteadyTime::duration(last_renew_.load()));
}

void LeaderElector::markRenewed(SteadyTime sent) {
  last_renew_.store(sent.time_since_epoch().count());
}

Millis LeaderElector::renewBudget(SteadyTime attempt_start) const {
  const SteadyTime from = isLeader() ? lastRenew() : attempt_start;
  return std::chrono::duration_cast<Millis>(from + config_.renew_deadline - clock_.steadyNow());
}

bool LeaderElector::loseIfPastDeadline(SteadyTime attempt_start) {
  if (!isLeader() || renewBudget(attempt_start).count() > 0) return false;
  spdlog::warn("leader election: no successful renewal of {}/{} within the renew deadline ({} ms)",
               config_.lease_namespace, config_.lease_name, config_.renew_deadline.count());
  setLeader(false);
  return true;
}

Result<Millis> LeaderElector::writeWindow() const {
  if (!isLeader()) return unavailable("not the leader");
  const auto left = std::chrono::duration_cast<Millis>(lastRenew() + config_.lease_duration -
                                                       config_.fence_margin - clock_.steadyNow());
  if (left.count() <= 0) return unavailable("our lease may have expired");
  return left;
}

bool LeaderElector::tryAcquireOrRenew() {
  const ResourceType& leases = resources::leases();
  const SteadyTime attempt_start = clock_.steadyNow();
  // Each lease call gets what is left of the renew deadline; none starts once it has passed.
  // Returns nullopt (and, for a leader, stops leading) when no time is left.
  const auto budget = [&]() -> std::optional<Millis> {
    if (loseIfPastDeadline(attempt_start)) return std::nullopt;
    const Millis left = renewBudget(attempt_start);
    if (left.count() <= 0) return std::nullopt;
    return left;
  };
  // Fast path: a leader with a still-valid lease renews straight from its cached copy.
  if (isLeader()) {
    std::optional<Json> cached;
    {
      std::lock_guard lock(observed_mu_);
      if (observed_ && observed_time_ + config_.lease_duration > clock_.steadyNow()) {
        cached = observed_;
      }
    }
    if (cached) {
      const auto left = budget();
      if (!left) return false;
      const SteadyTime sent = clock_.steadyNow();
      Result<Json> updated = [&] {
        CallTimeout scope(*left);
        return client_.update(leases, buildLease(&*cached, false));
      }();
      if (updated.isOk()) {
        observe(*updated);
        markRenewed(sent);
        return true;
      }
      if (updated.status().code() == StatusCode::kConflict) {
        spdlog::warn("leader election: lease {} was modified by someone else; leadership lost",
                     config_.lease_name);
        setLeader(false);
        return false;
      }
      spdlog::warn("leader election: renew failed: {}", updated.status().toString());
      loseIfPastDeadline(attempt_start);
      return false;
    }
  }

  auto left = budget();
  if (!left) return false;
  Result<Json> current = [&] {
    CallTimeout scope(*left);
    return client_.get(leases, config_.lease_namespace, config_.lease_name);
  }();
  if (!current.isOk()) {
    if (current.status().code() != StatusCode::kNotFound) {
      spdlog::warn("leader election: get lease: {}", current.status().toString());
      loseIfPastDeadline(attempt_start);
      return false;
    }
    left = budget();
    if (!left) return false;
    const SteadyTime sent = clock_.steadyNow();
    Result<Json> created = [&] {
      CallTimeout scope(*left);
      return client_.create(leases, config_.lease_namespace, buildLease(nullptr, false));
    }();
    if (!created.isOk()) {
      spdlog::info("leader election: create lease: {}", created.status().toString());
      loseIfPastDeadline(attempt_start);
      return false;
    }
    observe(*created);
    markRenewed(sent);
    setLeader(true);
    return true;
  }
  observe(*current);
  const Json spec = jsonObject(*current, "spec");
  const std::string holder = jsonString(spec, "holderIdentity");
  const bool mine = holder == config_.identity;
  SteadyTime observed_time;
  {
    std::lock_guard lock(observed_mu_);
    observed_time = observed_time_;
  }
  const auto duration = std::chrono::seconds(jsonInt(spec, "leaseDurationSeconds"));
  if (!holder.empty() && !mine && observed_time + duration > clock_.steadyNow()) {
    if (isLeader()) setLeader(false);
    return false;  // held by someone else and not expired by our clock
  }
  left = budget();
  if (!left) return false;
  const SteadyTime sent = clock_.steadyNow();
  Result<Json> updated = [&] {
    CallTimeout scope(*left);
    return client_.update(leases, buildLease(&*current, !mine));
  }();
  if (!updated.isOk()) {
    if (updated.status().code() == StatusCode::kConflict && isLeader()) setLeader(false);
    spdlog::info("leader election: update lease: {}", updated.status().toString());
    loseIfPastDeadline(attempt_start);
    return false;
  }
  observe(*updated);
  markRenewed(sent);
  setLeader(true);
  return true;
}

void LeaderElector::setLeader(bool leader) {
  const bool was = leader_.exchange(leader);
  if (was == leader) return;
  if (leader) {
    spdlog::info("leader election: {} became leader of {}/{}", config_.identity,
                 config_.lease_namespace, config_.lease_name);
    if (callbacks_.on_started_leading) callbacks_.on_started_leading();
  } else {
    spdlog::warn("leader election: {} stopped leading", config_.identity);
    if (callbacks_.on_stopped_leading) callbacks_.on_stopped_leading();
  }
}

bool LeaderElector::waitRetry() {
  std::unique_lock lock(mu_);
  SteadyTime until = clock_.steadyNow() + config_.retry_period;
  if (isLeader()) until = std::min(until, lastRenew() + config_.renew_deadline);
  while (!stopped_ && clock_.steadyNow() < until)
    clock_.waitUntil(cv_, lock, until);
  return !stopped_;
}

bool LeaderElector::run() {
  while (!stopped_ && !tryAcquireOrRenew()) {
    if (!waitRetry()) return true;
  }
  while (waitRetry()) {
    if (tryAcquireOrRenew()) continue;
    if (!isLeader() || clock_.steadyNow() - lastRenew() >= config_.renew_deadline) {
      setLeader(false);
      return false;
    }
  }
  if (Status s = release(); !s.isOk()) {
    spdlog::warn("leader election: release failed: {}", s.toString());
  }
  return true;
}

void LeaderElector::stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  cv_.notify_all();
}

Status LeaderElector::release() {
  if (!isLeader()) return Status::ok();
  std::optional<Json> cached;
  {
    std::lock_guard lock(observed_mu_);
    cached = observed_;
  }
  if (!cached) return Status::ok();
  Json lease = *cached;
  const std::string now = formatRfc3339Micro(clock_.now());
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = now;
  lease["spec"]["acquireTime"] = now;
  Result<Json> updated = [&] {
    CallTimeout scope(config_.renew_deadline);
    return client_.update(resources::leases(), lease);
  }();
  setLeader(false);
  if (!updated.isOk()) return updated.status().withContext("release lease");
  observe(*updated);
  return Status::ok();
}

}  // namespace mr::k8s
