// HttpTransport on libcurl's multi interface (http_transport.h has the contract). Callers
// build a Transfer (an easy handle with its options) on their own thread, hand it to the I/O
// thread, and wait on the Transfer's condition variable. Only the I/O thread touches a handle
// once it is handed over, and it cleans the handle up before it marks the Transfer done.
#include <curl/curl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>

#include "k8s/http_transport.h"
#include "k8s/transport_setup.h"

namespace mr::k8s {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

namespace {

constexpr milliseconds kCancelPoll{100};
constexpr milliseconds kIdleWake{1000};
constexpr size_t kMaxHeaderBytes = 256u << 10;
constexpr int kMaxHeaderLines = 200;
constexpr size_t kStreamPauseBytes = 4u << 20;
constexpr int kKeepIdleSeconds = 30;
constexpr int kKeepIntervalSeconds = 10;
constexpr int kKeepCount = 3;
constexpr long kMaxConnectionAgeSeconds = 90;  // Go's http.Transport IdleConnTimeout

bool is2xx(int code) {
  return code >= 200 && code < 300;
}

}  // namespace

struct Transfer {
  // Set by the caller before the hand-over.
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string method;
  std::string body;
  bool replayable = true;  // GET/HEAD: libcurl may re-send on a dead reused connection
  bool streaming = false;
  milliseconds idle{0};
  const CancelToken* cancel = nullptr;
  size_t max_body = 0;
  Deadline deadline;

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

  // Shared with the caller.
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

  curl_slist* connect_to = nullptr;

  ~Transfer() {
    if (easy) curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    curl_slist_free_all(connect_to);
  }
};

struct HttpTransport::Impl {
  ServerEndpoint endpoint;
  std::string url_base;    // differs from endpoint.base when tls_server_name is set
  std::string connect_to;  // "name:port:host:port" then
  ProxyChoice proxy;
  ClusterConfig tls;  // the PEM material and TLS flags
  HttpTransportOptions options;
  CURLM* multi = nullptr;

  std::mutex mu;
  std::vector<std::shared_ptr<Transfer>> queue;  // handed over, not yet added
  bool stopping = false;
  std::thread io;

  ~Impl() {
    if (multi) curl_multi_cleanup(multi);
  }

