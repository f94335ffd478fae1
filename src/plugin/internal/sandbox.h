// The engine behind a plugin: one compiled module and one live instance, reused from call to
// call and replaced after any failed call. Keeps V8 out of every other header so another engine
// (wasm2c, wabt) could replace it.
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

// How one call moves bytes across the boundary without host-side staging buffers: the request
// is written straight into guest memory and the response is read where the guest left it.
struct CallIo {
  std::size_t input_len = 0;
  // Writes exactly input_len bytes (the request) to `dst`, which points into guest memory.
  std::function<void(char* dst)> write_input;
  // Reads the response in place. `response` points into guest memory and is valid only during
  // the callback; `readable_after` bytes of guest memory follow it (simdjson can parse in place
  // when that covers its padding). An error fails the call.
  std::function<Status(std::string_view response, std::size_t readable_after)> read_output;
};

// Not copyable. Thread-safe: calls are serialised on the sandbox's own isolate (v8::Locker).
class Sandbox {
 public:
  virtual ~Sandbox() = default;
  // Makes sure an instance is live: instantiates the module (and runs `_initialize` when
  // exported) if none is, without calling a hook.
  virtual Status probe() = 0;
  // On the live instance (instantiated first if there is none): trimtab_alloc(input_len);
  // io.write_input into it; export(ptr, len); bounds-check the packed result against the memory
  // and max_output_bytes; io.read_output on it in place; trimtab_free(out_ptr, out_len) and
  // trimtab_free(ptr, input_len). The whole sequence runs under the call_timeout_ms watchdog.
  // Any failure (including one returned by read_output) discards the instance, so the next
  // call starts on a fresh one. Errors name the step: "instantiate: ...",
  // "trimtab_alloc(123) returned 0", "trimtab_allocation_rule: RuntimeError: unreachable",
  // "timed out after 2000 ms", "output ptr+len ... outside memory", "trimtab_free: ...".
  virtual Status call(std::string_view export_name, const CallIo& io) = 0;
  // Convenience for tests and tools: copies `input` in and the response out.
  Result<std::string> callCopy(std::string_view export_name, std::string_view input) {
    std::string out;
    CallIo io;
    io.input_len = input.size();
    io.write_input = [&](char* dst) { input.copy(dst, input.size()); };
    io.read_output = [&](std::string_view response, std::size_t) -> Status {
      out.assign(response);
      return {};
    };
    if (auto st = call(export_name, io); !st) return fail(st.error());
    return out;
  }
  // Instances created so far (1 after the first call; +1 after each failed call).
  virtual std::uint64_t instantiations() const = 0;
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
