// Transfer: one request of HttpTransport (curl_transport.cpp) on its own libcurl easy handle,
// with the state the libcurl callbacks fill in and what the calling thread waits for.
// TransferFactory makes them. Every option that is the same for all requests of a transport
// (protocols, HTTP version, TLS material, proxy, connect timeout, size cap, callbacks) is set
// once on a template handle that never runs a transfer; each request gets a
// curl_easy_duphandle of it plus its own URL, method, body and headers (~10 setopts instead of
// ~35, and the PEM blobs are copied, not set and checked again).
// A handle carries one request only and is then cleaned up. A duplicate starts with no
// response state; curl_easy_reset + reuse hit a libcurl 7.88 use-after-free (docs/fuzzing.md
// finding 4: the previous response's last header survives the reset), so there is no pool.
// Thread-safety: TransferFactory::make may be called from many threads at once (the template
// is read under a mutex). A Transfer's fields are split by owner as commented: the caller sets
// the first group before the hand-over, the I/O thread owns the second, `mu` guards the third.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"
#include "k8s/http_transport.h"

namespace mr::k8s {

struct Transfer {
  // Set by the caller before the hand-over.
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string method;
  std::string body;
  bool replayable = true;  // GET/HEAD: libcurl may re-send on a dead reused connection
  bool streaming = false;
  std::chrono::milliseconds idle{0};
  const CancelToken* cancel = nullptr;
  size_t max_body = 0;
  std::chrono::steady_clock::time_point deadline;

  // The I/O thread's (callbacks run on it).
  size_t body_offset = 0;
  size_t received = 0;
  size_t header_bytes = 0;
  int header_lines = 0;
  int attempts = 0;
  int head_code = 0;
  bool completed = false;
  CURLcode curl_result = CURLE_OK;
  Status callback_error;
  char errbuf[CURL_ERROR_SIZE] = {};

  // Shared with the caller, under `mu`.
  std::mutex mu;
  std::condition_variable cv;
  int code = 0;
  int http_version = 0;
  bool head = false;
  bool done = false;
  Status result;
  std::string data;  // the whole body, or a stream's unread data
  bool paused = false;
  bool resume = false;
  bool stop = false;

  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  ~Transfer();
};

// What every request of one transport shares.
struct TransferSettings {
  std::string url_base;     // scheme://authority + path prefix (the TLS name when it differs)
  std::string host_header;  // "Host: <authority>" when url_base names the TLS name, else ""
  std::string connect_to;   // "name:port:host:port" in that case, else ""
  bool tls = false;
  std::string proxy, no_proxy;
  ClusterConfig tls_material;  // ca/client PEM and insecure_skip_tls_verify
  std::chrono::milliseconds connect_timeout{10000};
  size_t max_body_bytes = 0;
  std::function<void(int fd)> socket_observer;
};

class TransferFactory {
 public:
  // Builds the template handle; fails when libcurl refuses an option.
  static Result<std::unique_ptr<TransferFactory>> create(TransferSettings settings);
  ~TransferFactory();
  TransferFactory(const TransferFactory&) = delete;
  TransferFactory& operator=(const TransferFactory&) = delete;

  // A Transfer for `request` with its handle configured; InvalidArgument for a bad target or
  // header (see http_transport.h). `streaming`: the body goes to the caller piece by piece.
  Result<std::shared_ptr<Transfer>> make(const HttpOutgoing& request, bool streaming);

 private:
  explicit TransferFactory(TransferSettings settings) : settings_(std::move(settings)) {}
  TransferSettings settings_;
  curl_slist* connect_to_list_ = nullptr;  // referenced by the template and every duplicate
  std::mutex template_mu_;
  CURL* template_ = nullptr;
};

// The request's outcome from its callbacks and libcurl's result code.
Status transferOutcome(const Transfer& t);

}  // namespace mr::k8s
