#include "store/block.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <optional>
#include <type_traits>
#include <unordered_map>

#include <fmt/format.h>

#include "store/codec.h"
#include "store/sketch.h"

namespace trimtab::store {

SketchColumn::SketchColumn(const SketchColumn& other)
    : offsets_(other.offsets_), sizes_(other.sizes_) {
  if (other.used_ > 0) {
    data_ = std::make_unique_for_overwrite<char[]>(other.used_);
    std::memcpy(data_.get(), other.data_.get(), other.used_);
  }
  used_ = capacity_ = other.used_;
}

SketchColumn& SketchColumn::operator=(const SketchColumn& other) {
  if (this != &other) *this = SketchColumn(other);
  return *this;
}

void SketchColumn::append(std::string_view value) {
  if (value.empty()) return;
  if (capacity_ - used_ < value.size()) {
    const std::size_t want = std::max(used_ + value.size(), capacity_ * 2 + 64);
    auto grown = std::make_unique_for_overwrite<char[]>(want);
    if (used_ > 0) std::memcpy(grown.get(), data_.get(), used_);
    data_ = std::move(grown);
    capacity_ = want;
  }
  std::memcpy(data_.get() + used_, value.data(), value.size());
  used_ += value.size();
}

void SketchColumn::push_back(std::string_view value) {
  offsets_.push_back(used_);
  sizes_.push_back(static_cast<std::uint32_t>(value.size()));
  append(value);
}

void SketchColumn::set(std::size_t i, std::string_view value) {
  if (value.size() <= sizes_[i] && !value.empty()) {
    // Fits in the old value's place (no other row shares it: set() and push_back() always
    // give a row bytes of its own).
    std::memcpy(data_.get() + offsets_[i], value.data(), value.size());
  } else {
    offsets_[i] = used_;
    append(value);
  }
  sizes_[i] = static_cast<std::uint32_t>(value.size());
}

void SketchColumn::resize(std::size_t n) {
  offsets_.resize(n, used_);
  sizes_.resize(n, 0);
}

void SketchColumn::reserve(std::size_t rows, std::size_t bytes) {
  offsets_.reserve(rows);
  sizes_.reserve(rows);
  if (bytes > capacity_) {
    auto grown = std::make_unique_for_overwrite<char[]>(bytes);
    if (used_ > 0) std::memcpy(grown.get(), data_.get(), used_);
    data_ = std::move(grown);
    capacity_ = bytes;
  }
}

void SketchColumn::clear() {
  data_.reset();
  used_ = capacity_ = 0;
  offsets_.clear();
  sizes_.clear();
}

std::size_t SketchColumn::valueBytes() const {
  std::size_t total = 0;
  for (std::uint32_t n : sizes_) total += n;
  return total;
}

void SketchColumn::permute(const std::vector<std::uint32_t>& perm) {
  SketchColumn out;
  std::size_t bytes = 0;
  for (std::uint32_t i : perm) bytes += sizes_[i];
  out.reserve(perm.size(), bytes);
  for (std::uint32_t i : perm) out.push_back((*this)[i]);
  *this = std::move(out);
}

void SketchColumn::compact() {
  if (valueBytes() == used_) return;
  std::vector<std::uint32_t> identity(size());
  std::iota(identity.begin(), identity.end(), 0u);
  permute(identity);
}

char* SketchColumn::rawBuffer(std::size_t raw_size) {
  clear();
  data_ = std::make_unique_for_overwrite<char[]>(std::max<std::size_t>(raw_size, 1));
  used_ = raw_size;
  capacity_ = std::max<std::size_t>(raw_size, 1);
  return data_.get();
}

bool SketchColumn::indexRaw(std::size_t rows) {
  if (used_ / 4 < rows) {
    clear();
    return false;
  }
  offsets_.resize(rows);
  sizes_.resize(rows);
  std::uint64_t pos = rows * 4;
  for (std::size_t i = 0; i < rows; ++i) {
    std::uint32_t len;
    std::memcpy(&len, data_.get() + i * 4, 4);
    offsets_[i] = pos;
    sizes_[i] = len;
    pos += len;
  }
  if (pos != used_) {
    clear();
    return false;
  }
  return true;  // the length prefix stays in front of the values, unreferenced
}

std::string SketchColumn::toRaw() const {
  std::string raw;
  raw.reserve(size() * 4 + valueBytes());
  for (std::uint32_t len : sizes_) raw.append(reinterpret_cast<const char*>(&len), 4);
  for (std::size_t i = 0; i < size(); ++i) raw.append((*this)[i]);
  return raw;
}

bool SketchColumn::operator==(const SketchColumn& other) const {
  if (size() != other.size()) return false;
  for (std::size_t i = 0; i < size(); ++i) {
    if ((*this)[i] != other[i]) return false;
  }
  return true;
}

// Column ids are part of the on-disk format: never renumber, only append.
template <typename F>
void ContainerRows::forEachColumn(F&& f) {
  constexpr auto id = [](ContainerColumn c) { return static_cast<int>(c); };
  f(id(ContainerColumn::kContainerId), container_id, MergeOp::kKey);
  f(id(ContainerColumn::kStart), start, MergeOp::kMin);
  f(id(ContainerColumn::kEnd), end, MergeOp::kMax);
  f(id(ContainerColumn::kRunningSeconds), running_seconds, MergeOp::kSum);
  f(id(ContainerColumn::kCpuCoreHours), cpu_core_hours, MergeOp::kSum);
  f(id(ContainerColumn::kCpuRequestCoreHours), cpu_request_core_hours, MergeOp::kSum);
  f(id(ContainerColumn::kCpuUsageCoreHours), cpu_usage_core_hours, MergeOp::kSum);
  f(id(ContainerColumn::kCpuUsageMaxCores), cpu_usage_max_cores, MergeOp::kMax);
  f(id(ContainerColumn::kRamByteHours), ram_byte_hours, MergeOp::kSum);
  f(id(ContainerColumn::kRamRequestByteHours), ram_request_byte_hours, MergeOp::kSum);
  f(id(ContainerColumn::kRamUsageByteHours), ram_usage_byte_hours, MergeOp::kSum);
  f(id(ContainerColumn::kRamUsageMaxBytes), ram_usage_max_bytes, MergeOp::kMax);
  f(id(ContainerColumn::kGpuHours), gpu_hours, MergeOp::kSum);
  f(id(ContainerColumn::kGpuUsageHours), gpu_usage_hours, MergeOp::kSum);
  f(id(ContainerColumn::kNetworkTransferBytes), network_transfer_bytes, MergeOp::kSum);
  f(id(ContainerColumn::kNetworkReceiveBytes), network_receive_bytes, MergeOp::kSum);
  f(id(ContainerColumn::kCpuCost), cpu_cost, MergeOp::kSum);
  f(id(ContainerColumn::kRamCost), ram_cost, MergeOp::kSum);
  f(id(ContainerColumn::kGpuCost), gpu_cost, MergeOp::kSum);
  f(id(ContainerColumn::kNetworkCost), network_cost, MergeOp::kSum);
  f(id(ContainerColumn::kCpuSketch), cpu_sketch, MergeOp::kSketch);
  f(id(ContainerColumn::kMemorySketch), memory_sketch, MergeOp::kSketch);
  f(id(ContainerColumn::kOomKills), oom_kills, MergeOp::kSum);
}

template <typename F>
void NodeRows::forEachColumn(F&& f) {
  f(1, node_id, MergeOp::kKey);
  f(2, start, MergeOp::kMin);
  f(3, end, MergeOp::kMax);
  f(4, hours, MergeOp::kSum);
  f(5, cpu_core_hours, MergeOp::kSum);
  f(6, ram_byte_hours, MergeOp::kSum);
  f(7, gpu_hours, MergeOp::kSum);
  f(8, cpu_alloc_core_hours, MergeOp::kSum);
  f(9, ram_alloc_byte_hours, MergeOp::kSum);
  f(10, cpu_cost, MergeOp::kSum);
  f(11, ram_cost, MergeOp::kSum);
  f(12, gpu_cost, MergeOp::kSum);
  f(13, spot, MergeOp::kMax);
  f(14, price_source, MergeOp::kLast);
}

template <typename F>
void VolumeRows::forEachColumn(F&& f) {
  f(1, volume_id, MergeOp::kKey);
  f(2, start, MergeOp::kMin);
  f(3, end, MergeOp::kMax);
  f(4, hours, MergeOp::kSum);
  f(5, byte_hours, MergeOp::kSum);
  f(6, cost, MergeOp::kSum);
}

template <typename F>
void LoadBalancerRows::forEachColumn(F&& f) {
  f(1, service_id, MergeOp::kKey);
  f(2, start, MergeOp::kMin);
  f(3, end, MergeOp::kMax);
  f(4, hours, MergeOp::kSum);
  f(5, cost, MergeOp::kSum);
}

template <typename F>
void ShareRows::forEachColumn(F&& f) {
  f(1, container_id, MergeOp::kKey);
  f(2, asset_id, MergeOp::kKey);
  f(3, hours, MergeOp::kSum);
  f(4, cost, MergeOp::kSum);
  f(5, start, MergeOp::kMin);
  f(6, end, MergeOp::kMax);
}

namespace {

template <typename Rows>
void resizeAll(Rows& rows, std::size_t n) {
  rows.forEachColumn([n](int, auto& col, MergeOp) { col.resize(n); });
}

// Reorders every column of rows by permutation perm (new row i = old row perm[i]).
template <typename Rows>
void permute(Rows& rows, const std::vector<std::uint32_t>& perm) {
  rows.forEachColumn([&](int, auto& col, MergeOp) {
    using Col = std::remove_reference_t<decltype(col)>;
    if constexpr (std::is_same_v<Col, SketchColumn>) {
      col.permute(perm);
    } else {
      Col out;
      out.reserve(col.size());
      for (std::uint32_t i : perm) out.push_back(std::move(col[i]));
      col = std::move(out);
    }
  });
}

template <typename Rows>
std::vector<std::uint64_t> keysOf(Rows& rows) {
  std::vector<std::uint64_t> keys(rows.size(), 0);
  int key_columns = 0;
  rows.forEachColumn([&](int, auto& col, MergeOp op) {
    using T = typename std::remove_reference_t<decltype(col)>::value_type;
    if constexpr (std::is_same_v<T, std::uint32_t>) {
      if (op == MergeOp::kKey) {
        for (std::size_t i = 0; i < col.size(); ++i) {
          keys[i] = key_columns == 0 ? col[i] : (keys[i] << 32) | col[i];
        }
        ++key_columns;
      }
    }
  });
  return keys;
}

template <typename Rows>
void sortRows(Rows& rows) {
  const auto keys = keysOf(rows);
  std::vector<std::uint32_t> perm(rows.size());
  std::iota(perm.begin(), perm.end(), 0u);
  std::stable_sort(perm.begin(), perm.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return keys[a] < keys[b]; });
  permute(rows, perm);
}

constexpr char kMagic[4] = {'T', 'T', 'B', 'K'};
constexpr std::uint32_t kFormatVersion = 1;

enum class Section : std::uint8_t {
  kContainers = 1, kNodes = 2, kVolumes = 3, kLoadBalancers = 4, kVolumeShares = 5,
  kLoadBalancerShares = 6
};

template <typename F>
void forEachSection(Block& b, F&& f) {
  f(Section::kContainers, b.containers);
  f(Section::kNodes, b.nodes);
  f(Section::kVolumes, b.volumes);
  f(Section::kLoadBalancers, b.load_balancers);
  f(Section::kVolumeShares, b.volume_shares);
  f(Section::kLoadBalancerShares, b.load_balancer_shares);
}

template <typename T>
constexpr ColumnType columnTypeOf() {
  if constexpr (std::is_same_v<T, std::uint32_t>) return ColumnType::kU32;
  if constexpr (std::is_same_v<T, std::int64_t>) return ColumnType::kI64;
  if constexpr (std::is_same_v<T, double>) return ColumnType::kF64;
  return ColumnType::kBytes;
}

template <typename Col>
constexpr bool kIsSketchColumn = std::is_same_v<std::remove_cvref_t<Col>, SketchColumn>;

template <typename Col>
std::string rawColumn(const Col& col) {
  if constexpr (kIsSketchColumn<Col>) {
    // Bytes columns: rows little-endian u32 lengths, then the concatenated values.
    return col.toRaw();
  } else {
    using T = typename Col::value_type;
    if (col.empty()) return std::string();
    return std::string(reinterpret_cast<const char*>(col.data()), col.size() * sizeof(T));
  }
}

}  // namespace

