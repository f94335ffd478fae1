#include "plan/colgen.h"

#include <algorithm>
#include <cmath>
#include <set>

#ifdef TRIMTAB_HAVE_CLP
#include <coin/ClpSimplex.hpp>
#endif

namespace trimtab::plan {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Duals below this are treated as 0 everywhere (pricing and the bound), so both stay consistent.
constexpr double kDualFloor = 1e-10;
constexpr double kFeasTol = 1e-9;

double clampDual(double d) { return d > kDualFloor ? d : 0.0; }

// Depth-first branch and bound for one option (see pricePattern).
class Pricer {
 public:
  Pricer(const PatternProblem& problem, int option, std::span<const double> duals,
         std::span<const double> demand, std::int64_t node_limit)
      : problem_(problem),
        cap_(problem.option_capacity[static_cast<std::size_t>(option)]),
        node_limit_(node_limit) {
    const auto& fits = problem.fits[static_cast<std::size_t>(option)];
    for (std::size_t c = 0; c < problem.class_usage.size(); ++c) {
      const double pi = clampDual(duals[c]);
      if (!fits[c] || pi <= 0 || demand[c] < 1) continue;
      const auto& u = problem.class_usage[c];
      double ub = std::floor(demand[c] + 1e-9);
      double share = 0;
      double surrogate = 0;
      bool ok = true;
      for (int d = 0; d < kPatternRows; ++d) {
        const auto di = static_cast<std::size_t>(d);
        if (u[di] <= 0) continue;
        if (cap_[di] <= 0) {
          ok = false;
          break;
        }
        ub = std::min(ub, std::floor((cap_[di] + kFeasTol) / u[di]));
        share = std::max(share, u[di] / cap_[di]);
        surrogate += u[di] / cap_[di];
      }
      if (!ok || ub < 1) continue;
      if (problem.class_group[c] >= 0) ub = 1;
      items_.push_back(Item{static_cast<int>(c), pi, static_cast<int>(ub), problem.class_group[c],
                            pi / share, surrogate});
    }
    // Lagrangian bound: for any lambda >= 0 on the rows,
    //   value <= lambda . resid + sum_{c >= i} limit_c max(0, dual_c - lambda . usage_c);
    // lambda from the root LP relaxation makes it as strong as that LP at the root. Items the
    // LP wants (positive reduced profit) are branched on first.
    lambda_ = rootLambda();
    for (Item& it : items_) {
      const auto& u = problem.class_usage[static_cast<std::size_t>(it.cls)];
      double cost = 0;
      for (int d = 0; d < kPatternRows; ++d) {
        cost += lambda_[static_cast<std::size_t>(d)] * u[static_cast<std::size_t>(d)];
      }
      it.reduced = it.dual - cost;
    }
    std::stable_sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) {
      const bool pa = a.reduced > 1e-12;
      const bool pb = b.reduced > 1e-12;
      if (pa != pb) return pa;
      return a.efficiency > b.efficiency;
    });
    const std::size_t n = items_.size();
    suffix_sum_.assign(n + 1, 0);
    suffix_surrogate_.assign(n + 1, 0);
    for (auto& row : suffix_ratio_) row.assign(n + 1, 0);
    for (std::size_t i = n; i-- > 0;) {
      const Item& it = items_[i];
      suffix_sum_[i] = suffix_sum_[i + 1] + it.dual * it.limit;
      suffix_surrogate_[i] = std::max(suffix_surrogate_[i + 1], it.dual / it.surrogate);
      const auto& u = problem.class_usage[static_cast<std::size_t>(it.cls)];
      for (int d = 0; d < kPatternRows; ++d) {
        const auto di = static_cast<std::size_t>(d);
        const double r = u[di] > 0 ? it.dual / u[di] : kInf;
        suffix_ratio_[di][i] = std::max(suffix_ratio_[di][i + 1], r);
      }
    }
    suffix_lagrangian_.assign(n + 1, 0);
    for (std::size_t i = n; i-- > 0;) {
      const Item& it = items_[i];
      suffix_lagrangian_[i] = suffix_lagrangian_[i + 1] + it.limit * std::max(0.0, it.reduced);
    }
    int groups = 0;
    for (const Item& it : items_) groups = std::max(groups, it.group + 1);
    group_used_.assign(static_cast<std::size_t>(groups), 0);
    counts_.assign(n, 0);
  }

  PricedPattern run(int option) {
    PatternVector resid = cap_;
    search(0, resid, 0);
    PricedPattern out;
    out.best.option = option;
    for (const auto& [c, k] : best_counts_) out.best.counts.emplace_back(c, k);
    std::sort(out.best.counts.begin(), out.best.counts.end());
    out.value = best_;
    for (auto& [v, counts] : runner_ups_) {
      Pattern p;
      p.option = option;
      p.counts = std::move(counts);
      std::sort(p.counts.begin(), p.counts.end());
      out.runner_ups.emplace_back(v, std::move(p));
    }
    out.exact = !truncated_;
    out.upper_bound = truncated_ ? std::max(best_, open_bound_) : best_;
    return out;
  }

 private:
  struct Item {
    int cls;
    double dual;
    int limit;
    int group;
    double efficiency;   // dual per largest share of a row
    double surrogate;    // sum of shares of the rows (surrogate row with capacity = its sum)
    double reduced = 0;  // dual - lambda . usage (Lagrangian profit)
  };

  // Row duals of the LP relaxation max dual.a s.t. usage.a <= cap, 0 <= a <= limit (zeros
  // without CLP, which leaves the Lagrangian term equal to the plain item sum).
  PatternVector rootLambda() const {
    PatternVector lambda{};
#ifdef TRIMTAB_HAVE_CLP
    if (items_.empty()) return lambda;
    const int n = static_cast<int>(items_.size());
    std::vector<CoinBigIndex> start;
    std::vector<int> index;
    std::vector<double> value, collb, colub, obj;
    for (const Item& it : items_) {
      start.push_back(static_cast<CoinBigIndex>(index.size()));
      collb.push_back(0);
      colub.push_back(it.limit);
      obj.push_back(-it.dual);
      const auto& u = problem_.class_usage[static_cast<std::size_t>(it.cls)];
      for (int d = 0; d < kPatternRows; ++d) {
        if (u[static_cast<std::size_t>(d)] > 0) {
          index.push_back(d);
          value.push_back(u[static_cast<std::size_t>(d)]);
        }
      }
    }
    start.push_back(static_cast<CoinBigIndex>(index.size()));
    std::vector<double> rowlb(kPatternRows, -COIN_DBL_MAX);
    std::vector<double> rowub(cap_.begin(), cap_.end());
    ClpSimplex lp;
    lp.setLogLevel(0);
    lp.loadProblem(n, kPatternRows, start.data(), index.data(), value.data(), collb.data(),
                   colub.data(), obj.data(), rowlb.data(), rowub.data());
    lp.dual();
    if (!lp.isProvenOptimal()) return lambda;
    const double* duals = lp.dualRowSolution();
    for (int d = 0; d < kPatternRows; ++d) {
      lambda[static_cast<std::size_t>(d)] = std::max(0.0, -duals[d]);
    }
#endif
    return lambda;
  }

  // Upper bound on the value the items from i on can add within resid.
  double bound(std::size_t i, const PatternVector& resid) const {
    double lagrangian = suffix_lagrangian_[i];
    for (int d = 0; d < kPatternRows; ++d) {
      const auto di = static_cast<std::size_t>(d);
      lagrangian += lambda_[di] * std::max(0.0, resid[di]);
    }
    double b = std::min(suffix_sum_[i], lagrangian);
    double surrogate_cap = 0;
    for (int d = 0; d < kPatternRows; ++d) {
      const auto di = static_cast<std::size_t>(d);
      if (cap_[di] > 0) surrogate_cap += std::max(0.0, resid[di]) / cap_[di];
      const double r = suffix_ratio_[di][i];
      if (r < kInf) b = std::min(b, std::max(0.0, resid[di]) * r);
    }
    return std::min(b, surrogate_cap * suffix_surrogate_[i]);
  }

  void search(std::size_t i, PatternVector& resid, double value) {
    ++nodes_;
    if (value > best_) {
      if (best_ > 0) {  // the incumbent it replaces: a second column when it also improves
        if (runner_ups_.size() == kRunnerUps) runner_ups_.erase(runner_ups_.begin());
        runner_ups_.emplace_back(best_, best_counts_);
      }
      best_ = value;
      best_counts_.clear();
      for (std::size_t j = 0; j < i; ++j) {
        if (counts_[j] > 0) best_counts_.emplace_back(items_[j].cls, counts_[j]);
      }
    }
    if (i == items_.size()) return;
    const double b = value + bound(i, resid);
    if (b <= best_ * (1 + 1e-12)) return;
    if (nodes_ > node_limit_) {
      truncated_ = true;
      open_bound_ = std::max(open_bound_, b);
      return;
    }
    const Item& it = items_[i];
    const auto& u = problem_.class_usage[static_cast<std::size_t>(it.cls)];
    int kmax = it.limit;
    if (it.group >= 0 && group_used_[static_cast<std::size_t>(it.group)]) kmax = 0;
    for (int d = 0; d < kPatternRows && kmax > 0; ++d) {
      const auto di = static_cast<std::size_t>(d);
      if (u[di] > 0) {
        kmax = std::min(kmax, static_cast<int>(std::floor((resid[di] + kFeasTol) / u[di])));
      }
    }
    for (int k = kmax; k >= 0; --k) {
      for (int d = 0; d < kPatternRows; ++d) {
        resid[static_cast<std::size_t>(d)] -= k * u[static_cast<std::size_t>(d)];
      }
      counts_[i] = k;
      if (k > 0 && it.group >= 0) group_used_[static_cast<std::size_t>(it.group)] = 1;
      search(i + 1, resid, value + k * it.dual);
      if (k > 0 && it.group >= 0) group_used_[static_cast<std::size_t>(it.group)] = 0;
      for (int d = 0; d < kPatternRows; ++d) {
        resid[static_cast<std::size_t>(d)] += k * u[static_cast<std::size_t>(d)];
      }
    }
    counts_[i] = 0;
  }

  const PatternProblem& problem_;
  PatternVector cap_;
  std::int64_t node_limit_;
  std::vector<Item> items_;
  std::vector<double> suffix_sum_;
  std::vector<double> suffix_surrogate_;
  std::vector<double> suffix_lagrangian_;
  PatternVector lambda_{};
  std::array<std::vector<double>, kPatternRows> suffix_ratio_;
  std::vector<char> group_used_;
  std::vector<int> counts_;
  std::vector<std::pair<int, int>> best_counts_;
  static constexpr std::size_t kRunnerUps = 2;
  std::vector<std::pair<double, std::vector<std::pair<int, int>>>> runner_ups_;
  double best_ = 0;
  double open_bound_ = 0;
  bool truncated_ = false;
  std::int64_t nodes_ = 0;
};

}  // namespace

