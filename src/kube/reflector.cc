#include "kube/reflector.h"

#include <fmt/format.h>

#include <iterator>
#include <random>
#include <thread>

namespace trimtab::kube {
namespace {

std::string key(const model::ObjectMeta& m) { return m.namespace_name + "/" + m.name; }

std::string millicores(std::int64_t m) {
  return m % 1000 == 0 ? fmt::format("{}", m / 1000) : fmt::format("{}m", m);
}

std::string podDetail(const model::Pod& before, const model::Pod& after) {
  std::vector<std::string> parts;
  if (before.node_name != after.node_name) {
    parts.push_back(fmt::format("node {} -> {}",
                                before.node_name.empty() ? "(none)" : before.node_name,
                                after.node_name.empty() ? "(none)" : after.node_name));
  }
  auto a = before.effectiveRequests();
  auto b = after.effectiveRequests();
  if (a.cpu_millicores != b.cpu_millicores || a.memory_bytes != b.memory_bytes) {
    parts.push_back(fmt::format("requests cpu {} -> {} memory {} -> {} bytes",
                                millicores(a.cpu_millicores), millicores(b.cpu_millicores),
                                a.memory_bytes, b.memory_bytes));
  }
  if (before.phase != after.phase) {
    parts.push_back(fmt::format("phase {} -> {}", before.phase, after.phase));
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

void ClusterState::record(Kind kind, EventType type, const internal::Object* before,
                          const internal::Object& after, UnixSeconds at) {
  const model::ObjectMeta& m = internal::metaOf(after);
  Change c;
  c.observed_at = at;
  c.type = type;
  c.kind = kind;
  c.namespace_name = m.namespace_name;
  c.name = m.name;
  c.resource_version = m.resource_version;
  if (before != nullptr && type == EventType::kModified && kind == Kind::kPod) {
    c.detail = podDetail(std::get<model::Pod>(*before), std::get<model::Pod>(after));
  }
  changes_.push_back(std::move(c));
}

void ClusterState::replaceKind(Kind kind, model::ObjectSet listed, UnixSeconds at,
                               bool record_initial) {
  std::lock_guard lock(mu_);
  auto idx = static_cast<std::size_t>(kind);
  bool record_changes = listed_[idx] || record_initial;
  std::map<std::string, internal::Object> next;
  internal::forEachObject(std::move(listed), [&](internal::Object&& o) {
    if (internal::kindOf(o) != kind) return;
    std::string k = key(internal::metaOf(o));
    next.insert_or_assign(std::move(k), std::move(o));
  });
  auto& current = objects_[idx];
  if (record_changes) {
    for (const auto& [k, o] : next) {
      auto it = current.find(k);
      if (it == current.end()) {
        record(kind, EventType::kAdded, nullptr, o, at);
      } else if (internal::metaOf(it->second).resource_version !=
                 internal::metaOf(o).resource_version) {
        record(kind, EventType::kModified, &it->second, o, at);
      }
    }
    for (const auto& [k, o] : current) {
      if (next.find(k) == next.end()) record(kind, EventType::kDeleted, nullptr, o, at);
    }
  }
  current = std::move(next);
  listed_[idx] = true;
}

void ClusterState::apply(Kind kind, WatchEvent&& event, UnixSeconds at) {
  if (event.type != EventType::kAdded && event.type != EventType::kModified &&
      event.type != EventType::kDeleted)
    return;
  std::lock_guard lock(mu_);
  auto& current = objects_[static_cast<std::size_t>(kind)];
  internal::forEachObject(std::move(event.object), [&](internal::Object&& o) {
    if (internal::kindOf(o) != kind) return;
    std::string k = key(internal::metaOf(o));
    auto it = current.find(k);
    if (event.type == EventType::kDeleted) {
      record(kind, EventType::kDeleted, nullptr, o, at);
      if (it != current.end()) current.erase(it);
      return;
    }
    EventType type = it == current.end() ? EventType::kAdded : EventType::kModified;
    record(kind, type, it == current.end() ? nullptr : &it->second, o, at);
    current.insert_or_assign(std::move(k), std::move(o));
  });
}

model::ObjectSet ClusterState::objects() const {
  std::lock_guard lock(mu_);
  model::ObjectSet out;
  for (const auto& per_kind : objects_) {
    for (const auto& [k, o] : per_kind) internal::addTo(out, o);
  }
  return out;
}

std::size_t ClusterState::count(Kind kind) const {
  std::lock_guard lock(mu_);
  return objects_[static_cast<std::size_t>(kind)].size();
}

std::vector<Change> ClusterState::changes() const {
  std::lock_guard lock(mu_);
  return changes_;
}

std::vector<Change> ClusterState::drainChanges() {
  std::lock_guard lock(mu_);
  std::vector<Change> out;
  out.swap(changes_);
  return out;
}

Reflector::Reflector(KubeClient& client, Kind kind, ClusterState& state, const Clock& clock,
                     ReflectorOptions options)
    : client_(client), kind_(kind), state_(state), clock_(clock), options_(std::move(options)) {
  if (!options_.sleep) {
    options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
}

Status Reflector::list() {
  // Batches are merged once at the end with exact reservations: merging each batch as it
  // arrives would re-reserve (ObjectSet::merge reserves exactly) and move every pod again per
  // batch, quadratic in the list size.
  std::vector<model::ObjectSet> batches;
  auto meta = client_.list(
      kind_,
      [&](model::DecodeResult&& batch) -> Status {
        batches.push_back(std::move(batch.objects));
        return {};
      },
      [&] { batches.clear(); });
  if (!meta) return fail(meta.error());
  model::ObjectSet all;
  std::size_t n[8] = {};
  for (const auto& b : batches) {
    n[0] += b.nodes.size();
    n[1] += b.pods.size();
    n[2] += b.persistent_volumes.size();
    n[3] += b.persistent_volume_claims.size();
    n[4] += b.services.size();
    n[5] += b.namespaces.size();
    n[6] += b.workloads.size();
    n[7] += b.pod_disruption_budgets.size();
  }
  all.nodes.reserve(n[0]);
  all.pods.reserve(n[1]);
  all.persistent_volumes.reserve(n[2]);
  all.persistent_volume_claims.reserve(n[3]);
  all.services.reserve(n[4]);
  all.namespaces.reserve(n[5]);
  all.workloads.reserve(n[6]);
  all.pod_disruption_budgets.reserve(n[7]);
  for (auto& b : batches) {
    // merge() moves the vector wholesale when the target is empty, dropping the reservation;
    // appending into the reserved vectors keeps it.
    std::move(b.nodes.begin(), b.nodes.end(), std::back_inserter(all.nodes));
    std::move(b.pods.begin(), b.pods.end(), std::back_inserter(all.pods));
    std::move(b.persistent_volumes.begin(), b.persistent_volumes.end(),
              std::back_inserter(all.persistent_volumes));
    std::move(b.persistent_volume_claims.begin(), b.persistent_volume_claims.end(),
              std::back_inserter(all.persistent_volume_claims));
    std::move(b.services.begin(), b.services.end(), std::back_inserter(all.services));
    std::move(b.namespaces.begin(), b.namespaces.end(), std::back_inserter(all.namespaces));
    std::move(b.workloads.begin(), b.workloads.end(), std::back_inserter(all.workloads));
    std::move(b.pod_disruption_budgets.begin(), b.pod_disruption_budgets.end(),
              std::back_inserter(all.pod_disruption_budgets));
    b = model::ObjectSet{};
  }
  state_.replaceKind(kind_, std::move(all), clock_.nowSeconds(),
                     lists_ == 0 ? options_.record_initial : true);
  resource_version_ = meta->resource_version;
  last_list_bytes_ = meta->bytes;
  ++lists_;
  return {};
}

Result<WatchEnd> Reflector::watchOnce(const std::atomic<bool>* cancel) {
  if (lists_ == 0) {
    if (auto s = list(); !s) return fail(s.error());
  }
  auto end = client_.watch(
      kind_, resource_version_,
      [&](WatchEvent&& ev) -> Status {
        state_.apply(kind_, std::move(ev), clock_.nowSeconds());
        return {};
      },
      cancel);
  if (!end) return end;
  if (end->gone) {
    if (auto s = list(); !s) return fail(s.error());
  }
  return end;
}

void Reflector::run(const std::atomic<bool>& stop) {
  std::mt19937_64 rng(0x6b756265);
  int failures = 0;
  while (!stop.load()) {
    auto end = watchOnce(&stop);
    if (stop.load()) break;
    if (end) {
      failures = 0;
      continue;
    }
    if (options_.on_error) options_.on_error(end.error());
    ++failures;
    auto wait = http::backoffDelay(options_.backoff, failures,
                                   std::uniform_real_distribution<double>(0, 1)(rng));
    options_.sleep(wait);
  }
}

}  // namespace trimtab::kube
