#include "reconcile/action_applier.h"

#include "reconcile/observed_world.h"

namespace mr::reconcile {

using nlohmann::json;
using rollout::Role;

namespace {

// The adoption rule before any write to an existing object.
Status refuseForeign(const ApplyContext& ctx, const json& live, const k8s::ResourceType& type,
                     const std::string& name) {
  const std::string what = type.kind + " " + ctx.owner.namespace_name + "/" + name;
  std::string why = rollout::adoptionRefusal(live, ctx.owner, what);
  if (why.empty()) return Status::ok();
  if (ctx.refused) *ctx.refused = why;
  if (ctx.refused_object) *ctx.refused_object = type.plural + "/" + name;
  return Status(StatusCode::kAlreadyExists, why);
}

}  // namespace

Status ActionApplier::ensure(const ApplyContext& ctx, const k8s::ResourceType& type,
                             const json& desired, const std::shared_ptr<const json>& live,
                             PatchFn owned_patch) {
  const std::string& ns = ctx.owner.namespace_name;
  const std::string name = desired["metadata"]["name"].get<std::string>();
  const std::string what = type.kind + " " + ns + "/" + name;
  json current;
  if (live) {
    current = *live;
  } else {
    ++writes_;
    auto created = api_.create(type, ns, desired);
    if (created.isOk()) return Status::ok();
    if (created.status().code() != StatusCode::kAlreadyExists) {
      return created.status().withContext("creating " + what);
    }
    auto fetched = api_.get(type, ns, name);  // the cache was behind
    if (!fetched.isOk()) return fetched.status().withContext("reading " + what);
    current = std::move(fetched).value();
  }
  if (Status s = refuseForeign(ctx, current, type, name); !s.isOk()) return s;
  auto patch = owned_patch(current, desired);
  if (!patch) return Status::ok();
  ++writes_;
  auto patched = api_.patch(type, ns, name, k8s::PatchType::kMerge, *patch);
  if (patched.isOk()) return Status::ok();
  if (patched.status().code() == StatusCode::kNotFound) {  // deleted since the cache saw it
    ++writes_;
    auto created = api_.create(type, ns, desired);
    if (created.isOk()) return Status::ok();
    return created.status().withContext("re-creating " + what);
  }
  return patched.status().withContext("patching " + what);
}

Status ActionApplier::ensureDeployment(const ApplyContext& ctx, rollout::Role role,
                                       const json& pod_template, int replicas,
                                       const std::string& revision) {
  const json desired =
      rollout::buildDeployment(ctx.owner, *ctx.spec, role, pod_template, replicas, revision);
  const std::string name = rollout::deploymentName(ctx.owner.name, role);
  const auto& type = k8s::resources::deployments();
  std::shared_ptr<const json> live = ctx.deployments(name);
  if (live && observeDeployment(live.get()).revision != revision) {
    // The cache keeps no pod template spec (cache_projection.h); the template diff needs the
    // live one, so read it (only in the pass that changes the revision).
    auto fetched = api_.get(type, ctx.owner.namespace_name, name);
    if (fetched.isOk()) {
      live = std::make_shared<const json>(std::move(fetched).value());
    } else if (fetched.status().code() == StatusCode::kNotFound) {
      live = nullptr;
    } else {
      return fetched.status().withContext("reading Deployment " + ctx.owner.namespace_name + "/" +
                                          name);
    }
  }
  return ensure(ctx, type, desired, live, &rollout::deploymentPatch);
}

Status ActionApplier::apply(const ApplyContext& ctx, const rollout::EnsureStable& a) {
  return ensureDeployment(ctx, Role::kStable, a.pod_template, a.replicas, a.revision);
}

Status ActionApplier::apply(const ApplyContext& ctx, const rollout::EnsureCanary& a) {
  return ensureDeployment(ctx, Role::kCanary, a.pod_template, a.replicas, a.revision);
}

Status ActionApplier::apply(const ApplyContext& ctx, const rollout::ScaleCanary& a) {
  const std::string name = rollout::deploymentName(ctx.owner.name, Role::kCanary);
  auto live = ctx.deployments(name);
  if (live && live->contains("spec") && (*live)["spec"].value("replicas", 1) == a.replicas) {
    return Status::ok();
  }
  if (live) {
    if (Status s = refuseForeign(ctx, *live, k8s::resources::deployments(), name); !s.isOk()) {
      return s;
    }
  }
  ++writes_;
  auto r = api_.patch(k8s::resources::deployments(), ctx.owner.namespace_name, name,
                      k8s::PatchType::kMerge, rollout::scalePatch(a.replicas));
  if (r.isOk() || r.status().code() == StatusCode::kNotFound) return Status::ok();
  return r.status().withContext("scaling Deployment " + name);
}

Status ActionApplier::apply(const ApplyContext& ctx, const rollout::EnsureServices& a) {
  const auto& type = k8s::resources::services();
  const json stable = rollout::buildService(ctx.owner, *ctx.spec, Role::kStable, a.stable_revision);
  const json canary = rollout::buildService(ctx.owner, *ctx.spec, Role::kCanary, a.canary_revision);
  const json root = rollout::buildRootService(ctx.owner, *ctx.spec);
  for (const json* desired : {&stable, &canary, &root}) {
    const std::string name = (*desired)["metadata"]["name"].get<std::string>();
    Status s = ensure(ctx, type, *desired, ctx.services(name), &rollout::servicePatch);
    if (!s.isOk()) return s;
  }
  return Status::ok();
}

}  // namespace mr::reconcile
