// Synthetic fleets for the simulator's tests and benchmark: N ModelRollouts in one namespace,
// each with `<name>-stable` (2 replicas) and `<name>-canary` (1 replica) Deployments and an
// HTTPRoute `<name>` splitting 90/10 between them. No I/O; the objects carry only the fields
// the Simulation reads.
#pragma once

#include <string>

#include "e2e/simulator/simulation.h"

namespace mr::sim {

// A Deployment whose pods answer with `error_rate` (env SIM_ERROR_RATE) at template revision
// `revision` (label modelrollout.io/revision).
Json fleetDeployment(const std::string& ns, const std::string& name, int replicas,
                     const std::string& revision, double error_rate);

// Rollouts named r0..r<count-1> in namespace `ns`, routed through the Gateway API.
ClusterSnapshot gatewayFleet(int count, const std::string& ns);

}  // namespace mr::sim
