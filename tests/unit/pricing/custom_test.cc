#include "pricing/custom.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "pricing/defaults.h"

namespace trimtab::pricing {
namespace {

// Parses text expected to fail and returns the message.
std::string errorOf(std::string_view yaml) {
  auto result = parseCustomPricing(yaml, "pricing.yaml");
  EXPECT_FALSE(result.has_value()) << yaml;
  if (result) return "";
  EXPECT_EQ(result.error().code, ErrorCode::kParse);
  return result.error().message;
}

TEST(PricingCustom, EmptyFileIsAllDefaults) {
  auto result = parseCustomPricing("", "pricing.yaml");
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->source_name, "pricing.yaml");
  EXPECT_TRUE(result->rules.empty());
  EXPECT_EQ(result->split, SplitPolicy::kOpenCost);
  EXPECT_TRUE(result->use_catalog);
  EXPECT_DOUBLE_EQ(result->combinedDiscount(), 0);
}

TEST(PricingCustom, ParsesEveryField) {
  auto result = parseCustomPricing(R"(
version: 1
split: aws-9to1
discount: 0.1
negotiatedDiscount: "5%"
spotLabel: example.com/capacity
spotLabelValue: cheap
useCatalog: false
defaults:
  cpuPerCoreHour: 0.05
  ramPerGiBHour: 0.005
  gpuPerGpuHour: 2
  spotCpuPerCoreHour: 0.01
  spotRamPerGiBHour: 0.001
  spotGpuPerGpuHour: 0.5
  storagePerGiBMonth: 0.073
  spotToOnDemandRatio: 0.4
network: {zoneEgressPerGiB: 0.02, regionEgressPerGiB: 0.03, internetEgressPerGiB: 0.09}
loadBalancer: {perHour: 0.03}
rules:
  - name: gpu
    match:
      labels: {pool: "gpu-*", team: ml}
      instanceType: "p4d.*"
      nodeName: "node-?"
      gpuModel: "*a100*"
      provider: aws
      capacityType: spot
    nodePerHour: 10
    cpuPerCoreHour: 1
    spot: {nodePerHour: 4}
    split: opencost
    applyDiscount: false
  - match: {}
    ramPerGiBHour: 0.002
storageClasses:
  - {name: gp3, perGiBMonth: 0.08}
  - {name: "fast-*", perGiBHour: 0.001}
)",
                                   "pricing.yaml");
  ASSERT_TRUE(result) << result.error().message;
  const CustomPricing& c = *result;
  EXPECT_EQ(c.split, SplitPolicy::kAws9To1);
  EXPECT_DOUBLE_EQ(c.discount, 0.1);
  EXPECT_DOUBLE_EQ(c.negotiated_discount, 0.05);
  EXPECT_NEAR(c.combinedDiscount(), 1 - 0.9 * 0.95, 1e-12);
  ASSERT_TRUE(c.spot_label);
  EXPECT_EQ(c.spot_label->key, "example.com/capacity");
  EXPECT_EQ(c.spot_label->value, "cheap");
  EXPECT_FALSE(c.use_catalog);
  EXPECT_EQ(c.defaults.cpu_per_core_hour, 0.05);
  EXPECT_EQ(c.defaults.gpu_per_gpu_hour, 2.0);
  EXPECT_NEAR(*c.defaults.storage_per_gib_hour, 0.073 / 730, 1e-15);
  EXPECT_EQ(c.defaults.spot_to_on_demand_ratio, 0.4);
  EXPECT_EQ(c.network.internet_egress_per_gib, 0.09);
  EXPECT_EQ(c.load_balancer_per_hour, 0.03);
  ASSERT_EQ(c.rules.size(), 2u);
  const PricingRule& r = c.rules[0];
  EXPECT_EQ(r.name, "gpu");
  EXPECT_EQ(r.line, 21);
  ASSERT_EQ(r.match.labels.size(), 2u);
  EXPECT_EQ(r.match.labels[0], (std::pair<std::string, std::string>{"pool", "gpu-*"}));
  EXPECT_EQ(r.match.instance_type, "p4d.*");
  EXPECT_EQ(r.match.node_name, "node-?");
  EXPECT_EQ(r.match.gpu_model, "*a100*");
  EXPECT_EQ(r.match.provider, Provider::kAws);
  EXPECT_EQ(r.match.spot, true);
  EXPECT_EQ(r.prices.node_per_hour, 10.0);
  EXPECT_EQ(r.prices.cpu_per_core_hour, 1.0);
  ASSERT_TRUE(r.spot_prices);
  EXPECT_EQ(r.spot_prices->node_per_hour, 4.0);
  EXPECT_EQ(r.split, SplitPolicy::kOpenCost);
  EXPECT_FALSE(r.apply_discount);
  EXPECT_EQ(c.rules[1].prices.ram_per_gib_hour, 0.002);
  EXPECT_TRUE(c.rules[1].apply_discount);
  ASSERT_EQ(c.storage_classes.size(), 2u);
  EXPECT_NEAR(c.storage_classes[0].per_gib_hour, 0.08 / 730, 1e-15);
  EXPECT_EQ(c.storage_classes[1].name, "fast-*");
}

