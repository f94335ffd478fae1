// V8 engine for plugins (Debian libnode-dev, V8 10.2). WebAssembly only: no JavaScript source is
// ever compiled.
//
// Built as its own shared library (libtrimtab_v8.so, no sanitizers) and loaded with dlopen by
// v8_loader.cc. Linking libnode into the trimtab executable makes the executable export
// libstdc++ template instances that libnode then binds to; in UBSan builds those instances check
// vptrs, and libnode's objects (built without RTTI) fail the check in libnode's own static
// initialisers. Loading it on demand also keeps the 47 MB library out of commands that never run
// a plugin. Instantiation goes through the `WebAssembly.Instance` constructor object because
// V8 10.2 has no C++ instantiate API; that is a native builtin called from C++, not script.
#include <fmt/format.h>
#include <libplatform/libplatform.h>
#include <v8.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>

#include "plugin/internal/sandbox.h"
#include "plugin/internal/sandbox_abi.h"

namespace trimtab::plugin::internal {
namespace {

constexpr int kWasiEnosys = 52;
constexpr int kWasiEbadf = 8;
constexpr std::uint32_t kMaxLogLineBytes = 4096;

struct V8Process {
  std::unique_ptr<v8::Platform> platform;
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator;
  bool trap_handler = false;
};

// V8 is initialised once per process and never disposed: it cannot be re-initialised, and
// plugins may be loaded at any time until exit.
V8Process& v8Process() {
  static V8Process* process = [] {
    auto* p = new V8Process;
    std::string flags = fmt::format("--wasm-max-mem-pages={}", kMaxMemoryPagesCeiling);
    // Extra V8 flags for experiments and profiling only (e.g. "--liftoff-only").
    if (const char* extra = std::getenv("TRIMTAB_V8_FLAGS"); extra != nullptr)
      flags += std::string(" ") + extra;
    v8::V8::SetFlagsFromString(flags.c_str(), flags.size());
    // Guard pages plus V8's SIGSEGV handler catch out-of-bounds guest accesses, instead of an
    // explicit bounds check on every load and store. V8's handler only claims faults at known
    // wasm code addresses and otherwise puts the previous handler back (sanitizers keep
    // reporting host crashes). TRIMTAB_V8_TRAP_HANDLER=0 turns it off.
    if (const char* th = std::getenv("TRIMTAB_V8_TRAP_HANDLER"); th == nullptr || *th != '0')
      p->trap_handler = v8::V8::EnableWebAssemblyTrapHandler(/*use_v8_signal_handler=*/true);
    p->platform = v8::platform::NewDefaultPlatform();
    v8::V8::InitializePlatform(p->platform.get());
    v8::V8::Initialize();
    p->allocator.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
    return p;
  }();
  return *process;
}

v8::Local<v8::String> str(v8::Isolate* isolate, std::string_view s) {
  return v8::String::NewFromUtf8(isolate, s.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(s.size()))
      .ToLocalChecked();
}

// Calls Isolate::TerminateExecution when a call overruns its deadline. One thread per sandbox.
// Between calls it lingers (polling every few ms) for a second before blocking, so a stream of
// batches arms and disarms without waking it each time. Deadlines use std::chrono::steady_clock
// directly because a condition variable cannot wait on the Clock interface.
class Watchdog {
 public:
  explicit Watchdog(v8::Isolate* isolate) : isolate_(isolate), thread_([this] { loop(); }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void arm(std::chrono::milliseconds timeout) {
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      deadline_ = std::chrono::steady_clock::now() + timeout;
      armed_ = true;
      fired_ = false;
      wake = blocked_;
    }
    if (wake) cv_.notify_all();
  }

  // Returns whether the watchdog fired during this call. Termination is requested under mu_,
  // so after disarm() no late TerminateExecution can arrive.
  bool disarm() {
    std::lock_guard lock(mu_);
    armed_ = false;
    last_disarm_ = std::chrono::steady_clock::now();
    return fired_;
  }

 private:
  static constexpr auto kPoll = std::chrono::milliseconds(5);
  static constexpr auto kLinger = std::chrono::seconds(1);

