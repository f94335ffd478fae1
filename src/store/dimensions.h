// Dimension tables shared by all blocks of a store: interned strings, label sets, and the
// identities (containers, nodes, volumes, services) that block rows reference by id.
// Ids are dense and stable: an identity interned once keeps its id for the life of the store,
// so re-ingesting the same data yields the same ids (and byte-identical blocks).
//
// Thread-compatible: one writer; readers need external synchronisation against the writer.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/error.h"

namespace trimtab::store {

using LabelPairs = std::vector<std::pair<std::uint32_t, std::uint32_t>>;  // (key id, value id)

// All fields are string ids (0 is the empty string) or label-set ids (0 is the empty set).
struct ContainerDim {
  std::uint32_t cluster = 0, namespace_name = 0, node = 0, pod = 0, pod_uid = 0, container = 0;
  std::uint32_t controller_kind = 0, controller = 0, provider_id = 0;
  std::uint32_t labels = 0, annotations = 0, namespace_labels = 0, namespace_annotations = 0;
  std::uint32_t services = 0;  // label set of (service name, "") pairs
  std::uint32_t runtime_class = 0;  // pod spec.runtimeClassName ("" = the cluster default)
  bool operator==(const ContainerDim&) const = default;
};

struct NodeDim {
  std::uint32_t cluster = 0, name = 0, provider_id = 0, instance_type = 0, region = 0, zone = 0;
  std::uint32_t labels = 0;
  bool operator==(const NodeDim&) const = default;
};

struct VolumeDim {
  std::uint32_t cluster = 0, name = 0, storage_class = 0, provider_id = 0;
  std::uint32_t claim_namespace = 0, claim_name = 0;
  bool operator==(const VolumeDim&) const = default;
};

struct ServiceDim {
  std::uint32_t cluster = 0, namespace_name = 0, name = 0, ip = 0;
  bool operator==(const ServiceDim&) const = default;
};

class Dimensions {
 public:
  Dimensions();

  std::uint32_t intern(std::string_view s);
  std::string_view str(std::uint32_t id) const { return strings_[id]; }
  std::size_t stringCount() const { return strings_.size(); }

  // Pairs need not be sorted; equal sets get equal ids.
  std::uint32_t internLabels(LabelPairs pairs);
  const LabelPairs& labels(std::uint32_t id) const { return label_sets_[id]; }
  // Value of key in label set id, or nullptr.
  const std::string_view* labelValue(std::uint32_t set, std::string_view key) const;

  std::uint32_t internContainer(const ContainerDim& d);
  std::uint32_t internNode(const NodeDim& d);
  std::uint32_t internVolume(const VolumeDim& d);
  std::uint32_t internService(const ServiceDim& d);
  const ContainerDim& container(std::uint32_t id) const { return container_table_.rows[id]; }
  const NodeDim& node(std::uint32_t id) const { return node_table_.rows[id]; }
  const VolumeDim& volume(std::uint32_t id) const { return volume_table_.rows[id]; }
  const ServiceDim& service(std::uint32_t id) const { return service_table_.rows[id]; }
  std::size_t containerCount() const { return container_table_.rows.size(); }
  std::size_t nodeCount() const { return node_table_.rows.size(); }
  std::size_t volumeCount() const { return volume_table_.rows.size(); }
  std::size_t serviceCount() const { return service_table_.rows.size(); }

  // Persistence in append-only chunks: encodeSince(m) holds everything added after mark m.
  // Chunk layout: u64 word = (format version << 56) | raw size, u64 checksum of the raw bytes,
  // one zstd frame. Version 0 (chunks written before versioning; raw size < 2^34, so the top
  // byte is 0) has container rows without runtime_class, which decode as "" (id 0);
  // version kChunkVersion is the current layout. encodeSince always writes the current one.
  // (Builds from before versioning reject current chunks as corrupt: "implausible size".)
  static constexpr std::uint32_t kChunkVersion = 2;
  struct Mark {
    std::size_t strings = 0, label_sets = 0, containers = 0, nodes = 0, volumes = 0, services = 0;
    bool operator==(const Mark&) const = default;
  };
  Mark mark() const;
  std::string encodeSince(const Mark& since) const;
  // For compatibility tests: the same chunk in the version-0 layout (runtime classes dropped).
  std::string encodeSinceV0(const Mark& since) const;
  // Applies a chunk produced by encodeSince on a Dimensions that was at the same mark.
  // Accepts every version listed above; an unknown version is kCorrupt.
  Status applyChunk(std::string_view chunk);

 private:
  std::string encode(const Mark& since, std::uint32_t version) const;

  template <typename D>
  struct DimTable {
    std::vector<D> rows;
    std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> by_hash;
    std::uint32_t intern(const D& d);
  };

  std::deque<std::string> storage_;  // stable addresses for string_views
  std::vector<std::string_view> strings_;
  std::unordered_map<std::string_view, std::uint32_t> string_ids_;
  std::vector<LabelPairs> label_sets_;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> label_set_ids_;
  DimTable<ContainerDim> container_table_;
  DimTable<NodeDim> node_table_;
  DimTable<VolumeDim> volume_table_;
  DimTable<ServiceDim> service_table_;
};

}  // namespace trimtab::store
