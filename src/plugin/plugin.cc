#include "plugin/plugin.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

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

Result<ItemList> splitItems(std::string_view json, std::string_view what) {
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
  ItemList out;
  out.reserve(items.size(), json.size());
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

struct Plugin::Worker {
  std::unique_ptr<internal::Sandbox> sandbox;
  simdjson::dom::parser parser;  // responses are parsed in place; reused
  ItemList batch;                // run(count, write, visit): the batch being written; reused
};

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
  plugin->wasm_ = std::move(*bytes);
  const std::int64_t t0 = clock.monotonicNanos();
  auto worker = plugin->newWorker();
  if (!worker)
    return fail(worker.error().withContext(fmt::format("plugin {}: {}", config.name, config.path)));
  plugin->workers_.push_back(std::move(*worker));
  plugin->compile_nanos_ = clock.monotonicNanos() - t0;
  return plugin;
}

Result<std::unique_ptr<Plugin::Worker>> Plugin::newWorker() const {
  internal::SandboxOptions options;
  options.plugin_name = config_.name;
  options.limits = config_.limits;
  options.log = log_;
  options.clock = &clock_;
  auto sandbox = internal::newSandbox(wasm_, std::move(options));
  if (!sandbox) return fail(sandbox.error());
  auto worker = std::make_unique<Worker>();
  worker->sandbox = std::move(*sandbox);
  return worker;
}

std::size_t Plugin::ensureWorkers(std::size_t n) {
  while (workers_.size() < n) {
    auto worker = newWorker();
    if (!worker) {  // compiled once already, so unexpected (e.g. out of memory): run on fewer
      log_(fmt::format("plugin {}: instance {} not created: {}", config_.name,
                       workers_.size() + 1, worker.error().message));
      break;
    }
    workers_.push_back(std::move(*worker));
  }
  return workers_.size();
}

Status Plugin::warmUp() {
  std::lock_guard lock(mu_);
  auto st = workers_[0]->sandbox->probe();
  if (!st)
    return fail(st.error().withContext(fmt::format("plugin {}: {}", config_.name, config_.path)));
  return {};
}

Status Plugin::callBatch(Worker& worker, ItemView items, std::size_t first, ItemList* text,
                         const ResultVisitor* visit) {
  internal::CallIo io;
  io.input_len = internal::requestSize(config_.hook, config_.settings_json, items);
  if (io.input_len > config_.limits.max_input_bytes) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("input of {} bytes exceeds the cap of {} bytes", io.input_len,
                            config_.limits.max_input_bytes));
  }
  // The envelope is written straight into guest memory and the response parsed where the guest
  // left it: the only host copies are the items themselves, once in and (as text) once out.
  io.write_input = [&](char* dst) {
    internal::writeRequest(dst, config_.hook, config_.settings_json, items);
  };
  const std::size_t had = text ? text->size() : 0;
  simdjson::dom::array validated;
  io.read_output = [&](std::string_view response, std::size_t readable_after) -> Status {
    if (text) {
      return internal::parseResponse(config_.hook, response, items, worker.parser, *text,
                                     readable_after);
    }
    auto checked =
        internal::checkResponse(config_.hook, response, items, worker.parser, readable_after);
    if (!checked) return fail(checked.error());
    validated = checked->items;
    return {};
  };
  if (auto st = worker.sandbox->call(hookExport(config_.hook), io); !st) {
    if (text) text->truncate(had);  // the response may have been read before a later step failed
    return fail(st.error());
  }
  if (visit) {
    // The parsed document is the parser's own copy: valid after the guest's buffer was freed.
    std::size_t i = first;
    for (simdjson::dom::element item : validated) (*visit)(i++, &item);
  }
  return {};
}

