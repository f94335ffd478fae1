// FGD-paper replay benchmark on the openb trace (../shared/data/fgd-openb).
//
//   plan_bench [--data DIR] [--workloads default,cpu050,...] [--policies random,...,trimtab]
//              [--seeds 10] [--threads 2] [--tie-break shuffled|first|random]
//   plan_bench --dump WORKLOAD:POLICY:SEED   (one replay as JSON)
//   plan_bench --size W1,W2 [--colgen-seconds 3.5] [--dive-seconds 2] [--node-limit N]
//              [--max-node-limit N] [--no-colgen]
//                                            (node-pool sizing of pod lists against AWS)
//
// For every workload x policy it replays seeds 42.. (inflate 1.3, no departures) and prints the
// unallocated GPU % at arrived 100% (mean +- population sd over seeds) next to the paper's
// figure from expected/summary_by_workload_policy.csv, the mean number of pods that failed to
// schedule, the mean time of one replay and the wall time of all seeds of the workload/policy
// (seeds run on --threads threads). A second table compares Trimtab with FGD per workload.
#include <fmt/format.h>
#include <time.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "model/clock.h"
#include "plan/openb.h"
#include "plan/replay.h"
#include "plan/sizing.h"
#include "pricing/catalog.h"

namespace {

using namespace trimtab;
using namespace trimtab::plan;

std::string arg(int argc, char** argv, const char* name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

struct Paper {
  double mean = NAN;
  double sd = NAN;
};

// (workload, policy name) -> paper figure at arrived 100 %.
std::map<std::pair<std::string, std::string>, Paper> readPaper(const std::string& path) {
  std::map<std::pair<std::string, std::string>, Paper> out;
  auto text = readTextFile(path);
  if (!text) return out;
  const std::map<std::string, std::string> names = {
      {"01-Random", "random"},      {"02-DotProd", "dotprod"}, {"03-GpuClustering", "clustering"},
      {"04-GpuPacking", "packing"}, {"05-BestFit", "bestfit"}, {"06-FGD", "fgd"}};
  std::size_t pos = text->find('\n') + 1;
  while (pos < text->size()) {
    std::size_t end = text->find('\n', pos);
    if (end == std::string::npos) end = text->size();
    std::vector<std::string> f;
    std::string line = text->substr(pos, end - pos);
    std::size_t s = 0;
    while (true) {
      std::size_t c = line.find(',', s);
      f.push_back(line.substr(s, c == std::string::npos ? std::string::npos : c - s));
      if (c == std::string::npos) break;
      s = c + 1;
    }
    pos = end + 1;
    if (f.size() < 6 || f[2] != "100") continue;
    auto it = names.find(f[1]);
    if (it == names.end()) continue;
    out[{f[0], it->second}] = Paper{std::stod(f[4]), std::stod(f[5])};
  }
  return out;
}

// CPU time of the calling thread in ms: replay cost independent of other load on the machine.
double threadCpuMillis() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Stats {
  double mean = 0;
  double sd = 0;
};

Stats stats(const std::vector<double>& v) {
  Stats s;
  if (v.empty()) return s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.sd += (x - s.mean) * (x - s.mean);
  s.sd = std::sqrt(s.sd / static_cast<double>(v.size()));
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string data = arg(argc, argv, "--data", TRIMTAB_SHARED_DIR "/data/fgd-openb");
  const auto workloads =
      split(arg(argc, argv, "--workloads",
                "default,cpu050,cpu100,cpu200,gpushare40,gpushare60,gpushare80,"
                "gpuspec10,gpuspec20,gpuspec25,multigpu20,multigpu30,multigpu40"));
  const auto policies =
      split(arg(argc, argv, "--policies", "random,dotprod,clustering,packing,bestfit,fgd,trimtab"));
  const int seeds = std::stoi(arg(argc, argv, "--seeds", "10"));
  const int threads = std::max(1, std::stoi(arg(argc, argv, "--threads", "2")));
  const std::string tie = arg(argc, argv, "--tie-break", "shuffled");
  const TieBreak tie_break = tie == "random"  ? TieBreak::kRandom
                             : tie == "first" ? TieBreak::kFirst
                                              : TieBreak::kShuffledFirst;
  const auto& clock = SystemClock::instance();

  if (const std::string size = arg(argc, argv, "--size", ""); !size.empty()) {
    // --size W1,W2,... sizes each pod list against the AWS catalog (utilisation 0.8).
    // --colgen-seconds S caps column generation; --no-colgen runs the old method only.
    SizingLimits limits;
    limits.colgen_seconds = std::stod(arg(argc, argv, "--colgen-seconds", "3.5"));
    limits.dive_seconds = std::stod(arg(argc, argv, "--dive-seconds", "2"));
    limits.pricing_node_limit = std::stoll(arg(argc, argv, "--node-limit", "2000"));
    limits.max_pricing_node_limit = std::stoll(arg(argc, argv, "--max-node-limit", "512000"));
    for (int i = 1; i < argc; ++i) {
      if (std::strcmp(argv[i], "--no-colgen") == 0) limits.column_generation = false;
    }
    std::puts(
        "workload     pods  classes  trimtab $/h   ffd $/h      bound $/h    (assign. LP)  "
        "gap     ffd vs bound  mix method           colgen iters/cols/capped  seconds  cpu s");
    for (const auto& w : split(size)) {
      GpuModels models;
      auto pods = readOpenbPodsAddingModels(data + "/openb_pod_list_" + w + ".csv", models);
      if (!pods) {
        std::fprintf(stderr, "plan_bench: %s\n", pods.error().message.c_str());
        return 1;
      }
      const std::int64_t t0 = clock.monotonicNanos();
      const double c0 = threadCpuMillis();
      auto options = catalogOptions(pricing::Catalog::builtin(), SizingOptions{});
      if (!options) return 1;
      auto r = sizePool(*pods, *options, limits);
      if (!r) return 1;
      const double secs = static_cast<double>(clock.monotonicNanos() - t0) / 1e9;
      const double cpu = (threadCpuMillis() - c0) / 1e3;
      std::printf(
          "%-12s %5zu  %7zu  %11.2f  %11.2f  %11.2f  %11.2f   %5.2f%%  %11.1f%%  %-20s "
          "%4d/%5zu/%-3s "
          "%s  %7.2f  %5.2f\n",
          w.c_str(), pods->size(), r->pod_classes, r->mix_hourly_usd, r->ffd_hourly_usd,
          r->lp_bound_hourly_usd, r->assignment_bound_hourly_usd, r->gap_pct,
          (r->ffd_hourly_usd - r->lp_bound_hourly_usd) / r->lp_bound_hourly_usd * 100,
          r->mix_method.c_str(), r->colgen_iterations, r->colgen_columns,
          r->colgen_time_capped ? "yes" : "no", r->colgen_converged ? "converged" : "not-proven",
          secs, cpu);
      std::printf(
          "             colgen bound %.2f, master %.2f, per-dimension/assignment: see above\n",
          r->colgen_bound_hourly_usd, r->colgen_master_hourly_usd);
    }
    return 0;
  }
  auto cluster = readOpenbNodes(data + "/openb_node_list_gpu_node.csv");
  if (!cluster) {
    std::fprintf(stderr, "plan_bench: %s\n", cluster.error().message.c_str());
    return 1;
  }
  if (const std::string dump = arg(argc, argv, "--dump", ""); !dump.empty()) {
    // --dump WORKLOAD:POLICY:SEED prints one replay as JSON (the CLI's --format json).
    std::string w = dump.substr(0, dump.find(':'));
    std::string rest = dump.substr(dump.find(':') + 1);
    auto pods = readOpenbPods(data + "/openb_pod_list_" + w + ".csv", cluster->gpu_models);
    if (!pods) return 1;
    ReplayOptions o;
    o.policy = parsePolicy(rest.substr(0, rest.find(':'))).value_or(PolicyKind::kFgd);
    o.seed = std::stoull(rest.substr(rest.find(':') + 1));
    o.tie_break = tie_break;
    auto r = replay(*cluster, *pods, o);
    if (!r) return 1;
    std::puts(replayJson(*r).c_str());
    for (std::size_t i = 0; i < r->failed.size() && i < 15; ++i) {
      std::fprintf(stderr, "failed %s: %s\n", r->failed[i].name.c_str(),
                   r->failed[i].reason.c_str());
    }
    return 0;
  }
  const auto paper = readPaper(data + "/expected/summary_by_workload_policy.csv");

  std::fputs(
      "workload     policy      unalloc@100 (ours)  paper            diff   failed pods  "
      "ms/replay  cpu ms/replay  s/all seeds\n",
      stdout);
  std::map<std::pair<std::string, std::string>, Stats> ours;
  int within = 0;
  int compared = 0;
  for (const auto& w : workloads) {
    auto pods = readOpenbPods(data + "/openb_pod_list_" + w + ".csv", cluster->gpu_models);
    if (!pods) {
      std::fprintf(stderr, "plan_bench: %s\n", pods.error().message.c_str());
      return 1;
    }
    for (const auto& pname : policies) {
      auto policy = parsePolicy(pname);
      if (!policy) {
        std::fprintf(stderr, "plan_bench: unknown policy %s\n", pname.c_str());
        return 2;
      }
      std::vector<double> unalloc(static_cast<std::size_t>(seeds), NAN);
      std::vector<double> failed(static_cast<std::size_t>(seeds), 0);
      std::vector<double> millis(static_cast<std::size_t>(seeds), 0);
      std::vector<double> cpu_millis(static_cast<std::size_t>(seeds), 0);
      const std::int64_t start = clock.monotonicNanos();
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
          for (int s = t; s < seeds; s += threads) {
            const std::int64_t t0 = clock.monotonicNanos();
            const double c0 = threadCpuMillis();
            ReplayOptions o;
            o.policy = *policy;
            o.seed = 42 + static_cast<std::uint64_t>(s);
            o.tie_break = tie_break;
            auto r = replay(*cluster, *pods, o);
            const auto si = static_cast<std::size_t>(s);
            millis[si] = static_cast<double>(clock.monotonicNanos() - t0) / 1e6;
            cpu_millis[si] = threadCpuMillis() - c0;
            if (r) {
              unalloc[si] = r->unallocated_gpu_pct_at_100;
              failed[si] = static_cast<double>(r->failed.size());
            }
          }
        });
      }
      for (auto& th : pool) th.join();
      const double wall = static_cast<double>(clock.monotonicNanos() - start) / 1e9;
      const Stats u = stats(unalloc);
      ours[{w, pname}] = u;
      auto it = paper.find({w, pname});
      std::string paper_s = "-";
      std::string diff_s = "-";
      if (it != paper.end()) {
        paper_s = fmt::format("{:5.2f}±{:.2f}", it->second.mean, it->second.sd);
        const double diff = u.mean - it->second.mean;
        diff_s = fmt::format("{:+.2f}", diff);
        ++compared;
        if (std::fabs(diff) <= 1.0) ++within;
      }
      std::printf("%-12s %-11s %6.2f±%-4.2f          %-16s %-6s %11.1f  %9.1f  %13.1f  %11.2f\n",
                  w.c_str(), pname.c_str(), u.mean, u.sd, paper_s.c_str(), diff_s.c_str(),
                  stats(failed).mean, stats(millis).mean, stats(cpu_millis).mean, wall);
      std::fflush(stdout);
    }
  }
  std::printf("\npaper policies within 1 pp of the published mean: %d/%d\n", within, compared);
  bool have = false;
  for (const auto& w : workloads) {
    auto f = ours.find({w, "fgd"});
    auto t = ours.find({w, "trimtab"});
    if (f == ours.end() || t == ours.end()) continue;
    if (!have) std::puts("\nworkload     fgd (ours)   trimtab      trimtab-fgd  paper fgd");
    have = true;
    auto p = paper.find({w, "fgd"});
    std::printf("%-12s %6.2f±%.2f  %6.2f±%.2f  %+7.2f      %s\n", w.c_str(), f->second.mean,
                f->second.sd, t->second.mean, t->second.sd, t->second.mean - f->second.mean,
                p == paper.end() ? "-" : fmt::format("{:.2f}", p->second.mean).c_str());
  }
  return 0;
}
