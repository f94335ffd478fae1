// GitOps patches against the real kubectl: a demo cluster's workloads (the snapshot's kubectl
// JSON) as the kustomize base, `trimtab recommend --format patches` as the overlay.
//   1. `kubectl kustomize` over the overlay (strategic-merge + JSON 6902 patches) and over an
//      overlay with only the JSON 6902 patches yields exactly the recommended values, and the
//      demo's HPA the utilisation target that keeps its scale point.
//   2. `kubectl apply --dry-run=client --validate=false` accepts the result. kubectl needs an
//      API server for discovery even in client dry-run, so the test serves a minimal
//      discovery API (apps/v1, batch/v1, autoscaling/v2; every object 404) on a loopback port;
//      --validate=false because that fake has no OpenAPI schema.
// Skips when kubectl is not on PATH.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;

std::string run(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = pclose(p);
  if (status) *status = rc;
  return out;
}

bool haveKubectl() {
  int rc = 0;
  run("kubectl version --client", &rc);
  return rc == 0;
}

// A loopback HTTP server answering Kubernetes discovery for apps/v1 and batch/v1.
class FakeDiscovery {
 public:
  FakeDiscovery() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 16) != 0) {
      return;
    }
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeDiscovery() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }

 private:
  static std::string resources(const std::string& gv,
                               const std::vector<std::pair<std::string, std::string>>& rs) {
    std::string out = "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"" +
                      gv + "\",\"resources\":[";
    for (std::size_t i = 0; i < rs.size(); ++i) {
      out +=
          (i ? "," : "") + std::string("{\"name\":\"") + rs[i].first +
          "\",\"singularName\":\"\",\"namespaced\":" +
          (rs[i].first == "namespaces" ? "false" : "true") + ",\"kind\":\"" + rs[i].second +
          "\",\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]}";
    }
    return out + "]}";
  }
  static std::pair<int, std::string> answer(const std::string& path) {
    if (path == "/api") {
      return {200,
              "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":"
              "[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1:443\"}]}"};
    }
    if (path == "/apis") {
      auto group = [](const char* g) {
        return std::string("{\"name\":\"") + g + "\",\"versions\":[{\"groupVersion\":\"" + g +
               "/v1\",\"version\":\"v1\"}],\"preferredVersion\":{\"groupVersion\":\"" + g +
               "/v1\",\"version\":\"v1\"}}";
      };
      const std::string autoscaling =
          "{\"name\":\"autoscaling\",\"versions\":[{\"groupVersion\":\"autoscaling/v2\","
          "\"version\":\"v2\"}],\"preferredVersion\":{\"groupVersion\":\"autoscaling/v2\","
          "\"version\":\"v2\"}}";
      return {200, "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[" + group("apps") +
                       "," + group("batch") + "," + autoscaling + "]}"};
    }
    if (path == "/api/v1") return {200, resources("v1", {{"namespaces", "Namespace"}})};
    if (path == "/apis/apps/v1") {
      return {200, resources("apps/v1", {{"deployments", "Deployment"},
                                         {"statefulsets", "StatefulSet"},
                                         {"daemonsets", "DaemonSet"}})};
    }
    if (path == "/apis/batch/v1") {
      return {200, resources("batch/v1", {{"cronjobs", "CronJob"}, {"jobs", "Job"}})};
    }
    if (path == "/apis/autoscaling/v2") {
      return {200, resources("autoscaling/v2",
                             {{"horizontalpodautoscalers", "HorizontalPodAutoscaler"}})};
    }
    return {404,
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
            "\"reason\":\"NotFound\",\"code\":404}"};
  }
  void serve() {
    while (!stop_) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
      }
      std::string path;
      if (const auto sp = req.find(' '); sp != std::string::npos) {
        const auto sp2 = req.find(' ', sp + 1);
        path = req.substr(sp + 1, sp2 - sp - 1);
        if (const auto qm = path.find('?'); qm != std::string::npos) path.resize(qm);
      }
      const auto [code, body] = answer(path);
      const std::string resp =
          "HTTP/1.1 " + std::to_string(code) + (code == 200 ? " OK" : " Not Found") +
          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nConnection: close\r\n\r\n" + body;
      ssize_t off = 0;
      while (off < static_cast<ssize_t>(resp.size())) {
        const ssize_t n = write(c, resp.data() + off, resp.size() - static_cast<std::size_t>(off));
        if (n <= 0) break;
        off += n;
      }
      close(c);
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string kindOf(const std::string& controller_kind) {
  if (controller_kind == "deployment") return "Deployment";
  if (controller_kind == "statefulset") return "StatefulSet";
  if (controller_kind == "daemonset") return "DaemonSet";
  if (controller_kind == "cronjob") return "CronJob";
  return "";
}

