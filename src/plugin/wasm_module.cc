#include "plugin/wasm_module.h"

#include <fmt/format.h>

namespace trimtab::plugin {
namespace {

constexpr std::uint32_t kMaxCount = 1'000'000;  // sanity bound on any vector length

// Bounds-checked cursor over the module bytes. Every read fails instead of running past `end`.
class Reader {
 public:
  Reader(std::span<const std::uint8_t> bytes, std::size_t pos, std::size_t end)
      : bytes_(bytes), pos_(pos), end_(end) {}

  std::size_t pos() const { return pos_; }
  bool atEnd() const { return pos_ >= end_; }

  Result<std::uint8_t> byte() {
    if (pos_ >= end_) return truncated();
    return bytes_[pos_++];
  }

  // Unsigned LEB128 of at most `bits` bits.
  Result<std::uint64_t> leb(unsigned bits) {
    std::uint64_t value = 0;
    unsigned shift = 0;
    const unsigned max_bytes = (bits + 6) / 7;
    for (unsigned i = 0; i < max_bytes; ++i) {
      auto b = byte();
      if (!b) return fail(b.error());
      value |= static_cast<std::uint64_t>(*b & 0x7f) << shift;
      if ((*b & 0x80) == 0) {
        if (bits < 64 && (value >> bits) != 0) return bad("LEB128 value out of range");
        return value;
      }
      shift += 7;
    }
    return bad("LEB128 value too long");
  }

  Result<std::uint32_t> u32() {
    auto v = leb(32);
    if (!v) return fail(v.error());
    return static_cast<std::uint32_t>(*v);
  }

  Result<std::uint32_t> count() {
    auto n = u32();
    if (!n) return n;
    // Each element takes at least one byte, so a count beyond the remaining bytes is a lie.
    if (*n > kMaxCount || *n > end_ - pos_)
      return bad(fmt::format("vector count {} too large", *n));
    return n;
  }

  Result<std::string> name() {
    auto n = u32();
    if (!n) return fail(n.error());
    if (*n > end_ - pos_) return truncated();
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), *n);
    pos_ += *n;
    return s;
  }

  Status skip(std::size_t n) {
    if (n > end_ - pos_) return truncated();
    pos_ += n;
    return {};
  }

  tl::unexpected<Error> bad(std::string what) const {
    return fail(ErrorCode::kParse, fmt::format("wasm module: byte {}: {}", pos_, what));
  }

 private:
  tl::unexpected<Error> truncated() const { return bad("unexpected end of section"); }

  std::span<const std::uint8_t> bytes_;
  std::size_t pos_;
  std::size_t end_;
};

Result<ValType> readValType(Reader& r) {
  auto b = r.byte();
  if (!b) return fail(b.error());
  switch (*b) {
    case 0x7f:
    case 0x7e:
    case 0x7d:
    case 0x7c:
    case 0x7b:
    case 0x70:
    case 0x6f:
      return static_cast<ValType>(*b);
    default:
      return r.bad(fmt::format("unknown value type 0x{:02x}", *b));
  }
}

Result<MemoryLimits> readLimits(Reader& r, bool memory) {
  auto flags = r.byte();
  if (!flags) return fail(flags.error());
  if (*flags > 0x07) return r.bad(fmt::format("unknown limits flags 0x{:02x}", *flags));
  MemoryLimits limits;
  limits.shared = (*flags & 0x02) != 0;
  limits.memory64 = (*flags & 0x04) != 0;
  if (limits.memory64 && !memory) return r.bad("64-bit table limits");
  const unsigned bits = limits.memory64 ? 64 : 32;
  auto min = r.leb(bits);
  if (!min) return fail(min.error());
  limits.min_pages = *min;
  if (*flags & 0x01) {
    auto max = r.leb(bits);
    if (!max) return fail(max.error());
    if (*max < *min) return r.bad("limits maximum below minimum");
    limits.max_pages = *max;
  }
  return limits;
}

