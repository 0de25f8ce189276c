// ActionApplier: carries out the planner's object actions (EnsureStable, EnsureCanary,
// ScaleCanary, EnsureServices) through the ApiClient, changing only the fields the controller
// owns (rollout/managed_resources.h): create when missing, else a merge patch of owned fields,
// and no request at all when the live object already matches.
// Live objects come from the caller (the informer cache); a cache that is behind is corrected
// by the server (AlreadyExists -> re-read and patch; NotFound on patch -> create).
// Adoption (rollout::adoptionRefusal): an existing object that is not ours is never written;
// the action fails with FailedPrecondition-like kAlreadyExists and the reason in
// ApplyContext::refused, which the reconciler turns into a Degraded pass (ObjectNotOwned).
// Thread-safety: stateless apart from the borrowed ApiClient; safe from many threads.
#pragma once

#include <functional>
#include <string>

#include "k8s/api_client.h"
#include "rollout/managed_resources.h"
#include "rollout/planner.h"

namespace mr::reconcile {

// Looks up a cached object by name in the rollout's namespace; nullptr when absent.
using CacheLookup = std::function<std::shared_ptr<const nlohmann::json>(const std::string& name)>;

struct ApplyContext {
  rollout::Owner owner;
  const rollout::ModelRolloutSpec* spec = nullptr;
  CacheLookup deployments;
  CacheLookup services;
  // Receive why an existing object was not written (adoption rule) and which one
  // ("deployments/<name>", "services/<name>"); may be null.
  std::string* refused = nullptr;
  std::string* refused_object = nullptr;
};

class ActionApplier {
 public:
  explicit ActionApplier(k8s::ApiClient& api) : api_(api) {}

  Status apply(const ApplyContext& ctx, const rollout::EnsureStable& a);
  Status apply(const ApplyContext& ctx, const rollout::EnsureCanary& a);
  Status apply(const ApplyContext& ctx, const rollout::ScaleCanary& a);
  Status apply(const ApplyContext& ctx, const rollout::EnsureServices& a);

  // Number of write requests sent (create/patch), for metrics and tests.
  uint64_t writes() const { return writes_.load(); }

 private:
  Status ensureDeployment(const ApplyContext& ctx, rollout::Role role,
                          const nlohmann::json& pod_template, int replicas,
                          const std::string& revision);
  using PatchFn = std::optional<nlohmann::json> (*)(const nlohmann::json&, const nlohmann::json&);
  Status ensure(const ApplyContext& ctx, const k8s::ResourceType& type,
                const nlohmann::json& desired, const std::shared_ptr<const nlohmann::json>& live,
                PatchFn owned_patch);

  k8s::ApiClient& api_;
  std::atomic<uint64_t> writes_{0};
};

}  // namespace mr::reconcile
