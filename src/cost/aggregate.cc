#include "cost/aggregate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "cost/window.h"

namespace trimtab::cost {

namespace {

constexpr int kCpu = 0, kRam = 1, kGpu = 2;
constexpr double kHoursPerMonth = 730.08;  // 30.42 days (Kubecost shareCost convention)

enum class KeyKind {
  kCluster,
  kNode,
  kNamespace,
  kControllerKind,
  kController,
  kDeployment,
  kStatefulSet,
  kDaemonSet,
  kJob,
  kPod,
  kContainer,
  kService,
  kProviderId,
  kRuntimeClass,
  kLabel,
  kAnnotation,
  kDepartment,
  kEnvironment,
  kOwner,
  kProduct,
  kTeam,
  kAll,
};

struct AggKey {
  KeyKind kind;
  std::string arg;  // label/annotation name
};

Result<std::vector<AggKey>> parseKeys(const std::vector<std::string>& aggregate) {
  static const std::pair<std::string_view, KeyKind> kNames[] = {
      {"cluster", KeyKind::kCluster},
      {"node", KeyKind::kNode},
      {"namespace", KeyKind::kNamespace},
      {"controllerKind", KeyKind::kControllerKind},
      {"controller", KeyKind::kController},
      {"deployment", KeyKind::kDeployment},
      {"statefulset", KeyKind::kStatefulSet},
      {"daemonset", KeyKind::kDaemonSet},
      {"job", KeyKind::kJob},
      {"pod", KeyKind::kPod},
      {"container", KeyKind::kContainer},
      {"service", KeyKind::kService},
      {"providerID", KeyKind::kProviderId},
      {"runtimeClass", KeyKind::kRuntimeClass},
      {"department", KeyKind::kDepartment},
      {"environment", KeyKind::kEnvironment},
      {"owner", KeyKind::kOwner},
      {"product", KeyKind::kProduct},
      {"team", KeyKind::kTeam},
      {"all", KeyKind::kAll},
  };
  std::vector<AggKey> keys;
  for (size_t i = 0; i < aggregate.size(); ++i) {
    std::string_view s = aggregate[i];
    bool found = false;
    for (const auto& [name, kind] : kNames) {
      if (s == name) {
        keys.push_back({kind, ""});
        found = true;
        break;
      }
    }
    if (found) continue;
    for (auto [prefix, kind] : {std::pair<std::string_view, KeyKind>{"label:", KeyKind::kLabel},
                                {"annotation:", KeyKind::kAnnotation}}) {
      if (s.substr(0, prefix.size()) == prefix) {
        if (s.size() == prefix.size()) {
          return fail(ErrorCode::kInvalidArgument,
                      fmt::format("aggregate[{}] \"{}\": expected a name after '{}'", i, s,
                                  prefix));
        }
        keys.push_back({kind, std::string(s.substr(prefix.size()))});
        found = true;
        break;
      }
    }
    if (!found) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("aggregate[{}] \"{}\": unknown aggregation key; expected cluster, "
                              "node, namespace, controllerKind, controller, deployment, "
                              "statefulset, daemonset, job, pod, container, service, providerID, "
                              "runtimeClass, label:<name>, annotation:<name>, department, "
                              "environment, owner, product, team or all",
                              i, s));
    }
  }
  return keys;
}


const std::string* lookup(const StringMap& map, const std::string& raw,
                          const std::string& sanitized) {
  if (const std::string* v = findInMap(map, raw)) return v;
  if (sanitized != raw) return findInMap(map, sanitized);
  return nullptr;
}

struct PreparedKey {
  KeyKind kind;
  std::string raw, sanitized;
  const std::vector<std::string>* alias = nullptr;
};

void appendOr(std::string& out, std::string_view v) {
  out += v.empty() ? kUnallocatedName : v;
}