void Plugin::runBatch(Worker& worker, ItemView batch, std::size_t begin, ItemList* text,
                      const ResultVisitor* visit, HookResult& result) {
  bool disabled = false;
  {
    std::lock_guard lock(stats_mu_);
    ++result.batches;
    ++stats_.calls;
    disabled = stats_.disabled;
  }
  const std::int64_t t0 = clock_.monotonicNanos();
  const Status out = disabled ? fail(ErrorCode::kUnsupported, "plugin disabled")
                              : callBatch(worker, batch, begin, text, visit);
  const std::int64_t busy = disabled ? 0 : clock_.monotonicNanos() - t0;
  if (out) {
    std::lock_guard lock(stats_mu_);
    stats_.busy_nanos += busy;
    stats_.consecutive_failures = 0;
    return;
  }
  const std::string& reason = out.error().message;
  if (text) {
    internal::appendFallbackItems(config_.hook, batch, reason, *text);
  } else {
    for (std::size_t i = begin; i < begin + batch.size(); ++i) (*visit)(i, nullptr);
  }
  std::lock_guard lock(stats_mu_);
  stats_.busy_nanos += busy;
  if (result.applied) result.failure = reason;
  result.applied = false;
  ++stats_.failures;
  stats_.fallback_items += batch.size();
  if (stats_.disabled) return;
  static constexpr std::string_view kPolicy[] = {
      "built-in rows kept and marked pluginStatus=error", "recommendations kept unmodified",
      "alerts not suppressed (fail open)"};
  log_(fmt::format("plugin {} ({}): items {}..{} failed: {}; {}", config_.name,
                   hookName(config_.hook), begin, begin + batch.size() - 1, reason,
                   kPolicy[static_cast<int>(config_.hook)]));
  if (++stats_.consecutive_failures >= config_.limits.max_consecutive_failures) {
    stats_.disabled = true;
    log_(fmt::format(
        "plugin {} ({}): disabled after {} consecutive failures; the failure policy applies "
        "until it is reloaded",
        config_.name, hookName(config_.hook), stats_.consecutive_failures));
  }
}

bool Plugin::overInputCap(std::size_t item_bytes) const {
  // 256: the envelope's fixed members, generously.
  return 256 + config_.settings_json.size() + item_bytes > config_.limits.max_input_bytes;
}

std::size_t Plugin::batchEnd(const ItemList& items, std::size_t begin) const {
  // Grow the batch until the item count or the input cap would be exceeded (at least one).
  std::size_t end = begin, bytes = 0;
  while (end < items.size() && end - begin < config_.limits.batch_items &&
         (end == begin || !overInputCap(bytes + items[end].size() + 1))) {
    bytes += items[end].size() + 1;
    ++end;
  }
  return end;
}

HookResult Plugin::runList(const ItemList& items, ItemList* text, const ResultVisitor* visit) {
  std::lock_guard lock(mu_);
  HookResult result;
  for (std::size_t begin = 0; begin < items.size();) {
    const std::size_t end = batchEnd(items, begin);
    runBatch(*workers_[0], items.view(begin, end), begin, text, visit, result);
    begin = end;
  }
  return result;
}

HookResult Plugin::run(const ItemList& items) {
  ItemList text;
  // Results are about the size of the inputs (rules add a few fields).
  text.reserve(items.size(), items.bytes() + items.bytes() / 8);
  HookResult result = runList(items, &text, nullptr);
  result.items = std::move(text);
  return result;
}

HookResult Plugin::run(const ItemList& items, const ResultVisitor& visit) {
  return runList(items, nullptr, &visit);
}

HookResult Plugin::run(std::size_t count, const ItemWriter& write, const ResultVisitor& visit) {
  std::lock_guard lock(mu_);
  HookResult result;
  if (count == 0) return result;
  // Items are dealt out in chunks of batch_items; each worker writes a chunk into its own
  // reused buffer (cut further when it would pass the input cap), calls its instance and
  // visits the results.
  const std::size_t chunk = config_.limits.batch_items;
  const std::size_t chunks = (count + chunk - 1) / chunk;
  std::size_t wanted = config_.limits.instances;
  if (wanted == 0) wanted = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
  const std::size_t workers = ensureWorkers(std::min(wanted, chunks));
  std::atomic<std::size_t> next{0};
  auto work = [&](Worker& w) {
    for (std::size_t c = next++; c < chunks; c = next++) {
      const std::size_t end = std::min(count, (c + 1) * chunk);
      for (std::size_t begin = c * chunk; begin < end;) {
        w.batch.truncate(0);
        for (std::size_t i = begin; i < end; ++i) {
          w.batch.emplace([&](std::string& out) { write(i, out); });
          if (w.batch.size() > 1 && overInputCap(w.batch.bytes())) {
            w.batch.truncate(w.batch.size() - 1);  // starts the next batch instead
            break;
          }
        }
        runBatch(w, w.batch.all(), begin, nullptr, &visit, result);
        begin += w.batch.size();
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < workers; ++i) threads.emplace_back(work, std::ref(*workers_[i]));
  work(*workers_[0]);
  for (std::thread& t : threads) t.join();
  return result;
}

PluginStats Plugin::stats() const {
  std::lock_guard lock(mu_);
  PluginStats s;
  {
    std::lock_guard stats_lock(stats_mu_);
    s = stats_;
  }
  for (const auto& w : workers_) s.instantiations += w->sandbox->instantiations();
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
