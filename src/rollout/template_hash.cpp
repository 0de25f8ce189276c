#include "rollout/template_hash.h"

#include <cstdint>
#include <cstdio>

namespace mr::rollout {

std::string podTemplateHash(const nlohmann::json& pod_template) {
  // nlohmann::json objects are std::map-backed, so dump() is already key-sorted: canonical.
  const std::string canonical = pod_template.dump();
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : canonical) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::string(buf, 10);
}

}  // namespace mr::rollout