Status readTypeSection(Reader& r, WasmModuleInfo& info) {
  auto n = r.count();
  if (!n) return fail(n.error());
  for (std::uint32_t i = 0; i < *n; ++i) {
    auto form = r.byte();
    if (!form) return fail(form.error());
    if (*form != 0x60) return r.bad(fmt::format("type {}: expected func type 0x60", i));
    FuncType type;
    for (auto* list : {&type.params, &type.results}) {
      auto m = r.count();
      if (!m) return fail(m.error());
      for (std::uint32_t j = 0; j < *m; ++j) {
        auto v = readValType(r);
        if (!v) return fail(v.error());
        list->push_back(*v);
      }
    }
    info.types.push_back(std::move(type));
  }
  return {};
}

Status readImportSection(Reader& r, WasmModuleInfo& info) {
  auto n = r.count();
  if (!n) return fail(n.error());
  for (std::uint32_t i = 0; i < *n; ++i) {
    WasmImport imp;
    auto module = r.name();
    if (!module) return fail(module.error());
    auto name = r.name();
    if (!name) return fail(name.error());
    imp.module = std::move(*module);
    imp.name = std::move(*name);
    auto kind = r.byte();
    if (!kind) return fail(kind.error());
    switch (*kind) {
      case 0: {
        auto t = r.u32();
        if (!t) return fail(t.error());
        if (*t >= info.types.size())
          return r.bad(
              fmt::format("import {}.{}: type index {} out of range", imp.module, imp.name, *t));
        imp.kind = ExternKind::kFunction;
        imp.type_index = *t;
        info.function_types.push_back(*t);
        break;
      }
      case 1: {
        auto ref = readValType(r);
        if (!ref) return fail(ref.error());
        auto limits = readLimits(r, false);
        if (!limits) return fail(limits.error());
        imp.kind = ExternKind::kTable;
        break;
      }
      case 2: {
        auto limits = readLimits(r, true);
        if (!limits) return fail(limits.error());
        imp.kind = ExternKind::kMemory;
        info.memories.push_back(*limits);
        ++info.imported_memories;
        break;
      }
      case 3: {
        auto type = readValType(r);
        if (!type) return fail(type.error());
        auto mut = r.byte();
        if (!mut) return fail(mut.error());
        imp.kind = ExternKind::kGlobal;
        break;
      }
      default:
        return r.bad(fmt::format("import {}.{}: unknown kind {}", imp.module, imp.name, *kind));
    }
    info.imports.push_back(std::move(imp));
  }
  return {};
}

Status readFunctionSection(Reader& r, WasmModuleInfo& info) {
  auto n = r.count();
  if (!n) return fail(n.error());
  for (std::uint32_t i = 0; i < *n; ++i) {
    auto t = r.u32();
    if (!t) return fail(t.error());
    if (*t >= info.types.size())
      return r.bad(fmt::format("function {}: type index {} out of range", i, *t));
    info.function_types.push_back(*t);
  }
  return {};
}

Status readMemorySection(Reader& r, WasmModuleInfo& info) {
  auto n = r.count();
  if (!n) return fail(n.error());
  for (std::uint32_t i = 0; i < *n; ++i) {
    auto limits = readLimits(r, true);
    if (!limits) return fail(limits.error());
    info.memories.push_back(*limits);
  }
  return {};
}

Status readExportSection(Reader& r, WasmModuleInfo& info) {
  auto n = r.count();
  if (!n) return fail(n.error());
  for (std::uint32_t i = 0; i < *n; ++i) {
    WasmExport exp;
    auto name = r.name();
    if (!name) return fail(name.error());
    exp.name = std::move(*name);
    auto kind = r.byte();
    if (!kind) return fail(kind.error());
    if (*kind > 3) return r.bad(fmt::format("export \"{}\": unknown kind {}", exp.name, *kind));
    exp.kind = static_cast<ExternKind>(*kind);
    auto index = r.u32();
    if (!index) return fail(index.error());
    exp.index = *index;
    info.exports.push_back(std::move(exp));
  }
  return {};
}

}  // namespace

