// Reads blocks from a store and turns them into the cost engine's inputs: container-grain (or
// pre-grouped) allocations and node asset costs per step, then runs the allocation query.
//
// Pre-grouping: when a query has no filter and does not keep aggregated metadata, rows are
// summed by exactly the properties the query can observe (aggregation keys, share labels and
// namespaces, idle key) before any Allocation is built. All engine passes are linear in those
// sums, so the result is identical to container grain, at a fraction of the cost.
#pragma once

#include <vector>

#include "cost/aggregate.h"
#include "cost/window.h"
#include "model/error.h"
#include "store/store.h"

namespace trimtab::query {

struct AllocationRequest {
  cost::Window window;          // hour-aligned
  double step_seconds = 0;      // 0 = the whole window; a multiple of 3600
  cost::AllocationQuery query;
  cost::Accumulate accumulate = cost::Accumulate::kNone;
  std::string cluster;          // empty = all clusters
};

// The per-step engine inputs (exposed for tests and benchmarks).
Result<std::vector<cost::StepInput>> loadSteps(const store::Store& store,
                                               const AllocationRequest& request);

Result<std::vector<cost::AllocationSet>> runAllocation(const store::Store& store,
                                                       const AllocationRequest& request);

// Splits [window.start, window.end) into steps of step_seconds (the last one may be shorter).
// Errors when the window is not hour-aligned or the step is not a positive multiple of 1h.
Result<std::vector<cost::Window>> stepWindows(const cost::Window& window, double step_seconds);

}  // namespace trimtab::query
