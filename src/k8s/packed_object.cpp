#include "k8s/packed_object.h"

#include <zlib.h>

#include <string_view>

namespace mr::k8s {
namespace {

// A preset dictionary: text that cached objects repeat (keys, API groups, our labels). Small
// objects (a projected Service is ~400 bytes of JSON) barely compress on their own; with the
// dictionary their keys become back-references. The most frequent strings come last (deflate
// encodes near references more cheaply). Changing it invalidates nothing persistent: packed
// bytes live only in memory.
constexpr std::string_view kDictionary =
    R"j({"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":1,"selector":{"matchLabels":)j"
    R"j({"app":""}},"template":{"metadata":{"labels":{"app":""}},"spec":{"containers":[{"name":)j"
    R"j("server","image":"","ports":[{"containerPort":8080,"protocol":"TCP"}],"env":[{"name":"",)j"
    R"j("value":""}],"resources":{"requests":{"cpu":"","memory":""}}}]}}},"status":{)j"
    R"j("observedGeneration":1,"replicas":1,"readyReplicas":1,"availableReplicas":1,)j"
    R"j("updatedReplicas":1}}{"apiVersion":"v1","kind":"Service","spec":{"ports":[{"name":"http",)j"
    R"j("port":80,"targetPort":8080,"protocol":"TCP"}],"selector":{"modelrollout.io/rollout":"",)j"
    R"j("modelrollout.io/role":"stable"},"type":"ClusterIP"}}{"apiVersion":"modelrollout.io/)j"
    R"j(v1alpha1","kind":"ModelRollout","spec":{"replicas":1,"service":{"port":80,"targetPort":)j"
    R"j(8080},"steps":[{"weight":1,"hold":"24h"},{"weight":10,"hold":"48h"},{"weight":50,"hold":)j"
    R"j("72h"},{"weight":100}],"trafficRouting":{"gatewayAPI":{"httpRoute":""}},"analysis":{)j"
    R"j("prometheus":{"address":"http://"},"interval":"1m","window":"5m","failureLimit":1,)j"
    R"j("minSampleSize":100,"onNoData":"Inconclusive","inconclusiveLimit":3,"onInconclusiveLimit":)j"
    R"j("Pause","metrics":{"errorRate":{"max":0.01},"latencyP99":{"maxMs":},"drift":{"max":0.2},)j"
    R"j("maeDegradation":{"max":0.1}}}},"status":{"phase":"Healthy","message":"",)j"
    R"j("observedGeneration":1,"stableRevision":"","canaryRevision":"","currentStep":0,)j"
    R"j("canaryWeight":0,"stepStartedAt":"","consecutiveFailures":0,"consecutiveInconclusive":0,)j"
    R"j("consecutiveErrors":0,"lastAnalysis":{"time":"","step":0,"revision":"","verdict":"Pass",)j"
    R"j("message":"","metrics":[{"name":"errorRate","value":0,"threshold":"","sampleSize":0,)j"
    R"j("verdict":"Pass","query":"sum(rate(model_requests_total{namespace=\"\",rollout=\"\",)j"
    R"j(role=\"canary\"}[5m]))","message":""}]},"history":[{"time":"2026-01-01T00:00:00Z","from":)j"
    R"j("Progressing","to":"Healthy","reason":"Promoted","message":""}],"conditions":[{"type":)j"
    R"j("Available","status":"True","reason":"","message":"","lastTransitionTime":"2026-01-01T)j"
    R"j(00:00:00Z","observedGeneration":1}]}}"metadata":{"name":"","namespace":"","uid":"",)j"
    R"j("resourceVersion":"","generation":1,"creationTimestamp":"2026-01-01T00:00:00Z",)j"
    R"j("annotations":{},"labels":{"modelrollout.io/rollout":"","modelrollout.io/role":"canary",)j"
    R"j("modelrollout.io/revision":""},"ownerReferences":[{"apiVersion":"modelrollout.io/v1alpha1",)j"
    R"j("kind":"ModelRollout","name":"","uid":"","controller":true,"blockOwnerDeletion":true}]})j";

constexpr int kWindowBits = -15;  // raw deflate: no zlib header or checksum per object
constexpr int kLevel = 1;         // objects are rewritten on every watch event: favour speed

const Bytef* dictionaryBytes() {
  return reinterpret_cast<const Bytef*>(kDictionary.data());
}

// One deflate and one inflate state per thread, reset per object: initialising a stream
// allocates ~270 KB, far more than compressing a few KiB costs.
struct Streams {
  z_stream deflater{};
  z_stream inflater{};
  bool deflate_ok = false;
  bool inflate_ok = false;
  Streams() {
    deflate_ok =
        deflateInit2(&deflater, kLevel, Z_DEFLATED, kWindowBits, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    inflate_ok = inflateInit2(&inflater, kWindowBits) == Z_OK;
  }
  ~Streams() {
    if (deflate_ok) deflateEnd(&deflater);
    if (inflate_ok) inflateEnd(&inflater);
  }
  Streams(const Streams&) = delete;
  Streams& operator=(const Streams&) = delete;
};

Streams& streams() {
  thread_local Streams s;
  return s;
}

bool compressText(const std::string& text, std::string& out) {
  Streams& s = streams();
  if (!s.deflate_ok) return false;
  z_stream& z = s.deflater;
  if (deflateReset(&z) != Z_OK) return false;
  if (deflateSetDictionary(&z, dictionaryBytes(), static_cast<uInt>(kDictionary.size())) != Z_OK) {
    return false;
  }
  out.resize(deflateBound(&z, static_cast<uLong>(text.size())));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) return false;
  out.resize(out.size() - z.avail_out);
  out.shrink_to_fit();
  return true;
}

bool decompressText(const std::string& bytes, std::string& text) {
  Streams& s = streams();
  if (!s.inflate_ok) return false;
  z_stream& z = s.inflater;
  if (inflateReset(&z) != Z_OK) return false;
  // Raw deflate carries no dictionary id, so the dictionary is set up front.
  if (inflateSetDictionary(&z, dictionaryBytes(), static_cast<uInt>(kDictionary.size())) != Z_OK) {
    return false;
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(text.data());
  z.avail_out = static_cast<uInt>(text.size());
  return inflate(&z, Z_FINISH) == Z_STREAM_END && z.avail_out == 0;
}

}  // namespace

PackedObject::PackedObject(const nlohmann::json& object) {
  std::string text = object.dump();
  text_size_ = static_cast<uint32_t>(text.size());
  std::string out;
  if (!compressText(text, out)) {  // zlib out of memory: keep the text itself
    text.shrink_to_fit();
    bytes_ = std::move(text);
    plain_ = true;
    return;
  }
  bytes_ = std::move(out);
}

nlohmann::json PackedObject::unpack() const {
  if (bytes_.empty()) return nullptr;
  if (plain_) return nlohmann::json::parse(bytes_, nullptr, false);
  std::string text(text_size_, '\0');
  // Only this class writes bytes_, so a failure here is memory corruption, not bad input: the
  // caller sees a discarded value and treats the object as unreadable.
  if (!decompressText(bytes_, text)) return nlohmann::json::value_t::discarded;
  return nlohmann::json::parse(text, nullptr, false);
}

}  // namespace mr::k8s