void ContainerRows::resize(std::size_t n) { resizeAll(*this, n); }
void NodeRows::resize(std::size_t n) { resizeAll(*this, n); }
void VolumeRows::resize(std::size_t n) { resizeAll(*this, n); }
void LoadBalancerRows::resize(std::size_t n) { resizeAll(*this, n); }
void ShareRows::resize(std::size_t n) { resizeAll(*this, n); }

void Block::canonicalize() {
  forEachSection(*this, [](Section, auto& rows) { sortRows(rows); });
}

std::string encodeBlock(const Block& input, int level) {
  Block& block = const_cast<Block&>(input);  // forEachColumn is non-const; nothing is modified
  struct Entry {
    std::uint8_t section;
    std::uint16_t column;
    std::uint8_t type;
    std::uint32_t rows;
    std::uint64_t raw_size, comp_size, checksum;
  };
  std::vector<Entry> entries;
  std::string frames;
  forEachSection(block, [&](Section section, auto& rows) {
    const auto n = static_cast<std::uint32_t>(rows.size());
    rows.forEachColumn([&](int id, auto& col, MergeOp) {
      using T = typename std::remove_reference_t<decltype(col)>::value_type;
      const std::string raw = rawColumn(col);
      const std::size_t before = frames.size();
      compressFrame(raw, kIsSketchColumn<decltype(col)> ? 1 : sizeof(T), level, frames);
      entries.push_back({static_cast<std::uint8_t>(section), static_cast<std::uint16_t>(id),
                         static_cast<std::uint8_t>(columnTypeOf<T>()), n, raw.size(),
                         frames.size() - before,
                         checksum64(std::string_view(frames).substr(before))});
    });
  });
  ByteWriter w;
  w.raw(kMagic, 4);
  w.u32(kFormatVersion);
  w.u8(static_cast<std::uint8_t>(block.kind));
  w.u16(static_cast<std::uint16_t>(block.cluster.size()));
  w.bytes(block.cluster);
  w.u64(static_cast<std::uint64_t>(block.start));
  w.u64(static_cast<std::uint64_t>(block.end));
  w.u32(static_cast<std::uint32_t>(entries.size()));
  for (const Entry& e : entries) {
    w.u8(e.section);
    w.u16(e.column);
    w.u8(e.type);
    w.u32(e.rows);
    w.u64(e.raw_size);
    w.u64(e.comp_size);
    w.u64(e.checksum);
  }
  w.bytes(frames);
  return std::move(w.str());
}

