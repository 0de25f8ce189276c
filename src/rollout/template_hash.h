// The revision of a pod template: 10 lowercase hex characters of the 64-bit FNV-1a hash of the
// template's canonical JSON (object keys sorted, no whitespace). The same template always gives
// the same revision, across processes and restarts; key order in the input does not matter.
// Thread-safety: pure function.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mr::rollout {

std::string podTemplateHash(const nlohmann::json& pod_template);

}  // namespace mr::rollout