PricedPattern pricePattern(const PatternProblem& problem, int option, std::span<const double> duals,
                           std::span<const double> demand, std::int64_t node_limit) {
  Pricer pricer(problem, option, duals, demand, node_limit);
  return pricer.run(option);
}

bool patternFeasible(const PatternProblem& problem, const Pattern& pattern) {
  if (pattern.option < 0 ||
      static_cast<std::size_t>(pattern.option) >= problem.option_capacity.size()) {
    return false;
  }
  const auto t = static_cast<std::size_t>(pattern.option);
  PatternVector used{};
  std::set<int> groups;
  for (const auto& [c, k] : pattern.counts) {
    if (c < 0 || static_cast<std::size_t>(c) >= problem.class_usage.size() || k <= 0) return false;
    const auto ci = static_cast<std::size_t>(c);
    if (!problem.fits[t][ci]) return false;
    const int g = problem.class_group[ci];
    if (g >= 0 && (k > 1 || !groups.insert(g).second)) return false;
    for (int d = 0; d < kPatternRows; ++d) {
      used[static_cast<std::size_t>(d)] += k * problem.class_usage[ci][static_cast<std::size_t>(d)];
    }
  }
  for (int d = 0; d < kPatternRows; ++d) {
    const auto di = static_cast<std::size_t>(d);
    if (used[di] > problem.option_capacity[t][di] + kFeasTol) return false;
  }
  return true;
}

