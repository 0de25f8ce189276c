#include "k8s/rest_client.h"

#include <cpprest/http_client.h>
#include <cpprest/uri_builder.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ssl.hpp>

#include "k8s/api_status.h"
#include "k8s/watch_parser.h"

namespace mr::k8s {

using web::http::http_request;
using web::http::http_response;
using web::http::methods;
using web::http::client::http_client;
using web::http::client::http_client_config;

namespace {

// Counts PEM certificates in `pem`; 0 means it is not usable as a CA bundle or client cert.
int countCertificates(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  int count = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_free(cert);
    ++count;
  }
  ERR_clear_error();
  BIO_free(bio);
  return count;
}

bool isPrivateKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  const bool ok = key != nullptr;
  EVP_PKEY_free(key);
  ERR_clear_error();
  BIO_free(bio);
  return ok;
}

// Maps a cpprestsdk transport exception to a retryable Status.
Status transportError(const std::exception& e, const std::string& what) {
  if (auto* http = dynamic_cast<const web::http::http_exception*>(&e)) {
    if (http->error_code() == std::errc::timed_out) {
      return deadlineExceeded(what + ": timed out: " + http->what());
    }
  }
  return unavailable(what + ": " + e.what());
}

// Completion flag for a pplx task, so waits can be interrupted by a CancelToken.
struct Completion {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
};

// Waits for `task`, polling `cancel` every 100ms. Returns false if cancelled first; then the
// HTTP request is cancelled (cpprestsdk closes the connection) and the task abandoned.
template <typename T>
bool waitCancellable(pplx::task<T>& task, const CancelToken& cancel,
                     pplx::cancellation_token_source& cts, const Clock& clock) {
  if (task.is_done()) return true;
  auto completion = std::make_shared<Completion>();
  task.then([completion](pplx::task<T> finished) {
    // Observe a failure here: an abandoned (cancelled) task's unobserved exception would
    // otherwise trap in pplx's destructor.
    try {
      finished.wait();
    } catch (...) {
    }
    std::lock_guard lock(completion->mu);
    completion->done = true;
    completion->cv.notify_all();
  });
  std::unique_lock lock(completion->mu);
  while (!completion->done) {
    if (cancel.cancelled) {
      cts.cancel();
      return false;
    }
    clock.waitUntil(completion->cv, lock, clock.steadyNow() + Millis(100));
  }
  return true;
}

std::string patchContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
  }
  return "application/merge-patch+json";
}

std::string metaString(const Json& object, const char* field) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  return meta->value(field, "");
}

}  // namespace

RestClient::RestClient(ClusterConfig config, RestClientOptions options, const Clock& clock)
    : config_(std::move(config)), options_(std::move(options)), clock_(clock) {
  auto client_config =
      makeConfig(std::chrono::duration_cast<std::chrono::seconds>(options_.request_timeout));
  client_ = std::make_unique<http_client>(config_.server, *client_config);
}

RestClient::~RestClient() = default;

Result<std::unique_ptr<RestClient>> RestClient::create(ClusterConfig config,
                                                       RestClientOptions options,
                                                       const Clock& clock) {
  if (config.server.rfind("http://", 0) != 0 && config.server.rfind("https://", 0) != 0) {
    return invalidArgument("server must be an http(s) URL, got '" + config.server + "'");
  }
  if (!config.ca_pem.empty() && countCertificates(config.ca_pem) == 0) {
    return invalidArgument("certificate authority data holds no PEM certificate");
  }
  if (!config.client_certificate_pem.empty()) {
    if (countCertificates(config.client_certificate_pem) == 0) {
      return invalidArgument("client certificate data holds no PEM certificate");
    }
    if (!isPrivateKey(config.client_key_pem)) {
      return invalidArgument("client key data holds no PEM private key");
    }
  }
  try {
    return std::unique_ptr<RestClient>(
        new RestClient(std::move(config), std::move(options), clock));
  } catch (const std::exception& e) {
    return invalidArgument(std::string("cannot create HTTP client: ") + e.what());
  }
}

