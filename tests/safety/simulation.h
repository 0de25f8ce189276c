// Safety simulation (issue 13): runs one history against the real planner (rollout::plan).
// The reconciler's side of the planner contract (planner.h) is implemented here, as
// modelrollout_reconciler.cpp does it, against the in-memory SimCluster:
//  - a pass builds PlanInput from the stored status, the spec, the annotations, the observed
//    world (observed_world.cpp / the routers' readWeight()) and the instance's in-memory
//    analysis tracker, calls plan(), applies `actions` in order (Ensure*: create or patch the
//    owned fields only when they differ; SetWeight through a modelled router with read-back;
//    replica ratio scales the canary and stores the effective weight in status before the
//    status write), writes the status only if it differs, then `after_status`, then removes the
//    acknowledged annotations;
//  - a pass may stop after any prefix of these ops: a controller crash (in-memory state lost,
//    API state kept), an API error (stop, memory kept), or a lease handover (the fenced old
//    leader stops writing at once and exits; with SimOptions::leader_fenced false it drains
//    its pass, as the runtime did before issue 13 item 10);
//  - two controller instances share the lease; analysis requests belong to the instance that
//    started them and the oracle answers them at random times (kAnalysisDone).
// After the events a quiet phase runs passes at their requeue times until the rollout settles
// (I5). Every write, status store and pass end goes through the Checker.
// Thread-safety: one Simulation per thread; distinct Simulations share nothing mutable.
#pragma once

#include <optional>
#include <vector>

#include "analysis/verdict.h"
#include "safety/sim_checker.h"
#include "safety/sim_model.h"

namespace mr::safety {

class Simulation {
 public:
  Simulation(const HistoryConfig& config, const SimOptions& options);

  void apply(const Event& e);
  void settle();  // the quiet phase (I5)
  const std::vector<Violation>& violations() const { return violations_; }
  const SimCluster& cluster() const { return c_; }
  int passes() const { return passes_; }

 private:
  struct Instance {
    std::optional<analysis::AnalysisResult> latest;
    bool in_flight = false;
    std::optional<rollout::StartAnalysis> request;
  };
  struct PassOutcome {
    bool complete = false;
    int writes = 0;
    std::optional<std::chrono::milliseconds> requeue;
  };
  enum class Cut { kNone, kCrash, kApiError, kLease };

  PassOutcome runPass(int cut, Cut how);
  // Applies one planner action. Returns false when it fails (the pass stops).
  bool applyAction(const rollout::Action& a, rollout::Plan& p, bool status_stored);
  void write(Field f, const std::string& before, const std::string& after, const char* by,
             bool new_basis = false);
  void ensureDeployment(SimDeployment& d, bool stable, int replicas, const std::string& rev,
                        const char* by);
  void deliverAnalysis(Instance& inst, analysis::Verdict v);
  analysis::Verdict oracle(const std::string& rev, int draw) const;
  void rebuildSpec();
  void crash(int instance);
  void externalEvent() { checker_.onExternalEvent(); }

  SimOptions options_;
  SimCluster c_;
  Checker checker_;
  rollout::SpecParseResult spec_;
  Instance inst_[2];
  int leader_ = 0;
  int writer_ = 0;      // instance running the current pass
  bool router_ = true;  // the current pass built a TrafficRouter (read the route)
  int passes_ = 0;
  int pass_writes_ = 0;
  std::vector<Violation> violations_;
};

}  // namespace mr::safety