  Result<std::shared_ptr<Transfer>> prepare(const HttpOutgoing& request, bool streaming);
  void submit(std::shared_ptr<Transfer> t);
  void wake() { curl_multi_wakeup(multi); }
  void run();
  void finish(Transfer& t, Status status);
  Status outcome(Transfer& t);
};

namespace {

size_t onHeader(char* p, size_t size, size_t n, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  const size_t len = size * n;
  t.header_bytes += len;
  if (t.header_bytes > kMaxHeaderBytes || ++t.header_lines > kMaxHeaderLines) {
    t.callback_error =
        unavailable("response headers exceed " + std::to_string(kMaxHeaderBytes >> 10) +
                    " KiB or " + std::to_string(kMaxHeaderLines) + " lines");
    return 0;
  }
  const bool blank = (len == 2 && p[0] == '\r' && p[1] == '\n') || (len == 1 && p[0] == '\n');
  if (!blank) return len;
  long code = 0;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &code);
  if (code < 200) return len;  // an interim 1xx response; the final one follows
  long version = 0;
  curl_easy_getinfo(t.easy, CURLINFO_HTTP_VERSION, &version);
  t.head_code = static_cast<int>(code);
  std::lock_guard lock(t.mu);
  t.code = t.head_code;
  t.http_version = version == CURL_HTTP_VERSION_2_0   ? 20
                   : version == CURL_HTTP_VERSION_1_0 ? 10
                                                      : 11;
  t.head = true;
  t.cv.notify_all();
  return len;
}

size_t onBody(char* p, size_t size, size_t n, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (t.streaming) t.deadline = SteadyClock::now() + t.idle;  // an idle timeout
  if (t.streaming && is2xx(t.head_code)) {
    std::lock_guard lock(t.mu);
    if (t.stop) return 0;
    if (t.data.size() >= kStreamPauseBytes) {  // the caller is behind: wait for it
      t.paused = true;
      return CURL_WRITEFUNC_PAUSE;
    }
    t.data.append(p, len);
    t.cv.notify_all();
    return len;
  }
  t.received += len;
  if (t.received > t.max_body) {
    t.callback_error =
        unavailable("response body exceeds the limit of " + std::to_string(t.max_body) + " bytes");
    return 0;
  }
  t.data.append(p, len);  // read by the caller only after `done`
  return len;
}

size_t onRead(char* buffer, size_t size, size_t n, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  const size_t k = std::min(size * n, t.body.size() - t.body_offset);
  std::copy_n(t.body.data() + t.body_offset, k, buffer);
  t.body_offset += k;
  return k;
}

Status notSentTwice(const Transfer& t) {
  return unavailable("the connection was lost before a response to " + t.method +
                     " arrived; it is not sent twice (the server may have applied it)");
}

int onSeek(void* user, curl_off_t offset, int origin) {
  Transfer& t = *static_cast<Transfer*>(user);
  if (offset == 0 && origin == SEEK_SET && t.body_offset == 0) return CURL_SEEKFUNC_OK;
  t.callback_error = notSentTwice(t);
  return CURL_SEEKFUNC_FAIL;
}

// Called before every attempt to send the request, a re-send included.
int onPrereq(void* user, char*, char*, int, int) {
  Transfer& t = *static_cast<Transfer*>(user);
  if (++t.attempts > 1 && !t.replayable) {
    t.callback_error = notSentTwice(t);
    return CURL_PREREQFUNC_ABORT;
  }
  return CURL_PREREQFUNC_OK;
}

int onSocket(void* user, curl_socket_t fd, curlsocktype purpose) {
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKOPT_OK;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &kKeepIdleSeconds, sizeof kKeepIdleSeconds);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &kKeepIntervalSeconds, sizeof kKeepIntervalSeconds);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &kKeepCount, sizeof kKeepCount);
  auto* impl = static_cast<HttpTransport::Impl*>(user);
  if (impl->options.socket_observer) impl->options.socket_observer(fd);
  return CURL_SOCKOPT_OK;
}

Status statusOf(CURLcode rc, const char* errbuf) {
  std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_OK:
      return Status::ok();
    case CURLE_OPERATION_TIMEDOUT:
      return deadlineExceeded("timed out: " + detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return unavailable("TLS certificate verification failed: " + detail);
    case CURLE_FILESIZE_EXCEEDED:
      return unavailable("response body exceeds the size limit (by its Content-Length)");
    case CURLE_URL_MALFORMAT:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      return invalidArgument(detail);
    default:
      return unavailable(detail);
  }
}

template <typename T>
bool set(CURL* easy, CURLoption option, T value) {
  return curl_easy_setopt(easy, option, value) == CURLE_OK;
}

bool setBlob(CURL* easy, CURLoption option, const std::string& pem) {
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  return curl_easy_setopt(easy, option, &blob) == CURLE_OK;
}

}  // namespace

