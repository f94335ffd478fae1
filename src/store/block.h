// Immutable hour and day blocks: the rows every engine reads.
//
// A block covers [start, end) of one cluster (an hour, or a UTC day). Rows reference dimension
// ids (store/dimensions.h); quantities are integrals over the block, so merging blocks is a sum
// (averages are recovered by dividing by running time), except max columns (max) and sketches
// (sketch merge). Costs are computed at fold time from the node-hour rates of that hour, so a day
// block carries the exact sum of its hours' costs.
//
// Encoded form: a directory of columns, each column one zstd frame with a checksum; readers
// decode only the columns a query needs (BlockReader).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/clock.h"
#include "model/error.h"

namespace trimtab::store {

// Container id used in allocation rows for cost that has no consuming container
// (unmounted volumes, load balancers without a backend).
inline constexpr std::uint32_t kNoContainer = 0xffffffffu;

// A column of byte strings (the serialized usage sketches) held in one contiguous buffer: row i
// is the range [offset(i), offset(i) + size(i)) of the buffer. Reading a decoded column costs
// one buffer (decompressed into directly, never zero-filled) and two small arrays, not an
// allocation per row.
// set() appends the new value to the buffer unless it fits in the row's old place (the old bytes
// stay until compact() or a reorder), so building rows in any order is cheap; permute() and
// compact() rewrite the buffer in row order. Thread-compatible.
class SketchColumn {
 public:
  using value_type = std::string_view;

  SketchColumn() = default;
  SketchColumn(const SketchColumn& other);
  SketchColumn& operator=(const SketchColumn& other);
  SketchColumn(SketchColumn&&) noexcept = default;
  SketchColumn& operator=(SketchColumn&&) noexcept = default;

  std::size_t size() const { return sizes_.size(); }
  bool empty() const { return sizes_.empty(); }
  std::string_view operator[](std::size_t i) const {
    return std::string_view(data_.get() + offsets_[i], sizes_[i]);
  }
  void push_back(std::string_view value);
  // Replaces row i's value.
  void set(std::size_t i, std::string_view value);
  // New rows are empty strings.
  void resize(std::size_t n);
  void reserve(std::size_t rows, std::size_t bytes = 0);
  void clear();
  // New row i = old row perm[i]; perm.size() rows. The buffer is rewritten in the new order.
  void permute(const std::vector<std::uint32_t>& perm);
  // Drops bytes no row references (left by set()).
  void compact();
  // Bytes of all values in row order.
  std::size_t valueBytes() const;

  // The stored layout (rows little-endian u32 lengths, then the concatenated values), read in
  // two steps without copies: rawBuffer(n) replaces the column by an uninitialised buffer of n
  // bytes to fill with the layout, then indexRaw(rows) indexes it (false, and an empty column,
  // when the lengths do not add up to the buffer).
  char* rawBuffer(std::size_t raw_size);
  bool indexRaw(std::size_t rows);
  // The same layout, for encoding.
  std::string toRaw() const;

  // Row-wise equality of the values (not of the buffer layout).
  bool operator==(const SketchColumn& other) const;

 private:
  void append(std::string_view value);  // to the buffer, growing it geometrically

  std::unique_ptr<char[]> data_;
  std::size_t used_ = 0, capacity_ = 0;
  std::vector<std::uint64_t> offsets_;
  std::vector<std::uint32_t> sizes_;
};

// One row per container per block.
struct ContainerRows {
  std::vector<std::uint32_t> container_id;
  std::vector<std::int64_t> start;  // first running second inside the block
  std::vector<std::int64_t> end;    // end of the last running interval inside the block
  std::vector<double> running_seconds;
  std::vector<double> cpu_core_hours;          // ∫ max(request, usage) dt
  std::vector<double> cpu_request_core_hours;  // ∫ request dt
  std::vector<double> cpu_usage_core_hours;    // ∫ usage dt
  std::vector<double> cpu_usage_max_cores;
  std::vector<double> ram_byte_hours;
  std::vector<double> ram_request_byte_hours;
  std::vector<double> ram_usage_byte_hours;
  std::vector<double> ram_usage_max_bytes;
  std::vector<double> gpu_hours;          // ∫ requested GPUs (physical-GPU equivalents) dt
  std::vector<double> gpu_usage_hours;    // ∫ requested GPUs × utilisation (0-1) dt
  std::vector<double> network_transfer_bytes;
  std::vector<double> network_receive_bytes;
  std::vector<double> cpu_cost;
  std::vector<double> ram_cost;
  std::vector<double> gpu_cost;
  std::vector<double> network_cost;
  SketchColumn cpu_sketch;     // UsageSketch::serialize() of per-sample cores
  SketchColumn memory_sketch;  // of 5-minute peak working-set bytes
  // Times the container was OOM-killed in the block: restarts whose last termination reason
  // was OOMKilled (kube-state-metrics). Zero in blocks written before the column existed.
  std::vector<double> oom_kills;

