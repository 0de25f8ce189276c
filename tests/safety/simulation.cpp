#include "safety/simulation.h"

#include <algorithm>
#include <cstdio>

#include "rollout/conditions.h"
#include "rollout/status_json.h"
#include "traffic/replica_ratio_router.h"
#include "traffic/traffic_router.h"

namespace mr::safety {
namespace {

using rollout::Phase;

bool deadlineReported(const rollout::RolloutStatus& s) {
  for (const auto& c : s.conditions) {
    if (c.type == rollout::kCondProgressing && c.status == "False" &&
        c.reason == "ProgressDeadlineExceeded") {
      return true;
    }
  }
  return false;
}

bool isSettled(const rollout::RolloutStatus& s) {
  if (!s.phase) return false;
  switch (*s.phase) {
    case Phase::kHealthy:
    case Phase::kRolledBack:
    case Phase::kPaused:
      return true;
    case Phase::kDegraded:
      return !s.message.empty();
    default:
      // A promotion past its progress deadline stops with Progressing=False/
      // ProgressDeadlineExceeded and the pods' reason: the user decides (revert or fix the
      // pods), as for Degraded; it must then write nothing (docs/safety-sim.md, I5).
      return deadlineReported(s);
  }
}

std::string phaseOf(const rollout::RolloutStatus& s) {
  return s.phase ? rollout::phaseName(*s.phase) : "none";
}

// The phase and the canary it is about: a flip between two canaries is not a flip.
std::string phaseKey(const rollout::RolloutStatus& s) {
  return phaseOf(s) + (s.canary_revision.empty() ? "" : "(" + s.canary_revision + ")");
}

bool isVerdictRollback(const rollout::PlanInput& in, const rollout::Plan& p) {
  if (in.status.canary_revision.empty() || !p.status.canary_revision.empty()) return false;
  if (p.status.phase != Phase::kRolledBack || p.status.history.empty()) return false;
  const auto& last = p.status.history.back();
  if (!in.status.history.empty() && in.status.history.back() == last) return false;
  return last.reason == "AnalysisFailed" || last.reason == "InconclusiveLimit";
}

}  // namespace

Simulation::Simulation(const HistoryConfig& config, const SimOptions& options)
    : options_(options), c_(config), checker_(c_) {
  checker_.reportTo(&violations_);
  if (c_.routed()) c_.route = {true, 0};
  rebuildSpec();
}

void Simulation::rebuildSpec() {
  spec_ = buildSpec(c_.spec, c_.routing);
}

void Simulation::crash(int instance) {
  inst_[instance] = Instance{};
  externalEvent();
}

void Simulation::write(Field f, const std::string& before, const std::string& after, const char* by,
                       bool new_basis) {
  checker_.onWrite({f, before, after, by, new_basis}, writer_, leader_);
  ++pass_writes_;
}

void Simulation::ensureDeployment(SimDeployment& d, bool stable, int replicas,
                                  const std::string& rev, const char* by) {
  const Field rev_field = stable ? Field::kStableRev : Field::kCanaryRev;
  const Field rep_field = stable ? Field::kStableReplicas : Field::kCanaryReplicas;
  if (!d.exists) {
    d = SimDeployment{};
    d.exists = true;
    d.rev = rev;
    d.replicas = replicas;
    d.generation = 1;
    write(rev_field, "absent", rev, by);
    write(rep_field, "absent", std::to_string(replicas), by);
    if (stable) checker_.onStableTemplate("", rev);
  } else {
    if (d.rev != rev) {
      write(rev_field, d.rev, rev, by);
      if (stable) checker_.onStableTemplate(d.rev, rev);
      d.rev = rev;
      ++d.generation;
    }
    if (d.replicas != replicas) {
      write(rep_field, std::to_string(d.replicas), std::to_string(replicas), by);
      d.replicas = replicas;
      ++d.generation;
    }
  }
  c_.syncDeployment(d);
}

bool Simulation::applyAction(const rollout::Action& action, rollout::Plan& p, bool status_stored) {
  using namespace rollout;
  Instance& inst = inst_[writer_];
  if (const auto* a = std::get_if<StartAnalysis>(&action)) {
    if (!inst.in_flight) {
      inst.in_flight = true;
      inst.request = *a;
      checker_.onCheckStarted(a->canary_revision, spec_);
    }
    return true;
  }
  // The reconciler's applyActions: SetWeight needs the pass's router, object actions other
  // than ScaleCanary a valid spec ("object action without a valid spec"); else it fails.
  if (const auto* a = std::get_if<SetWeight>(&action)) {
    if (!router_) return false;
    if (c_.routed()) {
      if (!c_.route.exists) return false;  // NotFound
      if (c_.route.weight != a->percent) {
        write(Field::kRouteWeight, std::to_string(c_.route.weight), std::to_string(a->percent),
              "SetWeight");
        c_.route.weight = a->percent;
      }
      return true;
    }
    // Replica ratio (ReplicaRatioRouter::setWeight): writes nothing, reports the weight the
    // ready pods of both Deployments give (a missing Deployment has none). The planner alone
    // sets the canary's replicas.
    const std::optional<int> read = c_.replicaRatioWeight();
    if (read && !status_stored) p.status.canary_weight = *read;
    return true;
  }
  if (!std::holds_alternative<RecordEvent>(action) &&
      !std::holds_alternative<RemoveAnnotation>(action) &&
      !std::holds_alternative<ScaleCanary>(action) && !spec_.ok()) {
    return false;  // ScaleCanary needs no spec
  }
  if (const auto* a = std::get_if<EnsureStable>(&action)) {
    ensureDeployment(c_.stable, true, a->replicas, a->revision, "EnsureStable");
    return true;
  }
  if (const auto* a = std::get_if<EnsureCanary>(&action)) {
    ensureDeployment(c_.canary, false, a->replicas, a->revision, "EnsureCanary");
    return true;
  }
  if (const auto* a = std::get_if<ScaleCanary>(&action)) {
    if (c_.canary.exists && c_.canary.replicas != a->replicas) {
      write(Field::kCanaryReplicas, std::to_string(c_.canary.replicas), std::to_string(a->replicas),
            "ScaleCanary");
      c_.canary.replicas = a->replicas;
      ++c_.canary.generation;
      c_.syncDeployment(c_.canary);
    }
    return true;
  }
  if (const auto* a = std::get_if<EnsureServices>(&action)) {
    auto& s = c_.services;
    if (!s.stable || s.stable_sel != a->stable_revision) {
      write(Field::kStableSelector, s.stable ? s.stable_sel : "absent", a->stable_revision,
            "EnsureServices");
      s.stable = true;
      s.stable_sel = a->stable_revision;
    }
    if (!s.canary || s.canary_sel != a->canary_revision) {
      write(Field::kCanarySelector, s.canary ? s.canary_sel : "absent", a->canary_revision,
            "EnsureServices");
      s.canary = true;
      s.canary_sel = a->canary_revision;
    }
    s.root = true;
    return true;
  }
  if (const auto* a = std::get_if<RemoveAnnotation>(&action); a && a->ignored) {
    // Acknowledged without effect: removed in place, first (planner.h).
    if (c_.annotations.erase(a->key)) write(Field::kAnnotations, a->key, "", "RemoveAnnotation");
    return true;
  }
  return true;  // RecordEvent; RemoveAnnotation is applied after the status write
}

Simulation::PassOutcome Simulation::runPass(int cut, Cut how) {
  ++passes_;
  const int me = leader_;
  writer_ = me;
  pass_writes_ = 0;
  checker_.beginPass();
  Instance& inst = inst_[me];
  rollout::PlanInput in;
  in.spec = std::move(spec_);  // moved back right after plan(): no copy of the template
  in.generation = c_.generation;
  in.annotations = c_.annotations;
  in.status = c_.status;
  // modelrollout_reconciler.cpp builds the router (reads the route) for a valid spec, or an
  // invalid one whose spec.trafficRouting is a routed one.
  const bool invalid_routed = !spec_.ok() && spec_.traffic_routing &&
                              spec_.traffic_routing->kind != rollout::RouterKind::kReplicaRatio;
  router_ = spec_.ok() || invalid_routed;
  in.world = c_.observe(router_);
  in.latest_analysis = inst.latest;
  in.analysis_in_flight = inst.in_flight;
  in.now = c_.now();
  rollout::Plan p = rollout::plan(in);
  spec_ = std::move(in.spec);
  if (options_.trace) {
    std::fprintf(stderr, "  pass %d by instance %d at t=%llds: %s -> %s%s\n", passes_, me,
                 static_cast<long long>(c_.now_ms / 1000), phaseOf(in.status).c_str(),
                 phaseOf(p.status).c_str(), p.status == in.status ? "" : " (status changes)");
    if (!(p.status == in.status)) {
      const auto before = rollout::statusToJson(in.status);
      const auto after = rollout::statusToJson(p.status);
      for (auto it = after.begin(); it != after.end(); ++it) {
        if (!before.contains(it.key()) || before[it.key()] != it.value()) {
          std::fprintf(stderr, "    status.%s -> %s\n", it.key().c_str(),
                       it.value().dump().c_str());
        }
      }
    }
    for (const auto& a : p.actions)
      std::fprintf(stderr, "    %s\n", rollout::describe(a).c_str());
    for (const auto& a : p.after_status)
      std::fprintf(stderr, "    after status: %s\n", rollout::describe(a).c_str());
  }
  const bool verdict_rollback = isVerdictRollback(in, p);

  // The ops of a pass, in the reconciler's order.
  enum class OpKind { kAction, kStatus, kAfter, kAnnotations };
  struct Op {
    OpKind kind;
    const rollout::Action* action;
  };
  std::vector<Op> ops;
  std::vector<std::string> remove;
  for (const auto& a : p.actions) {
    if (const auto* r = std::get_if<rollout::RemoveAnnotation>(&a); r && !r->ignored) {
      remove.push_back(r->key);
    } else {
      ops.push_back({OpKind::kAction, &a});
    }
  }
  ops.push_back({OpKind::kStatus, nullptr});
  for (const auto& a : p.after_status)
    ops.push_back({OpKind::kAfter, &a});
  if (!remove.empty()) ops.push_back({OpKind::kAnnotations, nullptr});

  const int total = static_cast<int>(ops.size());
  const int stop = how == Cut::kNone ? total + 1 : cut % (total + 1);
  PassOutcome out;
  bool after_failed = false;
  bool rollback_marked = false;
  auto finish = [&](bool complete) {
    checker_.endPass(complete);
    if (complete) checker_.checkTraffic(spec_, Checker::When::kPassEnd);
    out.complete = complete;
    out.writes = pass_writes_;
    out.requeue = p.requeue_after;
    return out;
  };
  for (int i = 0; i <= total; ++i) {
    if (i == stop) {
      if (how == Cut::kCrash) {
        crash(me);
        return finish(false);
      }
      if (how == Cut::kApiError) {
        externalEvent();
        return finish(false);
      }
      if (how == Cut::kLease) {
        leader_ = 1 - me;
        externalEvent();
        if (options_.leader_fenced) {
          crash(me);
          return finish(false);
        }
      }
    }
    if (i == total) break;
    const Op& op = ops[i];
    // Acted upon: the first op that writes (the status, with status-first rollbacks). Events
    // go out after the status write in the reconciler, a check's start writes nothing, and
    // removing an annotation acknowledged without effect (first in any pass that has one) is
    // no part of the rollback (seed 820808 of the --seed 1 run: a lease lost right after it is no
    // rollback).
    const auto* removal = op.action ? std::get_if<rollout::RemoveAnnotation>(op.action) : nullptr;
    if (verdict_rollback && !rollback_marked &&
        !(op.action && (std::holds_alternative<rollout::RecordEvent>(*op.action) ||
                        std::holds_alternative<rollout::StartAnalysis>(*op.action) ||
                        (removal && removal->ignored)))) {
      rollback_marked = true;
      checker_.onVerdictRollback(in.status.canary_revision);
    }
    switch (op.kind) {
      case OpKind::kAction:
        if (!applyAction(*op.action, p, false)) {
          externalEvent();
          return finish(false);
        }
        break;
      case OpKind::kStatus:
        if (!(p.status == in.status)) {
          const rollout::RolloutStatus stored =
              options_.status_roundtrip ? rollout::statusFromJson(rollout::statusToJson(p.status))
                                        : p.status;
          const bool new_basis = statusBasis(stored) != statusBasis(c_.status);
          if (phaseKey(stored) != phaseKey(c_.status)) {
            write(Field::kStatusPhase, phaseKey(c_.status), phaseKey(stored), "status write",
                  new_basis);
          } else {
            write(Field::kStatusOther, "", "", "status write", new_basis);
          }
          c_.status = stored;
          checker_.onStatusStored(c_.status, spec_);
        }
        break;
      case OpKind::kAfter:
        if (!after_failed && !applyAction(*op.action, p, true)) after_failed = true;
        break;
      case OpKind::kAnnotations:
        for (const auto& key : remove) {
          if (c_.annotations.erase(key)) write(Field::kAnnotations, key, "", "RemoveAnnotation");
        }
        break;
    }
    if (op.action) {
      const rollout::Action& a = *op.action;
      using rollout::EnsureCanary, rollout::ScaleCanary, rollout::SetWeight;
      const bool scales_canary =
          std::holds_alternative<EnsureCanary>(a) || std::holds_alternative<ScaleCanary>(a);
      // Replica ratio: SetWeight writes nothing (it reports the pods' weight); the traffic
      // changes with the canary Deployment's writes.
      if (c_.routed() ? std::holds_alternative<SetWeight>(a) : scales_canary) {
        checker_.checkTraffic(spec_, Checker::When::kAfterWeight);
      }
      if (std::holds_alternative<rollout::EnsureServices>(a)) {
        checker_.checkTraffic(spec_, Checker::When::kAfterServices);
      }
    }
  }
  const bool handed_over = me != leader_;
  if (after_failed) externalEvent();
  PassOutcome result = finish(!after_failed);
  if (handed_over) crash(me);  // drained its pass after losing the lease; it stops now
  // User intent still pending (abort and retry set together, a promote kept until a check
  // passes): the next pass may act on it, which is not an undo of this one (I4).
  if (!c_.annotations.empty()) externalEvent();
  return result;
}

analysis::Verdict Simulation::oracle(const std::string& rev, int draw) const {
  using analysis::Verdict;
  if (c_.traitOf(rev) == Trait::kBadMetrics) {
    return draw < 70   ? Verdict::kFail
           : draw < 85 ? Verdict::kInconclusive
           : draw < 92 ? Verdict::kError
                       : Verdict::kPass;
  }
  return draw < 75   ? Verdict::kPass
         : draw < 87 ? Verdict::kInconclusive
         : draw < 94 ? Verdict::kError
                     : Verdict::kFail;
}

void Simulation::deliverAnalysis(Instance& inst, analysis::Verdict v) {
  analysis::AnalysisResult r;
  r.verdict = v;
  r.time = c_.now();
  r.canary_revision = inst.request->canary_revision;
  r.step = inst.request->step;
  r.evidence_since = inst.request->evidence_since;  // as the reconciler echoes the request's
  r.step_entry = inst.request->step_entry;
  r.message = "oracle";
  inst.latest = r;
  inst.in_flight = false;
  inst.request.reset();
  if (v == analysis::Verdict::kPass) checker_.onPassDelivered(r.canary_revision, spec_);
  externalEvent();
}

void Simulation::apply(const Event& e) {
  if (options_.trace) std::fprintf(stderr, "event: %s\n", describe(e).c_str());
  auto edited = [&] {
    ++c_.generation;
    rebuildSpec();
    externalEvent();
  };
  switch (e.kind) {
    case EventKind::kReconcile:
      runPass(e.a, e.a < 0 ? Cut::kNone : e.b == 0 ? Cut::kCrash : Cut::kApiError);
      return;
    case EventKind::kTick:
      c_.now_ms += static_cast<std::int64_t>(e.a) * 1000;
      if (c_.kubelet()) externalEvent();
      break;
    case EventKind::kPodCrash: {
      SimDeployment& d = e.a ? c_.canary : c_.stable;
      if (!d.exists || d.pods.empty()) break;
      SimPod& pod = d.pods[static_cast<size_t>(e.b) % d.pods.size()];
      if (!pod.ready) break;
      pod.ready = false;
      const Trait t = c_.traitOf(pod.rev);
      pod.ready_at =
          t == Trait::kCrashLoop || t == Trait::kUnschedulable ? kNever : c_.now_ms + 30000;
      c_.syncDeployment(d);
      externalEvent();
      break;
    }
    case EventKind::kAnalysisDone:
      for (int i : {leader_, 1 - leader_}) {
        if (inst_[i].in_flight && inst_[i].request) {
          deliverAnalysis(inst_[i], oracle(inst_[i].request->canary_revision, e.a));
          break;
        }
      }
      break;
    case EventKind::kEditTemplate:
      if (c_.spec.tmpl == e.a) break;
      c_.spec.tmpl = e.a;
      checker_.onUserTemplate(templateRevision(e.a));
      edited();
      break;
    case EventKind::kEditSteps:
      c_.spec.steps = e.a;
      edited();
      break;
    case EventKind::kEditPaused:
      c_.spec.paused = e.a != 0;
      edited();
      break;
    case EventKind::kEditAnalysis:
      c_.spec.analysis = e.a;
      edited();
      break;
    case EventKind::kEditReplicas:
      c_.spec.replicas = e.a;
      edited();
      break;
    case EventKind::kEditInvalid:
      c_.spec.invalid = e.a != 0;
      edited();
      break;
    case EventKind::kAnnotate: {
      static const char* keys[] = {rollout::kAnnotationPromote, rollout::kAnnotationPromote,
                                   rollout::kAnnotationAbort, rollout::kAnnotationRetry};
      c_.annotations[keys[e.a & 3]] = (e.a & 3) == 1 ? "full" : "true";
      if ((e.a & 3) == 3) checker_.onUserRetry();
      externalEvent();
      break;
    }
    case EventKind::kRouteEdit:
      if (c_.routed()) {
        if (c_.route.exists) c_.route.weight = e.a;
      } else if (c_.canary.exists) {
        c_.canary.replicas = e.a % 11;
        ++c_.canary.generation;
        c_.syncDeployment(c_.canary);
      }
      externalEvent();
      break;
    case EventKind::kRouteDelete:
      if (c_.routed()) c_.route.exists = false;
      externalEvent();
      break;
    case EventKind::kRouteCreate:
      if (c_.routed() && !c_.route.exists) c_.route = {true, e.a};
      externalEvent();
      break;
    case EventKind::kLeaderChange:
      if (e.a < 0) {
        crash(leader_);  // the old leader exits between passes
        leader_ = 1 - leader_;
      } else {
        runPass(e.a, Cut::kLease);
      }
      break;
  }
  checker_.noteIntent(spec_);
}

void Simulation::settle() {
  if (options_.trace) std::fprintf(stderr, "quiet phase\n");
  bool settled = false;
  // The bound counts passes since the kubelet last made progress (slow pods of a big rolling
  // update legitimately take many polls), with a hard cap.
  int idle = 0;
  for (int i = 0; i < 10 * options_.max_settle_passes && idle < options_.max_settle_passes &&
                  violations_.size() < 32;
       ++i, ++idle) {
    const PassOutcome out = runPass(-1, Cut::kNone);
    const bool quiet_phase = isSettled(c_.status);
    Instance& inst = inst_[leader_];
    bool delivered = false;
    if (!quiet_phase && inst.in_flight && inst.request) {
      const bool bad = c_.traitOf(inst.request->canary_revision) == Trait::kBadMetrics;
      deliverAnalysis(inst, bad ? analysis::Verdict::kFail : analysis::Verdict::kPass);
      delivered = true;
    }
    if (quiet_phase && out.complete && out.writes == 0 && !c_.nextReadyAt()) {
      settled = true;
      break;
    }
    std::int64_t dt = 600000;
    if (out.requeue) dt = std::min<std::int64_t>(dt, out.requeue->count());
    if (delivered) dt = std::min<std::int64_t>(dt, 1000);
    if (auto next = c_.nextReadyAt()) dt = std::min(dt, *next - c_.now_ms);
    c_.now_ms += std::max<std::int64_t>(dt, 1);
    if (c_.kubelet()) {
      idle = 0;
      externalEvent();  // a pod became ready: news the next pass may act on (I4), as in kTick
    }
  }
  if (!settled) {
    violations_.push_back({4, "does not settle with no new events (phase " + phaseOf(c_.status) +
                                  ") | " + std::to_string(options_.max_settle_passes) +
                                  " passes without pod progress: \"" + c_.status.message + "\""});
    return;
  }
  for (int j = 0; j < 3; ++j) {
    c_.now_ms += 600000;
    c_.kubelet();
    const bool reported = deadlineReported(c_.status);
    const PassOutcome out = runPass(-1, Cut::kNone);
    // A progress deadline that was still running (status.waitingSince, e.g. while Degraded by
    // a missing route) fires by itself: its one write (condition, Event) is a timer, not churn.
    if (out.writes > 0 && !reported && deadlineReported(c_.status)) continue;
    if (out.writes > 0) {
      const auto& w = checker_.passWrites();
      const std::string first = w.empty() ? std::string("?")
                                          : std::string(fieldName(w.front().field)) + " " +
                                                w.front().before + " -> " + w.front().after +
                                                " by " + w.front().by;
      violations_.push_back(
          {4, "a settled rollout (phase " + phaseOf(c_.status) + ") keeps writing | " + first});
      return;
    }
  }
}

}  // namespace mr::safety
