// Folds metric samples into hour blocks: the heart of ingestion.
//
// Samples arrive in two passes over the same input (OpenMetrics families are contiguous, so the
// kube-state-metrics inventory cannot be assumed to come before the usage it qualifies):
//   1. inventorySink(): kube-state-metrics series (running, requests, pod info/owner/labels, node
//      capacity/labels, PV/PVC) -> running intervals, request step functions, identities;
//   2. usageSink(): cAdvisor and dcgm-exporter series -> usage integrals, maxima and sketches.
// A sample at time t describes the interval (t - c, t], c being the gap to the series' previous
// sample (or the scrape interval for a first sample or after a gap longer than two intervals).
// The allocation integral is ∫ max(request, usage) dt = ∫ request dt + ∫ max(0, usage - request) dt
// over the running intervals, so no grid is needed and nothing is quantised.
// Costs use the node's rates (pricing::Pricer) at fold time.
//
// Thread-compatible. Memory: one accumulator per container-hour present in the input.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/inventory.h"
#include "pricing/pricer.h"
#include "source/snapshot/openmetrics.h"
#include "store/block.h"
#include "store/dimensions.h"

namespace trimtab::ingest {

struct FoldStats {
  std::uint64_t inventory_samples = 0;
  std::uint64_t usage_samples = 0;
  std::uint64_t ignored_samples = 0;  // metrics Trimtab does not use
  std::uint64_t unmatched_usage_samples = 0;  // usage for a container with no running series
  std::size_t containers = 0, pods = 0, nodes = 0, volumes = 0, load_balancers = 0;
  std::int64_t scrape_interval_ms = 0;
  std::int64_t first_ms = 0, last_ms = 0;
};

class Folder {
 public:
  // inventory may be null (metrics only); pricer must outlive the Folder.
  Folder(std::string cluster, const model::Inventory* inventory, const pricing::Pricer& pricer);
  ~Folder();
  Folder(const Folder&) = delete;
  Folder& operator=(const Folder&) = delete;

  source::SampleSink& inventorySink();
  // Call between the passes: derives running intervals and the scrape interval.
  void finishInventory();
  source::SampleSink& usageSink();

  // Builds one canonical hour block per hour touched by the data, interning identities in dims.
  std::vector<store::Block> buildBlocks(store::Dimensions& dims);

  const FoldStats& stats() const;

  struct State;  // opaque

 private:
  std::unique_ptr<State> state_;
  std::unique_ptr<source::SampleSink> inventory_sink_, usage_sink_;
};

}  // namespace trimtab::ingest
