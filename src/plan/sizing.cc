#include "plan/sizing.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include "plan/colgen.h"

#ifdef TRIMTAB_HAVE_CLP
#include <coin/ClpSimplex.hpp>
#endif

namespace trimtab::plan {

namespace {

constexpr int kDims = 4;  // cpu, memory, milli-GPU, pod slots

NodeSpec asNode(const InstanceOption& o) {
  NodeSpec n;
  n.name = o.instance_type;
  n.cpu_milli = o.cpu_milli;
  n.memory_mib = o.memory_mib;
  n.max_pods = o.max_pods;
  n.gpu_count = std::min(o.gpu_count, kMaxGpusPerNode);
  n.gpu_model = n.gpu_count > 0 ? 0 : -1;
  return n;
}

// The resources of a pod that sizing honours (no model, selector or taint constraints).
PodSpec sizingShape(const PodSpec& p) {
  PodSpec s;
  s.name = p.name;
  s.cpu_milli = p.cpu_milli;
  s.memory_mib = p.memory_mib;
  s.num_gpu = p.wantsGpu() ? p.num_gpu : 0;
  s.gpu_milli = p.wantsGpu() ? p.gpu_milli : 0;
  s.anti_affinity_group = p.anti_affinity_group;
  return s;
}

std::array<double, kDims> demand(const PodSpec& p) {
  return {static_cast<double>(p.cpu_milli), static_cast<double>(p.memory_mib),
          static_cast<double>(p.gpuMilliTotal()), 1.0};
}

std::array<double, kDims> capacity(const InstanceOption& o) {
  return {static_cast<double>(o.cpu_milli), static_cast<double>(o.memory_mib),
          static_cast<double>(o.gpu_count) * kMilliPerGpu, static_cast<double>(o.max_pods)};
}

bool tryPlace(NodeState& s, const PodSpec& p, GpuMask* used = nullptr) {
  if (checkCapacity(s, p) != FitFailure::kNone) return false;
  const GpuMask g = simpleDevicesFor(s, p);
  if (p.wantsGpu() && g == 0) return false;
  if (!place(s, p, g)) return false;
  if (used) *used = g;
  return true;
}

struct PodClass {
  PodSpec shape;
  std::vector<std::size_t> members;
  double weight = 0;  // value of one pod for the greedy (LP dual + a size tie-breaker)
};

struct LpSolution {
  bool solved = false;
  double bound = 0;
  std::vector<double> duals;              // per class
  std::vector<double> nodes;              // x_t per option
  std::vector<std::vector<double>> pods;  // y_ct: [class][option]
};

#ifdef TRIMTAB_HAVE_CLP
LpSolution solveLp(const std::vector<PodClass>& classes, std::span<const InstanceOption> options) {
  const int nc = static_cast<int>(classes.size());
  const int nt = static_cast<int>(options.size());
  // Per option: kDims capacity rows, then kDeviceRows device rows. Device row k (1..3): a
  // device holds at most k sharing pods of more than 1000/(k+1) milli-GPU, and a whole-GPU
  // pod takes all k places of its device (valid for any packing; tightens the milli-GPU row).
  constexpr int kDeviceRows = 3;
  // Then large-pod rows for CPU and memory, the same argument per node: for k = 1..3, at most
  // k pods with more than cap/(k+1) of the dimension fit one node.
  constexpr int kLargeK = 3;
  constexpr int kLargeRows = 2 * kLargeK;
  constexpr int kRowsPerOption = kDims + kDeviceRows + kLargeRows;
  const int rows = nc + kRowsPerOption * nt;
  std::vector<CoinBigIndex> start;
  std::vector<int> index;
  std::vector<double> value, collb, colub, obj;
  std::vector<std::pair<int, int>> y_columns;  // (class, option) of each y column
  auto addColumn = [&](double cost) {
    start.push_back(static_cast<CoinBigIndex>(index.size()));
    collb.push_back(0);
    colub.push_back(COIN_DBL_MAX);
    obj.push_back(cost);
  };
  for (int t = 0; t < nt; ++t) {
    addColumn(options[static_cast<std::size_t>(t)].hourly_usd);
    const auto cap = capacity(options[static_cast<std::size_t>(t)]);
    for (int d = 0; d < kDims; ++d) {
      index.push_back(nc + kRowsPerOption * t + d);
      value.push_back(-cap[static_cast<std::size_t>(d)]);
    }
    const int devices = options[static_cast<std::size_t>(t)].gpu_count;
    for (int k = 1; k <= kDeviceRows && devices > 0; ++k) {
      index.push_back(nc + kRowsPerOption * t + kDims + k - 1);
      value.push_back(-static_cast<double>(k * devices));
    }
    for (int r = 0; r < kLargeRows; ++r) {
      index.push_back(nc + kRowsPerOption * t + kDims + kDeviceRows + r);
      value.push_back(-static_cast<double>(r % kLargeK + 1));
    }
  }
  for (int c = 0; c < nc; ++c) {
    const PodSpec& shape = classes[static_cast<std::size_t>(c)].shape;
    const auto dem = demand(shape);
    for (int t = 0; t < nt; ++t) {
      const NodeSpec n = asNode(options[static_cast<std::size_t>(t)]);
      if (checkFit(n, initialState(n), shape) != FitFailure::kNone) continue;
      addColumn(0);
      y_columns.emplace_back(c, t);
      index.push_back(c);
      value.push_back(1);
      for (int d = 0; d < kDims; ++d) {
        if (dem[static_cast<std::size_t>(d)] <= 0) continue;
        index.push_back(nc + kRowsPerOption * t + d);
        value.push_back(dem[static_cast<std::size_t>(d)]);
      }
      for (int k = 1; k <= kDeviceRows && shape.wantsGpu(); ++k) {
        double places = 0;
        if (!shape.isGpuShare()) {
          places = static_cast<double>(k * shape.num_gpu);
        } else if (shape.gpu_milli * (k + 1) > kMilliPerGpu) {
          places = 1;
        }
        if (places <= 0) continue;
        index.push_back(nc + kRowsPerOption * t + kDims + k - 1);
        value.push_back(places);
      }
      const auto cap = capacity(options[static_cast<std::size_t>(t)]);
      for (int r = 0; r < kLargeRows; ++r) {
        const int d = r / kLargeK;  // 0 cpu, 1 memory
        const int k = r % kLargeK + 1;
        if (dem[static_cast<std::size_t>(d)] * (k + 1) <= cap[static_cast<std::size_t>(d)])
          continue;
        index.push_back(nc + kRowsPerOption * t + kDims + kDeviceRows + r);
        value.push_back(1);
      }
    }
  }
  start.push_back(static_cast<CoinBigIndex>(index.size()));
  std::vector<double> rowlb(static_cast<std::size_t>(rows), -COIN_DBL_MAX);
  std::vector<double> rowub(static_cast<std::size_t>(rows), 0);
  for (int c = 0; c < nc; ++c) {
    rowlb[static_cast<std::size_t>(c)] = rowub[static_cast<std::size_t>(c)] =
        static_cast<double>(classes[static_cast<std::size_t>(c)].members.size());
  }
  ClpSimplex model;
  model.setLogLevel(0);
  model.loadProblem(static_cast<int>(obj.size()), rows, start.data(), index.data(), value.data(),
                    collb.data(), colub.data(), obj.data(), rowlb.data(), rowub.data());
  model.dual();
  LpSolution out;
  if (!model.isProvenOptimal()) return out;
  out.solved = true;
  out.bound = model.objectiveValue();
  const double* duals = model.dualRowSolution();
  for (int c = 0; c < nc; ++c) out.duals.push_back(std::max(0.0, duals[c]));
  const double* primal = model.primalColumnSolution();
  out.nodes.assign(primal, primal + nt);
  out.pods.assign(static_cast<std::size_t>(nc),
                  std::vector<double>(static_cast<std::size_t>(nt), 0));
  for (std::size_t k = 0; k < y_columns.size(); ++k) {
    out.pods[static_cast<std::size_t>(y_columns[k].first)]
            [static_cast<std::size_t>(y_columns[k].second)] = primal[nt + static_cast<int>(k)];
  }
  return out;
}
#endif

// max_d(total demand_d x cheapest price per unit of d): each dimension alone must be bought.
double perDimensionBound(const std::vector<PodClass>& classes,
                         std::span<const InstanceOption> options) {
  std::array<double, kDims> total{};
  for (const auto& c : classes) {
    const auto dem = demand(c.shape);
    for (int d = 0; d < kDims; ++d) {
      total[static_cast<std::size_t>(d)] +=
          dem[static_cast<std::size_t>(d)] * static_cast<double>(c.members.size());
    }
  }
  double bound = 0;
  for (int d = 0; d < kDims; ++d) {
    double unit = std::numeric_limits<double>::infinity();
    for (const auto& o : options) {
      const double cap = capacity(o)[static_cast<std::size_t>(d)];
      if (cap > 0) unit = std::min(unit, o.hourly_usd / cap);
    }
    if (std::isfinite(unit)) bound = std::max(bound, total[static_cast<std::size_t>(d)] * unit);
  }
  return bound;
}

std::vector<NodeCount> countNodes(const std::vector<int>& option_of_node,
                                  std::span<const InstanceOption> options) {
  std::map<int, int> counts;
  for (int o : option_of_node) ++counts[o];
  std::vector<NodeCount> out;
  for (const auto& [o, n] : counts) {
    const auto& opt = options[static_cast<std::size_t>(o)];
    out.push_back(NodeCount{opt.instance_type, opt.spot, n, opt.hourly_usd});
  }
  std::sort(out.begin(), out.end(), [](const NodeCount& a, const NodeCount& b) {
    return a.count * a.hourly_usd > b.count * b.hourly_usd;
  });
  return out;
}

// Greedy pattern heuristic (see the header).
// Pods still to place: remaining[c] members of class c from next[c] on.
struct Pending {
  std::vector<std::size_t> remaining;
  std::vector<std::size_t> next;
  std::size_t left = 0;
};

// Places the next pending pod of class `c` on `node` (state `s`) if it fits.
bool placeNext(NodeState& s, SizedNode& node, Pending& pending,
               const std::vector<PodClass>& classes, std::size_t c) {
  GpuMask g = 0;
  if (!tryPlace(s, classes[c].shape, &g)) return false;
  node.pods.push_back(classes[c].members[pending.next[c]++]);
  node.gpus.push_back(g);
  --pending.remaining[c];
  --pending.left;
  return true;
}

Pending allPending(const std::vector<PodClass>& classes) {
  Pending p;
  for (const auto& c : classes) {
    p.remaining.push_back(c.members.size());
    p.left += c.members.size();
  }
  p.next.assign(classes.size(), 0);
  return p;
}

void greedyMix(const std::vector<PodClass>& classes, std::span<const InstanceOption> options,
               Pending& pending, std::vector<SizedNode>& nodes) {
  auto& remaining = pending.remaining;
  auto& next = pending.next;
  auto& left = pending.left;
  std::vector<std::size_t> pattern(classes.size());
  std::vector<std::size_t> best_pattern;
  // Per option, the classes that fit an empty node by size and by value per size (fixed for the
  // whole call: weights and shapes do not change).
  std::vector<std::array<std::vector<std::size_t>, 2>> orders(options.size());
  for (std::size_t t = 0; t < options.size(); ++t) {
    const NodeSpec spec = asNode(options[t]);
    const NodeState empty = initialState(spec);
    const auto cap = capacity(options[t]);
    std::vector<double> share(classes.size(), 0);
    std::vector<std::size_t> fitting;
    for (std::size_t i = 0; i < classes.size(); ++i) {
      const auto dem = demand(classes[i].shape);
      double v = 0;
      for (int d = 0; d < kDims; ++d) {
        const auto di = static_cast<std::size_t>(d);
        if (dem[di] > 0) v = std::max(v, cap[di] > 0 ? dem[di] / cap[di] : 1e9);
      }
      share[i] = std::max(v, 1e-9);
      if (checkFit(spec, empty, classes[i].shape) == FitFailure::kNone) fitting.push_back(i);
    }
    auto by_size = fitting;
    std::stable_sort(by_size.begin(), by_size.end(),
                     [&](std::size_t a, std::size_t b) { return share[a] > share[b]; });
    auto by_value = fitting;
    std::stable_sort(by_value.begin(), by_value.end(), [&](std::size_t a, std::size_t b) {
      return classes[a].weight / share[a] > classes[b].weight / share[b];
    });
    orders[t] = {std::move(by_size), std::move(by_value)};
  }
  while (left > 0) {
    double best_ratio = -1;
    int best_option = -1;
    for (std::size_t t = 0; t < options.size(); ++t) {
      const NodeSpec spec = asNode(options[t]);
      for (const auto& order : orders[t]) {
        NodeState s = initialState(spec);
        std::fill(pattern.begin(), pattern.end(), 0);
        double value = 0;
        for (std::size_t c : order) {
          while (pattern[c] < remaining[c] && tryPlace(s, classes[c].shape)) {
            ++pattern[c];
            value += classes[c].weight;
          }
        }
        if (value <= 0) continue;
        const double ratio = value / std::max(options[t].hourly_usd, 1e-12);
        if (ratio > best_ratio) {
          best_ratio = ratio;
          best_option = static_cast<int>(t);
          best_pattern = pattern;
        }
      }
    }
    if (best_option < 0) break;
    std::size_t reps = std::numeric_limits<std::size_t>::max();
    for (std::size_t c = 0; c < classes.size(); ++c) {
      if (best_pattern[c] > 0) reps = std::min(reps, remaining[c] / best_pattern[c]);
    }
    reps = std::max<std::size_t>(reps, 1);
    const NodeSpec spec = asNode(options[static_cast<std::size_t>(best_option)]);
    for (std::size_t r = 0; r < reps; ++r) {
      SizedNode node;
      node.option = best_option;
      NodeState s = initialState(spec);
      for (std::size_t c = 0; c < classes.size(); ++c) {
        const std::size_t take = std::min(best_pattern[c], remaining[c]);
        for (std::size_t k = 0; k < take; ++k) {
          GpuMask g = 0;
          if (!tryPlace(s, classes[c].shape, &g)) break;
          node.pods.push_back(classes[c].members[next[c]++]);
          node.gpus.push_back(g);
          --remaining[c];
          --left;
        }
      }
      if (node.pods.empty()) break;
      nodes.push_back(std::move(node));
    }
  }
}

// LP rounding: floor(x_t) nodes of each option, each filled with the classes the LP put on t
// (largest first, up to the LP's y_ct), before the greedy places what is left.
void roundLp(const std::vector<PodClass>& classes, std::span<const InstanceOption> options,
             const std::vector<double>& x, const std::vector<std::vector<double>>& y,
             Pending& pending, std::vector<SizedNode>& nodes) {
  std::vector<std::size_t> order(options.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return x[a] > x[b]; });
  for (std::size_t t : order) {
    const auto count = static_cast<std::size_t>(std::floor(x[t] + 1e-6));
    if (count == 0) continue;
    const NodeSpec spec = asNode(options[t]);
    const auto cap = capacity(options[t]);
    std::vector<double> quota(classes.size());
    for (std::size_t c = 0; c < classes.size(); ++c) quota[c] = y[c][t] + 1e-6;
    std::vector<std::size_t> by_size(classes.size());
    for (std::size_t i = 0; i < by_size.size(); ++i) by_size[i] = i;
    auto share = [&](const PodSpec& p) {
      const auto dem = demand(p);
      double v = 0;
      for (int d = 0; d < kDims; ++d) {
        const auto di = static_cast<std::size_t>(d);
        if (dem[di] > 0 && cap[di] > 0) v = std::max(v, dem[di] / cap[di]);
      }
      return v;
    };
    std::stable_sort(by_size.begin(), by_size.end(), [&](std::size_t a, std::size_t b) {
      return share(classes[a].shape) > share(classes[b].shape);
    });
    for (std::size_t k = 0; k < count; ++k) {
      SizedNode node;
      node.option = static_cast<int>(t);
      NodeState s = initialState(spec);
      for (std::size_t c : by_size) {
        while (quota[c] >= 1 && pending.remaining[c] > 0 &&
               placeNext(s, node, pending, classes, c)) {
          quota[c] -= 1;
        }
      }
      if (node.pods.empty()) break;
      nodes.push_back(std::move(node));
    }
  }
}

// Moves every node to the cheapest option that still holds its pods.
void downsize(std::vector<SizedNode>& nodes, std::span<const PodSpec> shapes,
              std::span<const InstanceOption> options) {
  std::vector<std::size_t> by_price(options.size());
  for (std::size_t i = 0; i < by_price.size(); ++i) by_price[i] = i;
  std::stable_sort(by_price.begin(), by_price.end(), [&](std::size_t a, std::size_t b) {
    return options[a].hourly_usd < options[b].hourly_usd;
  });
  std::map<std::vector<std::size_t>, std::pair<int, std::vector<GpuMask>>> memo;
  for (auto& node : nodes) {
    const double current = options[static_cast<std::size_t>(node.option)].hourly_usd;
    // Nodes with the same pod shapes share the answer.
    std::vector<std::size_t> key;
    for (std::size_t p : node.pods)
      key.push_back(static_cast<std::size_t>(shapes[p].cpu_milli) * 1000003 +
                    static_cast<std::size_t>(shapes[p].memory_mib) * 131 +
                    static_cast<std::size_t>(shapes[p].gpuMilliTotal()));
    key.push_back(static_cast<std::size_t>(node.option));
    if (auto it = memo.find(key); it != memo.end()) {
      if (it->second.first >= 0) {
        node.option = it->second.first;
        node.gpus = it->second.second;
      }
      continue;
    }
    int found = -1;
    std::vector<GpuMask> gpus;
    for (std::size_t o : by_price) {
      if (options[o].hourly_usd >= current) break;
      NodeState s = initialState(asNode(options[o]));
      gpus.clear();
      bool ok = true;
      for (std::size_t p : node.pods) {
        GpuMask g = 0;
        if (!tryPlace(s, shapes[p], &g)) {
          ok = false;
          break;
        }
        gpus.push_back(g);
      }
      if (ok) {
        found = static_cast<int>(o);
        break;
      }
    }
    memo[key] = {found, gpus};
    if (found >= 0) {
      node.option = found;
      node.gpus = gpus;
    }
  }
}

double mixCost(const std::vector<SizedNode>& nodes, std::span<const InstanceOption> options) {
  double cost = 0;
  for (const auto& n : nodes) cost += options[static_cast<std::size_t>(n.option)].hourly_usd;
  return cost;
}

// Karpenter-style FFD: pods by CPU then memory descending; existing claims first-fit; a claim
// keeps the options that still fit all its pods and launches the cheapest of them.
std::vector<int> karpenterFfd(std::span<const PodSpec> shapes,
                              std::span<const std::size_t> placeable,
                              std::span<const InstanceOption> options) {
  std::vector<std::size_t> by_price(options.size());
  for (std::size_t i = 0; i < by_price.size(); ++i) by_price[i] = i;
  std::stable_sort(by_price.begin(), by_price.end(), [&](std::size_t a, std::size_t b) {
    return options[a].hourly_usd < options[b].hourly_usd;
  });
  struct Claim {
    std::vector<std::size_t> pods;
    std::vector<std::size_t> candidates;  // by price
    NodeState envelope;                   // state on the largest shape of the candidates
  };
  auto envelopeOf = [&](const std::vector<std::size_t>& cands) {
    InstanceOption env;
    env.max_pods = 0;
    for (std::size_t c : cands) {
      env.cpu_milli = std::max(env.cpu_milli, options[c].cpu_milli);
      env.memory_mib = std::max(env.memory_mib, options[c].memory_mib);
      env.max_pods = std::max(env.max_pods, options[c].max_pods);
      env.gpu_count = std::max(env.gpu_count, options[c].gpu_count);
    }
    return env;
  };
  // Does the claim's pod set (plus extra) fit option o? Re-packs from empty.
  auto fitsOption = [&](const std::vector<std::size_t>& pods, std::size_t o) {
    NodeState s = initialState(asNode(options[o]));
    for (std::size_t p : pods) {
      if (!tryPlace(s, shapes[p])) return false;
    }
    return true;
  };
  std::vector<std::size_t> order(placeable.begin(), placeable.end());
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (shapes[a].cpu_milli != shapes[b].cpu_milli)
      return shapes[a].cpu_milli > shapes[b].cpu_milli;
    return shapes[a].memory_mib > shapes[b].memory_mib;
  });
  std::vector<Claim> claims;
  for (std::size_t p : order) {
    bool placed = false;
    for (auto& claim : claims) {
      NodeState trial = claim.envelope;
      if (!tryPlace(trial, shapes[p])) continue;
      claim.pods.push_back(p);
      std::vector<std::size_t> kept;
      for (std::size_t c : claim.candidates) {
        if (fitsOption(claim.pods, c)) kept.push_back(c);
      }
      if (kept.empty()) {
        claim.pods.pop_back();
        continue;
      }
      if (kept.size() != claim.candidates.size()) {
        claim.candidates = std::move(kept);
        NodeState s = initialState(asNode(envelopeOf(claim.candidates)));
        for (std::size_t q : claim.pods) tryPlace(s, shapes[q]);
        claim.envelope = s;
      } else {
        claim.envelope = trial;
      }
      placed = true;
      break;
    }
    if (placed) continue;
    Claim claim;
    for (std::size_t c : by_price) {
      if (fitsOption({p}, c)) claim.candidates.push_back(c);
    }
    if (claim.candidates.empty()) continue;  // not placeable (filtered earlier)
    claim.pods.push_back(p);
    claim.envelope = initialState(asNode(envelopeOf(claim.candidates)));
    tryPlace(claim.envelope, shapes[p]);
    claims.push_back(std::move(claim));
  }
  std::vector<int> out;
  for (const auto& c : claims) out.push_back(static_cast<int>(c.candidates.front()));
  return out;
}

