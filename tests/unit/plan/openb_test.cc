// openb CSV readers: good input, malformed rows (file, line and field named), unknown GPU models,
// and the real trace when ../shared is present.
#include "plan/openb.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace trimtab::plan {
namespace {

constexpr const char* kNodes =
    "sn,cpu_milli,memory_mib,gpu,model\n"
    "node-a,64000,262144,2,P100\n"
    "node-b,96000,393216,8,G2\r\n"
    "node-c,32000,65536,0,\n";

TEST(PlanOpenb, ParsesNodes) {
  auto c = parseOpenbNodes(kNodes, "nodes.csv");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->nodes.size(), 3u);
  EXPECT_EQ(c->nodes[1].name, "node-b");
  EXPECT_EQ(c->nodes[1].cpu_milli, 96000);
  EXPECT_EQ(c->nodes[1].gpu_count, 8);
  EXPECT_EQ(c->gpu_models.name(c->nodes[1].gpu_model), "G2");
  EXPECT_EQ(c->nodes[2].gpu_model, -1);
  EXPECT_EQ(c->totalGpus(), 10);
  EXPECT_EQ(c->nodes[0].labels.at("kubernetes.io/hostname"), "node-a");
}

TEST(PlanOpenb, ParsesElevenAndFiveColumnPodLists) {
  auto c = parseOpenbNodes(kNodes, "nodes.csv");
  ASSERT_TRUE(c);
  auto pods = parseOpenbPods(
      "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
      "deletion_time,scheduled_time\n"
      "p0,12000,16384,1,460,,LS,Running,0,12537496,0\n"
      "p1,6000,12288,2,1000,P100|G2,BE,Running,1,2,1\n"
      "p2,1000,100,0,0,,BE,Running,1,2,1\n",
      "pods.csv", c->gpu_models);
  ASSERT_TRUE(pods) << pods.error().message;
  ASSERT_EQ(pods->size(), 3u);
  EXPECT_TRUE((*pods)[0].isGpuShare());
  EXPECT_EQ((*pods)[1].gpuMilliTotal(), 2000);
  EXPECT_EQ((*pods)[1].gpu_model_mask, 0b11u);
  EXPECT_FALSE((*pods)[2].wantsGpu());
  auto five = parseOpenbPods("name,cpu_milli,memory_mib,num_gpu,gpu_milli\nq,1,2,8,1000\n",
                             "multigpu.csv", c->gpu_models);
  ASSERT_TRUE(five) << five.error().message;
  EXPECT_EQ((*five)[0].num_gpu, 8);
}

TEST(PlanOpenb, MalformedRowNamesFileLineAndField) {
  GpuModels models;
  auto r = parseOpenbPods("name,cpu_milli,memory_mib,num_gpu,gpu_milli\nok,1,1,0,0\nbad,1,x,0,0\n",
                          "pods.csv", models);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kParse);
  EXPECT_NE(r.error().message.find("pods.csv:3"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("memory_mib"), std::string::npos) << r.error().message;

  r = parseOpenbPods("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,0\n", "pods.csv", models);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("pods.csv:2"), std::string::npos) << r.error().message;

  r = parseOpenbPods("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,-5,1,0,0\n", "pods.csv",
                     models);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cpu_milli"), std::string::npos);

  r = parseOpenbPods("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,1,1001\n", "pods.csv",
                     models);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("gpu_milli"), std::string::npos);

  r = parseOpenbPods("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,2,500\n", "pods.csv",
                     models);
  ASSERT_FALSE(r);  // multi-GPU pods must take whole devices

  r = parseOpenbPods("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,0,0\np,1,1,0,0\n",
                     "pods.csv", models);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("duplicate"), std::string::npos);

  auto n = parseOpenbNodes("sn,cpu_milli,memory_mib,gpu,model\nn,1,1,2,\n", "nodes.csv");
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message.find("nodes.csv:2: field \"model\""), std::string::npos)
      << n.error().message;
  n = parseOpenbNodes("sn,cpu_milli,memory_mib,gpu,model\nn,1,1,17,T4\n", "nodes.csv");
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message.find("field \"gpu\""), std::string::npos);
}

TEST(PlanOpenb, MissingHeaderColumnAndEmptyFile) {
  GpuModels models;
  auto r = parseOpenbPods("name,cpu_milli,memory_mib,gpu_milli\n", "pods.csv", models);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("num_gpu"), std::string::npos);
  r = parseOpenbPods("", "pods.csv", models);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("empty"), std::string::npos);
  auto n = parseOpenbNodes("", "nodes.csv");
  ASSERT_FALSE(n);
}

TEST(PlanOpenb, UnknownGpuModelIsAnError) {
  auto c = parseOpenbNodes(kNodes, "nodes.csv");
  ASSERT_TRUE(c);
  auto r =
      parseOpenbPods("name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec\np,1,1,1,500,T4|H100\n",
                     "pods.csv", c->gpu_models);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unknown GPU model \"T4\""), std::string::npos)
      << r.error().message;
}

TEST(PlanOpenb, MissingFileIsAnIoError) {
  auto r = readOpenbNodes("/nonexistent/nodes.csv");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_NE(r.error().message.find("/nonexistent/nodes.csv"), std::string::npos);
}

TEST(PlanOpenb, RealTraceShapes) {
  const std::string dir = std::string(TRIMTAB_SHARED_DIR) + "/data/fgd-openb";
  if (!std::filesystem::exists(dir + "/openb_node_list_gpu_node.csv")) {
    GTEST_SKIP() << "openb trace not found under " << dir << " (../shared absent)";
  }
  auto c = readOpenbNodes(dir + "/openb_node_list_gpu_node.csv");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->nodes.size(), 1213u);
  EXPECT_EQ(c->totalGpus(), 6212);
  auto pods = readOpenbPods(dir + "/openb_pod_list_default.csv", c->gpu_models);
  ASSERT_TRUE(pods) << pods.error().message;
  EXPECT_EQ(pods->size(), 8152u);
  std::int64_t gpu = 0;
  for (const auto& p : *pods) gpu += p.gpuMilliTotal();
  EXPECT_EQ(gpu / 1000, 6086);
  auto spec = readOpenbPods(dir + "/openb_pod_list_gpuspec25.csv", c->gpu_models);
  ASSERT_TRUE(spec) << spec.error().message;
  auto multi = readOpenbPods(dir + "/openb_pod_list_multigpu40.csv", c->gpu_models);
  ASSERT_TRUE(multi) << multi.error().message;
  EXPECT_EQ(multi->size(), 8746u);
}

}  // namespace
}  // namespace trimtab::plan
