// The module reader and ABI v1 conformance on hand-assembled binaries (no engine needed), and
// on the plugins built from plugins/ when the toolchains exist.
#include "plugin/wasm_module.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "plugin/abi.h"
#include "plugin/plugin.h"
#include "plugin/sha256.h"

namespace trimtab::plugin {
namespace {

using Bytes = std::vector<std::uint8_t>;

void leb(Bytes& out, std::uint64_t v) {
  do {
    std::uint8_t b = v & 0x7f;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(b);
  } while (v);
}
void name(Bytes& out, const std::string& s) {
  leb(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}
void section(Bytes& module, std::uint8_t id, const Bytes& body) {
  module.push_back(id);
  leb(module, body.size());
  module.insert(module.end(), body.begin(), body.end());
}

struct Export {
  std::string name;
  std::uint8_t kind;
  std::uint32_t index;
};

// A module with types [()->(), (i32)->i32, (i32,i32)->(), (i32,i32)->i64], functions of the
// given type indices, one memory (min, optional max), the given imports and exports. Code
// section omitted: the reader never looks at bodies.
struct ModuleSpec {
  std::vector<std::uint32_t> function_types = {0, 1, 2, 3};
  std::uint32_t memory_min = 1;
  std::optional<std::uint32_t> memory_max = 16;
  std::vector<std::pair<std::string, std::string>> function_imports;  // type 2
  std::vector<Export> exports = {{"memory", 2, 0},
                                 {"trimtab_abi_v1", 0, 0},
                                 {"trimtab_alloc", 0, 1},
                                 {"trimtab_free", 0, 2},
                                 {"trimtab_allocation_rule", 0, 3}};
};

// Export indices in ModuleSpec refer to defined functions; they are shifted by the number of
// imported functions here.
Bytes build(const ModuleSpec& spec) {
  Bytes m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  Bytes types;
  leb(types, 4);
  types.insert(types.end(), {0x60, 0x00, 0x00});
  types.insert(types.end(), {0x60, 0x01, 0x7f, 0x01, 0x7f});
  types.insert(types.end(), {0x60, 0x02, 0x7f, 0x7f, 0x00});
  types.insert(types.end(), {0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7e});
  section(m, 1, types);
  if (!spec.function_imports.empty()) {
    Bytes imports;
    leb(imports, spec.function_imports.size());
    for (const auto& [mod, fn] : spec.function_imports) {
      name(imports, mod);
      name(imports, fn);
      imports.push_back(0);
      leb(imports, 2);
    }
    section(m, 2, imports);
  }
  Bytes funcs;
  leb(funcs, spec.function_types.size());
  for (auto t : spec.function_types) leb(funcs, t);
  section(m, 3, funcs);
  Bytes mem;
  leb(mem, 1);
  mem.push_back(spec.memory_max ? 1 : 0);
  leb(mem, spec.memory_min);
  if (spec.memory_max) leb(mem, *spec.memory_max);
  section(m, 5, mem);
  Bytes exps;
  leb(exps, spec.exports.size());
  for (const auto& e : spec.exports) {
    name(exps, e.name);
    exps.push_back(e.kind);
    leb(exps, e.kind == 0 ? e.index + spec.function_imports.size() : e.index);
  }
  section(m, 7, exps);
  return m;
}

TEST(WasmModule, ReadsTypesImportsMemoryAndExports) {
  ModuleSpec spec;
  spec.function_imports = {{"trimtab", "log_wrong_type"}};
  auto info = parseWasmModule(build(spec));
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->types.size(), 4u);
  ASSERT_EQ(info->imports.size(), 1u);
  EXPECT_EQ(info->imports[0].module, "trimtab");
  EXPECT_EQ(info->function_types.size(), 5u);
  ASSERT_EQ(info->memories.size(), 1u);
  EXPECT_EQ(info->memories[0].min_pages, 1u);
  EXPECT_EQ(info->memories[0].max_pages, 16u);
  const FuncType* hook = info->exportedFunctionType("trimtab_allocation_rule");
  ASSERT_NE(hook, nullptr);
  EXPECT_EQ(formatFuncType(*hook), "(i32, i32) -> i64");
}

TEST(WasmModule, RejectsGarbageTruncationAndBadIndices) {
  EXPECT_FALSE(parseWasmModule(Bytes{}));
  EXPECT_FALSE(parseWasmModule(Bytes{'h', 'e', 'l', 'l', 'o', 0, 0, 0}));
  auto comp = parseWasmModule(Bytes{0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00});
  ASSERT_FALSE(comp);
  EXPECT_NE(comp.error().message.find("components"), std::string::npos);
  // Cutting between sections leaves a valid (smaller) module; cutting inside one must fail.
  Bytes good = build(ModuleSpec{});
  std::set<std::size_t> boundaries;
  for (std::size_t at = 8; at < good.size();) {
    boundaries.insert(at);
    std::size_t size = 0, shift = 0, i = at + 1;
    for (; good[i] & 0x80; ++i, shift += 7) size |= std::size_t{good[i] & 0x7fu} << shift;
    size |= std::size_t{good[i]} << shift;
    at = i + 1 + size;
  }
  for (std::size_t cut = 8; cut < good.size(); ++cut) {
    auto r = parseWasmModule(Bytes(good.begin(), good.begin() + static_cast<long>(cut)));
    EXPECT_EQ(r.has_value(), boundaries.count(cut) == 1) << "cut at " << cut;
  }
  ModuleSpec bad_index;
  bad_index.exports.push_back({"nowhere", 0, 99});
  auto r = parseWasmModule(build(bad_index));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("out of range"), std::string::npos);
}

TEST(AbiV1, AcceptsAConformingModule) {
  auto info = parseWasmModule(build(ModuleSpec{}));
  ASSERT_TRUE(info);
  auto report = checkAbiV1(*info, Limits{});
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->hooks.size(), 1u);
  EXPECT_EQ(report->hooks[0], Hook::kAllocation);
  EXPECT_EQ(report->memory_max_pages, 16u);
}