// The configuration LP's rows for classes and options (see plan/colgen.h).
PatternProblem patternProblem(const std::vector<PodClass>& classes,
                              std::span<const InstanceOption> options) {
  PatternProblem pb;
  std::map<std::string, int> groups;
  for (const auto& c : classes) {
    const PodSpec& s = c.shape;
    PatternVector u{static_cast<double>(s.cpu_milli),
                    static_cast<double>(s.memory_mib),
                    1.0,
                    static_cast<double>(s.gpuMilliTotal()),
                    0,
                    0,
                    0};
    if (s.wantsGpu()) {
      for (int k = 1; k <= 3; ++k) {
        double places = 0;
        if (!s.isGpuShare()) {
          places = static_cast<double>(k * s.num_gpu);
        } else if (s.gpu_milli * (k + 1) > kMilliPerGpu) {
          places = 1;
        }
        u[static_cast<std::size_t>(3 + k)] = places;
      }
    }
    pb.class_usage.push_back(u);
    int g = -1;
    if (!s.anti_affinity_group.empty()) {
      g = groups.emplace(s.anti_affinity_group, static_cast<int>(groups.size())).first->second;
    }
    pb.class_group.push_back(g);
    pb.demand.push_back(static_cast<double>(c.members.size()));
  }
  for (const auto& o : options) {
    const double gpus = static_cast<double>(std::min(o.gpu_count, kMaxGpusPerNode));
    pb.option_capacity.push_back(PatternVector{
        static_cast<double>(o.cpu_milli), static_cast<double>(o.memory_mib),
        static_cast<double>(o.max_pods), gpus * kMilliPerGpu, gpus, 2 * gpus, 3 * gpus});
    pb.option_price.push_back(std::max(o.hourly_usd, 1e-9));
    const NodeSpec n = asNode(o);
    const NodeState empty = initialState(n);
    std::vector<char> fits;
    for (const auto& c : classes) fits.push_back(checkFit(n, empty, c.shape) == FitFailure::kNone);
    pb.fits.push_back(std::move(fits));
  }
  return pb;
}

