// The `plugins:` config section.
#include "plugin/config.h"

#include <gtest/gtest.h>

namespace trimtab::plugin {
namespace {

TEST(PluginConfig, ParsesEntriesSettingsAndLimits) {
  const char* yaml = R"(
other: 1
plugins:
  - path: label_team.wasm
    hook: allocation
    sha256: "abc"
    settings:
      labelKey: app
      teams: {checkout: payments, "web": storefront}
      default: platform
      floor: 256
      quoted: "256"
      flags: [true, no, ~]
    limits: {memoryMiB: 32, timeoutMs: 500, batchItems: 100, maxConsecutiveFailures: 5}
  - name: floor
    path: /abs/jvm_floor.wasm
    hook: recommendation
    settingsJson: '{"memoryFloorBytes": 1}'
)";
  auto r = parsePluginsConfig(yaml, "trimtab.yaml", "/etc/trimtab");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  const PluginConfig& a = (*r)[0];
  EXPECT_EQ(a.name, "label_team");
  EXPECT_EQ(a.path, "/etc/trimtab/label_team.wasm");
  EXPECT_EQ(a.hook, Hook::kAllocation);
  EXPECT_EQ(a.sha256, "abc");
  EXPECT_EQ(
      a.settings_json,
      R"({"labelKey":"app","teams":{"checkout":"payments","web":"storefront"},"default":"platform",)"
      R"("floor":256,"quoted":"256","flags":[true,"no",null]})");
  EXPECT_EQ(a.limits.memory_pages, 512u);
  EXPECT_EQ(a.limits.call_timeout_ms, 500);
  EXPECT_EQ(a.limits.batch_items, 100u);
  EXPECT_EQ(a.limits.max_consecutive_failures, 5);
  const PluginConfig& b = (*r)[1];
  EXPECT_EQ(b.name, "floor");
  EXPECT_EQ(b.path, "/abs/jvm_floor.wasm");
  EXPECT_EQ(b.settings_json, R"({"memoryFloorBytes": 1})");
}

TEST(PluginConfig, ErrorsNameTheEntryAndField) {
  auto missing = parsePluginsConfig("plugins: [{hook: allocation}]", "c.yaml", "");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "c.yaml: plugins[0].path: required");
  auto hook = parsePluginsConfig("plugins: [{path: a.wasm, hook: pricing}]", "c.yaml", "");
  ASSERT_FALSE(hook);
  EXPECT_NE(hook.error().message.find("c.yaml: plugins[0].hook: hook \"pricing\""),
            std::string::npos);
  auto limit = parsePluginsConfig("plugins: [{path: a.wasm, hook: alert, limits: {timeoutMs: -1}}]",
                                  "c.yaml", "");
  ASSERT_FALSE(limit);
  EXPECT_EQ(limit.error().message,
            "c.yaml: plugins[0].limits.timeoutMs: \"-1\": expected a positive integer");
  auto unknown =
      parsePluginsConfig("plugins: [{path: a.wasm, hook: alert, limits: {fuel: 1}}]", "c.yaml", "");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown limit"), std::string::npos);
  EXPECT_FALSE(parsePluginsConfig("plugins: [a", "c.yaml", ""));
  auto none = parsePluginsConfig("server: {port: 1}", "c.yaml", "");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace trimtab::plugin
