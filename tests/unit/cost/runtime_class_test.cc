// WebAssembly workloads in the cost engine: runtimeClass/wasm properties (merge, JSON),
// aggregate=runtimeClass, runtimeClass/wasm filters, usageSource merge and output.
#include <gtest/gtest.h>

#include <string>

#include "cost/aggregate.h"
#include "cost/filter.h"
#include "cost/json.h"
#include "fixtures.h"

namespace trimtab::cost {
namespace {

using testing::ContainerSpec;
using testing::makeContainer;

Allocation container(const std::string& pod, const std::string& rc, bool wasm) {
  Allocation a = makeContainer(
      ContainerSpec{"c1", "n1", "edge", pod, "fn", "deployment", "fn", {}, {}, {}, 1});
  a.properties.runtime_class = rc;
  a.properties.wasm = wasm;
  return a;
}

AllocationSet set3() {
  AllocationSet s;
  s.window_start = testing::kDayStart;
  s.window_end = testing::kDayEnd;
  s.allocations.push_back(container("p1", "wasmtime-spin-v2", true));
  s.allocations.push_back(container("p2", "wasmtime-spin-v2", true));
  s.allocations.push_back(container("p3", "", false));
  s.allocations[0].usage_source = UsageSource::kRequests;
  return s;
}

TEST(RuntimeClassProperty, IntersectKeepsOnlyCommonValues) {
  AllocationProperties a, b;
  a.runtime_class = b.runtime_class = "spin";
  a.wasm = b.wasm = true;
  AllocationProperties c = a;
  c.intersect(b, false);
  EXPECT_EQ(c.runtime_class, "spin");
  EXPECT_TRUE(c.wasm);
  b.runtime_class = "runc";
  b.wasm = false;
  a.intersect(b, false);
  EXPECT_EQ(a.runtime_class, "");
  EXPECT_FALSE(a.wasm);
}

TEST(UsageSourceMerge, EqualStaysOtherwiseMixed) {
  Allocation a = container("p1", "spin", true), b = container("p2", "spin", true);
  a.usage_source = b.usage_source = UsageSource::kRequests;
  Allocation m = a;
  m.add(b);
  EXPECT_EQ(m.usage_source, UsageSource::kRequests);
  b.usage_source = UsageSource::kMeasured;
  m.add(b);
  EXPECT_EQ(m.usage_source, UsageSource::kMixed);
  EXPECT_EQ(usageSourceName(UsageSource::kMeasured), "measured");
  EXPECT_EQ(usageSourceName(UsageSource::kRequests), "requests");
  EXPECT_EQ(usageSourceName(UsageSource::kMixed), "mixed");
}

TEST(AggregateRuntimeClass, GroupsByClassWithUnallocatedForNone) {
  AllocationQuery q;
  q.aggregate = {"runtimeClass"};
  ASSERT_TRUE(validateAggregate(q.aggregate));
  auto r = computeAllocation(set3(), AssetCosts{}, q);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->allocations.size(), 2u);
  EXPECT_EQ(r->allocations[0].name, "__unallocated__");
  EXPECT_EQ(r->allocations[0].usage_source, UsageSource::kMeasured);
  const Allocation& w = r->allocations[1];
  EXPECT_EQ(w.name, "wasmtime-spin-v2");
  EXPECT_EQ(w.properties.runtime_class, "wasmtime-spin-v2");
  EXPECT_TRUE(w.properties.wasm);
  EXPECT_EQ(w.usage_source, UsageSource::kMixed);  // p1 fell back, p2 measured
  EXPECT_DOUBLE_EQ(w.cpu_cost, 2);
}

TEST(AggregateRuntimeClass, CombinesWithOtherKeys) {
  AllocationQuery q;
  q.aggregate = {"namespace", "runtimeClass"};
  auto r = computeAllocation(set3(), AssetCosts{}, q);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->allocations.size(), 2u);
  EXPECT_EQ(r->allocations[0].name, "edge/__unallocated__");
  EXPECT_EQ(r->allocations[1].name, "edge/wasmtime-spin-v2");
}

TEST(AggregateRuntimeClass, UnknownKeyMessageListsIt) {
  auto s = validateAggregate({"runtimeclass"});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("runtimeClass"), std::string::npos);
}

TEST(FilterRuntimeClass, ByNameAndByWasmFlag) {
  auto f = parseAllocationFilter(R"(runtimeClass:"wasmtime-spin-v2")");
  ASSERT_TRUE(f) << f.error().message;
  const AllocationSet s = set3();
  EXPECT_TRUE(f->matches(s.allocations[0].properties));
  EXPECT_FALSE(f->matches(s.allocations[2].properties));
  auto contains = parseAllocationFilter(R"(runtimeClass~:"spin")");
  ASSERT_TRUE(contains);
  EXPECT_TRUE(contains->matches(s.allocations[1].properties));
  auto wasm = parseAllocationFilter(R"(wasm:"true")");
  ASSERT_TRUE(wasm);
  EXPECT_TRUE(wasm->matches(s.allocations[0].properties));
  EXPECT_FALSE(wasm->matches(s.allocations[2].properties));
  auto native = parseAllocationFilter(R"(wasm:"false")");
  ASSERT_TRUE(native);
  EXPECT_TRUE(native->matches(s.allocations[2].properties));
  // Canonical text parses back to the same meaning.
  auto again = parseAllocationFilter(f->toString());
  ASSERT_TRUE(again) << f->toString();
  EXPECT_EQ(again->toString(), f->toString());
  EXPECT_NE(f->toString().find("runtimeClass"), std::string::npos);
}

TEST(FilterRuntimeClass, FilteredQueryKeepsOnlyWasm) {
  AllocationQuery q;
  q.aggregate = {"pod"};
  q.filter = *parseAllocationFilter(R"(wasm:"true")");
  auto r = computeAllocation(set3(), AssetCosts{}, q);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->allocations.size(), 2u);
  EXPECT_EQ(r->allocations[0].name, "p1");
  EXPECT_EQ(r->allocations[1].name, "p2");
}

TEST(JsonRuntimeClass, PropertiesAndUsageSource) {
  const AllocationSet s = set3();
  std::string out;
  appendAllocationJson(out, s.allocations[0]);
  EXPECT_NE(out.find(R"("providerID":"n1-id","runtimeClass":"wasmtime-spin-v2","wasm":true})"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(R"("usageSource":"requests")"), std::string::npos) << out;
  out.clear();
  appendAllocationJson(out, s.allocations[2]);
  EXPECT_EQ(out.find("runtimeClass"), std::string::npos) << out;
  EXPECT_EQ(out.find("\"wasm\""), std::string::npos) << out;
  EXPECT_EQ(out.find("usageSource"), std::string::npos) << out;
  Allocation mixed = s.allocations[1];
  mixed.usage_source = UsageSource::kMixed;
  out.clear();
  appendAllocationJson(out, mixed);
  EXPECT_NE(out.find(R"("usageSource":"mixed")"), std::string::npos) << out;
}

}  // namespace
}  // namespace trimtab::cost