// Placement order inside a node: multi-GPU pods first, then sharing pods by milli-GPU
// descending (best-fit decreasing on the devices), then the rest by their largest share.
bool placesBefore(const PodSpec& a, const PodSpec& b) {
  if (a.gpuMilliTotal() != b.gpuMilliTotal()) return a.gpuMilliTotal() > b.gpuMilliTotal();
  if (a.cpu_milli != b.cpu_milli) return a.cpu_milli > b.cpu_milli;
  return a.memory_mib > b.memory_mib;
}

// One node of pattern p holding up to its counts of the pods still pending (re-placed for
// real; a pod the devices cannot take stays pending).
SizedNode realize(const Pattern& p, const std::vector<PodClass>& classes,
                  std::span<const InstanceOption> options, Pending& pending) {
  SizedNode node;
  node.option = p.option;
  auto counts = p.counts;
  std::stable_sort(counts.begin(), counts.end(), [&](const auto& a, const auto& b) {
    return placesBefore(classes[static_cast<std::size_t>(a.first)].shape,
                        classes[static_cast<std::size_t>(b.first)].shape);
  });
  NodeState s = initialState(asNode(options[static_cast<std::size_t>(p.option)]));
  for (const auto& [ci, k] : counts) {
    const auto c = static_cast<std::size_t>(ci);
    for (int i = 0; i < k && pending.remaining[c] > 0; ++i) {
      if (!placeNext(s, node, pending, classes, c)) break;
    }
  }
  return node;
}

