#include "query/allocation_reader.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "model/runtime_class.h"

namespace trimtab::query {

namespace {

using store::Dimensions;
constexpr std::uint32_t kUnmountedGroup = std::numeric_limits<std::uint32_t>::max();

struct Needs {
  bool node = false, namespace_name = false, controller = false, pod = false, container = false;
  bool services = false;
  bool runtime_class = false;  // runtime_class and wasm
  bool full = false;  // container grain with every property
  std::vector<std::string> label_keys, annotation_keys;
};

Needs needsOf(const cost::AllocationQuery& q) {
  Needs n;
  if (q.filter.has_value() || q.include_aggregated_metadata || q.aggregate.empty()) {
    n.full = true;
    return n;
  }
  n.node = q.idle_by_node || q.include_proportional_asset_resource_costs;
  n.namespace_name = !q.share_namespaces.empty();
  for (const auto& [k, v] : q.share_labels) n.label_keys.push_back(k);
  auto alias = [&](const std::vector<std::string>& keys) {
    n.label_keys.insert(n.label_keys.end(), keys.begin(), keys.end());
    n.annotation_keys.insert(n.annotation_keys.end(), keys.begin(), keys.end());
  };
  for (const std::string& key : q.aggregate) {
    if (key == "node" || key == "providerID") n.node = true;
    else if (key == "namespace") n.namespace_name = true;
    else if (key == "controllerKind" || key == "controller" || key == "deployment" ||
             key == "statefulset" || key == "daemonset" || key == "job") n.controller = true;
    else if (key == "pod") n.pod = n.namespace_name = true;
    else if (key == "container") n.container = true;
    else if (key == "service") n.services = true;
    else if (key == "runtimeClass") n.runtime_class = true;
    else if (key.starts_with("label:")) n.label_keys.push_back(key.substr(6));
    else if (key.starts_with("annotation:")) n.annotation_keys.push_back(key.substr(11));
    else if (key == "department") alias(q.aliases.department);
    else if (key == "environment") alias(q.aliases.environment);
    else if (key == "owner") alias(q.aliases.owner);
    else if (key == "product") alias(q.aliases.product);
    else if (key == "team") alias(q.aliases.team);
  }
  return n;
}

cost::StringMap labelMap(const Dimensions& dims, std::uint32_t set,
                         const std::vector<std::string>* only) {
  cost::StringMap out;
  for (const auto& [k, v] : dims.labels(set)) {
    const std::string_view key = dims.str(k);
    if (only != nullptr &&
        std::none_of(only->begin(), only->end(), [&](const std::string& wanted) {
          return key == wanted || key == cost::sanitizeLabelKey(wanted);
        })) {
      continue;
    }
    out.emplace_back(std::string(key), std::string(dims.str(v)));
  }
  cost::sortStringMap(out);
  return out;
}

// Groups of containers that the query cannot tell apart, with their properties.
struct Grouping {
  std::vector<std::uint32_t> group_of;  // by container dim id
  std::vector<char> wasm;               // by container dim id: model::isWasmRuntime
  std::vector<cost::AllocationProperties> props;
  std::vector<std::string> names;
};

Grouping groupContainers(const Dimensions& dims, const Needs& needs) {
  Grouping g;
  const std::size_t n = dims.containerCount();
  g.group_of.resize(n);
  g.wasm.resize(n);
  std::map<std::vector<std::uint32_t>, std::uint32_t> index;
  std::vector<std::uint32_t> key;
  for (std::uint32_t id = 0; id < n; ++id) {
    const store::ContainerDim& d = dims.container(id);
    cost::AllocationProperties p;
    p.cluster = dims.str(d.cluster);
    if (d.runtime_class != 0) {  // no runtime class (the common case): not WASM
      const std::string_view* variant =
          dims.labelValue(d.annotations, model::kWasmVariantAnnotation);
      if (variant == nullptr) {
        variant = dims.labelValue(d.annotations, model::kWasmVariantAnnotationSanitized);
      }
      g.wasm[id] = model::isWasmRuntime(dims.str(d.runtime_class),
                                        variant != nullptr ? *variant : std::string_view());
    }
    if (needs.full || needs.runtime_class) {
      p.runtime_class = dims.str(d.runtime_class);
      p.wasm = g.wasm[id] != 0;
    }
    if (needs.full || needs.node) {
      p.node = dims.str(d.node);
      p.provider_id = dims.str(d.provider_id);
    }
    if (needs.full || needs.namespace_name) p.namespace_name = dims.str(d.namespace_name);
    if (needs.full || needs.controller) {
      p.controller_kind = dims.str(d.controller_kind);
      p.controller = dims.str(d.controller);
    }
    if (needs.full || needs.pod) p.pod = dims.str(d.pod);
    if (needs.full || needs.container) p.container = dims.str(d.container);
    if (needs.full || needs.services) {
      for (const auto& [svc, unused] : dims.labels(d.services)) p.services.emplace_back(dims.str(svc));
    }
    if (needs.full) {
      p.labels = labelMap(dims, d.labels, nullptr);
      p.annotations = labelMap(dims, d.annotations, nullptr);
      p.namespace_labels = labelMap(dims, d.namespace_labels, nullptr);
      p.namespace_annotations = labelMap(dims, d.namespace_annotations, nullptr);
      g.group_of[id] = static_cast<std::uint32_t>(g.props.size());
      g.names.push_back(fmt::format("{}/{}/{}/{}/{}", p.cluster, p.node, p.namespace_name, p.pod,
                                    p.container));
      g.props.push_back(std::move(p));
      continue;
    }
    if (!needs.label_keys.empty()) p.labels = labelMap(dims, d.labels, &needs.label_keys);
    if (!needs.annotation_keys.empty()) {
      p.annotations = labelMap(dims, d.annotations, &needs.annotation_keys);
    }
    // The grouping key: dimension ids of the observable properties.
    key.assign({d.cluster, needs.node ? d.node : 0, needs.node ? d.provider_id : 0,
                needs.namespace_name ? d.namespace_name : 0,
                needs.controller ? d.controller_kind : 0, needs.controller ? d.controller : 0,
                needs.pod ? d.pod : 0, needs.container ? d.container : 0,
                needs.services ? d.services : 0, needs.runtime_class ? d.runtime_class : 0,
                needs.runtime_class ? static_cast<std::uint32_t>(g.wasm[id]) : 0u});
    for (const auto& [k, v] : p.labels) key.push_back(static_cast<std::uint32_t>(std::hash<std::string>()(k + "=" + v)));
    key.push_back(0xffffffffu);
    for (const auto& [k, v] : p.annotations) key.push_back(static_cast<std::uint32_t>(std::hash<std::string>()(k + "=" + v)));
    auto [it, inserted] = index.emplace(key, static_cast<std::uint32_t>(g.props.size()));
    if (inserted) {
      g.names.push_back(fmt::format("{}/{}/{}/{}/{}#{}", p.cluster, p.node, p.namespace_name,
                                    p.pod, p.container, it->second));
      g.props.push_back(std::move(p));
    } else if (g.props[it->second].labels != p.labels ||
               g.props[it->second].annotations != p.annotations) {
      // A hash collision between different label values: keep them apart.
      const auto gid = static_cast<std::uint32_t>(g.props.size());
      g.names.push_back(fmt::format("{}/{}/{}/{}/{}#{}", p.cluster, p.node, p.namespace_name,
                                    p.pod, p.container, gid));
      g.props.push_back(std::move(p));
      g.group_of[id] = gid;
      continue;
    }
    g.group_of[id] = it->second;
  }
  return g;
}

struct GroupAcc {
  double start = std::numeric_limits<double>::max(), end = std::numeric_limits<double>::lowest();
  std::uint32_t rows = 0;
  std::uint32_t containers_seen = 0;
  double cpu_core_hours = 0, cpu_request = 0, cpu_usage = 0, cpu_max = 0;
  double ram_byte_hours = 0, ram_request = 0, ram_usage = 0, ram_max = 0;
  double gpu_hours = 0, gpu_usage = 0;
  double tx = 0, rx = 0;
  double cpu_cost = 0, ram_cost = 0, gpu_cost = 0, network_cost = 0;
  std::uint32_t last_container = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t usage_measured_rows = 0, usage_from_requests_rows = 0;
  bool has_shares = false;  // volume or LB cost shared to it, even without a container row
};

struct StepAcc {
  std::vector<GroupAcc> groups;
  // (group or kUnmountedGroup per cluster) × asset -> (hours, cost)
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::pair<double, double>> pv, lb;
  // Per cluster: when unmounted volumes / backend-less load balancers existed in the step.
  std::map<std::string, std::pair<double, double>> unmounted_span;
  std::map<std::uint32_t, cost::NodeCost> nodes;  // by node dim id
  std::map<std::uint32_t, std::pair<double, double>> node_bounds;
  double pv_asset_cost = 0, lb_asset_cost = 0;
};

void addBlock(const store::Block& b, const Grouping& g, StepAcc& acc, const Dimensions& dims) {
  const store::ContainerRows& c = b.containers;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const std::uint32_t cid = c.container_id[i];
    if (cid >= g.group_of.size()) continue;  // written after this reader loaded its dimensions
    GroupAcc& a = acc.groups[g.group_of[cid]];
    a.start = std::min(a.start, static_cast<double>(c.start[i]));
    a.end = std::max(a.end, static_cast<double>(c.end[i]));
    ++a.rows;
    if (a.last_container != cid) {
      ++a.containers_seen;
      a.last_container = cid;
    }
    a.cpu_core_hours += c.cpu_core_hours[i];
    a.cpu_request += c.cpu_request_core_hours[i];
    a.ram_byte_hours += c.ram_byte_hours[i];
    a.ram_request += c.ram_request_byte_hours[i];
    // A WebAssembly container that reported no CPU and no memory usage while running: its
    // runtime exports no usage series (cost::UsageSource::kRequests), so usage = requests.
    if (g.wasm[cid] != 0 && c.cpu_usage_core_hours[i] == 0 && c.ram_usage_byte_hours[i] == 0 &&
        c.running_seconds[i] > 0) {
      const double running_hours = c.running_seconds[i] / 3600.0;
      a.cpu_usage += c.cpu_request_core_hours[i];
      a.ram_usage += c.ram_request_byte_hours[i];
      a.cpu_max = std::max(a.cpu_max, c.cpu_request_core_hours[i] / running_hours);
      a.ram_max = std::max(a.ram_max, c.ram_request_byte_hours[i] / running_hours);
      ++a.usage_from_requests_rows;
    } else {
      a.cpu_usage += c.cpu_usage_core_hours[i];
      a.ram_usage += c.ram_usage_byte_hours[i];
      a.cpu_max = std::max(a.cpu_max, c.cpu_usage_max_cores[i]);
      a.ram_max = std::max(a.ram_max, c.ram_usage_max_bytes[i]);
      ++a.usage_measured_rows;
    }
    a.gpu_hours += c.gpu_hours[i];
    a.gpu_usage += c.gpu_usage_hours[i];
    a.tx += c.network_transfer_bytes[i];
    a.rx += c.network_receive_bytes[i];
    a.cpu_cost += c.cpu_cost[i];
    a.ram_cost += c.ram_cost[i];
    a.gpu_cost += c.gpu_cost[i];
    a.network_cost += c.network_cost[i];
  }
  // Share rows carry when they accrued: that is the running span of allocations that only
  // exist through a share (unmounted volumes, consumers without a container row).
  auto shares = [&](const store::ShareRows& s, auto& into, bool volumes) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      const std::uint32_t cid = s.container_id[i];
      std::uint32_t group = kUnmountedGroup;
      const std::pair<double, double> span{static_cast<double>(s.start[i]),
                                           static_cast<double>(s.end[i])};
      if (cid != store::kNoContainer) {
        if (cid >= g.group_of.size()) continue;
        group = g.group_of[cid];
        GroupAcc& a = acc.groups[group];
        a.has_shares = true;
        if (a.rows == 0) {
          // A consumer with no container row in this step (e.g. not running): it still owes
          // its share, over the span the share accrued.
          a.start = std::min(a.start, span.first);
          a.end = std::max(a.end, span.second);
        }
      } else {
        const std::uint32_t cluster_id = volumes ? dims.volume(s.asset_id[i]).cluster
                                                 : dims.service(s.asset_id[i]).cluster;
        auto [it, inserted] = acc.unmounted_span.try_emplace(std::string(dims.str(cluster_id)),
                                                             span);
        if (!inserted) {
          it->second.first = std::min(it->second.first, span.first);
          it->second.second = std::max(it->second.second, span.second);
        }
      }
      auto& [hours, cost] = into[{group, s.asset_id[i]}];
      hours += s.hours[i];
      cost += s.cost[i];
    }
  };
  shares(b.volume_shares, acc.pv, true);
  shares(b.load_balancer_shares, acc.lb, false);
  for (double v : b.volumes.cost) acc.pv_asset_cost += v;
  for (double v : b.load_balancers.cost) acc.lb_asset_cost += v;
  const store::NodeRows& n = b.nodes;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::uint32_t nid = n.node_id[i];
    auto [it, inserted] = acc.nodes.try_emplace(nid);
    cost::NodeCost& nc = it->second;
    if (inserted) {
      const store::NodeDim& d = dims.node(nid);
      nc.cluster = dims.str(d.cluster);
      nc.node = dims.str(d.name);
      nc.provider_id = dims.str(d.provider_id);
    }
    nc.cpu_cost += n.cpu_cost[i];
    nc.ram_cost += n.ram_cost[i];
    nc.gpu_cost += n.gpu_cost[i];
    nc.cpu_core_hours += n.cpu_core_hours[i];
    nc.ram_byte_hours += n.ram_byte_hours[i];
    nc.gpu_hours += n.gpu_hours[i];
  }
}

