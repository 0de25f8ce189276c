#include "k8s/controller_runtime.h"

#include <spdlog/spdlog.h>

#include "common/guarded_loop.h"
#include "common/json_read.h"

namespace mr::k8s {

std::optional<ObjectKey> ownerKeyOf(const Json& object, const ResourceType& primary) {
  const Json& meta = jsonObject(object, "metadata");
  const std::string ns = jsonString(meta, "namespace");
  if (auto labels = meta.find("labels"); labels != meta.end() && labels->is_object()) {
    if (auto it = labels->find(kRolloutLabel); it != labels->end() && it->is_string()) {
      return ObjectKey{ns, it->get<std::string>()};
    }
  }
  if (auto refs = meta.find("ownerReferences"); refs != meta.end() && refs->is_array()) {
    for (const Json& ref : *refs) {
      if (jsonString(ref, "kind") == primary.kind &&
          jsonString(ref, "apiVersion") == primary.apiVersion()) {
        return ObjectKey{ns, jsonString(ref, "name")};
      }
    }
  }
  return std::nullopt;
}

ControllerRuntime::ControllerRuntime(ApiClient& client, const Clock& clock,
                                     ControllerOptions options, ControllerHooks hooks)
    : clock_(clock),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      queue_(clock, options_.rate_limit) {
  const auto transformFor = [this](const ResourceType& type) -> std::function<Json(Json)> {
    if (!options_.transform) return nullptr;
    return [transform = options_.transform, type](Json o) { return transform(type, std::move(o)); };
  };
  InformerOptions primary_options{options_.ns, "", options_.reflector,
                                  transformFor(options_.primary)};
  informers_.push_back(
      std::make_unique<Informer>(client, options_.primary, primary_options, clock));
  const auto priority =
      options_.primary_priority ? options_.primary_priority : &defaultPrimaryPriority;
  const auto enqueue_self = [this, priority](const ObjectPtr& old_object, const ObjectPtr& o) {
    queue_.add(ObjectKey::of(*o).toString(), priority(old_object.get(), *o));
  };
  informers_.back()->addHandler({[enqueue_self](const ObjectPtr& o) { enqueue_self(nullptr, o); },
                                 enqueue_self,
                                 [enqueue_self](const ObjectPtr& o) { enqueue_self(o, o); }});

  for (const ResourceType& type : options_.owned) {
    InformerOptions owned_options{options_.ns, options_.owned_label_selector, options_.reflector,
                                  transformFor(type)};
    informers_.push_back(std::make_unique<Informer>(client, type, owned_options, clock));
    const ResourceType primary = options_.primary;
    const auto enqueue_owner = [this, primary](const ObjectPtr& o) {
      if (auto owner = ownerKeyOf(*o, primary)) queue_.add(owner->toString(), QueuePriority::kLow);
    };
    informers_.back()->addHandler(
        {enqueue_owner,
         [enqueue_owner](const ObjectPtr& old_object, const ObjectPtr& new_object) {
           // A relabelled object concerns both its old and its new owner.
           enqueue_owner(old_object);
           enqueue_owner(new_object);
         },
         enqueue_owner});
  }
  gating_informers_ = informers_.size();
  for (const ResourceType& type : options_.read_cached) {
    InformerOptions read_options{options_.ns, "", options_.reflector, transformFor(type)};
    read_options.keep_last_applied = true;
    informers_.push_back(std::make_unique<Informer>(client, type, read_options, clock));
  }
}

QueuePriority defaultPrimaryPriority(const Json* old_object, const Json& new_object) {
  if (old_object == nullptr || old_object == &new_object) return QueuePriority::kNormal;
  const Json& a = jsonObject(*old_object, "metadata");
  const Json& b = jsonObject(new_object, "metadata");
  for (const char* field : {"generation", "labels", "annotations", "deletionTimestamp"}) {
    const Json* before = jsonMember(a, field);
    const Json* after = jsonMember(b, field);
    if ((before == nullptr) != (after == nullptr) || (before && *before != *after)) {
      return QueuePriority::kNormal;
    }
  }
  return QueuePriority::kLow;
}

ControllerRuntime::~ControllerRuntime() {
  stop();
}

void ControllerRuntime::startInformers() {
  for (auto& informer : informers_)
    informer->start();
}

void ControllerRuntime::startWorkers(Reconciler& reconciler) {
  // Leadership may be won (on the election thread) while the process is stopping.
  std::lock_guard lock(workers_mu_);
  if (!workers_.empty() || stopping_) return;
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this, &reconciler] { workerLoop(reconciler, QueuePriority::kLow); });
  }
  for (int i = 0; i < options_.high_priority_workers; ++i) {
    workers_.emplace_back([this, &reconciler] { workerLoop(reconciler, QueuePriority::kHigh); });
  }
}

bool ControllerRuntime::hasSynced() const {
  for (size_t i = 0; i < gating_informers_; ++i) {
    if (!informers_[i]->hasSynced()) return false;
  }
  return true;
}

Informer* ControllerRuntime::informer(const ResourceType& type) const {
  for (const auto& informer : informers_) {
    if (informer->type() == type) return informer.get();
  }
  return nullptr;
}

void ControllerRuntime::workerLoop(Reconciler& reconciler, QueuePriority min_priority) {
  // Reconciling against a partial cache would act on a world that is not there.
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lock(mu);
  while (!stopping_ && !hasSynced())
    clock_.waitUntil(cv, lock, clock_.steadyNow() + Millis(50));
  lock.unlock();
  while (auto key = queue_.get(min_priority)) {
    try {
      processKey(reconciler, *key);
    } catch (...) {
      // The worker's top-level handler: retry the key later rather than end the process.
      spdlog::error("worker: unexpected exception processing {}: {}", *key,
                    currentExceptionMessage());
      queue_.addRateLimited(*key);
    }
    queue_.done(*key);
  }
}

void ControllerRuntime::processKey(Reconciler& reconciler, const std::string& key) {
  const SteadyTime started = clock_.steadyNow();
  ReconcileResult result;
  try {
    result = reconciler.reconcile(ObjectKey::parse(key));
  } catch (...) {
    // A reconciler must not throw; if one does, treat it as an error rather than dying.
    result =
        ReconcileResult::failed(internalError("reconcile threw: " + currentExceptionMessage()));
  }
  const double seconds = std::chrono::duration<double>(clock_.steadyNow() - started).count();
  std::string outcome;
  if (!result.error.isOk()) {
    outcome = "error";
    spdlog::warn("reconcile {} failed (attempt {}): {}", key, queue_.numRequeues(key) + 1,
                 result.error.toString());
    queue_.addRateLimited(key);
  } else if (result.requeue_after && result.requeue_after->count() > 0) {
    outcome = "requeue_after";
    queue_.forget(key);
    queue_.addAfter(key, *result.requeue_after);
  } else {
    outcome = "success";
    queue_.forget(key);
  }
  if (hooks_.on_reconcile) hooks_.on_reconcile(outcome, seconds);
}

void ControllerRuntime::stop() {
  std::lock_guard lock(workers_mu_);
  if (stopping_.exchange(true)) return;
  queue_.shutDownWithDrain();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  for (auto& informer : informers_)
    informer->stop();
}

}  // namespace mr::k8s
