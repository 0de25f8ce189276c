// Standard base64 (RFC 4648, with padding) as used by kubeconfig `*-data` fields and Secrets.
// Decoding ignores whitespace and rejects other non-alphabet characters.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace mr::k8s {

Result<std::string> base64Decode(std::string_view text);
std::string base64Encode(std::string_view bytes);

}  // namespace mr::k8s
