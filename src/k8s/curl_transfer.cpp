// Transfer handles from a template (curl_transfer.h has the contract) and the libcurl
// callbacks that fill a Transfer in. The callbacks run on the transport's I/O thread.
#include "k8s/curl_transfer.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>

#include "k8s/transport_setup.h"

namespace mr::k8s {

using SteadyClock = std::chrono::steady_clock;

namespace {

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
  {
    std::lock_guard lock(t.mu);
    t.code = t.head_code;
    t.http_version = version == CURL_HTTP_VERSION_2_0   ? 20
                     : version == CURL_HTTP_VERSION_1_0 ? 10
                                                        : 11;
    t.head = true;
  }
  // A round trip's caller waits for `done` only. Notified after unlocking, so the woken
  // thread does not block on the mutex at once (the I/O thread holds the Transfer alive).
  if (t.streaming) t.cv.notify_all();
  return len;
}

size_t onBody(char* p, size_t size, size_t n, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (t.streaming) t.deadline = SteadyClock::now() + t.idle;  // an idle timeout
  if (t.streaming && is2xx(t.head_code)) {
    bool wake;
    {
      std::lock_guard lock(t.mu);
      if (t.stop) return 0;
      if (t.data.size() >= kStreamPauseBytes) {  // the caller is behind: wait for it
        t.paused = true;
        return CURL_WRITEFUNC_PAUSE;
      }
      wake = t.data.empty();  // else the caller has not taken the previous piece yet
      t.data.append(p, len);
    }
    if (wake) t.cv.notify_all();
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
  const auto* observer = static_cast<const std::function<void(int)>*>(user);
  if (*observer) (*observer)(fd);
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

Transfer::~Transfer() {
  if (easy) curl_easy_cleanup(easy);
  curl_slist_free_all(headers);
}

Status transferOutcome(const Transfer& t) {
  if (!t.callback_error.isOk()) return t.callback_error;
  if (t.curl_result != CURLE_OK) return statusOf(t.curl_result, t.errbuf);
  if (t.head_code == 0) return unavailable("no HTTP response");
  return Status::ok();
}

Result<std::unique_ptr<TransferFactory>> TransferFactory::create(TransferSettings settings) {
  std::unique_ptr<TransferFactory> f(new TransferFactory(std::move(settings)));
  const TransferSettings& s = f->settings_;
  CURL* e = f->template_ = curl_easy_init();
  if (!e) return internalError("curl_easy_init failed");
  bool ok = set(e, CURLOPT_NOSIGNAL, 1L) && set(e, CURLOPT_PROTOCOLS_STR, "http,https") &&
            set(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS)) &&
            set(e, CURLOPT_ACCEPT_ENCODING, "gzip") &&
            set(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(s.connect_timeout.count())) &&
            set(e, CURLOPT_MAXAGE_CONN, kMaxConnectionAgeSeconds) &&
            set(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(s.max_body_bytes)) &&
            set(e, CURLOPT_HEADERFUNCTION, onHeader) && set(e, CURLOPT_WRITEFUNCTION, onBody) &&
            set(e, CURLOPT_PREREQFUNCTION, onPrereq) && set(e, CURLOPT_SOCKOPTFUNCTION, onSocket) &&
            set(e, CURLOPT_SOCKOPTDATA, &f->settings_.socket_observer) &&
            set(e, CURLOPT_PROXY, s.proxy.c_str()) && set(e, CURLOPT_NOPROXY, s.no_proxy.c_str());
  if (s.tls) {
    const ClusterConfig& tls = s.tls_material;
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
  if (!s.connect_to.empty()) {
    f->connect_to_list_ = curl_slist_append(nullptr, s.connect_to.c_str());
    ok = ok && f->connect_to_list_ && set(e, CURLOPT_CONNECT_TO, f->connect_to_list_);
  }
  if (!ok) return internalError("configuring the curl template handle failed");
  return f;
}

TransferFactory::~TransferFactory() {
  if (template_) curl_easy_cleanup(template_);
  curl_slist_free_all(connect_to_list_);
}

Result<std::shared_ptr<Transfer>> TransferFactory::make(const HttpOutgoing& request,
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
  {
    std::lock_guard lock(template_mu_);
    t->easy = curl_easy_duphandle(template_);
  }
  if (!t->easy) return internalError("curl_easy_duphandle failed");
  t->method = request.method;
  t->streaming = streaming;
  t->max_body = settings_.max_body_bytes;
  CURL* e = t->easy;
  std::string url;
  url.reserve(settings_.url_base.size() + request.target.size());
  url.append(settings_.url_base).append(request.target);
  Transfer* raw = t.get();
  bool ok = set(e, CURLOPT_URL, url.c_str()) && set(e, CURLOPT_PRIVATE, raw) &&
            set(e, CURLOPT_ERRORBUFFER, t->errbuf) && set(e, CURLOPT_HEADERDATA, raw) &&
            set(e, CURLOPT_WRITEDATA, raw) && set(e, CURLOPT_PREREQDATA, raw);
  if (!settings_.host_header.empty()) {
    t->headers = curl_slist_append(t->headers, settings_.host_header.c_str());
  }
  const bool bodyless =
      request.body.empty() &&
      (request.method == "GET" || request.method == "HEAD" || request.method == "DELETE");
  t->replayable = request.method == "GET" || request.method == "HEAD";
  if (request.method == "GET") {
    // the template's default
  } else if (request.method == "HEAD") {
    ok = ok && set(e, CURLOPT_NOBODY, 1L);
  } else if (bodyless) {
    ok = ok && set(e, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else {
    t->body = request.body;
    ok = ok && set(e, CURLOPT_POST, 1L) &&
         set(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body.size())) &&
         set(e, CURLOPT_READFUNCTION, onRead) && set(e, CURLOPT_READDATA, raw) &&
         set(e, CURLOPT_SEEKFUNCTION, onSeek) && set(e, CURLOPT_SEEKDATA, raw);
    if (request.method != "POST") ok = ok && set(e, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  bool has_content_type = false;
  std::string line;
  for (const auto& [name, value] : request.headers) {
    if (strcasecmp(name.c_str(), "content-type") == 0) has_content_type = true;
    line.assign(name);
    if (value.empty()) {
      line.push_back(';');
    } else {
      line.append(": ").append(value);
    }
    t->headers = curl_slist_append(t->headers, line.c_str());
  }
  t->headers = curl_slist_append(t->headers, "Expect:");  // no 100-continue round trip
  if (!has_content_type) t->headers = curl_slist_append(t->headers, "Content-Type:");
  ok = ok && t->headers != nullptr && set(e, CURLOPT_HTTPHEADER, t->headers);
  if (!ok) return internalError("configuring the curl handle failed");
  return t;
}

}  // namespace mr::k8s