const WasmExport* WasmModuleInfo::findExport(std::string_view name) const {
  for (const auto& e : exports) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const FuncType* WasmModuleInfo::exportedFunctionType(std::string_view name) const {
  const WasmExport* e = findExport(name);
  if (e == nullptr || e->kind != ExternKind::kFunction) return nullptr;
  // Indices were checked against the function space after parsing.
  if (e->index >= function_types.size()) return nullptr;
  return &types[function_types[e->index]];
}

Result<WasmModuleInfo> parseWasmModule(std::span<const std::uint8_t> bytes) {
  static constexpr std::uint8_t kHeader[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  if (bytes.size() < 8 || !std::equal(kHeader, kHeader + 4, bytes.begin())) {
    return fail(ErrorCode::kParse, "wasm module: missing \\0asm magic (not a WebAssembly binary)");
  }
  if (!std::equal(kHeader + 4, kHeader + 8, bytes.begin() + 4)) {
    return fail(ErrorCode::kUnsupported,
                "wasm module: binary version is not 1 (components are not supported)");
  }
  WasmModuleInfo info;
  Reader top(bytes, 8, bytes.size());
  int last_id = 0;
  while (!top.atEnd()) {
    auto id = top.byte();
    if (!id) return fail(id.error());
    auto size = top.u32();
    if (!size) return fail(size.error());
    const std::size_t start = top.pos();
    if (*size > bytes.size() - start)
      return top.bad(fmt::format("section {} size {} runs past the end", *id, *size));
    Reader r(bytes, start, start + *size);
    // Known sections appear at most once, in order (custom section 0 and data count 12 aside).
    if (*id != 0 && *id != 12) {
      if (*id > 12) return top.bad(fmt::format("unknown section id {}", *id));
      if (*id <= last_id) return top.bad(fmt::format("section {} out of order or repeated", *id));
      last_id = *id;
    }
    Status st;
    switch (*id) {
      case 1:
        st = readTypeSection(r, info);
        break;
      case 2:
        st = readImportSection(r, info);
        break;
      case 3:
        st = readFunctionSection(r, info);
        break;
      case 5:
        st = readMemorySection(r, info);
        break;
      case 7:
        st = readExportSection(r, info);
        break;
      default:
        break;  // skipped: custom, table, global, start, element, code, data, data count
    }
    if (!st) return fail(st.error());
    if ((*id == 1 || *id == 2 || *id == 3 || *id == 5 || *id == 7) && !r.atEnd()) {
      return r.bad(fmt::format("section {} has {} trailing bytes", *id, start + *size - r.pos()));
    }
    auto skipped = top.skip(*size);
    if (!skipped) return fail(skipped.error());
  }
  for (const auto& m : info.memories) {
    if (m.memory64)
      return fail(ErrorCode::kUnsupported, "wasm module: 64-bit memories are not supported");
  }
  for (const auto& e : info.exports) {
    const std::size_t space = e.kind == ExternKind::kFunction ? info.function_types.size()
                              : e.kind == ExternKind::kMemory ? info.memories.size()
                                                              : SIZE_MAX;
    if (e.index >= space) {
      return fail(
          ErrorCode::kParse,
          fmt::format("wasm module: export \"{}\": index {} out of range", e.name, e.index));
    }
  }
  return info;
}

std::string formatFuncType(const FuncType& type) {
  auto list = [](const std::vector<ValType>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i) s += ", ";
      switch (v[i]) {
        case ValType::kI32:
          s += "i32";
          break;
        case ValType::kI64:
          s += "i64";
          break;
        case ValType::kF32:
          s += "f32";
          break;
        case ValType::kF64:
          s += "f64";
          break;
        case ValType::kV128:
          s += "v128";
          break;
        case ValType::kFuncRef:
          s += "funcref";
          break;
        case ValType::kExternRef:
          s += "externref";
          break;
      }
    }
    return s;
  };
  std::string out = "(" + list(type.params) + ") -> ";
  if (type.results.empty()) return out + "()";
  if (type.results.size() == 1) return out + list(type.results);
  return out + "(" + list(type.results) + ")";
}

}  // namespace trimtab::plugin
