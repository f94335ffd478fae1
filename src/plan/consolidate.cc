#include "plan/consolidate.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>

#include "model/json_text.h"
#include "plan/rng.h"

namespace trimtab::plan {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxGroup = 16;
constexpr std::size_t kMaxSizingOptions = 16;
constexpr std::size_t kKarpenterMaxCandidates = 100;

double cores(std::int64_t milli) { return static_cast<double>(milli) / 1000.0; }
double gib(std::int64_t mib) { return static_cast<double>(mib) / 1024.0; }

bool tryPlace(NodeState& s, const PodSpec& p) {
  if (checkCapacity(s, p) != FitFailure::kNone) return false;
  const GpuMask g = simpleDevicesFor(s, p);
  if (p.wantsGpu() && g == 0) return false;
  return place(s, p, g).has_value();
}

// Places a pod that already runs on the node even when the requests exceed what is free (the
// store's averages can overshoot allocatable by a little).
void forcePlace(NodeState& s, const PodSpec& p) {
  if (tryPlace(s, p)) return;
  s.cpu_free_milli -= p.cpu_milli;
  s.memory_free_mib -= p.memory_mib;
  if (s.ephemeral_free_mib >= 0) s.ephemeral_free_mib = std::max<std::int64_t>(0, s.ephemeral_free_mib - p.ephemeral_mib);
  if (s.pods_free > 0) --s.pods_free;
  ++s.pods;
  std::int64_t need = p.gpuMilliTotal();
  for (int i = 0; i < s.gpu_count && need > 0; ++i) {
    auto& f = s.gpu_free_milli[static_cast<std::size_t>(i)];
    const std::int64_t take = std::min<std::int64_t>(f, need);
    f -= static_cast<int>(take);
    need -= take;
  }
  if (!p.anti_affinity_group.empty()) s.anti_affinity_groups.push_back(p.anti_affinity_group);
}

// Largest first: CPU, then memory (Karpenter's order).
bool biggerPod(const PodSpec& a, const PodSpec& b) {
  if (a.cpu_milli != b.cpu_milli) return a.cpu_milli > b.cpu_milli;
  return a.memory_mib > b.memory_mib;
}

std::string money(double v) { return fmt::format("${:.2f}", v); }

struct Overhead {
  std::int64_t cpu_milli = 0, memory_mib = 0;
  int pods = 0;
};

// Shared, read-only facts about the description.
struct Facts {
  const ClusterDescription& c;
  std::vector<std::vector<std::size_t>> pods_on;  // initial pods per node
  std::vector<std::string> blocked;               // non-empty: node can never be removed
  std::vector<Overhead> overhead;                 // DaemonSet overhead per node
  std::vector<std::size_t> movable_count;
  std::vector<int> by_name;                       // node indexes in name order
  std::vector<NodeState> initial;
  std::vector<double> threshold;  // per node: saving per disruption unit required
  int max_disruption = -1;
};

Result<Facts> makeFacts(const ClusterDescription& c) {
  Facts f{c, {}, {}, {}, {}, {}, {}, {}, -1};
  const std::size_t n = c.nodes.size();
  f.pods_on.resize(n);
  f.blocked.resize(n);
  f.overhead.resize(n);
  f.movable_count.resize(n);
  f.initial.reserve(n);
  for (const auto& node : c.nodes) f.initial.push_back(initialState(node.spec));
  for (std::size_t i = 0; i < c.pods.size(); ++i) {
    const ClusterPod& p = c.pods[i];
    if (p.node < 0 || static_cast<std::size_t>(p.node) >= n) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("consolidate: pod \"{}\" is on node index {}, want 0..{}",
                              p.spec.name, p.node, n == 0 ? 0 : n - 1));
    }
    if (p.pdb >= static_cast<int>(c.pdbs.size())) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("consolidate: pod \"{}\" names PDB index {}, have {}", p.spec.name,
                              p.pdb, c.pdbs.size()));
    }
    const auto node = static_cast<std::size_t>(p.node);
    f.pods_on[node].push_back(i);
    forcePlace(f.initial[node], p.spec);
    if (p.role == PodRole::kDaemonSet) {
      f.overhead[node].cpu_milli += p.spec.cpu_milli;
      f.overhead[node].memory_mib += p.spec.memory_mib;
      ++f.overhead[node].pods;
    } else if (p.role == PodRole::kPinned) {
      if (f.blocked[node].empty()) {
        f.blocked[node] = fmt::format("pinned by pod {} ({})", p.spec.name, p.pin_reason);
      }
    } else {
      ++f.movable_count[node];
    }
  }
  // PDBs: a node whose drain would evict more pods of one budget than it allows.
  for (std::size_t node = 0; node < n; ++node) {
    if (!f.blocked[node].empty()) continue;
    std::map<int, int> per_pdb;
    for (std::size_t pi : f.pods_on[node]) {
      const ClusterPod& p = c.pods[pi];
      if (p.role == PodRole::kMovable && p.pdb >= 0) ++per_pdb[p.pdb];
    }
    for (const auto& [pdb, count] : per_pdb) {
      const auto& b = c.pdbs[static_cast<std::size_t>(pdb)];
      if (count > b.disruptions_allowed) {
        f.blocked[node] = fmt::format("PDB {} allows {} disruption(s), the node has {} of its pods",
                                      b.name, b.disruptions_allowed, count);
        break;
      }
    }
  }
  f.by_name.resize(n);
  std::iota(f.by_name.begin(), f.by_name.end(), 0);
  std::sort(f.by_name.begin(), f.by_name.end(), [&](int a, int b) {
    return c.nodes[static_cast<std::size_t>(a)].spec.name <
           c.nodes[static_cast<std::size_t>(b)].spec.name;
  });
  return f;
}

double utilization(const Facts& f, std::size_t node) {
  const NodeSpec& s = f.c.nodes[node].spec;
  const NodeState& st = f.initial[node];
  const double cpu = s.cpu_milli > 0 ? 1.0 - static_cast<double>(st.cpu_free_milli) / static_cast<double>(s.cpu_milli) : 1.0;
  const double mem = s.memory_mib > 0 ? 1.0 - static_cast<double>(st.memory_free_mib) / static_cast<double>(s.memory_mib) : 1.0;
  return std::max(cpu, mem);
}

// The mutable cluster of one search: node states, where each pod is, what is removed.
struct Sim {
  const Facts* f = nullptr;
  std::vector<NodeState> states;
  std::vector<char> removed;
  std::vector<int> location;  // per pod: node index (>= nodes.size() for added nodes)
  std::vector<char> evicted;  // per pod
  std::vector<std::vector<std::size_t>> pods_on;
  int evicted_total = 0;
  // Undo log of a trial: (node, state before the trial touched it).
  std::vector<std::pair<int, NodeState>> undo;
  std::vector<char> touched;

  explicit Sim(const Facts& facts)
      : f(&facts),
        states(facts.initial),
        removed(facts.c.nodes.size(), 0),
        location(facts.c.pods.size(), -1),
        evicted(facts.c.pods.size(), 0),
        pods_on(facts.pods_on),
        touched(facts.c.nodes.size(), 0) {
    for (std::size_t i = 0; i < facts.c.pods.size(); ++i) location[i] = facts.c.pods[i].node;
  }

  NodeState& mut(int node) {
    const auto u = static_cast<std::size_t>(node);
    if (!touched[u]) {
      touched[u] = 1;
      undo.emplace_back(node, states[u]);
    }
    return states[u];
  }
  void rollback() {
    for (auto& [node, st] : undo) {
      states[static_cast<std::size_t>(node)] = std::move(st);
      touched[static_cast<std::size_t>(node)] = 0;
    }
    undo.clear();
  }
  void keep() {
    for (const auto& u : undo) touched[static_cast<std::size_t>(u.first)] = 0;
    undo.clear();
  }
};

