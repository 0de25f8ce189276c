// Safety simulation (issue 13): the invariants, checked by the simulation at every point where
// the controller has written something and at the end of every pass.
//  I1  the route never gives the canary more than the weight of the step recorded in status
//      (the weight of spec.steps[currentStep] when the stored status first named that step of
//      that canary, as recorded here: a later edit of spec.steps does not raise it), and more
//      than 0 only while the canary revision's own ready pods (new ReplicaSet, selected by the
//      canary Service) cover that weight. Replica ratio: the ready canary pods never exceed
//      what the step recorded in status asks for, and no pod of an older revision serves as
//      the canary at the end of a pass.
//      Capacity (issue 13 item 5): a pass never leaves the stable side (replica ratio: the
//      stable Deployment) with fewer ready endpoints than at its start and fewer than a
//      rolling update keeps (replicas - 25% rounded down).
//  I2  stable takes a revision only after a passing check at the last step's weight (with
//      that revision serving the last step's weight when the Pass arrived; replica ratio: its
//      ready pods covering it for spec.replicas as the controller last read it), a time-based
//      last step reached, or an explicit promote annotation.
//  I3  once a rollback for a failed verdict was acted upon (any op of that pass applied), that
//      revision gets no canary traffic again unless the user retries or re-submits it.
//  I4  no two writers of one field: a pass does not write one field back to a value it had
//      in that pass (between two status writes that change what the stored status allows:
//      lowering canary pods someone else added before the status naming a step is stored and
//      adding the step's pods after it is the status-first rule, one writer), and a pass does
//      not undo the previous pass's write while nothing else happened in between (a pass
//      acting on a step the previous pass stored, without going back to the step before it, is
//      the two-pass step entry of planner.h: it follows a new event, the stored step; and what
//      a pass writes after its own status write stored a new step or phase, when it does not
//      go back to where the previous pass started, follows that status: a hold or a progress
//      deadline that ran out is a timer, not a second writer).
//  I5  (checked by the simulation's quiet phase) settles, and then writes nothing.
//  I6  every write is made by the current leader.
// Thread-safety: one checker per simulation.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "safety/sim_model.h"

namespace mr::safety {

inline constexpr int kInvariantCount = 6;
const char* invariantName(int i);                // "I1".."I6"
int invariantFromName(const std::string& name);  // -1 when unknown

// What the stored status allows the canary: phase, canary revision, step, and the steps and
// weight it was entered with. A change of it is a new step entry (or leaving one).
std::string statusBasis(const rollout::RolloutStatus& s);

struct Violation {
  int invariant = 0;  // 0-based (I1 = 0)
  std::string message;
};

// One field of one object changed by the controller.
enum class Field {
  kStableRev,
  kStableReplicas,
  kCanaryRev,
  kCanaryReplicas,
  kRouteWeight,
  kStableSelector,
  kCanarySelector,
  kStatusPhase,
  kStatusOther,
  kAnnotations,
};
const char* fieldName(Field f);

struct Write {
  Field field;
  std::string before, after;
  std::string by;  // the action that wrote it
  // A status write that changed what the stored status allows (phase, canary, step, or the
  // steps it was entered under): writes before it follow the old status, writes after it the
  // new one (planner.h: capacity and weight of a step entered in a pass follow its status).
  bool new_basis = false;
};

class Checker {
 public:
  explicit Checker(const SimCluster& cluster) : c_(cluster) {}

  void reportTo(std::vector<Violation>* out) { out_ = out; }

  // A write by instance `writer` while `leader` holds the lease (I6), recorded for I4.
  void onWrite(const Write& w, int writer, int leader);
  // The stored status changed (writes the I1 bookkeeping of the entered step).
  void onStatusStored(const rollout::RolloutStatus& s, const rollout::SpecParseResult& spec);
  // Stable Deployment template moves from `from` (empty: created) to `to` (I2).
  void onStableTemplate(const std::string& from, const std::string& to);
  // A check of `rev` was started (replica ratio: whether its ready pods covered the last step
  // then, for onPassDelivered).
  void onCheckStarted(const std::string& rev, const rollout::SpecParseResult& spec);
  // The oracle delivered a Pass for `rev` (I2 qualification).
  void onPassDelivered(const std::string& rev, const rollout::SpecParseResult& spec);
  // Promote annotation present, or time-based last step reached (I2 qualification).
  void noteIntent(const rollout::SpecParseResult& spec);
  // A pass acted on a rollback for a failed verdict of `rev` (I3).
  void onVerdictRollback(const std::string& rev) { failed_.insert(rev); }
  void onUserRetry() { failed_.clear(); }
  void onUserTemplate(const std::string& rev) { failed_.erase(rev); }

  // An external event happened (I4: the next pass may legitimately undo the previous).
  void onExternalEvent() { external_since_pass_ = true; }
  void beginPass();
  // End of a pass (complete or cut). Runs the I4 checks.
  void endPass(bool complete);

  // I1 and I3 on the current cluster. Called after the controller's own weight writes
  // (SetWeight; replica ratio: every Deployment write): I1's bound and I3; after a Service
  // write: I3; at the end of a complete pass: everything. Never right after someone else's
  // event: the controller gets a pass to react.
  enum class When { kAfterWeight, kAfterServices, kPassEnd };
  void checkTraffic(const rollout::SpecParseResult& spec, When when);

  const std::vector<Write>& passWrites() const { return pass_writes_; }

 private:
  void fail(int invariant, const std::string& message);
  int replicasFor(const rollout::SpecParseResult& spec, int weight) const;
  // Ready pods behind the stable Service when it gets a share (replica ratio: the stable
  // Deployment's ready pods); -1 when it gets no traffic.
  int servingEndpoints() const;

  const SimCluster& c_;
  std::vector<Violation>* out_ = nullptr;
  // I1: the step recorded in status ("canary|index") and its weight when first recorded.
  std::string step_key_;
  int recorded_weight_ = 0;
  int last_replicas_ = 1;   // spec.replicas of the spec (valid, or an invalid one that has it)
  int acted_replicas_ = 0;  // last_replicas_ as of the latest pass (0: no pass yet)
  std::set<std::string> approved_, qualified_, failed_;
  std::set<std::string> covered_at_check_start_;  // replica ratio: revisions (I2)
  std::vector<Write> pass_writes_, previous_pass_writes_;
  // statusBasis at the start of this pass, and at the start and end of the previous complete one.
  std::string basis_start_, previous_basis_start_, previous_basis_end_;
  int serving_before_ = -1;
  bool external_since_pass_ = true;
};

}  // namespace mr::safety
