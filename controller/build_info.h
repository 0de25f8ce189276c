// What this binary is, for modelrollout_build_info{version,revision,compiler}: the project
// version (CMakeLists.txt), the git revision it was built from (read at build time,
// cmake/build_info.cmake; -DMR_BUILD_REVISION overrides it, "unknown" outside a checkout) and
// the compiler ("GNU 12.2.0").
// Thread-safety: immutable.
#pragma once

#include <string_view>

namespace mr::controller {

struct BuildInfo {
  std::string_view version;
  std::string_view revision;
  std::string_view compiler;
};

const BuildInfo& buildInfo();

}  // namespace mr::controller
