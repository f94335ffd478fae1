// trimtab serve: the HTTP API over a store (src/server).
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/common.h"
#include "server/api.h"
#include "server/http_server.h"

namespace trimtab::cli {

namespace {

const std::set<std::string> kServeValueFlags = {
    "store", "listen", "token-file", "tls-cert", "tls-key", "client-ca", "io-threads", "workers",
    "max-concurrent-queries", "query-timeout", "max-window-days", "max-response-bytes", "cache-mb",
    "log-format", "poll-interval", "idle-timeout"};
const std::set<std::string> kServeBoolFlags = {"quiet"};

Result<double> positiveNumber(const Args& args, const std::string& flag, double fallback) {
  auto v = args.value(flag);
  if (!v) return fallback;
  char* end = nullptr;
  const double d = std::strtod(v->c_str(), &end);
  if (end == v->c_str() || *end != '\0' || !(d > 0)) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("--{} \"{}\": expected a positive number", flag, *v));
  }
  return d;
}

int cmdServe(const std::vector<std::string>& argv) {
  auto args = Args::parse("serve", argv, kServeValueFlags, kServeBoolFlags);
  if (!args) {
    printError(args.error());
    return kExitUsage;
  }
  server::ServerOptions so;
  server::ApiOptions ao;
  so.listen = args->valueOr("listen", "127.0.0.1:9003");
  so.tls_cert_file = args->valueOr("tls-cert", "");
  so.tls_key_file = args->valueOr("tls-key", "");
  so.client_ca_file = args->valueOr("client-ca", "");
  ao.bearer_token_file = args->valueOr("token-file", "");
  ao.store_path = args->valueOr("store", "");
  ao.log_requests = !args->flag("quiet");
  const std::string log_format = args->valueOr("log-format", "text");
  if (log_format != "text" && log_format != "json") {
    printError(Error{ErrorCode::kInvalidArgument, fmt::format("--log-format \"{}\": expected text or json", log_format)});
    return kExitUsage;
  }
  ao.log_json = log_format == "json";

  auto io = args->integer("io-threads", 1, 1, 64);
  auto workers = args->integer("workers", 2, 1, 256);
  auto concurrent = args->integer("max-concurrent-queries", 8, 1, 10000);
  auto max_bytes = args->integer("max-response-bytes", 256ll << 20, 1024, 1ll << 40);
  auto cache_mb = args->integer("cache-mb", 256, 0, 1 << 20);
  auto timeout = positiveNumber(*args, "query-timeout", 60);
  auto window_days = positiveNumber(*args, "max-window-days", 400);
  auto poll = positiveNumber(*args, "poll-interval", 1);
  auto idle = positiveNumber(*args, "idle-timeout", 120);
  for (const Error* e : {io ? nullptr : &io.error(), workers ? nullptr : &workers.error(),
                         concurrent ? nullptr : &concurrent.error(), max_bytes ? nullptr : &max_bytes.error(),
                         cache_mb ? nullptr : &cache_mb.error(), timeout ? nullptr : &timeout.error(),
                         window_days ? nullptr : &window_days.error(), poll ? nullptr : &poll.error(),
                         idle ? nullptr : &idle.error()}) {
    if (e != nullptr) {
      printError(*e);
      return kExitUsage;
    }
  }
  so.io_threads = static_cast<int>(*io);
  so.worker_threads = static_cast<int>(*workers);
  so.max_concurrent_queries = static_cast<int>(*concurrent);
  so.query_timeout_seconds = *timeout;
  so.idle_timeout_seconds = *idle;
  ao.max_response_bytes = static_cast<std::size_t>(*max_bytes);
  ao.cache_bytes = static_cast<std::size_t>(*cache_mb) << 20;
  ao.limits.max_window_days = *window_days;

  // Every connection is a descriptor: use the hard limit (thousands of idle dashboard
  // connections must not exhaust a default soft limit of 1024).
  if (struct rlimit rl {}; ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &rl);
  }

  auto store = openStore(*args, store::OpenMode::kReadOnly);
  if (!store) {
    printError(store.error());
    return exitCodeFor(store.error());
  }
  auto api = server::Api::create(std::move(*store), ao);
  if (!api) {
    printError(api.error());
    return exitCodeFor(api.error());
  }
  auto http = server::HttpServer::create(so, **api);
  if (!http) {
    printError(http.error());
    return exitCodeFor(http.error());
  }
  (*api)->attachServerStats(&(*http)->stats());
  std::printf("trimtab serve: listening on %s://%s:%d\n", so.tls_cert_file.empty() ? "http" : "https",
              so.listen.substr(0, so.listen.rfind(':')).c_str(), (*http)->port());
  std::fflush(stdout);

  // Notice commits by other processes (an agent or `trimtab ingest` writing the same store).
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::thread poller([&] {
    std::unique_lock<std::mutex> lock(m);
    while (!cv.wait_for(lock, std::chrono::milliseconds(static_cast<int>(*poll * 1000)), [&] { return done; })) {
      lock.unlock();
      if (auto s = (*api)->pollStore(); !s) {
        std::fprintf(stderr, "trimtab serve: store refresh failed: %s\n", s.error().message.c_str());
      }
      lock.lock();
    }
  });
  (*http)->run(/*handle_signals=*/true);
  {
    std::lock_guard<std::mutex> lock(m);
    done = true;
  }
  cv.notify_all();
  poller.join();
  http->reset();  // in-flight requests have finished; then the store closes with the API
  api->reset();
  std::fprintf(stderr, "trimtab serve: stopped\n");
  return kExitOk;
}

const CommandRegistration kServe{{"serve",
                                  "  trimtab serve --store PATH [--listen HOST:PORT] [--token-file F]\n"
                                  "      [--tls-cert F --tls-key F [--client-ca F]] [--workers N]\n"
                                  "      [--max-concurrent-queries N] [--query-timeout S] [--max-window-days D]\n"
                                  "      [--max-response-bytes B] [--cache-mb M] [--log-format text|json] [--quiet]\n"
                                  "      OpenCost-compatible HTTP API (/allocation, /assets, /model/...), Trimtab's\n"
                                  "      /api/v1, Prometheus /metrics, /healthz and /readyz (docs/api.md).\n",
                                  &cmdServe}};

}  // namespace

}  // namespace trimtab::cli
