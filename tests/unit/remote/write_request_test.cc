// Remote-write decoding: round trips, protobuf rules (unknown fields, any field order),
// and errors that name the byte offset.
#include "remote/write_request.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

namespace trimtab::remote {
namespace {

struct Collected final : source::SampleSink {
  void onSample(const source::Sample& s) override {
    std::string key(s.metric);
    for (std::size_t i = 0; i < s.label_count; ++i) {
      key += "," + std::string(s.labels[i].name) + "=" + std::string(s.labels[i].value);
    }
    samples.emplace_back(key, s.value, s.timestamp_ms);
  }
  std::vector<std::tuple<std::string, double, std::int64_t>> samples;
};

std::vector<Series> example() {
  Series a;
  a.labels = {{"__name__", "container_cpu_usage_seconds_total"}, {"container", "app"}, {"namespace", "shop"}};
  a.samples = {{1.5, 1700000000000}, {2.25, 1700000060000}};
  Series b;
  b.labels = {{"__name__", "kube_pod_container_status_running"}, {"pod", "p-1"}};
  b.samples = {{1, 1700000030000}};
  return {a, b};
}

TEST(RemoteWriteRequest, RoundTripsThroughSnappy) {
  const std::string body = snappyCompress(encodeWriteRequest(example()));
  auto raw = snappyUncompress(body, 1 << 20);
  ASSERT_TRUE(raw.has_value()) << raw.error().message;
  Collected c;
  auto stats = decodeWriteRequest(*raw, &c);
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  EXPECT_EQ(stats->series, 2u);
  EXPECT_EQ(stats->samples, 3u);
  EXPECT_EQ(stats->min_timestamp_ms, 1700000000000);
  EXPECT_EQ(stats->max_timestamp_ms, 1700000060000);
  ASSERT_EQ(c.samples.size(), 3u);
  EXPECT_EQ(std::get<0>(c.samples[0]), "container_cpu_usage_seconds_total,container=app,namespace=shop");
  EXPECT_EQ(std::get<1>(c.samples[1]), 2.25);
  EXPECT_EQ(std::get<0>(c.samples[2]), "kube_pod_container_status_running,pod=p-1");
}

TEST(RemoteWriteRequest, SkipsUnknownFieldsAnywhere) {
  // An unknown varint field 15 before, and metadata (field 3, a message) after the series.
  const std::string raw =
      std::string("\x78\x2a", 2) + encodeWriteRequest(example()) + std::string("\x1a\x02\x08\x01", 4);
  Collected c;
  auto stats = decodeWriteRequest(raw, &c);
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  EXPECT_EQ(stats->samples, 3u);
}

TEST(RemoteWriteRequest, MalformedInputNamesTheOffset) {
  const std::string good = encodeWriteRequest(example());
  for (std::size_t cut : {std::size_t{1}, std::size_t{5}, good.size() / 2, good.size() - 1}) {
    auto stats = decodeWriteRequest(std::string_view(good).substr(0, cut), nullptr);
    ASSERT_FALSE(stats.has_value()) << cut;
    EXPECT_EQ(stats.error().code, ErrorCode::kParse);
    EXPECT_NE(stats.error().message.find("byte "), std::string::npos) << stats.error().message;
  }
  // A series with samples but no metric name.
  Series nameless;
  nameless.labels = {{"job", "x"}};
  nameless.samples = {{1, 1}};
  auto stats = decodeWriteRequest(encodeWriteRequest({nameless}), nullptr);
  ASSERT_FALSE(stats.has_value());
  EXPECT_NE(stats.error().message.find("__name__"), std::string::npos);
  // Wire type 3/4 (groups) are refused, a 11-byte varint too.
  EXPECT_FALSE(decodeWriteRequest(std::string("\x0b", 1), nullptr).has_value());
  EXPECT_FALSE(decodeWriteRequest(std::string(11, '\xff'), nullptr).has_value());
}

TEST(RemoteWriteRequest, SnappyErrorsAndLimits) {
  EXPECT_FALSE(snappyUncompress("not snappy at all", 1 << 20).has_value());
  const std::string big = snappyCompress(std::string(1 << 20, 'a'));
  auto r = snappyUncompress(big, 1000);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("limit"), std::string::npos);
  EXPECT_TRUE(snappyUncompress(big, 2 << 20).has_value());
}

TEST(RemoteWriteRequest, EmptyRequestIsValid) {
  auto stats = decodeWriteRequest("", nullptr);
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->samples, 0u);
}

}  // namespace
}  // namespace trimtab::remote