  void loop() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      const auto now = std::chrono::steady_clock::now();
      if (armed_) {
        if (now >= deadline_) {
          fired_ = true;
          armed_ = false;
          isolate_->TerminateExecution();
          continue;
        }
        // Wake at the deadline, or earlier to notice a disarm/re-arm made without notify.
        cv_.wait_until(lock, std::min(deadline_, now + kPoll));
      } else if (now - last_disarm_ < kLinger) {
        cv_.wait_for(lock, kPoll);
      } else {
        blocked_ = true;
        cv_.wait(lock);
        blocked_ = false;
      }
    }
  }

  v8::Isolate* isolate_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  bool fired_ = false;
  bool stop_ = false;
  bool blocked_ = false;
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::steady_clock::time_point last_disarm_;
  std::thread thread_;
};

class V8Sandbox final : public Sandbox {
 public:
  explicit V8Sandbox(SandboxOptions options) : options_(std::move(options)) {}

  ~V8Sandbox() override {
    if (isolate_ == nullptr) return;
    watchdog_.reset();
    {
      v8::Locker locker(isolate_);
      v8::Isolate::Scope isolate_scope(isolate_);
      discardInstance();
      instance_ctor_.Reset();
      imports_.Reset();
      module_.Reset();
      context_.Reset();
    }
    isolate_->Dispose();
  }

  Status init(std::span<const std::uint8_t> wasm) {
    V8Process& process = v8Process();
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = process.allocator.get();
    isolate_ = v8::Isolate::New(params);
    v8::Locker locker(isolate_);
    v8::Isolate::Scope isolate_scope(isolate_);
    v8::HandleScope handles(isolate_);
    v8::Local<v8::Context> ctx = v8::Context::New(isolate_);
    context_.Reset(isolate_, ctx);
    v8::Context::Scope context_scope(ctx);
    v8::TryCatch try_catch(isolate_);

    v8::MaybeLocal<v8::WasmModuleObject> module = v8::WasmModuleObject::Compile(
        isolate_, v8::MemorySpan<const std::uint8_t>(wasm.data(), wasm.size()));
    if (module.IsEmpty()) return fail(ErrorCode::kParse, "compile: " + exceptionText(try_catch));
    module_.Reset(isolate_, module.ToLocalChecked());

    v8::Local<v8::Value> webassembly;
    v8::Local<v8::Value> ctor;
    if (!ctx->Global()->Get(ctx, str(isolate_, "WebAssembly")).ToLocal(&webassembly) ||
        !webassembly->IsObject() ||
        !webassembly.As<v8::Object>()->Get(ctx, str(isolate_, "Instance")).ToLocal(&ctor) ||
        !ctor->IsFunction()) {
      return fail(ErrorCode::kInternal, "V8 context has no WebAssembly.Instance");
    }
    instance_ctor_.Reset(isolate_, ctor.As<v8::Function>());

    v8::Local<v8::External> self = v8::External::New(isolate_, this);
    v8::Local<v8::Object> trimtab = v8::Object::New(isolate_);
    v8::Local<v8::Object> wasi = v8::Object::New(isolate_);
    auto add = [&](v8::Local<v8::Object> obj, std::string_view name, v8::FunctionCallback cb) {
      v8::Local<v8::Function> fn =
          v8::FunctionTemplate::New(isolate_, cb, self)->GetFunction(ctx).ToLocalChecked();
      obj->Set(ctx, str(isolate_, name), fn).Check();
    };
    add(trimtab, "log", &V8Sandbox::hostLog);
    add(trimtab, "now_unix_ms", &V8Sandbox::hostNowUnixMs);
    add(wasi, "fd_write", &V8Sandbox::wasiFdWrite);
    add(wasi, "proc_exit", &V8Sandbox::wasiProcExit);
    for (const char* name :
         {"fd_seek", "fd_close", "fd_fdstat_get", "environ_get", "environ_sizes_get", "args_get",
          "args_sizes_get", "clock_time_get", "random_get"}) {
      add(wasi, name, &V8Sandbox::wasiEnosys);
    }
    v8::Local<v8::Object> imports = v8::Object::New(isolate_);
    imports->Set(ctx, str(isolate_, "trimtab"), trimtab).Check();
    imports->Set(ctx, str(isolate_, "wasi_snapshot_preview1"), wasi).Check();
    imports_.Reset(isolate_, imports);

    watchdog_ = std::make_unique<Watchdog>(isolate_);
    return {};
  }

