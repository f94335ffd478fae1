// Replays real memory series through each recommender and reports Autopilot's (EuroSys'20)
// metrics side by side with the trace's own limits ("manual").
//
//   recommend_replay_bench [--shared DIR] [--warmup-hours 1] [--sweep] [--trace-overruns COLUMN]
//       [--w-overrun W] [--w-underrun W] [--w-limit-change W] [--w-model-change W]
//       [--cost-half-life SAMPLES] [--half-lives S,S,...] [--margins M,M,...]
//       [--startup-hours H] [--startup-margin M] [--startup-step M]
// (defaults: autopilot::MlOptions{} and the startup regime in AutoOnline below).
//
// Traces (../shared/data): Google ClusterData2019 job 113 (9 tasks, 5-minute windows, max
// memory per window and the memory limit that was set), and the Alibaba GenAI pod memory
// utilisation series (208 pods, 57 s samples folded into 5-minute peaks; utilisation is a
// fraction of the pod's limit, so the manual limit is 1.0).
//
// Replay: at each 5-minute window a recommender has seen only earlier windows. The limit in
// force is the trace's own until the task has --warmup-hours of history; after that the
// recommender's, with one actuation rule for every recommender: a new value is applied when it
// differs from the one in force by more than 5% (limit changes are what Autopilot counts). A window
// whose peak exceeds the limit in force is an overrun (it is still observed afterwards: the traces
// are not truncated by OOM kills as real usage would be).
//
// Columns: manual, vpa, krr, mw S_max, mw S_p98 (Autopilot moving window, 48 h half-life),
// ml (the ensemble from the first sample), auto (StartupLimit for the first 24 h, mw S_max until
// 72 h, then ml). --trace-overruns prints each overrun of one column (task, age, peak, limit).
//
// Metrics per task-day (UTC day of the trace clock):
//   relative slack = (mean limit − P95 of the day's window peaks) / mean limit, averaged;
//   overrun-free task-days; overruns per task-day; seriously impacted task-days (>= 5 overruns);
//   limit changes per task-day (mean and p99).
// VPA works in bytes (its histogram starts at 1e7 bytes): normalised units are scaled by an
// assumed 256 GiB largest machine (Google) and a 16 GiB pod limit (Alibaba).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "recommend/autopilot.h"
#include "recommend/vpa.h"

namespace {

using namespace trimtab::recommend;
constexpr double kGiB = 1024.0 * 1024 * 1024;
constexpr double kWindowSeconds = 300;

struct Window {
  double t = 0;       // seconds
  double peak = 0;    // scaled to bytes
  double manual = 0;  // the trace's limit, bytes
};
using Series = std::vector<Window>;

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> f;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) f.push_back(cell);
  return f;
}

