#include "model/decode.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "model/time_format.h"

namespace trimtab::model {
namespace {

std::string readData(const std::string& name) {
  std::ifstream in(std::string(TRIMTAB_SOURCE_DIR) + "/tests/data/model/" + name,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

DecodeResult decodeFile(const std::string& name) {
  auto r = decodeObjects(readData(name), name);
  EXPECT_TRUE(r.has_value()) << r.error().message;
  return r ? std::move(*r) : DecodeResult{};
}

std::string errorOf(std::string_view json, std::string_view source = "x.json") {
  auto r = decodeObjects(json, source);
  if (r) return "<no error>";
  EXPECT_EQ(r.error().code, ErrorCode::kParse);
  return r.error().message;
}

TEST(ModelDecodeTest, PodList) {
  DecodeResult r = decodeFile("pods.json");
  EXPECT_TRUE(r.warnings.empty());
  ASSERT_EQ(r.objects.pods.size(), 5u);
  EXPECT_EQ(r.objects.size(), 5u);
  const Pod& api = r.objects.pods[0];
  EXPECT_EQ(api.meta.name, "api-7f9d8c6b5-x2k4p");
  EXPECT_EQ(api.meta.namespace_name, "shop");
  EXPECT_EQ(api.meta.uid, "0f1e2d3c-0000-4000-8000-00000000a001");
  EXPECT_EQ(api.meta.resource_version, "123456");
  EXPECT_EQ(api.meta.creation_timestamp, *parseRfc3339("2024-01-02T03:04:05Z"));
  EXPECT_FALSE(api.meta.deletion_timestamp.has_value());
  const StringMap labels = {{"app", "api"}, {"pod-template-hash", "7f9d8c6b5"}, {"team", "checkout"}};
  EXPECT_EQ(api.meta.labels, labels);
  EXPECT_EQ(api.meta.annotations.size(), 2u);
  ASSERT_EQ(api.meta.owner_references.size(), 1u);
  EXPECT_EQ(api.meta.owner_references[0].kind, "ReplicaSet");
  EXPECT_EQ(api.meta.owner_references[0].name, "api-7f9d8c6b5");
  EXPECT_EQ(api.meta.owner_references[0].api_version, "apps/v1");
  EXPECT_TRUE(api.meta.owner_references[0].controller);
  EXPECT_EQ(api.node_name, "ip-10-0-1-23.ec2.internal");
  EXPECT_EQ(api.phase, "Running");
  EXPECT_EQ(api.qos_class, "Burstable");
  EXPECT_EQ(api.priority_class_name, "standard");
  EXPECT_EQ(api.scheduler_name, "default-scheduler");
  EXPECT_EQ(api.start_time, *parseRfc3339("2024-01-02T03:04:06Z"));
  EXPECT_FALSE(api.host_network);
  const StringMap selector = {{"kubernetes.io/os", "linux"}};
  EXPECT_EQ(api.node_selector, selector);

  // Containers in start order: init, sidecar, init, then regular.
  ASSERT_EQ(api.containers.size(), 5u);
  EXPECT_EQ(api.containers[0].name, "migrate");
  EXPECT_EQ(api.containers[0].kind, ContainerKind::kInit);
  EXPECT_EQ(api.containers[1].name, "istio-proxy");
  EXPECT_EQ(api.containers[1].kind, ContainerKind::kSidecar);
  EXPECT_EQ(api.containers[1].limits.cpu_millicores, 2000);
  EXPECT_EQ(api.containers[2].name, "warmup");
  EXPECT_EQ(api.containers[2].kind, ContainerKind::kInit);
  EXPECT_EQ(api.containers[3].name, "web");
  EXPECT_EQ(api.containers[3].kind, ContainerKind::kRegular);
  EXPECT_EQ(api.containers[3].image, "registry.example.com/shop/api:1.42.0");
  EXPECT_EQ(api.containers[3].requests.cpu_millicores, 250);
  EXPECT_EQ(api.containers[3].requests.memory_bytes, 512LL << 20);
  EXPECT_EQ(api.containers[3].limits.memory_bytes, 1LL << 30);
  EXPECT_EQ(api.containers[4].requests.cpu_millicores, 50);

  // Effective request: cpu max(250+50+100, 2000, 500+100) = 2000m;
  // memory max(512+64+128, 256, 1024+128) Mi = 1152Mi.
  ResourceVector eff = api.effectiveRequests();
  EXPECT_EQ(eff.cpu_millicores, 2000);
  EXPECT_EQ(eff.memory_bytes, 1152LL << 20);

  ASSERT_EQ(api.container_statuses.size(), 5u);
  EXPECT_EQ(api.container_statuses[0].name, "migrate");
  EXPECT_EQ(api.container_statuses[0].state, "terminated");
  EXPECT_EQ(api.container_statuses[1].state, "running");
  EXPECT_EQ(api.container_statuses[3].name, "web");
  EXPECT_EQ(api.container_statuses[3].last_terminated_reason, "OOMKilled");
  EXPECT_EQ(api.container_statuses[3].restart_count, 3);
  EXPECT_TRUE(api.container_statuses[3].ready);
  EXPECT_EQ(api.container_statuses[3].started_at, *parseRfc3339("2024-01-03T10:00:02Z"));
  EXPECT_EQ(api.container_statuses[4].started_at, *parseRfc3339("2024-01-02T03:04:18Z"));

  ASSERT_EQ(api.volumes.size(), 4u);
  EXPECT_TRUE(api.volumes[0].empty_dir);
  EXPECT_EQ(api.volumes[1].pvc_claim_name, "api-data");
  EXPECT_TRUE(api.volumes[2].host_path);
  EXPECT_FALSE(api.volumes[3].empty_dir);
  EXPECT_EQ(api.volumes[3].pvc_claim_name, "");

  ASSERT_EQ(api.required_node_affinity.size(), 1u);
  ASSERT_EQ(api.required_node_affinity[0].size(), 2u);
  EXPECT_EQ(api.required_node_affinity[0][0].key, "topology.kubernetes.io/zone");
  EXPECT_EQ(api.required_node_affinity[0][0].op, "In");
  const std::vector<std::string> zones = {"us-east-1a", "us-east-1b"};
  EXPECT_EQ(api.required_node_affinity[0][0].values, zones);
  EXPECT_EQ(api.required_node_affinity[0][1].op, "DoesNotExist");
  ASSERT_EQ(api.required_anti_affinity_hostname.size(), 1u);  // the zone term is not kept
  const StringMap anti = {{"app", "api"}};
  EXPECT_EQ(api.required_anti_affinity_hostname[0], anti);

  ASSERT_EQ(api.tolerations.size(), 2u);
  EXPECT_EQ(api.tolerations[0].op, "Exists");
  EXPECT_EQ(api.tolerations[0].effect, "NoExecute");
  EXPECT_EQ(api.tolerations[1].op, "Equal");
  EXPECT_EQ(api.tolerations[1].value, "shop");

  const Pod& job = r.objects.pods[1];
  EXPECT_EQ(job.phase, "Succeeded");
  EXPECT_EQ(job.containers[0].requests.memory_bytes, 2000000000);
  EXPECT_EQ(job.containers[0].requests.ephemeral_storage_bytes, 2LL << 30);

  const Pod& train = r.objects.pods[2];
  EXPECT_TRUE(train.host_network);
  EXPECT_EQ(train.runtime_class_name, "nvidia");
  EXPECT_EQ(train.containers[0].requests.gpus, 2);
  EXPECT_EQ(train.containers[0].requests.memory_bytes, 64LL << 30);
  EXPECT_FALSE(train.start_time.has_value());

  const Pod& notebook = r.objects.pods[3];
  EXPECT_EQ(notebook.containers[0].requests.extendedCount("nvidia.com/mig-1g.5gb"), 1);
  EXPECT_EQ(notebook.effectiveRequests().migSlices(), 1);
  EXPECT_TRUE(notebook.meta.labels.empty());
}

TEST(ModelDecodeTest, NodeList) {
  DecodeResult r = decodeFile("nodes.json");
  ASSERT_EQ(r.objects.nodes.size(), 3u);
  const Node& cpu = r.objects.nodes[0];
  EXPECT_EQ(cpu.meta.name, "ip-10-0-1-23.ec2.internal");
  EXPECT_EQ(cpu.provider_id, "aws:///us-east-1a/i-0123456789abcdef0");
  EXPECT_EQ(cpu.instanceType(), "m5.2xlarge");
  EXPECT_EQ(cpu.region(), "us-east-1");
  EXPECT_EQ(cpu.zone(), "us-east-1a");
  EXPECT_EQ(cpu.capacity.cpu_millicores, 8000);
  EXPECT_EQ(cpu.allocatable.cpu_millicores, 7910);
  EXPECT_EQ(cpu.capacity.memory_bytes, 32329780LL * 1024);
  EXPECT_EQ(cpu.allocatable.ephemeral_storage_bytes, 95491281146LL);
  EXPECT_EQ(cpu.capacity.pods, 58);
  EXPECT_EQ(cpu.capacity.extendedCount("hugepages-2Mi"), 0);
  EXPECT_EQ(cpu.capacity.extended.size(), 2u);
  EXPECT_TRUE(cpu.ready);
  EXPECT_FALSE(cpu.unschedulable);
  EXPECT_TRUE(cpu.taints.empty());

  const Node& gpu = r.objects.nodes[1];
  EXPECT_EQ(gpu.instanceType(), "a2-highgpu-8g");
  EXPECT_EQ(gpu.region(), "europe-west4");
  EXPECT_EQ(gpu.zone(), "europe-west4-a");
  EXPECT_EQ(gpu.capacity.gpus, 8);
  EXPECT_TRUE(gpu.capacity.hasGpu());
  ASSERT_EQ(gpu.taints.size(), 1u);
  EXPECT_EQ(gpu.taints[0].key, "nvidia.com/gpu");
  EXPECT_EQ(gpu.taints[0].value, "present");
  EXPECT_EQ(gpu.taints[0].effect, "NoSchedule");

  const Node& mig = r.objects.nodes[2];
  EXPECT_TRUE(mig.unschedulable);
  EXPECT_FALSE(mig.ready);
  EXPECT_EQ(mig.capacity.gpus, 0);
  EXPECT_EQ(mig.capacity.shared_gpus, 16);
  EXPECT_EQ(mig.capacity.migSlices(), 56);
  EXPECT_EQ(mig.taints.size(), 2u);
  EXPECT_DOUBLE_EQ(gpuEquivalent(mig.capacity, 2), 56.0 / 7 + 8);
}

TEST(ModelDecodeTest, MixedList) {
  DecodeResult r = decodeFile("cluster.json");
  const ObjectSet& o = r.objects;
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.warnings[0], "cluster.json: skipped 2 objects of kind ConfigMap");
  EXPECT_EQ(r.warnings[1], "cluster.json: skipped 1 object of kind Event");

  ASSERT_EQ(o.namespaces.size(), 1u);
  EXPECT_EQ(o.namespaces[0].meta.name, "shop");
  EXPECT_EQ(o.namespaces[0].meta.namespace_name, "");
  EXPECT_EQ(*lookup(o.namespaces[0].meta.labels, "team"), "checkout");

  ASSERT_EQ(o.persistent_volumes.size(), 2u);
  const PersistentVolume& pv = o.persistent_volumes[0];
  EXPECT_EQ(pv.capacity_bytes, 100LL << 30);
  EXPECT_EQ(pv.storage_class, "gp3");
  EXPECT_EQ(pv.claim_namespace, "shop");
  EXPECT_EQ(pv.claim_name, "api-data");
  EXPECT_EQ(pv.csi_driver, "ebs.csi.aws.com");
  EXPECT_EQ(pv.provider_volume_id, "vol-0abc123");
  EXPECT_EQ(pv.phase, "Bound");
  EXPECT_EQ(o.persistent_volumes[1].provider_volume_id, "legacy-disk-pd");
  EXPECT_EQ(o.persistent_volumes[1].capacity_bytes, 500000000000LL);

  ASSERT_EQ(o.persistent_volume_claims.size(), 1u);
  EXPECT_EQ(o.persistent_volume_claims[0].request_bytes, 80LL << 30);
  EXPECT_EQ(o.persistent_volume_claims[0].volume_name, "pvc-1111");
  EXPECT_EQ(o.persistent_volume_claims[0].phase, "Bound");

  ASSERT_EQ(o.services.size(), 3u);
  const Service& lb = o.services[0];
  EXPECT_EQ(lb.type, "LoadBalancer");
  ASSERT_EQ(lb.ports.size(), 2u);
  EXPECT_EQ(lb.ports[0].port, 80);
  EXPECT_EQ(lb.ports[1].name, "grpc");
  const std::vector<std::string> ingress = {"a1b2c3-123.us-east-1.elb.amazonaws.com",
                                            "203.0.113.7"};
  EXPECT_EQ(lb.load_balancer_ingress, ingress);
  EXPECT_EQ(o.services[2].type, "ExternalName");
  EXPECT_TRUE(o.services[2].selector.empty());

  ASSERT_EQ(o.workloads.size(), 6u);
  const Workload& deploy = o.workloads[0];
  EXPECT_EQ(deploy.kind, WorkloadKind::kDeployment);
  EXPECT_EQ(deploy.replicas, 3);
  // last-applied-configuration is dropped.
  ASSERT_EQ(deploy.meta.annotations.size(), 1u);
  EXPECT_EQ(deploy.meta.annotations[0].first, "deployment.kubernetes.io/revision");
  ASSERT_EQ(deploy.containers.size(), 2u);
  EXPECT_EQ(deploy.containers[0].kind, ContainerKind::kSidecar);
  EXPECT_EQ(deploy.containers[1].name, "web");
  const StringMap tmpl = {{"app", "api"}, {"team", "checkout"}};
  EXPECT_EQ(deploy.template_labels, tmpl);
  const StringMap match = {{"app", "api"}};
  EXPECT_EQ(deploy.selector_match_labels, match);

  EXPECT_EQ(o.workloads[1].kind, WorkloadKind::kReplicaSet);
  const Workload& cron = o.workloads[2];
  EXPECT_EQ(cron.kind, WorkloadKind::kCronJob);
  EXPECT_FALSE(cron.replicas.has_value());
  ASSERT_EQ(cron.containers.size(), 1u);
  EXPECT_EQ(cron.containers[0].requests.cpu_millicores, 1000);
  EXPECT_EQ(*lookup(cron.template_labels, "app"), "report");
  const Workload& job = o.workloads[3];
  EXPECT_EQ(job.kind, WorkloadKind::kJob);
  EXPECT_EQ(job.replicas, 1);
  EXPECT_EQ(job.meta.controllerRef()->kind, "CronJob");
  EXPECT_EQ(o.workloads[4].kind, WorkloadKind::kStatefulSet);
  EXPECT_EQ(o.workloads[4].containers[0].requests.gpus, 2);
  const Workload& ds = o.workloads[5];
  EXPECT_EQ(ds.kind, WorkloadKind::kDaemonSet);
  EXPECT_FALSE(ds.replicas.has_value());

  ASSERT_EQ(o.pod_disruption_budgets.size(), 2u);
  EXPECT_EQ(o.pod_disruption_budgets[0].min_available, "2");
  EXPECT_FALSE(o.pod_disruption_budgets[0].max_unavailable.has_value());
  EXPECT_EQ(o.pod_disruption_budgets[1].max_unavailable, "10%");
}

TEST(ModelDecodeTest, SingleObjectAndTypedList) {
  auto single = decodeObjects(
      R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}})", "ns.json");
  ASSERT_TRUE(single) << single.error().message;
  ASSERT_EQ(single->objects.namespaces.size(), 1u);

