// SketchColumn (one buffer + offsets), selective column decoding, and the one sketch decoder
// (DecodedSketch: its one-byte fast path against the general path and UsageSketch).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "store/block.h"
#include "store/sketch.h"

namespace trimtab::store {
namespace {

TEST(SketchColumn, PushSetResizeAndEquality) {
  SketchColumn c;
  EXPECT_TRUE(c.empty());
  c.push_back("abc");
  c.push_back("");
  c.push_back("hello world");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0], "abc");
  EXPECT_EQ(c[1], "");
  EXPECT_EQ(c[2], "hello world");
  c.set(0, "xy");                // fits in place
  c.set(1, "a longer value");    // appended
  c.resize(5);                   // new rows are empty
  c.set(4, "last");
  EXPECT_EQ(c[0], "xy");
  EXPECT_EQ(c[1], "a longer value");
  EXPECT_EQ(c[2], "hello world");
  EXPECT_EQ(c[3], "");
  EXPECT_EQ(c[4], "last");
  EXPECT_EQ(c.valueBytes(), 2u + 14u + 11u + 4u);

  SketchColumn copy = c;  // deep copy
  EXPECT_EQ(copy, c);
  copy.set(2, "changed");
  EXPECT_EQ(c[2], "hello world");
  EXPECT_FALSE(copy == c);

  c.compact();  // drops the bytes "abc" left behind, keeps the values
  EXPECT_EQ(c[0], "xy");
  EXPECT_EQ(c[1], "a longer value");
  EXPECT_EQ(c[4], "last");

  c.permute({4, 0, 2});
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0], "last");
  EXPECT_EQ(c[1], "xy");
  EXPECT_EQ(c[2], "hello world");

  c.resize(1);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], "last");
  c.clear();
  EXPECT_TRUE(c.empty());
}

TEST(SketchColumn, RawLayoutRoundTripAndRejectsBadLengths) {
  SketchColumn c;
  for (int i = 0; i < 100; ++i) {
    c.push_back(std::string(static_cast<std::size_t>(i % 7), static_cast<char>('a' + i % 26)));
  }
  const std::string raw = c.toRaw();
  SketchColumn back;
  std::copy(raw.begin(), raw.end(), back.rawBuffer(raw.size()));
  ASSERT_TRUE(back.indexRaw(100));
  EXPECT_EQ(back, c);

  SketchColumn bad;
  std::copy(raw.begin(), raw.end(), bad.rawBuffer(raw.size()));
  EXPECT_FALSE(bad.indexRaw(99));  // lengths do not add up to the buffer
  EXPECT_TRUE(bad.empty());
  SketchColumn tiny;
  tiny.rawBuffer(3);
  EXPECT_FALSE(tiny.indexRaw(1));  // shorter than the length prefix
}

Block sketchBlock(std::size_t rows) {
  Block b;
  b.cluster = "c";
  b.start = 0;
  b.end = 3600;
  b.containers.resize(rows);
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> usage(-2, 1);
  for (std::size_t i = 0; i < rows; ++i) {
    b.containers.container_id[i] = static_cast<std::uint32_t>(i);
    b.containers.start[i] = 0;
    b.containers.end[i] = 3600;
    b.containers.cpu_cost[i] = 0.1 * static_cast<double>(i);
    b.containers.gpu_hours[i] = 1;
    UsageSketch cpu, mem;
    for (int k = 0; k < 60; ++k) cpu.add(usage(rng));
    for (int k = 0; k < 12; ++k) mem.add(1e8 * usage(rng));
    b.containers.cpu_sketch.set(i, cpu.serialize());
    b.containers.memory_sketch.set(i, mem.serialize());
  }
  b.nodes.resize(1);
  b.nodes.hours[0] = 1;
  b.canonicalize();
  return b;
}

TEST(ColumnSelection, DecodesOnlyTheSelectedContainerColumns) {
  const Block b = sketchBlock(50);
  const std::string bytes = encodeBlock(b);
  auto back = decodeBlock(
      bytes, ColumnSelection::containers({ContainerColumn::kStart, ContainerColumn::kCpuCost}, true));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->containers.size(), 50u);  // the id column always
  EXPECT_EQ(back->containers.start, b.containers.start);
  EXPECT_EQ(back->containers.cpu_cost, b.containers.cpu_cost);
  EXPECT_TRUE(back->containers.end.empty());
  EXPECT_TRUE(back->containers.gpu_hours.empty());
  EXPECT_EQ(back->containers.cpu_sketch, b.containers.cpu_sketch);
  EXPECT_EQ(back->containers.memory_sketch, b.containers.memory_sketch);
  EXPECT_EQ(back->nodes.size(), 0u);  // other sections skipped

  auto no_sketch =
      decodeBlock(bytes, ColumnSelection::containers({ContainerColumn::kEnd}, false));
  ASSERT_TRUE(no_sketch);
  EXPECT_TRUE(no_sketch->containers.cpu_sketch.empty());
  EXPECT_EQ(no_sketch->containers.end, b.containers.end);
}

