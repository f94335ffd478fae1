#include "kube/exec.h"

#include <chrono>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_util.h"

namespace trimtab::kube {
namespace {

using testutil::makeTempDir;
using testutil::readFile;
using testutil::writeFile;

// A plugin that records its KUBERNETES_EXEC_INFO and argv, counts its runs, and prints an
// ExecCredential with the token and expiry taken from its environment.
const char* kPlugin = R"(#!/bin/sh
dir=$(dirname "$0")
printf '%s' "$KUBERNETES_EXEC_INFO" > "$dir/exec-info.json"
echo "$@" > "$dir/args.txt"
echo run >> "$dir/runs.txt"
if [ -n "$PLUGIN_HANG" ]; then exec sleep 30; fi
if [ -n "$PLUGIN_FAIL" ]; then echo "plugin failure" >&2; exit 3; fi
if [ -n "$PLUGIN_GARBAGE" ]; then echo "not json"; exit 0; fi
exp=""
if [ -n "$PLUGIN_EXPIRY" ]; then exp=",\"expirationTimestamp\":\"$PLUGIN_EXPIRY\""; fi
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"%s}}\n' "$PLUGIN_TOKEN" "$exp"
)";

class ExecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir("exec");
    writeFile(dir_ + "/plugin.sh", kPlugin);
    chmod((dir_ + "/plugin.sh").c_str(), 0755);
    exec_.api_version = "client.authentication.k8s.io/v1";
    exec_.command = dir_ + "/plugin.sh";
    exec_.args = {"get-token", "--cluster", "prod"};
    exec_.env = {{"PLUGIN_TOKEN", "tok-1"}};
    exec_.interactive_mode = "Never";
    cluster_.server = "https://prod.example";
    cluster_.certificate_authority_data = "PEMDATA";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  int runs() {
    std::string r = readFile(dir_ + "/runs.txt");
    return static_cast<int>(std::count(r.begin(), r.end(), '\n'));
  }
  std::string dir_;
  ExecConfig exec_;
  ClusterEntry cluster_;
};

TEST_F(ExecTest, RunsPluginWithExecInfoAndArgs) {
  exec_.provide_cluster_info = true;
  auto cred = runExecPlugin(exec_, cluster_);
  ASSERT_TRUE(cred) << cred.error().message;
  EXPECT_EQ(cred->token, "tok-1");
  EXPECT_FALSE(cred->expiration);
  EXPECT_EQ(readFile(dir_ + "/args.txt"), "get-token --cluster prod\n");
  auto info = nlohmann::json::parse(readFile(dir_ + "/exec-info.json"));
  EXPECT_EQ(info["kind"], "ExecCredential");
  EXPECT_EQ(info["apiVersion"], "client.authentication.k8s.io/v1");
  EXPECT_EQ(info["spec"]["interactive"], false);
  EXPECT_EQ(info["spec"]["cluster"]["server"], "https://prod.example");
  EXPECT_EQ(info["spec"]["cluster"]["certificate-authority-data"], "UEVNREFUQQ==");
}

TEST_F(ExecTest, CachesUntilExpiration) {
  exec_.env.emplace_back("PLUGIN_EXPIRY", "2030-01-01T00:10:00Z");
  FakeClock clock(1893456000);  // 2030-01-01T00:00:00Z
  ExecCredentialCache cache(exec_, cluster_, clock);
  ASSERT_TRUE(cache.get());
  ASSERT_TRUE(cache.get());
  EXPECT_EQ(runs(), 1);
  clock.set(1893456000 + 600);  // expired
  auto cred = cache.get();
  ASSERT_TRUE(cred);
  EXPECT_EQ(*cred->expiration, 1893456600);
  EXPECT_EQ(runs(), 2);
  cache.invalidate();
  clock.set(1893456000);
  ASSERT_TRUE(cache.get());
  EXPECT_EQ(runs(), 3);
  EXPECT_EQ(cache.pluginRuns(), 3);
}

TEST_F(ExecTest, FailingPluginIsNamed) {
  exec_.env.emplace_back("PLUGIN_FAIL", "1");
  auto cred = runExecPlugin(exec_, cluster_);
  ASSERT_FALSE(cred);
  EXPECT_NE(cred.error().message.find("plugin.sh\": exited with status 3"), std::string::npos)
      << cred.error().message;
}

TEST_F(ExecTest, HungPluginIsKilledAfterTheTimeout) {
  exec_.env.emplace_back("PLUGIN_HANG", "1");
  const auto start = std::chrono::steady_clock::now();
  auto cred = runExecPlugin(exec_, cluster_, std::chrono::milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(cred);
  EXPECT_NE(cred.error().message.find("no credential within 300 ms; the plugin was killed"), std::string::npos)
      << cred.error().message;
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST_F(ExecTest, GarbageOutput) {
  exec_.env.emplace_back("PLUGIN_GARBAGE", "1");
  auto cred = runExecPlugin(exec_, cluster_);
  ASSERT_FALSE(cred);
  EXPECT_NE(cred.error().message.find("output is not JSON"), std::string::npos);
}

TEST_F(ExecTest, MissingCommandShowsInstallHint) {
  exec_.command = "trimtab-no-such-plugin";
  exec_.install_hint = "install it with: apt install foo";
  auto cred = runExecPlugin(exec_, cluster_);
  ASSERT_FALSE(cred);
  EXPECT_NE(cred.error().message.find("install it with"), std::string::npos)
      << cred.error().message;
}

TEST(ExecCredentialParse, Rules) {
  const char* v1 = "client.authentication.k8s.io/v1";
  EXPECT_TRUE(parseExecCredential(
      R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"clientCertificateData":"C","clientKeyData":"K"}})",
      v1, "p"));
  auto r = parseExecCredential(
      R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"token":"t"}})",
      v1, "p");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("does not match"), std::string::npos);
  r = parseExecCredential(
      R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"t","expirationTimestamp":"soon"}})",
      v1, "p");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("expirationTimestamp \"soon\""), std::string::npos);
  EXPECT_FALSE(parseExecCredential(
      R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"clientCertificateData":"C"}})",
      v1, "p"));
  EXPECT_FALSE(parseExecCredential(
      R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{}})", v1,
      "p"));
  EXPECT_FALSE(parseExecCredential("[]", v1, "p"));
  EXPECT_FALSE(parseExecCredential(
      R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":5}})",
      v1, "p"));
}

}  // namespace
}  // namespace trimtab::kube