  // A typed list from the API server: items carry no kind.
  auto typed = decodeObjects(
      R"({"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"p","namespace":"n"}}]})",
      "raw.json");
  ASSERT_TRUE(typed) << typed.error().message;
  ASSERT_EQ(typed->objects.pods.size(), 1u);
  EXPECT_EQ(typed->objects.pods[0].meta.namespace_name, "n");

  auto empty = decodeObjects(R"({"kind":"List","items":[]})", "e.json");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->objects.size(), 0u);
  auto no_items = decodeObjects(R"({"kind":"PodList","items":null})", "e.json");
  ASSERT_TRUE(no_items);
}

TEST(ModelDecodeTest, QuantitiesAsJsonNumbers) {
  auto r = decodeObjects(
      R"({"kind":"Node","metadata":{"name":"n"},"status":{"capacity":{"cpu":4,"memory":0.5,"pods":110}}})",
      "n.json");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->objects.nodes[0].capacity.cpu_millicores, 4000);
  EXPECT_EQ(r->objects.nodes[0].capacity.memory_bytes, 1);
  EXPECT_EQ(r->objects.nodes[0].capacity.pods, 110);
}

TEST(ModelDecodeTest, UnsortedAndDuplicateLabels) {
  auto r = decodeObjects(
      R"({"kind":"Pod","metadata":{"name":"p","labels":{"b":"2","a":"1","b":"3"}}})", "p.json");
  ASSERT_TRUE(r) << r.error().message;
  const StringMap want = {{"a", "1"}, {"b", "3"}};
  EXPECT_EQ(r->objects.pods[0].meta.labels, want);
}

