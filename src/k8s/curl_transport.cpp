// HttpTransport on libcurl's multi interface (http_transport.h has the contract). Callers
// build a Transfer (curl_transfer.h: an easy handle duplicated from the transport's template)
// on their own thread, hand it to the I/O thread, and wait on the Transfer's condition
// variable. Only the I/O thread touches a handle once it is handed over, and it cleans the
// handle up before it marks the Transfer done.
// The I/O thread is event-driven (curl_multi_socket_action on an epoll set): a socket that
// becomes ready runs only the transfers on that socket. curl_multi_perform would visit every
// transfer, watches included, and poll() each one's socket, on every wake-up: with the
// controller's watches open that was the largest cost per request (bench/README.md
// "Transport cost per request").
#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>

#include "k8s/curl_transfer.h"
#include "k8s/http_transport.h"
#include "k8s/transport_setup.h"

namespace mr::k8s {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

namespace {

constexpr milliseconds kCancelPoll{100};
constexpr milliseconds kIdleWake{1000};
constexpr int kMaxEvents = 64;

bool is2xx(int code) {
  return code >= 200 && code < 300;
}

}  // namespace

struct HttpTransport::Impl {
  std::unique_ptr<TransferFactory> factory;
  HttpTransportOptions options;
  CURLM* multi = nullptr;
  CURLSH* share = nullptr;  // TLS sessions, so a new connection resumes instead of a handshake
  int epoll_fd = -1;
  int wake_fd = -1;  // an eventfd in the epoll set

  // The I/O thread's.
  Deadline curl_timer = Deadline::max();  // when libcurl wants CURL_SOCKET_TIMEOUT

  std::mutex mu;
  std::vector<std::shared_ptr<Transfer>> queue;  // handed over, not yet added
  bool stopping = false;
  std::thread io;
  // Set while the I/O thread is (about to be) in epoll_wait: only then does a submit need
  // the eventfd; otherwise the thread looks at the queue before it sleeps again.
  std::atomic<bool> io_waiting{false};