void appendKeyValue(std::string& out, const PreparedKey& k, const AllocationProperties& p) {
  auto controllerOf = [&](std::string_view kind) {
    appendOr(out, p.controller_kind == kind ? std::string_view(p.controller) : "");
  };
  switch (k.kind) {
    case KeyKind::kCluster:
      return appendOr(out, p.cluster);
    case KeyKind::kNode:
      return appendOr(out, p.node);
    case KeyKind::kNamespace:
      return appendOr(out, p.namespace_name);
    case KeyKind::kControllerKind:
      return appendOr(out, p.controller_kind);
    case KeyKind::kController:
      if (p.controller.empty()) return appendOr(out, "");
      if (!p.controller_kind.empty()) {
        out += p.controller_kind;
        out += ':';
      }
      out += p.controller;
      return;
    case KeyKind::kDeployment:
      return controllerOf("deployment");
    case KeyKind::kStatefulSet:
      return controllerOf("statefulset");
    case KeyKind::kDaemonSet:
      return controllerOf("daemonset");
    case KeyKind::kJob:
      return controllerOf("job");
    case KeyKind::kPod:
      return appendOr(out, p.pod);
    case KeyKind::kContainer:
      return appendOr(out, p.container);
    case KeyKind::kService:
      return appendOr(out, p.services.empty() ? std::string_view() : p.services.front());
    case KeyKind::kProviderId:
      return appendOr(out, p.provider_id);
    case KeyKind::kRuntimeClass:
      return appendOr(out, p.runtime_class);
    case KeyKind::kLabel: {
      const std::string* v = lookup(p.labels, k.raw, k.sanitized);
      return appendOr(out, v ? std::string_view(*v) : "");
    }
    case KeyKind::kAnnotation: {
      const std::string* v = lookup(p.annotations, k.raw, k.sanitized);
      return appendOr(out, v ? std::string_view(*v) : "");
    }
    case KeyKind::kDepartment:
    case KeyKind::kEnvironment:
    case KeyKind::kOwner:
    case KeyKind::kProduct:
    case KeyKind::kTeam: {
      const std::string* v = nullptr;
      for (const auto& n : *k.alias)
        if ((v = lookup(p.labels, n, sanitizeLabelKey(n)))) break;
      if (!v)
        for (const auto& n : *k.alias)
          if ((v = lookup(p.annotations, n, sanitizeLabelKey(n)))) break;
      return appendOr(out, v ? std::string_view(*v) : "");
    }
    case KeyKind::kAll:
      out += "__all__";
      return;
  }
}

double resourceCost(const Allocation& a, int r) {
  return r == kCpu ? a.cpuTotalCost() : r == kRam ? a.ramTotalCost() : a.gpuTotalCost();
}
double resourceQty(const Allocation& a, int r) {
  return r == kCpu ? a.cpu_core_hours : r == kRam ? a.ram_byte_hours : a.gpu_hours;
}

struct Vec3 {
  double v[3] = {0, 0, 0};
  double& operator[](int i) { return v[i]; }
  double operator[](int i) const { return v[i]; }
  void addScaled(const Vec3& o, double s) {
    for (int r = 0; r < 3; ++r) v[r] += o.v[r] * s;
  }
  bool nonzero() const { return v[0] != 0 || v[1] != 0 || v[2] != 0; }
  double sum() const { return v[0] + v[1] + v[2]; }
};

// Idle/attribution state of one idle key (a cluster, or a node of a cluster).
struct IdleKey {
  std::string cluster, node, provider_id;
  Vec3 asset_cost, asset_qty, alloc_cost, alloc_qty;
  double pv_cost = 0, lb_cost = 0;
  // Derived: consumable idle (some allocation used the resource), unconsumed idle, overallocated.
  Vec3 idle_cost, idle_qty, unc_cost, unc_qty, over_cost;
  double elig_total = 0;
  // Attribution to allocations that passed the filter (their own share).
  Vec3 att_idle, att_idle_qty, att_unc, att_unc_qty, att_over;
  // Attribution to shared allocations; flows to receivers with their shared fraction.
  Vec3 sh_idle, sh_idle_qty, sh_unc, sh_unc_qty, sh_over;
};

struct Attribution {
  Vec3 idle, idle_qty, unc, unc_qty, over;
};

