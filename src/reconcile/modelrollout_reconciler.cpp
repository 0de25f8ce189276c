#include "reconcile/modelrollout_reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "reconcile/analysis_request.h"
#include "reconcile/observed_world.h"
#include "rollout/scale_status.h"
#include "rollout/status_json.h"
#include "traffic/traffic_router.h"

namespace mr::reconcile {

using nlohmann::json;
using rollout::Role;

struct ModelRolloutReconciler::Pass {
  k8s::ObjectKey key;
  std::string key_string;
  std::shared_ptr<const json> object;
  rollout::ObjectMeta meta;
  rollout::PlanInput input;
  rollout::Plan plan;
  std::unique_ptr<traffic::TrafficRouter> router;
  rollout::RouterKind routing_kind = rollout::RouterKind::kReplicaRatio;  // of `router`
  ApplyContext apply_ctx;
  std::vector<rollout::RecordEvent> events;
  std::vector<std::string> annotations_to_remove;
  std::optional<std::chrono::milliseconds> status_deferred_for;
  std::map<std::string, std::shared_ptr<const json>> cache_reads;  // "plural/name" -> object
  std::string refused;  // ApplyContext::refused of this pass
  std::string refused_object;
};

namespace {

// True when `a` and `b` differ at most in the top-level message, condition messages and the
// observed pod counts (progress, written at most every progress_write_interval).
bool differsOnlyInMessages(rollout::RolloutStatus a, rollout::RolloutStatus b) {
  for (rollout::RolloutStatus* s : {&a, &b}) {
    s->message.clear();
    for (auto& c : s->conditions)
      c.message.clear();
    s->replicas = s->ready_replicas = s->available_replicas = 0;
    s->ready_display.clear();
  }
  return a == b;
}

// The observed pod counts, selector and display strings on the planned status
// (rollout/scale_status.h), from the same world the planner saw.
void fillScaleStatus(rollout::Plan& plan, const rollout::PlanInput& in, const json& object,
                     const std::string& name) {
  if (in.world.deleting) return;  // the status stays as stored while the GC removes the pods
  rollout::ScaleInputs scale;
  scale.rollout_name = name;
  if (in.spec.ok() && in.spec.spec) {
    scale.spec_selector = in.spec.spec->selector;
    scale.desired_replicas = in.spec.spec->replicas;
    scale.steps = static_cast<int>(in.spec.spec->steps.size());
  } else {
    const json::json_pointer selector("/spec/selector"), replicas("/spec/replicas");
    if (object.contains(selector)) scale.spec_selector = object.at(selector);
    if (object.contains(replicas) && object.at(replicas).is_number_integer()) {
      scale.desired_replicas = object.at(replicas).get<int>();
    }
  }
  rollout::setScaleStatus(plan.status, scale, in.world);
}

traffic::TrafficRoutingConfig routingConfig(const rollout::TrafficRouting& r) {
  traffic::TrafficRoutingConfig c;
  switch (r.kind) {
    case rollout::RouterKind::kReplicaRatio:
      c.kind = traffic::TrafficRoutingConfig::Kind::kReplicaRatio;
      break;
    case rollout::RouterKind::kGatewayApi:
      c.kind = traffic::TrafficRoutingConfig::Kind::kGatewayApi;
      break;
    case rollout::RouterKind::kIstio:
      c.kind = traffic::TrafficRoutingConfig::Kind::kIstio;
      break;
  }
  c.http_route = r.http_route;
  c.virtual_service = r.virtual_service;
  c.routes = r.routes;
  return c;
}

// spec.service.port as written (80 when absent or not a number), for a spec that did not parse.
int servicePortOf(const json& object) {
  const json::json_pointer ptr("/spec/service/port");
  return object.contains(ptr) && object.at(ptr).is_number_integer() ? object.at(ptr).get<int>()
                                                                    : 80;
}

analysis::AnalysisResult errorResult(const rollout::StartAnalysis& action, SystemTime now,
                                     const std::string& message) {
  analysis::AnalysisResult r;
  r.verdict = analysis::Verdict::kError;
  r.time = now;
  r.canary_revision = action.canary_revision;
  r.step = action.step;
  r.evidence_since = action.evidence_since;
  r.step_entry = action.step_entry;
  r.message = message;
  return r;
}

}  // namespace

ModelRolloutReconciler::ModelRolloutReconciler(ReconcilerDeps deps)
    : deps_(std::move(deps)),
      route_reads_(*deps_.api, deps_.route_cache, *deps_.clock, deps_.own_write_wait),
      applier_(*deps_.api),
      pod_reasons_(*deps_.api, *deps_.clock, deps_.pod_read_interval) {}

k8s::ReconcileResult ModelRolloutReconciler::reconcile(const k8s::ObjectKey& key) {
  Pass pass;
  pass.key = key;
  pass.key_string = key.toString();
  pass.object = deps_.cache(k8s::resources::modelRollouts(), key.ns, key.name);
  if (!pass.object) {
    // Deleted: owner references let the garbage collector remove the managed objects.
    tracker_.forget(pass.key_string);
    pod_reasons_.forget(key.ns, key.name);
    {
      std::lock_guard lock(refused_mu_);
      refused_.erase(pass.key_string);
    }
    {
      std::lock_guard lock(written_mu_);
      written_over_.erase(pass.key_string);
    }
    if (deps_.metrics) deps_.metrics->forget(key.ns, key.name);
    return k8s::ReconcileResult::done();
  }
  const json& obj = *pass.object;
  const std::string cached_rv = k8s::resourceVersionOf(obj);
  if (cacheBehindOwnWrite(pass.key_string, cached_rv)) {
    // The watch event of our write re-enqueues the key; this is only the fallback.
    return k8s::ReconcileResult::requeueAfter(std::chrono::milliseconds(200));
  }
  pass.meta = rollout::parseObjectMeta(obj);
  auto& in = pass.input;
  in.spec = rollout::parseSpec(obj.contains("spec") ? obj["spec"] : json::object());
  applyAnalysisPolicy(in.spec, deps_.prometheus_policy);
  in.generation = pass.meta.generation;
  in.annotations = pass.meta.annotations;
  in.status = rollout::statusFromJson(obj.contains("status") ? obj["status"] : json::object());
  // The stored status is what the rollout's metrics show until this pass stores a new one
  // (also when the pass fails, and after a restart).
  if (deps_.metrics) deps_.metrics->observe(key.ns, key.name, in.status);
  in.now = deps_.clock->now();
  auto& world = in.world;
  world.deleting = pass.meta.deleting;
  // Each cache read parses a packed object (k8s/packed_object.h), so a pass reads each owned
  // object once: the world below and the action applier share these copies.
  // Once status names a stable revision our objects exist, so one missing from the cache is
  // confirmed by a GET before the planner calls it missing: the informers of Services and
  // Deployments may not have delivered our own create yet (a spurious Warning
  // ManagedObjectRecreated in e2e 11-replica-ratio-promotion under load).
  // (The canary Deployment only while status names a canary: a Healthy pass reads no extra.)
  const bool created = !in.status.stable_revision.empty() && !pass.meta.deleting;
  const std::string canary_name = rollout::deploymentName(key.name, Role::kCanary);
  auto cached = [&](const k8s::ResourceType& type, const std::string& name) {
    auto [it, inserted] = pass.cache_reads.try_emplace(type.plural + "/" + name);
    if (!inserted) return it->second;
    it->second = deps_.cache(type, key.ns, name);
    const bool expected = created && (type != k8s::resources::deployments() ||
                                      name != canary_name || !in.status.canary_revision.empty());
    if (!it->second && expected) {
      auto live = deps_.api->get(type, key.ns, name);
      if (live.isOk()) it->second = std::make_shared<const json>(std::move(live).value());
    }
    return it->second;
  };
  const auto stable_dep =
      cached(k8s::resources::deployments(), rollout::deploymentName(key.name, Role::kStable));
  const auto canary_dep =
      cached(k8s::resources::deployments(), rollout::deploymentName(key.name, Role::kCanary));
  world.stable = observeDeployment(stable_dep.get());
  world.canary = observeDeployment(canary_dep.get());
  const auto& svc = k8s::resources::services();
  world.stable_service = cached(svc, rollout::serviceName(key.name, Role::kStable)) != nullptr;
  world.canary_service = cached(svc, rollout::serviceName(key.name, Role::kCanary)) != nullptr;
  world.root_service = cached(svc, rollout::rootServiceName(key.name)) != nullptr;

  // An invalid spec still reads (and may set to 0) the route named by its valid
  // spec.trafficRouting, so the planner can take a canary's traffic away (issue 13): mid-canary,
  // and with no canary in status (a RolledBack stored before its route write; found by the
  // safety simulation).
  const bool invalid_routed = !in.spec.ok() && in.spec.traffic_routing &&
                              in.spec.traffic_routing->kind != rollout::RouterKind::kReplicaRatio;
  if (!world.deleting && (in.spec.ok() || invalid_routed)) {
    const auto& routing = in.spec.ok() ? in.spec.spec->traffic_routing : *in.spec.traffic_routing;
    const int port = in.spec.ok() ? in.spec.spec->service.port : servicePortOf(obj);
    const int replicas = in.spec.ok() ? in.spec.spec->replicas : 1;
    pass.router = traffic::makeTrafficRouter(
        route_reads_, traffic::makeRouterTarget(key.ns, key.name, port, replicas),
        routingConfig(routing));
    pass.routing_kind = routing.kind;
    auto weight = pass.router->readWeight();
    if (weight.isOk()) {
      world.route_exists = true;
      world.route_weight = *weight;
      // A route that does not name our Services or shares our rule with another backend:
      // Degraded with the router's message instead of failing every pass (issue 13 item 9).
      const Status verified = pass.router->verifyLastRead();
      if (verified.code() == StatusCode::kInvalidArgument) {
        world.blocked_reason = "RouteInvalid";
        world.blocked_message = verified.message();
      }
    } else if (weight.status().code() == StatusCode::kNotFound) {
      world.route_exists = false;
    } else if (weight.status().code() == StatusCode::kPermissionDenied) {
      world.blocked_reason = "RouteForbidden";
      world.blocked_message = "reading " + pass.router->describe() + " is forbidden (" +
                              weight.status().message() +
                              "); grant the controller get/update on it (chart values "
                              "rbac.gatewayAPI / rbac.istio)";
    } else {
      return k8s::ReconcileResult::failed(
          weight.status().withContext("reading " + pass.router->describe()));
    }
  }
  if (!world.deleting) {
    // ScaleCanary needs no spec: an invalid one may still take a canary's pods away.
    pass.apply_ctx.owner = {key.name, key.ns, pass.meta.uid};
    pass.apply_ctx.deployments = [&](const std::string& n) {
      return cached(k8s::resources::deployments(), n);
    };
    pass.apply_ctx.services = [&](const std::string& n) { return cached(svc, n); };
    pass.apply_ctx.refused = &pass.refused;
    pass.apply_ctx.refused_object = &pass.refused_object;
  }
  if (in.spec.ok() && !world.deleting) {
    pass.apply_ctx.spec = &*in.spec.spec;
    if (world.blocked_reason.empty()) checkOwnership(pass);
  }
  if (in.spec.ok() && !world.deleting) readPodReasons(pass);
  const auto snapshot = tracker_.snapshot(pass.key_string);
  in.latest_analysis = snapshot.latest;
  in.analysis_in_flight = snapshot.in_flight;

  pass.plan = rollout::plan(in);
  fillScaleStatus(pass.plan, in, obj, key.name);

  if (Status s = applyActions(pass, pass.plan.actions, false); !s.isOk()) {
    if (pass.refused.empty()) return k8s::ReconcileResult::failed(s);
    // An existing object that is not ours (found by a create's AlreadyExists): plan again as
    // Degraded; that plan writes nothing but the status and its Event.
    noteRefused(pass.key_string, pass.refused_object, true);
    in.world.blocked_reason = "ObjectNotOwned";
    in.world.blocked_message = pass.refused;
    pass.events.clear();
    pass.annotations_to_remove.clear();
    pass.plan = rollout::plan(in);
    fillScaleStatus(pass.plan, in, obj, key.name);
    if (Status again = applyActions(pass, pass.plan.actions, false); !again.isOk()) {
      return k8s::ReconcileResult::failed(again);
    }
  }
  if (Status s = writeStatus(pass); !s.isOk()) return k8s::ReconcileResult::failed(s);
  // The status is stored: now what had to wait for it. If this fails the Events still go out
  // (they describe the stored status) and the retry finds the world behind the status and
  // repairs it (docs/lifecycle.md).
  const Status after = applyActions(pass, pass.plan.after_status, true);
  const Status finished = finishPass(pass);
  if (!after.isOk()) return k8s::ReconcileResult::failed(after);
  // A failed annotation removal goes through the queue's per-key backoff like any other error:
  // an immediate requeue re-sent a forbidden patch ~700 times a second (found in e2e, issue 15).
  if (!finished.isOk()) return k8s::ReconcileResult::failed(finished);

  std::chrono::milliseconds next = deps_.resync_period;
  if (pass.plan.requeue_after && *pass.plan.requeue_after < next) next = *pass.plan.requeue_after;
  if (pass.status_deferred_for && *pass.status_deferred_for < next) {
    next = *pass.status_deferred_for;
  }
  // The runtime drops a requeue of 0 (controller-runtime's rule), and with it the resync: a
  // deadline already past means "now", never "not again".
  return k8s::ReconcileResult::requeueAfter(std::max(next, std::chrono::milliseconds(1)));
}

Status ModelRolloutReconciler::applyActions(Pass& pass, const std::vector<rollout::Action>& actions,
                                            bool status_stored) {
  for (const auto& action : actions) {
    Status s = std::visit(
        [&](const auto& a) -> Status {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, rollout::RecordEvent>) {
            pass.events.push_back(a);
            return Status::ok();
          } else if constexpr (std::is_same_v<T, rollout::RemoveAnnotation>) {
            // Acknowledged without effect: removed now, before anything else (planner.h).
            if (a.ignored) return removeAnnotations(pass, {a.key});
            pass.annotations_to_remove.push_back(a.key);
            return Status::ok();
          } else if constexpr (std::is_same_v<T, rollout::StartAnalysis>) {
            startAnalysis(pass, a);
            return Status::ok();
          } else if constexpr (std::is_same_v<T, rollout::SetWeight>) {
            if (!pass.router) return internalError("SetWeight without a router");
            // The router's read-back comes from its write's response (no extra GET).
            auto read = pass.router->setWeight(a.percent);
            if (!read.isOk()) {
              return read.status().withContext("setting " + pass.router->describe() + " to " +
                                               std::to_string(a.percent) + "% canary");
            }
            if (deps_.metrics) deps_.metrics->write("route");
            const bool replica_ratio = pass.routing_kind == rollout::RouterKind::kReplicaRatio;
            if (replica_ratio) {
              // The effective weight follows ready pods; report what is true now (once the
              // status is stored, the next pass reports it).
              if (*read && !status_stored) pass.plan.status.canary_weight = **read;
            } else if (!*read || **read != a.percent) {
              return unavailable(pass.router->describe() + " read back " +
                                 (*read ? std::to_string(**read) + "%" : "no weight") +
                                 " after setting " + std::to_string(a.percent) + "%");
            }
            return Status::ok();
          } else {
            const bool needs_spec = !std::is_same_v<T, rollout::ScaleCanary>;
            if (needs_spec && !pass.apply_ctx.spec) {
              return internalError("object action without a valid spec");
            }
            if (!pass.apply_ctx.deployments) return internalError("object action while deleting");
            return applier_.apply(pass.apply_ctx, a);
          }
        },
        action);
    if (!s.isOk()) {
      spdlog::warn("{}: {} failed: {}", pass.key_string, rollout::describe(action), s.toString());
      return s;
    }
  }
  return Status::ok();
}

