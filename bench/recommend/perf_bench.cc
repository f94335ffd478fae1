// Timing of `recommend` over a large store (e.g. the query benchmark's 4,000-node, ~250k
// container, 30-day store):
//   bench/query_bench build --store /tmp/qb-full.db --nodes 4000 --days 30
//   bench/recommend/recommend_perf_bench --store /tmp/qb-full.db [--strategy auto] [--days 30]
//       [--read-pass 0] [--threads N] [--dump FILE]
// Prints wall time (store open excluded and reported apart) and the process's peak RSS.
// --read-pass 0 skips the reading-alone reference pass (e.g. to profile recommend() only).
// --threads N sets RecommendOptions::threads (0 = hardware concurrency); --dump FILE writes the
// recommendations as JSON (to compare thread counts or builds).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "recommend/recommend.h"

namespace {

// CPU seconds of the whole process (all threads): wall time on this shared machine varies with
// the other tenants' load, CPU time much less.
double cpuSeconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double peakRssMiB() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace trimtab;
  std::string path, strategy = "auto";
  int days = 30;
  bool read_pass = true;
  int threads = 0;
  std::string dump;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--store") == 0)
      path = argv[i + 1];
    else if (std::strcmp(argv[i], "--strategy") == 0)
      strategy = argv[i + 1];
    else if (std::strcmp(argv[i], "--days") == 0)
      days = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--read-pass") == 0)
      read_pass = std::strcmp(argv[i + 1], "0") != 0;
    else if (std::strcmp(argv[i], "--threads") == 0)
      threads = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--dump") == 0)
      dump = argv[i + 1];
  }
  if (path.empty()) {
    std::fputs("recommend_perf_bench --store PATH [--strategy auto|vpa|krr|autopilot] [--days N] "
               "[--read-pass 0] [--threads N] [--dump FILE]\n",
               stderr);
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto store = store::openSqliteStore(path, store::OpenMode::kReadOnly);
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().message.c_str());
    return 1;
  }
  const double open_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto extent = (*store)->extent();
  if (!extent) {
    std::fprintf(stderr, "%s\n", extent.error().message.c_str());
    return 1;
  }
  recommend::RecommendOptions o;
  o.window_end = extent->second;
  // extent() covers hour blocks only (the query bench writes hours for its last day).
  o.window_start = o.window_end - static_cast<UnixSeconds>(days) * 86400;
  auto s = recommend::parseStrategy(strategy);
  if (!s) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    return 2;
  }
  o.strategy = *s;
  o.threads = threads;
  const auto t1 = std::chrono::steady_clock::now();
  const double c1 = cpuSeconds();
  auto recs = recommend::recommend(**store, o);
  const double rec_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  const double rec_cpu = cpuSeconds() - c1;
  if (!recs) {
    std::fprintf(stderr, "%s\n", recs.error().message.c_str());
    return 1;
  }
  if (!dump.empty()) std::ofstream(dump, std::ios::binary) << recommend::toJson(*recs, o) << "\n";
  std::uint64_t rows = 0, bytes = 0;
  std::size_t blocks = 0;
  if (auto plan = store::planWindow(**store, "", o.window_start, o.window_end)) {
    for (const auto& b : *plan) {
      rows += b.container_rows;
      bytes += b.bytes;
      ++blocks;
    }
  }
  // Reading alone (decompression and column decode, sketch columns included), for reference.
  const auto t2 = std::chrono::steady_clock::now();
  const double c2 = cpuSeconds();
  if (auto plan = store::planWindow(**store, "", o.window_start, o.window_end); plan && read_pass) {
    for (const auto& b : *plan) {
      auto block = (*store)->readBlock(b, store::ColumnSelection::all());
      if (!block) return 1;
    }
  }
  const double read_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();
  const double read_cpu = cpuSeconds() - c2;
  std::size_t sufficient = 0, daemonsets = 0, replicas = 0, startups = 0;
  for (const auto& r : *recs) {
    sufficient += r.sufficient ? 1 : 0;
    daemonsets += r.daemonset_replicas > 0 ? 1 : 0;
    replicas += static_cast<std::size_t>(r.daemonset_replicas);
    startups += r.startup_excluded ? 1 : 0;
  }
  std::printf("| figure | value |\n|---|---|\n");
  std::printf("| containers in store | %zu |\n", (*store)->dimensions().containerCount());
  std::printf("| workloads / with recommendation | %zu / %zu |\n", recs->size(), sufficient);
  std::printf(
      "| window | %d days: %zu blocks, %llu container rows (one sketch pair each), %.0f MB encoded "
      "|\n",
      days, blocks, static_cast<unsigned long long>(rows), static_cast<double>(bytes) / 1e6);
  std::printf("| strategy | %s |\n", strategy.c_str());
  std::printf("| daemonsets (replica quantile) / their replicas / startup rows excluded | %zu / %zu / "
              "%zu |\n",
              daemonsets, replicas, startups);
  std::printf("| store open (dimensions) | %.2f s |\n", open_s);
  std::printf("| recommend() wall / CPU (all threads), --threads %d | %.2f s / %.2f s |\n", threads,
              rec_s, rec_cpu);
  std::printf(
      "| reading the window's blocks alone, one thread (readBlock, all columns) wall / CPU | %.2f "
      "s / %.2f s |\n",
      read_s, read_cpu);
  std::printf("| peak RSS | %.0f MiB |\n", peakRssMiB());
  return 0;
}
