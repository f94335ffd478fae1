// trimtab plugin check|run: validate a WebAssembly plugin and run one hook over a file of rows,
// without a store or a config file (docs/plugins.md).
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/common.h"
#include "model/clock.h"
#include "plugin/plugin.h"
#include "plugin/sha256.h"

namespace trimtab::cli {
namespace {

double ms(std::int64_t nanos) { return static_cast<double>(nanos) / 1e6; }

Result<plugin::Limits> limitsFromArgs(const Args& args) {
  plugin::Limits limits;
  auto memory_mib = args.integer("memory-mib", 64, 1, plugin::kMaxMemoryPagesCeiling / 16);
  if (!memory_mib) return fail(memory_mib.error());
  limits.memory_pages = static_cast<std::uint32_t>(*memory_mib * 16);
  auto timeout = args.integer("timeout-ms", limits.call_timeout_ms, 1, 600000);
  if (!timeout) return fail(timeout.error());
  limits.call_timeout_ms = *timeout;
  auto batch = args.integer("batch", static_cast<long long>(limits.batch_items), 1, 10000000);
  if (!batch) return fail(batch.error());
  limits.batch_items = static_cast<std::size_t>(*batch);
  return limits;
}

int check(const std::vector<std::string>& argv) {
  auto args = Args::parse("plugin check", argv, {"sha256", "memory-mib"}, {});
  if (!args) return printError(args.error()), exitCodeFor(args.error());
  if (args->positional().size() != 1) {
    printError(Error{ErrorCode::kInvalidArgument, "plugin check: expected one FILE"});
    return kExitUsage;
  }
  auto limits = limitsFromArgs(*args);
  if (!limits) return printError(limits.error()), exitCodeFor(limits.error());
  const std::string path = args->positional()[0];
  auto bytes = plugin::readFileBytes(path, limits->max_module_bytes);
  if (!bytes) return printError(bytes.error()), exitCodeFor(bytes.error());
  fmt::print("file:     {} ({} bytes)\nsha256:   {}\n", path, bytes->size(),
             plugin::sha256Hex(*bytes));
  if (auto pin = args->value("sha256")) {
    if (auto st = plugin::verifySha256Pin(*bytes, *pin, path); !st) {
      return printError(st.error()), exitCodeFor(st.error());
    }
    fmt::print("pin:      matches\n");
  }
  auto report = plugin::checkModuleBytes(*bytes, *limits);
  if (!report) {
    printError(report.error().withContext(path + ": not a valid Trimtab ABI v1 plugin"));
    return kExitError;
  }
  std::string hooks, imports;
  for (auto h : report->hooks)
    hooks += fmt::format("{}{} ({})", hooks.empty() ? "" : ", ", plugin::hookName(h),
                         plugin::hookExport(h));
  for (const auto& i : report->imports) imports += (imports.empty() ? "" : ", ") + i;
  fmt::print(
      "abi:      trimtab_abi_v1\nhooks:    {}\nmemory:   {}..{} pages ({} MiB max, cap {} MiB)\n",
      hooks, report->memory_min_pages, report->memory_max_pages, report->memory_max_pages / 16,
      limits->memory_pages / 16);
  fmt::print("imports:  {}\nreactor:  {}\n", imports.empty() ? "(none)" : imports,
             report->has_initialize ? "yes (_initialize)" : "no");
  // Compile and instantiate once so a module V8 rejects, or one whose start-up traps, fails here.
  plugin::PluginConfig config;
  config.path = path;
  config.hook = report->hooks.front();
  config.limits = *limits;
  auto loaded = plugin::Plugin::load(config);
  if (!loaded) return printError(loaded.error()), exitCodeFor(loaded.error());
  const Clock& clock = SystemClock::instance();
  const std::int64_t t0 = clock.monotonicNanos();
  if (auto st = (*loaded)->warmUp(); !st) return printError(st.error()), exitCodeFor(st.error());
  fmt::print(
      "engine:   {}\ncompile:  {:.2f} ms (first plugin in a process includes V8 start-up)\n"
      "instance: {:.2f} ms\nresult:   OK\n",
      plugin::engineDescription(), ms((*loaded)->compileNanos()), ms(clock.monotonicNanos() - t0));
  return kExitOk;
}

int run(const std::vector<std::string>& argv) {
  auto args = Args::parse(
      "plugin run", argv,
      {"hook", "input", "settings", "sha256", "memory-mib", "timeout-ms", "batch"}, {"pretty"});
  if (!args) return printError(args.error()), exitCodeFor(args.error());
  if (args->positional().size() != 1 || !args->value("hook") || !args->value("input")) {
    printError(
        Error{ErrorCode::kInvalidArgument, "plugin run: expected FILE --hook H --input ROWS.json"});
    return kExitUsage;
  }
  auto hook = plugin::parseHook(*args->value("hook"));
  if (!hook) return printError(hook.error()), exitCodeFor(hook.error());
  auto limits = limitsFromArgs(*args);
  if (!limits) return printError(limits.error()), exitCodeFor(limits.error());

  const Clock& clock = SystemClock::instance();
  const std::int64_t t0 = clock.monotonicNanos();
  const std::string input_path = *args->value("input");
  auto input = plugin::readFileBytes(input_path, std::size_t{4} << 30);
  if (!input) return printError(input.error()), exitCodeFor(input.error());
  auto items = plugin::splitItems(
      std::string_view(reinterpret_cast<const char*>(input->data()), input->size()), input_path);
  if (!items) return printError(items.error()), exitCodeFor(items.error());
  const std::int64_t t_parsed = clock.monotonicNanos();

  plugin::PluginConfig config;
  config.path = args->positional()[0];
  config.hook = *hook;
  config.settings_json = args->valueOr("settings", "{}");
  config.sha256 = args->valueOr("sha256", "");
  config.limits = *limits;
  auto loaded = plugin::Plugin::load(config);
  if (!loaded) return printError(loaded.error()), exitCodeFor(loaded.error());
  plugin::Plugin& p = **loaded;
  const std::int64_t t_loaded = clock.monotonicNanos();

  plugin::HookResult result = p.run(*items);
  const std::int64_t t_ran = clock.monotonicNanos();

  std::string out = "[";
  const bool pretty = args->flag("pretty");
  for (std::size_t i = 0; i < result.items.size(); ++i) {
    if (i) out += pretty ? ",\n " : ",";
    out += result.items[i];
  }
  out += "]\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  const std::int64_t t_done = clock.monotonicNanos();

  const plugin::PluginStats stats = p.stats();
  fmt::print(stderr,
             "plugin {} hook {}: {} items in {} batches, {}; read+parse {:.2f} ms, load {:.2f} ms, "
             "run {:.2f} ms "
             "(engine {:.2f} ms), write {:.2f} ms, total {:.2f} ms\n",
             p.config().name, plugin::hookName(*hook), items->size(), result.batches,
             result.applied ? "applied" : "FAILED, failure policy applied", ms(t_parsed - t0),
             ms(t_loaded - t_parsed), ms(t_ran - t_loaded), ms(stats.busy_nanos),
             ms(t_done - t_ran), ms(t_done - t0));
  return result.applied ? kExitOk : kExitError;
}

int pluginCommand(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    printError(Error{ErrorCode::kInvalidArgument, "plugin: expected check or run"});
    return kExitUsage;
  }
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "check") return check(rest);
  if (argv[0] == "run") return run(rest);
  printError(
      Error{ErrorCode::kInvalidArgument, fmt::format("plugin {}: expected check or run", argv[0])});
  return kExitUsage;
}

const CommandRegistration kReg{
    {"plugin",
     "  trimtab plugin check FILE [--sha256 HEX] [--memory-mib N]\n"
     "      Validate a WebAssembly plugin: ABI v1 exports, hooks, memory, imports, pin.\n"
     "  trimtab plugin run FILE --hook allocation|recommendation|alert --input ROWS.json\n"
     "      [--settings JSON] [--sha256 HEX] [--timeout-ms N] [--batch N] [--memory-mib N] [--pretty]\n"
     "      Run one hook over a JSON array of items; prints the items and the timing.\n",
     &pluginCommand}};

}  // namespace
}  // namespace trimtab::cli
