// A ModelRollout mid-rollout as the controller writes it (pinned status fields), shared by the
// plugin's tests.
#pragma once

#include <nlohmann/json.hpp>

namespace mr::plugin::testing {

inline nlohmann::json sampleRollout() {
  return nlohmann::json::parse(R"({
    "apiVersion": "modelrollout.io/v1alpha1", "kind": "ModelRollout",
    "metadata": {"name": "fraud-scorer", "namespace": "ml", "generation": 3,
                 "creationTimestamp": "2027-01-15T06:00:00Z"},
    "spec": {"replicas": 4,
             "steps": [{"weight": 1, "hold": "24h"}, {"weight": 10, "hold": "48h"},
                       {"weight": 50, "hold": "72h"}, {"weight": 100}]},
    "status": {
      "phase": "Progressing", "message": "step 2/4: analysis passing",
      "observedGeneration": 3, "stableRevision": "6d4f9c8b7", "canaryRevision": "7b8e21aa0",
      "currentStep": 1, "canaryWeight": 10, "stepStartedAt": "2027-01-15T08:00:00Z",
      "lastAnalysis": {"time": "2027-01-15T09:59:00Z", "step": 1, "revision": "7b8e21aa0",
        "verdict": "Pass", "message": "all checks passed",
        "metrics": [
          {"name": "errorRate", "value": 0.0004, "threshold": "<= 0.001", "sampleSize": 1520,
           "verdict": "Pass", "lower": 0.00001, "upper": 0.0009},
          {"name": "latencyP99", "value": 0.082, "threshold": "<= 100ms", "sampleSize": 1520,
           "verdict": "Pass"},
          {"name": "drift", "threshold": "<= 0.2", "sampleSize": 12, "verdict": "Inconclusive",
           "message": "12 samples < minSampleSize 500"}]},
      "conditions": [
        {"type": "Available", "status": "True", "reason": "StableAvailable", "message": "4/4 ready",
         "lastTransitionTime": "2027-01-15T06:00:00Z"},
        {"type": "Progressing", "status": "True", "reason": "StepHolding",
         "message": "holding step 2", "lastTransitionTime": "2027-01-15T08:00:00Z"}],
      "history": [
        {"time": "2027-01-10T06:00:00Z", "from": "", "to": "Healthy", "reason": "FirstDeploy",
         "message": "deployed 6d4f9c8b7"},
        {"time": "2027-01-14T07:00:00Z", "from": "Healthy", "to": "Progressing",
         "reason": "NewRevision", "message": "canary 7b8e21aa0"}]
    }
  })");
}

}  // namespace mr::plugin::testing
