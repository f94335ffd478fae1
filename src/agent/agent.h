// trimtab agent: the always-on process. It receives Prometheus remote-write, makes every
// acknowledged sample durable in a write-ahead log, folds each finished hour from the log into
// an hour block, and serves the same HTTP API as `trimtab serve` over the store it writes.
//
//   Prometheus ──remote_write──▶ POST /api/v1/write ──▶ WAL (fdatasync, then 204)
//                                                        │ hour H is complete once now ≥ H+1h+grace
//                                                        ▼
//                       store ◀── commit(hour block H) ◀── Folder over WAL samples in
//                                                          [H − context, H + 1h + context)
//
// Samples that arrive for an hour already folded (within `wal_retention_seconds`) make the agent
// fold that hour again from the log, replacing its block; older ones are counted and logged.
//
// Pull mode (`prometheus` set): the same loop, but each finished hour is read from a PromQL
// backend (the query plan of `trimtab backfill`), remote-write is refused, and a fresh store
// starts `initial_backfill_seconds` back. Late data in the backend within `grace` is seen.
//
// Folding an hour sees samples a few minutes either side of it (`context`), so intervals that
// straddle the hour's edges are integrated exactly as a whole-file ingest does, and only the
// block of hour H is kept. Commits of an hour are idempotent (an identical block is skipped), and
// the last folded hour is recorded after each commit, so a restart — even after kill -9 — resumes
// with no gap and no double counting: unfolded hours are folded from the log, folded ones are not
// folded again, and re-folding one whose marker was lost writes identical bytes.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "model/clock.h"
#include "model/error.h"
#include "model/inventory.h"
#include "prom/query.h"
#include "remote/wal.h"
#include "server/api.h"
#include "server/http_server.h"
#include "store/store.h"

namespace trimtab::agent {

struct AgentOptions {
  std::string store_path;
  std::string wal_dir;            // default <store>.wal
  std::string cluster = "default";
  std::string pricing_file;       // custom pricing YAML (optional)
  server::ServerOptions server;
  server::ApiOptions api;
  std::int64_t grace_seconds = 600;    // how late samples may arrive after their hour
  std::int64_t context_seconds = 300;  // samples folded either side of an hour
  // Folded data kept in the WAL so hours that receive late samples (e.g. a Prometheus
  // remote-write backlog after an outage) can be folded again whole.
  std::int64_t wal_retention_seconds = 3600;
  double flush_interval_seconds = 10;  // how often finished hours are looked for
  std::uint64_t max_wal_backlog_bytes = 4ull << 30;  // beyond: remote-write gets 503
  std::size_t max_body_bytes = 32u << 20;            // compressed remote-write body
  bool log_json = false;
  // Pull mode: when set, each finished hour is read from this PromQL backend (prom/backfill.h)
  // instead of remote-write, which is then refused (404).
  std::optional<prom::SourceOptions> prometheus;
  std::int64_t prometheus_step_ms = 0;         // 0: detect the scrape interval once
  std::int64_t initial_backfill_seconds = 0;   // on a fresh store, how far back the first pull goes
  // Kubernetes objects: when set, the agent lists and watches every kind (kube/reflector.h) and
  // folds each hour with the current objects, as `trimtab ingest` does with a snapshot's JSON
  // (labels, annotations, owners, services, load balancers); pods already gone are qualified
  // from kube-state-metrics. kubeconfig "" = KUBECONFIG / ~/.kube/config.
  struct Kube {
    bool in_cluster = false;
    std::string kubeconfig, context;
  };
  std::optional<Kube> kube;
  // "now" for hour completion (tests pin it); default the system clock.
  std::function<UnixSeconds()> now;
};

struct FoldReport {
  UnixSeconds hour = 0;
  std::uint64_t samples = 0;
  std::size_t containers = 0;
  bool written = false;  // false: an identical block was already stored
};

// Folds hour [hour, hour+3600) from the WAL into the store (one commit). Exposed for tests.
Result<FoldReport> foldHour(const remote::Wal& wal, store::Store& store, const std::string& cluster,
                            const std::string& pricing_file, UnixSeconds hour, std::int64_t context_seconds,
                            const model::Inventory* inventory = nullptr);

class Agent {
 public:
  static Result<std::unique_ptr<Agent>> create(const AgentOptions& options);
  ~Agent();
  int port() const;
  // Serves and folds until stop() or SIGTERM/SIGINT; folds what is complete before returning.
  Status run(bool handle_signals);
  void stop();
  // Folds every complete, not yet folded hour now (the flusher thread calls this).
  Status flushComplete();

  struct Impl;

 private:
  Agent() = default;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trimtab::agent