TEST(ModelDecodeTest, ErrorNamesFileObjectAndField) {
  EXPECT_EQ(
      errorOf(R"({"kind":"List","items":[{"kind":"Pod","metadata":{"name":"api-7f9","namespace":"shop"},
        "spec":{"containers":[{"name":"web","resources":{"requests":{"cpu":"12x"}}}]}}]})",
              "pods.json"),
      "pods.json: Pod \"shop/api-7f9\" container \"web\": resources.requests.cpu \"12x\": not a "
      "quantity (expected e.g. 100m, 0.5, 1Gi)");
  EXPECT_EQ(
      errorOf(R"({"kind":"Pod","metadata":{"name":"p","namespace":"n"},
        "spec":{"initContainers":[{"name":"init","resources":{"limits":{"memory":"1Kib"}}}]}})"),
      "x.json: Pod \"n/p\" initContainer \"init\": resources.limits.memory \"1Kib\": not a "
      "quantity (expected e.g. 100m, 0.5, 1Gi)");
  EXPECT_EQ(errorOf(R"({"kind":"List","items":[{"kind":"Node","metadata":{"name":"a"}},
        {"kind":"Node","metadata":{"name":"b"}},{"kind":"Node","metadata":{"name":"c"}},
        {"kind":"Node","metadata":{}}]})",
                    "nodes.json"),
            "nodes.json: items[3]: metadata.name: missing");
  EXPECT_EQ(errorOf(R"({"kind":"Node"})"), "x.json: Node: metadata.name: missing");
  EXPECT_EQ(errorOf(R"({"kind":"Node","metadata":{"name":"n"},"status":{"capacity":"8"}})"),
            "x.json: Node \"n\": status.capacity: expected object, got string");
  EXPECT_EQ(errorOf(R"({"kind":"Node","metadata":{"name":"n"},"status":{"capacity":{"cpu":"1e"}}})"),
            "x.json: Node \"n\": status.capacity.cpu \"1e\": not a quantity (expected e.g. 100m, "
            "0.5, 1Gi)");
  EXPECT_EQ(errorOf(R"({"kind":"Node","metadata":{"name":"n"},"spec":{"taints":[{"key":1}]}})"),
            "x.json: Node \"n\": spec.taints[0].key: expected string, got number");
  EXPECT_EQ(errorOf(R"({"kind":"Pod","metadata":{"name":"p","namespace":"n","labels":{"a":3}}})"),
            "x.json: Pod \"n/p\": metadata.labels.a: expected string, got number");
  EXPECT_EQ(errorOf(R"({"kind":"Pod","metadata":{"name":"p","namespace":"n"},"spec":{"containers":{}}})"),
            "x.json: Pod \"n/p\": spec.containers: expected array, got object");
  EXPECT_EQ(errorOf(R"({"kind":"Pod","metadata":{"name":"p","namespace":"n"},"spec":{"containers":[7]}})"),
            "x.json: Pod \"n/p\" containers[0]: expected object, got number");
  EXPECT_EQ(errorOf(R"({"kind":"Pod","metadata":{"name":"p","creationTimestamp":"yesterday"}})"),
            "x.json: Pod \"p\": metadata.creationTimestamp \"yesterday\": not an RFC 3339 "
            "timestamp (expected e.g. 2024-01-02T03:04:05Z)");
  EXPECT_EQ(errorOf(R"({"kind":"Pod","metadata":{"name":"p"},"status":{"containerStatuses":[{"name":"c","restartCount":"3"}]}})"),
            "x.json: Pod \"p\": status.containerStatuses[0].restartCount: expected integer, got "
            "string");
  EXPECT_EQ(errorOf(R"({"kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":99999999999}]}})"),
            "x.json: Service \"s\": spec.ports[0].port: 99999999999 is out of range for a 32-bit "
            "integer");
  EXPECT_EQ(errorOf(R"({"kind":"Deployment","metadata":{"name":"d","namespace":"n"},"spec":{"template":{"spec":{"containers":[{"name":"w","resources":{"requests":{"memory":"lots"}}}]}}}})"),
            "x.json: Deployment \"n/d\" container \"w\": resources.requests.memory \"lots\": not a "
            "quantity (expected e.g. 100m, 0.5, 1Gi)");
  EXPECT_EQ(errorOf(R"({"kind":"CronJob","metadata":{"name":"c","namespace":"n"},"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":5}}}}}})"),
            "x.json: CronJob \"n/c\": spec.jobTemplate.spec.template.spec.containers: expected "
            "array, got number");
  EXPECT_EQ(errorOf(R"({"kind":"PodDisruptionBudget","metadata":{"name":"b"},"spec":{"minAvailable":true}})"),
            "x.json: PodDisruptionBudget \"b\": spec.minAvailable: expected integer or string, got "
            "bool");
  EXPECT_EQ(errorOf(R"({"kind":"List","items":[{"kind":"Pod","metadata":{"name":"a"}}, "oops"]})"),
            "x.json: items[1]: expected object, got string");
  EXPECT_EQ(errorOf(R"({"kind":"List","items":[{"metadata":{"name":"a"}}]})"),
            "x.json: items[0]: kind: missing");
  EXPECT_EQ(errorOf(R"({"kind":7})"), "x.json: object: kind: expected string, got number");
  EXPECT_EQ(errorOf(R"({"metadata":{}})"), "x.json: object: kind: missing");
  EXPECT_EQ(errorOf("[1,2]"),
            "x.json: expected a Kubernetes object or List (a JSON object), got array");
}

