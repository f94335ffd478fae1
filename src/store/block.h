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
#include <string>
#include <string_view>
#include <vector>

#include "model/clock.h"
#include "model/error.h"

namespace trimtab::store {

// Container id used in allocation rows for cost that has no consuming container
// (unmounted volumes, load balancers without a backend).
inline constexpr std::uint32_t kNoContainer = 0xffffffffu;

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
  std::vector<std::string> cpu_sketch;     // UsageSketch::serialize() of per-sample cores
  std::vector<std::string> memory_sketch;  // of 5-minute peak working-set bytes

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

// Which columns a reader needs. Sketch columns are large and only rightsizing reads them.
struct ColumnSelection {
  bool sketches = false;
  static ColumnSelection all() { return {true}; }
};

// Encodes a block (compression level: zstd level, 3 is a good default).
std::string encodeBlock(const Block& block, int level = 3);

// Decodes a block; columns not selected are left empty (sections keep their row count in
// their id column). Errors name the block.
Result<Block> decodeBlock(std::string_view bytes, const ColumnSelection& selection);

// Folds hour blocks of one cluster into one block covering [start, end): rows with equal ids are
// merged (integrals and costs summed, max taken, sketches merged, start min, end max).
Block foldBlocks(const std::vector<const Block*>& parts, BlockKind kind, UnixSeconds start,
                 UnixSeconds end);

}  // namespace trimtab::store