std::unique_ptr<http_client_config> RestClient::makeConfig(std::chrono::seconds timeout) const {
  auto cfg = std::make_unique<http_client_config>();
  cfg->set_timeout(timeout);
  cfg->set_validate_certificates(!config_.insecure_skip_tls_verify);
  const std::string ca = config_.ca_pem;
  const std::string cert = config_.client_certificate_pem;
  const std::string key = config_.client_key_pem;
  if (!ca.empty() || !cert.empty()) {
    cfg->set_ssl_context_callback([ca, cert, key](boost::asio::ssl::context& ctx) {
      try {
        if (!ca.empty()) {
          // Trust exactly the configured CA, not the system roots (client-go semantics).
          SSL_CTX_set_cert_store(ctx.native_handle(), X509_STORE_new());
          ctx.add_certificate_authority(boost::asio::buffer(ca.data(), ca.size()));
        }
        if (!cert.empty()) {
          ctx.use_certificate_chain(boost::asio::buffer(cert.data(), cert.size()));
          ctx.use_private_key(boost::asio::buffer(key.data(), key.size()),
                              boost::asio::ssl::context::pem);
        }
      } catch (const std::exception& e) {
        spdlog::error("TLS context setup failed: {}", e.what());
      }
    });
  }
  return cfg;
}

std::string RestClient::resourcePath(const ResourceType& type, const std::string& ns,
                                     const std::string& name, const std::string& subresource) {
  std::string path =
      type.group.empty() ? "/api/" + type.version : "/apis/" + type.group + "/" + type.version;
  if (type.namespaced && !ns.empty()) path += "/namespaces/" + web::uri::encode_data_string(ns);
  path += "/" + type.plural;
  if (!name.empty()) path += "/" + web::uri::encode_data_string(name);
  if (!subresource.empty()) path += "/" + subresource;
  return path;
}

Result<std::string> RestClient::authorization() {
  if (!config_.token) return std::string();
  auto token = config_.token->token();
  if (!token.isOk()) return token.status().withContext("bearer token");
  return "Bearer " + *token;
}

void RestClient::observe(const std::string& verb, int code) const {
  if (observer_) observer_(verb, code);
}

Result<Json> RestClient::request(const std::string& method, const std::string& path_and_query,
                                 const Json* body, const std::string& content_type,
                                 const std::string& verb) {
  auto auth = authorization();
  if (!auth.isOk()) return auth.status();
  const std::string what = method + " " + path_and_query;
  try {
    http_request req(method);
    req.set_request_uri(path_and_query);
    req.headers().add("Accept", "application/json");
    req.headers().add("User-Agent", options_.user_agent);
    if (!auth->empty()) req.headers().add("Authorization", *auth);
    if (!config_.tls_server_name.empty()) req.headers().add("Host", config_.tls_server_name);
    if (body) req.set_body(body->dump(), content_type);
    http_response response = client_->request(req).get();
    const int code = response.status_code();
    observe(verb, code);
    const std::string text = response.extract_utf8string(true).get();
    if (code == 401 && config_.token) config_.token->invalidate();
    if (code < 200 || code >= 300) return statusFromHttpResponse(code, text).withContext(what);
    if (text.empty()) return Json::object();
    Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return internalError(what + ": response is not JSON");
    return parsed;
  } catch (const std::exception& e) {
    observe(verb, 0);
    return transportError(e, what);
  }
}

Result<Json> RestClient::get(const ResourceType& type, const std::string& ns,
                             const std::string& name) {
  return request(methods::GET, resourcePath(type, ns, name), nullptr, "", "get");
}

Result<Json> RestClient::list(const ResourceType& type, const std::string& ns,
                              const ListOptions& options) {
  web::uri_builder uri(resourcePath(type, ns));
  if (!options.label_selector.empty()) uri.append_query("labelSelector", options.label_selector);
  if (!options.field_selector.empty()) uri.append_query("fieldSelector", options.field_selector);
  if (!options.resource_version.empty()) {
    uri.append_query("resourceVersion", options.resource_version);
  }
  if (options.limit > 0) uri.append_query("limit", options.limit);
  if (!options.continue_token.empty()) uri.append_query("continue", options.continue_token);
  return request(methods::GET, uri.to_string(), nullptr, "", "list");
}

Result<Json> RestClient::create(const ResourceType& type, const std::string& ns,
                                const Json& object) {
  const std::string target_ns = ns.empty() ? metaString(object, "namespace") : ns;
  return request(methods::POST, resourcePath(type, target_ns), &object, "application/json",
                 "create");
}

Result<Json> RestClient::update(const ResourceType& type, const Json& object) {
  return request(methods::PUT,
                 resourcePath(type, metaString(object, "namespace"), metaString(object, "name")),
                 &object, "application/json", "update");
}

