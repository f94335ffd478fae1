#include "store/dimensions.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "store/codec.h"

namespace trimtab::store {

namespace {

template <typename D>
std::uint64_t hashDim(const D& d) {
  static_assert(sizeof(D) % 4 == 0);
  // Dims are plain structs of uint32 fields (no padding): hash their bytes.
  return checksum64(std::string_view(reinterpret_cast<const char*>(&d), sizeof(D)));
}

constexpr int kVersionShift = 56;

std::uint64_t hashPairs(const LabelPairs& pairs) {
  return checksum64(std::string_view(reinterpret_cast<const char*>(pairs.data()),
                                     pairs.size() * sizeof(pairs[0])));
}

}  // namespace

template <typename D>
std::uint32_t Dimensions::DimTable<D>::intern(const D& d) {
  auto& bucket = by_hash[hashDim(d)];
  for (std::uint32_t id : bucket) {
    if (rows[id] == d) return id;
  }
  const auto id = static_cast<std::uint32_t>(rows.size());
  rows.push_back(d);
  bucket.push_back(id);
  return id;
}

Dimensions::Dimensions() {
  intern("");
  internLabels({});
}

std::uint32_t Dimensions::intern(std::string_view s) {
  auto it = string_ids_.find(s);
  if (it != string_ids_.end()) return it->second;
  storage_.emplace_back(s);
  const std::string_view stable = storage_.back();
  const auto id = static_cast<std::uint32_t>(strings_.size());
  strings_.push_back(stable);
  string_ids_.emplace(stable, id);
  return id;
}

std::uint32_t Dimensions::internLabels(LabelPairs pairs) {
  std::sort(pairs.begin(), pairs.end(), [this](const auto& a, const auto& b) {
    return str(a.first) < str(b.first);
  });
  auto& bucket = label_set_ids_[hashPairs(pairs)];
  for (std::uint32_t id : bucket) {
    if (label_sets_[id] == pairs) return id;
  }
  const auto id = static_cast<std::uint32_t>(label_sets_.size());
  label_sets_.push_back(std::move(pairs));
  bucket.push_back(id);
  return id;
}

const std::string_view* Dimensions::labelValue(std::uint32_t set, std::string_view key) const {
  for (const auto& [k, v] : label_sets_[set]) {
    if (strings_[k] == key) return &strings_[v];
  }
  return nullptr;
}

std::uint32_t Dimensions::internContainer(const ContainerDim& d) {
  return container_table_.intern(d);
}
std::uint32_t Dimensions::internNode(const NodeDim& d) { return node_table_.intern(d); }
std::uint32_t Dimensions::internVolume(const VolumeDim& d) { return volume_table_.intern(d); }
std::uint32_t Dimensions::internService(const ServiceDim& d) { return service_table_.intern(d); }

Dimensions::Mark Dimensions::mark() const {
  return Mark{strings_.size(),          label_sets_.size(),         container_table_.rows.size(),
              node_table_.rows.size(), volume_table_.rows.size(), service_table_.rows.size()};
}

namespace {

// Container rows as written by format version 0: every field of ContainerDim up to
// `services`, in the same order.
struct ContainerDimV0 {
  std::uint32_t cluster = 0, namespace_name = 0, node = 0, pod = 0, pod_uid = 0, container = 0;
  std::uint32_t controller_kind = 0, controller = 0, provider_id = 0;
  std::uint32_t labels = 0, annotations = 0, namespace_labels = 0, namespace_annotations = 0;
  std::uint32_t services = 0;
};
static_assert(sizeof(ContainerDimV0) == 14 * 4);
static_assert(sizeof(ContainerDim) == 15 * 4);

ContainerDimV0 toV0(const ContainerDim& d) {
  return {d.cluster,     d.namespace_name, d.node,        d.pod,
          d.pod_uid,     d.container,      d.controller_kind, d.controller,
          d.provider_id, d.labels,         d.annotations, d.namespace_labels,
          d.namespace_annotations, d.services};
}

ContainerDim fromV0(const ContainerDimV0& o) {
  ContainerDim d;
  d.cluster = o.cluster;
  d.namespace_name = o.namespace_name;
  d.node = o.node;
  d.pod = o.pod;
  d.pod_uid = o.pod_uid;
  d.container = o.container;
  d.controller_kind = o.controller_kind;
  d.controller = o.controller;
  d.provider_id = o.provider_id;
  d.labels = o.labels;
  d.annotations = o.annotations;
  d.namespace_labels = o.namespace_labels;
  d.namespace_annotations = o.namespace_annotations;
  d.services = o.services;
  d.runtime_class = 0;
  return d;
}

template <typename D>
void writeDims(ByteWriter& w, const std::vector<D>& rows, std::size_t from) {
  w.u32(static_cast<std::uint32_t>(from));
  w.u32(static_cast<std::uint32_t>(rows.size() - from));
  for (std::size_t i = from; i < rows.size(); ++i) w.raw(&rows[i], sizeof(D));
}

void writeContainersV0(ByteWriter& w, const std::vector<ContainerDim>& rows, std::size_t from) {
  w.u32(static_cast<std::uint32_t>(from));
  w.u32(static_cast<std::uint32_t>(rows.size() - from));
  for (std::size_t i = from; i < rows.size(); ++i) {
    const ContainerDimV0 o = toV0(rows[i]);
    w.raw(&o, sizeof(o));
  }
}

// Reads rows stored as `Stored` (plain uint32 fields) and appends convert(stored) to rows.
template <typename Stored, typename D, typename Convert>
bool readDimsAs(ByteReader& r, std::vector<D>& rows, std::string& why, const char* what,
                Convert convert) {
  std::uint32_t from = 0, n = 0;
  if (!r.u32(from) || !r.u32(n)) {
    why = fmt::format("{}: truncated", what);
    return false;
  }
  if (from != rows.size()) {
    why = fmt::format("{}: chunk starts at id {} but the table has {} rows", what, from,
                      rows.size());
    return false;
  }
  if (r.remaining() / sizeof(Stored) < n) {
    why = fmt::format("{}: truncated", what);
    return false;
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    Stored d;
    r.raw(&d, sizeof(Stored));
    rows.push_back(convert(d));
  }
  return true;
}

template <typename D>
bool readDims(ByteReader& r, std::vector<D>& rows, std::string& why, const char* what) {
  return readDimsAs<D>(r, rows, why, what, [](const D& d) { return d; });
}

}  // namespace

std::string Dimensions::encodeSince(const Mark& since) const {
  return encode(since, kChunkVersion);
}

std::string Dimensions::encodeSinceV0(const Mark& since) const { return encode(since, 0); }

std::string Dimensions::encode(const Mark& since, std::uint32_t version) const {
  ByteWriter w;
  w.u32(static_cast<std::uint32_t>(since.strings));
  w.u32(static_cast<std::uint32_t>(strings_.size() - since.strings));
  for (std::size_t i = since.strings; i < strings_.size(); ++i) {
    w.u32(static_cast<std::uint32_t>(strings_[i].size()));
    w.bytes(strings_[i]);
  }
  w.u32(static_cast<std::uint32_t>(since.label_sets));
  w.u32(static_cast<std::uint32_t>(label_sets_.size() - since.label_sets));
  for (std::size_t i = since.label_sets; i < label_sets_.size(); ++i) {
    w.u32(static_cast<std::uint32_t>(label_sets_[i].size()));
    for (const auto& [k, v] : label_sets_[i]) {
      w.u32(k);
      w.u32(v);
    }
  }
  if (version == 0) {
    writeContainersV0(w, container_table_.rows, since.containers);
  } else {
    writeDims(w, container_table_.rows, since.containers);
  }
  writeDims(w, node_table_.rows, since.nodes);
  writeDims(w, volume_table_.rows, since.volumes);
  writeDims(w, service_table_.rows, since.services);
  std::string out;
  const std::uint64_t size_word =
      (static_cast<std::uint64_t>(version) << kVersionShift) | w.str().size();
  out.append(reinterpret_cast<const char*>(&size_word), 8);
  const std::uint64_t sum = checksum64(w.str());
  out.append(reinterpret_cast<const char*>(&sum), 8);
  compressFrame(w.str(), 1, 3, out);
  return out;
}

Status Dimensions::applyChunk(std::string_view chunk) {
  auto corrupt = [](const std::string& why) {
    return fail(ErrorCode::kCorrupt, "dimension chunk: " + why);
  };
  if (chunk.size() < 16) return corrupt("truncated");
  std::uint64_t size_word, sum;
  std::memcpy(&size_word, chunk.data(), 8);
  std::memcpy(&sum, chunk.data() + 8, 8);
  const std::uint64_t version = size_word >> kVersionShift;
  const std::uint64_t raw_size = size_word & ((1ULL << kVersionShift) - 1);
  if (version != 0 && version != kChunkVersion) {
    return corrupt(fmt::format("format version {} unknown (this build reads 0 and {})", version,
                               kChunkVersion));
  }
  if (raw_size > (1ULL << 34)) return corrupt("implausible size");
  auto raw = decompressFrame(chunk.substr(16), raw_size, 1);
  if (!raw) return fail(raw.error().withContext("dimension chunk"));
  if (checksum64(*raw) != sum) return corrupt("checksum mismatch");
  ByteReader r(*raw);
  std::uint32_t from = 0, n = 0;
  if (!r.u32(from) || !r.u32(n) || from != strings_.size()) return corrupt("string ids out of order");
  if (n > r.remaining() / 4) return corrupt("truncated strings");
  string_ids_.reserve(strings_.size() + n);
  strings_.reserve(strings_.size() + n);
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint32_t len;
    if (!r.u32(len) || r.remaining() < len) return corrupt("truncated strings");
    std::string s(len, '\0');
    r.raw(s.data(), len);
    storage_.push_back(std::move(s));
    const std::string_view stable = storage_.back();
    string_ids_.emplace(stable, static_cast<std::uint32_t>(strings_.size()));
    strings_.push_back(stable);
  }
  if (!r.u32(from) || !r.u32(n) || from != label_sets_.size()) {
    return corrupt("label set ids out of order");
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint32_t len;
    if (!r.u32(len) || r.remaining() / 8 < len) return corrupt("truncated label sets");
    LabelPairs pairs(len);
    for (auto& [k, v] : pairs) {
      r.u32(k);
      r.u32(v);
      if (k >= strings_.size() || v >= strings_.size()) return corrupt("label string id unknown");
    }
    const auto id = static_cast<std::uint32_t>(label_sets_.size());
    label_set_ids_[hashPairs(pairs)].push_back(id);
    label_sets_.push_back(std::move(pairs));
  }
  std::string why;
  const Mark before = mark();
  const bool containers_ok = version == 0
                                 ? readDimsAs<ContainerDimV0>(r, container_table_.rows, why,
                                                              "containers", fromV0)
                                 : readDims(r, container_table_.rows, why, "containers");
  if (!containers_ok ||
      !readDims(r, node_table_.rows, why, "nodes") ||
      !readDims(r, volume_table_.rows, why, "volumes") ||
      !readDims(r, service_table_.rows, why, "services")) {
    return corrupt(why);
  }
  if (r.remaining() != 0) {
    return corrupt(fmt::format("{} bytes after the last table (wrong format version?)",
                               r.remaining()));
  }
  auto index = [](auto& table, std::size_t from_row) {
    table.by_hash.reserve(table.rows.size());
    for (std::size_t i = from_row; i < table.rows.size(); ++i) {
      table.by_hash[hashDim(table.rows[i])].push_back(static_cast<std::uint32_t>(i));
    }
  };
  index(container_table_, before.containers);
  index(node_table_, before.nodes);
  index(volume_table_, before.volumes);
  index(service_table_, before.services);
  return {};
}

}  // namespace trimtab::store