void ModelRolloutReconciler::readPodReasons(Pass& pass) {
  const auto& st = pass.input.status;
  const auto& spec = *pass.input.spec.spec;
  if (!st.waiting_since || st.canary_revision.empty()) return;
  const SystemTime deadline = *st.waiting_since + spec.progress_deadline;
  if (pass.input.now + deps_.pod_read_lead < deadline) return;
  // While promoting (currentStep past the last step) the stable Deployment is waited for.
  const bool promoting = st.current_step >= static_cast<int>(spec.steps.size());
  auto& deployment = promoting ? pass.input.world.stable : pass.input.world.canary;
  std::string reason = pod_reasons_.read(
      pass.key.ns, pass.key.name, promoting ? "stable" : "canary", st.canary_revision,
      pass.input.now >= deadline ? std::optional<SystemTime>(deadline) : std::nullopt);
  if (!reason.empty()) deployment.not_ready_reason = std::move(reason);
}

void ModelRolloutReconciler::noteRefused(const std::string& key, const std::string& object,
                                         bool refused) {
  std::lock_guard lock(refused_mu_);
  if (refused) {
    refused_[key].insert(object);
    return;
  }
  auto it = refused_.find(key);
  if (it == refused_.end()) return;
  it->second.erase(object);
  if (it->second.empty()) refused_.erase(it);
}

