// `trimtab backfill`: fills the store's hour blocks for past hours from a PromQL backend.
//
// For each chunk of whole hours [c, c + chunk) it asks the backend, per metric family Trimtab
// folds (kube-state-metrics, cAdvisor, dcgm-exporter), for
//     last_over_time(<family>{<matchers>}[step − 1ms])
// over [c − context, c + chunk + context) at `step` (the scrape interval, detected when not
// given), with step-aligned start and end. Each grid point then carries the newest raw sample of
// the step before it — exactly the raw samples when step equals the scrape interval — and a
// series that ended is not carried forward by the 5-minute lookback (which would charge
// finished pods for minutes they did not run). The samples go through the same Folder as files
// and remote-write (ingest::foldWindow), so a backfilled hour equals an ingested one.
//
// Re-running a backfill over the same hours is idempotent: identical blocks are skipped.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/window_fold.h"
#include "model/clock.h"
#include "model/error.h"
#include "prom/query.h"
#include "store/store.h"

namespace trimtab::prom {

// A metric family the Folder consumes: its pass and whether its series carry `namespace`.
struct Family {
  std::string_view name;
  bool inventory;   // kube-state-metrics: folded in the first pass
  bool namespaced;  // namespace matchers apply
};
std::span<const Family> families();

struct BackfillOptions {
  std::string cluster = "default";
  std::string pricing_file;  // custom pricing YAML (optional)
  UnixSeconds from = 0, to = 0;  // widened to whole hours
  std::int64_t step_ms = 0;      // 0: detect the scrape interval (60 s when nothing to detect)
  std::int64_t chunk_seconds = 6 * 3600;  // whole hours, at most one day
  std::int64_t context_seconds = 300;
  // Objects that qualify the samples (see ingest::foldWindow); null: kube-state-metrics only.
  const model::Inventory* inventory = nullptr;
  // Called after each committed chunk.
  std::function<void(UnixSeconds chunk_from, UnixSeconds chunk_to, const ingest::WindowFoldReport&)> progress;
};

struct BackfillReport {
  std::int64_t step_ms = 0;
  bool step_detected = false;
  std::size_t chunks = 0, hour_blocks = 0, hours_written = 0, containers = 0;
  std::uint64_t samples = 0, usage_samples = 0;
  QueryStats queries;
  std::vector<std::string> warnings;
};

Result<BackfillReport> backfill(Source& source, store::Store& store, const BackfillOptions& options);

}  // namespace trimtab::prom
