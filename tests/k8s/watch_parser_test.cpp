#include "k8s/watch_parser.h"

#include <gtest/gtest.h>

#include <vector>

namespace mr::k8s {
namespace {

std::string frame(const std::string& type, const std::string& name, const std::string& rv) {
  return Json{
             {"type", type},
             {"object", {{"kind", "Pod"}, {"metadata", {{"name", name}, {"resourceVersion", rv}}}}}}
             .dump() +
         "\n";
}

struct Collected {
  std::vector<WatchEvent> events;
  std::vector<Status> errors;
  WatchStreamDecoder::Sink sink() {
    return [this](Result<WatchEvent> e) {
      if (e.isOk())
        events.push_back(*e);
      else
        errors.push_back(e.status());
    };
  }
};

TEST(WatchParser, EventSplitAcrossManyChunksIsDeliveredOnceWhenComplete) {
  const std::string data = frame("ADDED", "a", "5");
  WatchStreamDecoder decoder;
  Collected out;
  for (size_t i = 0; i + 1 < data.size(); ++i) {
    decoder.feed(data.substr(i, 1), out.sink());
    ASSERT_TRUE(out.events.empty()) << "event delivered before its newline, at byte " << i;
  }
  decoder.feed(data.substr(data.size() - 1), out.sink());
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].type, WatchEventType::kAdded);
  EXPECT_EQ(out.events[0].object["metadata"]["resourceVersion"], "5");
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(WatchParser, SeveralEventsInOneChunkKeepTheirOrder) {
  const std::string data = frame("ADDED", "a", "1") + frame("MODIFIED", "a", "2") +
                           frame("DELETED", "a", "3") + frame("BOOKMARK", "", "4");
  WatchStreamDecoder decoder;
  Collected out;
  decoder.feed(data, out.sink());
  ASSERT_EQ(out.events.size(), 4u);
  EXPECT_EQ(out.events[0].type, WatchEventType::kAdded);
  EXPECT_EQ(out.events[1].type, WatchEventType::kModified);
  EXPECT_EQ(out.events[2].type, WatchEventType::kDeleted);
  EXPECT_EQ(out.events[3].type, WatchEventType::kBookmark);
  EXPECT_EQ(out.events[3].object["metadata"]["resourceVersion"], "4");
}

TEST(WatchParser, ChunkBoundaryInsideSecondEventKeepsTail) {
  const std::string data = frame("ADDED", "a", "1") + frame("ADDED", "b", "2");
  const size_t cut = frame("ADDED", "a", "1").size() + 10;
  WatchStreamDecoder decoder;
  Collected out;
  decoder.feed(data.substr(0, cut), out.sink());
  EXPECT_EQ(out.events.size(), 1u);
  EXPECT_EQ(decoder.buffered(), 10u);
  decoder.feed(data.substr(cut), out.sink());
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(out.events[1].object["metadata"]["name"], "b");
}

TEST(WatchParser, GarbageLineIsAnErrorAndLaterLinesStillDecode) {
  WatchStreamDecoder decoder;
  Collected out;
  decoder.feed(frame("ADDED", "a", "1") + "{not json at all\n" + frame("ADDED", "b", "2"),
               out.sink());
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].code(), StatusCode::kInternal);
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(out.events[1].object["metadata"]["name"], "b");
}

TEST(WatchParser, FramesWithoutTypeOrWithUnknownTypeAreErrors) {
  EXPECT_FALSE(parseWatchEvent(R"({"object":{}})").isOk());
  EXPECT_FALSE(parseWatchEvent(R"({"type":"ADDED","object":"x"})").isOk());
  EXPECT_FALSE(parseWatchEvent(R"({"type":"RENAMED","object":{}})").isOk());
  EXPECT_FALSE(parseWatchEvent(R"([1,2])").isOk());
}

TEST(WatchParser, ErrorEventCarriesStatusObject) {
  auto e = parseWatchEvent(
      R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})");
  ASSERT_TRUE(e.isOk());
  EXPECT_EQ(e->type, WatchEventType::kError);
  EXPECT_EQ(e->object["code"], 410);
}

TEST(WatchParser, BlankLinesAndCrlfAreTolerated) {
  WatchStreamDecoder decoder;
  Collected out;
  std::string f = frame("ADDED", "a", "1");
  f.insert(f.size() - 1, "\r");
  decoder.feed("\n\n" + f + "\n", out.sink());
  EXPECT_EQ(out.events.size(), 1u);
  EXPECT_TRUE(out.errors.empty());
}

TEST(WatchParser, OversizedFrameIsRejectedAndDecoderRecovers) {
  WatchStreamDecoder decoder(/*max_frame_bytes=*/64);
  Collected out;
  decoder.feed(std::string(50, 'x'), out.sink());
  decoder.feed(std::string(50, 'x'), out.sink());
  EXPECT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(decoder.buffered(), 0u);
  decoder.feed(std::string(30, 'x') + "\n" + frame("ADDED", "a", "1"), out.sink());
  EXPECT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.events.size(), 1u);
}

}  // namespace
}  // namespace mr::k8s
