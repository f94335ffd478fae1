// Proves the fixture server faithful: the real kubectl, with a kubeconfig that Trimtab also
// reads, lists and watches it. Skips when kubectl or openssl is not installed.
#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "../../unit/kube/test_util.h"
#include "kube/client.h"
#include "kube/reflector.h"
#include "source/snapshot/snapshot.h"

namespace trimtab::kube {
namespace {

using fixture::Server;

bool haveKubectl() { return std::system("kubectl version --client >/dev/null 2>&1") == 0; }

std::string run(const std::string& cmd, int* rc) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

class KubectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!haveKubectl()) GTEST_SKIP() << "kubectl is not on PATH";
    TRIMTAB_REQUIRE_OPENSSL();
    ASSERT_TRUE(fx_.start()) << fx_.error;
    auto deployment = testutil::loadData("deployment.json");
    for (int i = 0; i < 7; ++i) {
      fx_.server->create(Kind::kPod, Server::podFromTemplate(deployment, i < 4 ? "shop" : "infra",
                                                             "web-" + std::to_string(i), "node-1"));
    }
    kubeconfig_ = fx_.dir + "/kubeconfig";
    // Client certificate by file; CA inline (certificate-authority-data), as kubeadm writes it.
    FILE* p = popen(("base64 -w0 " + fx_.certs.ca_cert).c_str(), "r");
    char buf[8192];
    std::size_t n = fread(buf, 1, sizeof buf, p);
    pclose(p);
    std::string ca_b64(buf, n);
    testutil::writeFile(
        kubeconfig_,
        "apiVersion: v1\nkind: Config\ncurrent-context: fixture\n"
        "clusters:\n- name: fixture\n  cluster:\n    server: " +
            fx_.server->url() + "\n    certificate-authority-data: " + ca_b64 +
            "\nusers:\n- name: tester\n  user:\n"
            "    client-certificate: pki/client.crt\n"
            "    client-key: pki/client.key\n"
            "contexts:\n- name: fixture\n  context: {cluster: fixture, user: tester}\n"
            "- name: token\n  context: {cluster: fixture, user: token-user}\n"
            "- name: nobody\n  context: {cluster: fixture, user: nobody}\n");
    // Second file, merged through KUBECONFIG: a token user.
    testutil::writeFile(
        fx_.dir + "/kubeconfig-token",
        "apiVersion: v1\nkind: Config\nusers:\n- name: token-user\n  user: {token: secret-token}\n"
        "- name: nobody\n  user: {token: wrong}\n");
    kubectl_ = "KUBECONFIG=" + kubeconfig_ + ":" + fx_.dir +
               "/kubeconfig-token timeout 60 kubectl --cache-dir " + fx_.dir + "/cache ";
  }

  testutil::TlsFixture fx_;
  std::string kubeconfig_;
  std::string kubectl_;
};

TEST_F(KubectlTest, KubectlAndTrimtabListTheSamePods) {
  int rc = 0;
  std::string out = run(kubectl_ + "get pods -A", &rc);
  ASSERT_EQ(rc, 0) << out;
  for (int i = 0; i < 7; ++i)
    EXPECT_NE(out.find("web-" + std::to_string(i)), std::string::npos) << out;
  EXPECT_NE(out.find("infra"), std::string::npos) << out;

  out = run(kubectl_ + "get pods -n shop -o name --chunk-size=2", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "pod/web-0\npod/web-1\npod/web-2\npod/web-3\n");

  out = run(kubectl_ + "--context token get pod web-5 -n infra -o jsonpath={.spec.nodeName}", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "node-1");

  out = run(kubectl_ + "--context nobody get pods -A", &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("Unauthorized"), std::string::npos) << out;

  // Trimtab with the same kubeconfig files and contexts.
  for (const char* context : {"fixture", "token"}) {
    LoadOptions lo;
    lo.kubeconfig_env = kubeconfig_ + ":" + fx_.dir + "/kubeconfig-token";
    lo.context = context;
    auto rcfg = loadRestConfig(lo);
    ASSERT_TRUE(rcfg) << rcfg.error().message;
    auto client = KubeClient::create(*rcfg);
    ASSERT_TRUE(client) << client.error().message;
    std::size_t pods = 0;
    auto meta = (*client)->list(Kind::kPod, [&](model::DecodeResult&& r) -> Status {
      pods += r.objects.pods.size();
      return {};
    });
    ASSERT_TRUE(meta) << meta.error().message;
    EXPECT_EQ(pods, 7u) << context;
  }
}

TEST_F(KubectlTest, KubectlWatchesTheFixture) {
  std::thread mutator([&] {
    while (fx_.server->openWatches() == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    fx_.server->update(Kind::kPod, "shop", "web-0",
                       [](nlohmann::json& p) { p["status"]["phase"] = "Succeeded"; });
    fx_.server->create(Kind::kPod, Server::podFromTemplate(testutil::loadData("deployment.json"),
                                                           "shop", "web-late", "node-2"));
    fx_.server->sendBookmarks();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    fx_.server->closeWatches();
  });
  int rc = 0;
  std::string out = run(kubectl_ + "get pods -n shop --watch --request-timeout=30s -o name", &rc);
  mutator.join();
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("pod/web-late"), std::string::npos) << out;
  // web-0 printed twice: once from the list, once for its MODIFIED event.
  std::size_t first = out.find("pod/web-0");
  ASSERT_NE(first, std::string::npos) << out;
  EXPECT_NE(out.find("pod/web-0", first + 1), std::string::npos) << out;
  bool watched = false;
  for (const auto& l : fx_.server->requestLog()) {
    watched |= l.find("/api/v1/namespaces/shop/pods?") != std::string::npos &&
               l.find("watch=true") != std::string::npos && l.find(" cert") != std::string::npos;
  }
  EXPECT_TRUE(watched);
}

