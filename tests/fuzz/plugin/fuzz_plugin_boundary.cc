// The host side of the plugin boundary. Input layout:
//   byte 0      hook (mod 3)
//   bytes 1..8  a packed (ptr << 32) | len as a guest would return it
//   bytes 9..   a response body as a guest would write it
// Checked three ways: unpackGuestSpan against several memory sizes, parseResponse /
// appendFallbackItems on the body, and, when the V8 engine and the random_span test plugin are
// available, a real call whose guest returns exactly that packed value.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "plugin/abi.h"
#include "plugin/internal/envelope.h"
#include "plugin/plugin.h"

// The three plugins live until exit; V8 keeps some of their allocations reachable only from
// its mmap'd heap pages, which LeakSanitizer does not scan.
extern "C" const char* __lsan_default_suppressions() { return "leak:libnode.so\n"; }

namespace {

using namespace trimtab::plugin;

const std::vector<std::string> kInputs = {R"({"name":"a","totalCost":1})", R"({"name":"b"})"};

Plugin* spanPlugin(Hook hook) {
  static std::unique_ptr<Plugin> plugins[3];
  static bool tried = false;
  if (!tried) {
    tried = true;
    const std::string path = std::string(TRIMTAB_PLUGIN_WASM_DIR) + "/random_span.wasm";
    if (TRIMTAB_PLUGIN_C_TOOLCHAIN && engineAvailable() && std::filesystem::exists(path)) {
      for (Hook h : kAllHooks) {
        PluginConfig config;
        config.path = path;
        config.hook = h;
        config.limits.max_consecutive_failures = 1 << 30;  // keep it enabled across inputs
        auto p = Plugin::load(config, [](std::string_view) {});
        if (p) plugins[static_cast<int>(h)] = std::move(*p);
      }
    }
  }
  return plugins[static_cast<int>(hook)].get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 9) return 0;
  const Hook hook = kAllHooks[data[0] % 3];
  std::uint64_t packed = 0;
  std::memcpy(&packed, data + 1, 8);
  const std::string body(reinterpret_cast<const char*>(data) + 9, size - 9);

  for (std::uint64_t memory :
       {std::uint64_t{0}, std::uint64_t{65536}, std::uint64_t{1} << 26, std::uint64_t{1} << 32}) {
    auto span = unpackGuestSpan(packed, memory, 16u << 20);
    if (span && std::uint64_t{span->ptr} + span->len > memory) __builtin_trap();
  }

  simdjson::dom::parser parser;
  const ItemList inputs(kInputs);
  ItemList items;
  auto st = internal::parseResponse(hook, body, inputs.all(), parser, items);
  if (items.size() != (st ? kInputs.size() : 0)) __builtin_trap();
  ItemList fallback;
  internal::appendFallbackItems(hook, inputs.all(), body, fallback);
  if (fallback.size() != kInputs.size()) __builtin_trap();

  if (Plugin* p = spanPlugin(hook)) {
    const std::vector<std::string> rows = {
        fmt::format(R"({{"name":"a","span":"{:016x}"}})", packed), kInputs[1]};
    HookResult r = p->run(rows);
    if (r.items.size() != rows.size()) __builtin_trap();
  }
  return 0;
}
