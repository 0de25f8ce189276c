#include "api_server.h"

#include <spdlog/spdlog.h>

#include "common/time_format.h"
#include "rbac_objects.h"

namespace mr::apiserver {

using json = nlohmann::json;

namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t s = path.find('/', pos);
    if (s == std::string::npos) s = path.size();
    if (s > pos) out.push_back(path.substr(pos, s - pos));
    pos = s + 1;
  }
  return out;
}

bool isTrue(const std::string& v) {
  return v == "true" || v == "1";
}

// Passes everything through and remembers the status code (for the write log).
class CodeRecorder final : public ResponseWriter {
 public:
  explicit CodeRecorder(ResponseWriter& inner) : inner_(inner) {}
  void send(int code, const std::string& content_type, const std::string& body,
            const std::vector<std::pair<std::string, std::string>>& headers) override {
    code_ = code;
    inner_.send(code, content_type, body, headers);
  }
  bool startStream(int code, const std::string& content_type) override {
    code_ = code;
    return inner_.startStream(code, content_type);
  }
  bool writeChunk(const std::string& data) override { return inner_.writeChunk(data); }
  void endStream() override { inner_.endStream(); }
  void abort() override { inner_.abort(); }
  bool peerClosed() override { return inner_.peerClosed(); }
  int code() const { return code_; }

 private:
  ResponseWriter& inner_;
  int code_ = 0;
};

bool isWriteVerb(const std::string& verb) {
  return verb == "create" || verb == "update" || verb == "patch" || verb == "delete" ||
         verb == "deletecollection";
}

}  // namespace

