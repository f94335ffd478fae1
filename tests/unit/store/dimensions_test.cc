// Dimension chunks: round trip of the current layout (with runtime classes) and reading chunks
// written in format version 0, before ContainerDim had runtime_class.
#include "store/dimensions.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "store/codec.h"

namespace trimtab::store {
namespace {

ContainerDim sampleContainer(Dimensions& dims, std::string_view pod, std::string_view rc) {
  ContainerDim d;
  d.cluster = dims.intern("c1");
  d.namespace_name = dims.intern("edge");
  d.node = dims.intern("node-1");
  d.pod = dims.intern(pod);
  d.pod_uid = dims.intern(std::string(pod) + "-uid");
  d.container = dims.intern("fn");
  d.controller_kind = dims.intern("deployment");
  d.controller = dims.intern("edge-fn");
  d.labels = dims.internLabels({{dims.intern("app"), dims.intern("edge-fn")}});
  d.runtime_class = dims.intern(rc);
  return d;
}

// A version-0 chunk built byte by byte from the old layout (independent of the encoder):
// strings, label sets, then container rows of 14 u32 fields, then empty node/volume/service
// tables. Starts from an empty Dimensions' mark (1 string "", 1 empty label set).
std::string handBuiltV0Chunk() {
  std::string raw;
  auto u32 = [&](std::uint32_t v) { raw.append(reinterpret_cast<const char*>(&v), 4); };
  const std::vector<std::string> strings = {"c1",    "ns",   "node-1", "pod-a",
                                            "uid-a", "main", "app",    "web"};  // ids 1..8
  u32(1);
  u32(static_cast<std::uint32_t>(strings.size()));
  for (const auto& s : strings) {
    u32(static_cast<std::uint32_t>(s.size()));
    raw += s;
  }
  u32(1);  // label sets from id 1
  u32(1);
  u32(1);  // one pair: app=web
  u32(7);
  u32(8);
  u32(0);  // containers from id 0
  u32(1);
  // cluster, namespace, node, pod, pod_uid, container, controller_kind, controller,
  // provider_id, labels, annotations, namespace_labels, namespace_annotations, services
  for (std::uint32_t v : {1u, 2u, 3u, 4u, 5u, 6u, 0u, 0u, 0u, 1u, 0u, 0u, 0u, 0u}) u32(v);
  for (int table = 0; table < 3; ++table) {  // nodes, volumes, services: none
    u32(0);
    u32(0);
  }
  std::string chunk;
  const std::uint64_t size = raw.size();  // version 0: the top byte is zero
  chunk.append(reinterpret_cast<const char*>(&size), 8);
  const std::uint64_t sum = checksum64(raw);
  chunk.append(reinterpret_cast<const char*>(&sum), 8);
  compressFrame(raw, 1, 3, chunk);
  return chunk;
}

TEST(DimensionChunk, RoundTripKeepsRuntimeClass) {
  Dimensions a;
  const Dimensions::Mark start = a.mark();
  const auto wasm = a.internContainer(sampleContainer(a, "p1", "wasmtime-spin-v2"));
  const auto plain = a.internContainer(sampleContainer(a, "p2", ""));
  Dimensions b;
  ASSERT_TRUE(b.applyChunk(a.encodeSince(start)));
  ASSERT_EQ(b.containerCount(), 2u);
  EXPECT_EQ(b.str(b.container(wasm).runtime_class), "wasmtime-spin-v2");
  EXPECT_EQ(b.str(b.container(plain).runtime_class), "");
  EXPECT_EQ(b.container(wasm), a.container(wasm));
  // Interning after a reload finds the same ids (the hash index was rebuilt).
  EXPECT_EQ(b.internContainer(sampleContainer(b, "p1", "wasmtime-spin-v2")), wasm);
  // Same identity, different runtime class: a different container dimension.
  EXPECT_NE(b.internContainer(sampleContainer(b, "p1", "spin")), wasm);
}

TEST(DimensionChunk, ReadsAHandBuiltVersion0Chunk) {
  Dimensions d;
  ASSERT_TRUE(d.applyChunk(handBuiltV0Chunk()));
  ASSERT_EQ(d.containerCount(), 1u);
  const ContainerDim& c = d.container(0);
  EXPECT_EQ(d.str(c.cluster), "c1");
  EXPECT_EQ(d.str(c.namespace_name), "ns");
  EXPECT_EQ(d.str(c.node), "node-1");
  EXPECT_EQ(d.str(c.pod), "pod-a");
  EXPECT_EQ(d.str(c.pod_uid), "uid-a");
  EXPECT_EQ(d.str(c.container), "main");
  ASSERT_NE(d.labelValue(c.labels, "app"), nullptr);
  EXPECT_EQ(*d.labelValue(c.labels, "app"), "web");
  EXPECT_EQ(c.runtime_class, 0u);
  EXPECT_EQ(d.str(c.runtime_class), "");
  // The old row is indexed: interning the same identity returns its id.
  ContainerDim again = c;
  EXPECT_EQ(d.internContainer(again), 0u);
}

TEST(DimensionChunk, Version0EncoderWritesTheOldLayout) {
  Dimensions d;
  ASSERT_TRUE(d.applyChunk(handBuiltV0Chunk()));
  EXPECT_EQ(d.encodeSinceV0(Dimensions{}.mark()), handBuiltV0Chunk());
}

TEST(DimensionChunk, OldThenNewChunksCompose) {
  Dimensions writer;
  ASSERT_TRUE(writer.applyChunk(handBuiltV0Chunk()));
  const Dimensions::Mark after_old = writer.mark();
  writer.internContainer(sampleContainer(writer, "p9", "wasmedge"));
  Dimensions reader;
  ASSERT_TRUE(reader.applyChunk(handBuiltV0Chunk()));
  ASSERT_TRUE(reader.applyChunk(writer.encodeSince(after_old)));
  ASSERT_EQ(reader.containerCount(), 2u);
  EXPECT_EQ(reader.str(reader.container(0).runtime_class), "");
  EXPECT_EQ(reader.str(reader.container(1).runtime_class), "wasmedge");
}

TEST(DimensionChunk, UnknownVersionIsCorrupt) {
  Dimensions a;
  const Dimensions::Mark start = a.mark();
  a.internContainer(sampleContainer(a, "p1", "spin"));
  std::string chunk = a.encodeSince(start);
  std::uint64_t word;
  std::memcpy(&word, chunk.data(), 8);
  word = (word & ((1ULL << 56) - 1)) | (7ULL << 56);
  std::memcpy(chunk.data(), &word, 8);
  Dimensions b;
  auto s = b.applyChunk(chunk);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(s.error().message.find("version 7"), std::string::npos) << s.error().message;
}

TEST(DimensionChunk, TruncatedVersion0ContainersAreCorrupt) {
  Dimensions a;
  const Dimensions::Mark start = a.mark();
  a.internContainer(sampleContainer(a, "p1", ""));
  // A current-layout chunk relabelled as version 0 has 4 bytes per row too many: the reader
  // must fail cleanly (wrong table boundaries), never read out of bounds.
  std::string chunk = a.encodeSince(start);
  std::uint64_t word;
  std::memcpy(&word, chunk.data(), 8);
  word &= (1ULL << 56) - 1;
  std::memcpy(chunk.data(), &word, 8);
  Dimensions b;
  EXPECT_FALSE(b.applyChunk(chunk));
}

}  // namespace
}  // namespace trimtab::store
