// Trimtab plugin ABI v1 (docs/plugins.md): hooks, limits and the structural checks made on a
// module before any engine sees it.
//
// Exports: `memory` (one linear memory with a declared maximum), `trimtab_abi_v1` (marker,
// never called), `trimtab_alloc(i32) -> i32` (0 = failure), `trimtab_free(i32, i32)`, at least
// one hook `(i32 ptr, i32 len) -> i64` returning (out_ptr << 32) | out_len, optional
// `_initialize` (WASI reactor). Imports: module `trimtab` (`log`, `now_unix_ms`) and a short
// `wasi_snapshot_preview1` allow-list served by stubs (fd_write goes to the plugin log, the
// rest return ENOSYS); anything else is rejected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/error.h"
#include "plugin/wasm_module.h"

namespace trimtab::plugin {

enum class Hook { kAllocation, kRecommendation, kAlert };

inline constexpr Hook kAllHooks[] = {Hook::kAllocation, Hook::kRecommendation, Hook::kAlert};

std::string_view hookName(Hook hook);    // "allocation", "recommendation", "alert"
std::string_view hookExport(Hook hook);  // "trimtab_allocation_rule", ...
std::string_view hookKind(Hook hook);    // envelope kind: "CostAllocationRequest", ...
// "allocation" | "recommendation" | "alert" (kInvalidArgument otherwise).
Result<Hook> parseHook(std::string_view name);

inline constexpr std::string_view kApiVersion = "trimtab/plugin/v1";
inline constexpr std::uint64_t kWasmPageBytes = 65536;

// Per-plugin limits. Defaults follow shared/reference/extensions.md §1.5.
struct Limits {
  std::uint32_t memory_pages = 1024;         // 64 MiB; module's declared max must fit
  std::int64_t call_timeout_ms = 2000;       // wall time per batch (watchdog)
  std::size_t max_input_bytes = 16u << 20;   // one batch envelope
  std::size_t max_output_bytes = 16u << 20;  // one batch result
  std::size_t max_module_bytes = 10u << 20;  // the .wasm file
  // Items per call. bench/plugin --batch-sweep shows CPU time flat (within the noise of a shared
  // machine) from 100 to 25,000 rows per call once the instance is reused; at 1,000 the ~12 us
  // per-call overhead is ~1%, a call's buffers stay cache-sized (~230 KB each way for
  // allocation rows) and one failed call hands at most 1,000 items to the failure policy.
  std::size_t batch_items = 1000;
  // Instances of the module that run batches in parallel (Plugin::run with an ItemWriter); each
  // has its own memory (up to memory_pages) and V8 isolate. 0 = one per core, at most 4.
  std::size_t instances = 0;
  int max_consecutive_failures = 3;          // then the plugin is disabled
  int max_log_lines_per_call = 20;           // plugin log lines beyond are dropped
};

// Hard ceiling for Limits::memory_pages (1 GiB); also set as V8's process-wide page limit.
inline constexpr std::uint32_t kMaxMemoryPagesCeiling = 16384;

// What `plugin check` reports about a module that passed the ABI v1 checks.
struct AbiReport {
  std::vector<Hook> hooks;  // hook exports present with the right signature
  std::uint64_t memory_min_pages = 0;
  std::uint64_t memory_max_pages = 0;
  bool has_initialize = false;       // WASI reactor `_initialize`
  std::vector<std::string> imports;  // "module.name"
};

// Checks `info` against ABI v1 and `limits`. Errors (kUnsupported) list every problem found,
// "; "-separated, e.g. "missing export trimtab_abi_v1; trimtab_alloc has type (i64) -> i32,
// expected (i32) -> i32".
Result<AbiReport> checkAbiV1(const WasmModuleInfo& info, const Limits& limits);

// A byte range in guest memory returned by a hook.
struct GuestSpan {
  std::uint32_t ptr = 0;
  std::uint32_t len = 0;
};

// Splits a hook's packed result (ptr << 32) | len and checks the range lies inside a memory of
// `memory_bytes` and len <= max_len. Never trusts the guest: every failure is an error
// (kOutOfRange-style messages under kInvalidArgument) naming ptr, len and the bound.
Result<GuestSpan> unpackGuestSpan(std::uint64_t packed, std::uint64_t memory_bytes,
                                  std::uint64_t max_len);

// Whether the host provides this import (module, name). Exposed for the engine and tests.
bool isAllowedImport(std::string_view module, std::string_view name);

}  // namespace trimtab::plugin