Attribution attribute(const Allocation& a, const IdleKey& k) {
  Attribution out;
  double elig = a.cpuTotalCost() + a.ramTotalCost() + a.gpuTotalCost();
  double elig_frac = k.elig_total != 0 ? elig / k.elig_total : 0;
  for (int r = 0; r < 3; ++r) {
    if (k.alloc_cost[r] != 0) {
      double f = resourceCost(a, r) / k.alloc_cost[r];
      out.idle[r] = k.idle_cost[r] * f;
      out.idle_qty[r] = k.idle_qty[r] * f;
      out.over[r] = k.over_cost[r] * f;
    } else {
      out.over[r] = k.over_cost[r] * elig_frac;
    }
    out.unc[r] = k.unc_cost[r] * elig_frac;
    out.unc_qty[r] = k.unc_qty[r] * elig_frac;
  }
  return out;
}

struct Group {
  std::string name;
  bool started = false;
  Allocation result;
  double recv_weight = 0;
  std::int64_t recv_count = 0;
  double frac = 0;  // Σ receiver fractions of the passing members
  Vec3 idle_cost, idle_qty;
  std::map<int, ProportionalAssetResourceCost> parc;
  int breakdown = -1;  // index into breakdown sources when the group has shared members
};

void addResource(Allocation& a, int r, double cost, double qty) {
  if (r == kCpu) {
    a.cpu_cost += cost;
    a.cpu_cost_idle += cost;
    a.cpu_core_hours += qty;
  } else if (r == kRam) {
    a.ram_cost += cost;
    a.ram_cost_idle += cost;
    a.ram_byte_hours += qty;
  } else {
    a.gpu_cost += cost;
    a.gpu_cost_idle += cost;
    a.gpu_hours += qty;
  }
}

Allocation makeLine(std::string name, const IdleKey& k, bool by_node, const AllocationSet& in) {
  Allocation line;
  line.name = std::move(name);
  line.properties.cluster = k.cluster;
  if (by_node) {
    line.properties.node = k.node;
    line.properties.provider_id = k.provider_id;
  }
  line.window_start = line.start = in.window_start;
  line.window_end = line.end = in.window_end;
  return line;
}

// Sorts by name through an index permutation: Allocation is large, moving it O(n log n) times
// costs far more than one gather pass.
void sortByName(std::vector<Allocation>& allocs) {
  std::vector<size_t> order(allocs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return allocs[a].name < allocs[b].name; });
  bool sorted = true;
  for (size_t i = 0; i < order.size() && sorted; ++i) sorted = order[i] == i;
  if (sorted) return;
  std::vector<Allocation> out;
  out.reserve(allocs.size());
  for (size_t i : order) out.push_back(std::move(allocs[i]));
  allocs = std::move(out);
}

Status checkSorted(const Allocation& a) {
  const std::pair<const StringMap*, std::string_view> maps[] = {
      {&a.properties.labels, "labels"},
      {&a.properties.annotations, "annotations"},
      {&a.properties.namespace_labels, "namespace_labels"},
      {&a.properties.namespace_annotations, "namespace_annotations"}};
  for (const auto& [m, field] : maps) {
    if (!isSortedStringMap(*m)) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("allocation \"{}\": properties.{}: keys must be sorted and unique "
                              "(use sortStringMap)",
                              a.name, field));
    }
  }
  return {};
}

}  // namespace

std::string sanitizeLabelKey(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_';
    if (!ok) c = '_';
  }
  return out;
}

Status validateAggregate(const std::vector<std::string>& aggregate) {
  auto k = parseKeys(aggregate);
  if (!k) return fail(k.error());
  return {};
}

