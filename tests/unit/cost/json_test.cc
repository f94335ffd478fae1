#include "cost/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace trimtab::cost {
namespace {

Allocation sample() {
  Allocation a;
  a.name = "kube-system";
  a.properties.cluster = "cluster-one";
  a.properties.namespace_name = "kube-system";
  a.window_start = 1674041925;  // 2023-01-18T11:38:45Z
  a.window_end = 1674214725;
  a.start = 1674041925;
  a.end = 1674214680;  // 2023-01-20T11:38:00Z
  a.cpu_core_hours = 21.588536;
  a.cpu_core_request_average = 0.449881;
  a.cpu_core_usage_average = 0.009417;
  a.cpu_cost = 0.4088223456;
  a.ram_byte_hours = 7042690751.33;
  a.ram_byte_request_average = 146761671.65;
  a.ram_byte_usage_average = 125495250.51;
  a.ram_cost = 0.016647;
  return a;
}

TEST(Json, GoldenSingleAllocation) {
  std::string out;
  appendAllocationJson(out, sample());
  const std::string golden =
      R"({"name":"kube-system","properties":{"cluster":"cluster-one","namespace":"kube-system"},)"
      R"("window":{"start":"2023-01-18T11:38:45Z","end":"2023-01-20T11:38:45Z"},)"
      R"("start":"2023-01-18T11:38:45Z","end":"2023-01-20T11:38:00Z","minutes":2879.25,)"
      R"("cpuCores":0.44988,"cpuCoreRequestAverage":0.44988,"cpuCoreUsageAverage":0.00942,)"
      R"("cpuCoreHours":21.58854,"cpuCost":0.40882,"cpuCostAdjustment":0,"cpuCostIdle":0,)"
      R"("cpuEfficiency":0.02093,"gpuCount":0,"gpuRequestAverage":0,"gpuUsageAverage":0,)"
      R"("gpuHours":0,"gpuCost":0,"gpuCostAdjustment":0,"gpuCostIdle":0,"gpuEfficiency":0,)"
      R"("networkTransferBytes":0,"networkReceiveBytes":0,"networkCost":0,)"
      R"("networkCrossZoneCost":0,"networkCrossRegionCost":0,"networkInternetCost":0,)"
      R"("networkCostAdjustment":0,"loadBalancerCost":0,"loadBalancerCostAdjustment":0,)"
      R"("pvBytes":0,"pvByteHours":0,"pvCost":0,"pvs":null,"pvCostAdjustment":0,)"
      R"("ramBytes":146760942.98161,"ramByteRequestAverage":146761671.65,)"
      R"("ramByteUsageAverage":125495250.51,"ramByteHours":7042690751.33,"ramCost":0.01665,)"
      R"("ramCostAdjustment":0,"ramCostIdle":0,"ramEfficiency":0.8551,"externalCost":0,)"
      R"("sharedCost":0,"totalCost":0.42547,"totalEfficiency":0.05357,"rawAllocationOnly":null})";
  EXPECT_EQ(out, golden);
}

TEST(Json, EnvelopeOneMapPerStep) {
  AllocationSet s1, s2;
  s1.allocations.push_back(sample());
  std::string j = toOpenCostJson({s1, s2});
  EXPECT_EQ(j.rfind(R"({"code":200,"status":"success","data":[{"kube-system":{"name":)", 0), 0u);
  EXPECT_EQ(j.substr(j.size() - 6), "},{}]}");
  EXPECT_EQ(toOpenCostJson({}), R"({"code":200,"status":"success","data":[]})");
}

TEST(Json, RoundingNullsAndOptionalFields) {
  Allocation a = sample();
  a.cpu_core_usage_average = std::numeric_limits<double>::quiet_NaN();
  a.network_cost = std::numeric_limits<double>::infinity();
  a.gpu_cost = 1.234567;
  a.external_cost = -0.000001;  // rounds to 0, printed without sign
  a.cpu_core_usage_max = 1.5;
  a.pvs["cluster=c:name=pv"] = {10, 0.123456789, "vol-1"};
  a.lb_allocations["c/ns/svc"] = {"ns/svc", 2, false, "1.2.3.4", 24};
  std::string out;
  appendAllocationJson(out, a);
  EXPECT_NE(out.find(R"("cpuCoreUsageAverage":null)"), std::string::npos);
  EXPECT_NE(out.find(R"("networkCost":null)"), std::string::npos);
  EXPECT_NE(out.find(R"("gpuCost":1.23457)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("externalCost":0,)"), std::string::npos);
  EXPECT_NE(out.find(R"("rawAllocationOnly":{"cpuCoreUsageMax":1.5,"ramByteUsageMax":0})"),
            std::string::npos);
  EXPECT_NE(out.find(R"("pvs":{"cluster=c:name=pv":{"byteHours":10,"cost":0.12346,)"
                     R"("providerID":"vol-1"}})"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(R"("lbAllocations":{"c/ns/svc":{"service":"ns/svc","cost":2,)"
                     R"("private":false,"ip":"1.2.3.4","hours":24}})"),
            std::string::npos);
  EXPECT_EQ(out.find("sharedCostBreakdown"), std::string::npos);
  EXPECT_EQ(out.find("proportionalAssetResourceCosts"), std::string::npos);
  EXPECT_EQ(roundForResponse(0.123455), std::round(0.123455 * 1e5) / 1e5);
}

TEST(Json, StringEscaping) {
  std::string out;
  appendJsonString(out, "a\"b\\c\nd\te\x01\x1f/é");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f/é\"");
}

TEST(Json, ErrorEnvelope) {
  EXPECT_EQ(errorJson(400, "filter: at offset 3: expected \"x\""),
            R"({"code":400,"status":"error","message":"filter: at offset 3: expected \"x\""})");
}

TEST(Csv, OneRowPerAllocationPerStepWithQuoting) {
  AllocationSet s;
  s.window_start = 1674041925;
  s.window_end = 1674214725;
  Allocation a = sample();
  a.name = "a,\"b\"";
  s.allocations.push_back(a);
  s.allocations.push_back(sample());
  std::string csv = toCsv({s, s});
  size_t lines = 0;
  for (char c : csv) lines += c == '\n';
  EXPECT_EQ(lines, 5u);
  EXPECT_EQ(csv.rfind("windowStart,windowEnd,name,", 0), 0u);
  EXPECT_NE(csv.find("2023-01-18T11:38:45Z,2023-01-20T11:38:45Z,\"a,\"\"b\"\"\",cluster-one"),
            std::string::npos);
}

}  // namespace
}  // namespace trimtab::cost