std::vector<Series> loadGoogle(const std::string& path, double scale) {
  std::ifstream in(path);
  std::vector<Series> out;
  if (!in) return out;
  std::string line;
  std::getline(in, line);
  const auto header = split(line);
  auto col = [&](const char* name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const std::size_t c_time = col("time"), c_task = col("instance_index"),
                    c_mem = col("max_memory_usage"), c_limit = col("memory_limit");
  std::map<std::string, Series> tasks;
  while (std::getline(in, line)) {
    const auto f = split(line);
    if (f.size() <= std::max({c_time, c_task, c_mem, c_limit})) continue;
    Series& s = tasks[f[c_task]];
    const double t = std::stod(f[c_time]) / 1e6;
    if (!s.empty() && t <= s.back().t) continue;  // the one duplicated timestamp
    s.push_back({t, std::stod(f[c_mem]) * scale, std::stod(f[c_limit]) * scale});
  }
  for (auto& [k, s] : tasks) out.push_back(std::move(s));
  return out;
}

std::vector<Series> loadAlibaba(const std::string& path, double scale) {
  std::ifstream in(path);
  std::vector<Series> out;
  if (!in) return out;
  std::string line;
  std::getline(in, line);
  const auto header = split(line);
  auto col = [&](const char* name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const std::size_t c_v = col("value"), c_t = col("timestamp_anon"), c_id = col("container_ip");
  std::map<std::string, std::map<long, double>> pods;  // window -> peak
  double t0 = 1e300;
  std::vector<std::tuple<std::string, double, double>> rows;
  while (std::getline(in, line)) {
    const auto f = split(line);
    if (f.size() <= std::max({c_v, c_t, c_id})) continue;
    const double t = std::stod(f[c_t]);
    t0 = std::min(t0, t);
    rows.emplace_back(f[c_id], t, std::max(0.0, std::stod(f[c_v])));
  }
  for (const auto& [id, t, v] : rows) {
    double& p = pods[id][static_cast<long>((t - t0) / kWindowSeconds)];
    p = std::max(p, v);
  }
  for (auto& [id, windows] : pods) {
    Series s;
    for (const auto& [w, v] : windows) {
      s.push_back({static_cast<double>(w) * kWindowSeconds, v * scale, 1.0 * scale});
    }
    out.push_back(std::move(s));
  }
  return out;
}

// An online recommender: sees each window after the limit for it was set.
class Online {
 public:
  virtual ~Online() = default;
  virtual void observe(double t, double peak) = 0;
  virtual void overrun(double /*t*/, double /*limit*/, double /*peak*/) {}
  virtual double limit(double t) = 0;  // 0 = no opinion yet
};

// VPA: P90 of 24 h memory peaks (8 intervals, 24 h half-life) × 1.15, floors, OOM bump.
class VpaOnline : public Online {
 public:
  void observe(double t, double peak) override { bump(t, peak); }
  void overrun(double t, double limit, double peak) override {
    bump(t, vpa::oomBumpBytes(limit, peak));
  }
  double limit(double t) override {
    if (peaks_.empty()) return 0;
    vpa::VpaHistogram h = vpa::VpaHistogram::memory();
    for (const auto& [interval, p] : peaks_) {
      h.addSample(p.first, std::exp2((p.second - t) / vpa::kHalfLifeSeconds));
    }
    return vpa::estimateMemoryBytes(h, 1.0, 1).target;
  }

 private:
  void bump(double t, double v) {
    const long interval = static_cast<long>(t / vpa::kMemoryAggregationIntervalSeconds);
    auto& p = peaks_[interval];
    if (v > p.first) p = {v, t};
    while (!peaks_.empty() && peaks_.begin()->first <= interval - 8) peaks_.erase(peaks_.begin());
  }
  std::map<long, std::pair<double, double>> peaks_;  // interval -> (peak, time)
};

// KRR simple: max over the last 14 days × 1.15.
class KrrOnline : public Online {
 public:
  void observe(double t, double peak) override {
    while (!q_.empty() && q_.back().second <= peak) q_.pop_back();
    q_.emplace_back(t, peak);
  }
  double limit(double t) override {
    while (!q_.empty() && q_.front().first < t - 14 * 86400.0) q_.pop_front();
    return q_.empty() ? 0 : std::max(q_.front().second * 1.15, 100 * 1024.0 * 1024);
  }

 private:
  std::deque<std::pair<double, double>> q_;  // monotonic max queue
};

class MovingWindowOnline : public Online {
 public:
  explicit MovingWindowOnline(autopilot::MemoryClass cls)
      : mw_(autopilot::kMemoryHalfLifeSeconds, cls, kGiB) {}
  void observe(double t, double peak) override { mw_.observe(t, peak); }
  double limit(double t) override { return mw_.recommend(t); }

 private:
  autopilot::MovingWindow mw_;
};

class MlOnline : public Online {
 public:
  explicit MlOnline(autopilot::MlOptions o) : ml_(std::move(o)) {}
  void observe(double, double peak) override { ml_.observe(peak); }
  double limit(double) override { return ml_.recommend(); }

 private:
  autopilot::MlEnsemble ml_;
};

// The young-task regime's constants (--startup-*): see autopilot::StartupLimit.
struct StartupOptions {
  double hours = autopilot::kStartupSeconds / 3600;  // 0 = no startup regime
  double margin = autopilot::kStartupMargin, step = autopilot::kStartupStep;
};

// auto: the startup regime (StartupLimit) for the first `startup.hours` of a task, then the
// moving window (S_max) until it has 72 h of history, then the ensemble.
class AutoOnline : public Online {
 public:
  AutoOnline(autopilot::MlOptions o, StartupOptions startup)
      : ml_(std::move(o)),
        mw_(autopilot::MemoryClass::kMinimal),
        startup_opts_(startup),
        startup_(startup.margin, startup.step) {}
  void observe(double t, double peak) override {
    if (first_ < 0) first_ = t;
    ml_.observe(t, peak);
    mw_.observe(t, peak);
    startup_.observe(peak);
    last_ = t;
  }
  double limit(double t) override {
    const double m = mw_.limit(t);
    if (last_ - first_ < startup_opts_.hours * 3600) return startup_.recommend();
    return last_ - first_ >= 72 * 3600.0 ? ml_.limit(t) : m;
  }

 private:
  MlOnline ml_;
  MovingWindowOnline mw_;
  StartupOptions startup_opts_;
  autopilot::StartupLimit startup_;
  double first_ = -1, last_ = 0;
};

struct Metrics {
  double task_days = 0, slack_sum = 0, overrun_free = 0, overruns = 0, serious = 0;
  std::vector<double> changes;  // per task-day
  double elapsed_s = 0;
};

double g_warmup_seconds = 3600;        // --warmup-hours
const char* g_trace_column = nullptr;  // --trace-overruns NAME: print that column's overruns
const char* g_column = "";             // the column being replayed

Metrics replay(const std::vector<Series>& tasks,
               const std::function<std::unique_ptr<Online>()>& make) {
  Metrics m;
  const auto t0 = std::chrono::steady_clock::now();
  for (const Series& s : tasks) {
    if (s.empty()) continue;
    std::unique_ptr<Online> rec = make ? make() : nullptr;
    struct Day {
      double limit_sum = 0, n = 0, overruns = 0, changes = 0;
      std::vector<double> peaks;
    };
    std::map<long, Day> days;
    double in_force = 0;
    const double first_t = s.front().t;
    for (const Window& w : s) {
      double proposal = w.manual;
      if (rec && w.t - first_t >= g_warmup_seconds) {
        const double r = rec->limit(w.t);
        if (r > 0) proposal = r;
      }
      Day& d = days[static_cast<long>(w.t / 86400)];
      if (in_force == 0) {
        in_force = proposal;
      } else if (std::abs(proposal - in_force) > 0.05 * in_force) {
        in_force = proposal;
        d.changes += 1;
      }
      d.limit_sum += in_force;
      d.n += 1;
      d.peaks.push_back(w.peak);
      if (w.peak > in_force) {
        d.overruns += 1;
        if (g_trace_column && std::strcmp(g_trace_column, g_column) == 0) {
          std::printf(
              "overrun: %s task %zu at %.1f h (age %.1f h): peak %.4g > limit %.4g (%.1f%%)\n",
              g_column, static_cast<std::size_t>(&s - tasks.data()), w.t / 3600,
              (w.t - first_t) / 3600, w.peak, in_force, 100 * (w.peak / in_force - 1));
        }
        if (rec) rec->overrun(w.t, in_force, w.peak);
      }
      if (rec) rec->observe(w.t, w.peak);
    }
    for (auto& [k, d] : days) {
      std::sort(d.peaks.begin(), d.peaks.end());
      const double p95 = d.peaks[std::min(
          d.peaks.size() - 1, static_cast<std::size_t>(std::ceil(0.95 * d.peaks.size())) - 1)];
      const double mean_limit = d.limit_sum / d.n;
      m.task_days += 1;
      m.slack_sum += (mean_limit - p95) / mean_limit;
      m.overrun_free += d.overruns == 0 ? 1 : 0;
      m.overruns += d.overruns;
      m.serious += d.overruns >= 5 ? 1 : 0;
      m.changes.push_back(d.changes);
    }
  }
  m.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return m;
}

double p99(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(std::ceil(0.99 * v.size())) - 1)];
}