// The pattern of a node of the mix (for warm-starting the configuration LP).
Pattern patternOf(const SizedNode& node, const std::vector<int>& class_of_pod) {
  std::map<int, int> counts;
  for (std::size_t p : node.pods) ++counts[class_of_pod[p]];
  Pattern out;
  out.option = node.option;
  for (const auto& [c, k] : counts) out.counts.emplace_back(c, k);
  return out;
}

// Removes nodes whose pods all fit into the free room of the other nodes (cheapest-per-pod
// nodes are kept; the most expensive per pod are tried first).
void eliminateNodes(std::vector<SizedNode>& nodes, std::span<const PodSpec> shapes,
                    std::span<const InstanceOption> options, std::int64_t deadline_nanos,
                    const Clock& clock) {
  std::vector<NodeState> states;
  states.reserve(nodes.size());
  for (const auto& n : nodes) {
    NodeState s = initialState(asNode(options[static_cast<std::size_t>(n.option)]));
    for (std::size_t i = 0; i < n.pods.size(); ++i) (void)place(s, shapes[n.pods[i]], n.gpus[i]);
    states.push_back(std::move(s));
  }
  std::vector<std::size_t> order(nodes.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto perPod = [&](std::size_t i) {
    return options[static_cast<std::size_t>(nodes[i].option)].hourly_usd /
           static_cast<double>(std::max<std::size_t>(1, nodes[i].pods.size()));
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return perPod(a) > perPod(b); });
  std::vector<char> removed(nodes.size(), 0);
  for (std::size_t v : order) {
    if (clock.monotonicNanos() >= deadline_nanos) break;
    // Trial placements on copies of the receivers; committed only when every pod moves.
    std::map<std::size_t, NodeState> trial;
    std::vector<std::pair<std::size_t, GpuMask>> moves;
    bool ok = true;
    for (std::size_t p : nodes[v].pods) {
      bool moved = false;
      for (std::size_t u = 0; u < nodes.size() && !moved; ++u) {
        if (u == v || removed[u]) continue;
        auto it = trial.find(u);
        const NodeState& current = it != trial.end() ? it->second : states[u];
        if (checkCapacity(current, shapes[p]) != FitFailure::kNone) continue;
        NodeState s = current;
        GpuMask g = 0;
        if (!tryPlace(s, shapes[p], &g)) continue;
        trial[u] = std::move(s);
        moves.emplace_back(u, g);
        moved = true;
      }
      if (!moved) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    for (std::size_t i = 0; i < moves.size(); ++i) {
      nodes[moves[i].first].pods.push_back(nodes[v].pods[i]);
      nodes[moves[i].first].gpus.push_back(moves[i].second);
    }
    for (auto& [u, s] : trial) states[u] = std::move(s);
    removed[v] = 1;
  }
  std::vector<SizedNode> kept;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!removed[i]) kept.push_back(std::move(nodes[i]));
  }
  nodes = std::move(kept);
}

