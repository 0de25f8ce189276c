#include "plugin/tree.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "common/time_format.h"
#include "plugin/render.h"
#include "plugin/table.h"

namespace mr::plugin {
namespace {

using Json = nlohmann::json;

std::string text(const Json& obj, const char* pointer, const std::string& fallback = "") {
  const Json::json_pointer p(pointer);
  if (!obj.contains(p)) return fallback;
  const Json& v = obj.at(p);
  if (v.is_string()) return v.get<std::string>().empty() ? fallback : v.get<std::string>();
  if (v.is_null()) return fallback;
  return v.dump();
}

long long number(const Json& obj, const char* pointer) {
  const Json::json_pointer p(pointer);
  if (!obj.contains(p) || !obj.at(p).is_number()) return 0;
  return obj.at(p).get<long long>();
}

std::string age(const Json& obj, SystemTime now) {
  auto created = parseRfc3339(text(obj, "/metadata/creationTimestamp"));
  if (!created.isOk()) return "<unknown>";
  return formatAge(std::chrono::duration_cast<std::chrono::seconds>(now - *created));
}

bool ownedBy(const Json& obj, const Json& owner) {
  const std::string uid = text(owner, "/metadata/uid");
  const std::string kind = text(owner, "/kind");
  const std::string name = text(owner, "/metadata/name");
  for (const Json& ref : obj.value("/metadata/ownerReferences"_json_pointer, Json::array())) {
    if (!ref.is_object()) continue;
    if (!uid.empty() && ref.value("uid", "") == uid) return true;
    if (uid.empty() && ref.value("kind", "") == kind && ref.value("name", "") == name) return true;
  }
  return false;
}

bool selectedBy(const Json& pod, const Json& deployment) {
  const Json match = deployment.value("/spec/selector/matchLabels"_json_pointer, Json::object());
  if (!match.is_object() || match.empty()) return false;
  const Json labels = pod.value("/metadata/labels"_json_pointer, Json::object());
  for (const auto& [k, v] : match.items()) {
    if (!labels.contains(k) || labels[k] != v) return false;
  }
  return true;
}

std::vector<Json> children(const Json& list, const std::function<bool(const Json&)>& keep) {
  std::vector<Json> out;
  for (const Json& item : list.value("items", Json::array())) {
    if (keep(item)) out.push_back(item);
  }
  std::sort(out.begin(), out.end(), [](const Json& a, const Json& b) {
    return text(a, "/metadata/name") < text(b, "/metadata/name");
  });
  return out;
}

std::string workloadStatus(long long want, long long available) {
  if (want == 0) return "ScaledDown";
  return available >= want ? "Available" : "Progressing";
}

std::vector<std::string> podRow(const Json& pod, SystemTime now) {
  const Json statuses = pod.value("/status/containerStatuses"_json_pointer, Json::array());
  const Json containers = pod.value("/spec/containers"_json_pointer, Json::array());
  long long ready = 0;
  long long restarts = 0;
  std::string waiting;
  for (const Json& c : statuses) {
    if (c.value("ready", false)) ++ready;
    restarts += c.value("restartCount", 0LL);
    const std::string reason = text(c, "/state/waiting/reason");
    if (!reason.empty() && waiting.empty()) waiting = reason;
  }
  std::string status = text(pod, "/status/phase", "Pending");
  if (!waiting.empty()) status = waiting;
  if (pod.contains("/metadata/deletionTimestamp"_json_pointer)) status = "Terminating";
  return {text(pod, "/metadata/name"),
          "Pod",
          status,
          std::to_string(ready) + "/" + std::to_string(containers.size()),
          age(pod, now),
          "restarts " + std::to_string(restarts)};
}

struct Row {
  std::string prefix;
  std::vector<std::string> cells;
};

void addChildren(const std::vector<std::vector<Row>>& subtrees, const std::string& indent,
                 std::vector<Row>& rows) {
  for (size_t i = 0; i < subtrees.size(); ++i) {
    const bool last = i + 1 == subtrees.size();
    for (size_t j = 0; j < subtrees[i].size(); ++j) {
      Row row = subtrees[i][j];
      row.prefix =
          indent + (j == 0 ? (last ? "`-- " : "|-- ") : (last ? "    " : "|   ")) + row.prefix;
      rows.push_back(std::move(row));
    }
  }
}

}  // namespace

std::string renderTree(const Json& rollout, const Json& deployments, const Json& replicasets,
                       const Json& pods, SystemTime now) {
  const Json status = rollout.value("status", Json::object());
  std::string info;
  if (status.contains("currentStep") && status.contains("canaryRevision") &&
      !text(status, "/canaryRevision").empty()) {
    const long long steps =
        static_cast<long long>(rollout.value("/spec/steps"_json_pointer, Json::array()).size());
    info = "step " + std::to_string(number(status, "/currentStep") + 1) +
           (steps > 0 ? "/" + std::to_string(steps) : "") + ", weight " +
           std::to_string(number(status, "/canaryWeight")) + "%";
  } else if (!text(status, "/stableRevision").empty()) {
    info = "stable revision " + text(status, "/stableRevision");
  }
  std::vector<Row> rows;
  rows.push_back({"",
                  {text(rollout, "/metadata/name"), "ModelRollout",
                   text(status, "/phase", "<none>"), "-", age(rollout, now), info}});

  std::vector<std::vector<Row>> deployment_trees;
  for (const Json& d : children(deployments, [&](const Json& o) { return ownedBy(o, rollout); })) {
    const long long want = number(d, "/spec/replicas");
    std::vector<Row> sub;
    const std::string role = text(d, "/metadata/labels/modelrollout.io~1role");
    const std::string revision =
        text(d, "/spec/template/metadata/labels/modelrollout.io~1revision");
    std::string d_info = role;
    if (!revision.empty())
      d_info += (d_info.empty() ? "" : ", ") + std::string("revision ") + revision;
    sub.push_back({"",
                   {text(d, "/metadata/name"), "Deployment",
                    workloadStatus(want, number(d, "/status/availableReplicas")),
                    std::to_string(number(d, "/status/readyReplicas")) + "/" + std::to_string(want),
                    age(d, now), d_info}});
    std::vector<std::vector<Row>> level2;
    if (replicasets.is_object()) {
      for (const Json& rs : children(replicasets, [&](const Json& o) { return ownedBy(o, d); })) {
        const long long rs_want = number(rs, "/spec/replicas");
        std::vector<Row> rs_rows;
        rs_rows.push_back(
            {"",
             {text(rs, "/metadata/name"), "ReplicaSet",
              workloadStatus(rs_want, number(rs, "/status/availableReplicas")),
              std::to_string(number(rs, "/status/readyReplicas")) + "/" + std::to_string(rs_want),
              age(rs, now), ""}});
        std::vector<std::vector<Row>> pod_rows;
        for (const Json& p : children(pods, [&](const Json& o) { return ownedBy(o, rs); })) {
          pod_rows.push_back({{"", podRow(p, now)}});
        }
        addChildren(pod_rows, "", rs_rows);
        level2.push_back(std::move(rs_rows));
      }
    } else {
      for (const Json& p : children(pods, [&](const Json& o) { return selectedBy(o, d); })) {
        level2.push_back({{"", podRow(p, now)}});
      }
    }
    addChildren(level2, "", sub);
    deployment_trees.push_back(std::move(sub));
  }
  addChildren(deployment_trees, "", rows);

  TextTable table({"NAME", "KIND", "STATUS", "READY", "AGE", "INFO"});
  for (Row& row : rows) {
    row.cells[0] = row.prefix + row.cells[0];
    table.addRow(std::move(row.cells));
  }
  std::string out = table.render();
  if (deployment_trees.empty()) out += "(no Deployments owned by this ModelRollout yet)\n";
  return out;
}

}  // namespace mr::plugin
