// The rows `trimtab allocation --config` hands to allocation-rule plugins carry the allocation's
// identity, including the runtime class of WebAssembly workloads.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/plugin_hooks.h"

namespace trimtab::cli {
namespace {

std::string rowJson(const cost::Allocation& a) {
  std::string out;
  appendAllocationRowJson(out, a);
  return out;
}

TEST(PluginRows, CarryIdentityRuntimeClassAndCosts) {
  cost::Allocation a;
  a.name = "c/n/edge/fn-1/app";
  a.properties.cluster = "c";
  a.properties.namespace_name = "edge";
  a.properties.controller_kind = "deployment";
  a.properties.controller = "fn";
  a.properties.runtime_class = "wasmtime-spin-v2";
  a.properties.wasm = true;
  a.properties.labels = {{"app", "fn"}};
  const auto row = nlohmann::json::parse(rowJson(a));
  EXPECT_EQ(row["name"], "c/n/edge/fn-1/app");
  EXPECT_EQ(row["properties"]["namespace"], "edge");
  EXPECT_EQ(row["properties"]["controller"], "fn");
  EXPECT_EQ(row["properties"]["runtimeClass"], "wasmtime-spin-v2");
  EXPECT_EQ(row["properties"]["wasm"], true);
  EXPECT_EQ(row["properties"]["labels"]["app"], "fn");
  EXPECT_TRUE(row.contains("totalCost"));

  cost::Allocation plain;
  plain.name = "x";
  const auto bare = nlohmann::json::parse(rowJson(plain));
  EXPECT_FALSE(bare["properties"].contains("runtimeClass"));
  EXPECT_FALSE(bare["properties"].contains("wasm"));
}

}  // namespace
}  // namespace trimtab::cli
