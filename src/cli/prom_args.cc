#include "cli/prom_args.h"

#include <cstdio>

#include <fmt/format.h>

namespace trimtab::cli {

const std::set<std::string> kPromValueFlags = {"prometheus",      "match",           "header",
                                               "concurrency",     "bearer-token-file", "basic-auth-user",
                                               "basic-auth-password-file", "ca-file", "cert-file",
                                               "key-file"};
const std::set<std::string> kPromBoolFlags = {"insecure-skip-tls-verify", "allow-partial"};

Result<prom::SourceOptions> promSourceOptions(const Args& args) {
  auto usage = [](std::string message) { return fail(ErrorCode::kInvalidArgument, std::move(message)); };
  prom::SourceOptions so;
  auto url = args.value("prometheus");
  if (!url) return usage("--prometheus URL is required");
  so.url = *url;
  if (auto m = args.value("match")) {
    auto parsed = prom::parseMatchers(*m);
    if (!parsed) return usage(parsed.error().message);
    so.matchers = std::move(*parsed);
  }
  if (auto h = args.value("header")) {
    const auto colon = h->find(':');
    if (colon == std::string::npos || colon == 0) return usage(fmt::format("--header \"{}\": want \"Name: value\"", *h));
    std::string value = h->substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    so.headers.emplace_back(h->substr(0, colon), value);
  }
  so.http.auth.bearer_token_file = args.valueOr("bearer-token-file", "");
  so.http.auth.basic_username = args.valueOr("basic-auth-user", "");
  if (auto pw = args.value("basic-auth-password-file")) {
    std::FILE* f = std::fopen(pw->c_str(), "rb");
    if (f == nullptr) return usage(fmt::format("--basic-auth-password-file {}: cannot read", *pw));
    char buf[1024];
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    std::fclose(f);
    std::string& password = so.http.auth.basic_password;
    password.assign(buf, n);
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
  }
  so.http.tls.ca_file = args.valueOr("ca-file", "");
  so.http.tls.client_cert_file = args.valueOr("cert-file", "");
  so.http.tls.client_key_file = args.valueOr("key-file", "");
  so.http.tls.insecure_skip_verify = args.flag("insecure-skip-tls-verify");
  so.http.read_timeout = std::chrono::milliseconds(120'000);  // a heavy range query may think a while
  so.allow_partial = args.flag("allow-partial");
  auto concurrency = args.integer("concurrency", 4, 1, 64);
  if (!concurrency) return fail(concurrency.error());
  so.concurrency = static_cast<int>(*concurrency);
  return so;
}

}  // namespace trimtab::cli
