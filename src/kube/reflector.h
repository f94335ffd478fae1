// Keeping an up-to-date copy of the cluster from list + watch, with a timestamped change log.
//
// model::Inventory is immutable once built, so ClusterState is the adapter: it holds the
// current objects per kind (keyed by namespace/name), records every change (added, modified,
// deleted; a pod moving node or changing its requests is described in Change::detail) with the
// time it was observed, and builds an Inventory of the current objects on demand.
//
// Reflector runs the client-go reflector loop for one kind: list, then watch from the list's
// resourceVersion; resume after the server closes a watch; relist on 410 Gone; reconnect with
// jittered exponential backoff after errors.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kube/client.h"
#include "kube/internal/objects.h"
#include "model/clock.h"
#include "model/inventory.h"

namespace trimtab::kube {

struct Change {
  UnixSeconds observed_at = 0;
  EventType type = EventType::kAdded;  // kAdded, kModified or kDeleted
  Kind kind = Kind::kPod;
  std::string namespace_name;
  std::string name;
  std::string resource_version;
  // For pods: "node a -> b", "requests cpu 100m -> 200m memory ..." (joined by "; ").
  std::string detail;
};

// Thread-safe.
class ClusterState {
 public:
  // Replaces all objects of kind by listed (a list or relist). Differences from the previous
  // contents become changes, unless this is the kind's first list and record_initial is false.
  void replaceKind(Kind kind, model::ObjectSet listed, UnixSeconds at, bool record_initial = false);
  // Applies one ADDED/MODIFIED/DELETED event (others are ignored).
  void apply(Kind kind, WatchEvent&& event, UnixSeconds at);

  // A copy of the current objects.
  model::ObjectSet objects() const;
  model::Inventory inventory() const { return model::Inventory::build(objects()); }
  std::size_t count(Kind kind) const;
  std::vector<Change> changes() const;
  std::vector<Change> drainChanges();

 private:
  void record(Kind kind, EventType type, const internal::Object* before,
              const internal::Object& after, UnixSeconds at);
  mutable std::mutex mu_;
  std::array<std::map<std::string, internal::Object>, kKindCount> objects_;
  std::array<bool, kKindCount> listed_{};
  std::vector<Change> changes_;
};

struct ReflectorOptions {
  http::RetryPolicy backoff{0, std::chrono::milliseconds(500), std::chrono::milliseconds(30'000),
                            0.2, std::chrono::milliseconds(60'000)};
  std::function<void(std::chrono::milliseconds)> sleep;  // default: real sleep
  std::function<void(const Error&)> on_error;            // one call per failure (for logging)
  bool record_initial = false;  // passed to ClusterState::replaceKind on the first list
};

class Reflector {
 public:
  Reflector(KubeClient& client, Kind kind, ClusterState& state, const Clock& clock,
            ReflectorOptions options = {});
  // Lists and replaces the kind in the state; the watch then starts from the list's version.
  Status list();
  // One watch connection from the current version (lists first if never listed). gone: a
  // relist happened (or is needed when it failed).
  Result<WatchEnd> watchOnce(const std::atomic<bool>* cancel = nullptr);
  // list + watch until stop becomes true. Errors go to options.on_error and are retried.
  void run(const std::atomic<bool>& stop);

  const std::string& resourceVersion() const { return resource_version_; }
  int lists() const { return lists_; }
  // Body bytes of the last list.
  std::size_t lastListBytes() const { return last_list_bytes_; }

 private:
  KubeClient& client_;
  Kind kind_;
  ClusterState& state_;
  const Clock& clock_;
  ReflectorOptions options_;
  std::string resource_version_;
  int lists_ = 0;
  std::size_t last_list_bytes_ = 0;
};

}  // namespace trimtab::kube