TEST(ModelDecodeTest, HorizontalPodAutoscalersV1AndV2) {
  auto r = decodeObjects(R"({"kind":"List","items":[
    {"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler",
     "metadata":{"name":"api","namespace":"shop"},
     "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"api"},
             "minReplicas":2,"maxReplicas":10,
             "metrics":[
               {"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":70}}},
               {"type":"ContainerResource","containerResource":{"name":"memory","container":"app",
                 "target":{"type":"AverageValue","averageValue":"512Mi"}}},
               {"type":"External","external":{"metric":{"name":"queue"},"target":{"type":"Value","value":"30"}}}]}},
    {"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler",
     "metadata":{"name":"web","namespace":"shop"},
     "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"maxReplicas":4,
             "targetCPUUtilizationPercentage":80}}]})",
                         "hpa.json");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->objects.horizontal_pod_autoscalers.size(), 2u);
  const HorizontalPodAutoscaler& api = r->objects.horizontal_pod_autoscalers[0];
  EXPECT_EQ(api.meta.namespace_name, "shop");
  EXPECT_EQ(api.target_kind, "Deployment");
  EXPECT_EQ(api.target_name, "api");
  EXPECT_EQ(api.min_replicas, 2);
  EXPECT_EQ(api.max_replicas, 10);
  ASSERT_EQ(api.metrics.size(), 2u) << "the External metric is not kept";
  EXPECT_EQ(api.metrics[0].resource, "cpu");
  EXPECT_EQ(api.metrics[0].target_type, "Utilization");
  EXPECT_EQ(api.metrics[0].average_utilization, 70);
  EXPECT_EQ(api.metrics[1].resource, "memory");
  EXPECT_EQ(api.metrics[1].container, "app");
  EXPECT_EQ(api.metrics[1].average_value, "512Mi");
  EXPECT_FALSE(api.metrics[1].average_utilization);
  EXPECT_EQ(api.metrics[1].spec_index, 1);
  const HorizontalPodAutoscaler& web = r->objects.horizontal_pod_autoscalers[1];
  ASSERT_EQ(web.metrics.size(), 1u);
  EXPECT_EQ(web.metrics[0].resource, "cpu");
  EXPECT_EQ(web.metrics[0].average_utilization, 80);
  EXPECT_EQ(web.metrics[0].spec_index, -1);
  EXPECT_EQ(r->objects.size(), 2u);

  EXPECT_EQ(
      errorOf(R"({"kind":"HorizontalPodAutoscaler","metadata":{"name":"h","namespace":"n"},)"
              R"("spec":{"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"averageUtilization":"70%"}}}]}})"),
      "x.json: HorizontalPodAutoscaler \"n/h\": spec.metrics[0].resource.target.averageUtilization: "
      "expected integer, got string");
}