TEST(ColumnSelection, FoldMergesSketchesOncePerRow) {
  // Three hours of the same rows fold into sketches equal to merging the three.
  std::vector<Block> hours;
  for (int h = 0; h < 3; ++h) {
    Block b = sketchBlock(20);
    b.start = h * 3600;
    b.end = b.start + 3600;
    hours.push_back(std::move(b));
  }
  const Block day = foldBlocks({&hours[0], &hours[1], &hours[2]}, BlockKind::kDay, 0, 86400);
  ASSERT_EQ(day.containers.size(), 20u);
  for (std::size_t i = 0; i < 20; ++i) {
    auto expect = UsageSketch::deserialize(hours[0].containers.cpu_sketch[i]);
    ASSERT_TRUE(expect);
    for (int h = 1; h < 3; ++h) {
      auto s = UsageSketch::deserialize(hours[static_cast<std::size_t>(h)].containers.cpu_sketch[i]);
      ASSERT_TRUE(s);
      expect->merge(*s);
    }
    EXPECT_EQ(day.containers.cpu_sketch[i], expect->serialize()) << i;
  }
  // A single source is copied as it is.
  const Block one = foldBlocks({&hours[1]}, BlockKind::kDay, 0, 86400);
  EXPECT_EQ(one.containers.memory_sketch, hours[1].containers.memory_sketch);
}

void expectSameAsUsageSketch(const std::string& bytes) {
  DecodedSketch d;
  ASSERT_TRUE(d.decode(bytes).has_value());
  auto s = UsageSketch::deserialize(bytes);
  ASSERT_TRUE(s.has_value());
  // Re-serialising gives back the same bytes.
  EXPECT_EQ(s->serialize(), bytes);
  double total = d.zero_weight;
  for (const auto& [idx, w] : d.buckets) total += w;
  EXPECT_DOUBLE_EQ(total, s->count());
  EXPECT_EQ(d.buckets.size(), s->bucketCount());
}

TEST(DecodedSketch, FastAndGeneralPathsAgreeWithUsageSketch) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    UsageSketch s;
    std::lognormal_distribution<double> dist(std::uniform_real_distribution<>(-8, 20)(rng),
                                             std::uniform_real_distribution<>(0.05, 3)(rng));
    const int n = std::uniform_int_distribution<>(0, 400)(rng);
    for (int i = 0; i < n; ++i) s.add(i % 11 == 0 ? 0 : dist(rng));
    if (trial % 5 == 1) s.add(dist(rng), 1000);  // a two-byte count: general path
    if (trial % 5 == 2) s.scale(0.37);           // float weights: general path
    expectSameAsUsageSketch(s.serialize());
  }
}

TEST(DecodedSketch, FastPathRejectsMalformedDeltas) {
  UsageSketch s;
  for (double v : {1.0, 1.5, 2.0, 3.0}) s.add(v);
  std::string bytes = s.serialize();
  DecodedSketch d;
  ASSERT_TRUE(d.decode(bytes).has_value());
  ASSERT_EQ(d.buckets.size(), 4u);
  // Layout: count, flags, zero weight, 4-byte max, then (delta, weight) pairs.
  const std::size_t pairs = bytes.size() - 8;
  std::string zero_delta = bytes;
  zero_delta[pairs + 2] = 0;  // second bucket: delta 0 (not increasing)
  EXPECT_FALSE(d.decode(zero_delta).has_value());
  EXPECT_TRUE(d.buckets.empty());
  std::string negative = bytes;
  negative[pairs + 4] = 3;  // third bucket: zigzag 3 = delta -2
  EXPECT_FALSE(d.decode(negative).has_value());
  EXPECT_FALSE(d.decode(bytes.substr(0, bytes.size() - 1)).has_value());
  EXPECT_FALSE(d.decode(bytes + '\x01').has_value());
  EXPECT_FALSE(UsageSketch::deserialize(negative).has_value());
}

}  // namespace
}  // namespace trimtab::store