std::string unplaceableReason(const PodSpec& p, std::span<const InstanceOption> options) {
  InstanceOption largest;
  largest.max_pods = 0;
  for (const auto& o : options) {
    largest.cpu_milli = std::max(largest.cpu_milli, o.cpu_milli);
    largest.memory_mib = std::max(largest.memory_mib, o.memory_mib);
    largest.gpu_count = std::max(largest.gpu_count, o.gpu_count);
  }
  std::vector<std::string> parts;
  if (p.cpu_milli > largest.cpu_milli) {
    parts.push_back(fmt::format("cpu {}m > largest usable {}m", p.cpu_milli, largest.cpu_milli));
  }
  if (p.memory_mib > largest.memory_mib) {
    parts.push_back(
        fmt::format("memory {}Mi > largest usable {}Mi", p.memory_mib, largest.memory_mib));
  }
  if (p.wantsGpu() && p.num_gpu > largest.gpu_count) {
    parts.push_back(fmt::format("{} GPUs > largest {}", p.num_gpu, largest.gpu_count));
  }
  if (parts.empty()) return "no single instance type has enough cpu, memory and GPU together";
  std::string out = "larger than any instance type: ";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string normalizeArch(std::string_view arch) {
  const std::string a = lower(arch);
  if (a == "amd64" || a == "x64" || a == "x86_64") return "amd64";
  if (a == "arm64" || a == "aarch64") return "arm64";
  return "";
}

Result<std::vector<InstanceOption>> catalogOptions(const pricing::Catalog& catalog,
                                                   const SizingOptions& options) {
  if (options.target_utilization <= 0 || options.target_utilization > 1) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("target utilization {}: want a fraction in (0, 1]",
                            options.target_utilization));
  }
  if (options.daemonset_cpu_milli < 0 || options.daemonset_memory_mib < 0 ||
      options.daemonset_pods < 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("DaemonSet overhead cpu {}m, memory {}Mi, pods {}: want values >= 0",
                            options.daemonset_cpu_milli, options.daemonset_memory_mib,
                            options.daemonset_pods));
  }
  const std::string region = options.region.empty()
                                 ? std::string(pricing::Catalog::catalogRegion(options.provider))
                                 : options.region;
  std::vector<InstanceOption> all;
  for (const pricing::InstanceType* row : catalog.byProvider(options.provider)) {
    if (row->region != region || row->vcpu <= 0 || row->memory_gib <= 0) continue;
    if (!options.architectures.empty()) {
      const std::string arch = normalizeArch(row->arch);
      bool keep = arch.empty();
      for (const auto& a : options.architectures) keep = keep || normalizeArch(a) == arch;
      if (!keep) continue;
    }
    if (!options.families.empty()) {
      const std::string name = lower(row->instance_type);
      bool keep = false;
      for (const auto& f : options.families) {
        const std::string fam = lower(f);
        keep = keep || name.starts_with(fam + ".") || name.starts_with(fam + "-") ||
               name.starts_with("standard_" + fam);
      }
      if (!keep) continue;
    }
    InstanceOption o;
    o.instance_type = std::string(row->instance_type);
    // Allocatable where the catalog has it; otherwise kubelet's usual reservations (~6 % CPU,
    // ~10 % memory) as an estimate.
    const double cpu = row->alloc_cpu_milli > 0 ? static_cast<double>(row->alloc_cpu_milli)
                                                : row->vcpu * 1000 * 0.94;
    const double mem = row->alloc_memory_mib > 0 ? static_cast<double>(row->alloc_memory_mib)
                                                 : row->memory_gib * 1024 * 0.9;
    const double usable_cpu = cpu - static_cast<double>(options.daemonset_cpu_milli);
    const double usable_mem = mem - static_cast<double>(options.daemonset_memory_mib);
    o.cpu_milli = static_cast<std::int64_t>(usable_cpu * options.target_utilization);
    o.memory_mib = static_cast<std::int64_t>(usable_mem * options.target_utilization);
    o.max_pods = (row->max_pods > 0 ? row->max_pods : 110) - options.daemonset_pods;
    if (o.cpu_milli <= 0 || o.memory_mib <= 0 || o.max_pods <= 0) continue;
    o.gpu_count = std::clamp(row->gpu, 0, kMaxGpusPerNode);
    if (row->ondemand_hourly > 0) {
      o.hourly_usd = row->ondemand_hourly;
      all.push_back(o);
    }
    if (options.spot_ok && row->spot_hourly > 0) {
      o.spot = true;
      o.hourly_usd = row->spot_hourly * (1 + options.spot_interruption_allowance);
      all.push_back(o);
    }
  }
  // Drop dominated options.
  std::vector<InstanceOption> kept;
  for (std::size_t i = 0; i < all.size(); ++i) {
    bool dominated = false;
    for (std::size_t j = 0; j < all.size() && !dominated; ++j) {
      if (i == j) continue;
      const auto& a = all[i];
      const auto& b = all[j];
      const bool no_worse = b.hourly_usd <= a.hourly_usd && b.cpu_milli >= a.cpu_milli &&
                            b.memory_mib >= a.memory_mib && b.max_pods >= a.max_pods &&
                            b.gpu_count >= a.gpu_count;
      const bool strictly = b.hourly_usd < a.hourly_usd || b.cpu_milli > a.cpu_milli ||
                            b.memory_mib > a.memory_mib || b.max_pods > a.max_pods ||
                            b.gpu_count > a.gpu_count;
      dominated = no_worse && (strictly || j < i);
    }
    if (!dominated) kept.push_back(all[i]);
  }
  if (kept.empty()) {
    return fail(ErrorCode::kNotFound,
                fmt::format("no priced instance type for provider {} in region \"{}\"{}{}",
                            pricing::providerName(options.provider), region,
                            options.families.empty() ? "" : " with the given families",
                            options.daemonset_cpu_milli > 0 || options.daemonset_memory_mib > 0 ||
                                    options.daemonset_pods > 0
                                ? " with room left after the DaemonSet overhead"
                                : ""));
  }
  return kept;
}

