#include "plugin/abi.h"

#include <fmt/format.h>

namespace trimtab::plugin {
namespace {

constexpr std::string_view kWasiImports[] = {
    "fd_write",       "fd_seek",           "fd_close",  "fd_fdstat_get",
    "environ_get",    "environ_sizes_get", "args_get",  "args_sizes_get",
    "clock_time_get", "random_get",        "proc_exit",
};

FuncType type(std::vector<ValType> params, std::vector<ValType> results) {
  return FuncType{std::move(params), std::move(results)};
}

}  // namespace

std::string_view hookName(Hook hook) {
  switch (hook) {
    case Hook::kAllocation:
      return "allocation";
    case Hook::kRecommendation:
      return "recommendation";
    case Hook::kAlert:
      return "alert";
  }
  return "?";
}

std::string_view hookExport(Hook hook) {
  switch (hook) {
    case Hook::kAllocation:
      return "trimtab_allocation_rule";
    case Hook::kRecommendation:
      return "trimtab_recommendation_policy";
    case Hook::kAlert:
      return "trimtab_alert_filter";
  }
  return "?";
}

std::string_view hookKind(Hook hook) {
  switch (hook) {
    case Hook::kAllocation:
      return "CostAllocationRequest";
    case Hook::kRecommendation:
      return "RecommendationRequest";
    case Hook::kAlert:
      return "AlertFilterRequest";
  }
  return "?";
}

Result<Hook> parseHook(std::string_view name) {
  for (Hook h : kAllHooks) {
    if (hookName(h) == name) return h;
  }
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("hook \"{}\": expected allocation, recommendation or alert", name));
}

Result<GuestSpan> unpackGuestSpan(std::uint64_t packed, std::uint64_t memory_bytes,
                                  std::uint64_t max_len) {
  const GuestSpan span{static_cast<std::uint32_t>(packed >> 32),
                       static_cast<std::uint32_t>(packed & 0xffffffffu)};
  if (span.len > max_len) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("output of {} bytes exceeds the cap of {} bytes", span.len, max_len));
  }
  if (std::uint64_t{span.ptr} + span.len > memory_bytes) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("output ptr {} + len {} lies outside the {}-byte memory", span.ptr,
                            span.len, memory_bytes));
  }
  return span;
}

bool isAllowedImport(std::string_view module, std::string_view name) {
  if (module == "trimtab") return name == "log" || name == "now_unix_ms";
  if (module == "wasi_snapshot_preview1") {
    for (auto n : kWasiImports) {
      if (n == name) return true;
    }
  }
  return false;
}

Result<AbiReport> checkAbiV1(const WasmModuleInfo& info, const Limits& limits) {
  std::vector<std::string> problems;
  AbiReport report;

  auto expectFunction = [&](std::string_view name, const FuncType& want, bool required) {
    const WasmExport* e = info.findExport(name);
    if (e == nullptr) {
      if (required) problems.push_back(fmt::format("missing export {}", name));
      return false;
    }
    const FuncType* got = info.exportedFunctionType(name);
    if (got == nullptr) {
      problems.push_back(fmt::format("export {} is not a function", name));
      return false;
    }
    if (*got != want) {
      problems.push_back(fmt::format("{} has type {}, expected {}", name, formatFuncType(*got),
                                     formatFuncType(want)));
      return false;
    }
    return true;
  };

  constexpr auto i32 = ValType::kI32;
  constexpr auto i64 = ValType::kI64;
  if (info.findExport("trimtab_abi_v1") == nullptr) {
    // Name the version the module does declare, if any, so "wrong ABI" reads as such.
    std::string other;
    for (const auto& e : info.exports) {
      if (e.name.starts_with("trimtab_abi_")) other = e.name;
    }
    problems.push_back(
        other.empty() ? "missing export trimtab_abi_v1 (not a Trimtab plugin, or an unknown ABI)"
                      : fmt::format("module declares {}, this host speaks trimtab_abi_v1", other));
  } else {
    expectFunction("trimtab_abi_v1", type({}, {}), true);
  }
  expectFunction("trimtab_alloc", type({i32}, {i32}), true);
  expectFunction("trimtab_free", type({i32, i32}, {}), true);
  report.has_initialize = expectFunction("_initialize", type({}, {}), false);
  for (Hook h : kAllHooks) {
    if (expectFunction(hookExport(h), type({i32, i32}, {i64}), false)) report.hooks.push_back(h);
  }
  if (report.hooks.empty()) {
    problems.push_back(
        "no hook export (trimtab_allocation_rule, trimtab_recommendation_policy or "
        "trimtab_alert_filter)");
  }

  const WasmExport* mem = info.findExport("memory");
  if (mem == nullptr || mem->kind != ExternKind::kMemory) {
    problems.push_back("missing memory export \"memory\"");
  }
  if (info.memories.size() != 1) {
    problems.push_back(
        fmt::format("module has {} memories, expected exactly 1", info.memories.size()));
  } else {
    const MemoryLimits& m = info.memories[0];
    if (info.imported_memories != 0)
      problems.push_back("memory is imported; a plugin must define its own");
    if (m.shared) problems.push_back("shared memory is not supported");
    if (!m.max_pages) {
      problems.push_back("memory has no declared maximum (link with -Wl,--max-memory=<bytes>)");
    } else if (*m.max_pages > limits.memory_pages) {
      problems.push_back(
          fmt::format("memory maximum {} pages ({} MiB) exceeds the cap of {} pages ({} MiB)",
                      *m.max_pages, *m.max_pages * kWasmPageBytes >> 20, limits.memory_pages,
                      std::uint64_t{limits.memory_pages} * kWasmPageBytes >> 20));
    }
    report.memory_min_pages = m.min_pages;
    report.memory_max_pages = m.max_pages.value_or(0);
  }

  for (const auto& imp : info.imports) {
    if (imp.kind != ExternKind::kFunction || !isAllowedImport(imp.module, imp.name)) {
      problems.push_back(
          fmt::format("import {}.{} is not provided (allowed: trimtab.log, trimtab.now_unix_ms, "
                      "and WASI stubs)",
                      imp.module, imp.name));
      continue;
    }
    if (imp.module == "trimtab") {
      const FuncType want = imp.name == "log" ? type({i32, i32, i32}, {}) : type({}, {i64});
      const FuncType& got = info.types[imp.type_index];
      if (got != want) {
        problems.push_back(fmt::format("import trimtab.{} has type {}, expected {}", imp.name,
                                       formatFuncType(got), formatFuncType(want)));
        continue;
      }
    }
    report.imports.push_back(imp.module + "." + imp.name);
  }

  if (!problems.empty()) {
    std::string msg;
    for (const auto& p : problems) {
      if (!msg.empty()) msg += "; ";
      msg += p;
    }
    return fail(ErrorCode::kUnsupported, msg);
  }
  return report;
}

}  // namespace trimtab::plugin
