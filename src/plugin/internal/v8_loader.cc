// Finds and loads libtrimtab_v8.so (see v8_sandbox.cc for why V8 lives in its own library).
// Search order: $TRIMTAB_V8_LIBRARY, the path recorded at build time, then next to the running
// executable.
#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "plugin/internal/sandbox.h"
#include "plugin/internal/sandbox_abi.h"

#ifndef TRIMTAB_V8_LIBRARY_PATH
#error "TRIMTAB_V8_LIBRARY_PATH must name the built libtrimtab_v8.so"
#endif

namespace trimtab::plugin::internal {
namespace {

struct Loaded {
  TrimtabV8DescriptionFn description = nullptr;
  TrimtabV8NewSandboxFn new_sandbox = nullptr;
  std::string error;
};

const Loaded& loaded() {
  static const Loaded result = [] {
    Loaded l;
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("TRIMTAB_V8_LIBRARY"); env != nullptr && *env != '\0')
      candidates.emplace_back(env);
    candidates.emplace_back(TRIMTAB_V8_LIBRARY_PATH);
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back((self.parent_path() / "libtrimtab_v8.so").string());
    std::string tried;
    for (const std::string& path : candidates) {
      if (!std::filesystem::exists(path, ec)) {
        tried += fmt::format("{}{} (absent)", tried.empty() ? "" : ", ", path);
        continue;
      }
      // RTLD_LOCAL: V8's symbols stay private to this library.
      void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle == nullptr) {
        tried += fmt::format("{}{} ({})", tried.empty() ? "" : ", ", path, ::dlerror());
        continue;
      }
      l.description =
          reinterpret_cast<TrimtabV8DescriptionFn>(::dlsym(handle, kTrimtabV8DescriptionSymbol));
      l.new_sandbox =
          reinterpret_cast<TrimtabV8NewSandboxFn>(::dlsym(handle, kTrimtabV8NewSandboxSymbol));
      if (l.description != nullptr && l.new_sandbox != nullptr) return l;
      tried += fmt::format("{}{} (entry points missing)", tried.empty() ? "" : ", ", path);
    }
    l.description = nullptr;
    l.new_sandbox = nullptr;
    l.error = "cannot load the V8 plugin engine: tried " + tried;
    return l;
  }();
  return result;
}

}  // namespace

bool engineAvailable() { return loaded().new_sandbox != nullptr; }

std::string engineDescription() {
  const Loaded& l = loaded();
  return l.description != nullptr ? std::string(l.description()) : "none (" + l.error + ")";
}

Result<std::unique_ptr<Sandbox>> newSandbox(std::span<const std::uint8_t> wasm,
                                            SandboxOptions options) {
  const Loaded& l = loaded();
  if (l.new_sandbox == nullptr) return fail(ErrorCode::kUnsupported, l.error);
  Error error;
  Sandbox* sandbox = l.new_sandbox(wasm.data(), wasm.size(), &options, &error);
  if (sandbox == nullptr) return fail(error);
  return std::unique_ptr<Sandbox>(sandbox);
}

}  // namespace trimtab::plugin::internal