Result<AllocationSet> computeAllocation(const AllocationSet& in, const AssetCosts& assets,
                                        const AllocationQuery& q) {
  auto parsed = parseKeys(q.aggregate);
  if (!parsed) return fail(parsed.error());
  std::vector<PreparedKey> keys;
  for (const auto& k : *parsed) {
    PreparedKey pk{k.kind, k.arg, sanitizeLabelKey(k.arg), nullptr};
    switch (k.kind) {
      case KeyKind::kDepartment:
        pk.alias = &q.aliases.department;
        break;
      case KeyKind::kEnvironment:
        pk.alias = &q.aliases.environment;
        break;
      case KeyKind::kOwner:
        pk.alias = &q.aliases.owner;
        break;
      case KeyKind::kProduct:
        pk.alias = &q.aliases.product;
        break;
      case KeyKind::kTeam:
        pk.alias = &q.aliases.team;
        break;
      default:
        break;
    }
    keys.push_back(std::move(pk));
  }
  if (!std::isfinite(in.window_start) || !std::isfinite(in.window_end) ||
      in.window_end < in.window_start) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("allocation set: window [{}, {}) is not a valid interval",
                            in.window_start, in.window_end));
  }

  const auto& allocs = in.allocations;
  const size_t n = allocs.size();
  for (const auto& a : allocs) {
    if (auto s = checkSorted(a); !s) return fail(s.error());
  }

  const bool compute_idle = q.include_idle || q.share_idle;
  const bool parc_on = q.include_proportional_asset_resource_costs;
  const bool need_keys = compute_idle || parc_on;
  const bool filtered = q.filter.has_value();
  const bool aggregated = !keys.empty();

  // --- Pass 0: idle keys (assets and allocation sums per cluster or node) ---
  std::vector<IdleKey> idle_keys;
  std::vector<int> idle_of(n, -1);
  if (need_keys) {
    std::unordered_map<std::string, int> index;
    std::string buf;
    auto find = [&](const std::string& cluster, const std::string& node) {
      buf.assign(cluster);
      if (q.idle_by_node) {
        buf += '\0';
        buf += node;
      }
      auto it = index.find(buf);
      if (it != index.end()) return it->second;
      int id = static_cast<int>(idle_keys.size());
      index.emplace(buf, id);
      IdleKey k;
      k.cluster = cluster;
      if (q.idle_by_node) k.node = node;
      idle_keys.push_back(std::move(k));
      return id;
    };
    for (const auto& nc : assets.nodes) {
      IdleKey& k = idle_keys[static_cast<size_t>(find(nc.cluster, nc.node))];
      if (q.idle_by_node && k.provider_id.empty()) k.provider_id = nc.provider_id;
      k.asset_cost[kCpu] += nc.cpu_cost;
      k.asset_cost[kRam] += nc.ram_cost;
      k.asset_cost[kGpu] += nc.gpu_cost;
      k.asset_qty[kCpu] += nc.cpu_core_hours;
      k.asset_qty[kRam] += nc.ram_byte_hours;
      k.asset_qty[kGpu] += nc.gpu_hours;
    }
    for (size_t i = 0; i < n; ++i) {
      const Allocation& a = allocs[i];
      int id = find(a.properties.cluster, a.properties.node);
      idle_of[i] = id;
      IdleKey& k = idle_keys[static_cast<size_t>(id)];
      if (q.idle_by_node && k.provider_id.empty()) k.provider_id = a.properties.provider_id;
      for (int r = 0; r < 3; ++r) {
        k.alloc_cost[r] += resourceCost(a, r);
        k.alloc_qty[r] += resourceQty(a, r);
      }
      k.pv_cost += a.pvTotalCost();
      k.lb_cost += a.lbTotalCost();
    }
    for (auto& k : idle_keys) {
      k.elig_total = k.alloc_cost.sum();
      for (int r = 0; r < 3; ++r) {
        double diff = k.asset_cost[r] - k.alloc_cost[r];
        double idle = std::max(0.0, diff);
        double qty = idle > 0 ? std::max(0.0, k.asset_qty[r] - k.alloc_qty[r]) : 0.0;
        k.over_cost[r] = std::min(0.0, diff);
        if (k.alloc_cost[r] != 0) {
          k.idle_cost[r] = idle;
          k.idle_qty[r] = qty;
        } else {
          k.unc_cost[r] = idle;
          k.unc_qty[r] = qty;
        }
      }
    }
  }

  // --- Pass 1: shared flags, aggregation keys, receiver weights ---
  std::vector<char> shared(n, 0);
  if (!q.share_namespaces.empty() || !q.share_labels.empty()) {
    for (size_t i = 0; i < n; ++i) {
      const auto& p = allocs[i].properties;
      bool s = std::find(q.share_namespaces.begin(), q.share_namespaces.end(),
                         p.namespace_name) != q.share_namespaces.end();
      for (size_t j = 0; !s && j < q.share_labels.size(); ++j) {
        const auto& [lk, lv] = q.share_labels[j];
        const std::string* v = lookup(p.labels, lk, sanitizeLabelKey(lk));
        s = v && *v == lv;
      }
      shared[i] = s ? 1 : 0;
    }
  }

  std::vector<Group> groups;
  std::vector<int> group_of(n, -1);
  {
    std::unordered_map<std::string, int> index;
    index.reserve(aggregated ? 1024 : n);
    groups.reserve(aggregated ? 1024 : n);
    std::string buf;
    for (size_t i = 0; i < n; ++i) {
      const Allocation& a = allocs[i];
      buf.clear();
      if (!aggregated) {
        if (a.name.empty()) {
          buf = containerGrainName(a.properties);
        } else {
          buf = a.name;
        }
      } else {
        for (size_t k = 0; k < keys.size(); ++k) {
          if (k) buf += '/';
          appendKeyValue(buf, keys[k], a.properties);
        }
      }
      auto it = index.find(buf);
      int g;
      if (it == index.end()) {
        g = static_cast<int>(groups.size());
        index.emplace(buf, g);
        groups.emplace_back();
        groups.back().name = buf;
      } else {
        g = it->second;
      }
      group_of[i] = g;
    }
  }
  // Receivers are fixed here: when nobody can receive, shared allocations turn back into
  // regular ones below but still receive nothing.
  std::vector<char> receiver(n, 0);
  for (size_t i = 0; i < n; ++i) receiver[i] = !shared[i] && !allocs[i].isUnmounted();
  auto isReceiver = [&](size_t i) { return receiver[i] != 0; };
  double total_weight = 0;
  bool any_receiver = false;
  for (size_t i = 0; i < n; ++i) {
    if (!isReceiver(i)) continue;
    double w = allocs[i].totalCost() - allocs[i].shared_cost;
    Group& g = groups[static_cast<size_t>(group_of[i])];
    g.recv_weight += w;
    g.recv_count += 1;
    total_weight += w;
    any_receiver = true;
  }
  if (!any_receiver) std::fill(shared.begin(), shared.end(), 0);
  std::int64_t recv_groups = 0;
  for (const auto& g : groups)
    if (g.recv_count > 0) ++recv_groups;
  const bool weighted = q.share_split == ShareSplit::kWeighted && total_weight != 0;
  auto fraction = [&](size_t i) -> double {
    const Group& g = groups[static_cast<size_t>(group_of[i])];
    double w = allocs[i].totalCost() - allocs[i].shared_cost;
    if (weighted) return w / total_weight;
    double inside = g.recv_weight != 0 ? w / g.recv_weight : 1.0 / static_cast<double>(g.recv_count);
    return inside / static_cast<double>(recv_groups);
  };

  // --- Shared pool ---
  std::vector<SharedCostBreakdown> breakdowns;  // one per shared source
  double pool = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!shared[i]) continue;
    const Allocation& a = allocs[i];
    Group& g = groups[static_cast<size_t>(group_of[i])];
    if (g.breakdown < 0) {
      g.breakdown = static_cast<int>(breakdowns.size());
      breakdowns.push_back(SharedCostBreakdown{g.name});
    }
    SharedCostBreakdown& b = breakdowns[static_cast<size_t>(g.breakdown)];
    double total = a.totalCost();
    b.total_cost += total;
    b.cpu_cost += a.cpuTotalCost();
    b.gpu_cost += a.gpuTotalCost();
    b.ram_cost += a.ramTotalCost();
    b.pv_cost += a.pvTotalCost();
    b.network_cost += a.networkTotalCost();
    b.lb_cost += a.lbTotalCost();
    b.external_cost += a.external_cost;
    pool += total;
    if (compute_idle && idle_of[i] >= 0) {
      IdleKey& k = idle_keys[static_cast<size_t>(idle_of[i])];
      Attribution at = attribute(a, k);
      if (q.share_idle) {
        double idle = at.idle.sum();
        pool += idle;
        b.total_cost += idle;
        b.cpu_cost += at.idle[kCpu];
        b.ram_cost += at.idle[kRam];
        b.gpu_cost += at.idle[kGpu];
      }
      k.sh_idle.addScaled(at.idle, 1);
      k.sh_idle_qty.addScaled(at.idle_qty, 1);
      k.sh_unc.addScaled(at.unc, 1);
      k.sh_unc_qty.addScaled(at.unc_qty, 1);
      k.sh_over.addScaled(at.over, 1);
    }
  }
  const double window_hours = (in.window_end - in.window_start) / 3600.0;
  const double overhead = (q.shared_hourly_cost + q.share_cost_monthly / kHoursPerMonth) * window_hours;
  if (overhead != 0) {
    if (any_receiver) {
      pool += overhead;
      SharedCostBreakdown b{std::string(kSharedName)};
      b.total_cost = overhead;
      breakdowns.push_back(b);
    }
  }

  // --- Pass 2: filter, merge into groups, attribute idle ---
  double pass_frac = 0;
  const bool keep_meta = !aggregated || q.include_aggregated_metadata;
  for (size_t i = 0; i < n; ++i) {
    if (shared[i]) continue;
    const Allocation& a = allocs[i];
    if (filtered && !q.filter->matches(a.properties, q.aliases)) continue;
    Group& g = groups[static_cast<size_t>(group_of[i])];
    if (!g.started) {
      g.started = true;
      g.result = a;
      g.result.name = g.name;
      if (!keep_meta) g.result.properties.clearMetadata();
    } else {
      g.result.add(a, keep_meta);
    }
    if (compute_idle || parc_on) {
      IdleKey& k = idle_keys[static_cast<size_t>(idle_of[i])];
      if (compute_idle) {
        Attribution at = attribute(a, k);
        if (q.share_idle) {
          g.idle_cost.addScaled(at.idle, 1);
          g.idle_qty.addScaled(at.idle_qty, 1);
        } else {
          k.att_idle.addScaled(at.idle, 1);
          k.att_idle_qty.addScaled(at.idle_qty, 1);
        }
        k.att_unc.addScaled(at.unc, 1);
        k.att_unc_qty.addScaled(at.unc_qty, 1);
        k.att_over.addScaled(at.over, 1);
      }
      if (parc_on) {
        auto& p = g.parc[idle_of[i]];
        p.cpu_proportional_cost += a.cpuTotalCost();
        p.ram_proportional_cost += a.ramTotalCost();
        p.gpu_proportional_cost += a.gpuTotalCost();
        p.pv_proportional_cost += a.pvTotalCost();
        p.lb_proportional_cost += a.lbTotalCost();
      }
    }
    if (isReceiver(i)) {
      double f = fraction(i);
      g.frac += f;
      pass_frac += f;
    }
  }

  // --- Finish groups ---
  AllocationSet out;
  out.window_start = in.window_start;
  out.window_end = in.window_end;
  out.allocations.reserve(groups.size() + 2 * idle_keys.size() + 1);
  for (auto& g : groups) {
    if (!g.started) continue;
    Allocation& a = g.result;
    if (q.share_idle) {
      for (int r = 0; r < 3; ++r) addResource(a, r, g.idle_cost[r], g.idle_qty[r]);
    }
    if (g.frac != 0 && pool != 0) {
      a.shared_cost += g.frac * pool;
      if (q.include_shared_cost_breakdown) {
        for (const auto& b : breakdowns) {
          SharedCostBreakdown s{b.name};
          s.total_cost = b.total_cost * g.frac;
          s.cpu_cost = b.cpu_cost * g.frac;
          s.gpu_cost = b.gpu_cost * g.frac;
          s.ram_cost = b.ram_cost * g.frac;
          s.pv_cost = b.pv_cost * g.frac;
          s.network_cost = b.network_cost * g.frac;
          s.lb_cost = b.lb_cost * g.frac;
          s.external_cost = b.external_cost * g.frac;
          auto [it, inserted] = a.shared_cost_breakdown.try_emplace(b.name, s);
          if (!inserted) it->second.add(s);
        }
      }
    }
    if (parc_on) {
      for (auto& [kid, p] : g.parc) {
        const IdleKey& k = idle_keys[static_cast<size_t>(kid)];
        p.cluster = k.cluster;
        p.node = k.node;
        p.provider_id = k.provider_id;
        p.cpu_total_cost = k.asset_cost[kCpu];
        p.ram_total_cost = k.asset_cost[kRam];
        p.gpu_total_cost = k.asset_cost[kGpu];
        p.pv_total_cost = k.pv_cost;
        p.lb_total_cost = k.lb_cost;
        std::string key = q.idle_by_node ? k.cluster + "," + k.node : k.cluster;
        auto [it, inserted] = a.proportional_asset_resource_costs.try_emplace(key, p);
        if (!inserted) it->second.add(p);
      }
    }
    out.allocations.push_back(std::move(a));
  }

  // --- Idle and overallocated lines ---
  if (compute_idle) {
    std::unordered_map<std::string, size_t> line_index;
    auto emit = [&](Allocation line) {
      auto it = line_index.find(line.name);
      if (it == line_index.end()) {
        line_index.emplace(line.name, out.allocations.size());
        out.allocations.push_back(std::move(line));
      } else {
        out.allocations[it->second].add(line, false);
      }
    };
    for (const auto& k : idle_keys) {
      Vec3 idle, idle_qty, over;
      if (filtered) {
        if (!q.share_idle) {
          idle = k.att_idle;
          idle.addScaled(k.sh_idle, pass_frac);
          idle_qty = k.att_idle_qty;
          idle_qty.addScaled(k.sh_idle_qty, pass_frac);
        }
        idle.addScaled(k.att_unc, 1);
        idle.addScaled(k.sh_unc, pass_frac);
        idle_qty.addScaled(k.att_unc_qty, 1);
        idle_qty.addScaled(k.sh_unc_qty, pass_frac);
        over = k.att_over;
        over.addScaled(k.sh_over, pass_frac);
      } else {
        if (!q.share_idle) {
          idle = k.idle_cost;
          idle_qty = k.idle_qty;
        }
        idle.addScaled(k.unc_cost, 1);
        idle_qty.addScaled(k.unc_qty, 1);
        over = k.over_cost;
      }
      const std::string& prefix = q.idle_by_node ? k.node : k.cluster;
      bool always = !filtered && q.include_idle && !q.share_idle;
      if (always || idle.nonzero()) {
        std::string name = q.split_idle ? (prefix.empty() ? std::string(kUnallocatedName) : prefix) +
                                              "/" + std::string(kIdleName)
                                        : std::string(kIdleName);
        Allocation line = makeLine(std::move(name), k, q.idle_by_node, in);
        line.cpu_cost = idle[kCpu];
        line.ram_cost = idle[kRam];
        line.gpu_cost = idle[kGpu];
        line.cpu_core_hours = idle_qty[kCpu];
        line.ram_byte_hours = idle_qty[kRam];
        line.gpu_hours = idle_qty[kGpu];
        emit(std::move(line));
      }
      if (over.nonzero()) {
        std::string name =
            q.split_idle ? (prefix.empty() ? std::string(kUnallocatedName) : prefix) + "/" +
                               std::string(kOverallocatedName)
                         : std::string(kOverallocatedName);
        Allocation line = makeLine(std::move(name), k, q.idle_by_node, in);
        line.cpu_cost = over[kCpu];
        line.ram_cost = over[kRam];
        line.gpu_cost = over[kGpu];
        emit(std::move(line));
      }
    }
  }
  if (overhead != 0 && !any_receiver && !filtered) {
    Allocation line;
    line.name = std::string(kSharedName);
    line.window_start = line.start = in.window_start;
    line.window_end = line.end = in.window_end;
    line.shared_cost = overhead;
    out.allocations.push_back(std::move(line));
  }

  sortByName(out.allocations);
  return out;
}