Result<Block> decodeBlock(std::string_view bytes, const ColumnSelection& selection) {
  auto corrupt = [](std::string what) {
    return fail(ErrorCode::kCorrupt, "block: " + std::move(what));
  };
  ByteReader r(bytes);
  char magic[4];
  std::uint32_t version = 0;
  if (!r.raw(magic, 4) || std::memcmp(magic, kMagic, 4) != 0) return corrupt("bad magic");
  if (!r.u32(version) || version != kFormatVersion) {
    return corrupt(fmt::format("format version {} (this build reads {})", version, kFormatVersion));
  }
  Block block;
  std::uint8_t kind;
  std::uint16_t cluster_len;
  std::uint64_t start, end;
  std::uint32_t n_entries;
  if (!r.u8(kind) || kind > 1 || !r.u16(cluster_len)) return corrupt("truncated header");
  block.kind = static_cast<BlockKind>(kind);
  block.cluster.resize(cluster_len);
  if (!r.raw(block.cluster.data(), cluster_len) || !r.u64(start) || !r.u64(end) ||
      !r.u32(n_entries)) {
    return corrupt("truncated header");
  }
  block.start = static_cast<UnixSeconds>(start);
  block.end = static_cast<UnixSeconds>(end);
  struct Entry {
    std::uint8_t section, type;
    std::uint16_t column;
    std::uint32_t rows;
    std::uint64_t raw_size, comp_size, checksum, offset;
  };
  std::vector<Entry> entries(n_entries);
  for (Entry& e : entries) {
    if (!r.u8(e.section) || !r.u16(e.column) || !r.u8(e.type) || !r.u32(e.rows) ||
        !r.u64(e.raw_size) || !r.u64(e.comp_size) || !r.u64(e.checksum)) {
      return corrupt("truncated column directory");
    }
  }
  std::uint64_t offset = r.offset();
  for (Entry& e : entries) {
    e.offset = offset;
    offset += e.comp_size;
  }
  if (offset != bytes.size()) return corrupt("size does not match its column directory");

  std::optional<Error> error;
  forEachSection(block, [&](Section section, auto& rows) {
    rows.forEachColumn([&](int id, auto& col, MergeOp op) {
      if (error) return;
      if (op == MergeOp::kSketch && !selection.sketches) return;
      if (section != Section::kContainers && !selection.other_sections) return;
      if (section == Section::kContainers && op != MergeOp::kSketch && id != 1 &&
          (id >= 64 || !((selection.container_columns >> id) & 1))) {
        return;
      }
      using T = typename std::remove_reference_t<decltype(col)>::value_type;
      auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
        return e.section == static_cast<std::uint8_t>(section) && e.column == id;
      });
      if (it == entries.end()) {
        if constexpr (!kIsSketchColumn<decltype(col)>) {
          if (section == Section::kContainers && id >= kFirstOptionalContainerColumn) {
            col.assign(rows.size(), T{});  // a block from before the column: zeros
            return;
          }
        }
        error = Error{ErrorCode::kCorrupt,
                      fmt::format("block: section {} column {} missing", int(section), id)};
        return;
      }
      if (it->type != static_cast<std::uint8_t>(columnTypeOf<T>())) {
        error = Error{ErrorCode::kCorrupt,
                      fmt::format("block: section {} column {} has the wrong type", int(section),
                                  id)};
        return;
      }
      // The directory checksum covers the compressed frame (cheap); zstd's own checksum
      // covers the content.
      const std::string_view frame = bytes.substr(it->offset, it->comp_size);
      if (checksum64(frame) != it->checksum) {
        error = Error{ErrorCode::kCorrupt, fmt::format("block: section {} column {} fails its "
                                                       "checksum", int(section), id)};
        return;
      }
      if constexpr (kIsSketchColumn<decltype(col)>) {
        // One buffer for the whole column, decompressed into directly (no allocation per row),
        // once the frame's own header agrees with the directory on its size.
        if (frameContentSize(frame) != std::optional<std::uint64_t>(it->raw_size)) {
          error = Error{ErrorCode::kCorrupt,
                        fmt::format("block: section {} column {} declares {} bytes but its frame "
                                    "does not", int(section), id, it->raw_size)};
          return;
        }
        if (auto s = decompressFrameInto(frame, it->raw_size, 1, col.rawBuffer(it->raw_size));
            !s) {
          col.clear();
          error = s.error().withContext(fmt::format("block section {} column {}", int(section), id));
          return;
        }
        if (!col.indexRaw(it->rows)) {
          error = Error{ErrorCode::kCorrupt,
                        fmt::format("block: section {} column {} is malformed", int(section), id)};
        }
      } else {
        if (it->raw_size != static_cast<std::uint64_t>(it->rows) * sizeof(T)) {
          error = Error{ErrorCode::kCorrupt,
                        fmt::format("block: section {} column {} has the wrong size", int(section), id)};
          return;
        }
        col.resize(it->rows);
        if (it->rows == 0) return;
        if (auto s = decompressFrameInto(frame, it->raw_size, sizeof(T),
                                         reinterpret_cast<char*>(col.data()));
            !s) {
          error = s.error().withContext(fmt::format("block section {} column {}", int(section), id));
        }
      }
    });
  });
  if (error) return fail(*error);
  return block;
}

