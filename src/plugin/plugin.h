// A loaded WebAssembly plugin bound to one hook, with limits, batching, the per-hook failure
// policy and disabling after repeated failures. The entry point for `trimtab allocation`,
// `trimtab recommend`, alerting and `trimtab plugin`.
//
// Items travel as JSON objects in an ItemList (one buffer plus offsets, e.g. allocation rows
// written by cli::appendAllocationRowJson); results come back the same way, one per input item,
// in input order. A plugin never makes
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
#include "plugin/item_list.h"

namespace simdjson::dom {
class element;
}

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

// Receives one result of run(items, visit): `index` into the input items and the plugin's
// validated JSON object for it, or nullptr when the failure policy applies to that item (its
// batch failed; HookResult::failure says why). Called in input order, once per item; `item` is
// valid only during the call.
using ResultVisitor = std::function<void(std::size_t index, const simdjson::dom::element* item)>;
// Appends item `index` (one JSON object) to `out`; may only append.
using ItemWriter = std::function<void(std::size_t index, std::string& out)>;

struct HookResult {
  ItemList items;  // one JSON object per input item, input order (empty with a ResultVisitor)
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
  HookResult run(const ItemList& items);
  // The same over a copy of `items` (tests, tools).
  HookResult run(std::span<const std::string> items) { return run(ItemList(items)); }
  // The same, but each result is handed to `visit` as the parsed, validated JSON object instead
  // of being copied out as text: what a host applying the results field by field wants (no
  // second parse, no copy of the results).
  HookResult run(const ItemList& items, const ResultVisitor& visit);
  // The same over `count` items produced batch by batch by `write` into a reused buffer: no
  // copy of all the items is ever held (the host writes a batch, the guest reads it, its
  // results are visited, the buffer is reused). Batches run in parallel on up to
  // Limits::instances instances of the module, so `write` and `visit` are called from several
  // threads at once, never twice concurrently for one index (results of one batch are visited
  // in order). REQUIRES: `write` appends a valid JSON object, the same one for the same index.
  HookResult run(std::size_t count, const ItemWriter& write, const ResultVisitor& visit);

  const PluginConfig& config() const { return config_; }
  PluginStats stats() const;
  std::int64_t compileNanos() const { return compile_nanos_; }
  // trimtab_plugin_calls_total, trimtab_plugin_failures_total, trimtab_plugin_disabled
  // (labels plugin, hook) in Prometheus text format.
  void appendMetrics(std::string& out) const;

 private:
  Plugin(PluginConfig config, LogSink log, const Clock& clock);
  struct Worker;  // one instance of the module with its own buffers (plugin.cc)

  // Whether a request carrying `item_bytes` of items (separators included) would pass the
  // input cap.
  bool overInputCap(std::size_t item_bytes) const;
  // End of the batch of `items` starting at `begin` under the item and byte caps.
  std::size_t batchEnd(const ItemList& items, std::size_t begin) const;
  // The run()s over an ItemList, on the first instance: results go to `text` or `visit`
  // (exactly one non-null).
  HookResult runList(const ItemList& items, ItemList* text, const ResultVisitor* visit);
  // One batch on `worker`, with the failure policy and the counters: appends the plugin's items
  // (or the fallback) to `text` or hands them to `visit` with their index offset by `first`.
  void runBatch(Worker& worker, ItemView items, std::size_t first, ItemList* text,
                const ResultVisitor* visit, HookResult& result);
  // The plugin's items for one batch, or the error that triggers the policy (nothing
  // delivered then).
  Status callBatch(Worker& worker, ItemView items, std::size_t first, ItemList* text,
                   const ResultVisitor* visit);
  // Makes `n` instances available (compiling more as needed); returns how many there are.
  std::size_t ensureWorkers(std::size_t n);
  Result<std::unique_ptr<Worker>> newWorker() const;

  PluginConfig config_;
  LogSink log_;
  const Clock& clock_;
  std::vector<std::uint8_t> wasm_;                // for further instances
  std::vector<std::unique_ptr<Worker>> workers_;  // [0] exists from load() on
  std::int64_t compile_nanos_ = 0;
  mutable std::mutex mu_;        // one run() at a time; guards workers_
  mutable std::mutex stats_mu_;  // guards stats_ (batches settle from several threads)
  PluginStats stats_;
};

// Reads a whole file (plugins, inputs). Errors name the path.
Result<std::vector<std::uint8_t>> readFileBytes(const std::string& path, std::size_t max_bytes);

// Structural ABI check of a .wasm file without compiling it (`trimtab plugin check`).
Result<AbiReport> checkModuleBytes(std::span<const std::uint8_t> bytes, const Limits& limits);

// Splits a JSON array of objects (or an object with an "items" array, i.e. a request envelope)
// into minified items. kParse naming `what` on malformed input.
Result<ItemList> splitItems(std::string_view json, std::string_view what);

// Whether plugins can run in this build, and the engine's name/version.
bool engineAvailable();
std::string engineDescription();

}  // namespace trimtab::plugin