ApiServer::ApiServer(ApiServerOptions options, const Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      store_(clock, options_.history_size),
      faults_(options_.seed) {
  // The namespaces every cluster starts with.
  for (const char* ns : {"default", "kube-system", "kube-public"}) {
    RuleContext ctx{*registry_.findByKey("namespaces"), "v1", clock_.now()};
    json obj = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
    (void)prepareCreate(ctx, obj);
    (void)store_.mutate("namespaces", "", ns, [&](const ObjPtr&) -> Result<Mutation> {
      return Mutation{Mutation::Kind::kPut, obj};
    });
  }
  seedRbac();
  gc_thread_ = std::thread([this] { gcLoop(); });
}

ApiServer::~ApiServer() {
  {
    std::lock_guard lock(gc_mu_);
    gc_stop_ = true;
  }
  gc_cv_.notify_all();
  if (gc_thread_.joinable()) gc_thread_.join();
}

void ApiServer::sendJson(ResponseWriter& w, int code, const json& body, const Headers& h,
                         const std::string& content_type) {
  w.send(code, content_type, body.dump(-1, ' ', false, json::error_handler_t::replace), h);
}

void ApiServer::sendError(ResponseWriter& w, const ApiError& e) {
  sendJson(w, e.code, e.body(), e.headers);
}

bool ApiServer::wantsTable(const HttpRequest& req) const {
  std::string accept = req.header("accept");
  return accept.find("as=Table") != std::string::npos;
}

json ApiServer::forVersion(const ResourceType& t, const std::string& version,
                           const ObjPtr& o) const {
  std::string av = t.apiVersion(version);
  if (o->value("apiVersion", "") == av && o->contains("kind")) return *o;
  json copy = *o;
  copy["apiVersion"] = av;
  copy["kind"] = t.kind;
  return copy;
}

void ApiServer::handle(const HttpRequest& req, ResponseWriter& w) {
  const SystemTime received = clock_.now();  // the whole request has arrived
  try {
    const std::string& p = req.path;
    if (p == "/healthz" || p == "/livez" || p == "/readyz" || p.rfind("/healthz/", 0) == 0 ||
        p.rfind("/livez/", 0) == 0 || p.rfind("/readyz/", 0) == 0) {
      w.send(200, "text/plain; charset=utf-8", "ok");
      return;
    }
    if (p == "/version") {
      sendJson(w, 200,
               {{"major", "1"},
                {"minor", "32"},
                {"gitVersion", "v1.32.0-mr-test"},
                {"gitCommit", "0000000000000000000000000000000000000000"},
                {"gitTreeState", "clean"},
                {"buildDate", "2026-01-01T00:00:00Z"},
                {"goVersion", "go1.23.0"},
                {"compiler", "gc"},
                {"platform", "linux/amd64"}});
      return;
    }
    std::optional<UserInfo> user = authenticate(req);
    if (!user) {
      sendError(w, errUnauthorized());
      return;
    }
    if (p.rfind("/admin/", 0) == 0) {
      // Not a Kubernetes path: the admin only.
      if (!user->inGroup(kMastersGroup)) {
        sendError(
            w, errForbidden("", "", "",
                            forbiddenMessage(*user, requestAttributes(req.method, p, req.query))));
        return;
      }
      handleAdmin(req, w);
      return;
    }
    if (!authorizeRequest(req, *user, w)) return;
    if (int ms = faults_.latencyMs(); ms > 0) clock_.sleepFor(Millis(ms));
    if (handleDiscovery(req, w) || handleOpenApi(req, w)) return;
    handleResource(req, w, received);
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", req.method, req.path, e.what());
    sendError(w, errInternal(e.what()));
  }
}

void ApiServer::handleAdmin(const HttpRequest& req, ResponseWriter& w) {
  if (req.path == "/admin/faults") {
    if (req.method == "GET") {
      sendJson(w, 200, faults_.current());
    } else if (req.method == "DELETE") {
      faults_.clear();
      sendJson(w, 200, faults_.current());
    } else if (req.method == "POST" || req.method == "PUT") {
      json body = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
      Result<bool> compact = faults_.configure(body);
      if (!compact.isOk()) {
        sendError(w, errBadRequest(compact.status().message()));
        return;
      }
      if (compact.value()) store_.compact();
      store_.wakeAll();
      sendJson(w, 200, faults_.current());
    } else {
      sendError(w, errMethodNotAllowed("use GET, POST or DELETE"));
    }
    return;
  }
  if (req.path == "/admin/writes") {
    if (req.method == "GET") {
      sendJson(w, 200, write_log_.snapshot());
    } else if (req.method == "DELETE") {
      write_log_.clear();
      sendJson(w, 200, write_log_.snapshot());
    } else {
      sendError(w, errMethodNotAllowed("use GET or DELETE"));
    }
    return;
  }
  if (req.path == "/admin/authorizations") {
    if (req.method == "GET") {
      sendJson(w, 200, authz_log_.snapshot(req.param("user")));
    } else if (req.method == "DELETE") {
      authz_log_.clear();
      sendJson(w, 200, authz_log_.snapshot());
    } else {
      sendError(w, errMethodNotAllowed("use GET or DELETE"));
    }
    return;
  }
  if (req.path == "/admin/stats") {
    sendJson(w, 200,
             {{"objects", store_.objectCount()},
              {"resourceVersion", store_.currentRv()},
              {"compactedResourceVersion", store_.oldestRetainedRv()}});
    return;
  }
  sendError(w, errUnknownPath());
}

std::optional<ApiError> ApiServer::parseResourcePath(const HttpRequest& req, RequestInfo& ri) {
  std::vector<std::string> s = splitPath(req.path);
  size_t i = 0;
  if (s.size() >= 2 && s[0] == "api") {
    ri.version = s[1];
    i = 2;
  } else if (s.size() >= 3 && s[0] == "apis") {
    ri.group = s[1];
    ri.version = s[2];
    i = 3;
  } else {
    return errUnknownPath();
  }
  bool watch_prefix = i < s.size() && s[i] == "watch";
  if (watch_prefix) ++i;
  std::vector<std::string> rest(s.begin() + static_cast<long>(i), s.end());
  if (rest.empty()) return errUnknownPath();
  if (rest[0] == "namespaces" && rest.size() >= 3 &&
      !(rest.size() == 3 && (rest[2] == "status" || rest[2] == "finalize"))) {
    ri.ns = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  ri.resource = rest[0];
  if (rest.size() >= 2) ri.name = rest[1];
  if (rest.size() >= 3) ri.subresource = rest[2];
  if (rest.size() > 3) return errUnknownPath();
  ri.type = registry_.find(ri.group, ri.version, ri.resource);
  if (!ri.type) return errUnknownPath();
  if (!ri.type->namespaced && !ri.ns.empty()) return errUnknownPath();
  if (ri.subresource == "finalize") ri.subresource = "status";
  if (!ri.subresource.empty()) {
    const ServedVersion* sv = ri.type->version(ri.version);
    bool ok = (ri.subresource == "status" && sv->status_subresource) ||
              (ri.subresource == "scale" && sv->scale_subresource) ||
              (ri.subresource == "token" && sv->token_subresource);
    if (!ok) return errUnknownPath();
  }
  const std::string& m = req.method;
  bool watch = watch_prefix || isTrue(req.param("watch"));
  if (m == "GET") {
    ri.verb = ri.name.empty() ? (watch ? "watch" : "list") : (watch ? "watch" : "get");
  } else if (m == "POST") {
    ri.verb = "create";
  } else if (m == "PUT") {
    ri.verb = "update";
  } else if (m == "PATCH") {
    ri.verb = "patch";
  } else if (m == "DELETE") {
    ri.verb = ri.name.empty() ? "deletecollection" : "delete";
  } else {
    return errMethodNotAllowed("method " + m + " not allowed");
  }
  if (ri.name.empty() && (m == "PUT" || m == "PATCH"))
    return errMethodNotAllowed("the server does not allow this method on the requested resource");
  if (!ri.name.empty() && m == "POST" && ri.subresource != "token")
    return errMethodNotAllowed("the server does not allow this method on the requested resource");
  return std::nullopt;
}

void ApiServer::handleResource(const HttpRequest& req, ResponseWriter& w, SystemTime received) {
  RequestInfo ri;
  if (auto err = parseResourcePath(req, ri)) {
    sendError(w, *err);
    return;
  }
  if (!isWriteVerb(ri.verb)) {
    dispatchVerb(req, ri, w);
    return;
  }
  const bool aggregation_input = ri.type->key() == std::string("clusterroles.") + kRbacGroup;
  CodeRecorder recorder(w);
  WriteRecord record{req.header("user-agent"),
                     ri.verb,
                     ri.type->group,
                     ri.type->plural,
                     ri.ns,
                     ri.name,
                     ri.subresource,
                     req.hasParam("dryRun"),
                     0,
                     received,
                     {}};
  try {
    dispatchVerb(req, ri, recorder);
  } catch (...) {
    record.code = recorder.code() ? recorder.code() : 500;
    record.completed = clock_.now();
    write_log_.record(record);
    throw;
  }
  record.code = recorder.code();
  record.completed = clock_.now();
  write_log_.record(record);
  if (aggregation_input && record.code < 300 && !record.dry_run) reconcileAggregation();
}

void ApiServer::dispatchVerb(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w) {
  if (auto injected = faults_.errorFor(ri.verb, ri.type->plural, ri.type->group)) {
    sendError(w, errInjected(injected->code, injected->retry_after_seconds));
    return;
  }
  if (ri.subresource == "scale") {
    doScale(req, ri, w);
    return;
  }
  if (ri.subresource == "token") {
    if (ri.verb != "create")
      return sendError(w, errMethodNotAllowed(
                              "the server does not allow this method on the requested resource"));
    doTokenRequest(req, ri, w);
    return;
  }
  if (ri.verb == "get") {
    doGet(req, ri, w);
  } else if (ri.verb == "list") {
    doList(req, ri, w);
  } else if (ri.verb == "watch") {
    if (!ri.name.empty()) {
      // GET .../name?watch=1 is a watch with a name field selector.
      HttpRequest copy = req;
      copy.query.emplace("fieldSelector", "metadata.name=" + ri.name);
      RequestInfo r2 = ri;
      r2.name.clear();
      doWatch(copy, r2, w);
    } else {
      doWatch(req, ri, w);
    }
  } else if (ri.verb == "create") {
    doCreate(req, ri, w);
  } else if (ri.verb == "update") {
    doUpdate(req, ri, w);
  } else if (ri.verb == "patch") {
    doPatch(req, ri, w);
  } else if (ri.verb == "delete") {
    doDelete(req, ri, w);
  } else {
    doDeleteCollection(req, ri, w);
  }
}

}  // namespace mr::apiserver