Result<Json> RestClient::updateStatus(const ResourceType& type, const Json& object) {
  return request(
      methods::PUT,
      resourcePath(type, metaString(object, "namespace"), metaString(object, "name"), "status"),
      &object, "application/json", "update");
}

Result<Json> RestClient::patch(const ResourceType& type, const std::string& ns,
                               const std::string& name, PatchType patch_type, const Json& patch,
                               const std::string& subresource) {
  return request(methods::PATCH, resourcePath(type, ns, name, subresource), &patch,
                 patchContentType(patch_type), "patch");
}

Status RestClient::remove(const ResourceType& type, const std::string& ns,
                          const std::string& name) {
  const Json options = {
      {"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
  return request(methods::DEL, resourcePath(type, ns, name), &options, "application/json", "delete")
      .status();
}

Status RestClient::watch(const ResourceType& type, const std::string& ns,
                         const WatchOptions& options,
                         const std::function<void(const WatchEvent&)>& on_event,
                         const CancelToken& cancel) {
  auto auth = authorization();
  if (!auth.isOk()) return auth.status();
  web::uri_builder uri(resourcePath(type, ns));
  uri.append_query("watch", "1");
  if (!options.resource_version.empty()) {
    uri.append_query("resourceVersion", options.resource_version);
  }
  if (options.allow_bookmarks) uri.append_query("allowWatchBookmarks", "true");
  if (!options.label_selector.empty()) uri.append_query("labelSelector", options.label_selector);
  if (options.timeout_seconds > 0) uri.append_query("timeoutSeconds", options.timeout_seconds);
  const std::string what = "watch " + uri.to_string();

  // Reads time out individually, so this is an idle timeout detecting dead streams.
  const auto idle = std::chrono::seconds(std::max(options.timeout_seconds, 0) +
                                         options_.watch_idle_slack_seconds);
  bool observed = false;
  try {
    auto client = std::make_shared<http_client>(config_.server, *makeConfig(idle));
    http_request req(methods::GET);
    req.set_request_uri(uri.to_string());
    req.headers().add("Accept", "application/json");
    req.headers().add("User-Agent", options_.user_agent);
    if (!auth->empty()) req.headers().add("Authorization", *auth);
    if (!config_.tls_server_name.empty()) req.headers().add("Host", config_.tls_server_name);
    pplx::cancellation_token_source cts;
    auto response_task = client->request(req, cts.get_token());
    if (!waitCancellable(response_task, cancel, cts, clock_)) return Status::ok();
    http_response response = response_task.get();
    const int code = response.status_code();
    observe("watch", code);
    observed = true;
    if (code < 200 || code >= 300) {
      const std::string text = response.extract_utf8string(true).get();
      if (code == 401 && config_.token) config_.token->invalidate();
      return statusFromHttpResponse(code, text).withContext(what);
    }

    auto stream = response.body().streambuf();
    // Shared with the read continuations, which may outlive this call after a cancel.
    auto buffer = std::make_shared<std::vector<uint8_t>>(options_.watch_read_bytes);
    WatchStreamDecoder decoder;
    Status decode_error;
    const auto sink = [&](Result<WatchEvent> event) {
      if (!decode_error.isOk()) return;
      if (!event.isOk()) {
        decode_error = event.status().withContext(what);
        return;
      }
      on_event(*event);
    };
    for (;;) {
      if (cancel.cancelled) {
        cts.cancel();
        return Status::ok();
      }
      const size_t avail = stream.in_avail();
      const size_t want = avail == 0 ? 1 : std::min(avail, buffer->size());
      pplx::task<size_t> read =
          stream.getn(buffer->data(), want).then([buffer](pplx::task<size_t> t) {
            return t.get();
          });
      if (!waitCancellable(read, cancel, cts, clock_)) return Status::ok();
      const size_t n = read.get();
      if (n == 0) break;  // end of stream: the server's timeoutSeconds or a clean close
      decoder.feed(std::string_view(reinterpret_cast<const char*>(buffer->data()), n), sink);
      // A garbled stream cannot be trusted to have delivered every event.
      if (!decode_error.isOk()) {
        cts.cancel();
        return decode_error;
      }
    }
    return Status::ok();
  } catch (const std::exception& e) {
    if (cancel.cancelled) return Status::ok();
    if (!observed) observe("watch", 0);
    return transportError(e, what);
  }
}

}  // namespace mr::k8s