TEST_F(KubectlTest, ExecPluginThroughKubeconfig) {
  std::string plugin = fx_.dir + "/token-plugin.sh";
  testutil::writeFile(plugin, R"(#!/bin/sh
printf '%s' "$KUBERNETES_EXEC_INFO" > "$(dirname "$0")/exec-info"
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"secret-token"}}'
)");
  std::system(("chmod +x " + plugin).c_str());
  testutil::writeFile(fx_.dir + "/kubeconfig-exec",
                      "apiVersion: v1\nkind: Config\ncurrent-context: exec\ncontexts:\n"
                      "- name: exec\n  context: {cluster: fixture, user: exec-user}\nusers:\n"
                      "- name: exec-user\n  user:\n    exec:\n"
                      "      apiVersion: client.authentication.k8s.io/v1\n"
                      "      command: ./token-plugin.sh\n      interactiveMode: Never\n"
                      "      provideClusterInfo: true\n");
  std::string env = "KUBECONFIG=" + fx_.dir + "/kubeconfig-exec:" + kubeconfig_;
  int rc = 0;
  std::string out =
      run(env + " timeout 60 kubectl --cache-dir " + fx_.dir + "/cache get pods -A -o name", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("pod/web-6"), std::string::npos);
  std::string kubectl_info = testutil::readFile(fx_.dir + "/exec-info");

  LoadOptions lo;
  lo.kubeconfig_env = fx_.dir + "/kubeconfig-exec:" + kubeconfig_;
  auto rcfg = loadRestConfig(lo);
  ASSERT_TRUE(rcfg) << rcfg.error().message;
  auto client = KubeClient::create(*rcfg);
  ASSERT_TRUE(client) << client.error().message;
  ASSERT_TRUE((*client)->list(Kind::kPod, [](model::DecodeResult&&) -> Status { return {}; }));
  EXPECT_EQ((*client)->execPluginRuns(), 1);
  // Trimtab hands the plugin the same KUBERNETES_EXEC_INFO as kubectl.
  auto ours = nlohmann::json::parse(testutil::readFile(fx_.dir + "/exec-info"));
  auto theirs = nlohmann::json::parse(kubectl_info);
  EXPECT_EQ(ours["apiVersion"], theirs["apiVersion"]);
  EXPECT_EQ(ours["spec"]["interactive"], theirs["spec"]["interactive"]);
  EXPECT_EQ(ours["spec"]["cluster"]["server"], theirs["spec"]["cluster"]["server"]);
  EXPECT_EQ(ours["spec"]["cluster"]["certificate-authority-data"],
            theirs["spec"]["cluster"]["certificate-authority-data"]);
}

// `trimtab kube get` and `trimtab kube snapshot` with the same kubeconfig; the snapshot folder is
// read back by the offline snapshot reader.
TEST_F(KubectlTest, TrimtabCliGetAndSnapshot) {
  if (!std::filesystem::exists(TRIMTAB_BINARY)) GTEST_SKIP() << "trimtab binary not built";
  fx_.server->create(Kind::kNode,
                     Server::nodeFromTemplate(testutil::loadData("node.json"), "node-1"));
  fx_.server->create(Kind::kDeployment, testutil::loadData("deployment.json"));
  std::string trimtab = std::string(TRIMTAB_BINARY) + " kube ";
  std::string kc = " --kubeconfig " + kubeconfig_;
  int rc = 0;
  std::string out = run(trimtab + "get pods --page-size 3" + kc, &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("infra/web-6"), std::string::npos) << out;
  EXPECT_NE(out.find("7 pods at resourceVersion"), std::string::npos) << out;

  std::string snap = fx_.dir + "/snapshot";
  out = run(trimtab + "snapshot --page-size 4 --out " + snap + kc, &rc);
  ASSERT_EQ(rc, 0) << out;
  auto files = source::scanSnapshot(snap);
  ASSERT_TRUE(files) << files.error().message;
  EXPECT_TRUE(files->skipped.empty());
  auto objects = source::loadObjects(*files);
  ASSERT_TRUE(objects) << objects.error().message;
  EXPECT_EQ(objects->pods.size(), 7u);
  EXPECT_EQ(objects->nodes.size(), 1u);
  EXPECT_EQ(objects->workloads.size(), 1u);

  out = run(trimtab + "get pods --context nope" + kc, &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("context \"nope\" not found"), std::string::npos) << out;

  // A cluster without autoscaling/v2: the default kinds skip HPAs and say so; asked for
  // explicitly, the 404 is an error.
  fx_.server->setServed(Kind::kHorizontalPodAutoscaler, false);
  out = run(trimtab + "snapshot --out " + fx_.dir + "/snapshot-old" + kc, &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("horizontalpodautoscalers not served by this cluster (404); skipped"),
            std::string::npos)
      << out;
  out = run(trimtab + "snapshot --kinds horizontalpodautoscalers --out " + fx_.dir +
                "/snapshot-hpa" + kc,
            &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("404"), std::string::npos) << out;
}

}  // namespace
}  // namespace trimtab::kube
