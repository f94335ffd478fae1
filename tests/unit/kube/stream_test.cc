#include "kube/stream.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace trimtab::kube {
namespace {

std::string podItem(int i, const std::string& extra_annotation = "") {
  return fmt::format(
      R"({{"metadata":{{"name":"p{0}","namespace":"ns","uid":"u{0}","resourceVersion":"{0}",)"
      R"("annotations":{{"note":"{1}"}}}},"spec":{{"nodeName":"n1","containers":[{{"name":"c",)"
      R"("resources":{{"requests":{{"cpu":"100m"}}}}}}]}},"status":{{"phase":"Running"}}}})",
      i, extra_annotation);
}

std::string podList(int n, const std::string& cont = "") {
  std::string s = R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"77")";
  if (!cont.empty()) s += R"(,"continue":")" + cont + "\"";
  s += R"(},"items":[)";
  for (int i = 0; i < n; ++i) {
    if (i) s += ",\n ";
    // Strings with brackets, braces, quotes and backslashes must not confuse the splitter.
    s += podItem(i, i % 2 ? R"(a \"quoted\" } ] { [ \\)" : "plain");
  }
  return s + "]}";
}

struct Collected {
  std::vector<std::string> names;
  int batches = 0;
};

Result<ListMeta> decodeInChunks(const std::string& doc, std::size_t chunk, Collected& out,
                                std::size_t batch_bytes = 1024) {
  ListStreamDecoder d(
      Kind::kPod, "test",
      [&](model::DecodeResult&& r) -> Status {
        ++out.batches;
        for (auto& p : r.objects.pods) out.names.push_back(p.meta.name);
        return {};
      },
      batch_bytes);
  for (std::size_t i = 0; i < doc.size(); i += chunk) {
    if (auto s = d.feed(std::string_view(doc).substr(i, chunk)); !s) return fail(s.error());
  }
  return d.finish();
}

TEST(ListStreamDecoder, SplitsItemsAtAnyChunkBoundary) {
  std::string doc = podList(25, "tok==");
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 1000u, 1u << 20}) {
    Collected c;
    auto meta = decodeInChunks(doc, chunk, c);
    ASSERT_TRUE(meta) << "chunk " << chunk << ": " << meta.error().message;
    EXPECT_EQ(meta->resource_version, "77");
    EXPECT_EQ(meta->continue_token, "tok==");
    EXPECT_EQ(meta->items, 25u);
    ASSERT_EQ(c.names.size(), 25u) << chunk;
    EXPECT_EQ(c.names[24], "p24");
    EXPECT_GT(c.batches, 1);  // batch_bytes 1024 forces several batches
  }
}

TEST(ListStreamDecoder, EmptyAndNullItems) {
  Collected c;
  auto meta =
      decodeInChunks(R"({"kind":"PodList","metadata":{"resourceVersion":"5"},"items":[]})", 3, c);
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->items, 0u);
  meta =
      decodeInChunks(R"({"kind":"PodList","metadata":{"resourceVersion":"5"},"items":null})", 3, c);
  ASSERT_TRUE(meta);
  EXPECT_EQ(c.batches, 0);
}

TEST(ListStreamDecoder, TruncatedListIsAnError) {
  std::string doc = podList(5);
  Collected c;
  auto meta = decodeInChunks(doc.substr(0, doc.size() / 2), 100, c);
  ASSERT_FALSE(meta);
  EXPECT_NE(meta.error().message.find("test: truncated"), std::string::npos)
      << meta.error().message;
}

TEST(ListStreamDecoder, BadItemsAreNamed) {
  Collected c;
  auto meta = decodeInChunks(R"({"items":[{"metadata":{"name":"a"}}, 5]})", 4, c);
  ASSERT_FALSE(meta);
  EXPECT_NE(meta.error().message.find("items[1]: expected an object"), std::string::npos)
      << meta.error().message;
  meta = decodeInChunks(R"({"items":[{"metadata":{"namespace":"a"}}]})", 4, c);
  ASSERT_FALSE(meta);
  EXPECT_NE(meta.error().message.find("metadata.name"), std::string::npos) << meta.error().message;
  meta = decodeInChunks(R"({"kind":"NodeList","items":[{"kind":"Node","metadata":{"name":"n"}}]})",
                        4, c);
  ASSERT_FALSE(meta);
  EXPECT_NE(meta.error().message.find("expected only Pod objects"), std::string::npos);
  meta = decodeInChunks(R"({"items":[]}} garbage)", 4, c);
  ASSERT_FALSE(meta);
  meta = decodeInChunks("]", 4, c);
  ASSERT_FALSE(meta);
}