std::string abiError(const ModuleSpec& spec, Limits limits = {}) {
  auto info = parseWasmModule(build(spec));
  if (!info) return "parse: " + info.error().message;
  auto report = checkAbiV1(*info, limits);
  return report ? "" : report.error().message;
}

TEST(AbiV1, NamesEveryProblem) {
  ModuleSpec no_marker;
  no_marker.exports.erase(no_marker.exports.begin() + 1);
  EXPECT_NE(abiError(no_marker).find("missing export trimtab_abi_v1"), std::string::npos);

  ModuleSpec v2;
  v2.exports[1].name = "trimtab_abi_v2";
  EXPECT_NE(abiError(v2).find("declares trimtab_abi_v2"), std::string::npos);

  ModuleSpec wrong_alloc;
  wrong_alloc.exports[2].index = 3;  // (i32,i32)->i64
  EXPECT_NE(
      abiError(wrong_alloc).find("trimtab_alloc has type (i32, i32) -> i64, expected (i32) -> i32"),
      std::string::npos);

  ModuleSpec no_hook;
  no_hook.exports.pop_back();
  EXPECT_NE(abiError(no_hook).find("no hook export"), std::string::npos);

  ModuleSpec unbounded;
  unbounded.memory_max.reset();
  EXPECT_NE(abiError(unbounded).find("no declared maximum"), std::string::npos);

  ModuleSpec huge;
  huge.memory_max = 65536;
  EXPECT_NE(abiError(huge).find("exceeds the cap of 1024 pages"), std::string::npos);

  ModuleSpec wasi_fs;
  wasi_fs.function_imports = {{"wasi_snapshot_preview1", "path_open"}};
  EXPECT_NE(abiError(wasi_fs).find("import wasi_snapshot_preview1.path_open is not provided"),
            std::string::npos);

  ModuleSpec env;
  env.function_imports = {{"env", "socket"}};
  EXPECT_NE(abiError(env).find("import env.socket"), std::string::npos);

  ModuleSpec log_bad_type;  // imports use type 2 = (i32, i32) -> (), not log's
  log_bad_type.function_imports = {{"trimtab", "log"}};
  EXPECT_NE(
      abiError(log_bad_type)
          .find("import trimtab.log has type (i32, i32) -> (), expected (i32, i32, i32) -> ()"),
      std::string::npos);
}

