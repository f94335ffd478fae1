// The two C entry points of libtrimtab_v8.so, resolved with dlsym by v8_loader.cc. Both sides
// are built from this tree by the same compiler, so C++ types cross the boundary safely.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/error.h"
#include "plugin/internal/sandbox.h"

extern "C" {
// "V8 10.2.154.26-node.37". The string lives until exit.
using TrimtabV8DescriptionFn = const char* (*)();
// Compiles `wasm` into a new sandbox (caller owns it, deletes it with `delete`); nullptr and
// *error filled on failure.
using TrimtabV8NewSandboxFn =
    trimtab::plugin::internal::Sandbox* (*)(const std::uint8_t* wasm, std::size_t wasm_len,
                                            const trimtab::plugin::internal::SandboxOptions*
                                                options,
                                            trimtab::Error* error);
}

inline constexpr const char* kTrimtabV8DescriptionSymbol = "trimtab_v8_description";
inline constexpr const char* kTrimtabV8NewSandboxSymbol = "trimtab_v8_new_sandbox";