  Status probe() override { return run(std::nullopt, nullptr); }

  Status call(std::string_view export_name, const CallIo& io) override {
    return run(export_name, &io);
  }

  std::uint64_t instantiations() const override { return instantiations_.load(); }

 private:
  // Everything inside one watchdog window. No export name: make an instance live, call nothing.
  Status run(std::optional<std::string_view> export_name, const CallIo* io) {
    v8::Locker locker(isolate_);
    v8::Isolate::Scope isolate_scope(isolate_);
    v8::HandleScope handles(isolate_);
    v8::Local<v8::Context> ctx = context_.Get(isolate_);
    v8::Context::Scope context_scope(ctx);
    log_lines_ = 0;

    watchdog_->arm(std::chrono::milliseconds(options_.limits.call_timeout_ms));
    Status result = runArmed(ctx, export_name, io);
    const bool fired = watchdog_->disarm();
    if (fired || isolate_->IsExecutionTerminating()) isolate_->CancelTerminateExecution();
    // A failed or interrupted call may have left the guest's heap or globals half-updated:
    // that instance is never used again.
    if (!result || fired) discardInstance();
    if (fired && !result) {
      return fail(ErrorCode::kUnsupported,
                  fmt::format("timed out after {} ms", options_.limits.call_timeout_ms));
    }
    return result;
  }

  void discardInstance() {
    exports_.Reset();
    memory_.Reset();
    alloc_.Reset();
    free_.Reset();
    hook_.Reset();
    hook_name_.clear();
  }

  v8::Local<v8::Function> exportedFunction(v8::Local<v8::Context> ctx,
                                           v8::Local<v8::Object> exports, std::string_view name) {
    v8::Local<v8::Value> fn;
    if (!exports->Get(ctx, str(isolate_, name)).ToLocal(&fn) || !fn->IsFunction()) return {};
    return fn.As<v8::Function>();
  }

  // A new instance: exports looked up once, `_initialize` run. Leaves it live on success.
  Status instantiate(v8::Local<v8::Context> ctx, v8::TryCatch& try_catch) {
    discardInstance();
    ++instantiations_;
    v8::Local<v8::Value> args[2] = {module_.Get(isolate_), imports_.Get(isolate_)};
    v8::Local<v8::Object> instance;
    if (!instance_ctor_.Get(isolate_)->NewInstance(ctx, 2, args).ToLocal(&instance)) {
      return fail(ErrorCode::kUnsupported, "instantiate: " + exceptionText(try_catch));
    }
    v8::Local<v8::Value> exports_value;
    if (!instance->Get(ctx, str(isolate_, "exports")).ToLocal(&exports_value) ||
        !exports_value->IsObject()) {
      return fail(ErrorCode::kUnsupported, "instantiate: instance has no exports object");
    }
    v8::Local<v8::Object> exports = exports_value.As<v8::Object>();
    exports_.Reset(isolate_, exports);
    v8::Local<v8::Value> memory;
    if (!exports->Get(ctx, str(isolate_, "memory")).ToLocal(&memory) ||
        !memory->IsWasmMemoryObject()) {
      return fail(ErrorCode::kUnsupported, "instantiate: export \"memory\" is not a memory");
    }
    // memory_ is set before _initialize so host imports called from it can read guest memory.
    memory_.Reset(isolate_, memory.As<v8::WasmMemoryObject>());
    v8::Local<v8::Function> alloc = exportedFunction(ctx, exports, "trimtab_alloc");
    v8::Local<v8::Function> free_fn = exportedFunction(ctx, exports, "trimtab_free");
    if (alloc.IsEmpty() || free_fn.IsEmpty()) {
      return fail(ErrorCode::kUnsupported,
                  fmt::format("missing export {}", alloc.IsEmpty() ? "trimtab_alloc" : "trimtab_free"));
    }
    if (v8::Local<v8::Function> init = exportedFunction(ctx, exports, "_initialize");
        !init.IsEmpty()) {
      if (init->Call(ctx, v8::Undefined(isolate_), 0, nullptr).IsEmpty()) {
        return fail(ErrorCode::kUnsupported,
                    fmt::format("_initialize: {}", exceptionText(try_catch)));
      }
    }
    alloc_.Reset(isolate_, alloc);
    free_.Reset(isolate_, free_fn);
    return {};
  }