TEST(AbiV1, HookNamesRoundTrip) {
  for (Hook h : kAllHooks) {
    auto parsed = parseHook(hookName(h));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, h);
  }
  EXPECT_FALSE(parseHook("pricing"));
}

TEST(GuestSpan, ChecksBoundsAndCap) {
  auto ok = unpackGuestSpan((std::uint64_t{100} << 32) | 50, 1000, 100);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->ptr, 100u);
  EXPECT_EQ(ok->len, 50u);
  EXPECT_TRUE(unpackGuestSpan((std::uint64_t{950} << 32) | 50, 1000, 100));
  EXPECT_FALSE(unpackGuestSpan((std::uint64_t{951} << 32) | 50, 1000, 100));
  EXPECT_FALSE(unpackGuestSpan(0xffffffffffffffffull, 1ull << 32, 1ull << 40));
  EXPECT_FALSE(unpackGuestSpan(101, 1000, 100));  // len over the cap
}

TEST(Sha256, KnownVectorAndPins) {
  const std::string abc = "abc";
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(abc.data()),
                                            abc.size());
  const std::string digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  EXPECT_EQ(sha256Hex(bytes), digest);
  EXPECT_TRUE(verifySha256Pin(bytes, digest, "abc"));
  EXPECT_TRUE(verifySha256Pin(
      bytes, " sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\n", "abc"));
  auto wrong = verifySha256Pin(bytes, std::string(64, '0'), "abc");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kCorrupt);
  auto malformed = verifySha256Pin(bytes, "xyz", "abc");
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, ErrorCode::kInvalidArgument);
}

// ABI conformance of every plugin built from plugins/: examples and the hostile ones whose
// defect is behavioural pass the structural check; the structural hostiles fail it.
TEST(AbiV1, BuiltPlugins) {
  if (!TRIMTAB_PLUGIN_C_TOOLCHAIN)
    GTEST_SKIP() << "clang-14 with wasm32-wasi (wasi-libc) not found; plugins not built";
  const std::filesystem::path dir = TRIMTAB_PLUGIN_WASM_DIR;
  auto check = [&](const std::string& name) -> Result<AbiReport> {
    auto bytes = readFileBytes((dir / (name + ".wasm")).string(), 10u << 20);
    if (!bytes) return fail(bytes.error());
    return checkModuleBytes(*bytes, Limits{});
  };
  for (const char* good :
       {"label_team", "spot_veto", "alert_threshold", "infinite_loop", "out_of_bounds",
        "memory_bomb", "oversized_output", "invalid_json", "alloc_trap", "random_span"}) {
    auto r = check(good);
    EXPECT_TRUE(r) << good << ": " << r.error().message;
  }
  auto label = check("label_team");
  ASSERT_TRUE(label);
  EXPECT_EQ(label->hooks, std::vector<Hook>{Hook::kAllocation});
  EXPECT_TRUE(label->has_initialize);
  auto wrong = check("wrong_abi");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("declares trimtab_abi_v2"), std::string::npos);
  auto missing = check("missing_exports");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("missing export trimtab_alloc"), std::string::npos);
  EXPECT_NE(missing.error().message.find("no hook export"), std::string::npos);
  auto bomb = check("memory_bomb_4g");
  ASSERT_FALSE(bomb);
  EXPECT_NE(bomb.error().message.find("exceeds the cap"), std::string::npos);
  if (TRIMTAB_PLUGIN_RUST_TOOLCHAIN) {
    auto jvm = check("jvm_floor");
    ASSERT_TRUE(jvm) << jvm.error().message;
    EXPECT_EQ(jvm->hooks, std::vector<Hook>{Hook::kRecommendation});
  }
}

}  // namespace
}  // namespace trimtab::plugin
