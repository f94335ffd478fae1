// A structural reader for WebAssembly binary modules (core spec, MVP + the sections clang and
// rustc emit). It reads only what the plugin host must check before handing bytes to an engine:
// function types, imports, the function index space, memories and exports. Function bodies and
// data are skipped, never executed or validated here; the engine validates the full module.
//
// Input is untrusted: every length and index is bounds-checked and errors name the section
// and byte offset. Thread-safe (pure function).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/error.h"

namespace trimtab::plugin {

enum class ValType : std::uint8_t {
  kI32 = 0x7f,
  kI64 = 0x7e,
  kF32 = 0x7d,
  kF64 = 0x7c,
  kV128 = 0x7b,
  kFuncRef = 0x70,
  kExternRef = 0x6f,
};

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};

// External kinds as encoded in import and export descriptors.
enum class ExternKind : std::uint8_t { kFunction = 0, kTable = 1, kMemory = 2, kGlobal = 3 };

struct MemoryLimits {
  std::uint64_t min_pages = 0;             // 64 KiB pages
  std::optional<std::uint64_t> max_pages;  // absent: may grow to the engine's ceiling
  bool shared = false;
  bool memory64 = false;
};

struct WasmImport {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::kFunction;
  std::uint32_t type_index = 0;  // kFunction only: index into WasmModuleInfo::types
};

struct WasmExport {
  std::string name;
  ExternKind kind = ExternKind::kFunction;
  std::uint32_t index = 0;  // into the index space of its kind (imports first)
};

struct WasmModuleInfo {
  std::vector<FuncType> types;
  std::vector<WasmImport> imports;
  // Type index of every function in the function index space (imported functions first).
  std::vector<std::uint32_t> function_types;
  std::vector<MemoryLimits> memories;  // imported first, then defined
  std::uint32_t imported_memories = 0;
  std::vector<WasmExport> exports;

  const WasmExport* findExport(std::string_view name) const;
  // Type of an exported function, or nullptr when `name` is not an exported function.
  const FuncType* exportedFunctionType(std::string_view name) const;
};

// Reads the module header and sections. Fails (kParse) on a bad magic/version, truncated or
// overlong sections, out-of-range indices, or unknown value types; (kUnsupported) on
// memory64 memories.
Result<WasmModuleInfo> parseWasmModule(std::span<const std::uint8_t> bytes);

// "(i32, i32) -> i64"
std::string formatFuncType(const FuncType& type);

}  // namespace trimtab::plugin