std::string cpuQuantity(double cores) {
  return std::to_string(static_cast<long long>(std::ceil(cores * 1000.0 - 1e-9))) + "m";
}
std::string memoryQuantity(double bytes) {
  return std::to_string(static_cast<long long>(std::ceil(bytes / 1048576.0 - 1e-9))) + "Mi";
}

struct Expected {
  std::string cpu, memory;
};

// (kind/namespace/name/container) -> expected values, from the JSON recommendations.
std::map<std::string, Expected> expectedValues(const std::string& json_path) {
  std::map<std::string, Expected> out;
  const YAML::Node doc = YAML::LoadFile(json_path);
  for (const auto& r : doc["recommendations"]) {
    if (!r["sufficientData"].as<bool>()) continue;
    const std::string kind = kindOf(r["controllerKind"].as<std::string>());
    if (kind.empty()) continue;
    out[kind + "/" + r["namespace"].as<std::string>() + "/" + r["controller"].as<std::string>() +
        "/" + r["container"].as<std::string>()] = {
        cpuQuantity(r["cpuRequestCores"].as<double>()),
        memoryQuantity(r["memoryRequestBytes"].as<double>())};
  }
  return out;
}

// Checks every expected container in the kustomize output; returns how many were checked.
std::size_t checkBuilt(const std::string& yaml, const std::map<std::string, Expected>& expected) {
  std::size_t checked = 0;
  for (const YAML::Node& obj : YAML::LoadAll(yaml)) {
    const std::string kind = obj["kind"].as<std::string>();
    YAML::Node spec = obj["spec"];
    if (kind == "CronJob") spec = spec["jobTemplate"]["spec"];
    const YAML::Node containers = spec["template"]["spec"]["containers"];
    for (const auto& c : containers) {
      const std::string key = kind + "/" + obj["metadata"]["namespace"].as<std::string>() + "/" +
                              obj["metadata"]["name"].as<std::string>() + "/" +
                              c["name"].as<std::string>();
      auto it = expected.find(key);
      if (it == expected.end()) continue;
      ++checked;
      EXPECT_EQ(c["resources"]["requests"]["cpu"].as<std::string>(), it->second.cpu) << key;
      EXPECT_EQ(c["resources"]["requests"]["memory"].as<std::string>(), it->second.memory) << key;
      EXPECT_EQ(c["resources"]["limits"]["memory"].as<std::string>(), it->second.memory) << key;
    }
  }
  return checked;
}

class KubectlPatchTest : public ::testing::TestWithParam<const char*> {};

