// Fuzzes kubeconfig loading (YAML, merged entries, base64 *-data fields). The input is written
// to a kubeconfig file in a private empty directory. Inputs that could make the loader touch
// the machine are skipped: an `exec` key would run a command, and a '/' or a '\' (a YAML escape)
// could name a file outside the directory (/dev/zero, /dev/stdin). Relative names resolve
// inside the empty directory, so every file reference fails cleanly or reads the input itself.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "k8s/kube_config.h"

namespace {

const std::string& configPath() {
  static const std::string path = [] {
    char dir[] = "/tmp/mr-fuzz-kubeconfig-XXXXXX";
    if (!mkdtemp(dir)) abort();
    return std::string(dir) + "/config";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // the code under test logs every rejected input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (text.find("exec") != std::string_view::npos || text.find('/') != std::string_view::npos ||
      text.find('\\') != std::string_view::npos) {
    return 0;
  }
  {
    std::ofstream out(configPath(), std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  static const mr::RealClock clock;
  auto config = mr::k8s::loadKubeconfig({configPath()}, "", clock);
  if (config.isOk()) {
    (void)config->server.size();
  } else if (config.status().toString().find(configPath() + ": ") != std::string::npos) {
    return 0;  // the file is not YAML or not a mapping: another context would fail the same way
  }
  (void)mr::k8s::loadKubeconfig({configPath()}, "other", clock);
  return 0;
}
