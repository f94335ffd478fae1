#include "kube/config.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace trimtab::kube {
namespace {

using testutil::makeTempDir;
using testutil::writeFile;

const char* kFileA = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority: pki/ca.crt
- name: shared
  cluster:
    server: https://a.example
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: shop}
users:
- name: dev-user
  user:
    client-certificate: pki/client.crt
    client-key: /tmp/trimtab-abs-client.key
)";

const char* kFileB = R"(apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: shared
  cluster: {server: https://b.example}
- name: prod-cluster
  cluster:
    server: https://prod.example:443
    certificate-authority-data: aGVsbG8=
    insecure-skip-tls-verify: true
contexts:
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
- name: dev
  context: {cluster: shared, user: prod-user}
users:
- name: prod-user
  user:
    token: abc
    tokenFile: tok
)";

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir("kubeconfig");
    std::filesystem::create_directories(dir_ + "/a/pki");
    std::filesystem::create_directories(dir_ + "/b");
    writeFile(dir_ + "/a/config", kFileA);
    writeFile(dir_ + "/b/config", kFileB);
    writeFile(dir_ + "/a/pki/ca.crt", "x");
    writeFile(dir_ + "/a/pki/client.crt", "x");
    writeFile("/tmp/trimtab-abs-client.key", "k");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(ConfigTest, MergesKubeconfigListFirstDefinitionWins) {
  LoadOptions o;
  o.kubeconfig_env = dir_ + "/a/config::" + dir_ + "/missing:" + dir_ + "/b/config";
  auto cfg = loadKubeconfigFiles(o);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->current_context, "dev");  // first file that sets it
  EXPECT_EQ(cfg->cluster("shared")->server, "https://a.example");
  ASSERT_NE(cfg->context("prod"), nullptr);
  EXPECT_EQ(cfg->context("dev")->cluster, "dev-cluster");
  EXPECT_EQ(cfg->clusters.size(), 3u);
  EXPECT_EQ(cfg->files.size(), 2u);
  // Relative paths resolve against the file naming them.
  EXPECT_EQ(cfg->cluster("dev-cluster")->certificate_authority, dir_ + "/a/pki/ca.crt");
  EXPECT_EQ(cfg->user("prod-user")->token_file, dir_ + "/b/tok");
  EXPECT_EQ(cfg->cluster("prod-cluster")->certificate_authority_data, "hello");
}

TEST_F(ConfigTest, ResolvesCurrentAndExplicitContext) {
  LoadOptions o;
  o.kubeconfig_env = dir_ + "/b/config:" + dir_ + "/a/config";
  auto rc = loadRestConfig(o);
  ASSERT_TRUE(rc) << rc.error().message;
  EXPECT_EQ(rc->context_name, "prod");
  EXPECT_EQ(rc->server, "https://prod.example:443");
  EXPECT_EQ(rc->tls.ca_pem, "hello");
  EXPECT_TRUE(rc->tls.insecure_skip_verify);
  EXPECT_EQ(rc->auth.bearer_token, "abc");  // token wins over tokenFile
  EXPECT_TRUE(rc->auth.bearer_token_file.empty());

  o.context = "dev";  // b's "dev" wins: b is first in this order
  rc = loadRestConfig(o);
  ASSERT_TRUE(rc) << rc.error().message;
  EXPECT_EQ(rc->server, "https://b.example");
}

TEST_F(ConfigTest, ExplicitFileWithClientCertificate) {
  LoadOptions o;
  o.kubeconfig_path = dir_ + "/a/config";
  auto rc = loadRestConfig(o);
  ASSERT_TRUE(rc) << rc.error().message;
  EXPECT_EQ(rc->server, "https://10.0.0.1:6443");  // trailing slash dropped
  EXPECT_EQ(rc->namespace_name, "shop");
  EXPECT_EQ(rc->tls.ca_file, dir_ + "/a/pki/ca.crt");
  EXPECT_EQ(rc->tls.client_cert_file, dir_ + "/a/pki/client.crt");
}

TEST_F(ConfigTest, MissingCertFileIsNamed) {
  LoadOptions o;
  o.kubeconfig_path = dir_ + "/a/config";
  std::filesystem::remove(dir_ + "/a/pki/client.crt");
  auto rc = loadRestConfig(o);
  ASSERT_FALSE(rc);
  EXPECT_NE(
      rc.error().message.find("client-certificate " + dir_ + "/a/pki/client.crt: no such file"),
      std::string::npos)
      << rc.error().message;
  EXPECT_NE(rc.error().message.find("user \"dev-user\""), std::string::npos);
}

TEST_F(ConfigTest, UnknownContextListsKnownOnes) {
  LoadOptions o;
  o.kubeconfig_path = dir_ + "/b/config";
  o.context = "staging";
  auto rc = loadRestConfig(o);
  ASSERT_FALSE(rc);
  EXPECT_EQ(rc.error().code, ErrorCode::kNotFound);
  EXPECT_NE(rc.error().message.find("context \"staging\" not found"), std::string::npos);
  EXPECT_NE(rc.error().message.find("known: prod, dev"), std::string::npos) << rc.error().message;
}