TEST(PricingCustom, WrongTypeNamesFileLineAndField) {
  std::string message = errorOf(R"(rules:
  - match: {instanceType: m5.large}
    nodePerHour: 1
  - match: {nodeName: a}
    nodePerHour: 1
  - match:
      instanceType: [m5.large, m5.xlarge]
    nodePerHour: 1
)");
  EXPECT_EQ(message,
            "pricing.yaml:7: rules[2].match.instanceType: expected a string, got a sequence");
}

TEST(PricingCustom, UnknownKeysAreErrors) {
  EXPECT_EQ(errorOf("defaults:\n  cpuPerCoreHuor: 0.1\n").substr(0, 54),
            "pricing.yaml:2: defaults.cpuPerCoreHuor: unknown key (");
  EXPECT_NE(errorOf("discont: 0.1\n").find("pricing.yaml:1: discont: unknown key"),
            std::string::npos);
  EXPECT_NE(errorOf("rules:\n  - match: {}\n    nodePerHour: 1\n    colour: red\n")
                .find("pricing.yaml:4: rules[0].colour: unknown key"),
            std::string::npos);
  EXPECT_NE(errorOf("rules:\n  - match:\n      label: {a: b}\n    nodePerHour: 1\n")
                .find("pricing.yaml:3: rules[0].match.label: unknown key"),
            std::string::npos);
  EXPECT_NE(errorOf("rules:\n  - match: {}\n    spot: {nodeHourly: 1}\n    nodePerHour: 1\n")
                .find("rules[0].spot.nodeHourly: unknown key"),
            std::string::npos);
}

TEST(PricingCustom, BadValuesNameTheField) {
  EXPECT_EQ(errorOf("defaults:\n  cpuPerCoreHour: -0.1\n"),
            "pricing.yaml:2: defaults.cpuPerCoreHour: expected a finite number >= 0, got \"-0.1\"");
  EXPECT_EQ(errorOf("defaults:\n  ramPerGiBHour: cheap\n"),
            "pricing.yaml:2: defaults.ramPerGiBHour: expected a number, got \"cheap\"");
  EXPECT_EQ(errorOf("defaults:\n  gpuPerGpuHour: .nan\n"),
            "pricing.yaml:2: defaults.gpuPerGpuHour: expected a number, got \".nan\"");
  EXPECT_EQ(errorOf("defaults:\n  gpuPerGpuHour: inf\n"),
            "pricing.yaml:2: defaults.gpuPerGpuHour: expected a finite number >= 0, got \"inf\"");
  EXPECT_EQ(errorOf("defaults:\n  gpuPerGpuHour:\n"),
            "pricing.yaml:2: defaults.gpuPerGpuHour: expected a number, got nothing");
  EXPECT_EQ(errorOf("discount: 1.5\n"),
            "pricing.yaml:1: discount: expected a fraction in [0, 1) or a percentage below 100%, "
            "got \"1.5\"");
  EXPECT_EQ(errorOf("negotiatedDiscount: 120%\n"),
            "pricing.yaml:1: negotiatedDiscount: expected a fraction in [0, 1) or a percentage "
            "below 100%, got \"120%\"");
  EXPECT_EQ(errorOf("split: 50-50\n"),
            "pricing.yaml:1: split: expected \"opencost\" or \"aws-9to1\", got \"50-50\"");
  EXPECT_EQ(errorOf("useCatalog: maybe\n"),
            "pricing.yaml:1: useCatalog: expected true or false, got \"maybe\"");
  EXPECT_EQ(errorOf("version: 2\n"),
            "pricing.yaml:1: version: expected 1 (the only schema version), got \"2\"");
  EXPECT_EQ(errorOf("rules:\n  - match: {provider: oracle}\n    nodePerHour: 1\n"),
            "pricing.yaml:2: rules[0].match.provider: expected aws, gcp or azure, got \"oracle\"");
  EXPECT_EQ(errorOf("rules:\n  - match: {capacityType: reserved}\n    nodePerHour: 1\n"),
            "pricing.yaml:2: rules[0].match.capacityType: expected \"spot\" or \"on-demand\", "
            "got \"reserved\"");
  EXPECT_EQ(errorOf("rules: {a: 1}\n"),
            "pricing.yaml:1: rules: expected a sequence of rules, got a mapping");
  EXPECT_EQ(errorOf("- 1\n- 2\n"), "pricing.yaml:1: (document): expected a mapping, got a sequence");
  EXPECT_EQ(errorOf("loadBalancer: 0.025\n"),
            "pricing.yaml:1: loadBalancer: expected a mapping, got \"0.025\"");
}

