// Fuzzes what an API server sends to a reflector: the first line is the body of the List
// response, the rest is the watch stream, fed to WatchStreamDecoder in chunks whose sizes come
// from the input. The decoded events drive a real Reflector and Informer (list, then one
// watch), so wrong-typed fields (metadata: 5, resourceVersion: {}, items: "x") reach the code
// that reads them. Nothing may throw, crash or leak.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "k8s/informer.h"
#include "k8s/object_key.h"
#include "k8s/watch_parser.h"

namespace {

using mr::k8s::Json;

// An ApiClient that answers one list and one watch from the fuzz input.
class FuzzClient : public mr::k8s::ApiClient {
 public:
  FuzzClient(std::string_view list_body, std::string_view stream, uint8_t chunk_seed)
      : list_body_(list_body), stream_(stream), chunk_seed_(chunk_seed) {}

  mr::Result<Json> get(const mr::k8s::ResourceType&, const std::string&,
                       const std::string&) override {
    return mr::notFound("fuzz");
  }
  mr::Result<Json> list(const mr::k8s::ResourceType&, const std::string&,
                        const mr::k8s::ListOptions&) override {
    if (listed_) return mr::unavailable("fuzz: one list only");
    listed_ = true;
    Json body = Json::parse(list_body_, nullptr, false);
    if (body.is_discarded()) return mr::internalError("fuzz: list body is not JSON");
    return body;
  }
  mr::Result<Json> create(const mr::k8s::ResourceType&, const std::string&, const Json&) override {
    return mr::unavailable("fuzz");
  }
  mr::Result<Json> update(const mr::k8s::ResourceType&, const Json&) override {
    return mr::unavailable("fuzz");
  }
  mr::Result<Json> updateStatus(const mr::k8s::ResourceType&, const Json&) override {
    return mr::unavailable("fuzz");
  }
  mr::Result<Json> patch(const mr::k8s::ResourceType&, const std::string&, const std::string&,
                         mr::k8s::PatchType, const Json&, const std::string&) override {
    return mr::unavailable("fuzz");
  }
  mr::Status remove(const mr::k8s::ResourceType&, const std::string&, const std::string&) override {
    return mr::unavailable("fuzz");
  }
  mr::Status watch(const mr::k8s::ResourceType&, const std::string&, const mr::k8s::WatchOptions&,
                   const std::function<void(const mr::k8s::WatchEvent&)>& on_event,
                   const mr::k8s::CancelToken&) override {
    mr::k8s::WatchStreamDecoder decoder(/*max_frame_bytes=*/4096);
    mr::Status result;
    std::string_view rest = stream_;
    size_t step = chunk_seed_ % 17 + 1;
    while (!rest.empty()) {
      const std::string_view chunk = rest.substr(0, step);
      rest.remove_prefix(chunk.size());
      step = (step * 7 + 3) % 61 + 1;
      decoder.feed(chunk, [&](mr::Result<mr::k8s::WatchEvent> event) {
        if (!event.isOk()) {
          result = event.status();
          return;
        }
        on_event(*event);
      });
    }
    return result;
  }

 private:
  std::string_view list_body_;
  std::string_view stream_;
  uint8_t chunk_seed_;
  bool listed_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // the code under test logs every rejected input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t newline = input.find('\n');
  const std::string_view list_body = input.substr(0, newline);
  const std::string_view stream =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  FuzzClient client(list_body, stream, data[0]);
  static const mr::RealClock clock;
  mr::k8s::InformerOptions options;
  options.reflector.min_watch_duration = mr::Millis(0);
  int handled = 0;
  mr::k8s::Informer informer(client, mr::k8s::resources::deployments(), options, clock);
  informer.addHandler({[&](const mr::k8s::ObjectPtr&) { ++handled; },
                       [&](const mr::k8s::ObjectPtr&, const mr::k8s::ObjectPtr&) { ++handled; },
                       [&](const mr::k8s::ObjectPtr&) { ++handled; }});
  // A reflector on this thread feeding the informer's store: list, then one watch (a failed
  // list would back off: stop there).
  mr::k8s::Reflector reflector(client, mr::k8s::resources::deployments(), options.reflector,
                               informer, clock);
  if (reflector.step() == mr::k8s::Reflector::State::kWatch) reflector.step();
  for (const auto& object : informer.list())
    (void)mr::k8s::ObjectKey::of(*object);
  (void)reflector.lastResourceVersion();
  return 0;
}
