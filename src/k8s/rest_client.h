// RestClient: the real ApiClient, speaking HTTP(S) to a Kubernetes API server through
// HttpTransport (http_transport.h: libcurl, HTTP/2 where offered, one multi handle).
// TLS verification is on unless the config says insecure-skip-tls-verify; a CA in the config
// replaces the system trust store (as client-go does); tls-server-name is the name verified
// and sent as SNI; client certificates are loaded into the TLS context. A bearer token is
// fetched from the config's TokenSource per request (it may rotate); a 401 invalidates it.
// Non-2xx responses become mr::Status via api_status.h. A watch runs on a connection of its
// own, hands each piece of the body to the decoder as it arrives, and has an idle timeout of
// timeoutSeconds + slack, so a silent dead connection ends the watch with DeadlineExceeded.
// Timeouts: a request gets options.request_timeout, cut to what is left of the calling
// thread's CallTimeout scope (call_timeout.h) and, for a write, of the write fence.
// Write fence: every mutating request (POST, PUT, PATCH, DELETE) first asks the fence, which
// either refuses it (nothing is sent) or says how long it may take; closeWrites() refuses all
// later writes and cancels those in flight. Leader election uses it so that no write leaves
// the process once another replica could hold the lease. Reads and watches are not fenced.
// Thread-safety: all ApiClient methods and closeWrites() are safe from many threads;
// setRequestObserver and setWriteFence must be called before the first request.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "k8s/api_client.h"
#include "k8s/http_transport.h"
#include "k8s/kube_config.h"

namespace mr::k8s {

struct RestClientOptions {
  Millis request_timeout{30000};
  int watch_idle_slack_seconds = 10;
  std::string user_agent = "modelrollout-controller/0.1";
};

// Called once per request when its outcome is known. verb: get|list|watch|create|update|
// patch|delete; code: the HTTP status, or 0 when no response arrived (transport failure).
using RequestObserver = std::function<void(const std::string& verb, int code)>;

// Asked before each mutating request: the time it may take, or a Status refusing it.
using WriteFence = std::function<Result<Millis>()>;

class RestClient final : public ApiClient {
 public:
  // Validates the PEM material in `config` up front so a bad certificate fails at startup.
  static Result<std::unique_ptr<RestClient>> create(ClusterConfig config,
                                                    RestClientOptions options = {});
  ~RestClient() override;

  void setRequestObserver(RequestObserver observer) { observer_ = std::move(observer); }
  void setWriteFence(WriteFence fence) { fence_ = std::move(fence); }
  // Refuses every later write with Unavailable("writes closed: <reason>") and cancels the
  // writes in flight (they end within ~100 ms; bytes already sent cannot be recalled).
  void closeWrites(const std::string& reason);
  const ClusterConfig& config() const { return config_; }

  Result<Json> get(const ResourceType& type, const std::string& ns,
                   const std::string& name) override;
  Result<Json> list(const ResourceType& type, const std::string& ns,
                    const ListOptions& options) override;
  Result<Json> create(const ResourceType& type, const std::string& ns, const Json& object) override;
  Result<Json> update(const ResourceType& type, const Json& object) override;
  Result<Json> updateStatus(const ResourceType& type, const Json& object) override;
  Result<Json> patch(const ResourceType& type, const std::string& ns, const std::string& name,
                     PatchType patch_type, const Json& patch,
                     const std::string& subresource = "") override;
  Status remove(const ResourceType& type, const std::string& ns, const std::string& name) override;
  Status watch(const ResourceType& type, const std::string& ns, const WatchOptions& options,
               const std::function<void(const WatchEvent&)>& on_event,
               const CancelToken& cancel) override;

  // A raw request (path + query already encoded), for endpoints outside ApiClient.
  Result<Json> request(const std::string& method, const std::string& path_and_query,
                       const Json* body, const std::string& content_type, const std::string& verb);

  // "/apis/apps/v1/namespaces/ns/deployments/name/status"; empty parts are omitted.
  static std::string resourcePath(const ResourceType& type, const std::string& ns,
                                  const std::string& name = "",
                                  const std::string& subresource = "");

 private:
  RestClient(ClusterConfig config, RestClientOptions options,
             std::unique_ptr<HttpTransport> transport);
  HttpOutgoing outgoing(const std::string& method, const std::string& target,
                        const std::string& authorization) const;
  // The Status of a non-2xx response; a 401 also invalidates the bearer token.
  Status errorResponse(int code, const std::string& body, const std::string& what);
  Result<std::string> authorization();
  void observe(const std::string& verb, int code) const;

  ClusterConfig config_;
  RestClientOptions options_;
  RequestObserver observer_;
  WriteFence fence_;
  CancelToken writes_closed_;
  mutable std::mutex closed_mu_;
  std::string closed_reason_;
  std::unique_ptr<HttpTransport> transport_;
};

}  // namespace mr::k8s
