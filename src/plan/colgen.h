// Configuration (cutting-stock) LP for node-pool sizing, solved by column generation.
//
// A column is a node pattern: an option t and integer pod counts a_c per class that fit one node
// of t. The master LP is
//     min sum_p price_p x_p   s.t.  sum_p a_cp x_p >= n_c (every class c),  x_p >= 0,
// solved with COIN-OR CLP. Pricing, per option, is a bounded multi-dimensional knapsack over the
// classes with the master's duals as values, solved by depth-first branch and bound with a node
// cap. Patterns are checked against kPatternRows linear rows (below); every packing that really
// fits a node satisfies them, so the LP over these patterns is a relaxation of every real mix
// and its value is a valid lower bound. Per-GPU-device packing of fractional pods is relaxed to
// the milli-GPU total plus the three device rows (exact for pairs: two pods over 500 milli never
// share a device), so a pattern may occasionally not pack on real devices; the mix built from the
// LP re-places every pod and repairs what does not fit.
//
// The bound reported is the Lagrangian (Farley) bound of every round, the best over rounds:
//     sum_c n_c pi_c / max(1, max_t U_t / price_t)
// with pi the master duals (clamped at 0) and U_t an upper bound on the dual value of any
// pattern of option t (the best pattern when the search finished, otherwise the best bound left
// open). When pricing proves that no column has negative reduced cost the bound equals the LP
// optimum; when the time or iteration cap stops the generation early it stays valid.
//
// Thread-compatible: one ConfigurationLp per thread.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "model/clock.h"

namespace trimtab::plan {

// Rows of a pattern: 0 CPU millicores, 1 memory MiB, 2 pod slots, 3 milli-GPU, 4..6 device rows
// k = 1..3 (a device has k places; a whole-GPU pod takes k places per device it uses, a sharing
// pod of more than 1000/(k+1) milli-GPU takes one place, smaller sharing pods none).
constexpr int kPatternRows = 7;
using PatternVector = std::array<double, kPatternRows>;

struct PatternProblem {
  std::vector<PatternVector> class_usage;      // per class: the rows one pod uses
  std::vector<int> class_group;                // per class: anti-affinity group id or -1
  std::vector<double> demand;                  // per class: pods to cover (whole numbers)
  std::vector<PatternVector> option_capacity;  // per option: the rows one node has
  std::vector<double> option_price;            // per option: USD per hour, > 0
  std::vector<std::vector<char>> fits;         // [option][class]: one pod fits an empty node
};

struct Pattern {
  int option = -1;
  std::vector<std::pair<int, int>> counts;  // (class, pods), pods > 0, class ascending
};

// The best pattern of one option for the given duals.
struct PricedPattern {
  Pattern best;
  double value = 0;        // sum_c dual_c x count_c of best
  double upper_bound = 0;  // >= the value of every pattern of the option (== value when exact)
  bool exact = true;       // the search finished within the node cap
  // Up to two incumbents the search improved on last, with their values (more columns per
  // round when they also have negative reduced cost).
  std::vector<std::pair<double, Pattern>> runner_ups;
};

// Branch and bound over the classes that fit option, have a positive dual and demand >= 1;
// counts are capped by the demand (a pattern never needs more pods of a class than there are).
// At most node_limit search nodes; then upper_bound is the best bound left open (bounds: the
// Lagrangian bound with the root LP's row duals, per-row ratio and surrogate bounds).
PricedPattern pricePattern(const PatternProblem& problem, int option, std::span<const double> duals,
                           std::span<const double> demand, std::int64_t node_limit);

// True when the pattern satisfies every row of its option, the demand caps, fits and groups.
bool patternFeasible(const PatternProblem& problem, const Pattern& pattern);

struct ColgenLimits {
  const Clock* clock = nullptr;  // null: SystemClock
  // Monotonic time (clock->monotonicNanos()) after which no further pricing round starts.
  std::int64_t deadline_nanos = std::numeric_limits<std::int64_t>::max();
  int max_iterations = 400;
  std::int64_t pricing_node_limit = 2000;  // per option and round, at first
  // When a round finds no column while some search was cut short, the cap grows 4x up to this.
  std::int64_t max_pricing_node_limit = 512000;
};

struct ColgenReport {
  bool solved = false;            // the master LP was solved at least once
  double master_usd = 0;          // last master objective (>= the configuration LP optimum)
  double bound_usd = 0;           // valid lower bound on every integral mix of the current demand
  bool converged = false;         // pricing proved optimality (bound == LP optimum up to tolerance)
  bool time_capped = false;       // the deadline stopped the generation
  bool iteration_capped = false;  // max_iterations stopped it
  int iterations = 0;
  std::size_t columns = 0;
};

// The master LP and its columns. Without CLP (available() false) every solve fails.
class ConfigurationLp {
 public:
  // REQUIRES: the problem's vectors sized consistently; prices > 0.
  explicit ConfigurationLp(PatternProblem problem);
  ~ConfigurationLp();
  ConfigurationLp(const ConfigurationLp&) = delete;
  ConfigurationLp& operator=(const ConfigurationLp&) = delete;

  static bool available();

  // Adds a column (ignored when infeasible or a duplicate). One single-class column per class
  // on its cheapest-per-pod option is added by the constructor, so the master is feasible.
  void addPattern(Pattern pattern);
  // Column generation from the current columns for the current demand.
  ColgenReport generate(const ColgenLimits& limits);
  // Replaces the demand and re-solves the master over the current columns (no pricing).
  // False when the master could not be solved.
  bool setDemand(std::span<const double> demand);

  const std::vector<Pattern>& patterns() const { return patterns_; }
  // Column values x_p of the last solve, one per pattern.
  const std::vector<double>& usage() const { return usage_; }
  // Row duals (clamped at 0) of the last solve, one per class.
  const std::vector<double>& duals() const { return duals_; }

 private:
  struct Solver;
  bool solve();
  double masterValue() const;

  PatternProblem problem_;
  std::vector<Pattern> patterns_;
  std::vector<Pattern> pending_;  // added since the last solve
  std::vector<double> usage_;
  std::vector<double> duals_;
  std::unique_ptr<Solver> solver_;
};

}  // namespace trimtab::plan
