// Fuzzes the ModelRollout parser: any JSON object as `spec` (and as the whole object, for
// parseObjectMeta), and its `status` through statusFromJson/statusToJson. Parsing must return
// field errors or defaults, never throw or crash.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>

#include "rollout/modelrollout_parse.h"
#include "rollout/status_json.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // the code under test logs every rejected input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto* text = reinterpret_cast<const char*>(data);
  const nlohmann::json object = nlohmann::json::parse(text, text + size, nullptr, false);
  if (object.is_discarded()) return 0;
  const mr::rollout::SpecParseResult parsed = mr::rollout::parseSpec(object);
  if (!parsed.ok()) (void)parsed.summary();
  if (object.is_object() && object.contains("spec")) (void)mr::rollout::parseSpec(object["spec"]);
  (void)mr::rollout::parseObjectMeta(object);
  // The status the controller reads back (and round-trips) from the same object.
  const nlohmann::json& status =
      object.is_object() && object.contains("status") ? object["status"] : object;
  (void)mr::rollout::statusToJson(mr::rollout::statusFromJson(status));
  return 0;
}
