// A loaded WebAssembly plugin bound to one hook, with limits, batching, the per-hook failure
// policy and disabling after repeated failures. The entry point for `trimtab allocation`,
// `trimtab recommend`, alerting and `trimtab plugin`.
//
// Items travel as JSON objects (one string per row, e.g. cost::appendAllocationJson output);
// results come back the same way, one per input item, in input order. A plugin never makes
// Plugin::run fail: when it traps, times out, overruns a limit or answers badly, run() returns
// the hook's fallback (HookResult::applied == false) and logs one line.
//
// One instance of the module serves call after call (its memory and globals persist); after any
// failed call it is discarded and the next call runs on a fresh instance.
//
// Thread-safe: calls are serialised per plugin. Engine: V8 (libnode) when found at build time;
// otherwise load() fails with kUnsupported (see engineAvailable()).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/clock.h"
#include "model/error.h"
#include "plugin/abi.h"

namespace trimtab::plugin {

namespace internal {
class Sandbox;
}

// One `plugins:` entry of the config file (docs/plugins.md).
struct PluginConfig {
  std::string name;  // log/metric label; defaults to the file stem
  std::string path;  // the .wasm file
  Hook hook = Hook::kAllocation;
  std::string settings_json = "{}";  // passed verbatim as the envelope's "settings"
  std::string sha256;                // hex pin; empty = not pinned
  Limits limits;
};

// Receives host log lines (failures, disabling) and plugin log lines. Default: stderr.
using LogSink = std::function<void(std::string_view line)>;

// Counters since load; exported as Prometheus text by appendMetrics().
struct PluginStats {
  std::uint64_t calls = 0;           // batches attempted (including ones skipped while disabled)
  std::uint64_t failures = 0;        // batches that fell back to the failure policy
  std::uint64_t fallback_items = 0;  // items returned by the failure policy
  int consecutive_failures = 0;
  bool disabled = false;
  std::int64_t busy_nanos = 0;  // wall time inside the engine (instantiate + calls)
  std::uint64_t instantiations = 0;  // instances created: 1 + one per failed call (at most)
};

struct HookResult {
  std::vector<std::string> items;  // one JSON object per input item, input order
  bool applied = true;             // false when any batch used the failure policy
  std::string failure;             // first failure's reason ("" when applied)
  std::size_t batches = 0;
};

class Plugin {
 public:
  ~Plugin();
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  // Reads config.path, checks size, sha256 pin, ABI v1 (the hook's export must be present),
  // settings JSON, then compiles. Errors name the file and the problem.
  static Result<std::unique_ptr<Plugin>> load(const PluginConfig& config, LogSink log = {},
                                              const Clock& clock = SystemClock::instance());

  // Instantiates the module (running `_initialize`) unless an instance is live, without calling
  // a hook, under the call watchdog: catches modules that compile but cannot start, and takes
  // instantiation out of the first call. Does not count as a call.
  Status warmUp();

  // Runs the hook over `items` in batches (limits.batch_items, limits.max_input_bytes), one
  // call per batch on the live instance (a fresh one after a failed batch). Never fails; see
  // HookResult::applied. REQUIRES: each item is a valid JSON object.
  HookResult run(std::span<const std::string> items);

  const PluginConfig& config() const { return config_; }
  PluginStats stats() const;
  std::int64_t compileNanos() const { return compile_nanos_; }
  // trimtab_plugin_calls_total, trimtab_plugin_failures_total, trimtab_plugin_disabled
  // (labels plugin, hook) in Prometheus text format.
  void appendMetrics(std::string& out) const;

 private:
  Plugin(PluginConfig config, LogSink log, const Clock& clock);
  // One batch; returns the plugin's items or the error that triggers the policy.
  Result<std::vector<std::string>> runBatch(std::span<const std::string> items);

  PluginConfig config_;
  LogSink log_;
  const Clock& clock_;
  std::unique_ptr<internal::Sandbox> sandbox_;
  std::int64_t compile_nanos_ = 0;
  mutable std::mutex mu_;
  PluginStats stats_;
};

// Reads a whole file (plugins, inputs). Errors name the path.
Result<std::vector<std::uint8_t>> readFileBytes(const std::string& path, std::size_t max_bytes);

// Structural ABI check of a .wasm file without compiling it (`trimtab plugin check`).
Result<AbiReport> checkModuleBytes(std::span<const std::uint8_t> bytes, const Limits& limits);

// Splits a JSON array of objects (or an object with an "items" array, i.e. a request envelope)
// into minified item strings. kParse naming `what` on malformed input.
Result<std::vector<std::string>> splitItems(std::string_view json, std::string_view what);

// Whether plugins can run in this build, and the engine's name/version.
bool engineAvailable();
std::string engineDescription();

}  // namespace trimtab::plugin
