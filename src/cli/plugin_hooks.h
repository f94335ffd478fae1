// WebAssembly plugins configured in a Trimtab config file (`plugins:`, docs/plugins.md), applied
// by the commands: allocation rules by `trimtab allocation` (and the server later), policies by
// `trimtab recommend`.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cost/aggregate.h"
#include "model/error.h"
#include "plugin/plugin.h"
#include "recommend/recommend.h"

namespace trimtab::cli {

// Loads the config file's plugins for one hook (sha256 pins checked, modules compiled).
// An empty path gives no plugins.
Result<std::vector<std::unique_ptr<plugin::Plugin>>> loadPlugins(const std::string& config_path,
                                                                 plugin::Hook hook);

// Runs allocation-rule plugins over every step's container-grain allocations, in order. Per
// row the plugin may set `team`, `owner`, `department`, `product`, `environment` (become pod
// labels, so aggregate=team works) and `externalCost` (dollars added to the row). Rows of a
// failed batch keep the built-in result and get the label trimtab_plugin_status=fallback.
Status applyAllocationRules(std::vector<cost::StepInput>& steps,
                            const std::vector<std::unique_ptr<plugin::Plugin>>& plugins);

// Runs recommendation-policy plugins over the recommendations (the objects of
// `trimtab recommend --format json`). A plugin may veto one ("vetoed": true, "vetoReason") —
// the current requests are kept and the saving is 0 — or change cpuRequestCores,
// cpuLimitCores, memoryRequestBytes, memoryLimitBytes (the monthly saving is adjusted by the
// request change at the workload's node prices), and add "annotations" (strings appended to
// the reason). A failed plugin leaves every recommendation unmodified.
Status applyRecommendationPolicies(std::vector<recommend::Recommendation>& recs,
                                   const recommend::RecommendOptions& options,
                                   const std::vector<std::unique_ptr<plugin::Plugin>>& plugins);

// The compact JSON object an allocation-rule plugin sees for one row, appended to `out`.
void appendAllocationRowJson(std::string& out, const cost::Allocation& a);

// Runs one allocation-rule plugin over `rows` (appendAllocationRowJson each, batch by batch)
// and applies each result to its row as applyAllocationRules describes, straight from the
// parsed response.
plugin::HookResult runAllocationRule(plugin::Plugin& plugin, std::vector<cost::Allocation>& rows);

}  // namespace trimtab::cli