// Movable pods of a group of nodes, largest first.
std::vector<std::size_t> displaced(const Sim& sim, const std::vector<int>& group) {
  std::vector<std::size_t> pods;
  for (int node : group) {
    for (std::size_t pi : sim.pods_on[static_cast<std::size_t>(node)]) {
      if (sim.f->c.pods[pi].role == PodRole::kMovable) pods.push_back(pi);
    }
  }
  std::stable_sort(pods.begin(), pods.end(), [&](std::size_t a, std::size_t b) {
    return biggerPod(sim.f->c.pods[a].spec, sim.f->c.pods[b].spec);
  });
  return pods;
}

int newEvictions(const Sim& sim, const std::vector<std::size_t>& pods) {
  int n = 0;
  for (std::size_t pi : pods) n += sim.evicted[pi] ? 0 : 1;
  return n;
}

// Best fit: the remaining node left fullest (CPU + memory fractions) that passes every rule.
// first_fit: the first in name order instead (Karpenter).
int findTarget(Sim& sim, const PodSpec& pod, bool first_fit) {
  const auto& c = sim.f->c;
  int best = -1;
  double best_score = 0;
  for (int node : sim.f->by_name) {
    const auto u = static_cast<std::size_t>(node);
    if (sim.removed[u]) continue;
    if (checkFit(c.nodes[u].spec, sim.states[u], pod) != FitFailure::kNone) continue;
    if (pod.wantsGpu() && simpleDevicesFor(sim.states[u], pod) == 0) continue;
    if (first_fit) return node;
    const NodeSpec& s = c.nodes[u].spec;
    const double score =
        (s.cpu_milli > 0 ? static_cast<double>(sim.states[u].cpu_free_milli - pod.cpu_milli) / static_cast<double>(s.cpu_milli) : 0) +
        (s.memory_mib > 0 ? static_cast<double>(sim.states[u].memory_free_mib - pod.memory_mib) / static_cast<double>(s.memory_mib) : 0);
    if (best < 0 || score < best_score) {
      best = node;
      best_score = score;
    }
  }
  return best;
}

// Why pods[first_failed] (and the rest) do not fit: totals and per-rule counts.
std::string misfitReason(const Sim& sim, const std::vector<std::size_t>& pods, std::size_t failed) {
  const auto& c = sim.f->c;
  std::int64_t need_cpu = 0, need_mem = 0, free_cpu = 0, free_mem = 0;
  for (std::size_t pi : pods) {
    need_cpu += c.pods[pi].spec.cpu_milli;
    need_mem += c.pods[pi].spec.memory_mib;
  }
  std::array<int, 11> counts{};
  int considered = 0;
  const PodSpec& pod = c.pods[pods[failed]].spec;
  for (std::size_t u = 0; u < c.nodes.size(); ++u) {
    if (sim.removed[u]) continue;
    free_cpu += std::max<std::int64_t>(0, sim.states[u].cpu_free_milli);
    free_mem += std::max<std::int64_t>(0, sim.states[u].memory_free_mib);
    ++considered;
    const FitFailure ff = checkFit(c.nodes[u].spec, sim.states[u], pod);
    ++counts[static_cast<std::size_t>(ff == FitFailure::kNone ? FitFailure::kGpu : ff)];
  }
  std::string why;
  for (std::size_t r = 1; r < counts.size(); ++r) {
    if (counts[r] == 0) continue;
    why += fmt::format("{}{} {}", why.empty() ? "" : ", ", counts[r], describe(static_cast<FitFailure>(r)));
  }
  return fmt::format(
      "its pods do not fit elsewhere: needs {:.2f} cores, {:.1f} GiB; {:.2f} cores, {:.1f} GiB "
      "free on the other nodes; pod {} ({:.2f} cores, {:.1f} GiB) fits none of {}{}{}",
      cores(need_cpu), gib(need_mem), cores(free_cpu), gib(free_mem), pod.name, cores(pod.cpu_milli),
      gib(pod.memory_mib), considered, why.empty() ? "" : ": ", why);
}

struct Trial {
  bool ok = false;
  std::string reason;
  std::vector<std::pair<std::size_t, int>> placed;  // pod -> existing node
  std::vector<std::size_t> leftover;                // pods for new nodes
};

// Places the pods on the remaining nodes (group already marked removed). Stops at the first
// misfit unless allow_leftover. Leaves the placements in the undo log.
// max_leftover_cpu_milli: give up once the leftover needs more CPU than that (negative: no cap).
Trial placeOnRemaining(Sim& sim, const std::vector<std::size_t>& pods, bool first_fit,
                       bool allow_leftover, std::int64_t max_leftover_cpu_milli = -1) {
  Trial t;
  std::int64_t leftover_cpu = 0;
  for (std::size_t k = 0; k < pods.size(); ++k) {
    const PodSpec& p = sim.f->c.pods[pods[k]].spec;
    const int target = findTarget(sim, p, first_fit);
    if (target < 0) {
      if (allow_leftover) {
        t.leftover.push_back(pods[k]);
        leftover_cpu += p.cpu_milli;
        if (max_leftover_cpu_milli >= 0 && leftover_cpu > max_leftover_cpu_milli) {
          t.reason = fmt::format("{}+ pods do not fit the other nodes nor one new node",
                                 t.leftover.size());
          return t;
        }
        continue;
      }
      t.reason = misfitReason(sim, pods, k);
      return t;
    }
    NodeState& s = sim.mut(target);
    if (!tryPlace(s, p)) {  // cannot happen after findTarget; treated as a misfit
      t.reason = fmt::format("pod {} could not be placed on {}", p.name,
                             sim.f->c.nodes[static_cast<std::size_t>(target)].spec.name);
      return t;
    }
    t.placed.emplace_back(pods[k], target);
  }
  t.ok = true;
  return t;
}

// The largest DaemonSet overhead among the group (every new node carries it).
Overhead groupOverhead(const Facts& f, const std::vector<int>& group) {
  Overhead o;
  for (int node : group) {
    const Overhead& x = f.overhead[static_cast<std::size_t>(node)];
    o.cpu_milli = std::max(o.cpu_milli, x.cpu_milli);
    o.memory_mib = std::max(o.memory_mib, x.memory_mib);
    o.pods = std::max(o.pods, x.pods);
  }
  return o;
}

// Options cheaper than below_usd, CPU-only, with the DaemonSet overhead taken off their
// capacity; original[i] is the catalog option (full allocatable) of out[i].
std::vector<InstanceOption> usableOptions(const std::vector<InstanceOption>& all, const Overhead& o,
                                          double below_usd, std::vector<const InstanceOption*>& original) {
  std::vector<InstanceOption> out;
  original.clear();
  for (const InstanceOption& full : all) {
    if (full.gpu_count > 0 || full.hourly_usd >= below_usd) continue;
    InstanceOption opt = full;
    opt.cpu_milli -= o.cpu_milli;
    opt.memory_mib -= o.memory_mib;
    opt.max_pods -= o.pods;
    if (opt.cpu_milli <= 0 || opt.memory_mib <= 0 || opt.max_pods <= 0) continue;
    out.push_back(std::move(opt));
    original.push_back(&full);
  }
  return out;
}

constexpr const char* kTopologyLabels[] = {"topology.kubernetes.io/zone",
                                           "topology.kubernetes.io/region",
                                           "failure-domain.beta.kubernetes.io/zone",
                                           "failure-domain.beta.kubernetes.io/region"};

