// Small encodings the server needs: base64 (kubeconfig CA data, Secret stringData, continue
// tokens), random UUIDs and generateName suffixes, YAML -> JSON for apply patches.
// Thread-safety: pure functions except the random helpers, which use a locked generator.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace mr::apiserver {

std::string base64Encode(const std::string& in);
Result<std::string> base64Decode(const std::string& in);
std::string randomUuid();
std::string randomSuffix(size_t n);  // lowercase consonants+digits, like generateName
// Parses a YAML (or JSON) document into JSON with YAML 1.2 core-schema scalar typing.
Result<nlohmann::json> yamlToJson(const std::string& text);

}  // namespace mr::apiserver
