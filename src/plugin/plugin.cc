#include "plugin/plugin.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "plugin/internal/envelope.h"
#include "plugin/internal/sandbox.h"
#include "plugin/sha256.h"

namespace trimtab::plugin {

Result<std::vector<std::uint8_t>> readFileBytes(const std::string& path, std::size_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail(ErrorCode::kIo, fmt::format("{}: {}", path, ec.message()));
  if (size > max_bytes) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: {} bytes exceeds the limit of {} bytes", path, size, max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, fmt::format("{}: cannot open", path));
  std::vector<std::uint8_t> bytes(size);
  if (size > 0 &&
      !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
    return fail(ErrorCode::kIo, fmt::format("{}: read failed", path));
  }
  return bytes;
}

Result<AbiReport> checkModuleBytes(std::span<const std::uint8_t> bytes, const Limits& limits) {
  if (bytes.size() > limits.max_module_bytes) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("module of {} bytes exceeds the limit of {} bytes", bytes.size(),
                            limits.max_module_bytes));
  }
  auto info = parseWasmModule(bytes);
  if (!info) return fail(info.error());
  return checkAbiV1(*info, limits);
}

Result<std::vector<std::string>> splitItems(std::string_view json, std::string_view what) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root)) {
    return fail(ErrorCode::kParse,
                fmt::format("{}: not JSON ({})", what, simdjson::error_message(err)));
  }
  simdjson::dom::array items;
  if (root.get(items)) {
    simdjson::dom::object obj;
    if (root.get(obj) || obj["items"].get(items)) {
      return fail(
          ErrorCode::kParse,
          fmt::format("{}: expected a JSON array of objects or an object with \"items\"", what));
    }
  }
  std::vector<std::string> out;
  out.reserve(items.size());
  std::size_t i = 0;
  for (simdjson::dom::element item : items) {
    if (!item.is_object())
      return fail(ErrorCode::kParse, fmt::format("{}: items[{}] is not an object", what, i));
    out.push_back(simdjson::minify(item));
    ++i;
  }
  return out;
}

bool engineAvailable() { return internal::engineAvailable(); }
std::string engineDescription() { return internal::engineDescription(); }

Plugin::Plugin(PluginConfig config, LogSink log, const Clock& clock)
    : config_(std::move(config)), log_(std::move(log)), clock_(clock) {}

Plugin::~Plugin() = default;

Result<std::unique_ptr<Plugin>> Plugin::load(const PluginConfig& config_in, LogSink log,
                                             const Clock& clock) {
  PluginConfig config = config_in;
  if (config.name.empty()) config.name = std::filesystem::path(config.path).stem().string();
  if (!log) log = [](std::string_view line) { std::cerr << line << '\n'; };
  if (config.limits.memory_pages == 0 || config.limits.memory_pages > kMaxMemoryPagesCeiling) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("plugin {}: memory cap {} pages: expected 1..{}", config.name,
                            config.limits.memory_pages, kMaxMemoryPagesCeiling));
  }
  if (config.limits.batch_items == 0) config.limits.batch_items = 1;

  auto bytes = readFileBytes(config.path, config.limits.max_module_bytes);
  if (!bytes) return fail(bytes.error().withContext("plugin " + config.name));
  if (!config.sha256.empty()) {
    if (auto st = verifySha256Pin(*bytes, config.sha256, config.path); !st) {
      return fail(st.error().withContext("plugin " + config.name));
    }
  }
  auto report = checkModuleBytes(*bytes, config.limits);
  if (!report)
    return fail(report.error().withContext(fmt::format("plugin {}: {}", config.name, config.path)));
  if (std::find(report->hooks.begin(), report->hooks.end(), config.hook) == report->hooks.end()) {
    return fail(ErrorCode::kUnsupported,
                fmt::format("plugin {}: {}: no export {} for hook {}", config.name, config.path,
                            hookExport(config.hook), hookName(config.hook)));
  }
  {
    simdjson::dom::parser parser;
    simdjson::dom::element settings;
    if (config.settings_json.empty()) config.settings_json = "{}";
    if (parser.parse(config.settings_json).get(settings) || !settings.is_object()) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("plugin {}: settings: expected a JSON object", config.name));
    }
    config.settings_json = simdjson::minify(settings);
  }

  std::unique_ptr<Plugin> plugin(new Plugin(config, log, clock));
  internal::SandboxOptions options;
  options.plugin_name = config.name;
  options.limits = config.limits;
  options.log = log;
  options.clock = &clock;
  const std::int64_t t0 = clock.monotonicNanos();
  auto sandbox = internal::newSandbox(*bytes, std::move(options));
  if (!sandbox)
    return fail(
        sandbox.error().withContext(fmt::format("plugin {}: {}", config.name, config.path)));
  plugin->sandbox_ = std::move(*sandbox);
  plugin->compile_nanos_ = clock.monotonicNanos() - t0;
  return plugin;
}