// The topology labels every node of the group carries with the same value.
std::map<std::string, std::string> sharedTopology(const Facts& f, const std::vector<int>& group) {
  std::map<std::string, std::string> out;
  for (const char* key : kTopologyLabels) {
    std::optional<std::string> value;
    bool same = true;
    for (int node : group) {
      const auto& labels = f.c.nodes[static_cast<std::size_t>(node)].spec.labels;
      auto it = labels.find(key);
      if (it == labels.end() || (value && *value != it->second)) {
        same = false;
        break;
      }
      value = it->second;
    }
    if (same && value) out.emplace(key, *value);
  }
  return out;
}

bool newNodeEligible(const PodSpec& p, const std::map<std::string, std::string>& labels,
                     std::string* why) {
  if (p.wantsGpu()) {
    *why = fmt::format("pod {} needs a GPU (new nodes are CPU-only: the GPU model is kept)", p.name);
    return false;
  }
  for (const auto& [key, value] : p.node_selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) {
      *why = fmt::format("pod {} has the nodeSelector {}={} a new node would not carry", p.name,
                         key, value);
      return false;
    }
  }
  return true;
}

// One candidate action evaluated on the sim (state rolled back unless commit).
struct Candidate {
  bool ok = false;
  std::string reason;
  ConsolidationAction action;
};

struct SearchContext {
  const ConsolidateOptions* options = nullptr;
  Clock::time_point deadline;
  int* next_new_node = nullptr;
};

// Removes the group: pods to the remaining nodes, the rest to new nodes sized by sizePool
// (sized = true) or to at most one new node, the cheapest that holds them (Karpenter).
Candidate evaluateGroup(Sim& sim, const std::vector<int>& group, bool first_fit, bool sized,
                        bool allow_new, bool commit, const SearchContext& ctx) {
  const Facts& f = *sim.f;
  const auto& c = f.c;
  Candidate cand;
  ConsolidationAction& a = cand.action;
  a.removed = group;
  for (int node : group) {
    const auto u = static_cast<std::size_t>(node);
    if (!f.blocked[u].empty()) {
      cand.reason = f.blocked[u];
      return cand;
    }
    a.removed_hourly_usd += c.nodes[u].hourly_usd;
  }
  const std::vector<std::size_t> pods = displaced(sim, group);
  const int fresh = newEvictions(sim, pods);
  if (f.max_disruption >= 0 && sim.evicted_total + fresh > f.max_disruption) {
    cand.reason = fmt::format("would exceed --max-disruption {}: {} evicted so far + {}",
                              f.max_disruption, sim.evicted_total, fresh);
    return cand;
  }
  for (int node : group) sim.removed[static_cast<std::size_t>(node)] = 1;
  auto undo = [&] {
    sim.rollback();
    for (int node : group) sim.removed[static_cast<std::size_t>(node)] = 0;
  };
  std::int64_t cap = -1;
  if (allow_new && !sized) {  // Karpenter: the leftover must fit one new node
    cap = 0;
    for (const auto& o : ctx.options->replacements) cap = std::max(cap, o.cpu_milli);
  }
  Trial t = placeOnRemaining(sim, pods, first_fit, allow_new, cap);
  if (!t.ok) {
    undo();
    cand.reason = t.reason;
    return cand;
  }
  std::vector<std::vector<std::size_t>> new_nodes;  // pods per added node
  const std::map<std::string, std::string> topology =
      t.leftover.empty() ? std::map<std::string, std::string>{} : sharedTopology(f, group);
  if (!t.leftover.empty()) {
    for (std::size_t pi : t.leftover) {
      std::string why;
      if (!newNodeEligible(c.pods[pi].spec, topology, &why)) {
        undo();
        cand.reason = fmt::format("{} pods do not fit the other nodes and {}", t.leftover.size(), why);
        return cand;
      }
    }
    std::vector<const InstanceOption*> original;
    const std::vector<InstanceOption> opts = usableOptions(
        ctx.options->replacements, groupOverhead(f, group), a.removed_hourly_usd, original);
    std::string fail_why = fmt::format(
        "{} pods do not fit the other nodes and no cheaper replacement holds them", t.leftover.size());
    if (opts.empty()) {
      undo();
      cand.reason = ctx.options->replacements.empty()
                        ? fmt::format("{} pods do not fit the other nodes (no replacement types given)", t.leftover.size())
                        : fmt::format("{} pods do not fit the other nodes and no instance type is cheaper than {}/h",
                                      t.leftover.size(), money(a.removed_hourly_usd));
      return cand;
    }
    // Lower bound of any new capacity: the leftover's CPU and memory at the cheapest price per
    // core and per GiB among the options.
    double cpu_unit = std::numeric_limits<double>::infinity(), mem_unit = cpu_unit;
    for (const auto& o : opts) {
      cpu_unit = std::min(cpu_unit, o.hourly_usd / static_cast<double>(o.cpu_milli));
      mem_unit = std::min(mem_unit, o.hourly_usd / static_cast<double>(o.memory_mib));
    }
    std::int64_t left_cpu = 0, left_mem = 0;
    for (std::size_t pi : t.leftover) {
      left_cpu += c.pods[pi].spec.cpu_milli;
      left_mem += c.pods[pi].spec.memory_mib;
    }
    const double bound = std::max(static_cast<double>(left_cpu) * cpu_unit,
                                  static_cast<double>(left_mem) * mem_unit);
    if (bound >= a.removed_hourly_usd) {
      undo();
      cand.reason = fmt::format(
          "{} pods do not fit the other nodes and need at least {}/h of new capacity ({:.2f} cores, "
          "{:.1f} GiB), not less than the {}/h removed",
          t.leftover.size(), money(bound), cores(left_cpu), gib(left_mem), money(a.removed_hourly_usd));
      return cand;
    }
    if (sized) {
      std::vector<PodSpec> specs;
      for (std::size_t pi : t.leftover) specs.push_back(c.pods[pi].spec);
      // The kMaxSizingOptions options that would hold the leftover's CPU and memory cheapest
      // (price × nodes needed): sizing cost grows with the options, and the others lose anyway.
      std::vector<std::size_t> keep(opts.size());
      std::iota(keep.begin(), keep.end(), 0);
      std::vector<double> est(opts.size());
      for (std::size_t k = 0; k < opts.size(); ++k) {
        const double need = std::max(static_cast<double>(left_cpu) / static_cast<double>(opts[k].cpu_milli),
                                     static_cast<double>(left_mem) / static_cast<double>(opts[k].memory_mib));
        est[k] = opts[k].hourly_usd * std::max(1.0, std::ceil(need - 1e-9));
      }
      std::stable_sort(keep.begin(), keep.end(), [&](std::size_t x, std::size_t y) { return est[x] < est[y]; });
      if (keep.size() > kMaxSizingOptions) keep.resize(kMaxSizingOptions);
      std::vector<InstanceOption> few;
      std::vector<const InstanceOption*> few_original;
      for (std::size_t k : keep) {
        few.push_back(opts[k]);
        few_original.push_back(original[k]);
      }
      auto r = sizePool(specs, few);
      if (!r || !r->unplaceable.empty() || r->mix_nodes.empty()) {
        undo();
        cand.reason = fail_why;
        return cand;
      }
      for (const SizedNode& sn : r->mix_nodes) {
        AddedNode added;
        added.option = *few_original[static_cast<std::size_t>(sn.option)];
        added.labels = topology;
        a.added_hourly_usd += added.option.hourly_usd;
        a.added.push_back(std::move(added));
        std::vector<std::size_t> members;
        for (std::size_t k : sn.pods) members.push_back(t.leftover[k]);
        new_nodes.push_back(std::move(members));
      }
    } else {
      // Karpenter: one new node, the cheapest type that holds every leftover pod.
      std::vector<std::size_t> order(opts.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
        return opts[x].hourly_usd < opts[y].hourly_usd;
      });
      bool found = false;
      for (std::size_t oi : order) {
        NodeSpec n;
        n.cpu_milli = opts[oi].cpu_milli;
        n.memory_mib = opts[oi].memory_mib;
        n.max_pods = opts[oi].max_pods;
        NodeState s = initialState(n);
        bool all = true;
        for (std::size_t pi : t.leftover) all = all && tryPlace(s, c.pods[pi].spec);
        if (!all) continue;
        AddedNode added;
        added.option = *original[oi];
        added.labels = topology;
        a.added_hourly_usd += added.option.hourly_usd;
        a.added.push_back(std::move(added));
        new_nodes.push_back(t.leftover);
        found = true;
        break;
      }
      if (!found) {
        undo();
        cand.reason = fmt::format("{} pods do not fit the other nodes nor one cheaper node", t.leftover.size());
        return cand;
      }
    }
  }
  a.kind = a.added.empty() ? ActionKind::kDelete : ActionKind::kReplace;
  a.evicted = fresh;
  a.disruption = 0;
  for (int node : group) {
    int own = 0;
    for (std::size_t pi : sim.pods_on[static_cast<std::size_t>(node)]) {
      own += (c.pods[pi].role == PodRole::kMovable && !sim.evicted[pi]) ? 1 : 0;
    }
    a.disruption += 1.0 + own;
  }
  const double saving = a.monthlySaving();
  if (saving <= 0) {
    undo();
    cand.reason = fmt::format("no saving: replacement {}/h vs {}/h", money(a.added_hourly_usd),
                              money(a.removed_hourly_usd));
    return cand;
  }
  const double per_unit = saving / a.disruption;
  double threshold = 0;
  for (int node : group) threshold = std::max(threshold, f.threshold[static_cast<std::size_t>(node)]);
  if (per_unit < threshold) {
    undo();
    cand.reason = fmt::format("saving below threshold: {}/month over {:.0f} disruption units = {} "
                              "per unit < {}",
                              money(saving), a.disruption, money(per_unit), money(threshold));
    return cand;
  }
  cand.ok = true;
  if (!commit) {
    undo();
    return cand;
  }
  sim.keep();
  // Record moves and update locations.
  const std::size_t n_nodes = c.nodes.size();
  for (auto& added : a.added) added.name = fmt::format("new-{}", ++*ctx.next_new_node);
  for (const auto& [pi, target] : t.placed) {
    a.moves.push_back(PodMove{pi, target, c.nodes[static_cast<std::size_t>(target)].spec.name});
  }
  for (std::size_t k = 0; k < new_nodes.size(); ++k) {
    for (std::size_t pi : new_nodes[k]) {
      a.moves.push_back(PodMove{pi, -2 - static_cast<int>(k), a.added[k].name});
    }
  }
  for (const auto& m : a.moves) {
    const int from = sim.location[m.pod];
    if (from >= 0 && static_cast<std::size_t>(from) < n_nodes) {
      auto& v = sim.pods_on[static_cast<std::size_t>(from)];
      v.erase(std::remove(v.begin(), v.end(), m.pod), v.end());
    }
    if (m.target >= 0) {
      sim.location[m.pod] = m.target;
      sim.pods_on[static_cast<std::size_t>(m.target)].push_back(m.pod);
    } else {
      sim.location[m.pod] = -1;  // on a new node; re-indexed when the plan is assembled
    }
    if (!sim.evicted[m.pod]) {
      sim.evicted[m.pod] = 1;
      ++sim.evicted_total;
    }
  }
  return cand;
}

