// trimtab agent: remote-write receiver + write-ahead log + hourly folding + the HTTP API.
#include <sys/resource.h>

#include <cstdio>

#include <fmt/format.h>

#include "agent/agent.h"
#include "cli/args.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/prom_args.h"
#include "cost/window.h"

namespace trimtab::cli {

namespace {

const std::set<std::string> kAgentValueFlags = {"store", "wal-dir", "cluster", "pricing", "listen", "grace",
                                                "context", "flush-interval", "wal-retention", "token-file", "tls-cert", "tls-key",
                                                "client-ca", "workers", "log-format", "max-backlog-mb", "cache-mb"};
const std::set<std::string> kAgentBoolFlags = {"quiet"};

int cmdAgent(const std::vector<std::string>& argv) {
  std::set<std::string> value_flags = kAgentValueFlags, bool_flags = kAgentBoolFlags;
  value_flags.insert(kPromValueFlags.begin(), kPromValueFlags.end());
  bool_flags.insert(kPromBoolFlags.begin(), kPromBoolFlags.end());
  value_flags.insert({"step", "initial-backfill", "kubeconfig", "context"});
  bool_flags.insert({"kube", "in-cluster"});
  auto args = Args::parse("agent", argv, value_flags, bool_flags);
  if (!args) {
    printError(args.error());
    return kExitUsage;
  }
  agent::AgentOptions o;
  auto store = args->value("store");
  if (!store) {
    printError(Error{ErrorCode::kInvalidArgument, "--store PATH is required"});
    return kExitUsage;
  }
  o.store_path = *store;
  o.wal_dir = args->valueOr("wal-dir", "");
  o.cluster = args->valueOr("cluster", "default");
  o.pricing_file = args->valueOr("pricing", "");
  o.server.listen = args->valueOr("listen", "127.0.0.1:9003");
  o.server.tls_cert_file = args->valueOr("tls-cert", "");
  o.server.tls_key_file = args->valueOr("tls-key", "");
  o.server.client_ca_file = args->valueOr("client-ca", "");
  o.api.bearer_token_file = args->valueOr("token-file", "");
  o.api.log_requests = !args->flag("quiet");
  const std::string log_format = args->valueOr("log-format", "text");
  if (log_format != "text" && log_format != "json") {
    printError(Error{ErrorCode::kInvalidArgument, fmt::format("--log-format \"{}\": expected text or json", log_format)});
    return kExitUsage;
  }
  o.log_json = o.api.log_json = log_format == "json";
  auto grace = args->integer("grace", 600, 0, 86400);
  auto context = args->integer("context", 300, 60, 3600);
  auto flush = args->integer("flush-interval", 10, 1, 3600);
  auto workers = args->integer("workers", 2, 1, 256);
  auto backlog = args->integer("max-backlog-mb", 4096, 1, 1 << 24);
  auto cache = args->integer("cache-mb", 256, 0, 1 << 20);
  auto retention = args->integer("wal-retention", 3600, 0, 30 * 86400);
  for (auto* r : {&grace, &context, &flush, &workers, &backlog, &cache, &retention}) {
    if (!*r) {
      printError(r->error());
      return kExitUsage;
    }
  }
  o.grace_seconds = *grace;
  if (args->flag("kube") || args->flag("in-cluster") || args->value("kubeconfig") || args->value("context")) {
    o.kube = agent::AgentOptions::Kube{args->flag("in-cluster"), args->valueOr("kubeconfig", ""),
                                       args->valueOr("context", "")};
  }
  if (args->value("prometheus")) {
    auto so = promSourceOptions(*args);
    if (!so) {
      printError(so.error());
      return kExitUsage;
    }
    o.prometheus = std::move(*so);
    for (const char* flag : {"step", "initial-backfill"}) {
      auto v = args->value(flag);
      if (!v) continue;
      auto d = cost::parseDuration(*v);
      if (!d) {
        printError(Error{ErrorCode::kInvalidArgument, fmt::format("--{} \"{}\": want a duration such as 30s, 24h", flag, *v)});
        return kExitUsage;
      }
      (std::string_view(flag) == "step" ? o.prometheus_step_ms : o.initial_backfill_seconds) =
          std::string_view(flag) == "step" ? static_cast<std::int64_t>(*d * 1000 + 0.5) : static_cast<std::int64_t>(*d);
    }
  }
  o.wal_retention_seconds = *retention;
  // TRIMTAB_NOW pins "now" (Unix seconds), as for every command: tests replay the past.
  if (const char* pinned = std::getenv("TRIMTAB_NOW")) {
    const UnixSeconds t = std::atoll(pinned);
    o.now = [t] { return t; };
  }
  o.context_seconds = *context;
  o.flush_interval_seconds = static_cast<double>(*flush);
  o.server.worker_threads = static_cast<int>(*workers);
  o.max_wal_backlog_bytes = static_cast<std::uint64_t>(*backlog) << 20;
  o.api.cache_bytes = static_cast<std::size_t>(*cache) << 20;
  if (struct rlimit rl {}; ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &rl);
  }
  auto agent = agent::Agent::create(o);
  if (!agent) {
    printError(agent.error());
    return exitCodeFor(agent.error());
  }
  std::printf("trimtab agent: listening on %s://%s:%d\n", o.server.tls_cert_file.empty() ? "http" : "https",
              o.server.listen.substr(0, o.server.listen.rfind(':')).c_str(), (*agent)->port());
  std::fflush(stdout);
  if (auto s = (*agent)->run(/*handle_signals=*/true); !s) {
    printError(s.error());
    return kExitError;
  }
  std::fprintf(stderr, "trimtab agent: stopped\n");
  return kExitOk;
}

const CommandRegistration kAgent{
    {"agent",
     "  trimtab agent --store PATH [--listen HOST:PORT] [--wal-dir DIR] [--cluster NAME] [--pricing FILE]\n"
     "      [--grace SECONDS] [--flush-interval SECONDS] [--wal-retention SECONDS] [--token-file F] [--tls-cert F --tls-key F]\n"
     "      [--log-format text|json] [--quiet]\n"
     "      [--prometheus URL [--match M] [--step 30s] [--initial-backfill 24h] (and backfill's connection flags)]\n"
     "      [--kube | --kubeconfig F [--context C] | --in-cluster]\n"
     "      Always-on: receives Prometheus remote-write at POST /api/v1/write (durable before 2xx),\n"
     "      folds each finished hour into the store, serves the API of `trimtab serve`. With --prometheus it\n"
     "      pulls each finished hour from a PromQL backend instead (remote-write is then off). With --kube it\n"
     "      lists and watches the cluster's objects and folds with them (labels, owners, services).\n",
     &cmdAgent}};

}  // namespace

}  // namespace trimtab::cli