  ~Impl() {
    if (multi) curl_multi_cleanup(multi);  // before the share its handles used
    if (share) curl_share_cleanup(share);
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void submit(std::shared_ptr<Transfer> t);
  void wake() const {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd, &one, sizeof one);
  }
  void run();
  void drainCompleted();
  void finish(Transfer& t, Status status);
};

namespace {

// CURLMOPT_SOCKETFUNCTION: keeps the epoll set equal to what libcurl waits for.
int onCurlSocket(CURL*, curl_socket_t fd, int what, void* user, void* registered) {
  auto* impl = static_cast<HttpTransport::Impl*>(user);
  if (what == CURL_POLL_REMOVE) {
    ::epoll_ctl(impl->epoll_fd, EPOLL_CTL_DEL, fd, nullptr);  // ENOENT/EBADF: already gone
    return 0;
  }
  epoll_event ev{};
  ev.data.fd = fd;
  ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
  int op = registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (::epoll_ctl(impl->epoll_fd, op, fd, &ev) != 0) {
    // A socket number reused before libcurl reported the old one gone, or the reverse.
    op = op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (errno == EEXIST || errno == ENOENT) ::epoll_ctl(impl->epoll_fd, op, fd, &ev);
  }
  if (!registered) curl_multi_assign(impl->multi, fd, impl);
  return 0;
}

// CURLMOPT_TIMERFUNCTION: libcurl's next deadline (-1: none). Never calls back into libcurl.
int onCurlTimer(CURLM*, long timeout_ms, void* user) {
  auto* impl = static_cast<HttpTransport::Impl*>(user);
  impl->curl_timer =
      timeout_ms < 0 ? Deadline::max() : SteadyClock::now() + milliseconds(timeout_ms);
  return 0;
}

}  // namespace

void HttpTransport::Impl::submit(std::shared_ptr<Transfer> t) {
  {
    std::lock_guard lock(mu);
    queue.push_back(std::move(t));
  }
  // Pairs with run(): it sets io_waiting before it looks at the queue under `mu`, so either
  // it sees this Transfer or this sees io_waiting.
  if (io_waiting.load()) wake();
}

void HttpTransport::Impl::finish(Transfer& t, Status status) {
  if (t.easy) {
    curl_multi_remove_handle(multi, t.easy);
    // Never reused (see curl_transfer.h): libcurl 7.88 keeps a pointer to the previous
    // response's last header across curl_easy_reset (docs/fuzzing.md finding 4).
    curl_easy_cleanup(t.easy);
    t.easy = nullptr;
  }
  {
    std::lock_guard lock(t.mu);
    t.done = true;
    t.result = std::move(status);
  }
  t.cv.notify_all();  // the caller of finish() holds the Transfer alive
}

void HttpTransport::Impl::drainCompleted() {
  int left = 0;
  while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
    if (m->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
    t->completed = true;
    t->curl_result = m->data.result;
  }
}

void HttpTransport::Impl::run() {
  std::vector<std::shared_ptr<Transfer>> active;
  std::vector<std::shared_ptr<Transfer>> incoming;
  epoll_event events[kMaxEvents];
  int running = 0;
  for (;;) {
    bool stop_now;
    {
      std::lock_guard lock(mu);
      incoming.swap(queue);
      stop_now = stopping;
    }
    for (auto& t : incoming) {
      if (stop_now || curl_easy_setopt(t->easy, CURLOPT_SHARE, share) != CURLE_OK ||
          curl_multi_add_handle(multi, t->easy) != CURLM_OK) {
        finish(*t, unavailable("HTTP transport shut down"));
        continue;
      }
      active.push_back(std::move(t));
    }
    incoming.clear();
    if (stop_now) {
      for (auto& t : active)
        finish(*t, unavailable("HTTP transport shut down"));
      return;
    }
    if (curl_timer <= SteadyClock::now()) {  // new handles start here (their timer is 0)
      curl_timer = Deadline::max();
      curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
      drainCompleted();
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
      if (!end && t.completed) end = transferOutcome(t);
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
      if (resume) curl_easy_pause(t.easy, CURLPAUSE_CONT);  // sets a timer of 0
      next = std::min(next, t.deadline);
      if (t.cancel) next = std::min(next, now + kCancelPoll);
      ++it;
    }
    next = std::min(next, curl_timer);
    auto wait = std::chrono::ceil<milliseconds>(next - SteadyClock::now());
    io_waiting.store(true);
    {
      std::lock_guard lock(mu);
      if (!queue.empty() || stopping) wait = milliseconds(0);
    }
    const int n = ::epoll_wait(epoll_fd, events, kMaxEvents,
                               static_cast<int>(std::max<int64_t>(wait.count(), 0)));
    io_waiting.store(false, std::memory_order_relaxed);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd) {
        uint64_t count = 0;
        [[maybe_unused]] ssize_t r = ::read(wake_fd, &count, sizeof count);
        continue;
      }
      const uint32_t e = events[i].events;
      const int bits = ((e & (EPOLLIN | EPOLLHUP)) ? CURL_CSELECT_IN : 0) |
                       ((e & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                       ((e & EPOLLERR) ? CURL_CSELECT_ERR : 0);
      curl_multi_socket_action(multi, fd, bits, &running);
    }
    drainCompleted();
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
  TransferSettings settings;
  settings.url_base = endpoint->base;
  settings.tls = endpoint->tls;
  if (endpoint->tls && !config.tls_server_name.empty() &&
      config.tls_server_name != endpoint->host) {
    // libcurl verifies and sends as SNI the URL's host: put the TLS name there and connect to
    // the real host (the Host header keeps the URL's authority).
    const std::string host =
        endpoint->host.find(':') != std::string::npos ? "[" + endpoint->host + "]" : endpoint->host;
    settings.url_base =
        "https://" + config.tls_server_name + ":" + endpoint->port + endpoint->path_prefix;
    settings.connect_to =
        config.tls_server_name + ":" + endpoint->port + ":" + host + ":" + endpoint->port;
    settings.host_header = "Host: " + endpoint->authority;
  }
  const ProxyChoice proxy = chooseProxy(*endpoint, config.proxy_url, options.env);
  settings.proxy = proxy.proxy;
  settings.no_proxy = proxy.no_proxy;
  settings.tls_material.ca_pem = config.ca_pem;
  settings.tls_material.insecure_skip_tls_verify = config.insecure_skip_tls_verify;
  settings.tls_material.client_certificate_pem = config.client_certificate_pem;
  settings.tls_material.client_key_pem = config.client_key_pem;
  settings.connect_timeout = options.connect_timeout;
  settings.max_body_bytes = options.max_body_bytes;
  settings.socket_observer = options.socket_observer;
  auto factory = TransferFactory::create(std::move(settings));
  if (!factory.isOk()) return factory.status();

  auto impl = std::make_unique<Impl>();
  impl->factory = std::move(*factory);
  impl->options = std::move(options);
  impl->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  impl->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl->epoll_fd < 0 || impl->wake_fd < 0) return internalError("epoll/eventfd failed");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = impl->wake_fd;
  if (::epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, impl->wake_fd, &ev) != 0) {
    return internalError("epoll_ctl failed");
  }
  impl->share = curl_share_init();
  if (!impl->share ||
      curl_share_setopt(impl->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
    return internalError("curl_share_init failed");
  }
  impl->multi = curl_multi_init();
  if (!impl->multi) return internalError("curl_multi_init failed");
  Impl* raw = impl.get();
  curl_multi_setopt(raw->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(raw->multi, CURLMOPT_MAXCONNECTS, raw->options.max_connections);
  curl_multi_setopt(raw->multi, CURLMOPT_SOCKETFUNCTION, onCurlSocket);
  curl_multi_setopt(raw->multi, CURLMOPT_SOCKETDATA, raw);
  curl_multi_setopt(raw->multi, CURLMOPT_TIMERFUNCTION, onCurlTimer);
  curl_multi_setopt(raw->multi, CURLMOPT_TIMERDATA, raw);
  impl->io = std::thread([raw] { raw->run(); });
  return std::unique_ptr<HttpTransport>(new HttpTransport(std::move(impl)));
}

Result<HttpIncoming> HttpTransport::roundTrip(const HttpOutgoing& request, milliseconds timeout,
                                              const CancelToken* cancel) {
  if (cancel && cancel->cancelled) return unavailable("request cancelled");
  auto prepared = impl_->factory->make(request, /*streaming=*/false);
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
  auto prepared = impl_->factory->make(request, /*streaming=*/true);
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