struct VariantResult {
  std::string name;
  std::vector<ConsolidationAction> actions;
  std::vector<std::string> reasons;  // per node
  std::vector<std::string> replace_notes;
  bool deadline_hit = false;
  bool finished = false;
  double saving = 0;
  int evicted = 0;
};

// Merges the plan's actions: a pod moved twice keeps its final target; its eviction counts once.
void finalizeMoves(std::vector<ConsolidationAction>& actions) {
  std::map<std::size_t, std::pair<std::size_t, std::size_t>> last;  // pod -> (action, move)
  for (std::size_t ai = 0; ai < actions.size(); ++ai) {
    for (std::size_t mi = 0; mi < actions[ai].moves.size(); ++mi) {
      last[actions[ai].moves[mi].pod] = {ai, mi};
    }
  }
  for (std::size_t ai = 0; ai < actions.size(); ++ai) {
    auto& moves = actions[ai].moves;
    std::vector<PodMove> kept;
    for (std::size_t mi = 0; mi < moves.size(); ++mi) {
      if (last[moves[mi].pod] == std::make_pair(ai, mi)) kept.push_back(moves[mi]);
    }
    moves = std::move(kept);
  }
}

std::vector<int> ordering(const Facts& f, int variant, std::string* name) {
  const auto& c = f.c;
  std::vector<int> order(c.nodes.size());
  std::iota(order.begin(), order.end(), 0);
  auto ratio = [&](int n) {
    const auto u = static_cast<std::size_t>(n);
    return c.nodes[u].hourly_usd / (1.0 + static_cast<double>(f.movable_count[u]));
  };
  std::vector<double> key(c.nodes.size());
  switch (variant) {
    case 0:
      *name = "savings per evicted pod";
      for (std::size_t u = 0; u < key.size(); ++u) key[u] = -ratio(static_cast<int>(u));
      break;
    case 1:
      *name = "least utilised first";
      for (std::size_t u = 0; u < key.size(); ++u) key[u] = utilization(f, u);
      break;
    case 2:
      *name = "most expensive first";
      for (std::size_t u = 0; u < key.size(); ++u) key[u] = -c.nodes[u].hourly_usd;
      break;
    case 3:
      *name = "fewest pods first";
      for (std::size_t u = 0; u < key.size(); ++u)
        key[u] = static_cast<double>(f.movable_count[u]) - c.nodes[u].hourly_usd * 1e-6;
      break;
    default: {
      *name = fmt::format("perturbed savings order (seed {})", variant);
      Rng rng(static_cast<std::uint64_t>(variant) * 7919);
      for (std::size_t u = 0; u < key.size(); ++u)
        key[u] = -ratio(static_cast<int>(u)) * (1.0 + 0.5 * (static_cast<double>(rng.below(1000000)) / 1e6));
      break;
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return key[static_cast<std::size_t>(a)] < key[static_cast<std::size_t>(b)];
  });
  return order;
}