TEST_P(KubectlPatchTest, KustomizeYieldsTheRecommendedValuesAndApplyAcceptsThem) {
  if (!haveKubectl()) GTEST_SKIP() << "kubectl not on PATH";
  const std::string strategy = GetParam();
  const fs::path dir = fs::temp_directory_path() /
                       ("trimtab-kubectl-" + strategy + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "base");
  const std::string bin = TRIMTAB_BINARY;
  const std::string end = "1764028800";
  int rc = 0;
  std::string out =
      run(bin + " demo --nodes 3 --days 4 --end " + end + " --out " + (dir / "demo").string(), &rc);
  ASSERT_EQ(rc, 0) << out;
  for (const char* f : {"deployments.json", "statefulsets.json", "daemonsets.json",
                        "cronjobs.json", "horizontalpodautoscalers.json"}) {
    fs::copy_file(dir / "demo" / "snapshot" / f, dir / "base" / f);
  }
  std::ofstream(dir / "base" / "kustomization.yaml")
      << "resources: [deployments.json, statefulsets.json, daemonsets.json, cronjobs.json, "
         "horizontalpodautoscalers.json]\n";
  const std::string common = "TRIMTAB_NOW=" + end + " " + bin + " recommend --store " +
                             (dir / "demo" / "store.db").string() + " --strategy " + strategy;
  out = run(common + " --format json --out " + (dir / "recs.json").string(), &rc);
  ASSERT_EQ(rc, 0) << out;
  out = run(common + " --format patches --out " + (dir / "overlay").string() + " --manifests " +
                (dir / "demo" / "snapshot").string() + " --resources ../base",
            &rc);
  ASSERT_EQ(rc, 0) << out;
  const auto expected = expectedValues((dir / "recs.json").string());
  ASSERT_GT(expected.size(), 5u);
  // With the manifests, the demo's HPA (shop/frontend, CPU 70%) gets the target that keeps its
  // scale point.
  out = run(common + " --format json --manifests " + (dir / "demo" / "snapshot").string() +
                " --out " + (dir / "recs-hpa.json").string(),
            &rc);
  ASSERT_EQ(rc, 0) << out;
  std::map<std::string, long long> hpa_targets;  // "ns/name" -> new target percent
  for (const auto& r : YAML::LoadFile((dir / "recs-hpa.json").string())["recommendations"]) {
    for (const auto& a : r["hpa"]) {
      hpa_targets[r["namespace"].as<std::string>() + "/" + a["name"].as<std::string>()] =
          std::llround(a["newTargetPercent"].as<double>());
    }
  }
  ASSERT_EQ(hpa_targets.count("shop/frontend"), 1u) << "the demo HPA moves with the requests";
  auto checkHpas = [&](const std::string& yaml) {
    std::size_t n = 0;
    for (const YAML::Node& obj : YAML::LoadAll(yaml)) {
      if (obj["kind"].as<std::string>() != "HorizontalPodAutoscaler") continue;
      const std::string key = obj["metadata"]["namespace"].as<std::string>() + "/" +
                              obj["metadata"]["name"].as<std::string>();
      auto it = hpa_targets.find(key);
      if (it == hpa_targets.end()) continue;
      ++n;
      EXPECT_EQ(obj["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"].as<long long>(),
                it->second)
          << key;
    }
    return n;
  };

  // Strategic merge + JSON 6902 together.
  const std::string built = run("kubectl kustomize " + (dir / "overlay").string(), &rc);
  ASSERT_EQ(rc, 0) << built;
  const std::size_t checked = checkBuilt(built, expected);
  EXPECT_GE(checked, expected.size() * 9 / 10) << "most recommendations should be patchable";
  EXPECT_EQ(checkHpas(built), hpa_targets.size());

  // JSON 6902 alone: the same kustomization without the strategic-merge entries.
  fs::create_directories(dir / "json6902");
  {
    std::ifstream in(dir / "overlay" / "kustomization.yaml");
    std::ofstream k(dir / "json6902" / "kustomization.yaml");
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(".patch.yaml") != std::string::npos) continue;
      if (line.find("- path: ") != std::string::npos) {
        line.replace(line.find("- path: ") + 8, 0, "../overlay/");
      }
      if (line.find("\"../base\"") != std::string::npos) line = "  - \"../base\"";
      k << line << "\n";
    }
  }
  const std::string built6902 =
      run("kubectl kustomize --load-restrictor LoadRestrictionsNone " + (dir / "json6902").string(),
          &rc);
  ASSERT_EQ(rc, 0) << built6902;
  EXPECT_EQ(checkBuilt(built6902, expected), checked);
  EXPECT_EQ(checkHpas(built6902), hpa_targets.size());

  // Client-side dry-run apply.
  std::ofstream(dir / "built.yaml") << built;
  FakeDiscovery api;
  ASSERT_GT(api.port(), 0);
  const std::string applied =
      run("kubectl --server=http://127.0.0.1:" + std::to_string(api.port()) +
              " --cache-dir=" + (dir / "kcache").string() + " --request-timeout=20s" +
              " apply --dry-run=client --validate=false -f " + (dir / "built.yaml").string(),
          &rc);
  EXPECT_EQ(rc, 0) << applied;
  EXPECT_NE(applied.find("created (dry run)"), std::string::npos) << applied;
  EXPECT_EQ(applied.find("rror"), std::string::npos) << applied;
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Strategies, KubectlPatchTest, ::testing::Values("auto", "vpa", "krr"));

}  // namespace