cost::StepInput buildStep(const StepAcc& acc, const Grouping& g, const Dimensions& dims,
                          const cost::Window& w) {
  cost::StepInput step;
  cost::AllocationSet& set = step.container_grain;
  set.window_start = static_cast<double>(w.start);
  set.window_end = static_cast<double>(w.end);
  std::vector<std::int64_t> index_of(acc.groups.size(), -1);
  for (std::size_t gi = 0; gi < acc.groups.size(); ++gi) {
    const GroupAcc& a = acc.groups[gi];
    if (a.rows == 0 && !a.has_shares) continue;
    cost::Allocation al;
    al.name = g.names[gi];
    al.properties = g.props[gi];
    al.window_start = set.window_start;
    al.window_end = set.window_end;
    al.start = a.start <= a.end ? a.start : set.window_start;
    al.end = a.start <= a.end ? a.end : set.window_start;
    const double hours = std::max(0.0, (a.end - a.start) / 3600.0);
    auto avg = [hours](double integral) { return hours > 0 ? integral / hours : 0.0; };
    al.cpu_core_hours = a.cpu_core_hours;
    al.cpu_core_request_average = avg(a.cpu_request);
    al.cpu_core_usage_average = avg(a.cpu_usage);
    al.ram_byte_hours = a.ram_byte_hours;
    al.ram_byte_request_average = avg(a.ram_request);
    al.ram_byte_usage_average = avg(a.ram_usage);
    if (a.containers_seen == 1) {
      // A maximum is only meaningful for one container (OpenCost's rawAllocationOnly).
      al.cpu_core_usage_max = a.cpu_max;
      al.ram_byte_usage_max = a.ram_max;
    }
    al.gpu_hours = a.gpu_hours;
    al.gpu_request_average = avg(a.gpu_hours);
    al.gpu_usage_average = avg(a.gpu_usage);
    al.network_transfer_bytes = a.tx;
    al.network_receive_bytes = a.rx;
    al.cpu_cost = a.cpu_cost;
    al.ram_cost = a.ram_cost;
    al.gpu_cost = a.gpu_cost;
    al.network_cost = a.network_cost;
    if (a.usage_from_requests_rows > 0) {
      al.usage_source = a.usage_measured_rows > 0 ? cost::UsageSource::kMixed
                                                   : cost::UsageSource::kRequests;
    }
    index_of[gi] = static_cast<std::int64_t>(set.allocations.size());
    set.allocations.push_back(std::move(al));
  }
  // Unmounted volumes and load balancers without backends: one allocation per cluster.
  std::map<std::string, std::size_t> unmounted_of;
  auto unmountedFor = [&](const std::string& cluster) -> cost::Allocation& {
    auto it = unmounted_of.find(cluster);
    if (it != unmounted_of.end()) return set.allocations[it->second];
    cost::Allocation al;
    const std::string u(cost::kUnmountedName);
    al.name = cluster + "/" + u + "/" + u + "/" + u + "/" + u;
    al.properties.cluster = cluster;
    al.properties.node = u;
    al.properties.namespace_name = u;
    al.properties.pod = u;
    al.properties.container = u;
    al.window_start = set.window_start;
    al.window_end = set.window_end;
    auto span = acc.unmounted_span.find(cluster);
    al.start = span != acc.unmounted_span.end() ? span->second.first : set.window_start;
    al.end = span != acc.unmounted_span.end() ? span->second.second : set.window_end;
    unmounted_of[cluster] = set.allocations.size();
    set.allocations.push_back(std::move(al));
    return set.allocations.back();
  };
  // The allocation a share row lands on; pointers are valid until the next unmountedFor().
  auto allocationOf = [&](std::uint32_t group, const std::string& cluster) -> cost::Allocation* {
    if (group == kUnmountedGroup) return &unmountedFor(cluster);
    if (index_of[group] < 0) return nullptr;
    return &set.allocations[static_cast<std::size_t>(index_of[group])];
  };
  for (const auto& [key, value] : acc.pv) {
    const auto& [group, volume] = key;
    const store::VolumeDim& v = dims.volume(volume);
    const std::string cluster(dims.str(v.cluster));
    cost::Allocation* al = allocationOf(group, cluster);
    if (al == nullptr) continue;
    cost::PvAllocation& pv = al->pvs[fmt::format("cluster={}:name={}", cluster, dims.str(v.name))];
    pv.byte_hours += value.first;
    pv.cost += value.second;
    pv.provider_id = dims.str(v.provider_id);
  }
  for (const auto& [key, value] : acc.lb) {
    const auto& [group, service] = key;
    const store::ServiceDim& s = dims.service(service);
    const std::string cluster(dims.str(s.cluster));
    cost::Allocation* al = allocationOf(group, cluster);
    if (al == nullptr) continue;
    al->load_balancer_cost += value.second;
    cost::LbAllocation& lb = al->lb_allocations[fmt::format(
        "{}/{}/{}", cluster, dims.str(s.namespace_name), dims.str(s.name))];
    lb.service = fmt::format("{}/{}", dims.str(s.namespace_name), dims.str(s.name));
    lb.cost += value.second;
    lb.hours += value.first;
    lb.ip = dims.str(s.ip);
  }
  for (const auto& [id, nc] : acc.nodes) step.assets.nodes.push_back(nc);
  step.assets.pv_cost = acc.pv_asset_cost;
  step.assets.lb_cost = acc.lb_asset_cost;
  return step;
}

}  // namespace