VariantResult runTrimtab(const Facts& f, const ConsolidateOptions& options, int variant,
                         Clock::time_point deadline) {
  const auto& c = f.c;
  VariantResult out;
  Sim sim(f);
  int next_new = 0;
  SearchContext ctx{&options, deadline, &next_new};
  out.reasons.assign(c.nodes.size(), "");
  const std::vector<int> order = ordering(f, variant, &out.name);

  // 1. Deletions, accumulated into one multi-node action.
  ConsolidationAction deletion;
  deletion.kind = ActionKind::kDelete;
  for (int node : order) {
    const auto u = static_cast<std::size_t>(node);
    if (Clock::now() > deadline) {
      out.deadline_hit = true;
      out.reasons[u] = "not evaluated: deadline reached";
      continue;
    }
    Candidate cand = evaluateGroup(sim, {node}, false, false, false, true, ctx);
    if (!cand.ok) {
      out.reasons[u] = cand.reason;
      continue;
    }
    out.reasons[u] = cand.action.evicted == 0
                         ? "removed: empty apart from DaemonSet pods"
                         : fmt::format("removed: its {} pods fit the free capacity of other nodes",
                                       cand.action.evicted);
    deletion.removed.push_back(node);
    deletion.removed_hourly_usd += cand.action.removed_hourly_usd;
    deletion.evicted += cand.action.evicted;
    deletion.disruption += cand.action.disruption;
    for (auto& m : cand.action.moves) deletion.moves.push_back(std::move(m));
  }
  if (!deletion.removed.empty()) out.actions.push_back(std::move(deletion));

  // 2. Replacements, best first, until none is valid.
  if (!options.replacements.empty()) {
    std::vector<char> hopeless(c.nodes.size(), 0);
    while (!out.deadline_hit) {
      std::vector<int> remaining;
      for (int node : order) {
        const auto u = static_cast<std::size_t>(node);
        if (!sim.removed[u] && f.blocked[u].empty()) remaining.push_back(node);
      }
      // Single nodes by idle money (price × unused fraction), then groups of the least used.
      std::vector<double> waste(c.nodes.size(), 0), util(c.nodes.size(), 0);
      for (int node : remaining) {
        const auto u = static_cast<std::size_t>(node);
        const NodeSpec& s = c.nodes[u].spec;
        const double cu = s.cpu_milli > 0 ? 1.0 - static_cast<double>(sim.states[u].cpu_free_milli) / static_cast<double>(s.cpu_milli) : 1;
        const double mu = s.memory_mib > 0 ? 1.0 - static_cast<double>(sim.states[u].memory_free_mib) / static_cast<double>(s.memory_mib) : 1;
        util[u] = std::max(cu, mu);
        waste[u] = c.nodes[u].hourly_usd * (1.0 - util[u]);
      }
      std::vector<std::vector<int>> groups;
      std::vector<int> singles;
      for (int node : remaining)
        if (!hopeless[static_cast<std::size_t>(node)]) singles.push_back(node);
      std::stable_sort(singles.begin(), singles.end(), [&](int a, int b) {
        return waste[static_cast<std::size_t>(a)] > waste[static_cast<std::size_t>(b)];
      });
      if (singles.size() > static_cast<std::size_t>(options.max_replace_groups))
        singles.resize(static_cast<std::size_t>(options.max_replace_groups));
      for (int node : singles) groups.push_back({node});
      std::vector<int> by_util = remaining;
      std::stable_sort(by_util.begin(), by_util.end(), [&](int a, int b) {
        return util[static_cast<std::size_t>(a)] < util[static_cast<std::size_t>(b)];
      });
      for (int k : {2, 3, 4, 6, 8, 12, kMaxGroup}) {
        if (static_cast<std::size_t>(k) > by_util.size()) break;
        groups.emplace_back(by_util.begin(), by_util.begin() + k);
      }
      std::vector<std::pair<double, std::size_t>> valid;  // (saving, group)
      for (std::size_t gi = 0; gi < groups.size(); ++gi) {
        if (Clock::now() > deadline) {
          out.deadline_hit = true;
          break;
        }
        Candidate cand = evaluateGroup(sim, groups[gi], false, true, true, false, ctx);
        if (groups[gi].size() == 1) {
          const auto u = static_cast<std::size_t>(groups[gi][0]);
          if (!cand.ok) {
            hopeless[u] = 1;
            if (out.reasons[u] != cand.reason) out.reasons[u] += "; replace: " + cand.reason;
          }
        }
        if (cand.ok) valid.emplace_back(cand.action.monthlySaving(), gi);
      }
      // Best saving first; each is re-checked against the state left by those before it.
      std::stable_sort(valid.begin(), valid.end(),
                       [](const auto& x, const auto& y) { return x.first > y.first; });
      bool committed = false;
      for (const auto& entry : valid) {
        const std::size_t gi = entry.second;
        if (Clock::now() > deadline) {
          out.deadline_hit = true;
          break;
        }
        bool overlap = false;
        for (int node : groups[gi]) overlap = overlap || sim.removed[static_cast<std::size_t>(node)];
        if (overlap) continue;
        Candidate cand = evaluateGroup(sim, groups[gi], false, true, true, true, ctx);
        if (!cand.ok) continue;
        committed = true;
        std::string added;
        std::map<std::string, int> counts;
        for (const auto& a : cand.action.added) ++counts[a.option.instance_type];
        for (const auto& [type, n] : counts)
          added += fmt::format("{}{}x {}", added.empty() ? "" : " + ", n, type);
        const std::size_t group_size = cand.action.removed.size();
        for (int node : cand.action.removed) {
          out.reasons[static_cast<std::size_t>(node)] =
              cand.action.added.empty()
                  ? fmt::format("removed with {} other node(s): pods fit elsewhere", group_size - 1)
                  : fmt::format("replaced{}: {} node(s) -> {}", group_size > 1 ? " as a group" : "",
                                group_size, added);
        }
        out.actions.push_back(std::move(cand.action));
      }
      if (!committed) break;
    }
  }
  finalizeMoves(out.actions);
  // Nodes that stay and receive pods.
  std::vector<int> received(c.nodes.size(), 0);
  for (const auto& a : out.actions)
    for (const auto& m : a.moves)
      if (m.target >= 0) ++received[static_cast<std::size_t>(m.target)];
  for (std::size_t u = 0; u < c.nodes.size(); ++u) {
    if (!sim.removed[u] && received[u] > 0)
      out.reasons[u] = fmt::format("kept: receives {} pods; {}", received[u], out.reasons[u]);
  }
  for (const auto& a : out.actions) out.saving += a.monthlySaving();
  out.evicted = sim.evicted_total;
  out.finished = true;
  return out;
}

StrategySummary summarize(const std::string& name, const std::vector<ConsolidationAction>& actions) {
  StrategySummary s;
  s.name = name;
  for (const auto& a : actions) {
    s.nodes_removed += static_cast<int>(a.removed.size());
    s.nodes_added += static_cast<int>(a.added.size());
    s.monthly_saving_usd += a.monthlySaving();
    s.evicted += a.evicted;
  }
  s.actions = actions.size();
  return s;
}

// Karpenter's single-node consolidation to a fixed point; multi: its loop with multi-node first.
struct KarpenterRun {
  StrategySummary summary;
  VariantResult plan;  // the same actions as a full plan, in case it beats Trimtab's orderings
};