  std::size_t size() const { return container_id.size(); }
  void resize(std::size_t n);
  template <typename F>
  void forEachColumn(F&& f);
};

// One row per node per block: what the node cost (the asset side of idle).
struct NodeRows {
  std::vector<std::uint32_t> node_id;
  std::vector<std::int64_t> start, end;
  std::vector<double> hours;
  std::vector<double> cpu_core_hours, ram_byte_hours, gpu_hours;  // capacity integrals
  std::vector<double> cpu_alloc_core_hours, ram_alloc_byte_hours;  // allocatable integrals
  std::vector<double> cpu_cost, ram_cost, gpu_cost;
  std::vector<std::uint32_t> spot;          // 1 if the node ran as spot/preemptible
  std::vector<std::uint32_t> price_source;  // dimension string id, e.g. "catalog:aws:m5.large:..."

  std::size_t size() const { return node_id.size(); }
  void resize(std::size_t n);
  template <typename F>
  void forEachColumn(F&& f);
};

// Persistent volumes: the asset side.
struct VolumeRows {
  std::vector<std::uint32_t> volume_id;
  std::vector<std::int64_t> start, end;
  std::vector<double> hours, byte_hours, cost;

  std::size_t size() const { return volume_id.size(); }
  void resize(std::size_t n);
  template <typename F>
  void forEachColumn(F&& f);
};

// Load balancers (Services of type LoadBalancer): the asset side.
struct LoadBalancerRows {
  std::vector<std::uint32_t> service_id;
  std::vector<std::int64_t> start, end;
  std::vector<double> hours, cost;

  std::size_t size() const { return service_id.size(); }
  void resize(std::size_t n);
  template <typename F>
  void forEachColumn(F&& f);
};

// How a volume's or load balancer's cost was split among containers (or kNoContainer).
struct ShareRows {
  std::vector<std::uint32_t> container_id;
  std::vector<std::uint32_t> asset_id;  // volume_id or service_id
  std::vector<std::int64_t> start, end;  // when the share accrued inside the block
  std::vector<double> hours;            // byte-hours for volumes, hours for load balancers
  std::vector<double> cost;

  std::size_t size() const { return container_id.size(); }
  void resize(std::size_t n);
  template <typename F>
  void forEachColumn(F&& f);
};

// How a column combines when blocks are folded.
enum class MergeOp : std::uint8_t { kKey, kSum, kMin, kMax, kLast, kSketch };

enum class BlockKind : std::uint8_t { kHour = 0, kDay = 1 };

struct Block {
  BlockKind kind = BlockKind::kHour;
  std::string cluster;
  UnixSeconds start = 0;
  UnixSeconds end = 0;
  ContainerRows containers;
  NodeRows nodes;
  VolumeRows volumes;
  LoadBalancerRows load_balancers;
  ShareRows volume_shares;
  ShareRows load_balancer_shares;

  // Sorts every section by its id columns so equal content always encodes to equal bytes.
  void canonicalize();
};

// Container column ids: part of the on-disk format (never renumber, only append).
enum class ContainerColumn : int {
  kContainerId = 1, kStart = 2, kEnd = 3, kRunningSeconds = 4, kCpuCoreHours = 5,
  kCpuRequestCoreHours = 6, kCpuUsageCoreHours = 7, kCpuUsageMaxCores = 8, kRamByteHours = 9,
  kRamRequestByteHours = 10, kRamUsageByteHours = 11, kRamUsageMaxBytes = 12, kGpuHours = 13,
  kGpuUsageHours = 14, kNetworkTransferBytes = 15, kNetworkReceiveBytes = 16, kCpuCost = 17,
  kRamCost = 18, kGpuCost = 19, kNetworkCost = 20, kCpuSketch = 21, kMemorySketch = 22,
  // Added after the first release: blocks written before read it as zeros.
  kOomKills = 23
};
inline constexpr int kFirstOptionalContainerColumn = 23;

// Which columns a reader needs. Sketch columns are large and only rightsizing reads them.
struct ColumnSelection {
  bool sketches = false;
  // false: the node, volume, load balancer and share sections are left empty (no rows).
  bool other_sections = true;
  // Bit (1 << id) per ContainerColumn to decode; the container_id column is always decoded
  // (it carries the row count), sketches only with `sketches`. Default: every column.
  std::uint64_t container_columns = ~std::uint64_t{0};

  static ColumnSelection all() { return {true}; }
  // Only the given container columns (plus container_id), no other section.
  static ColumnSelection containers(std::initializer_list<ContainerColumn> columns,
                                    bool with_sketches) {
    ColumnSelection s{with_sketches, false, 0};
    for (ContainerColumn c : columns) s.container_columns |= std::uint64_t{1} << static_cast<int>(c);
    return s;
  }
};

// Encodes a block (compression level: zstd level, 3 is a good default).
std::string encodeBlock(const Block& block, int level = 3);

// Decodes a block; columns not selected are left empty (sections keep their row count in
// their id column; sections not selected have no rows). A sketch column is decompressed
// straight into its one buffer once its frame's declared size matches the directory. Errors
// name the block.
Result<Block> decodeBlock(std::string_view bytes, const ColumnSelection& selection);

// Folds hour blocks of one cluster into one block covering [start, end): rows with equal ids are
// merged (integrals and costs summed, max taken, sketches merged, start min, end max).
Block foldBlocks(const std::vector<const Block*>& parts, BlockKind kind, UnixSeconds start,
                 UnixSeconds end);

}  // namespace trimtab::store