TEST(WatchEvent, DecodesEventTypes) {
  auto added = decodeWatchEvent(
      R"({"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","namespace":"n","resourceVersion":"12"},"spec":{"nodeName":"x"}}})",
      Kind::kPod, "w");
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->type, EventType::kAdded);
  EXPECT_EQ(added->resource_version, "12");
  ASSERT_EQ(added->object.pods.size(), 1u);
  EXPECT_EQ(added->object.pods[0].node_name, "x");

  auto bookmark = decodeWatchEvent(
      R"({"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"99","creationTimestamp":null}}})",
      Kind::kPod, "w");
  ASSERT_TRUE(bookmark);
  EXPECT_EQ(bookmark->type, EventType::kBookmark);
  EXPECT_EQ(bookmark->resource_version, "99");

  auto gone = decodeWatchEvent(
      R"json({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}})json",
      Kind::kPod, "w");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->type, EventType::kError);
  EXPECT_EQ(gone->error_code, 410);
  EXPECT_EQ(gone->error_reason, "Expired");

  auto dep = decodeWatchEvent(
      R"({"type":"DELETED","object":{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"d","namespace":"n","resourceVersion":"3"},"spec":{"replicas":2}}})",
      Kind::kDeployment, "w");
  ASSERT_TRUE(dep) << dep.error().message;
  EXPECT_EQ(dep->object.workloads.at(0).replicas, 2);
}

TEST(WatchEvent, BadEventsAreErrors) {
  const char* bad[] = {
      "not json",
      "[]",
      R"({"object":{}})",
      R"({"type":"ADDED"})",
      R"({"type":"SOMETHING","object":{}})",
      R"({"type":"BOOKMARK","object":{"metadata":{}}})",
      R"({"type":"ADDED","object":{"kind":"Node","metadata":{"name":"n"}}})",
      R"({"type":"ADDED","object":{"kind":"Pod","metadata":{}}})",
  };
  for (const char* b : bad) {
    auto r = decodeWatchEvent(b, Kind::kPod, "watch /api/v1/pods");
    ASSERT_FALSE(r) << b;
    EXPECT_EQ(r.error().message.rfind("watch /api/v1/pods", 0), 0u) << r.error().message;
  }
}

TEST(WatchStreamDecoder, SplitsLinesAndDetectsTruncation) {
  std::string stream;
  for (int i = 0; i < 4; ++i) {
    stream +=
        R"({"type":"MODIFIED","object":{"kind":"Pod","metadata":{"name":"p","namespace":"n","resourceVersion":")" +
        std::to_string(10 + i) + "\"}}}\n";
  }
  for (std::size_t chunk : {1u, 5u, 1000u}) {
    std::vector<std::string> rvs;
    WatchStreamDecoder d(Kind::kPod, "w", [&](WatchEvent&& e) -> Status {
      rvs.push_back(e.resource_version);
      return {};
    });
    for (std::size_t i = 0; i < stream.size(); i += chunk) {
      ASSERT_TRUE(d.feed(std::string_view(stream).substr(i, chunk)));
    }
    ASSERT_TRUE(d.finish());
    EXPECT_EQ(rvs, (std::vector<std::string>{"10", "11", "12", "13"}));
  }
  WatchStreamDecoder d(Kind::kPod, "w", [](WatchEvent&&) -> Status { return {}; });
  ASSERT_TRUE(d.feed(stream.substr(0, stream.size() - 20)));
  auto s = d.finish();
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("truncated watch stream: event 4 is incomplete"),
            std::string::npos)
      << s.error().message;
}

}  // namespace
}  // namespace trimtab::kube