void ModelRolloutReconciler::checkOwnership(Pass& pass) {
  const auto& name = pass.key.name;
  const std::vector<std::pair<const k8s::ResourceType*, std::string>> managed = {
      {&k8s::resources::deployments(), rollout::deploymentName(name, Role::kStable)},
      {&k8s::resources::deployments(), rollout::deploymentName(name, Role::kCanary)},
      {&k8s::resources::services(), rollout::serviceName(name, Role::kStable)},
      {&k8s::resources::services(), rollout::serviceName(name, Role::kCanary)},
      {&k8s::resources::services(), rollout::rootServiceName(name)}};
  std::set<std::string> suspects;
  {
    std::lock_guard lock(refused_mu_);
    if (auto it = refused_.find(pass.key_string); it != refused_.end()) suspects = it->second;
  }
  for (const auto& [type, object_name] : managed) {
    const std::string id = type->plural + "/" + object_name;
    std::shared_ptr<const json> live = pass.cache_reads.count(id) ? pass.cache_reads[id] : nullptr;
    if (!live) live = deps_.cache(*type, pass.key.ns, object_name);
    if (!live && suspects.count(id)) {
      // Not in our (label-filtered) cache: refused before, so look again (one GET).
      auto fetched = deps_.api->get(*type, pass.key.ns, object_name);
      if (fetched.isOk()) {
        live = std::make_shared<const json>(std::move(fetched).value());
      } else if (fetched.status().code() == StatusCode::kNotFound) {
        noteRefused(pass.key_string, id, false);
      }
    }
    if (!live) continue;
    const std::string why = rollout::adoptionRefusal(
        *live, pass.apply_ctx.owner, type->kind + " " + pass.key.ns + "/" + object_name);
    noteRefused(pass.key_string, id, !why.empty());
    if (!why.empty() && pass.input.world.blocked_reason.empty()) {
      pass.input.world.blocked_reason = "ObjectNotOwned";
      pass.input.world.blocked_message = why;
    }
  }
}

