// LeaderElector: leader election on a coordination.k8s.io/v1 Lease, with client-go's rules.
// A lease is considered held while (local time we last saw the record change) +
// leaseDurationSeconds is in the future; renewTime from another host is never compared with
// our clock. A leader renews every retry_period by PUT with the cached resourceVersion; a 409
// means someone else wrote the lease, and leadership is lost at once; renewals failing for
// longer than renew_deadline also lose it. Taking over another holder's lease increments
// leaseTransitions. release() hands the lease back (empty holder, leaseDurationSeconds=1) so
// a successor need not wait for expiry.
// Deadlines: every lease call (get, create, update) runs in a CallTimeout of what is left of
// the renew deadline (counted from the last successful renewal for a leader, from the start
// of the attempt otherwise), checked before each call and again after a failed one; a leader
// whose deadline has passed stops leading without another call. A renewal that returns
// after the deadline can therefore not keep a leader past it.
// Fencing: a renewal counts from when its request was *sent* (the server can only have
// applied it later, so no other replica can have seen it earlier). writeWindow() is the time
// writes may still leave this process: while leading, sent + lease_duration - fence_margin -
// now; an error once not leading or past it. Give it to RestClient::setWriteFence.
// tryAcquireOrRenew() is one attempt (what tests drive with a FakeClock); run() loops.
// Thread-safety: run()/tryAcquireOrRenew()/release() from one thread; isLeader(),
// writeWindow() and stop() from any thread. Callbacks run on the run() thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "k8s/api_client.h"

namespace mr::k8s {

struct LeaderElectionConfig {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;  // unique per process: hostname_uuid
  Millis lease_duration{15000};
  Millis renew_deadline{10000};
  Millis retry_period{2000};
  // Writes stop this long before the lease could expire by another replica's clock: room for
  // a request's trip to the server and for clock-rate differences. At most lease_duration -
  // renew_deadline, so a leader renewing on time is never fenced.
  Millis fence_margin{2000};
};

struct LeaderCallbacks {
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& identity)> on_new_leader;
};

// "hostname_" + random hex.
std::string defaultLeaderIdentity();

class LeaderElector {
 public:
  LeaderElector(ApiClient& client, LeaderElectionConfig config, const Clock& clock,
                LeaderCallbacks callbacks = {});

  // Validates durations (lease > renew deadline > 1.2 x retry period, 0 <= fence margin <=
  // lease - renew deadline).
  static Status validate(const LeaderElectionConfig& config);

  // One acquire-or-renew attempt; true when we hold the lease afterwards.
  bool tryAcquireOrRenew();
  // Acquires (retrying every retry_period), then renews until stop() or lost; releases the
  // lease on stop() if held. Returns when done; true if leadership ended by stop().
  bool run();
  void stop();
  // Gives the lease up if we hold it.
  Status release();

  bool isLeader() const { return leader_.load(); }
  // How long writes may still be sent (> 0), or Unavailable when they must not be.
  Result<Millis> writeWindow() const;
  std::string observedHolder() const;

 private:
  Json buildLease(const Json* existing, bool takeover) const;
  void observe(const Json& lease);
  void setLeader(bool leader);
  // Waits retry_period, or less when a leader's renew deadline comes first.
  bool waitRetry();
  // What is left of the renew deadline for an attempt that started at `attempt_start`.
  Millis renewBudget(SteadyTime attempt_start) const;
  // Stops leading (with a log line) if the renew deadline has passed; true if it did.
  bool loseIfPastDeadline(SteadyTime attempt_start);
  void markRenewed(SteadyTime sent);
  SteadyTime lastRenew() const;

  ApiClient& client_;
  LeaderElectionConfig config_;
  const Clock& clock_;
  LeaderCallbacks callbacks_;

  std::atomic<bool> leader_{false};
  std::atomic<bool> stopped_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  mutable std::mutex observed_mu_;
  std::optional<Json> observed_;                // the lease as last read or written
  Json observed_spec_;                          // its spec, to detect changes
  SteadyTime observed_time_{};                  // our clock when the spec last changed
  std::atomic<SteadyTime::rep> last_renew_{0};  // when the last successful write was sent
};

}  // namespace mr::k8s
