// HttpTransport (libcurl) against servers on loopback: framing (Content-Length, chunked,
// close-delimited, no body), keep-alive reuse, a server that closes idle connections, timeouts,
// streams, and TLS (the test API server's HttpServer with generated certificates, in process).
// The regression tests of issue 15's review of the old hand-written client are in
// http_transport_limits_test.cpp. Labelled unit: loopback only and fast, so it also runs under
// the sanitizers.
#include "k8s/http_transport.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <thread>
#include <vector>

#include "http_server.h"
#include "loopback_server.h"
#include "process_util.h"
#include "tls_certs.h"

namespace mr::k8s {
namespace {

using std::chrono::milliseconds;
using testing::HttpConnection;
using testing::HttpRequest;
using testing::LoopbackServer;

std::unique_ptr<HttpTransport> transportFor(const std::string& url, ClusterConfig config = {}) {
  config.server = url;
  auto t = HttpTransport::create(config);
  EXPECT_TRUE(t.isOk()) << t.status().toString();
  return t.isOk() ? std::move(*t) : nullptr;
}

HttpOutgoing get(const std::string& target) {
  return HttpOutgoing{"GET", target, {{"Accept", "application/json"}}, ""};
}

TEST(HttpTransportTest, FramingsAndKeepAlive) {
  LoopbackServer server([](const HttpRequest& req, HttpConnection& conn) {
    if (req.path == "/length") {
      conn.respond(200, "{\"a\":1}");
    } else if (req.path == "/chunked") {
      conn.startChunked(200);
      conn.chunk("{\"b\":");
      conn.chunk("2}");
      conn.endChunked();
    } else if (req.path == "/empty") {
      conn.raw("HTTP/1.1 204 No Content\r\n\r\n");
    } else if (req.path == "/echo") {
      conn.respond(201, req.method + " " + req.headers.at("content-type") + " " + req.body);
    } else {
      conn.respond(404, "{}");
    }
  });
  auto t = transportFor(server.url());
  ASSERT_TRUE(t);
  for (int round = 0; round < 3; ++round) {
    auto a = t->roundTrip(get("/length"), milliseconds(2000));
    ASSERT_TRUE(a.isOk()) << a.status().toString();
    EXPECT_EQ(a->code, 200);
    EXPECT_EQ(a->body, "{\"a\":1}");
    auto b = t->roundTrip(get("/chunked"), milliseconds(2000));
    ASSERT_TRUE(b.isOk()) << b.status().toString();
    EXPECT_EQ(b->body, "{\"b\":2}");
    auto e = t->roundTrip(get("/empty"), milliseconds(2000));
    ASSERT_TRUE(e.isOk()) << e.status().toString();
    EXPECT_EQ(e->code, 204);
    EXPECT_EQ(e->body, "");
    auto n = t->roundTrip(get("/missing"), milliseconds(2000));
    ASSERT_TRUE(n.isOk()) << "an HTTP error code is a response, not a transport error";
    EXPECT_EQ(n->code, 404);
  }
  auto echo = t->roundTrip(
      HttpOutgoing{"PATCH", "/echo", {{"Content-Type", "application/merge-patch+json"}}, "{}"},
      milliseconds(2000));
  ASSERT_TRUE(echo.isOk());
  EXPECT_EQ(echo->body, "PATCH application/merge-patch+json {}");
  EXPECT_EQ(server.connections(), 1u) << "sequential requests share one kept-alive connection";
  ASSERT_EQ(server.requests().size(), 13u);
  EXPECT_EQ(server.requests()[0].headers.at("host"), "127.0.0.1:" + std::to_string(server.port()));

  auto prefixed = transportFor(server.url() + "/k8s/clusters/c1/");
  ASSERT_TRUE(prefixed);
  ASSERT_TRUE(prefixed->roundTrip(get("/api/v1"), milliseconds(2000)).isOk());
  EXPECT_EQ(server.requests().back().path, "/k8s/clusters/c1/api/v1") << "the URL's path prefix";
}

TEST(HttpTransportTest, CloseDelimitedBodyAndConnectionCloseAreNotReused) {
  LoopbackServer server([](const HttpRequest& req, HttpConnection& conn) {
    if (req.path == "/eof") {
      conn.raw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"until\":\"close\"}");
    } else {
      conn.raw("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
    }
    conn.drop();
  });
  auto t = transportFor(server.url());
  ASSERT_TRUE(t);
  auto a = t->roundTrip(get("/eof"), milliseconds(2000));
  ASSERT_TRUE(a.isOk()) << a.status().toString();
  EXPECT_EQ(a->body, "{\"until\":\"close\"}");
  auto b = t->roundTrip(get("/close"), milliseconds(2000));
  ASSERT_TRUE(b.isOk()) << b.status().toString();
  EXPECT_EQ(b->body, "{}");
  ASSERT_TRUE(t->roundTrip(get("/close"), milliseconds(2000)).isOk());
  EXPECT_EQ(server.connections(), 3u) << "neither connection was reused after its close";
}

TEST(HttpTransportTest, ServerClosingIdleConnectionsIsInvisibleToCallers) {
  // Answers with keep-alive framing, then closes: every later request must find a new
  // connection, either by the idle check or by the one resend of a GET on a fresh connection.
  LoopbackServer server([](const HttpRequest& req, HttpConnection& conn) {
    conn.respond(200, "{\"path\":\"" + req.path + "\"}");
    conn.drop();
  });
  auto t = transportFor(server.url());
  ASSERT_TRUE(t);
  for (int i = 0; i < 5; ++i) {
    auto r = t->roundTrip(get("/n" + std::to_string(i)), milliseconds(2000));
    ASSERT_TRUE(r.isOk()) << i << ": " << r.status().toString();
    EXPECT_EQ(r->body, "{\"path\":\"/n" + std::to_string(i) + "\"}");
  }
  EXPECT_EQ(server.requests().size(), 5u) << "no request was sent twice";
}

TEST(HttpTransportTest, MalformedResponsesAndTimeoutsAreErrors) {
  std::atomic<bool> release{false};
  LoopbackServer server([&](const HttpRequest& req, HttpConnection& conn) {
    if (req.path == "/garbage") {
      conn.raw("SMTP ready\r\n\r\n");
    } else if (req.path == "/short") {
      conn.raw("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}");
    } else {  // /silent: never answers
      while (!release)
        std::this_thread::sleep_for(milliseconds(10));
    }
    conn.drop();
  });
  auto t = transportFor(server.url());
  ASSERT_TRUE(t);
  auto garbage = t->roundTrip(get("/garbage"), milliseconds(2000));
  ASSERT_FALSE(garbage.isOk());
  EXPECT_EQ(garbage.status().code(), StatusCode::kUnavailable) << garbage.status().toString();
  auto short_body = t->roundTrip(get("/short"), milliseconds(2000));
  ASSERT_FALSE(short_body.isOk());
  EXPECT_EQ(short_body.status().code(), StatusCode::kUnavailable);
  const auto start = std::chrono::steady_clock::now();
  auto silent = t->roundTrip(get("/silent"), milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - start;
  release = true;
  ASSERT_FALSE(silent.isOk());
  EXPECT_EQ(silent.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, milliseconds(5000)) << "the deadline covers the whole response";
}

TEST(HttpTransportTest, RefusedConnectionIsUnavailable) {
  int port;
  {
    LoopbackServer gone([](const HttpRequest&, HttpConnection&) {});
    port = gone.port();
  }
  auto t = transportFor("http://127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(t);
  auto r = t->roundTrip(get("/"), milliseconds(2000));
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
}

TEST(HttpTransportTest, StreamDeliversPiecesAsTheyArriveAndEndsOnCancel) {
  std::atomic<bool> stop{false};
  LoopbackServer server([&](const HttpRequest& req, HttpConnection& conn) {
    if (req.path == "/error") {
      conn.respond(410, "{\"code\":410}");
      return;
    }
    conn.startChunked(200);
    conn.chunk("one");
    conn.chunk("two");
    while (!stop)
      std::this_thread::sleep_for(milliseconds(10));
    conn.drop();
  });
  auto t = transportFor(server.url());
  ASSERT_TRUE(t);

  int code = 0;
  std::string error_body;
  auto on_head = [&](int c, std::string body) {
    code = c;
    error_body = std::move(body);
  };
  CancelToken never;
  ASSERT_TRUE(t->stream(get("/error"), milliseconds(2000), never, on_head, [](std::string_view) {
                 return true;
               }).isOk());
  EXPECT_EQ(code, 410);
  EXPECT_EQ(error_body, "{\"code\":410}");

  CancelToken cancel;
  std::string got;
  std::thread canceller;
  const Status s =
      t->stream(get("/watch"), milliseconds(5000), cancel, on_head, [&](std::string_view piece) {
        got.append(piece);
        if (got == "onetwo") {
          canceller = std::thread([&] { cancel.cancelled = true; });
        }
        return true;
      });
  stop = true;
  if (canceller.joinable()) canceller.join();
  EXPECT_TRUE(s.isOk()) << s.toString();
  EXPECT_EQ(code, 200);
  EXPECT_EQ(got, "onetwo") << "both chunks arrived before the stream was cancelled";
}

TEST(HttpTransportTest, StreamIdleTimeoutEndsASilentStream) {
  std::atomic<bool> stop{false};
  LoopbackServer server([&](const HttpRequest&, HttpConnection& conn) {
    conn.startChunked(200);
    conn.chunk("x");
    while (!stop)
      std::this_thread::sleep_for(milliseconds(10));
    conn.drop();
  });
  auto t = transportFor(server.url());
  ASSERT_TRUE(t);
  CancelToken cancel;
  const Status s = t->stream(
      get("/"), milliseconds(300), cancel, [](int, std::string) {},
      [](std::string_view) { return true; });
  stop = true;
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.toString();
}

TEST(HttpTransportTest, ManyOpenStreamsEachGetTheirDataWhileRequestsComplete) {
  // More streams than events per wake-up of the I/O thread (64) and than cached connections:
  // each gets its own piece, and a request still completes beside them.
  constexpr int kStreams = 80;
  std::atomic<bool> send{false}, stop{false};
  LoopbackServer server([&](const HttpRequest& req, HttpConnection& conn) {
    if (req.path == "/plain") {
      conn.respond(200, "{}");
      return;
    }
    conn.startChunked(200);
    while (!send && !stop)
      std::this_thread::sleep_for(milliseconds(5));
    conn.chunk(req.path.substr(1) + "\n");
    while (!stop)
      std::this_thread::sleep_for(milliseconds(5));
    conn.drop();
  });
  auto t = transportFor(server.url());
  ASSERT_TRUE(t);
  std::vector<CancelToken> cancels(kStreams);
  std::vector<std::string> got(kStreams);
  std::atomic<int> heads{0}, pieces{0};
  std::vector<std::thread> streams;
  for (int i = 0; i < kStreams; ++i) {
    streams.emplace_back([&, i] {
      const Status s = t->stream(
          get("/s" + std::to_string(i)), milliseconds(20000), cancels[i],
          [&](int, std::string) { ++heads; },
          [&, i](std::string_view piece) {
            got[i].append(piece);
            if (got[i].back() == '\n') ++pieces;
            return true;
          });
      EXPECT_TRUE(s.isOk()) << s.toString();
    });
  }
  // Bounded waits: a stream that failed never counts, and the test must then fail, not hang.
  EXPECT_TRUE(testing::eventually([&] { return heads >= kStreams; }, 30000))
      << heads << " of " << kStreams << " streams started";
  auto r = t->roundTrip(get("/plain"), milliseconds(5000));
  EXPECT_TRUE(r.isOk()) << r.status().toString();
  if (r.isOk()) EXPECT_EQ(r->body, "{}");
  send = true;
  EXPECT_TRUE(testing::eventually([&] { return pieces >= kStreams; }, 30000))
      << pieces << " of " << kStreams << " streams got data";
  for (auto& c : cancels)
    c.cancelled = true;
  for (auto& s : streams)
    s.join();
  stop = true;
  for (int i = 0; i < kStreams; ++i)
    EXPECT_EQ(got[i], "s" + std::to_string(i) + "\n");
}

// TLS against the test API server's HttpServer with freshly generated certificates for
// 127.0.0.1 and localhost.
class HttpTransportTlsTest : public ::testing::Test {
 protected:
  void SetUp() override { serve("IP:127.0.0.1,DNS:localhost"); }
  // (Re)starts the server with a certificate for `subject_alt_names`.
  void serve(const std::string& subject_alt_names) {
    TearDown();
    auto m = apiserver::generateTlsMaterial(subject_alt_names);
    ASSERT_TRUE(m.isOk()) << m.status().toString();
    material = *m;
    auto ctx = apiserver::makeServerContext(material);
    ASSERT_TRUE(ctx.isOk());
    ssl_ctx = *ctx;
    server = std::make_unique<apiserver::HttpServer>(
        [this](const apiserver::HttpRequest& req, apiserver::ResponseWriter& w) {
          if (req.path == "/held") {  // answers once the test releases it
            held_entered = true;
            while (!release_held)
              std::this_thread::sleep_for(milliseconds(5));
          }
          w.send(200, "application/json", "{\"path\":\"" + req.path + "\"}");
        },
        ssl_ctx);
    ASSERT_TRUE(server->start("127.0.0.1:0").isOk());
  }
  void TearDown() override {
    if (server) server->stop(milliseconds(1000));
    server.reset();
    if (ssl_ctx) SSL_CTX_free(ssl_ctx);
    ssl_ctx = nullptr;
  }
  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(server->port());
  }
  Result<HttpIncoming> fetch(ClusterConfig config, const std::string& host = "127.0.0.1") {
    config.server = url(host);
    auto t = HttpTransport::create(config);
    if (!t.isOk()) return t.status();
    return (*t)->roundTrip(get("/version"), milliseconds(3000));
  }

  apiserver::TlsMaterial material;
  SSL_CTX* ssl_ctx = nullptr;
  std::atomic<bool> held_entered{false};
  std::atomic<bool> release_held{false};
  std::unique_ptr<apiserver::HttpServer> server;
};

TEST_F(HttpTransportTlsTest, VerifiesTheServerAgainstTheConfiguredCa) {
  ClusterConfig trusted;
  trusted.ca_pem = material.ca_pem;
  auto ok = fetch(trusted);
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  EXPECT_EQ(ok->body, "{\"path\":\"/version\"}");
  auto by_name = fetch(trusted, "localhost");
  EXPECT_TRUE(by_name.isOk()) << by_name.status().toString();

  auto untrusted = fetch(ClusterConfig{});  // system roots do not know our CA
  ASSERT_FALSE(untrusted.isOk());
  EXPECT_NE(untrusted.status().message().find("verif"), std::string::npos)
      << untrusted.status().toString();

  ClusterConfig insecure;
  insecure.insecure_skip_tls_verify = true;
  EXPECT_TRUE(fetch(insecure).isOk());
}

TEST_F(HttpTransportTlsTest, TlsServerNameIsTheNameVerified) {
  ClusterConfig config;
  config.ca_pem = material.ca_pem;
  config.tls_server_name = "localhost";
  EXPECT_TRUE(fetch(config).isOk()) << "the certificate names localhost";
  config.tls_server_name = "api.example.com";
  auto wrong = fetch(config);
  ASSERT_FALSE(wrong.isOk());
  EXPECT_NE(wrong.status().message().find("verif"), std::string::npos) << wrong.status().toString();
}

// Issue 15 item 3: the old client accepted partial wildcards such as `a*.example.test`; client-go
// (Go's crypto/x509) accepts a wildcard only as the whole left-most label. The name is set with
// tls-server-name so the connection still goes to 127.0.0.1.
TEST_F(HttpTransportTlsTest, PartialWildcardCertificateNamesAreRefused) {
  serve("DNS:a*.example.test,DNS:*b.example.test,DNS:c*d.example.test");
  ClusterConfig config;
  config.ca_pem = material.ca_pem;
  for (const char* name : {"api.example.test", "ab.example.test", "cxd.example.test"}) {
    config.tls_server_name = name;
    auto r = fetch(config);
    ASSERT_FALSE(r.isOk()) << name << " matched a partial wildcard";
    EXPECT_NE(r.status().message().find("verif"), std::string::npos) << r.status().toString();
  }
  serve("DNS:*.example.test");
  config.ca_pem = material.ca_pem;
  config.tls_server_name = "api.example.test";
  auto whole = fetch(config);
  EXPECT_TRUE(whole.isOk()) << "a whole-label wildcard is valid: " << whole.status().toString();
  config.tls_server_name = "a.b.example.test";
  EXPECT_FALSE(fetch(config).isOk()) << "a wildcard covers one label only";
}

TEST_F(HttpTransportTlsTest, KeepsTlsConnectionsAlive) {
  ClusterConfig config;
  config.ca_pem = material.ca_pem;
  config.server = url();
  auto t = HttpTransport::create(config);
  ASSERT_TRUE(t.isOk());
  for (int i = 0; i < 5; ++i) {
    auto r = (*t)->roundTrip(get("/n" + std::to_string(i)), milliseconds(3000));
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    EXPECT_EQ(r->body, "{\"path\":\"/n" + std::to_string(i) + "\"}");
  }
  EXPECT_EQ(server->activeConnections(), 1);
}

TEST_F(HttpTransportTlsTest, ASecondConnectionResumesTheTlsSession) {
  // Each request runs on a fresh curl handle, and libcurl keeps TLS sessions per handle unless
  // they are shared: every new connection paid a full handshake (perf15).
  ClusterConfig config;
  config.ca_pem = material.ca_pem;
  config.server = url();
  auto t = HttpTransport::create(config);
  ASSERT_TRUE(t.isOk());
  ASSERT_TRUE((*t)->roundTrip(get("/first"), milliseconds(3000)).isOk());
  std::thread held([&] { EXPECT_TRUE((*t)->roundTrip(get("/held"), milliseconds(5000)).isOk()); });
  while (!held_entered)
    std::this_thread::sleep_for(milliseconds(5));
  // The first connection is busy: this one is new.
  auto second = (*t)->roundTrip(get("/second"), milliseconds(3000));
  release_held = true;
  held.join();
  ASSERT_TRUE(second.isOk()) << second.status().toString();
  EXPECT_EQ(server->activeConnections(), 2);
  EXPECT_GE(SSL_CTX_sess_hits(ssl_ctx), 1) << "the second connection resumed the first's session";
}

TEST_F(HttpTransportTlsTest, InsecureSkipTlsVerifyTogetherWithACaIsRefused) {
  // The old client silently turned verification off; client-go refuses the combination.
  ClusterConfig config;
  config.ca_pem = material.ca_pem;
  config.insecure_skip_tls_verify = true;
  config.server = url();
  auto t = HttpTransport::create(config);
  ASSERT_FALSE(t.isOk());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("insecure-skip-tls-verify"), std::string::npos)
      << t.status().toString();
}

TEST_F(HttpTransportTlsTest, ClientOffersHttp2ButSpeaksHttp11ToAnHttp11Server) {
  ClusterConfig config;
  config.ca_pem = material.ca_pem;
  auto r = fetch(config);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->http_version, 11);
}

TEST(HttpTransportConfigTest, RejectsBadUrlsAndPem) {
  ClusterConfig config;
  config.server = "ftp://x";
  EXPECT_EQ(HttpTransport::create(config).status().code(), StatusCode::kInvalidArgument);
  config.server = "https://";
  EXPECT_EQ(HttpTransport::create(config).status().code(), StatusCode::kInvalidArgument);
  config.server = "https://127.0.0.1:1";
  config.ca_pem = "not a certificate";
  EXPECT_EQ(HttpTransport::create(config).status().code(), StatusCode::kInvalidArgument);
  config.ca_pem.clear();
  config.client_certificate_pem = "nope";
  EXPECT_EQ(HttpTransport::create(config).status().code(), StatusCode::kInvalidArgument);
  config.client_certificate_pem.clear();
  config.server = "http://[::1]:8080/prefix";
  EXPECT_TRUE(HttpTransport::create(config).isOk());
}

}  // namespace
}  // namespace mr::k8s