TEST(PricingCustom, RuleStructureErrors) {
  EXPECT_EQ(errorOf("rules:\n  - nodePerHour: 1\n"),
            "pricing.yaml:2: rules[0].match: expected a match mapping (use match: {} to match "
            "every node)");
  EXPECT_EQ(errorOf("rules:\n  - name: x\n    match: {}\n"),
            "pricing.yaml:2: rules[0]: expected a price (nodePerHour, cpuPerCoreHour, "
            "ramPerGiBHour or gpuPerGpuHour)");
  EXPECT_EQ(errorOf("rules:\n  - match: {}\n    nodePerHour: 1\n    spot: {}\n"),
            "pricing.yaml:4: rules[0].spot: expected at least one price, got a mapping");
  EXPECT_EQ(errorOf("rules:\n  - 3\n"), "pricing.yaml:2: rules[0]: expected a mapping, got \"3\"");
}

TEST(PricingCustom, StorageClassErrors) {
  EXPECT_EQ(errorOf("storageClasses:\n  - name: gp3\n    perGiBMonth: 0.08\n    perGiBHour: 0.1\n"),
            "pricing.yaml:2: storageClasses[0]: expected exactly one of perGiBHour and perGiBMonth");
  EXPECT_EQ(errorOf("storageClasses:\n  - perGiBMonth: 0.08\n"),
            "pricing.yaml:2: storageClasses[0].name: expected a storage class name");
  EXPECT_EQ(errorOf("defaults: {storagePerGiBHour: 0.1, storagePerGiBMonth: 1}\n"),
            "pricing.yaml:1: defaults.storagePerGiBMonth: expected only one of storagePerGiBHour "
            "and storagePerGiBMonth");
}

TEST(PricingCustom, DuplicateKeysAreErrors) {
  EXPECT_EQ(errorOf("discount: 0.1\ndiscount: 0.2\n"), "pricing.yaml:2: discount: duplicate key");
}

TEST(PricingCustom, SpotLabelValueNeedsSpotLabel) {
  EXPECT_EQ(errorOf("spotLabelValue: x\n"),
            "pricing.yaml:1: spotLabelValue: expected spotLabel to be set as well");
}

TEST(PricingCustom, SyntaxErrorNamesTheLine) {
  std::string message = errorOf("defaults:\n  cpuPerCoreHour: 0.1\n rules: [\n");
  EXPECT_EQ(message.rfind("pricing.yaml:3: (document): expected valid YAML", 0), 0u) << message;
}

TEST(PricingCustom, LoadMissingFileIsIoError) {
  auto result = loadCustomPricing("/nonexistent/pricing.yaml");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kIo);
  EXPECT_NE(result.error().message.find("/nonexistent/pricing.yaml"), std::string::npos);
}

TEST(PricingCustom, LoadFileUsesPathInMessages) {
  namespace fs = std::filesystem;
  fs::path path = fs::temp_directory_path() / "trimtab_pricing_test_bad.yaml";
  {
    std::ofstream out(path);
    out << "defaults:\n  cpuPerCoreHour: x\n";
  }
  auto result = loadCustomPricing(path.string());
  fs::remove(path);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message,
            path.string() + ":2: defaults.cpuPerCoreHour: expected a number, got \"x\"");
}

// The example in docs/pricing.md must stay valid.
TEST(PricingCustom, DocumentationExampleParses) {
  std::ifstream in(std::string(TRIMTAB_SOURCE_DIR) + "/docs/pricing.md");
  if (!in) GTEST_SKIP() << "docs/pricing.md not found";
  std::stringstream text;
  text << in.rdbuf();
  std::string doc = text.str();
  std::size_t begin = doc.find("```yaml\n");
  ASSERT_NE(begin, std::string::npos);
  begin += 8;
  std::size_t end = doc.find("```", begin);
  ASSERT_NE(end, std::string::npos);
  auto result = parseCustomPricing(doc.substr(begin, end - begin), "docs/pricing.md");
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->rules.size(), 3u);
  EXPECT_EQ(result->storage_classes.size(), 2u);
  EXPECT_NEAR(result->combinedDiscount(), 1 - 0.9 * 0.95, 1e-12);
}

}  // namespace
}  // namespace trimtab::pricing