Result<std::vector<cost::Window>> stepWindows(const cost::Window& window, double step_seconds) {
  if (window.start % 3600 != 0 || window.end % 3600 != 0) {
    return fail(ErrorCode::kInvalidArgument,
                "window: the store resolves whole hours; start and end must be hour-aligned");
  }
  if (window.end <= window.start) {
    return fail(ErrorCode::kInvalidArgument, "window: end must be after start");
  }
  const auto step = step_seconds <= 0 ? window.end - window.start
                                      : static_cast<UnixSeconds>(std::llround(step_seconds));
  if (step % 3600 != 0 || step <= 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("step: {} s is not a positive multiple of 1h", step_seconds));
  }
  if ((window.end - window.start) / step > 100000) {
    return fail(ErrorCode::kInvalidArgument, "step: more than 100000 steps in the window");
  }
  std::vector<cost::Window> out;
  for (UnixSeconds s = window.start; s < window.end; s += step) {
    out.push_back(cost::Window{s, std::min(window.end, s + step)});
  }
  return out;
}

Result<std::vector<cost::StepInput>> loadSteps(const store::Store& store,
                                               const AllocationRequest& request) {
  auto windows = stepWindows(request.window, request.step_seconds);
  if (!windows) return fail(windows.error());
  if (auto s = cost::validateAggregate(request.query.aggregate); !s) return fail(s.error());
  const Dimensions& dims = store.dimensions();
  const Grouping grouping = groupContainers(dims, needsOf(request.query));

  struct Job {
    std::size_t step;
    store::BlockInfo info;
  };
  std::vector<Job> jobs;
  for (std::size_t i = 0; i < windows->size(); ++i) {
    auto plan = store::planWindow(store, request.cluster, (*windows)[i].start, (*windows)[i].end);
    if (!plan) return fail(plan.error());
    for (const auto& info : *plan) jobs.push_back({i, info});
  }
  std::vector<StepAcc> accs(windows->size());
  for (StepAcc& a : accs) a.groups.resize(grouping.props.size());

  // Blocks decode in parallel (decompression dominates); folding into a step is serialised
  // per step by giving each worker its own steps.
  const unsigned workers = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), 4));
  std::vector<std::optional<Error>> errors(workers);
  auto work = [&](unsigned w) {
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      if (jobs[j].step % workers != w) continue;
      auto block = store.readBlock(jobs[j].info, store::ColumnSelection{});
      if (!block) {
        errors[w] = block.error();
        return;
      }
      addBlock(*block, grouping, accs[jobs[j].step], dims);
    }
  };
  if (workers == 1 || windows->size() == 1) {
    for (unsigned w = 0; w < workers; ++w) work(w);
  } else {
    std::vector<std::thread> threads;
    for (unsigned w = 0; w < workers; ++w) threads.emplace_back(work, w);
    for (auto& t : threads) t.join();
  }
  for (const auto& e : errors) {
    if (e) return fail(*e);
  }
  std::vector<cost::StepInput> steps;
  steps.reserve(windows->size());
  for (std::size_t i = 0; i < windows->size(); ++i) {
    steps.push_back(buildStep(accs[i], grouping, dims, (*windows)[i]));
  }
  return steps;
}

Result<std::vector<cost::AllocationSet>> runAllocation(const store::Store& store,
                                                       const AllocationRequest& request) {
  auto steps = loadSteps(store, request);
  if (!steps) return fail(steps.error());
  return cost::computeAllocationRange(*steps, request.query, request.accumulate);
}

}  // namespace trimtab::query