#ifdef TRIMTAB_HAVE_CLP
struct ConfigurationLp::Solver {
  ClpSimplex model;
  bool loaded = false;
  std::set<std::pair<int, std::vector<std::pair<int, int>>>> seen;
};
bool ConfigurationLp::available() { return true; }
#else
struct ConfigurationLp::Solver {
  std::set<std::pair<int, std::vector<std::pair<int, int>>>> seen;
};
bool ConfigurationLp::available() { return false; }
#endif

ConfigurationLp::ConfigurationLp(PatternProblem problem)
    : problem_(std::move(problem)), solver_(std::make_unique<Solver>()) {
  // One single-class column per class on its cheapest option per pod keeps the master feasible.
  const std::size_t nc = problem_.class_usage.size();
  for (std::size_t c = 0; c < nc; ++c) {
    Pattern best;
    double best_per_pod = kInf;
    for (std::size_t t = 0; t < problem_.option_capacity.size(); ++t) {
      if (!problem_.fits[t][c]) continue;
      double k = std::max(1.0, std::floor(problem_.demand[c] + 1e-9));
      if (problem_.class_group[c] >= 0) k = 1;
      for (int d = 0; d < kPatternRows; ++d) {
        const auto di = static_cast<std::size_t>(d);
        if (problem_.class_usage[c][di] > 0) {
          k = std::min(k, std::floor((problem_.option_capacity[t][di] + kFeasTol) /
                                     problem_.class_usage[c][di]));
        }
      }
      if (k < 1) continue;
      const double per_pod = problem_.option_price[t] / k;
      if (per_pod < best_per_pod) {
        best_per_pod = per_pod;
        best.option = static_cast<int>(t);
        best.counts = {{static_cast<int>(c), static_cast<int>(k)}};
      }
    }
    if (best.option >= 0) addPattern(std::move(best));
  }
}

