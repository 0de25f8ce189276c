// Watch streams: chunked newline-delimited JSON events from the store's bounded history,
// with label/field selectors, bookmarks, timeoutSeconds, in-stream 410 Expired, initial
// ADDED events for resourceVersion ""/"0" (and sendInitialEvents), Table-formatted events for
// `kubectl get -w`, and the drop/expire faults.
#include <spdlog/spdlog.h>

#include "api_server.h"
#include "selectors.h"
#include "table_printer.h"

namespace mr::apiserver {

using json = nlohmann::json;

namespace {

std::string frame(const std::string& type, const std::string& object_json) {
  return "{\"type\":\"" + type + "\",\"object\":" + object_json + "}\n";
}

json expiredStatus(const std::string& message) {
  return {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
          {"status", "Failure"}, {"message", message}, {"reason", "Expired"},
          {"code", 410}};
}

}  // namespace

void ApiServer::doWatch(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w) {
  const ResourceType& t = *ri.type;
  Result<LabelSelector> labels = LabelSelector::parse(req.param("labelSelector"));
  if (!labels.isOk())
    return sendError(w, errBadRequest("unable to parse requirement: " + labels.status().message()));
  Result<FieldSelector> fields = FieldSelector::parse(req.param("fieldSelector"));
  if (!fields.isOk()) return sendError(w, errBadRequest(fields.status().message()));
  auto matches = [&](const ObjPtr& o) {
    return o && labels.value().matches((*o)["metadata"].value("labels", json())) &&
           fields.value().matches(*o);
  };
  std::string rv_param = req.param("resourceVersion");
  bool initial = rv_param.empty() || rv_param == "0" || req.param("sendInitialEvents") == "true";
  int64_t from = 0;
  if (!rv_param.empty()) {
    char* end = nullptr;
    from = std::strtoll(rv_param.c_str(), &end, 10);
    if (!end || *end != '\0' || from < 0)
      return sendError(w, errBadRequest("invalid resource version: " + rv_param));
    if (from > store_.currentRv()) {
      ApiError e{
          504,
          "Timeout",
          "Too large resource version: " + rv_param +
              ", current: " + std::to_string(store_.currentRv()),
          {{"causes",
            {{{"reason", "ResourceVersionTooLarge"}, {"message", "Too large resource version"}}}},
           {"retryAfterSeconds", 1}},
          {}};
      return sendError(w, e);
    }
  }
  bool bookmarks = req.param("allowWatchBookmarks") == "true";
  bool table = wantsTable(req);
  long timeout_s =
      req.hasParam("timeoutSeconds") ? std::atol(req.param("timeoutSeconds").c_str()) : 1800;
  SteadyTime start = clock_.steadyNow();
  SteadyTime deadline = start + std::chrono::seconds(std::max(0L, timeout_s));
  int drop_after = faults_.dropWatchesAfterSeconds();
  SteadyTime drop_at =
      drop_after > 0 ? start + std::chrono::seconds(drop_after) : SteadyTime::max();
  SteadyTime next_bookmark = start + options_.bookmark_interval;

  if (!w.startStream(200, "application/json")) return;
  auto encode = [&](const ObjPtr& o) {
    if (table) return buildTable(t, ri.version, {o}, clock_.now(), true).dump();
    return forVersion(t, ri.version, o).dump(-1, ' ', false, json::error_handler_t::replace);
  };
  auto bookmark = [&](int64_t rv, bool initial_end) {
    json md = {{"resourceVersion", std::to_string(rv)}};
    if (initial_end) md["annotations"] = {{"k8s.io/initial-events-end", "true"}};
    json o = {{"kind", t.kind}, {"apiVersion", t.apiVersion(ri.version)}, {"metadata", md}};
    return w.writeChunk(frame("BOOKMARK", o.dump()));
  };
  if (faults_.takeExpireNextWatch()) {
    w.writeChunk(frame("ERROR", expiredStatus("too old resource version: " + rv_param + " (" +
                                              std::to_string(store_.currentRv()) + ")")
                                    .dump()));
    return w.endStream();
  }
  if (initial) {
    ListPage page = store_.list(t.key(), ri.ns, "", 0, [&](const json& o) {
      return labels.value().matches(o["metadata"].value("labels", json())) &&
             fields.value().matches(o);
    });
    for (const auto& o : page.items) {
      if (!w.writeChunk(frame("ADDED", encode(o)))) return;
    }
    from = page.rv;
    if (req.param("sendInitialEvents") == "true" && bookmarks && !bookmark(from, true)) return;
  }
  for (;;) {
    SteadyTime now = clock_.steadyNow();
    if (now >= drop_at) return w.abort();
    if (now >= deadline) {
      if (bookmarks) bookmark(from, false);
      return w.endStream();
    }
    if (bookmarks && now >= next_bookmark) {
      if (!bookmark(from, false)) return;
      next_bookmark = now + options_.bookmark_interval;
    }
    SteadyTime wake = std::min({deadline, drop_at, now + std::chrono::seconds(1),
                                bookmarks ? next_bookmark : SteadyTime::max()});
    bool expired = false;
    int64_t head = 0;
    std::vector<EventPtr> events = store_.eventsAfter(from, wake, 1000, expired, head);
    if (expired) {
      w.writeChunk(
          frame("ERROR", expiredStatus("too old resource version: " + std::to_string(from) + " (" +
                                       std::to_string(store_.oldestRetainedRv()) + ")")
                             .dump()));
      return w.endStream();
    }
    for (const auto& e : events) {
      from = e->rv;
      if (e->resource != t.key() || (!ri.ns.empty() && e->ns != ri.ns)) continue;
      bool now_matches = matches(e->object);
      std::string type = e->type;
      if (type == "MODIFIED") {
        bool was = matches(e->previous);
        if (!was && !now_matches) continue;
        if (!was) type = "ADDED";
        if (!now_matches) type = "DELETED";
      } else if (!now_matches) {
        continue;
      }
      if (!w.writeChunk(frame(type, encode(e->object)))) return;
    }
    if (events.empty() && w.peerClosed()) return;
  }
}

}  // namespace mr::apiserver