TEST_F(ConfigTest, MissingExplicitFileIsAnError) {
  LoadOptions o;
  o.kubeconfig_path = dir_ + "/nope";
  auto rc = loadRestConfig(o);
  ASSERT_FALSE(rc);
  EXPECT_NE(rc.error().message.find(dir_ + "/nope"), std::string::npos);
}

TEST_F(ConfigTest, HomeDefault) {
  std::filesystem::create_directories(dir_ + "/home/.kube");
  writeFile(dir_ + "/home/.kube/config", kFileB);
  LoadOptions o;
  o.kubeconfig_env = "";
  o.home = dir_ + "/home";
  auto rc = loadRestConfig(o);
  ASSERT_TRUE(rc) << rc.error().message;
  EXPECT_EQ(rc->context_name, "prod");
}

struct BadCase {
  const char* yaml;
  const char* expect;
};

TEST(KubeconfigParse, MalformedInputNamesFileAndField) {
  const BadCase cases[] = {
      {"clusters: [", "cfg.yaml: line"},
      {"- a\n- b\n", "cfg.yaml: expected a kubeconfig mapping"},
      {"clusters: {a: b}", "cfg.yaml: clusters: expected a list"},
      {"clusters:\n- cluster: {server: x}\n", "cfg.yaml: clusters[0]: name: missing"},
      {"clusters:\n- name: c\n  cluster: {server: [1]}\n",
       "cfg.yaml: clusters[0] \"c\": server: expected a string"},
      {"clusters:\n- name: c\n  cluster: {insecure-skip-tls-verify: maybe}\n",
       "insecure-skip-tls-verify: expected true or false"},
      {"users:\n- name: u\n  user: {client-key-data: '!!notb64'}\n",
       "cfg.yaml: users[0] \"u\": client-key-data: not base64"},
      {"users:\n- name: u\n  user: {exec: {apiVersion: v1}}\n", "exec: command: missing"},
      {"users:\n- name: u\n  user: {exec: {command: x, apiVersion: v1, env: [{value: 1}]}}\n",
       "exec: env[0]: name: missing"},
      {"contexts:\n- name: c\n  context: 5\n", "contexts[0] \"c\": context: expected a mapping"},
  };
  for (const auto& c : cases) {
    auto r = Kubeconfig::parse(c.yaml, "cfg.yaml", "/");
    ASSERT_FALSE(r) << c.yaml;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos)
        << "yaml: " << c.yaml << "\nmessage: " << r.error().message;
  }
}

TEST(KubeconfigParse, ExecSection) {
  auto r = Kubeconfig::parse(R"(users:
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/aws-iam
      args: [token, -i, prod]
      env: [{name: AWS_PROFILE, value: prod}]
      provideClusterInfo: true
      interactiveMode: Never
      installHint: install aws
)",
                             "k.yaml", "/etc/kube");
  ASSERT_TRUE(r) << r.error().message;
  const auto& e = *r->user("eks")->exec;
  EXPECT_EQ(e.command, "/etc/kube/bin/aws-iam");
  EXPECT_EQ(e.args, (std::vector<std::string>{"token", "-i", "prod"}));
  EXPECT_EQ(e.env.at(0).second, "prod");
  EXPECT_TRUE(e.provide_cluster_info);
  EXPECT_EQ(e.install_hint, "install aws");
}

TEST(Base64, DecodesStandardAlphabet) {
  EXPECT_EQ(*decodeBase64("aGVsbG8gd29ybGQ="), "hello world");
  EXPECT_EQ(*decodeBase64("aGk"), "hi");
  EXPECT_FALSE(decodeBase64("a$b"));
  EXPECT_FALSE(decodeBase64("aGk=x"));
}

TEST(InCluster, UsesServiceAccountFiles) {
  std::string dir = makeTempDir("sa");
  writeFile(dir + "/token", "sa-token\n");
  writeFile(dir + "/ca.crt", "ca");
  writeFile(dir + "/namespace", "monitoring\n");
  InClusterOptions o;
  o.token_file = dir + "/token";
  o.ca_file = dir + "/ca.crt";
  o.namespace_file = dir + "/namespace";
  o.service_host = "10.96.0.1";
  o.service_port = "443";
  auto rc = inClusterConfig(o);
  ASSERT_TRUE(rc) << rc.error().message;
  EXPECT_EQ(rc->server, "https://10.96.0.1:443");
  EXPECT_EQ(rc->auth.bearer_token_file, dir + "/token");
  EXPECT_EQ(rc->tls.ca_file, dir + "/ca.crt");
  EXPECT_EQ(rc->namespace_name, "monitoring");
  o.service_host = "fd00::1";
  EXPECT_EQ(inClusterConfig(o)->server, "https://[fd00::1]:443");
  o.service_host = "";
  EXPECT_FALSE(inClusterConfig(o));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trimtab::kube