Status Plugin::warmUp() {
  std::lock_guard lock(mu_);
  auto st = sandbox_->probe();
  if (!st)
    return fail(st.error().withContext(fmt::format("plugin {}: {}", config_.name, config_.path)));
  return {};
}

Result<std::vector<std::string>> Plugin::runBatch(std::span<const std::string> items) {
  internal::CallIo io;
  io.input_len = internal::requestSize(config_.hook, config_.settings_json, items);
  if (io.input_len > config_.limits.max_input_bytes) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("input of {} bytes exceeds the cap of {} bytes", io.input_len,
                            config_.limits.max_input_bytes));
  }
  // The envelope is written straight into guest memory and the response parsed where the guest
  // left it: the only host copies are the items themselves, once in and once out.
  io.write_input = [&](char* dst) {
    internal::writeRequest(dst, config_.hook, config_.settings_json, items);
  };
  thread_local simdjson::dom::parser parser;
  Result<std::vector<std::string>> parsed = fail(ErrorCode::kInternal, "no response read");
  io.read_output = [&](std::string_view response, std::size_t readable_after) -> Status {
    parsed = internal::parseResponse(config_.hook, response, items, parser, readable_after);
    if (!parsed) return fail(parsed.error());
    return {};
  };
  if (auto st = sandbox_->call(hookExport(config_.hook), io); !st) return fail(st.error());
  return parsed;
}

HookResult Plugin::run(std::span<const std::string> items) {
  std::lock_guard lock(mu_);
  HookResult result;
  result.items.reserve(items.size());
  const std::size_t envelope_overhead = 256 + config_.settings_json.size();
  std::size_t begin = 0;
  while (begin < items.size()) {
    // Grow the batch until the item count or the input cap would be exceeded (at least one).
    std::size_t end = begin, bytes = envelope_overhead;
    while (end < items.size() && end - begin < config_.limits.batch_items &&
           (end == begin || bytes + items[end].size() + 1 <= config_.limits.max_input_bytes)) {
      bytes += items[end].size() + 1;
      ++end;
    }
    const std::span<const std::string> batch = items.subspan(begin, end - begin);
    ++result.batches;
    ++stats_.calls;

    Result<std::vector<std::string>> out =
        stats_.disabled ? fail(ErrorCode::kUnsupported, "plugin disabled") : [&] {
          const std::int64_t t0 = clock_.monotonicNanos();
          auto r = runBatch(batch);
          stats_.busy_nanos += clock_.monotonicNanos() - t0;
          return r;
        }();
    if (out) {
      stats_.consecutive_failures = 0;
      for (auto& item : *out) result.items.push_back(std::move(item));
    } else {
      const std::string& reason = out.error().message;
      if (result.applied) result.failure = reason;
      result.applied = false;
      ++stats_.failures;
      stats_.fallback_items += batch.size();
      for (auto& item : internal::fallbackItems(config_.hook, batch, reason))
        result.items.push_back(std::move(item));
      if (!stats_.disabled) {
        static constexpr std::string_view kPolicy[] = {
            "built-in rows kept and marked pluginStatus=error", "recommendations kept unmodified",
            "alerts not suppressed (fail open)"};
        log_(fmt::format("plugin {} ({}): items {}..{} failed: {}; {}", config_.name,
                         hookName(config_.hook), begin, end - 1, reason,
                         kPolicy[static_cast<int>(config_.hook)]));
        if (++stats_.consecutive_failures >= config_.limits.max_consecutive_failures) {
          stats_.disabled = true;
          log_(
              fmt::format("plugin {} ({}): disabled after {} consecutive failures; the failure "
                          "policy applies until "
                          "it is reloaded",
                          config_.name, hookName(config_.hook), stats_.consecutive_failures));
        }
      }
    }
    begin = end;
  }
  return result;
}

PluginStats Plugin::stats() const {
  std::lock_guard lock(mu_);
  PluginStats s = stats_;
  s.instantiations = sandbox_->instantiations();
  return s;
}

void Plugin::appendMetrics(std::string& out) const {
  const PluginStats s = stats();
  const std::string labels =
      fmt::format(R"({{plugin="{}",hook="{}"}})", config_.name, hookName(config_.hook));
  out += fmt::format("trimtab_plugin_calls_total{} {}\n", labels, s.calls);
  out += fmt::format("trimtab_plugin_failures_total{} {}\n", labels, s.failures);
  out += fmt::format("trimtab_plugin_fallback_items_total{} {}\n", labels, s.fallback_items);
  out += fmt::format("trimtab_plugin_disabled{} {}\n", labels, s.disabled ? 1 : 0);
  out += fmt::format("trimtab_plugin_instantiations_total{} {}\n", labels, s.instantiations);
}

}  // namespace trimtab::plugin