void ModelRolloutReconciler::startAnalysis(Pass& pass, const rollout::StartAnalysis& action) {
  if (!tracker_.tryStart(pass.key_string)) return;  // one check at a time per rollout
  const auto& spec = *pass.input.spec.spec;
  auto request = buildAnalysisRequest(*deps_.api, pass.key.ns, pass.key.name, *spec.analysis,
                                      action, deps_.prometheus_policy);
  const std::string key_string = pass.key_string;
  const k8s::ObjectKey key = pass.key;
  if (!request.isOk()) {
    tracker_.finish(key_string,
                    errorResult(action, deps_.clock->now(), request.status().message()));
    deps_.enqueue(key);
    return;
  }
  // The result names the attempt and the step entry it was made for (the planner drops a check
  // of an earlier attempt of the same revision, or of an earlier entry of the step, however
  // close in time).
  deps_.analyzer->submit(std::move(request).value(),
                         [this, key, key_string, since = action.evidence_since,
                          entry = action.step_entry](analysis::AnalysisResult result) {
                           result.evidence_since = since;
                           result.step_entry = entry;
                           tracker_.finish(key_string, std::move(result));
                           deps_.enqueue(key);
                         });
}

bool ModelRolloutReconciler::deferProgressOnly(Pass& pass) {
  if (deps_.progress_write_interval <= std::chrono::milliseconds(0)) return false;
  if (!pass.plan.after_status.empty() || !pass.events.empty()) return false;
  if (!differsOnlyInMessages(pass.input.status, pass.plan.status)) return false;
  const SteadyTime now = deps_.clock->steadyNow();
  std::lock_guard lock(written_mu_);
  auto it = written_over_.find(pass.key_string);
  if (it == written_over_.end() || now - it->second.at >= deps_.progress_write_interval) {
    return false;
  }
  // Rounded up: a truncated wait brings the next pass a fraction of a millisecond early, which
  // is deferred again for "0 ms", and a 0 ms requeue is no requeue at all (work queue).
  pass.status_deferred_for = std::chrono::ceil<std::chrono::milliseconds>(
      deps_.progress_write_interval - (now - it->second.at));
  return true;
}

