// Shared helpers for the kube tests: temp dirs, file writing, a fixture server with certs.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "fixture/fixture_server.h"

namespace trimtab::kube::testutil {

inline std::string makeTempDir(const std::string& tag) {
  std::string templ =
      (std::filesystem::temp_directory_path() / ("trimtab-" + tag + "-XXXXXX")).string();
  char* d = mkdtemp(templ.data());
  return d == nullptr ? std::string() : std::string(d);
}

inline void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline nlohmann::json loadData(const std::string& name) {
  return nlohmann::json::parse(readFile(std::string(TRIMTAB_KUBE_FIXTURE_DATA) + "/" + name));
}

// A started TLS fixture server with fresh certificates; token "secret-token" and basic
// "admin"/"hunter2" accepted.
struct TlsFixture {
  std::string dir;
  fixture::Certs certs;
  std::unique_ptr<fixture::Server> server;
  std::string error;

  bool start(fixture::ServerOptions extra = {}) {
    dir = makeTempDir("kube");
    if (!fixture::makeCerts(dir + "/pki", &certs, &error)) return false;
    extra.tls = true;
    extra.server_cert = certs.server_cert;
    extra.server_key = certs.server_key;
    extra.client_ca = certs.ca_cert;
    if (extra.tokens.empty()) extra.tokens = {"secret-token"};
    if (extra.basic_username.empty()) {
      extra.basic_username = "admin";
      extra.basic_password = "hunter2";
    }
    server = std::make_unique<fixture::Server>(extra);
    return server->start(&error);
  }
  ~TlsFixture() {
    if (server) server->stop();
    if (!dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
};

inline bool haveOpenssl() { return std::system("openssl version >/dev/null 2>&1") == 0; }

#define TRIMTAB_REQUIRE_OPENSSL()                                                        \
  do {                                                                                   \
    if (!::trimtab::kube::testutil::haveOpenssl())                                       \
      GTEST_SKIP() << "the openssl CLI is not installed (needed for test certificates)"; \
  } while (0)

}  // namespace trimtab::kube::testutil