void printTable(const char* title, const std::vector<Series>& tasks, const autopilot::MlOptions& ml,
                const StartupOptions& startup) {
  struct Col {
    const char* name;
    std::function<std::unique_ptr<Online>()> make;
  };
  const std::vector<Col> cols = {
      {"manual", nullptr},
      {"vpa", [] { return std::make_unique<VpaOnline>(); }},
      {"krr", [] { return std::make_unique<KrrOnline>(); }},
      {"mw S_max",
       [] { return std::make_unique<MovingWindowOnline>(autopilot::MemoryClass::kMinimal); }},
      {"mw S_p98",
       [] { return std::make_unique<MovingWindowOnline>(autopilot::MemoryClass::kLow); }},
      {"ml", [ml] { return std::make_unique<MlOnline>(ml); }},
      {"auto", [ml, startup] { return std::make_unique<AutoOnline>(ml, startup); }},
  };
  std::vector<Metrics> ms;
  for (const Col& c : cols) {
    g_column = c.name;
    ms.push_back(replay(tasks, c.make));
  }
  std::size_t windows = 0;
  for (const auto& s : tasks) windows += s.size();
  std::printf("\n%s: %zu tasks, %zu windows, %.0f task-days\n\n", title, tasks.size(), windows,
              ms[0].task_days);
  std::printf("| metric |");
  for (const Col& c : cols) std::printf(" %s |", c.name);
  std::printf("\n|---|");
  for (std::size_t i = 0; i < cols.size(); ++i) std::printf("---|");
  std::printf("\n");
  auto row = [&](const char* name, const std::function<std::string(const Metrics&)>& f) {
    std::printf("| %s |", name);
    for (const Metrics& m : ms) std::printf(" %s |", f(m).c_str());
    std::printf("\n");
  };
  char buf[64];
  auto fmt = [&](const char* f, double v) {
    std::snprintf(buf, sizeof buf, f, v);
    return std::string(buf);
  };
  row("average relative slack",
      [&](const Metrics& m) { return fmt("%.1f%%", 100 * m.slack_sum / m.task_days); });
  row("overrun-free task-days",
      [&](const Metrics& m) { return fmt("%.2f%%", 100 * m.overrun_free / m.task_days); });
  row("overruns per task-day",
      [&](const Metrics& m) { return fmt("%.3f", m.overruns / m.task_days); });
  row("seriously impacted task-days (>=5)",
      [&](const Metrics& m) { return fmt("%.0f", m.serious); });
  row("limit changes per task-day (mean)", [&](const Metrics& m) {
    double s = 0;
    for (double c : m.changes) s += c;
    return fmt("%.2f", s / m.task_days);
  });
  row("limit changes, p99 task-day", [&](const Metrics& m) { return fmt("%.0f", p99(m.changes)); });
  row("replay time (s)", [&](const Metrics& m) { return fmt("%.2f", m.elapsed_s); });
}