Result<std::shared_ptr<Transfer>> HttpTransport::Impl::prepare(const HttpOutgoing& request,
                                                               bool streaming) {
  if (request.target.empty() || request.target[0] != '/') {
    return invalidArgument("request target must start with '/'");
  }
  for (unsigned char c : request.target) {
    if (c <= 0x20 || c >= 0x7f) {
      return invalidArgument("request target holds a raw space, control or non-ASCII byte");
    }
  }
  if (Status s = validateHeaders(request.headers); !s.isOk()) return s;
  auto t = std::make_shared<Transfer>();
  t->easy = curl_easy_init();
  if (!t->easy) return internalError("curl_easy_init failed");
  t->method = request.method;
  t->streaming = streaming;
  t->max_body = options.max_body_bytes;
  CURL* e = t->easy;
  const std::string url = url_base + request.target;
  bool ok = set(e, CURLOPT_URL, url.c_str()) && set(e, CURLOPT_PRIVATE, t.get()) &&
            set(e, CURLOPT_ERRORBUFFER, t->errbuf) && set(e, CURLOPT_NOSIGNAL, 1L) &&
            set(e, CURLOPT_PROTOCOLS_STR, "http,https") &&
            set(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS)) &&
            set(e, CURLOPT_ACCEPT_ENCODING, "gzip") &&
            set(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count())) &&
            set(e, CURLOPT_MAXAGE_CONN, kMaxConnectionAgeSeconds) &&
            set(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_body_bytes)) &&
            set(e, CURLOPT_HEADERFUNCTION, onHeader) && set(e, CURLOPT_HEADERDATA, t.get()) &&
            set(e, CURLOPT_WRITEFUNCTION, onBody) && set(e, CURLOPT_WRITEDATA, t.get()) &&
            set(e, CURLOPT_PREREQFUNCTION, onPrereq) && set(e, CURLOPT_PREREQDATA, t.get()) &&
            set(e, CURLOPT_SOCKOPTFUNCTION, onSocket) && set(e, CURLOPT_SOCKOPTDATA, this) &&
            set(e, CURLOPT_PROXY, proxy.proxy.c_str()) &&
            set(e, CURLOPT_NOPROXY, proxy.no_proxy.c_str());
  if (!connect_to.empty()) {
    t->headers = curl_slist_append(t->headers, ("Host: " + endpoint.authority).c_str());
  }
  if (endpoint.tls) {
    ok = ok && set(e, CURLOPT_PIPEWAIT, 1L) &&
         set(e, CURLOPT_SSL_VERIFYPEER, tls.insecure_skip_tls_verify ? 0L : 1L) &&
         set(e, CURLOPT_SSL_VERIFYHOST, tls.insecure_skip_tls_verify ? 0L : 2L) &&
         set(e, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (!tls.ca_pem.empty()) {  // exactly this CA: no system bundle beside it
      ok = ok && setBlob(e, CURLOPT_CAINFO_BLOB, tls.ca_pem) &&
           set(e, CURLOPT_CAINFO, static_cast<char*>(nullptr)) &&
           set(e, CURLOPT_CAPATH, static_cast<char*>(nullptr));
    }
    if (!tls.client_certificate_pem.empty()) {
      ok = ok && set(e, CURLOPT_SSLCERTTYPE, "PEM") &&
           setBlob(e, CURLOPT_SSLCERT_BLOB, tls.client_certificate_pem) &&
           set(e, CURLOPT_SSLKEYTYPE, "PEM") && setBlob(e, CURLOPT_SSLKEY_BLOB, tls.client_key_pem);
    }
  }
  if (!connect_to.empty()) {
    t->connect_to = curl_slist_append(nullptr, connect_to.c_str());
    ok = ok && set(e, CURLOPT_CONNECT_TO, t->connect_to);
  }
  const bool bodyless =
      request.body.empty() &&
      (request.method == "GET" || request.method == "HEAD" || request.method == "DELETE");
  t->replayable = request.method == "GET" || request.method == "HEAD";
  if (request.method == "GET") {
    ok = ok && set(e, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    ok = ok && set(e, CURLOPT_NOBODY, 1L);
  } else if (bodyless) {
    ok = ok && set(e, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else {
    t->body = request.body;
    ok = ok && set(e, CURLOPT_POST, 1L) &&
         set(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body.size())) &&
         set(e, CURLOPT_READFUNCTION, onRead) && set(e, CURLOPT_READDATA, t.get()) &&
         set(e, CURLOPT_SEEKFUNCTION, onSeek) && set(e, CURLOPT_SEEKDATA, t.get());
    if (request.method != "POST") ok = ok && set(e, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    if (strcasecmp(name.c_str(), "content-type") == 0) has_content_type = true;
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    t->headers = curl_slist_append(t->headers, line.c_str());
  }
  t->headers = curl_slist_append(t->headers, "Expect:");  // no 100-continue round trip
  if (!has_content_type) t->headers = curl_slist_append(t->headers, "Content-Type:");
  ok = ok && t->headers != nullptr && set(e, CURLOPT_HTTPHEADER, t->headers);
  if (!ok) return internalError("configuring the curl handle failed");
  return t;
}

void HttpTransport::Impl::submit(std::shared_ptr<Transfer> t) {
  {
    std::lock_guard lock(mu);
    queue.push_back(std::move(t));
  }
  wake();
}

Status HttpTransport::Impl::outcome(Transfer& t) {
  if (!t.callback_error.isOk()) return t.callback_error;
  if (t.curl_result != CURLE_OK) return statusOf(t.curl_result, t.errbuf);
  if (t.head_code == 0) return unavailable("no HTTP response");
  return Status::ok();
}

void HttpTransport::Impl::finish(Transfer& t, Status status) {
  if (t.easy) {
    curl_multi_remove_handle(multi, t.easy);
    // Never reused (no handle pool): libcurl 7.88 keeps a pointer to the previous response's
    // last header across curl_easy_reset, and a folded header line in the next response then
    // reads freed memory (found by fuzz_http_response under ASan).
    curl_easy_cleanup(t.easy);
    t.easy = nullptr;
  }
  std::lock_guard lock(t.mu);
  t.done = true;
  t.result = std::move(status);
  t.cv.notify_all();
}

void HttpTransport::Impl::run() {
  std::vector<std::shared_ptr<Transfer>> active;
  for (;;) {
    std::vector<std::shared_ptr<Transfer>> incoming;
    bool stop_now;
    {
      std::lock_guard lock(mu);
      incoming.swap(queue);
      stop_now = stopping;
    }
    for (auto& t : incoming) {
      if (stop_now || curl_multi_add_handle(multi, t->easy) != CURLM_OK) {
        finish(*t, unavailable("HTTP transport shut down"));
        continue;
      }
      active.push_back(std::move(t));
    }
    if (stop_now) {
      for (auto& t : active)
        finish(*t, unavailable("HTTP transport shut down"));
      return;
    }
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
      t->completed = true;
      t->curl_result = m->data.result;
    }
    const Deadline now = SteadyClock::now();
    Deadline next = now + kIdleWake;
    for (auto it = active.begin(); it != active.end();) {
      Transfer& t = **it;
      std::optional<Status> end;
      bool resume = false;
      bool paused = false;
      {
        std::lock_guard lock(t.mu);
        if (t.stop) end = Status::ok();
        paused = t.paused;  // our reader is behind: that is no idle server
        resume = t.resume;
        t.resume = false;
        if (resume) t.paused = false;
      }
      if (!end && t.completed) end = outcome(t);
      if (!end && t.cancel && t.cancel->cancelled) end = unavailable("cancelled");
      if (paused) t.deadline = now + t.idle;
      if (!end && now >= t.deadline) {
        end = deadlineExceeded(t.head_code == 0 ? "timed out before the response headers"
                                                : "timed out reading the response body");
      }
      if (end) {
        finish(t, std::move(*end));
        it = active.erase(it);
        continue;
      }
      if (resume) curl_easy_pause(t.easy, CURLPAUSE_CONT);
      next = std::min(next, t.deadline);
      if (t.cancel) next = std::min(next, now + kCancelPoll);
      ++it;
    }
    const auto wait = std::chrono::ceil<milliseconds>(next - SteadyClock::now());
    curl_multi_poll(multi, nullptr, 0, static_cast<int>(std::max<int64_t>(wait.count(), 0)),
                    nullptr);
  }
}

HttpTransport::HttpTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpTransport::~HttpTransport() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->wake();
  if (impl_->io.joinable()) impl_->io.join();
}

Result<std::unique_ptr<HttpTransport>> HttpTransport::create(const ClusterConfig& config,
                                                             HttpTransportOptions options) {
  static std::once_flag init_once;
  static CURLcode init_rc = CURLE_OK;
  std::call_once(init_once, [] {
    init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    // A write to a connection the peer reset must be an error, not a dead process.
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      std::signal(SIGPIPE, SIG_IGN);
    }
  });
  if (init_rc != CURLE_OK) return internalError("curl_global_init failed");
  auto endpoint = parseServerUrl(config.server);
  if (!endpoint.isOk()) return endpoint.status();
  if (Status s = validateTlsConfig(config); !s.isOk()) return s;
  auto impl = std::make_unique<Impl>();
  impl->endpoint = *endpoint;
  impl->url_base = endpoint->base;
  if (endpoint->tls && !config.tls_server_name.empty() &&
      config.tls_server_name != endpoint->host) {
    // libcurl verifies and sends as SNI the URL's host: put the TLS name there and connect to
    // the real host (the Host header keeps the URL's authority).
    const std::string host =
        endpoint->host.find(':') != std::string::npos ? "[" + endpoint->host + "]" : endpoint->host;
    impl->url_base =
        "https://" + config.tls_server_name + ":" + endpoint->port + endpoint->path_prefix;
    impl->connect_to =
        config.tls_server_name + ":" + endpoint->port + ":" + host + ":" + endpoint->port;
  }
  impl->proxy = chooseProxy(*endpoint, config.proxy_url, options.env);
  impl->tls.ca_pem = config.ca_pem;
  impl->tls.insecure_skip_tls_verify = config.insecure_skip_tls_verify;
  impl->tls.client_certificate_pem = config.client_certificate_pem;
  impl->tls.client_key_pem = config.client_key_pem;
  impl->options = std::move(options);
  impl->multi = curl_multi_init();
  if (!impl->multi) return internalError("curl_multi_init failed");
  curl_multi_setopt(impl->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(impl->multi, CURLMOPT_MAXCONNECTS, impl->options.max_connections);
  Impl* raw = impl.get();
  impl->io = std::thread([raw] { raw->run(); });
  return std::unique_ptr<HttpTransport>(new HttpTransport(std::move(impl)));
}

Result<HttpIncoming> HttpTransport::roundTrip(const HttpOutgoing& request, milliseconds timeout,
                                              const CancelToken* cancel) {
  if (cancel && cancel->cancelled) return unavailable("request cancelled");
  auto prepared = impl_->prepare(request, /*streaming=*/false);
  if (!prepared.isOk()) return prepared.status();
  std::shared_ptr<Transfer> t = std::move(*prepared);
  t->cancel = cancel;
  t->deadline = SteadyClock::now() + timeout;
  // The I/O thread ends the transfer at the deadline; libcurl's own timeout (it rounds to
  // whole milliseconds, so it may fire a little early) is only the backstop.
  curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(timeout.count(), 0) + 50));
  impl_->submit(t);
  std::unique_lock lock(t->mu);
  t->cv.wait(lock, [&] { return t->done; });
  if (!t->result.isOk()) return t->result;
  HttpIncoming in;
  in.code = t->code;
  in.http_version = t->http_version;
  in.body = std::move(t->data);
  return in;
}

