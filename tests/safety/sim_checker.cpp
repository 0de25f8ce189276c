#include "safety/sim_checker.h"

#include <map>
#include <set>

namespace mr::safety {

const char* invariantName(int i) {
  static const char* names[kInvariantCount] = {"I1", "I2", "I3", "I4", "I5", "I6"};
  return i >= 0 && i < kInvariantCount ? names[i] : "I?";
}

int invariantFromName(const std::string& name) {
  for (int i = 0; i < kInvariantCount; ++i)
    if (name == invariantName(i)) return i;
  return -1;
}

const char* fieldName(Field f) {
  switch (f) {
    case Field::kStableRev:
      return "stable Deployment template";
    case Field::kStableReplicas:
      return "stable Deployment replicas";
    case Field::kCanaryRev:
      return "canary Deployment template";
    case Field::kCanaryReplicas:
      return "canary Deployment replicas";
    case Field::kRouteWeight:
      return "route canary weight";
    case Field::kStableSelector:
      return "stable Service selector";
    case Field::kCanarySelector:
      return "canary Service selector";
    case Field::kStatusPhase:
      return "status.phase";
    case Field::kStatusOther:
      return "status";
    case Field::kAnnotations:
      return "annotations";
  }
  return "?";
}

std::string statusBasis(const rollout::RolloutStatus& s) {
  return (s.phase ? rollout::phaseName(*s.phase) : "none") + std::string("|") + s.canary_revision +
         "|" + std::to_string(s.current_step) + "|" + s.steps_fingerprint + "|" +
         std::to_string(s.step_weight);
}

void Checker::beginPass() {
  pass_writes_.clear();
  serving_before_ = servingEndpoints();
  basis_start_ = statusBasis(c_.status);
}

void Checker::fail(int invariant, const std::string& message) {
  if (!out_ || out_->size() >= 32) return;
  for (const auto& v : *out_)
    if (v.invariant == invariant && v.message == message) return;
  out_->push_back({invariant, message});
}

int Checker::replicasFor(const rollout::SpecParseResult& spec, int weight) const {
  (void)spec;
  return rollout::canaryReplicasFor(last_replicas_, weight);
}

int Checker::servingEndpoints() const {
  // Replica ratio: the stable pods (a failed or promoted canary's pods leave by design).
  if (!c_.routed()) return c_.stable.exists ? c_.stable.ready() : 0;
  const int w = c_.route.exists ? c_.route.weight : 0;
  if (w >= 100 || !c_.services.stable || !c_.stable.exists) return -1;
  const auto& sel = c_.services.stable_sel;
  return sel.empty() ? c_.stable.ready() : c_.stable.readyOf(sel);
}

void Checker::onWrite(const Write& w, int writer, int leader) {
  if (writer != leader) {
    fail(5, std::string("a controller wrote after losing the lease | ") + fieldName(w.field) +
                ", instance " + std::to_string(writer) + ": " + w.before + " -> " + w.after +
                " by " + w.by + " while instance " + std::to_string(leader) + " holds the lease");
  }
  pass_writes_.push_back(w);
}

void Checker::onStatusStored(const rollout::RolloutStatus& s,
                             const rollout::SpecParseResult& spec) {
  if (s.canary_revision.empty()) {
    recorded_weight_ = 0;
    step_key_.clear();
    return;
  }
  if (!spec.ok() || !spec.spec) return;
  const auto& steps = spec.spec->steps;
  if (s.current_step >= static_cast<int>(steps.size()) && !c_.routed()) {
    // Replica ratio, promoting: the canary's pods are of the revision being promoted (approved
    // by a Pass at the last step or a promote annotation, I2), which takes all traffic next;
    // the planner leaves the canary Deployment alone until stable is available.
    step_key_ = s.canary_revision + "|promoting";
    recorded_weight_ = 100;
    return;
  }
  if (s.current_step < 0 || s.current_step >= static_cast<int>(steps.size())) return;  // promoting
  // A re-entry after an edit of spec.steps (a new status.stepsFingerprint) is a new step
  // entry: the planner stores it with a fresh hold and a fresh check, and its weight then
  // follows the route's (reenterAfterStepsEdit), so it counts as recorded.
  const std::string key =
      s.canary_revision + "|" + std::to_string(s.current_step) + "|" + s.steps_fingerprint;
  if (key != step_key_) {
    step_key_ = key;
    recorded_weight_ = steps[s.current_step].weight;
  }
}

void Checker::onStableTemplate(const std::string& from, const std::string& to) {
  if (approved_.empty()) {
    approved_.insert(to);  // first deploy
    return;
  }
  if (!approved_.count(to) && !qualified_.count(to)) {
    fail(1,
         "stable Deployment takes a revision without a passing check at the last step's "
         "weight or a promote annotation | revision " +
             to + " (was " + (from.empty() ? "absent" : from) + ")");
  }
  approved_.insert(to);
}

namespace {

// The canary weight revision `rev` serves now; replica ratio: -1 (judged by pods instead).
int servedWeight(const SimCluster& c, const std::string& rev) {
  if (!c.route.exists || !c.canary.exists || c.canary.rev != rev || !c.services.canary) return 0;
  if (!c.services.canary_sel.empty() && c.services.canary_sel != rev) return 0;
  return c.route.weight;
}

}  // namespace

void Checker::onCheckStarted(const std::string& rev, const rollout::SpecParseResult& spec) {
  if (c_.routed() || !spec.ok() || !spec.spec) return;
  const int replicas = acted_replicas_ > 0 ? acted_replicas_ : last_replicas_;
  const int need = rollout::canaryReplicasFor(replicas, spec.spec->steps.back().weight);
  if (c_.canary.exists && c_.canary.readyOf(rev) >= need) {
    covered_at_check_start_.insert(rev);
  } else {
    covered_at_check_start_.erase(rev);
  }
}

void Checker::onPassDelivered(const std::string& rev, const rollout::SpecParseResult& spec) {
  if (!spec.ok() || !spec.spec) return;
  const int last = spec.spec->steps.back().weight;
  // Replica ratio: the pods the last step asks for with spec.replicas as the controller last
  // read it (it sized the canary from that), as the route's weight is what routed traffic
  // served. Not spec.replicas of an edit no pass has read yet (seed 20507255: spec.replicas
  // 1 -> 2 -> 1 around the Pass; the canary's one pod served the 100% step all along).
  const int replicas = acted_replicas_ > 0 ? acted_replicas_ : last_replicas_;
  const int need = rollout::canaryReplicasFor(replicas, last);
  // A routed Pass qualifies by the route's weight, whatever pods crashed while the check ran
  // (the gateway sends the share to the pods left). The replica-ratio counterpart of that
  // weight is the canary Deployment's size: pods ready for the last step when the check
  // started, and the Deployment still sized for it, qualify a Pass that arrives while a pod
  // is down for a crash (seeds 102344350, 102810760: a 30 s dip between two passes, which no
  // pass could see; the check reads evidence over its whole range, not the moment it ends).
  const bool sized = c_.canary.exists && c_.canary.rev == rev && c_.canary.replicas >= need &&
                     covered_at_check_start_.count(rev) > 0;
  if (c_.routed() ? servedWeight(c_, rev) >= last
                  : c_.canary.exists && (c_.canary.readyOf(rev) >= need || sized)) {
    qualified_.insert(rev);
  }
}

void Checker::noteIntent(const rollout::SpecParseResult& spec) {
  // spec.replicas as the user has it now (an invalid spec's too, when that field is valid).
  if (spec.ok() && spec.spec) {
    last_replicas_ = spec.spec->replicas;
  } else if (spec.replicas) {
    last_replicas_ = *spec.replicas;
  }
  if (c_.annotations.count(rollout::kAnnotationPromote)) {
    if (!c_.status.canary_revision.empty()) qualified_.insert(c_.status.canary_revision);
    qualified_.insert(templateRevision(c_.spec.tmpl));
  }
  if (!spec.ok() || !spec.spec || spec.spec->analysis) return;
  const auto& s = c_.status;
  const int last_index = static_cast<int>(spec.spec->steps.size()) - 1;
  const int last = spec.spec->steps.back().weight;
  // The stored step is the last one, or one entered at the last step's weight (before an edit
  // of spec.steps: the canary served that weight under it all the same).
  const bool at_last = s.current_step == last_index || (s.step_weight == last && s.step_started_at);
  if (s.canary_revision.empty() || !at_last) return;
  if (c_.routed() ? servedWeight(c_, s.canary_revision) >= last
                  : c_.canary.readyOf(s.canary_revision) >= replicasFor(spec, last)) {
    qualified_.insert(s.canary_revision);
  }
}

void Checker::checkTraffic(const rollout::SpecParseResult& spec, When when) {
  noteIntent(spec);
  acted_replicas_ = last_replicas_;  // called in passes only: the controller read this spec
  const bool pass_end = when == When::kPassEnd;
  const bool i1 = when != When::kAfterServices;
  const auto& s = c_.status;
  const std::string phase = s.phase ? rollout::phaseName(*s.phase) : "none";
  const std::string where = " (status: phase " +
                            std::string(s.phase ? rollout::phaseName(*s.phase) : "none") +
                            ", step " + std::to_string(s.current_step) + ", canary " +
                            (s.canary_revision.empty() ? "none" : s.canary_revision) + ")";
  if (!i1) {
    // I3 only.
  } else if (c_.routed()) {
    const int w = c_.route.exists ? c_.route.weight : 0;
    if (w > recorded_weight_) {
      fail(0, "route gives the canary more than the step recorded in status (" + phase + ") | " +
                  std::to_string(w) + "% > " + std::to_string(recorded_weight_) + "%" + where);
    }
    if (pass_end && w > 0) {
      const std::string& rev = c_.canary.rev;
      const bool selects =
          c_.services.canary && (c_.services.canary_sel.empty() || c_.services.canary_sel == rev);
      const int own = c_.canary.exists && selects ? c_.canary.readyOf(rev) : 0;
      const int need = replicasFor(spec, w);
      if (own < need) {
        fail(0, "route gives the canary a weight its own ready pods do not cover (" + phase +
                    ") | " + std::to_string(w) + "% with " + std::to_string(own) +
                    " ready pods of " + rev + ", " + std::to_string(need) + " needed" + where);
      }
    }
  } else if (c_.canary.exists) {
    const int allowed = replicasFor(spec, recorded_weight_);
    const int ready = c_.canary.ready();
    const bool promoting = step_key_.ends_with("|promoting");  // every pod of it is approved
    if (ready > allowed && !promoting) {
      fail(0, "replica ratio: more ready canary pods than the step recorded in status allows (" +
                  phase + ") | " + std::to_string(ready) + " > " + std::to_string(allowed) + where);
    }
    if (pass_end && ready > c_.canary.readyOf(c_.canary.rev)) {
      fail(0, "replica ratio: ready canary pods of an older revision serve traffic (" + phase +
                  ") | canary "
                  "template " +
                  c_.canary.rev + where);
    }
  }
  for (const auto& rev : failed_) {
    bool traffic = false;
    if (c_.routed()) {
      traffic = c_.route.exists && c_.route.weight > 0 && c_.services.canary &&
                (c_.services.canary_sel.empty() || c_.services.canary_sel == rev) &&
                c_.canary.exists && c_.canary.readyOf(rev) > 0;
    } else {
      traffic = c_.canary.exists && c_.canary.readyOf(rev) > 0;
    }
    if (traffic) {
      fail(2, "a revision rolled back for a failed verdict serves canary traffic again | " + rev +
                  " (" +
                  (c_.routed() ? "route " + std::to_string(c_.route.weight) + "%"
                               : std::to_string(c_.canary.readyOf(rev)) + " ready pods") +
                  ")" + where);
    }
  }
}

namespace {

// The template field of the Deployment whose replicas `f` is (kStatusOther when none).
Field templateOf(Field f) {
  if (f == Field::kCanaryReplicas) return Field::kCanaryRev;
  if (f == Field::kStableReplicas) return Field::kStableRev;
  return Field::kStatusOther;
}

bool wrote(const std::vector<Write>& writes, Field f) {
  for (const auto& w : writes)
    if (w.field == f) return true;
  return false;
}

}  // namespace

void Checker::endPass(bool complete) {
  // Net change per field in this pass, and two writers of one field within it.
  std::map<Field, std::pair<std::string, std::string>> net;
  std::map<Field, const Write*> first;
  std::map<Field, std::set<std::string>> seen;  // values a field had in this pass
  // Fields whose last write in this pass follows a status write of this pass that stored a new
  // step or phase (they follow that stored status, planner.h: status first).
  std::set<Field> after_stored;
  bool stored = false;
  for (const auto& w : pass_writes_) {
    // A status write changing the stored step or phase: what a field may be starts anew.
    if (w.new_basis) {
      seen.clear();
      after_stored.clear();
      stored = true;
    } else if (stored) {
      after_stored.insert(w.field);
    } else {
      after_stored.erase(w.field);
    }
    auto [it, inserted] = net.try_emplace(w.field, w.before, w.after);
    auto& values = seen[w.field];
    const bool back = values.count(w.after) > 0;
    values.insert(w.before);
    values.insert(w.after);
    if (!inserted) {
      const Write* f = first[w.field];
      // Scaling a Deployment to 0 and back while its template changes replaces its pods: one
      // writer with a purpose, not two.
      const Field tmpl = templateOf(w.field);
      const bool replaced = tmpl != Field::kStatusOther && wrote(pass_writes_, tmpl);
      if (w.field != Field::kStatusOther && w.field != Field::kStatusPhase &&
          w.field != Field::kAnnotations && w.after != f->after && back && !replaced) {
        fail(3, std::string(fieldName(w.field)) + " written twice in one pass (" + f->by +
                    ", then " + w.by + ") | " + f->before + " -> " + f->after + " -> " + w.after);
      }
      it->second.second = w.after;
    } else {
      first[w.field] = &w;
    }
  }
  // A pass that changes a Deployment's revision starts something new (a canary, a promotion):
  // what it writes is not an undo of the previous pass.
  const bool new_revision = wrote(pass_writes_, Field::kCanaryRev) ||
                            wrote(pass_writes_, Field::kStableRev) ||
                            wrote(previous_pass_writes_, Field::kCanaryRev) ||
                            wrote(previous_pass_writes_, Field::kStableRev);
  // The previous pass stored a new step (or phase) and this one acts on it without going back:
  // the two-pass step entry (status first, then capacity and weight), not an undo.
  const std::string basis_end = statusBasis(c_.status);
  const bool acts_on_stored_step =
      previous_basis_start_ != previous_basis_end_ && basis_end != previous_basis_start_;
  // This pass stores a new step or phase (a hold or a progress deadline ran out: a timer) and
  // does not go back to where the previous pass started: what it writes after that status
  // write is the new step's (or the rollback's), not an undo.
  const bool stores_new_step = basis_start_ != basis_end && basis_end != previous_basis_start_;
  if (complete && !external_since_pass_ && !new_revision && !acts_on_stored_step) {
    std::map<Field, std::pair<std::string, std::string>> prev;
    for (const auto& w : previous_pass_writes_) {
      auto [it, inserted] = prev.try_emplace(w.field, w.before, w.after);
      if (!inserted) it->second.second = w.after;
    }
    for (const auto& [field, change] : net) {
      if (field == Field::kStatusOther || field == Field::kAnnotations) continue;
      auto it = prev.find(field);
      if (it == prev.end() || change.first == change.second) continue;
      if (stores_new_step && after_stored.count(field)) continue;
      const Field tmpl = templateOf(field);
      if (tmpl != Field::kStatusOther &&
          (wrote(pass_writes_, tmpl) || wrote(previous_pass_writes_, tmpl))) {
        continue;
      }
      if (change.first == it->second.second && change.second == it->second.first) {
        fail(3, std::string(fieldName(field)) + " flips back and forth with no new event | " +
                    it->second.first + " -> " + it->second.second + " in one pass, -> " +
                    change.second + " in the next");
      }
    }
  }
  if (complete) {
    const int after = servingEndpoints();
    const int floor = last_replicas_ - last_replicas_ * 25 / 100;
    if (serving_before_ >= 0 && after >= 0 && after < serving_before_ && after < floor) {
      fail(0, std::string(c_.routed() ? "the stable Service" : "the stable Deployment") +
                  " loses ready endpoints in a pass, below what a rolling update keeps | " +
                  std::to_string(serving_before_) + " -> " + std::to_string(after) + " (floor " +
                  std::to_string(floor) + ")");
    }
    previous_pass_writes_ = pass_writes_;
    previous_basis_start_ = basis_start_;
    previous_basis_end_ = basis_end;
    external_since_pass_ = false;
  } else {
    external_since_pass_ = true;
  }
}

}  // namespace mr::safety
