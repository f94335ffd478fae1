#include "store/block.h"

#include <gtest/gtest.h>

#include "store/sketch.h"

namespace trimtab::store {
namespace {

Block sampleBlock(UnixSeconds start, double scale) {
  Block b;
  b.cluster = "c1";
  b.start = start;
  b.end = start + 3600;
  b.containers.resize(3);
  for (std::uint32_t i = 0; i < 3; ++i) {
    b.containers.container_id[i] = 2 - i;  // out of order on purpose
    b.containers.start[i] = start;
    b.containers.end[i] = start + 3600;
    b.containers.running_seconds[i] = 3600;
    b.containers.cpu_core_hours[i] = scale * (i + 1);
    b.containers.cpu_usage_max_cores[i] = scale * i;
    b.containers.cpu_cost[i] = 0.03 * scale * (i + 1);
    UsageSketch s;
    s.add(scale * (i + 1));
    b.containers.cpu_sketch.set(i, s.serialize());
  }
  b.nodes.resize(1);
  b.nodes.node_id[0] = 0;
  b.nodes.hours[0] = 1;
  b.nodes.cpu_cost[0] = 1.5 * scale;
  b.nodes.price_source[0] = 4;
  b.volume_shares.resize(2);
  b.volume_shares.container_id = {kNoContainer, 1};
  b.volume_shares.asset_id = {0, 0};
  b.volume_shares.cost = {0.5, 0.25};
  b.volume_shares.start = {start, start};
  b.volume_shares.end = {start + 3600, start + 1800};
  b.canonicalize();
  return b;
}

TEST(Block, EncodeDecodeRoundTrip) {
  const Block b = sampleBlock(7200, 1.0);
  EXPECT_EQ(b.containers.container_id, (std::vector<std::uint32_t>{0, 1, 2}));
  const std::string bytes = encodeBlock(b);
  auto back = decodeBlock(bytes, ColumnSelection::all());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->cluster, "c1");
  EXPECT_EQ(back->start, 7200);
  EXPECT_EQ(back->containers.cpu_core_hours, b.containers.cpu_core_hours);
  EXPECT_EQ(back->containers.cpu_sketch, b.containers.cpu_sketch);
  EXPECT_EQ(back->volume_shares.container_id, b.volume_shares.container_id);
  EXPECT_EQ(encodeBlock(*back), bytes);  // deterministic encoding
}

// A block written before the oom_kills column existed: the same bytes with that column's
// directory entry and frame removed. It reads with zero OOM kills; any other missing column
// is still corruption.
std::string withoutColumn(const std::string& bytes, int section, int column) {
  auto u16 = [&](std::size_t at) {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(bytes[at]) |
                                      static_cast<unsigned char>(bytes[at + 1]) << 8);
  };
  auto u32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  auto u64 = [&](std::size_t at) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  // magic, version, kind, cluster, start, end, entry count; entries of 32 bytes.
  const std::size_t count_at = 4 + 4 + 1 + 2 + u16(9) + 8 + 8;
  const std::uint32_t n = u32(count_at);
  const std::size_t entries_at = count_at + 4;
  std::size_t frame_at = entries_at + 32 * std::size_t{n};
  for (std::uint32_t e = 0; e < n; ++e) {
    const std::size_t at = entries_at + 32 * e;
    const std::uint64_t comp = u64(at + 16);
    if (static_cast<unsigned char>(bytes[at]) == section && u16(at + 1) == column) {
      std::string out = bytes;
      out.erase(frame_at, comp);
      out.erase(at, 32);
      const std::uint32_t m = n - 1;
      for (int i = 0; i < 4; ++i) out[count_at + i] = static_cast<char>(m >> (8 * i));
      return out;
    }
    frame_at += comp;
  }
  return {};
}