Status HttpTransport::stream(const HttpOutgoing& request, milliseconds idle_timeout,
                             const CancelToken& cancel,
                             const std::function<void(int, std::string)>& on_head,
                             const std::function<bool(std::string_view)>& on_data) {
  auto prepared = impl_->prepare(request, /*streaming=*/true);
  if (!prepared.isOk()) return prepared.status();
  std::shared_ptr<Transfer> t = std::move(*prepared);
  t->cancel = &cancel;
  t->idle = idle_timeout;
  t->deadline = SteadyClock::now() + idle_timeout;
  impl_->submit(t);
  bool head_delivered = false;
  std::unique_lock lock(t->mu);
  for (;;) {
    t->cv.wait(lock, [&] {
      return t->done || (!head_delivered && t->head && is2xx(t->code)) ||
             (head_delivered && !t->data.empty());
    });
    if (!head_delivered && t->head && is2xx(t->code)) {
      head_delivered = true;
      const int code = t->code;
      lock.unlock();
      on_head(code, "");
      lock.lock();
      continue;
    }
    if (head_delivered && !t->data.empty()) {
      std::string piece;
      piece.swap(t->data);
      const bool resume = t->paused;
      if (resume) t->resume = true;
      lock.unlock();
      if (resume) impl_->wake();
      const bool more = on_data(piece);
      lock.lock();
      if (!more) {
        t->stop = true;
        lock.unlock();
        impl_->wake();
        lock.lock();
        t->cv.wait(lock, [&] { return t->done; });
        return Status::ok();
      }
      continue;
    }
    // done, every byte delivered
    if (!t->result.isOk()) return cancel.cancelled ? Status::ok() : t->result;
    if (!head_delivered) {
      const int code = t->code;
      std::string body = std::move(t->data);
      lock.unlock();
      on_head(code, std::move(body));
    }
    return Status::ok();
  }
}

}  // namespace mr::k8s
