#include "model/resources.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "model/quantity.h"

namespace trimtab::model {
namespace {

std::int64_t saturatingAdd(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  }
  return r;
}

using Extended = std::vector<std::pair<std::string, std::int64_t>>;

// Merges two name-sorted lists, combining equal names with op.
template <typename Op>
Extended mergeExtended(const Extended& a, const Extended& b, Op op) {
  Extended out;
  out.reserve(a.size() + b.size());
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].first < b[j].first)) {
      out.push_back(a[i++]);
    } else if (i == a.size() || b[j].first < a[i].first) {
      out.push_back(b[j++]);
    } else {
      out.emplace_back(a[i].first, op(a[i].second, b[j].second));
      ++i;
      ++j;
    }
  }
  return out;
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

ResourceVector& ResourceVector::operator+=(const ResourceVector& other) {
  cpu_millicores = saturatingAdd(cpu_millicores, other.cpu_millicores);
  memory_bytes = saturatingAdd(memory_bytes, other.memory_bytes);
  ephemeral_storage_bytes = saturatingAdd(ephemeral_storage_bytes, other.ephemeral_storage_bytes);
  pods = saturatingAdd(pods, other.pods);
  gpus = saturatingAdd(gpus, other.gpus);
  shared_gpus = saturatingAdd(shared_gpus, other.shared_gpus);
  if (!other.extended.empty()) {
    if (extended.empty()) {
      extended = other.extended;
    } else {
      extended = mergeExtended(extended, other.extended, saturatingAdd);
    }
  }
  return *this;
}

ResourceVector ResourceVector::max(const ResourceVector& a, const ResourceVector& b) {
  ResourceVector r;
  r.cpu_millicores = std::max(a.cpu_millicores, b.cpu_millicores);
  r.memory_bytes = std::max(a.memory_bytes, b.memory_bytes);
  r.ephemeral_storage_bytes = std::max(a.ephemeral_storage_bytes, b.ephemeral_storage_bytes);
  r.pods = std::max(a.pods, b.pods);
  r.gpus = std::max(a.gpus, b.gpus);
  r.shared_gpus = std::max(a.shared_gpus, b.shared_gpus);
  r.extended = mergeExtended(a.extended, b.extended,
                             [](std::int64_t x, std::int64_t y) { return std::max(x, y); });
  return r;
}

std::int64_t ResourceVector::extendedCount(std::string_view name) const {
  auto it = std::lower_bound(extended.begin(), extended.end(), name,
                             [](const auto& entry, std::string_view n) { return entry.first < n; });
  if (it != extended.end() && it->first == name) return it->second;
  return 0;
}

std::int64_t ResourceVector::migSlices() const {
  std::int64_t n = 0;
  for (const auto& [name, count] : extended) {
    if (startsWith(name, kResourceMigPrefix)) n = saturatingAdd(n, count);
  }
  return n;
}

bool ResourceVector::hasGpu() const { return gpus > 0 || shared_gpus > 0 || migSlices() > 0; }

double migComputeFraction(std::string_view resource_name) {
  std::string_view s = resource_name;
  if (startsWith(s, kResourceMigPrefix)) {
    s.remove_prefix(kResourceMigPrefix.size());
  } else if (startsWith(s, "mig-")) {
    s.remove_prefix(4);
  } else {
    return 0;
  }
  // <N>g.<M>gb[qualifier]
  std::size_t pos = 0;
  int slices = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && slices <= 7) {
    slices = slices * 10 + (s[pos] - '0');
    ++pos;
  }
  if (pos == 0 || slices < 1 || slices > 7) return 0;
  if (s.substr(pos, 2) != "g.") return 0;
  pos += 2;
  const std::size_t mem_start = pos;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
  if (pos == mem_start) return 0;
  if (s.substr(pos, 2) != "gb") return 0;
  pos += 2;
  if (pos < s.size() && s[pos] != '+' && s[pos] != '-' && s[pos] != '.') return 0;
  return static_cast<double>(slices) / 7.0;
}

double gpuEquivalent(const ResourceVector& r, std::int64_t time_slicing_replicas) {
  const std::int64_t replicas = time_slicing_replicas <= 0 ? 1 : time_slicing_replicas;
  double total = static_cast<double>(r.gpus);
  for (const auto& [name, count] : r.extended) {
    const double fraction = migComputeFraction(name);
    if (fraction > 0) total += fraction * static_cast<double>(count);
  }
  total += static_cast<double>(r.shared_gpus) / static_cast<double>(replicas);
  return total;
}

Result<void> addResource(ResourceVector& vector, std::string_view name, std::string_view quantity) {
  const bool is_cpu = name == kResourceCpu;
  auto parsed = is_cpu ? parseQuantityMilli(quantity) : parseQuantity(quantity);
  if (!parsed) return fail(parsed.error());
  std::int64_t* slot = nullptr;
  if (is_cpu) {
    slot = &vector.cpu_millicores;
  } else if (name == kResourceMemory) {
    slot = &vector.memory_bytes;
  } else if (name == kResourceEphemeralStorage) {
    slot = &vector.ephemeral_storage_bytes;
  } else if (name == kResourcePods) {
    slot = &vector.pods;
  } else if (name == kResourceNvidiaGpu || name == kResourceAmdGpu || name == kResourceIntelGpu) {
    slot = &vector.gpus;
  } else if (name == kResourceNvidiaGpuShared) {
    slot = &vector.shared_gpus;
  } else {
    auto it = std::lower_bound(
        vector.extended.begin(), vector.extended.end(), name,
        [](const auto& entry, std::string_view n) { return entry.first < n; });
    if (it == vector.extended.end() || it->first != name) {
      it = vector.extended.emplace(it, std::string(name), 0);
    }
    slot = &it->second;
  }
  std::int64_t sum = 0;
  if (__builtin_add_overflow(*slot, *parsed, &sum)) {
    return fail(ErrorCode::kParse, fmt::format("\"{}\": quantity out of range (sum of {})",
                                               quantity.substr(0, 64), name));
  }
  *slot = sum;
  return {};
}

}  // namespace trimtab::model
