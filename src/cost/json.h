// OpenCost-shaped output (shared/reference/opencost-semantics.md §2, §5.5):
//   {"code":200,"status":"success","data":[{"<name>":{...allocation...},...},...]}
// one map per step, OpenCost JSON field names, numbers rounded to 5 decimals
// (round(x·1e5)/1e5), NaN/±Inf → null, times RFC3339 UTC ("2023-01-18T11:38:45Z"),
// `pvs` null when empty, `rawAllocationOnly` null unless a raw max usage is present,
// `lbAllocations`, `proportionalAssetResourceCosts`, `sharedCostBreakdown` omitted when
// empty, empty properties omitted. Trimtab extensions: properties `runtimeClass` (when set)
// and `wasm` (true only), and `usageSource` ("requests" or "mixed", omitted when measured).
// Hand-written writer; strings escaped per RFC 8259.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cost/allocation.h"
#include "model/json_text.h"

namespace trimtab::cost {

std::string toOpenCostJson(const std::vector<AllocationSet>& sets);
// One allocation object (no envelope); exposed for tests and other writers.
void appendAllocationJson(std::string& out, const Allocation& a);
// {"code":<code>,"status":"error","message":"<message>"}
std::string errorJson(int code, std::string_view message);

// One row per allocation per step. Header:
// windowStart,windowEnd,name,cluster,node,namespace,controllerKind,controller,pod,container,
// start,end,minutes,cpuCoreHours,cpuCoreRequestAverage,cpuCoreUsageAverage,cpuCost,
// cpuCostAdjustment,cpuCostIdle,cpuEfficiency,gpuHours,gpuCost,gpuCostAdjustment,gpuCostIdle,
// ramByteHours,ramByteRequestAverage,ramByteUsageAverage,ramCost,ramCostAdjustment,ramCostIdle,
// ramEfficiency,pvByteHours,pvCost,pvCostAdjustment,networkTransferBytes,networkReceiveBytes,
// networkCost,networkCostAdjustment,loadBalancerCost,loadBalancerCostAdjustment,sharedCost,
// externalCost,totalCost,totalEfficiency
// Fields are quoted when they contain ',', '"', CR or LF (RFC 4180). Numbers as in JSON;
// NaN/Inf are empty cells.
std::string toCsv(const std::vector<AllocationSet>& sets);

// Helpers shared with tests: 5-decimal rounding and JSON string escaping.
double roundForResponse(double x);
inline void appendJsonString(std::string& out, std::string_view s) { model::appendJsonString(out, s); }

}  // namespace trimtab::cost