Result<Accumulate> parseAccumulate(std::string_view text) {
  static const std::pair<std::string_view, Accumulate> kNames[] = {
      {"", Accumulate::kNone},        {"false", Accumulate::kNone},
      {"none", Accumulate::kNone},    {"true", Accumulate::kAll},
      {"all", Accumulate::kAll},      {"hour", Accumulate::kHour},
      {"day", Accumulate::kDay},      {"week", Accumulate::kWeek},
      {"month", Accumulate::kMonth},  {"quarter", Accumulate::kQuarter},
  };
  for (const auto& [name, v] : kNames)
    if (text == name) return v;
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("accumulate \"{}\": expected true, false, all, hour, day, week, month "
                          "or quarter",
                          text));
}

AllocationSet mergeSets(const std::vector<AllocationSet>& sets) {
  AllocationSet out;
  if (sets.empty()) return out;
  out.window_start = sets.front().window_start;
  out.window_end = sets.front().window_end;
  std::unordered_map<std::string, size_t> index;
  for (const auto& s : sets) {
    out.window_start = std::min(out.window_start, s.window_start);
    out.window_end = std::max(out.window_end, s.window_end);
    for (const auto& a : s.allocations) {
      auto it = index.find(a.name);
      if (it == index.end()) {
        index.emplace(a.name, out.allocations.size());
        out.allocations.push_back(a);
      } else {
        out.allocations[it->second].add(a, true);
      }
    }
  }
  sortByName(out.allocations);
  return out;
}

