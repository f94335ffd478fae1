// The engine behind a plugin: one compiled module, a fresh instance per call. Keeps V8 out of
// every other header so another engine (wasm2c, wabt) could replace it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "model/clock.h"
#include "model/error.h"
#include "plugin/abi.h"

namespace trimtab::plugin::internal {

struct SandboxOptions {
  std::string plugin_name;  // prefix of log lines
  Limits limits;
  std::function<void(std::string_view)> log;      // receives complete lines; never null
  const Clock* clock = &SystemClock::instance();  // for trimtab.now_unix_ms
};

// Not copyable. Thread-safe: calls are serialised on the sandbox's own isolate (v8::Locker).
class Sandbox {
 public:
  virtual ~Sandbox() = default;
  // Instantiates the module (and runs `_initialize` when exported) without calling a hook.
  virtual Status probe() = 0;
  // Fresh instance; trimtab_alloc(len); copy `input` in; export(ptr, len); bounds-check the
  // packed result against the memory and max_output_bytes; copy it out. The whole sequence
  // runs under the call_timeout_ms watchdog. Errors name the step: "instantiate: ...",
  // "trimtab_alloc(123) returned 0", "trimtab_allocation_rule: RuntimeError: unreachable",
  // "timed out after 2000 ms", "output ptr+len ... outside memory".
  virtual Result<std::string> call(std::string_view export_name, std::string_view input) = 0;
};

// Whether this build has an engine (libnode found at configure time).
bool engineAvailable();
// "V8 10.2.154.26-node.37", or "none (built without libnode)".
std::string engineDescription();

// Compiles `wasm` (already ABI-checked). kUnsupported when built without an engine; kParse
// when the engine rejects the module.
Result<std::unique_ptr<Sandbox>> newSandbox(std::span<const std::uint8_t> wasm,
                                            SandboxOptions options);

}  // namespace trimtab::plugin::internal
