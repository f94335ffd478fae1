// A small deterministic store for recommender tests: hour blocks committed through the normal
// ingest path (so day blocks are folded by the store).
#pragma once

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "store/sketch.h"
#include "store/store.h"

namespace trimtab::recommend::testing {

inline constexpr UnixSeconds kEnd = 1'767'225'600;  // 2026-01-01T00:00:00Z
inline constexpr double kCpuPricePerCoreHour = 0.03;
inline constexpr double kRamPricePerGiBHour = 0.004;

struct FakeContainer {
  std::string namespace_name, controller_kind, controller, pod, container;
  double cpu_request_cores = 0, memory_request_bytes = 0;
  int hours = 72;  // running for the last `hours` hours before kEnd
  // Usage at (hour, sample of 12): deterministic functions.
  double (*cpu)(int hour, int sample) = nullptr;
  double (*memory)(int hour, int sample) = nullptr;
};

// Where and when a container runs, beside FakeContainer (by index; missing entries = defaults).
struct FakePlacement {
  std::string node = "node-1";
  int start_offset_seconds = 0;  // into its first hour: the first row starts this much later
};

inline std::unique_ptr<store::Store> makeStore(const std::string& path,
                                               const std::vector<FakeContainer>& containers,
                                               const std::vector<FakePlacement>& placements = {},
                                               const std::map<std::size_t, int>& oom_at_age_hour = {}) {
  auto placement = [&](std::size_t i) {
    return i < placements.size() ? placements[i] : FakePlacement{};
  };
  std::filesystem::remove(path);
  auto opened = store::openSqliteStore(path, store::OpenMode::kReadWrite);
  if (!opened) return nullptr;
  std::unique_ptr<store::Store> st = std::move(*opened);
  store::Dimensions& dims = st->mutableDimensions();
  std::vector<std::uint32_t> ids;
  for (const FakeContainer& c : containers) {
    store::ContainerDim d;
    d.cluster = dims.intern("test");
    d.namespace_name = dims.intern(c.namespace_name);
    d.node = dims.intern(placement(ids.size()).node);
    d.pod = dims.intern(c.pod);
    d.pod_uid = dims.intern("uid-" + c.pod);
    d.container = dims.intern(c.container);
    d.controller_kind = dims.intern(c.controller_kind);
    d.controller = dims.intern(c.controller);
    ids.push_back(dims.internContainer(d));
  }
  constexpr double kGiB = 1024.0 * 1024 * 1024;
  std::vector<store::Block> blocks;
  const int max_hours = 72;
  for (int h = 0; h < max_hours; ++h) {
    store::Block b;
    b.kind = store::BlockKind::kHour;
    b.cluster = "test";
    b.start = kEnd - static_cast<UnixSeconds>(max_hours - h) * 3600;
    b.end = b.start + 3600;
    std::vector<std::size_t> live;
    for (std::size_t i = 0; i < containers.size(); ++i) {
      if (h >= max_hours - containers[i].hours) live.push_back(i);
    }
    b.containers.resize(live.size());
    for (std::size_t r = 0; r < live.size(); ++r) {
      const FakeContainer& c = containers[live[r]];
      const int age_hour = h - (max_hours - c.hours);
      store::UsageSketch cpu, mem;
      double cpu_sum = 0, cpu_max = 0, mem_sum = 0, mem_max = 0;
      for (int s = 0; s < 12; ++s) {
        const double u = c.cpu(age_hour, s), m = c.memory(age_hour, s);
        cpu.add(u);
        mem.add(m);
        cpu_sum += u / 12;
        mem_sum += m / 12;
        cpu_max = std::max(cpu_max, u);
        mem_max = std::max(mem_max, m);
      }
      auto& rows = b.containers;
      rows.container_id[r] = ids[live[r]];
      const int offset = age_hour == 0 ? placement(live[r]).start_offset_seconds : 0;
      rows.start[r] = b.start + offset;
      rows.end[r] = b.end;
      rows.running_seconds[r] = 3600 - offset;
      rows.cpu_request_core_hours[r] = c.cpu_request_cores;
      rows.cpu_usage_core_hours[r] = cpu_sum;
      rows.cpu_core_hours[r] = std::max(c.cpu_request_cores, cpu_sum);
      rows.cpu_usage_max_cores[r] = cpu_max;
      rows.ram_request_byte_hours[r] = c.memory_request_bytes;
      rows.ram_usage_byte_hours[r] = mem_sum;
      rows.ram_byte_hours[r] = std::max(c.memory_request_bytes, mem_sum);
      rows.ram_usage_max_bytes[r] = mem_max;
      rows.cpu_cost[r] = rows.cpu_core_hours[r] * kCpuPricePerCoreHour;
      rows.ram_cost[r] = rows.ram_byte_hours[r] / kGiB * kRamPricePerGiBHour;
      rows.cpu_sketch.set(r, cpu.serialize());
      rows.memory_sketch.set(r, mem.serialize());
      auto oom = oom_at_age_hour.find(live[r]);
      rows.oom_kills[r] = oom != oom_at_age_hour.end() && oom->second == age_hour ? 1 : 0;
    }
    b.canonicalize();
    blocks.push_back(std::move(b));
  }
  if (!st->commit(std::move(blocks))) return nullptr;
  return st;
}

}  // namespace trimtab::recommend::testing
