// meta.k8s.io/v1 Table responses for `kubectl get`: columns from a CRD version's
// additionalPrinterColumns (Name first, priority>0 shown by -o wide; "date" columns rendered as
// ages) or sensible columns for the built-in kinds. Rows carry PartialObjectMetadata.
// Also the JSONPath subset printer columns use and Go's HumanDuration.
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "object_store.h"
#include "resource_registry.h"

namespace mr::apiserver {

// Rows for `objects`; columnDefinitions included when `with_columns`.
nlohmann::json buildTable(const ResourceType& type, const std::string& version,
                          const std::vector<ObjPtr>& objects, SystemTime now, bool with_columns);

// "5s", "3m20s", "2d4h", like k8s.io/apimachinery/pkg/util/duration.HumanDuration.
std::string humanDuration(std::chrono::seconds d);

// Evaluates ".a.b[0].c", "{.a.b}", ".conditions[?(@.type==\"Ready\")].status"; null if absent.
nlohmann::json evalJsonPath(const nlohmann::json& object, const std::string& path);

}  // namespace mr::apiserver