KarpenterRun runKarpenter(const Facts& f, const ConsolidateOptions& options, bool multi,
                          Clock::time_point deadline) {
  const auto& c = f.c;
  KarpenterRun out;
  out.plan.reasons.assign(c.nodes.size(), "kept: not reached by Karpenter's loop");
  for (std::size_t u = 0; u < c.nodes.size(); ++u)
    if (!f.blocked[u].empty()) out.plan.reasons[u] = f.blocked[u];
  Sim sim(f);
  int next_new = 0;
  SearchContext ctx{&options, deadline, &next_new};
  std::vector<int> cand;
  for (std::size_t u = 0; u < c.nodes.size(); ++u)
    if (f.blocked[u].empty()) cand.push_back(static_cast<int>(u));
  // SavingsRatio = price / (1 + Σ eviction cost), descending.
  std::stable_sort(cand.begin(), cand.end(), [&](int a, int b) {
    const auto ua = static_cast<std::size_t>(a), ub = static_cast<std::size_t>(b);
    return c.nodes[ua].hourly_usd / (1.0 + static_cast<double>(f.movable_count[ua])) >
           c.nodes[ub].hourly_usd / (1.0 + static_cast<double>(f.movable_count[ub]));
  });
  std::vector<ConsolidationAction> actions;
  std::vector<char> invalid(c.nodes.size(), 0);
  while (Clock::now() <= deadline) {
    std::vector<int> live;
    for (int n : cand)
      if (!sim.removed[static_cast<std::size_t>(n)]) live.push_back(n);
    bool acted = false;
    if (multi && live.size() >= 2) {
      const std::size_t cap = std::min(live.size(), kKarpenterMaxCandidates);
      std::size_t lo = 2, hi = cap, best = 0;
      while (lo <= hi && Clock::now() <= deadline) {
        const std::size_t mid = (lo + hi) / 2;
        std::vector<int> group(live.begin(), live.begin() + static_cast<std::ptrdiff_t>(mid));
        if (evaluateGroup(sim, group, true, false, true, false, ctx).ok) {
          best = mid;
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
      if (best >= 2) {
        std::vector<int> group(live.begin(), live.begin() + static_cast<std::ptrdiff_t>(best));
        Candidate done = evaluateGroup(sim, group, true, false, true, true, ctx);
        if (done.ok) {
          for (int n : group)
            out.plan.reasons[static_cast<std::size_t>(n)] = fmt::format(
                "removed by Karpenter-style multi-node consolidation of {} nodes{}", group.size(),
                done.action.added.empty() ? "" : " with one new node");
          actions.push_back(std::move(done.action));
          acted = true;
        }
      }
    }
    if (!acted) {
      // Single-node rounds, one command each; a candidate found invalid stays invalid (the
      // cluster only gets fuller). Back to multi-node after a pass that acted.
      for (int n : live) {
        if (invalid[static_cast<std::size_t>(n)]) continue;
        if (Clock::now() > deadline) break;
        Candidate done = evaluateGroup(sim, {n}, true, false, true, true, ctx);
        if (done.ok) {
          out.plan.reasons[static_cast<std::size_t>(n)] =
              done.action.added.empty()
                  ? "removed by Karpenter-style single-node consolidation: pods fit elsewhere"
                  : "replaced by Karpenter-style single-node consolidation with one cheaper node";
          actions.push_back(std::move(done.action));
          acted = true;
          continue;
        }
        out.plan.reasons[static_cast<std::size_t>(n)] = done.reason;
        invalid[static_cast<std::size_t>(n)] = 1;
      }
    }
    if (!acted) break;
  }
  std::string name = multi ? "karpenter (multi-node, then single-node)" : "karpenter single-node";
  if (Clock::now() > deadline) name += " [deadline reached]";
  out.summary = summarize(name, actions);
  out.plan.name = name + " (it saved more than Trimtab's orderings)";
  out.plan.actions = std::move(actions);
  finalizeMoves(out.plan.actions);
  for (const auto& a : out.plan.actions) out.plan.saving += a.monthlySaving();
  out.plan.evicted = sim.evicted_total;
  out.plan.finished = true;
  return out;
}

}  // namespace

Result<ConsolidationPlan> consolidate(const ClusterDescription& cluster,
                                      const ConsolidateOptions& options) {
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::milliseconds(std::max(1, options.deadline_ms));
  auto facts = makeFacts(cluster);
  if (!facts) return tl::unexpected(facts.error());
  Facts& f = *facts;
  f.max_disruption = options.max_disruption;

  ConsolidationPlan plan;
  for (std::size_t u = 0; u < cluster.nodes.size(); ++u) {
    plan.cluster_monthly_usd += cluster.nodes[u].hourly_usd * kHoursPerMonth;
    plan.cluster_disruption_units += 1.0 + static_cast<double>(f.movable_count[u]);
  }
  f.threshold.assign(cluster.nodes.size(), 0);
  if (options.min_saving_per_disruption_usd >= 0) {
    plan.threshold_usd = options.min_saving_per_disruption_usd;
    plan.threshold_rule = "set by --min-saving";
    f.threshold.assign(cluster.nodes.size(), plan.threshold_usd);
  } else {
    const double k = options.balanced_k > 0 ? options.balanced_k : 2;
    std::map<std::string, std::size_t> pool_of;
    std::vector<std::size_t> node_pool(cluster.nodes.size());
    for (std::size_t u = 0; u < cluster.nodes.size(); ++u) {
      const auto& node = cluster.nodes[u];
      const std::string name = !node.pool.empty()        ? node.pool
                               : node.spec.gpu_count > 0 ? "gpu nodes"
                                                         : "cpu nodes";
      auto [it, added] = pool_of.emplace(name, plan.pools.size());
      if (added) plan.pools.push_back(PoolThreshold{name, 0, 0, 0, 0});
      PoolThreshold& pt = plan.pools[it->second];
      ++pt.nodes;
      pt.monthly_usd += node.hourly_usd * kHoursPerMonth;
      pt.disruption_units += 1.0 + static_cast<double>(f.movable_count[u]);
      node_pool[u] = it->second;
    }
    std::string pools;
    for (auto& pt : plan.pools) {
      pt.threshold_usd = pt.disruption_units > 0 ? pt.monthly_usd / pt.disruption_units / k : 0;
      pools += fmt::format("{}{}: {}/month over {:.0f} units", pools.empty() ? "" : "; ", pt.pool,
                           money(pt.monthly_usd), pt.disruption_units);
    }
    for (std::size_t u = 0; u < cluster.nodes.size(); ++u)
      f.threshold[u] = plan.pools[node_pool[u]].threshold_usd;
    plan.threshold_usd = plan.pools.empty() ? 0 : plan.pools.front().threshold_usd;
    for (const auto& pt : plan.pools) plan.threshold_usd = std::min(plan.threshold_usd, pt.threshold_usd);
    plan.threshold_rule = fmt::format(
        "Karpenter balanced per node pool, k={:g}: pool cost / pool disruption units / k ({})", k,
        pools);
  }

  // The two Karpenter baselines and Trimtab's orderings as tasks on a bounded pool of threads.
  const int variants = std::max(1, options.variants);
  std::vector<VariantResult> results(static_cast<std::size_t>(variants));
  KarpenterRun karpenter_single, karpenter_multi;
  const int tasks = variants + 2;
  std::atomic<int> next{0};
  auto worker = [&] {
    for (;;) {
      const int t = next.fetch_add(1);
      if (t >= tasks) return;
      if (t == 0) {
        karpenter_single = runKarpenter(f, options, false, deadline);
        continue;
      }
      if (t == 1) {
        karpenter_multi = runKarpenter(f, options, true, deadline);
        continue;
      }
      const int v = t - 2;
      if (Clock::now() > deadline) {
        results[static_cast<std::size_t>(v)].deadline_hit = true;
        continue;
      }
      results[static_cast<std::size_t>(v)] = runTrimtab(f, options, v, deadline);
    }
  };
  const int threads = std::clamp(options.threads, 1, tasks);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();

  int best = -1;
  for (std::size_t v = 0; v < results.size(); ++v) {
    const auto& r = results[v];
    plan.deadline_hit = plan.deadline_hit || r.deadline_hit;
    if (!r.finished) continue;
    ++plan.variants_evaluated;
    if (best < 0) {
      best = static_cast<int>(v);
      continue;
    }
    const auto& b = results[static_cast<std::size_t>(best)];
    if (r.saving > b.saving + 1e-6 || (std::abs(r.saving - b.saving) <= 1e-6 && r.evicted < b.evicted)) {
      best = static_cast<int>(v);
    }
  }
  plan.variants_total = variants;
  plan.verdicts.resize(cluster.nodes.size());
  // Karpenter's own plans compete too, so Trimtab never returns less than its baselines.
  VariantResult* chosen = best >= 0 ? &results[static_cast<std::size_t>(best)] : nullptr;
  for (KarpenterRun* k : {&karpenter_single, &karpenter_multi}) {
    if (!k->plan.finished) continue;
    if (!chosen || k->plan.saving > chosen->saving + 1e-6) chosen = &k->plan;
  }
  if (chosen) {
    VariantResult& r = *chosen;
    plan.actions = std::move(r.actions);
    plan.chosen_variant = r.name;
    plan.monthly_saving_usd = r.saving;
    plan.evicted = r.evicted;
    for (std::size_t u = 0; u < cluster.nodes.size(); ++u) plan.verdicts[u].reason = r.reasons[u];
  }
  // Added nodes: move targets index past the existing nodes.
  int added_base = static_cast<int>(cluster.nodes.size());
  for (auto& a : plan.actions) {
    for (int node : a.removed) plan.verdicts[static_cast<std::size_t>(node)].removed = true;
    for (auto& m : a.moves)
      if (m.target < 0) m.target = added_base + (-2 - m.target);
    added_base += static_cast<int>(a.added.size());
  }
  plan.strategies.push_back(summarize("trimtab", plan.actions));
  plan.strategies.back().evicted = plan.evicted;
  plan.strategies.push_back(karpenter_single.summary);
  plan.strategies.push_back(karpenter_multi.summary);
  plan.elapsed_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  return plan;
}

Status verifyPlan(const ClusterDescription& cluster, const ConsolidationPlan& plan,
                  const ConsolidateOptions& options) {
  const std::size_t n = cluster.nodes.size();
  std::vector<NodeSpec> specs;
  for (const auto& node : cluster.nodes) specs.push_back(node.spec);
  std::vector<char> removed(n, 0);
  std::vector<Overhead> overhead(n);
  for (const auto& p : cluster.pods) {
    if (p.node < 0 || static_cast<std::size_t>(p.node) >= n)
      return fail(ErrorCode::kInvalidArgument, fmt::format("pod {}: bad node index", p.spec.name));
    if (p.role == PodRole::kDaemonSet) {
      auto& o = overhead[static_cast<std::size_t>(p.node)];
      o.cpu_milli += p.spec.cpu_milli;
      o.memory_mib += p.spec.memory_mib;
      ++o.pods;
    }
  }
  double saving = 0;
  std::vector<Overhead> added_overhead;
  std::vector<int> final_node(cluster.pods.size());
  for (std::size_t i = 0; i < cluster.pods.size(); ++i) final_node[i] = cluster.pods[i].node;
  std::vector<char> moved(cluster.pods.size(), 0);
  int evicted = 0;
  for (const auto& a : plan.actions) {
    double removed_usd = 0, added_usd = 0;
    for (int node : a.removed) {
      if (node < 0 || static_cast<std::size_t>(node) >= n || removed[static_cast<std::size_t>(node)])
        return fail(ErrorCode::kInvalidArgument, fmt::format("node index {} removed twice or unknown", node));
      removed[static_cast<std::size_t>(node)] = 1;
      removed_usd += cluster.nodes[static_cast<std::size_t>(node)].hourly_usd;
    }
    std::vector<int> rem = a.removed;
    const Overhead o = [&] {
      Overhead m;
      for (int node : rem) {
        const auto& x = overhead[static_cast<std::size_t>(node)];
        m.cpu_milli = std::max(m.cpu_milli, x.cpu_milli);
        m.memory_mib = std::max(m.memory_mib, x.memory_mib);
        m.pods = std::max(m.pods, x.pods);
      }
      return m;
    }();
    for (const auto& added : a.added) {
      NodeSpec s;
      s.name = added.name;
      s.cpu_milli = added.option.cpu_milli;
      s.memory_mib = added.option.memory_mib;
      s.max_pods = added.option.max_pods;
      s.gpu_count = added.option.gpu_count;
      s.labels = added.labels;
      specs.push_back(s);
      added_overhead.push_back(o);
      added_usd += added.option.hourly_usd;
    }
    if (std::abs(removed_usd - a.removed_hourly_usd) > 1e-9 || std::abs(added_usd - a.added_hourly_usd) > 1e-9)
      return fail(ErrorCode::kInvalidArgument, "action prices do not match its nodes");
    saving += (removed_usd - added_usd) * kHoursPerMonth;
    for (const auto& m : a.moves) {
      if (m.pod >= cluster.pods.size())
        return fail(ErrorCode::kInvalidArgument, fmt::format("move of unknown pod {}", m.pod));
      const ClusterPod& p = cluster.pods[m.pod];
      if (p.role != PodRole::kMovable)
        return fail(ErrorCode::kInvalidArgument, fmt::format("pod {} cannot move ({})", p.spec.name,
                                                             p.role == PodRole::kPinned ? p.pin_reason : "DaemonSet"));
      if (moved[m.pod]) return fail(ErrorCode::kInvalidArgument, fmt::format("pod {} moved twice", p.spec.name));
      if (m.target < 0 || static_cast<std::size_t>(m.target) >= specs.size())
        return fail(ErrorCode::kInvalidArgument, fmt::format("pod {}: unknown target {}", p.spec.name, m.target));
      moved[m.pod] = 1;
      ++evicted;
      final_node[m.pod] = m.target;
    }
  }
  // Every pod of a removed node must have moved (DaemonSet pods leave with it).
  for (std::size_t i = 0; i < cluster.pods.size(); ++i) {
    const ClusterPod& p = cluster.pods[i];
    if (removed[static_cast<std::size_t>(p.node)] && p.role != PodRole::kDaemonSet && !moved[i])
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("pod {} stays on removed node {}", p.spec.name,
                              cluster.nodes[static_cast<std::size_t>(p.node)].spec.name));
    if (static_cast<std::size_t>(final_node[i]) < n && removed[static_cast<std::size_t>(final_node[i])] && moved[i])
      return fail(ErrorCode::kInvalidArgument, fmt::format("pod {} moved to a removed node", p.spec.name));
  }
  if (options.max_disruption >= 0 && evicted > options.max_disruption)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{} pods evicted, --max-disruption {}", evicted, options.max_disruption));
  if (evicted != plan.evicted)
    return fail(ErrorCode::kInvalidArgument, fmt::format("plan says {} evicted, moves say {}", plan.evicted, evicted));
  if (std::abs(saving - plan.monthly_saving_usd) > 1e-6)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("plan saving {:.6f} != removed - added {:.6f}", plan.monthly_saving_usd, saving));
  // PDBs per removed node.
  for (std::size_t u = 0; u < n; ++u) {
    if (!removed[u]) continue;
    std::map<int, int> per;
    for (const auto& p : cluster.pods)
      if (p.node == static_cast<int>(u) && p.role == PodRole::kMovable && p.pdb >= 0) ++per[p.pdb];
    for (const auto& [pdb, count] : per)
      if (count > cluster.pdbs[static_cast<std::size_t>(pdb)].disruptions_allowed)
        return fail(ErrorCode::kInvalidArgument, fmt::format("node {} breaks PDB {}", cluster.nodes[u].spec.name,
                                                             cluster.pdbs[static_cast<std::size_t>(pdb)].name));
  }
  // Capacity: pods that stay are forced in (the store's averages may overshoot); then every
  // moved pod must pass every fit rule, and no node may end over capacity.
  std::vector<NodeState> states;
  for (const auto& s : specs) states.push_back(initialState(s));
  for (std::size_t k = 0; k < added_overhead.size(); ++k) {
    auto& st = states[n + k];
    st.cpu_free_milli -= added_overhead[k].cpu_milli;
    st.memory_free_mib -= added_overhead[k].memory_mib;
    if (st.pods_free >= 0) st.pods_free = std::max(0, st.pods_free - added_overhead[k].pods);
  }
  for (std::size_t i = 0; i < cluster.pods.size(); ++i) {
    if (moved[i] || removed[static_cast<std::size_t>(cluster.pods[i].node)]) continue;
    forcePlace(states[static_cast<std::size_t>(cluster.pods[i].node)], cluster.pods[i].spec);
  }
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < cluster.pods.size(); ++i)
    if (moved[i]) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (cluster.pods[a].spec.wantsGpu() != cluster.pods[b].spec.wantsGpu()) return cluster.pods[a].spec.wantsGpu();
    return biggerPod(cluster.pods[a].spec, cluster.pods[b].spec);
  });
  std::vector<std::int64_t> overshoot_cpu(specs.size()), overshoot_mem(specs.size());
  for (std::size_t u = 0; u < specs.size(); ++u) {
    overshoot_cpu[u] = std::min<std::int64_t>(0, states[u].cpu_free_milli);
    overshoot_mem[u] = std::min<std::int64_t>(0, states[u].memory_free_mib);
  }
  for (std::size_t i : order) {
    const auto t = static_cast<std::size_t>(final_node[i]);
    const PodSpec& p = cluster.pods[i].spec;
    const FitFailure ff = checkFit(specs[t], states[t], p);
    if (ff != FitFailure::kNone)
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("pod {} does not fit {}: {}", p.name, specs[t].name, describe(ff)));
    const GpuMask g = simpleDevicesFor(states[t], p);
    if (p.wantsGpu() && g == 0)
      return fail(ErrorCode::kInvalidArgument, fmt::format("pod {}: no devices on {}", p.name, specs[t].name));
    if (auto st = place(states[t], p, g); !st)
      return fail(ErrorCode::kInvalidArgument, fmt::format("{} on {}", st.error().message, specs[t].name));
  }
  return {};
}