Status ModelRolloutReconciler::writeStatus(Pass& pass) {
  if (pass.plan.status == pass.input.status) return Status::ok();
  if (deferProgressOnly(pass)) return Status::ok();
  const json desired = rollout::statusToJson(pass.plan.status);
  json object = *pass.object;
  object["status"] = desired;
  auto written = deps_.api->updateStatus(k8s::resources::modelRollouts(), object);
  if (!written.isOk()) return written.status().withContext("writing status");
  if (deps_.metrics) deps_.metrics->write("status");
  std::lock_guard lock(written_mu_);
  written_over_[pass.key_string] = {k8s::resourceVersionOf(*pass.object), deps_.clock->steadyNow()};
  return Status::ok();
}

bool ModelRolloutReconciler::cacheBehindOwnWrite(const std::string& key,
                                                 const std::string& cached_rv) {
  std::lock_guard lock(written_mu_);
  auto it = written_over_.find(key);
  if (it == written_over_.end()) return false;
  const bool behind = !cached_rv.empty() && cached_rv == it->second.resource_version &&
                      deps_.clock->steadyNow() - it->second.at < deps_.own_write_wait;
  if (!behind) it->second.resource_version.clear();  // keep `at` for the progress throttle
  return behind;
}

Status ModelRolloutReconciler::finishPass(Pass& pass) {
  const json& obj = *pass.object;
  for (const auto& e : pass.events)
    deps_.events(obj, e.type, e.reason, e.message);
  // Harmless to retry: the planner ignores an annotation whose effect is already recorded (and
  // one without effect was removed before anything else).
  Status removal = pass.annotations_to_remove.empty()
                       ? Status::ok()
                       : removeAnnotations(pass, pass.annotations_to_remove);
  if (!deps_.metrics) return removal;
  const auto& before = pass.input.status.phase;
  const auto& after = pass.plan.status.phase;
  deps_.metrics->observe(pass.key.ns, pass.key.name, pass.plan.status);
  if (after && before != after) {
    deps_.metrics->transition(rollout::phaseName(*after));
    if (*after == rollout::Phase::kRolledBack) {
      const auto& h = pass.plan.status.history;
      deps_.metrics->rollback(h.empty() ? "Unknown" : h.back().reason);
    }
  }
  return removal;
}

Status ModelRolloutReconciler::removeAnnotations(Pass& pass, const std::vector<std::string>& keys) {
  json annotations = json::object();
  for (const auto& k : keys)
    annotations[k] = nullptr;
  auto r = deps_.api->patch(k8s::resources::modelRollouts(), pass.key.ns, pass.key.name,
                            k8s::PatchType::kMerge, {{"metadata", {{"annotations", annotations}}}});
  if (!r.isOk()) {
    spdlog::warn("{}: removing annotations failed: {}", pass.key_string, r.status().toString());
    return r.status().withContext("removing annotations");
  }
  if (deps_.metrics) deps_.metrics->write("annotation");
  return Status::ok();
}

}  // namespace mr::reconcile