Result<SizingResult> sizePool(std::span<const PodSpec> pods,
                              std::span<const InstanceOption> options, const SizingLimits& limits) {
  if (options.empty()) return fail(ErrorCode::kInvalidArgument, "sizing: no instance options");
  const Clock& clock = limits.clock ? *limits.clock : SystemClock::instance();
  const std::int64_t start_nanos = clock.monotonicNanos();
  auto nanos = [](double seconds) {
    return static_cast<std::int64_t>(std::clamp(seconds, 0.0, 1e6) * 1e9);
  };
  SizingResult out;
  std::vector<PodSpec> shapes;
  shapes.reserve(pods.size());
  for (const auto& p : pods) shapes.push_back(sizingShape(p));

  // Classes of identical shape among placeable pods.
  std::map<std::tuple<std::int64_t, std::int64_t, int, int, std::string>, std::size_t> class_of;
  std::vector<PodClass> classes;
  std::vector<std::size_t> placeable;
  std::vector<int> class_of_pod(shapes.size(), -1);
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const PodSpec& s = shapes[i];
    bool fits = false;
    for (const auto& o : options) {
      const NodeSpec n = asNode(o);
      if (checkFit(n, initialState(n), s) == FitFailure::kNone) {
        fits = true;
        break;
      }
    }
    if (!fits) {
      out.unplaceable.push_back(UnplaceablePod{pods[i].name, unplaceableReason(s, options)});
      continue;
    }
    placeable.push_back(i);
    auto key =
        std::make_tuple(s.cpu_milli, s.memory_mib, s.num_gpu, s.gpu_milli, s.anti_affinity_group);
    auto [it, added] = class_of.emplace(key, classes.size());
    if (added) classes.push_back(PodClass{s, {}, 0});
    classes[it->second].members.push_back(i);
    class_of_pod[i] = static_cast<int>(it->second);
  }
  out.pods_sized = placeable.size();
  out.pod_classes = classes.size();
  if (classes.empty()) {
    out.bound_method = "none";
    return out;
  }

  // Lower bounds and per-class values.
  const double dim_bound = perDimensionBound(classes, options);
  out.lp_bound_hourly_usd = dim_bound;
  out.bound_method = "per-dimension";
  std::array<double, kDims> unit{};
  for (int d = 0; d < kDims; ++d) {
    double best = std::numeric_limits<double>::infinity();
    for (const auto& o : options) {
      const double cap = capacity(o)[static_cast<std::size_t>(d)];
      if (cap > 0) best = std::min(best, o.hourly_usd / cap);
    }
    unit[static_cast<std::size_t>(d)] = std::isfinite(best) ? best : 0;
  }
  std::vector<double> size_weight;
  for (auto& c : classes) {
    const auto dem = demand(c.shape);
    double w = 0;
    for (int d = 0; d < kDims; ++d)
      w = std::max(w, dem[static_cast<std::size_t>(d)] * unit[static_cast<std::size_t>(d)]);
    c.weight = w;
    size_weight.push_back(w);
  }
  LpSolution lp;