ConfigurationLp::~ConfigurationLp() = default;

void ConfigurationLp::addPattern(Pattern pattern) {
  std::sort(pattern.counts.begin(), pattern.counts.end());
  if (pattern.counts.empty() || !patternFeasible(problem_, pattern)) return;
  if (!solver_->seen.emplace(pattern.option, pattern.counts).second) return;
  pending_.push_back(std::move(pattern));
}

bool ConfigurationLp::solve() {
#ifdef TRIMTAB_HAVE_CLP
  ClpSimplex& m = solver_->model;
  const int nc = static_cast<int>(problem_.class_usage.size());
  if (!solver_->loaded) {
    m.setLogLevel(0);
    std::vector<double> rowlb(problem_.demand.begin(), problem_.demand.end());
    std::vector<double> rowub(static_cast<std::size_t>(nc), COIN_DBL_MAX);
    std::vector<CoinBigIndex> start(1, 0);
    m.loadProblem(0, nc, start.data(), nullptr, nullptr, nullptr, nullptr, nullptr, rowlb.data(),
                  rowub.data());
    solver_->loaded = true;
  }
  if (!pending_.empty()) {
    std::vector<double> lb, ub, obj, elements;
    std::vector<CoinBigIndex> starts;
    std::vector<int> rows;
    for (const Pattern& p : pending_) {
      starts.push_back(static_cast<CoinBigIndex>(rows.size()));
      lb.push_back(0);
      ub.push_back(COIN_DBL_MAX);
      obj.push_back(problem_.option_price[static_cast<std::size_t>(p.option)]);
      for (const auto& [c, k] : p.counts) {
        rows.push_back(c);
        elements.push_back(k);
      }
    }
    starts.push_back(static_cast<CoinBigIndex>(rows.size()));
    m.addColumns(static_cast<int>(pending_.size()), lb.data(), ub.data(), obj.data(), starts.data(),
                 rows.data(), elements.data());
    for (auto& p : pending_) patterns_.push_back(std::move(p));
    pending_.clear();
  }
  // New columns keep the basis primal feasible; a new demand keeps it dual feasible.
  m.primal();
  if (!m.isProvenOptimal()) m.initialSolve();
  if (!m.isProvenOptimal()) return false;
  const double* d = m.dualRowSolution();
  duals_.assign(static_cast<std::size_t>(nc), 0);
  for (int c = 0; c < nc; ++c) duals_[static_cast<std::size_t>(c)] = clampDual(d[c]);
  const double* x = m.primalColumnSolution();
  usage_.assign(x, x + m.numberColumns());
  return true;
#else
  return false;
#endif
}

