// `trimtab backfill`: fills the store for past hours from a PromQL backend (prom/backfill.h).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/prom_args.h"
#include "cost/window.h"
#include "model/time_format.h"
#include "prom/backfill.h"
#include "store/store.h"

namespace trimtab::cli {

namespace {

// RFC 3339, Unix seconds, "now", or "now-<duration>" / "<duration>" meaning that long ago.
Result<UnixSeconds> parseInstant(const std::string& flag, const std::string& text, UnixSeconds now) {
  if (text == "now") return now;
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) return std::atoll(text.c_str());
  if (auto t = model::parseRfc3339(text)) return *t;
  std::string_view ago = text;
  if (ago.starts_with("now-")) ago.remove_prefix(4);
  if (auto d = cost::parseDuration(ago)) return now - static_cast<UnixSeconds>(*d);
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("--{} \"{}\": want an RFC 3339 time (2026-11-01T00:00:00Z), Unix seconds, \"now\" or a "
                          "duration ago (7d, now-36h)",
                          flag, text));
}

Result<std::int64_t> durationMs(const Args& args, const std::string& flag, std::int64_t fallback_ms) {
  auto v = args.value(flag);
  if (!v) return fallback_ms;
  auto d = cost::parseDuration(*v);
  if (!d || *d <= 0) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("--{} \"{}\": want a positive duration such as 30s, 6h", flag, *v));
  }
  return static_cast<std::int64_t>(*d * 1000.0 + 0.5);
}

int cmdBackfill(const std::vector<std::string>& argv) {
  std::set<std::string> value_flags = {"from", "to", "store", "cluster", "step", "chunk", "context", "pricing", "format"};
  std::set<std::string> bool_flags = {"quiet"};
  value_flags.insert(kPromValueFlags.begin(), kPromValueFlags.end());
  bool_flags.insert(kPromBoolFlags.begin(), kPromBoolFlags.end());
  auto args = Args::parse("backfill", argv, value_flags, bool_flags);
  if (!args) {
    printError(args.error());
    return kExitUsage;
  }
  auto usage = [](const std::string& message) {
    printError(Error{ErrorCode::kInvalidArgument, message});
    return kExitUsage;
  };
  if (!args->value("prometheus")) return usage("backfill: --prometheus URL is required");
  if (!args->value("from")) return usage("backfill: --from TIME is required");
  const UnixSeconds now = nowSeconds();
  auto from = parseInstant("from", *args->value("from"), now);
  auto to = parseInstant("to", args->valueOr("to", "now"), now);
  if (!from) return usage(from.error().message);
  if (!to) return usage(to.error().message);
  const std::string format = args->valueOr("format", "table");
  if (format != "table" && format != "json") return usage(fmt::format("--format \"{}\": want table or json", format));

  auto so = promSourceOptions(*args);
  if (!so) return usage("backfill: " + so.error().message);
  prom::BackfillOptions bo;
  bo.from = *from;
  bo.to = *to;
  bo.cluster = args->valueOr("cluster", "default");
  bo.pricing_file = args->valueOr("pricing", "");
  auto step = durationMs(*args, "step", 0);
  auto chunk = durationMs(*args, "chunk", 6 * 3600 * 1000);
  auto context = durationMs(*args, "context", 300 * 1000);
  for (auto* r : {&step, &chunk, &context}) {
    if (!*r) return usage(r->error().message);
  }
  bo.step_ms = *step;
  bo.chunk_seconds = *chunk / 1000;
  bo.context_seconds = *context / 1000;
  const bool quiet = args->flag("quiet");
  bo.progress = [&](UnixSeconds a, UnixSeconds b, const ingest::WindowFoldReport& r) {
    if (quiet) return;
    std::fprintf(stderr, "trimtab backfill: %s .. %s: %zu hour blocks (%zu changed), %zu container rows\n",
                 model::formatRfc3339(a).c_str(), model::formatRfc3339(b).c_str(), r.hour_blocks, r.hours_written,
                 r.containers);
  };

  auto source = prom::Source::create(std::move(*so));
  if (!source) {
    printError(source.error());
    return exitCodeFor(source.error());
  }
  auto store = openStore(*args, store::OpenMode::kReadWrite);
  if (!store) {
    printError(store.error());
    return exitCodeFor(store.error());
  }
  auto report = prom::backfill(**source, **store, bo);
  if (!report) {
    printError(report.error());
    return exitCodeFor(report.error());
  }
  for (const std::string& w : report->warnings) std::fprintf(stderr, "trimtab backfill: warning: %s\n", w.c_str());
  if (format == "json") {
    std::printf(
        "{\"step_ms\":%lld,\"step_detected\":%s,\"chunks\":%zu,\"hour_blocks\":%zu,\"hours_written\":%zu,"
        "\"container_rows\":%zu,\"samples\":%llu,\"usage_samples\":%llu,\"queries\":%llu,\"series\":%llu,"
        "\"points\":%llu,\"bytes\":%llu,\"warnings\":%zu}\n",
        static_cast<long long>(report->step_ms), report->step_detected ? "true" : "false", report->chunks,
        report->hour_blocks, report->hours_written, report->containers,
        static_cast<unsigned long long>(report->samples), static_cast<unsigned long long>(report->usage_samples),
        static_cast<unsigned long long>(report->queries.queries), static_cast<unsigned long long>(report->queries.series),
        static_cast<unsigned long long>(report->queries.points), static_cast<unsigned long long>(report->queries.bytes),
        report->warnings.size());
  } else {
    std::printf("backfilled %s .. %s at a %lld s step (%s): %zu hour blocks, %zu changed; %llu queries, %llu series, "
                "%llu points, %.1f MiB\n",
                model::formatRfc3339(bo.from - bo.from % 3600).c_str(), model::formatRfc3339(bo.to).c_str(),
                static_cast<long long>(report->step_ms / 1000), report->step_detected ? "detected" : "given",
                report->hour_blocks, report->hours_written, static_cast<unsigned long long>(report->queries.queries),
                static_cast<unsigned long long>(report->queries.series),
                static_cast<unsigned long long>(report->queries.points),
                static_cast<double>(report->queries.bytes) / (1 << 20));
  }
  return kExitOk;
}

const CommandRegistration kBackfill{
    {"backfill",
     "  trimtab backfill --prometheus URL --from TIME [--to TIME] --store PATH [--cluster NAME]\n"
     "      [--match 'cluster=\"prod\"'] [--step 30s] [--chunk 6h] [--concurrency 4] [--pricing FILE]\n"
     "      [--header 'X-Scope-OrgID: t'] [--bearer-token-file F] [--ca-file F] [--cert-file F --key-file F]\n"
     "      [--basic-auth-user U --basic-auth-password-file F] [--insecure-skip-tls-verify] [--allow-partial]\n"
     "      Fills the store for past hours from Prometheus, Thanos, Mimir or VictoriaMetrics (query_range,\n"
     "      step = scrape interval, detected when not given). TIME: RFC 3339, Unix seconds, now, or 7d (ago).\n",
     &cmdBackfill}};

}  // namespace

}  // namespace trimtab::cli