#ifdef TRIMTAB_HAVE_CLP
  lp = solveLp(classes, options);
  if (lp.solved) {
    out.assignment_bound_hourly_usd = lp.bound;
    if (lp.bound > out.lp_bound_hourly_usd) {
      out.lp_bound_hourly_usd = lp.bound;
      out.bound_method = "clp";
    }
    for (std::size_t c = 0; c < classes.size(); ++c) {
      // Duals price the pods; the size term only breaks ties between zero-dual classes.
      classes[c].weight = lp.duals[c] + 1e-3 * size_weight[c];
    }
  }
#endif

  {
    Pending pending = allPending(classes);
    greedyMix(classes, options, pending, out.mix_nodes);
    downsize(out.mix_nodes, shapes, options);
    out.mix_method = "greedy";
  }
  if (lp.solved) {
    // The LP-rounded mix, completed greedily, when it is cheaper.
    Pending pending = allPending(classes);
    std::vector<SizedNode> rounded;
    roundLp(classes, options, lp.nodes, lp.pods, pending, rounded);
    greedyMix(classes, options, pending, rounded);
    downsize(rounded, shapes, options);
    if (pending.left == 0 && mixCost(rounded, options) < mixCost(out.mix_nodes, options)) {
      out.mix_nodes = std::move(rounded);
      out.mix_method = "assignment-rounding";
    }
  }

  if (limits.column_generation && ConfigurationLp::available()) {
    ConfigurationLp config(patternProblem(classes, options));
    for (const auto& node : out.mix_nodes) config.addPattern(patternOf(node, class_of_pod));
    ColgenLimits cl;
    cl.clock = &clock;
    cl.deadline_nanos = start_nanos + nanos(limits.colgen_seconds);
    cl.pricing_node_limit = limits.pricing_node_limit;
    cl.max_pricing_node_limit = std::max(limits.pricing_node_limit, limits.max_pricing_node_limit);
    const ColgenReport report = config.generate(cl);
    out.colgen_iterations = report.iterations;
    out.colgen_columns = report.columns;
    out.colgen_converged = report.converged;
    out.colgen_time_capped = report.time_capped;
    if (report.solved) {
      out.colgen_bound_hourly_usd = report.bound_usd;
      out.colgen_master_hourly_usd = report.master_usd;
      if (report.bound_usd >= out.lp_bound_hourly_usd) {
        out.lp_bound_hourly_usd = report.bound_usd;
        out.bound_method = "clp-colgen";
      }
      for (std::size_t c = 0; c < classes.size(); ++c) {
        classes[c].weight = config.duals()[c] + 1e-3 * size_weight[c];
      }
      // LP diving: floor(x) nodes of every pattern; then, for the pods left, re-solve (with a
      // few pricing rounds while time remains) and round the largest fractional pattern up.
      const std::int64_t dive_deadline = clock.monotonicNanos() + nanos(limits.dive_seconds);
      Pending pending = allPending(classes);
      std::vector<SizedNode> dived;
      std::vector<double> residual(classes.size());
      bool first = true;
      while (pending.left > 0) {
        if (!first) {
          for (std::size_t c = 0; c < classes.size(); ++c) {
            residual[c] = static_cast<double>(pending.remaining[c]);
          }
          if (!config.setDemand(residual)) break;
          if (clock.monotonicNanos() < dive_deadline) {
            ColgenLimits small = cl;
            small.deadline_nanos = dive_deadline;
            small.max_iterations = 3;
            config.generate(small);
          }
        }
        first = false;
        const auto& x = config.usage();
        const auto& patterns = config.patterns();
        std::vector<std::pair<std::size_t, std::size_t>> picks;  // (pattern, copies)
        std::size_t argmax = 0;
        for (std::size_t j = 0; j < x.size(); ++j) {
          if (x[j] >= 1 - 1e-6) {
            picks.emplace_back(j, static_cast<std::size_t>(std::floor(x[j] + 1e-6)));
          }
          if (x[j] > x[argmax]) argmax = j;
        }
        if (picks.empty()) {
          if (x.empty() || x[argmax] <= 1e-9) break;
          picks.emplace_back(argmax, 1);
        }
        std::stable_sort(picks.begin(), picks.end(),
                         [&](const auto& a, const auto& b) { return x[a.first] > x[b.first]; });
        const std::size_t before = pending.left;
        for (const auto& [j, copies] : picks) {
          for (std::size_t r = 0; r < copies && pending.left > 0; ++r) {
            SizedNode node = realize(patterns[j], classes, options, pending);
            if (node.pods.empty()) break;
            dived.push_back(std::move(node));
          }
        }
        if (pending.left == before || clock.monotonicNanos() >= dive_deadline) break;
      }
      greedyMix(classes, options, pending, dived);
      if (pending.left == 0) {
        downsize(dived, shapes, options);
        eliminateNodes(dived, shapes, options, dive_deadline + nanos(0.5), clock);
        downsize(dived, shapes, options);
        if (mixCost(dived, options) < mixCost(out.mix_nodes, options)) {
          out.mix_nodes = std::move(dived);
          out.mix_method = "colgen-dive";
        }
      }
    }
  }

  std::vector<int> mix_options;
  for (const auto& n : out.mix_nodes) {
    mix_options.push_back(n.option);
    out.mix_hourly_usd += options[static_cast<std::size_t>(n.option)].hourly_usd;
  }
  out.mix = countNodes(mix_options, options);

  const std::vector<int> ffd = karpenterFfd(shapes, placeable, options);
  for (int o : ffd) out.ffd_hourly_usd += options[static_cast<std::size_t>(o)].hourly_usd;
  out.ffd = countNodes(ffd, options);
  out.gap_pct = out.lp_bound_hourly_usd > 0
                    ? (out.mix_hourly_usd - out.lp_bound_hourly_usd) / out.lp_bound_hourly_usd * 100
                    : 0;
  return out;
}