TEST(Block, ABlockFromBeforeTheOomColumnReadsZeroKills) {
  Block b = sampleBlock(0, 1);
  b.containers.oom_kills = {0, 2, 0};
  const std::string bytes = encodeBlock(b);
  auto now = decodeBlock(bytes, ColumnSelection::all());
  ASSERT_TRUE(now) << now.error().message;
  EXPECT_EQ(now->containers.oom_kills, (std::vector<double>{0, 2, 0}));

  const std::string old = withoutColumn(bytes, 1, static_cast<int>(ContainerColumn::kOomKills));
  ASSERT_FALSE(old.empty());
  auto back = decodeBlock(old, ColumnSelection::all());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->containers.oom_kills, (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(back->containers.cpu_core_hours, b.containers.cpu_core_hours);

  const std::string no_cost =
      withoutColumn(bytes, 1, static_cast<int>(ContainerColumn::kCpuCost));
  ASSERT_FALSE(no_cost.empty());
  auto bad = decodeBlock(no_cost, ColumnSelection::all());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("missing"), std::string::npos) << bad.error().message;
}

TEST(Block, DecodeWithoutSketchesSkipsThem) {
  auto back = decodeBlock(encodeBlock(sampleBlock(0, 1)), ColumnSelection{});
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->containers.cpu_sketch.empty());
  EXPECT_EQ(back->containers.size(), 3u);
}

TEST(Block, CorruptionIsDetectedNotServed) {
  std::string bytes = encodeBlock(sampleBlock(0, 1));
  for (std::size_t pos : {std::size_t{0}, bytes.size() / 2, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x5a);
    auto r = decodeBlock(bad, ColumnSelection::all());
    EXPECT_FALSE(r) << "flipped byte " << pos;
  }
  EXPECT_FALSE(decodeBlock(bytes.substr(0, bytes.size() - 10), ColumnSelection::all()));
  EXPECT_FALSE(decodeBlock("", ColumnSelection::all()));
}

TEST(Block, FoldSumsIntegralsAndTakesMaxima) {
  const Block a = sampleBlock(0, 1.0);
  const Block b = sampleBlock(3600, 2.0);
  const Block day = foldBlocks({&a, &b}, BlockKind::kDay, 0, 86400);
  ASSERT_EQ(day.containers.size(), 3u);
  EXPECT_DOUBLE_EQ(day.containers.cpu_core_hours[1], 2 * 1.0 + 2 * 2.0);
  EXPECT_DOUBLE_EQ(day.containers.cpu_usage_max_cores[0], 2.0 * 2);  // id 0 had max 2×scale
  EXPECT_EQ(day.containers.start[0], 0);
  EXPECT_EQ(day.containers.end[0], 7200);
  EXPECT_DOUBLE_EQ(day.containers.running_seconds[0], 7200);
  EXPECT_DOUBLE_EQ(day.nodes.cpu_cost[0], 4.5);
  EXPECT_EQ(day.nodes.price_source[0], 4u);
  ASSERT_EQ(day.volume_shares.size(), 2u);
  EXPECT_DOUBLE_EQ(day.volume_shares.cost[0] + day.volume_shares.cost[1], 1.5);
  auto sketch = UsageSketch::deserialize(day.containers.cpu_sketch[0]);
  ASSERT_TRUE(sketch);
  EXPECT_EQ(sketch->count(), 2);
}

}  // namespace
}  // namespace trimtab::store

#include <random>

#include "store/codec.h"

namespace trimtab::store {
namespace {

// Shuffled frames of every width and length (the vectorised unshuffle handles 16 elements at a
// time; the tails are scalar) decode to the exact input.
TEST(Codec, ShuffledFramesRoundTripForEveryLengthAndWidth) {
  std::mt19937_64 rng(5);
  for (std::size_t width : {2u, 4u, 8u}) {
    for (std::size_t count : {0u, 1u, 15u, 16u, 17u, 31u, 32u, 33u, 100u, 1000u}) {
      std::string raw(count * width, '\0');
      for (char& c : raw) c = static_cast<char>(rng());
      std::string frame;
      compressFrame(raw, width, 3, frame);
      auto back = decompressFrame(frame, raw.size(), width);
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_EQ(*back, raw) << "width " << width << " count " << count;
    }
  }
}

}  // namespace
}  // namespace trimtab::store