Result<std::vector<AllocationSet>> computeAllocationRange(const std::vector<StepInput>& steps,
                                                          const AllocationQuery& query,
                                                          Accumulate accumulate,
                                                          int utc_offset_seconds) {
  std::vector<AllocationSet> per_step;
  per_step.reserve(steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    auto r = computeAllocation(steps[i].container_grain, steps[i].assets, query);
    if (!r) return fail(r.error().withContext(fmt::format("step {}", i)));
    per_step.push_back(std::move(*r));
  }
  if (accumulate == Accumulate::kNone || per_step.empty()) return per_step;

  auto bucketOf = [&](double t) -> std::int64_t {
    auto local = static_cast<std::int64_t>(std::floor(t)) + utc_offset_seconds;
    auto fdiv = [](std::int64_t a, std::int64_t b) {
      std::int64_t qd = a / b;
      if ((a % b != 0) && ((a < 0) != (b < 0))) --qd;
      return qd;
    };
    std::int64_t days = fdiv(local, 86400);
    int y;
    unsigned m, d;
    switch (accumulate) {
      case Accumulate::kHour:
        return fdiv(local, 3600);
      case Accumulate::kDay:
        return days;
      case Accumulate::kWeek:
        return fdiv(days + 4, 7);  // weeks start on Sunday (1970-01-01 was a Thursday)
      case Accumulate::kMonth:
        civilFromDays(days, y, m, d);
        return static_cast<std::int64_t>(y) * 12 + m;
      case Accumulate::kQuarter:
        civilFromDays(days, y, m, d);
        return static_cast<std::int64_t>(y) * 4 + (m - 1) / 3;
      default:
        return 0;
    }
  };
  std::vector<AllocationSet> out;
  std::vector<AllocationSet> bucket;
  std::int64_t current = 0;
  for (size_t i = 0; i < per_step.size(); ++i) {
    std::int64_t b = bucketOf(per_step[i].window_start);
    if (!bucket.empty() && b != current) {
      out.push_back(mergeSets(bucket));
      bucket.clear();
    }
    current = b;
    bucket.push_back(std::move(per_step[i]));
  }
  if (!bucket.empty()) out.push_back(mergeSets(bucket));
  return out;
}

}  // namespace trimtab::cost
