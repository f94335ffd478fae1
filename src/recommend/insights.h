// Savings insights beside requests, each with its dollar figure and evidence:
//   idle-workload     a workload (as in recommend.h) whose mean CPU stayed below
//                     idle_cpu_cores with no network traffic in either direction, observed for
//                     at least idle_days: its whole cost is the saving (scale to zero / delete).
//   unclaimed-volume  a persistent volume with no claim (claimRef empty) that still costs.
// Drainable nodes and spot candidates are not implemented (they need the scheduler simulation
// and PDB/replica inventory that live in the planner).
// Thread-safe for concurrent calls on one Store.
#pragma once

#include <string>
#include <vector>

#include "model/clock.h"
#include "model/error.h"
#include "store/store.h"

namespace trimtab::recommend {

struct InsightOptions {
  UnixSeconds window_start = 0, window_end = 0;  // hour-aligned
  std::string cluster;                           // empty = all
  double idle_days = 7;
  double idle_cpu_cores = 0.001;
};

struct Insight {
  std::string kind;    // "idle-workload", "unclaimed-volume"
  std::string object;  // "<cluster>/<namespace>/<kind>/<name>/<container>" or "<cluster>/<pv>"
  double monthly_cost_usd = 0;  // what removing it saves per month (730 h) at its window rate
  std::string evidence;         // one line
};

// Sorted by monthly_cost_usd, largest first. Reads no sketch columns.
Result<std::vector<Insight>> savingsInsights(const store::Store& store,
                                             const InsightOptions& options);
std::string insightsJson(const std::vector<Insight>& insights);

}  // namespace trimtab::recommend