namespace {

template <typename Rows>
void foldSection(const std::vector<const Rows*>& parts, Rows& out) {
  // Group rows by key; the output keeps first-seen order, then canonicalize() sorts.
  std::unordered_map<std::uint64_t, std::uint32_t> index;
  std::size_t total = 0;
  for (const Rows* p : parts) total += p->size();
  index.reserve(total);
  std::vector<std::pair<const Rows*, std::uint32_t>> first_rows;
  std::vector<std::uint32_t> target_of;  // per input row, in part order
  target_of.reserve(total);
  for (const Rows* p : parts) {
    const auto keys = keysOf(const_cast<Rows&>(*p));
    for (std::uint32_t i = 0; i < keys.size(); ++i) {
      auto [it, inserted] = index.emplace(keys[i], static_cast<std::uint32_t>(first_rows.size()));
      if (inserted) first_rows.emplace_back(p, i);
      target_of.push_back(it->second);
    }
  }
  out.resize(first_rows.size());
  // Initialise every output row from its first input row, then merge the remaining rows.
  std::vector<bool> seeded(first_rows.size(), false);
  std::size_t cursor = 0;
  for (const Rows* p : parts) {
    Rows& src = const_cast<Rows&>(*p);
    const std::size_t n = src.size();
    std::vector<std::uint32_t> targets(target_of.begin() + static_cast<std::ptrdiff_t>(cursor),
                                       target_of.begin() + static_cast<std::ptrdiff_t>(cursor + n));
    cursor += n;
    std::vector<bool> first(n);
    for (std::size_t i = 0; i < n; ++i) {
      first[i] = !seeded[targets[i]];
      seeded[targets[i]] = true;
    }
    int col_index = 0;
    src.forEachColumn([&](int, auto& in_col, MergeOp op) {
      int out_index = 0;
      out.forEachColumn([&](int, auto& out_col, MergeOp) {
        if (out_index++ != col_index) return;
        using TIn = typename std::remove_reference_t<decltype(in_col)>::value_type;
        using TOut = typename std::remove_reference_t<decltype(out_col)>::value_type;
        if constexpr (kIsSketchColumn<decltype(in_col)>) {
          return;  // merged below, once per output row
        } else if constexpr (std::is_same_v<TIn, TOut>) {
          if (in_col.empty()) return;
          for (std::size_t i = 0; i < n; ++i) {
            auto& dst = out_col[targets[i]];
            const auto& v = in_col[i];
            if (first[i]) {
              dst = v;
              continue;
            }
            switch (op) {
              case MergeOp::kKey: break;
              case MergeOp::kSum: dst += v; break;
              case MergeOp::kMin: dst = std::min(dst, v); break;
              case MergeOp::kMax: dst = std::max(dst, v); break;
              case MergeOp::kLast: dst = v; break;
              case MergeOp::kSketch: break;
            }
          }
        }
      });
      ++col_index;
    });
  }
  if constexpr (std::is_same_v<Rows, ContainerRows>) {
    // Sketches: each output row's sources (part, row) grouped by target, then one merge and one
    // serialization per output row, appended in row order (no per-merge garbage).
    std::vector<std::uint32_t> start(first_rows.size() + 1, 0);
    for (std::uint32_t t : target_of) ++start[t + 1];
    for (std::size_t t = 0; t < first_rows.size(); ++t) start[t + 1] += start[t];
    std::vector<std::pair<std::uint32_t, std::uint32_t>> sources(target_of.size());
    {
      std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
      std::size_t k = 0;
      for (std::uint32_t p = 0; p < parts.size(); ++p) {
        for (std::uint32_t i = 0; i < parts[p]->size(); ++i) {
          sources[fill[target_of[k++]]++] = {p, i};
        }
      }
    }
    for (SketchColumn ContainerRows::*member :
         {&ContainerRows::cpu_sketch, &ContainerRows::memory_sketch}) {
      SketchColumn merged;
      merged.reserve(first_rows.size());
      for (std::size_t t = 0; t < first_rows.size(); ++t) {
        if (start[t + 1] - start[t] == 1) {  // one source: its bytes as they are
          const auto [p, i] = sources[start[t]];
          const SketchColumn& col = parts[p]->*member;
          merged.push_back(col.size() == parts[p]->size() ? col[i] : std::string_view());
          continue;
        }
        std::string_view only;
        std::optional<UsageSketch> acc;
        int count = 0;
        for (std::uint32_t k = start[t]; k < start[t + 1]; ++k) {
          const auto [p, i] = sources[k];
          const SketchColumn& col = parts[p]->*member;
          if (col.size() != parts[p]->size()) continue;  // column not decoded
          if (count++ == 0) only = col[i];
          auto sketch = UsageSketch::deserialize(col[i]);
          if (!sketch) continue;  // corrupt value: the others still merge
          if (acc) {
            acc->merge(*sketch);
          } else {
            acc = std::move(*sketch);
          }
        }
        if (count <= 1 || !acc) {
          merged.push_back(only);
        } else {
          merged.push_back(acc->serialize());
        }
      }
      out.*member = std::move(merged);
    }
  }
}

}  // namespace

Block foldBlocks(const std::vector<const Block*>& parts, BlockKind kind, UnixSeconds start,
                 UnixSeconds end) {
  Block out;
  out.kind = kind;
  out.start = start;
  out.end = end;
  if (!parts.empty()) out.cluster = parts.front()->cluster;
  auto gather = [&](auto member) {
    using Rows = std::remove_reference_t<decltype(parts.front()->*member)>;
    std::vector<const Rows*> v;
    for (const Block* b : parts) v.push_back(&(b->*member));
    foldSection(v, out.*member);
  };
  gather(&Block::containers);
  gather(&Block::nodes);
  gather(&Block::volumes);
  gather(&Block::load_balancers);
  gather(&Block::volume_shares);
  gather(&Block::load_balancer_shares);
  out.canonicalize();
  return out;
}

}  // namespace trimtab::store
