// mr-apiserver-load: measures the test API server under the controller benchmark's load.
//   mr-apiserver-load --port PORT [--objects 10000] [--watches 50] [--writers 4]
//                     [--rate 200] [--seconds 10]
// Registers a Widget CRD, creates --objects custom resources (reporting the create rate),
// opens --watches watches, then merge-patches random objects at --rate writes/s for --seconds
// and reports achieved writes/s, write latency p50/p99 and events delivered per watch.
// Plain HTTP, no token (start the server without --tls/--token).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"

namespace {

using Clock = mr::RealClock;

int connectTo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return -1;
  return fd;
}

// One keep-alive request; returns the status code (0 on transport error).
int request(int fd, const std::string& method, const std::string& path, const std::string& body,
            const std::string& content_type, std::string* response = nullptr) {
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + content_type +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<long>(req.size())) return 0;
  std::string buf;
  char tmp[65536];
  size_t header_end;
  while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
    long n = ::recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0) return 0;
    buf.append(tmp, static_cast<size_t>(n));
  }
  int code = std::atoi(buf.c_str() + 9);
  size_t cl = buf.find("Content-Length: ");
  size_t len = cl == std::string::npos ? 0 : std::strtoul(buf.c_str() + cl + 16, nullptr, 10);
  while (buf.size() < header_end + 4 + len) {
    long n = ::recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0) return 0;
    buf.append(tmp, static_cast<size_t>(n));
  }
  if (response) *response = buf.substr(header_end + 4, len);
  return code;
}