std::string planJson(const ClusterDescription& c, const ConsolidationPlan& plan) {
  using model::jsonString;
  std::string o = "{";
  o += fmt::format("\"cluster\":{},\"pdbs\":{},\"local_storage\":{},", jsonString(c.cluster),
                   c.pdbs_known ? "\"in store\"" : "\"not in store\"",
                   c.local_storage_known ? "\"in store\"" : "\"not in store\"");
  o += fmt::format(
      "\"threshold_usd_per_disruption\":{:.4f},\"threshold_rule\":{},\"cluster_monthly_usd\":{:.2f},"
      "\"monthly_saving_usd\":{:.2f},\"evicted\":{},\"variant\":{},\"variants_evaluated\":{},"
      "\"variants_total\":{},\"deadline_hit\":{},\"elapsed_ms\":{:.1f},\"actions\":[",
      plan.threshold_usd, jsonString(plan.threshold_rule), plan.cluster_monthly_usd,
      plan.monthly_saving_usd, plan.evicted, jsonString(plan.chosen_variant),
      plan.variants_evaluated, plan.variants_total, plan.deadline_hit ? "true" : "false",
      plan.elapsed_ms);
  for (std::size_t ai = 0; ai < plan.actions.size(); ++ai) {
    const auto& a = plan.actions[ai];
    o += fmt::format("{}{{\"kind\":\"{}\",\"removed\":[", ai ? "," : "",
                     a.kind == ActionKind::kDelete ? "delete" : "replace");
    for (std::size_t k = 0; k < a.removed.size(); ++k) {
      const auto& node = c.nodes[static_cast<std::size_t>(a.removed[k])];
      o += fmt::format("{}{{\"node\":{},\"instance_type\":{},\"hourly_usd\":{:.6f}}}", k ? "," : "",
                       jsonString(node.spec.name), jsonString(node.instance_type), node.hourly_usd);
    }
    o += "],\"added\":[";
    for (std::size_t k = 0; k < a.added.size(); ++k) {
      std::string labels;
      for (const auto& [key, value] : a.added[k].labels)
        labels += fmt::format("{}{}:{}", labels.empty() ? "" : ",", jsonString(key), jsonString(value));
      o += fmt::format("{}{{\"node\":{},\"instance_type\":{},\"spot\":{},\"hourly_usd\":{:.6f},"
                       "\"labels\":{{{}}}}}",
                       k ? "," : "", jsonString(a.added[k].name),
                       jsonString(a.added[k].option.instance_type),
                       a.added[k].option.spot ? "true" : "false", a.added[k].option.hourly_usd, labels);
    }
    o += "],\"moves\":[";
    for (std::size_t k = 0; k < a.moves.size(); ++k) {
      o += fmt::format("{}{{\"pod\":{},\"from\":{},\"to\":{}}}", k ? "," : "",
                       jsonString(c.pods[a.moves[k].pod].spec.name),
                       jsonString(c.nodes[static_cast<std::size_t>(c.pods[a.moves[k].pod].node)].spec.name),
                       jsonString(a.moves[k].target_name));
    }
    o += fmt::format(
        "],\"removed_hourly_usd\":{:.6f},\"added_hourly_usd\":{:.6f},\"monthly_saving_usd\":{:.2f},"
        "\"evicted\":{},\"disruption_units\":{:.0f}}}",
        a.removed_hourly_usd, a.added_hourly_usd, a.monthlySaving(), a.evicted, a.disruption);
  }
  o += "],\"nodes\":[";
  for (std::size_t u = 0; u < c.nodes.size(); ++u) {
    const auto& node = c.nodes[u];
    o += fmt::format("{}{{\"node\":{},\"instance_type\":{},\"hourly_usd\":{:.6f},\"price_source\":{},"
                     "\"removed\":{},\"reason\":{}}}",
                     u ? "," : "", jsonString(node.spec.name), jsonString(node.instance_type),
                     node.hourly_usd, jsonString(node.price_source),
                     plan.verdicts[u].removed ? "true" : "false", jsonString(plan.verdicts[u].reason));
  }
  o += "],\"pools\":[";
  for (std::size_t k = 0; k < plan.pools.size(); ++k) {
    const auto& pt = plan.pools[k];
    o += fmt::format("{}{{\"pool\":{},\"nodes\":{},\"monthly_usd\":{:.2f},\"disruption_units\":{:.0f},"
                     "\"threshold_usd_per_disruption\":{:.4f}}}",
                     k ? "," : "", jsonString(pt.pool), pt.nodes, pt.monthly_usd,
                     pt.disruption_units, pt.threshold_usd);
  }
  o += "],\"strategies\":[";
  for (std::size_t k = 0; k < plan.strategies.size(); ++k) {
    const auto& s = plan.strategies[k];
    o += fmt::format("{}{{\"name\":{},\"nodes_removed\":{},\"nodes_added\":{},\"evicted\":{},"
                     "\"monthly_saving_usd\":{:.2f},\"actions\":{}}}",
                     k ? "," : "", jsonString(s.name), s.nodes_removed, s.nodes_added, s.evicted,
                     s.monthly_saving_usd, s.actions);
  }
  o += "],\"notes\":[";
  for (std::size_t k = 0; k < c.notes.size(); ++k) o += (k ? "," : "") + jsonString(c.notes[k]);
  return o + "]}";
}

}  // namespace trimtab::plan