std::vector<double> parseList(const char* text) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string cell;
  while (std::getline(ss, cell, ',')) out.push_back(std::atof(cell.c_str()));
  return out;
}

std::string listText(const std::vector<double>& v, double scale = 1) {
  std::string out;
  for (double x : v) {
    if (!out.empty()) out += ", ";
    out += std::to_string(std::lround(x * scale));
  }
  return out;
}

// --sweep: the ML ensemble's cost weights and the startup regime over small grids (Autopilot
// tuned its five hyperparameters offline by exhaustive sweep), one row per setting and trace.
void sweep(const char* title, const std::vector<Series>& tasks, const autopilot::MlOptions& base,
           const StartupOptions& startup_base) {
  std::printf(
      "\n%s: ML sweep\n\n| w_o | w_dL | w_dm | cost t1/2 | slack | overrun-free | "
      "overruns/task-day | "
      "changes p99 |\n|---|---|---|---|---|---|---|---|\n",
      title);
  for (double wo : {100.0, 400.0, 2000.0, 10000.0}) {
    for (double wdl : {10.0, 50.0, 200.0}) {
      for (double cost_hl : {0.0, 144.0}) {
        autopilot::MlOptions o = base;
        o.w_overrun = wo;
        o.w_limit_change = wdl;
        o.cost_half_life_samples = cost_hl;
        const Metrics m = replay(tasks, [o] { return std::make_unique<MlOnline>(o); });
        std::printf("| %.0f | %.0f | %.0f | %.0f | %.1f%% | %.2f%% | %.3f | %.0f |\n", wo, wdl,
                    o.w_model_change, cost_hl, 100 * m.slack_sum / m.task_days,
                    100 * m.overrun_free / m.task_days, m.overruns / m.task_days, p99(m.changes));
      }
    }
  }
  std::printf(
      "\n%s: auto, startup regime sweep (ML as above)\n\n| startup h | margin | step | slack | "
      "overrun-free | overruns/task-day | changes p99 |\n|---|---|---|---|---|---|---|\n",
      title);
  for (double hours : {0.0, 24.0, 72.0}) {
    for (auto [margin, step] : std::vector<std::pair<double, double>>{
             {0.15, 0.15}, {0.15, 0.5}, {0.3, 1.0}, {0.5, 1.5}, {1.0, 2.0}, {1.5, 2.5}}) {
      StartupOptions so = startup_base;
      so.hours = hours;
      so.margin = margin;
      so.step = step;
      const Metrics m =
          replay(tasks, [base, so] { return std::make_unique<AutoOnline>(base, so); });
      std::printf("| %.0f | %.2f | %.2f | %.1f%% | %.2f%% | %.3f | %.0f |\n", hours, margin, step,
                  100 * m.slack_sum / m.task_days, 100 * m.overrun_free / m.task_days,
                  m.overruns / m.task_days, p99(m.changes));
      if (hours == 0) break;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string shared = TRIMTAB_SHARED_DIR;
  bool do_sweep = false;
  autopilot::MlOptions ml;
  StartupOptions startup;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--shared") == 0 && has_value)
      shared = argv[++i];
    else if (std::strcmp(argv[i], "--warmup-hours") == 0 && has_value)
      g_warmup_seconds = std::atof(argv[++i]) * 3600;
    else if (std::strcmp(argv[i], "--w-overrun") == 0 && has_value)
      ml.w_overrun = std::atof(argv[++i]);
    else if (std::strcmp(argv[i], "--w-underrun") == 0 && has_value)
      ml.w_underrun = std::atof(argv[++i]);
    else if (std::strcmp(argv[i], "--w-limit-change") == 0 && has_value)
      ml.w_limit_change = std::atof(argv[++i]);
    else if (std::strcmp(argv[i], "--w-model-change") == 0 && has_value)
      ml.w_model_change = std::atof(argv[++i]);
    else if (std::strcmp(argv[i], "--cost-half-life") == 0 && has_value)
      ml.cost_half_life_samples = std::atof(argv[++i]);
    else if (std::strcmp(argv[i], "--half-lives") == 0 && has_value)
      ml.half_lives_samples = parseList(argv[++i]);
    else if (std::strcmp(argv[i], "--margins") == 0 && has_value)
      ml.margins = parseList(argv[++i]);
    else if (std::strcmp(argv[i], "--startup-hours") == 0 && has_value)
      startup.hours = std::atof(argv[++i]);
    else if (std::strcmp(argv[i], "--startup-margin") == 0 && has_value)
      startup.margin = std::atof(argv[++i]);
    else if (std::strcmp(argv[i], "--startup-step") == 0 && has_value)
      startup.step = std::atof(argv[++i]);
    else if (std::strcmp(argv[i], "--trace-overruns") == 0 && has_value)
      g_trace_column = argv[++i];
    else if (std::strcmp(argv[i], "--sweep") == 0)
      do_sweep = true;
  }
  const auto google = loadGoogle(
      shared + "/data/google2019-task-usage/google2019_task_usage_job113.csv", 256 * kGiB);
  const auto alibaba =
      loadAlibaba(shared + "/data/alibaba-genai-pod-metrics/pod_memory_util_anon.csv", 16 * kGiB);
  if (google.empty() && alibaba.empty()) {
    std::fprintf(stderr, "recommend_replay_bench: no traces under %s/data\n", shared.c_str());
    return 1;
  }
  std::printf(
      "ML ensemble: half-lives {%s} windows, margins {%s}%%, w_o=%.0f w_u=%.0f w_dL=%.0f "
      "w_dm=%.0f, cost half-life %s\n",
      listText(ml.half_lives_samples).c_str(), listText(ml.margins, 100).c_str(), ml.w_overrun,
      ml.w_underrun, ml.w_limit_change, ml.w_model_change,
      ml.cost_half_life_samples > 0
          ? (std::to_string(static_cast<long>(ml.cost_half_life_samples)) + " windows").c_str()
          : "each model's own");
  std::printf(
      "auto: startup regime for the first %.0f h (max x %.2f, raised to max x %.2f), then "
      "mw S_max until 72 h, then ML\n",
      startup.hours, 1 + startup.margin, 1 + startup.step);
  std::printf("warm-up: the trace's own limit for the first %.1f h of each task\n",
              g_warmup_seconds / 3600);
  if (do_sweep) {
    if (!google.empty()) sweep("Google 2019 job 113", google, ml, startup);
    if (!alibaba.empty()) sweep("Alibaba GenAI", alibaba, ml, startup);
    return 0;
  }
  if (!google.empty()) printTable("Google 2019 job 113 (memory)", google, ml, startup);
  if (!alibaba.empty()) printTable("Alibaba GenAI pods (memory utilisation)", alibaba, ml, startup);
  return 0;
}