const char* kCrd = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
 "metadata":{"name":"loadwidgets.load.mr.io"},"spec":{"group":"load.mr.io","scope":"Namespaced",
 "names":{"plural":"loadwidgets","kind":"LoadWidget"},"versions":[{"name":"v1","served":true,"storage":true,
 "subresources":{"status":{}},"schema":{"openAPIV3Schema":{"type":"object","properties":{
 "spec":{"type":"object","properties":{"replicas":{"type":"integer","minimum":0},"image":{"type":"string"},
 "template":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}},
 "status":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}]}})";

std::string object(int i) {
  return R"({"apiVersion":"load.mr.io/v1","kind":"LoadWidget","metadata":{"name":"w)" +
         std::to_string(i) + R"(","labels":{"modelrollout.io/rollout":"w)" + std::to_string(i) +
         R"("}},"spec":{"replicas":1,"image":"registry.example/model:1.0","template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"server","image":"registry.example/model:1.0"}]}}}})";
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, objects = 10000, watches = 50, writers = 4, rate = 200, seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (a == "--port")
      port = v;
    else if (a == "--objects")
      objects = v;
    else if (a == "--watches")
      watches = v;
    else if (a == "--writers")
      writers = v;
    else if (a == "--rate")
      rate = v;
    else if (a == "--seconds")
      seconds = v;
  }
  if (port == 0) {
    std::cerr << "usage: mr-apiserver-load --port PORT [--objects N] [--watches N] [--writers N] "
                 "[--rate N] [--seconds N]\n";
    return 2;
  }
  const Clock& clock = Clock::instance();
  const std::string base = "/apis/load.mr.io/v1/namespaces/default/loadwidgets";
  int fd = connectTo(port);
  if (fd < 0 || request(fd, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", kCrd,
                        "application/json") != 201) {
    std::cerr << "cannot register CRD (is the server running without a token?)\n";
    return 1;
  }
  ::close(fd);

  // Phase 1: create objects from `writers` connections.
  auto t0 = clock.steadyNow();
  std::atomic<int> next{0}, failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&] {
      int c = connectTo(port);
      for (int i; (i = next++) < objects;) {
        if (request(c, "POST", base, object(i), "application/json") != 201) ++failures;
      }
      ::close(c);
    });
  }
  for (auto& t : threads)
    t.join();
  threads.clear();
  double create_s = std::chrono::duration<double>(clock.steadyNow() - t0).count();
  std::printf("created %d objects in %.2fs (%.0f creates/s, %d failures)\n", objects, create_s,
              objects / create_s, failures.load());

  // Phase 2: one full list (what an informer does at start), then watches from its
  // resourceVersion, like informers.
  int lc = connectTo(port);
  std::string list;
  auto l0 = clock.steadyNow();
  request(lc, "GET", base, "", "application/json", &list);
  double list_s = std::chrono::duration<double>(clock.steadyNow() - l0).count();
  ::close(lc);
  size_t rv_at = list.find("\"resourceVersion\":\"");
  std::string list_rv = list.substr(rv_at + 19, list.find('"', rv_at + 19) - rv_at - 19);
  std::printf("listed %d objects (%.1f MB) in %.3fs, resourceVersion %s\n", objects,
              static_cast<double>(list.size()) / 1e6, list_s, list_rv.c_str());
  std::atomic<bool> stop{false};
  std::vector<std::atomic<long>> events(static_cast<size_t>(watches));
  for (int w = 0; w < watches; ++w) {
    threads.emplace_back([&, w] {
      int c = connectTo(port);
      std::string req =
          "GET " + base + "?watch=1&allowWatchBookmarks=true&resourceVersion=" + list_rv +
          "&timeoutSeconds=" + std::to_string(seconds + 30) + " HTTP/1.1\r\nHost: x\r\n\r\n";
      ::send(c, req.data(), req.size(), MSG_NOSIGNAL);
      char tmp[65536];
      while (!stop) {
        pollfd p{c, POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0) continue;
        long n = ::recv(c, tmp, sizeof(tmp), 0);
        if (n <= 0) break;
        // Each chunk (size line, event line, trailing CRLF) holds 3 newlines.
        events[static_cast<size_t>(w)] += std::count(tmp, tmp + n, '\n');
      }
      ::close(c);
    });
  }
  clock.sleepFor(mr::Millis(500));

  // Phase 3: paced writes.
  std::vector<std::vector<double>> latencies(static_cast<size_t>(writers));
  std::atomic<long> writes{0};
  failures = 0;
  auto start = clock.steadyNow();
  auto end = start + std::chrono::seconds(seconds);
  std::vector<std::thread> writer_threads;
  for (int w = 0; w < writers; ++w) {
    writer_threads.emplace_back([&, w] {
      int c = connectTo(port);
      std::mt19937 rng(static_cast<unsigned>(w));
      double interval = static_cast<double>(writers) / rate;
      auto due = start;
      for (long k = 0;; ++k) {
        due = start + std::chrono::duration_cast<mr::SteadyTime::duration>(
                          std::chrono::duration<double>(interval * static_cast<double>(k)));
        if (due >= end) break;
        if (clock.steadyNow() < due)
          clock.sleepFor(std::chrono::duration_cast<mr::Millis>(due - clock.steadyNow()));
        int i = static_cast<int>(rng() % static_cast<unsigned>(objects));
        auto b = clock.steadyNow();
        // A unique value per write, so no write is a no-op (those produce no event).
        std::string patch = R"({"spec":{"replicas":)" + std::to_string(writes.load() + 2) + "}}";
        if (request(c, "PATCH", base + "/w" + std::to_string(i), patch,
                    "application/merge-patch+json") != 200)
          ++failures;
        latencies[static_cast<size_t>(w)].push_back(
            std::chrono::duration<double, std::milli>(clock.steadyNow() - b).count());
        ++writes;
      }
      ::close(c);
    });
  }
  for (auto& t : writer_threads)
    t.join();
  double elapsed = std::chrono::duration<double>(clock.steadyNow() - start).count();
  clock.sleepFor(mr::Millis(1000));
  stop = true;
  for (auto& t : threads)
    t.join();
  std::vector<double> all;
  for (auto& l : latencies)
    all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0
                       : all[std::min(all.size() - 1,
                                      static_cast<size_t>(p * static_cast<double>(all.size())))];
  };
  long min_ev = -1, total_ev = 0;
  for (auto& e : events) {
    long v = e.load() / 3;
    total_ev += v;
    min_ev = min_ev < 0 ? v : std::min(min_ev, v);
  }
  std::printf(
      "writes: %ld in %.2fs = %.1f/s (target %d/s), failures %d, latency p50 %.2fms p99 %.2fms max "
      "%.2fms\n",
      writes.load(), elapsed, static_cast<double>(writes.load()) / elapsed, rate, failures.load(),
      pct(0.5), pct(0.99), all.empty() ? 0.0 : all.back());
  std::printf(
      "watch events delivered: total %ld, min per watch %ld (each watch should see every write: "
      "%ld)\n",
      total_ev, min_ev, writes.load());
  return failures == 0 ? 0 : 1;
}