  Status runArmed(v8::Local<v8::Context> ctx, std::optional<std::string_view> export_name,
                  const CallIo* io) {
    v8::TryCatch try_catch(isolate_);
    if (alloc_.IsEmpty()) {
      if (auto st = instantiate(ctx, try_catch); !st) return st;
    }
    if (!export_name || io == nullptr) return {};

    auto callError = [&](std::string_view what) {
      return fail(ErrorCode::kUnsupported, fmt::format("{}: {}", what, exceptionText(try_catch)));
    };
    if (hook_.IsEmpty() || hook_name_ != *export_name) {
      v8::Local<v8::Function> hook = exportedFunction(ctx, exports_.Get(isolate_), *export_name);
      if (hook.IsEmpty())
        return fail(ErrorCode::kUnsupported, fmt::format("missing export {}", *export_name));
      hook_.Reset(isolate_, hook);
      hook_name_ = std::string(*export_name);
    }
    v8::Local<v8::Function> alloc = alloc_.Get(isolate_);
    v8::Local<v8::Function> free_fn = free_.Get(isolate_);
    v8::Local<v8::Function> hook = hook_.Get(isolate_);

    if (io->input_len > std::numeric_limits<std::uint32_t>::max()) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("input of {} bytes does not fit a 32-bit guest", io->input_len));
    }
    const auto input_len = static_cast<std::uint32_t>(io->input_len);
    v8::Local<v8::Value> len_arg = v8::Integer::NewFromUnsigned(isolate_, input_len);
    v8::Local<v8::Value> ptr_value;
    if (!alloc->Call(ctx, v8::Undefined(isolate_), 1, &len_arg).ToLocal(&ptr_value)) {
      return callError(fmt::format("trimtab_alloc({})", input_len));
    }
    std::uint32_t in_ptr = 0;
    if (!ptr_value->Uint32Value(ctx).To(&in_ptr)) return callError("trimtab_alloc result");
    if (in_ptr == 0)
      return fail(ErrorCode::kUnsupported, fmt::format("trimtab_alloc({}) returned 0", input_len));
    {
      auto [data, size] = memoryBytes();
      if (std::uint64_t{in_ptr} + input_len > size) {
        return fail(ErrorCode::kUnsupported,
                    fmt::format("trimtab_alloc({}) returned {}, outside the {}-byte memory",
                                input_len, in_ptr, size));
      }
      if (input_len > 0) io->write_input(reinterpret_cast<char*>(data) + in_ptr);
    }

    v8::Local<v8::Value> hook_args[2] = {v8::Integer::NewFromUnsigned(isolate_, in_ptr), len_arg};
    v8::Local<v8::Value> packed_value;
    if (!hook->Call(ctx, v8::Undefined(isolate_), 2, hook_args).ToLocal(&packed_value)) {
      return callError(*export_name);
    }
    if (!packed_value->IsBigInt()) {
      return fail(ErrorCode::kUnsupported, fmt::format("{} did not return an i64", *export_name));
    }
    const std::uint64_t packed = packed_value.As<v8::BigInt>()->Uint64Value();
    {
      auto [data, size] = memoryBytes();  // re-read: the hook may have grown memory
      // The declared maximum was checked against the cap at load and V8 enforces it on
      // memory.grow; this keeps the cap honest should that ever change.
      if (size > std::uint64_t{options_.limits.memory_pages} * kWasmPageBytes) {
        return fail(ErrorCode::kUnsupported,
                    fmt::format("memory grew to {} bytes, over the cap of {} pages", size,
                                options_.limits.memory_pages));
      }
      auto span = unpackGuestSpan(packed, size, options_.limits.max_output_bytes);
      if (!span) return fail(span.error().withContext(std::string(*export_name)));
      const std::string_view response(reinterpret_cast<const char*>(data) + span->ptr, span->len);
      if (auto st = io->read_output(response, size - span->ptr - span->len); !st) return st;
      // The response belongs to the host now: give it back, then the request.
      v8::Local<v8::Value> free_args[2] = {v8::Integer::NewFromUnsigned(isolate_, span->ptr),
                                           v8::Integer::NewFromUnsigned(isolate_, span->len)};
      if (free_fn->Call(ctx, v8::Undefined(isolate_), 2, free_args).IsEmpty())
        return callError(fmt::format("trimtab_free({}, {})", span->ptr, span->len));
    }
    v8::Local<v8::Value> free_args[2] = {v8::Integer::NewFromUnsigned(isolate_, in_ptr), len_arg};
    if (free_fn->Call(ctx, v8::Undefined(isolate_), 2, free_args).IsEmpty())
      return callError(fmt::format("trimtab_free({}, {})", in_ptr, input_len));
    return {};
  }

  std::pair<std::uint8_t*, std::uint64_t> memoryBytes() const {
    if (memory_.IsEmpty()) return {nullptr, 0};
    std::shared_ptr<v8::BackingStore> store = memory_.Get(isolate_)->Buffer()->GetBackingStore();
    return {static_cast<std::uint8_t*>(store->Data()), store->ByteLength()};
  }

  std::string exceptionText(const v8::TryCatch& try_catch) const {
    if (try_catch.HasTerminated()) return "terminated";
    if (!try_catch.HasCaught()) return "failed without an exception";
    v8::Local<v8::Context> ctx = isolate_->GetCurrentContext();
    v8::Local<v8::String> text;
    if (!try_catch.Exception()->ToString(ctx).ToLocal(&text)) return "exception (not printable)";
    v8::String::Utf8Value utf8(isolate_, text);
    return *utf8 != nullptr ? std::string(*utf8, static_cast<std::size_t>(utf8.length()))
                            : "exception";
  }

  void emitLog(std::string_view level, std::string_view text) {
    if (log_lines_ >= options_.limits.max_log_lines_per_call) return;
    if (++log_lines_ == options_.limits.max_log_lines_per_call) {
      options_.log(
          fmt::format("plugin {}: log limit of {} lines per call reached; further lines dropped",
                      options_.plugin_name, options_.limits.max_log_lines_per_call));
      return;
    }
    std::string clean(text.substr(0, kMaxLogLineBytes));
    for (char& c : clean) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    options_.log(fmt::format("plugin {}: {}: {}", options_.plugin_name, level, clean));
  }

  static V8Sandbox* self(const v8::FunctionCallbackInfo<v8::Value>& info) {
    return static_cast<V8Sandbox*>(info.Data().As<v8::External>()->Value());
  }

  static std::uint32_t argU32(const v8::FunctionCallbackInfo<v8::Value>& info, int i) {
    if (i >= info.Length()) return 0;
    return info[i]->Uint32Value(info.GetIsolate()->GetCurrentContext()).FromMaybe(0);
  }

  // trimtab.log(level i32, ptr i32, len i32). Out-of-range text is reported, not read.
  static void hostLog(const v8::FunctionCallbackInfo<v8::Value>& info) {
    V8Sandbox* s = self(info);
    const std::uint32_t level = argU32(info, 0), ptr = argU32(info, 1), len = argU32(info, 2);
    static constexpr std::string_view kLevels[] = {"debug", "info", "warn", "error"};
    const std::string_view level_name = level < 4 ? kLevels[level] : "info";
    auto [data, size] = s->memoryBytes();
    if (data == nullptr || std::uint64_t{ptr} + len > size) {
      s->emitLog("warn", fmt::format("log(ptr={}, len={}) outside memory; dropped", ptr, len));
      return;
    }
    s->emitLog(level_name, std::string_view(reinterpret_cast<const char*>(data) + ptr, len));
  }

  // trimtab.now_unix_ms() -> i64: the host clock (second resolution).
  static void hostNowUnixMs(const v8::FunctionCallbackInfo<v8::Value>& info) {
    V8Sandbox* s = self(info);
    info.GetReturnValue().Set(
        v8::BigInt::New(info.GetIsolate(), s->options_.clock->nowSeconds() * 1000));
  }

  // wasi fd_write(fd, iovs, iovs_len, nwritten) -> errno: stdout/stderr become plugin log lines.
  static void wasiFdWrite(const v8::FunctionCallbackInfo<v8::Value>& info) {
    V8Sandbox* s = self(info);
    const std::uint32_t fd = argU32(info, 0), iovs = argU32(info, 1), iovs_len = argU32(info, 2),
                        nwritten = argU32(info, 3);
    if (fd != 1 && fd != 2) {
      info.GetReturnValue().Set(kWasiEbadf);
      return;
    }
    auto [data, size] = s->memoryBytes();
    std::string text;
    std::uint32_t total = 0;
    for (std::uint32_t i = 0; i < iovs_len && i < 64; ++i) {
      const std::uint64_t at = std::uint64_t{iovs} + 8ull * i;
      if (data == nullptr || at + 8 > size) break;
      std::uint32_t buf = 0, len = 0;
      std::memcpy(&buf, data + at, 4);
      std::memcpy(&len, data + at + 4, 4);
      if (std::uint64_t{buf} + len > size) break;
      if (text.size() < kMaxLogLineBytes)
        text.append(reinterpret_cast<const char*>(data) + buf, len);
      total += len;
    }
    if (data != nullptr && std::uint64_t{nwritten} + 4 <= size)
      std::memcpy(data + nwritten, &total, 4);
    std::string_view rest = text;
    while (!rest.empty()) {
      const std::size_t nl = rest.find('\n');
      const std::string_view line = rest.substr(0, nl);
      if (!line.empty()) s->emitLog(fd == 1 ? "stdout" : "stderr", line);
      if (nl == std::string_view::npos) break;
      rest.remove_prefix(nl + 1);
    }
    info.GetReturnValue().Set(0);
  }

  // wasi proc_exit(code): the plugin gave up; end the call with an error.
  static void wasiProcExit(const v8::FunctionCallbackInfo<v8::Value>& info) {
    v8::Isolate* isolate = info.GetIsolate();
    isolate->ThrowException(v8::Exception::Error(
        str(isolate, fmt::format("plugin called proc_exit({})", argU32(info, 0)))));
  }

  static void wasiEnosys(const v8::FunctionCallbackInfo<v8::Value>& info) {
    info.GetReturnValue().Set(kWasiEnosys);
  }

  SandboxOptions options_;
  v8::Isolate* isolate_ = nullptr;
  v8::Global<v8::Context> context_;
  v8::Global<v8::WasmModuleObject> module_;
  v8::Global<v8::Function> instance_ctor_;
  v8::Global<v8::Object> imports_;
  // The live instance (empty when none): its exports, memory and cached functions.
  v8::Global<v8::Object> exports_;
  v8::Global<v8::WasmMemoryObject> memory_;
  v8::Global<v8::Function> alloc_;  // set last: non-empty means the instance is ready
  v8::Global<v8::Function> free_;
  v8::Global<v8::Function> hook_;
  std::string hook_name_;
  std::atomic<std::uint64_t> instantiations_{0};
  std::unique_ptr<Watchdog> watchdog_;
  int log_lines_ = 0;
};

}  // namespace

}  // namespace trimtab::plugin::internal

// Entry points looked up by v8_loader.cc (see sandbox_abi.h).
extern "C" __attribute__((visibility("default"))) const char* trimtab_v8_description() {
  static const std::string description =
      fmt::format("V8 {}{}", v8::V8::GetVersion(),
                  trimtab::plugin::internal::v8Process().trap_handler ? " (wasm trap handler)" : "");
  return description.c_str();
}

extern "C" __attribute__((visibility("default"))) trimtab::plugin::internal::Sandbox*
trimtab_v8_new_sandbox(const std::uint8_t* wasm, std::size_t wasm_len,
                       const trimtab::plugin::internal::SandboxOptions* options,
                       trimtab::Error* error) {
  using trimtab::plugin::internal::V8Sandbox;
  auto sandbox = std::make_unique<V8Sandbox>(*options);
  if (auto st = sandbox->init(std::span<const std::uint8_t>(wasm, wasm_len)); !st) {
    *error = st.error();
    return nullptr;
  }
  return sandbox.release();
}