TEST(ModelDecodeTest, NotJsonReportsByteOffset) {
  const std::string msg = errorOf(R"({"kind": "List", "items": [}])");
  EXPECT_EQ(msg.rfind("x.json: not JSON: ", 0), 0u) << msg;
  EXPECT_NE(msg.find(" at byte 27"), std::string::npos) << msg;
  EXPECT_NE(errorOf("").find("x.json: not JSON: "), std::string::npos);
  EXPECT_NE(errorOf("{\"a\": \"\xff\"}").find("at byte 7"), std::string::npos);
  EXPECT_NE(errorOf("{\"a\": 1} x").find("at byte 9"), std::string::npos);
}

TEST(ModelDecodeTest, NullsAreAbsent) {
  auto r = decodeObjects(
      R"({"kind":"Pod","metadata":{"name":"p","labels":null,"creationTimestamp":null,"ownerReferences":null},
         "spec":{"containers":[{"name":"c","resources":{"requests":null}}],"volumes":null},"status":null})",
      "p.json");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->objects.pods[0].meta.creation_timestamp, 0);
}

TEST(ModelDecodeTest, PaddedVariantMatches) {
  std::string json = readData("nodes.json");
  const std::size_t size = json.size();
  json.resize(size + kJsonPadding);
  auto r = decodeObjectsPadded(std::string_view(json.data(), size), "nodes.json");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->objects.nodes.size(), 3u);
}

}  // namespace
}  // namespace trimtab::model