bool ConfigurationLp::setDemand(std::span<const double> demand) {
#ifdef TRIMTAB_HAVE_CLP
  problem_.demand.assign(demand.begin(), demand.end());
  if (solver_->loaded) {
    for (std::size_t c = 0; c < demand.size(); ++c) {
      solver_->model.setRowLower(static_cast<int>(c), demand[c]);
    }
  }
  return solve();
#else
  (void)demand;
  return false;
#endif
}

ColgenReport ConfigurationLp::generate(const ColgenLimits& limits) {
  ColgenReport report;
  const Clock& clock = limits.clock ? *limits.clock : SystemClock::instance();
  const std::size_t nc = problem_.class_usage.size();
  const std::size_t nt = problem_.option_capacity.size();
  // The search's node cap grows 4x each time it stalls (no column found, search cut short).
  std::int64_t node_limit = std::max<std::int64_t>(1, limits.pricing_node_limit);
  while (true) {
    if (!solve()) break;
    report.solved = true;
    ++report.iterations;
    double dual_obj = 0;
    for (std::size_t c = 0; c < nc; ++c) dual_obj += problem_.demand[c] * duals_[c];
    report.master_usd = masterValue();
    double theta = 0;
    bool all_exact = true;
    std::size_t added = 0;
    for (std::size_t t = 0; t < nt; ++t) {
      PricedPattern pr =
          pricePattern(problem_, static_cast<int>(t), duals_, problem_.demand, node_limit);
      const double price = problem_.option_price[t];
      theta = std::max(theta, pr.upper_bound / price);
      all_exact = all_exact && pr.exact;
      if (pr.value > price * (1 + 1e-7) + 1e-12) {
        const std::size_t before = pending_.size();
        addPattern(std::move(pr.best));
        for (auto& [v, p] : pr.runner_ups) {
          if (v > price * (1 + 1e-7) + 1e-12) addPattern(std::move(p));
        }
        added += pending_.size() - before;
      }
    }
    // Small bound errors from the dual tolerance are harmless: scale down by 1e-9.
    report.bound_usd = std::max(report.bound_usd, dual_obj / std::max(1.0, theta) * (1 - 1e-9));
    const bool capped_time = clock.monotonicNanos() >= limits.deadline_nanos;
    if (added == 0 && !all_exact && !capped_time && node_limit < limits.max_pricing_node_limit) {
      node_limit = std::min(limits.max_pricing_node_limit, node_limit * 4);
      continue;
    }
    if (added == 0) {
      report.converged = all_exact;
      break;
    }
    const bool capped_iterations = report.iterations >= limits.max_iterations;
    if (capped_time || capped_iterations) {
      report.time_capped = capped_time;
      report.iteration_capped = !capped_time;
      if (solve()) report.master_usd = masterValue();  // the last columns still help the mix
      break;
    }
  }
  report.columns = patterns_.size() + pending_.size();
  return report;
}

double ConfigurationLp::masterValue() const {
  double value = 0;
  for (std::size_t j = 0; j < patterns_.size() && j < usage_.size(); ++j) {
    value += usage_[j] * problem_.option_price[static_cast<std::size_t>(patterns_[j].option)];
  }
  return value;
}

}  // namespace trimtab::plan