std::string podZone(const PodSpec& pod) {
  for (const char* key :
       {"topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"}) {
    if (auto it = pod.node_selector.find(key); it != pod.node_selector.end()) return it->second;
  }
  return "";
}

Result<ZonedSizingResult> sizePoolByZone(std::span<const PodSpec> pods,
                                         std::span<const InstanceOption> options,
                                         std::span<const std::string> zones,
                                         const SizingLimits& limits) {
  if (options.empty()) return fail(ErrorCode::kInvalidArgument, "sizing: no instance options");
  ZonedSizingResult out;
  std::vector<std::string> groups(zones.begin(), zones.end());
  groups.push_back("");
  std::vector<std::vector<std::size_t>> members(groups.size());
  for (std::size_t i = 0; i < pods.size(); ++i) {
    const std::string zone = podZone(pods[i]);
    const auto it = std::find(groups.begin(), groups.end() - 1, zone);
    if (!zone.empty() && it == groups.end() - 1) {
      out.unplaceable.push_back(UnplaceablePod{
          pods[i].name, fmt::format("held to zone \"{}\", which is not in the zones given", zone)});
      continue;
    }
    members[zone.empty() ? groups.size() - 1 : static_cast<std::size_t>(it - groups.begin())]
        .push_back(i);
  }
  const double total = static_cast<double>(std::max<std::size_t>(1, pods.size()));
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (members[g].empty()) continue;
    std::vector<PodSpec> group_pods;
    for (std::size_t i : members[g]) {
      PodSpec p = pods[i];
      p.node_selector.erase("topology.kubernetes.io/zone");
      p.node_selector.erase("failure-domain.beta.kubernetes.io/zone");
      group_pods.push_back(std::move(p));
    }
    const double share = static_cast<double>(members[g].size()) / total;
    SizingLimits l = limits;
    l.colgen_seconds = std::max(0.2, limits.colgen_seconds * share);
    l.dive_seconds = std::max(0.2, limits.dive_seconds * share);
    auto r = sizePool(group_pods, options, l);
    if (!r) return fail(r.error().withContext(fmt::format("zone \"{}\"", groups[g])));
    out.mix_hourly_usd += r->mix_hourly_usd;
    out.ffd_hourly_usd += r->ffd_hourly_usd;
    out.lp_bound_hourly_usd += r->lp_bound_hourly_usd;
    for (const auto& u : r->unplaceable) out.unplaceable.push_back(u);
    out.zones.push_back(ZoneSizing{groups[g], members[g], std::move(*r)});
  }
  return out;
}

}  // namespace trimtab::plan
