# Builds the example and hostile plugins from source for tests, benchmarks and fuzzers.
# Included once (from src/plugin/CMakeLists.txt); defines
#   TRIMTAB_PLUGIN_WASM_DIR      where the .wasm files land (${CMAKE_BINARY_DIR}/plugins)
#   TRIMTAB_PLUGIN_C_TOOLCHAIN   ON when clang-14 can build wasm32-wasi (wasi-libc present)
#   TRIMTAB_PLUGIN_RUST_TOOLCHAIN ON when Debian's rustc has the wasm32-unknown-unknown std
#   target trimtab_plugin_wasm   builds every plugin the toolchains allow (not part of ALL)
include_guard(GLOBAL)

set(TRIMTAB_PLUGIN_WASM_DIR "${CMAKE_BINARY_DIR}/plugins" CACHE INTERNAL "")
set(plugins_dir "${CMAKE_CURRENT_LIST_DIR}")
file(MAKE_DIRECTORY "${TRIMTAB_PLUGIN_WASM_DIR}")

find_program(TRIMTAB_WASM_CLANG NAMES clang-14)
# Debian's rustc, not a rustup shim: only it has the wasm32 std (libstd-rust-dev-wasm32).
find_program(TRIMTAB_WASM_RUSTC NAMES rustc PATHS /usr/bin NO_DEFAULT_PATH)

set(TRIMTAB_PLUGIN_C_TOOLCHAIN OFF CACHE INTERNAL "")
if(TRIMTAB_WASM_CLANG)
  file(WRITE "${CMAKE_BINARY_DIR}/plugins/probe.c" "#include <stdlib.h>\nint f(int n) { return malloc(n) != 0; }\n")
  execute_process(COMMAND "${TRIMTAB_WASM_CLANG}" --target=wasm32-wasi -O2 -mexec-model=reactor
                          -o "${CMAKE_BINARY_DIR}/plugins/probe.wasm" "${CMAKE_BINARY_DIR}/plugins/probe.c"
                  RESULT_VARIABLE probe_rc OUTPUT_QUIET ERROR_QUIET)
  if(probe_rc EQUAL 0)
    set(TRIMTAB_PLUGIN_C_TOOLCHAIN ON CACHE INTERNAL "")
  endif()
endif()
set(TRIMTAB_PLUGIN_RUST_TOOLCHAIN OFF CACHE INTERNAL "")
if(TRIMTAB_WASM_RUSTC AND EXISTS "/usr/lib/rustlib/wasm32-unknown-unknown")
  set(TRIMTAB_PLUGIN_RUST_TOOLCHAIN ON CACHE INTERNAL "")
endif()
message(STATUS "trimtab plugins: C toolchain ${TRIMTAB_PLUGIN_C_TOOLCHAIN}, Rust toolchain ${TRIMTAB_PLUGIN_RUST_TOOLCHAIN}")

set(plugin_outputs "")
set(c_flags --target=wasm32-wasi -O2 -mexec-model=reactor -Wall -Wextra -Werror -Wl,--strip-all
            -I "${plugins_dir}/sdk/c")
set(c_header "${plugins_dir}/sdk/c/trimtab_plugin.h")

# trimtab_wasm_c(NAME SOURCE MAX_MEMORY_BYTES)
function(trimtab_wasm_c name source max_memory)
  set(out "${TRIMTAB_PLUGIN_WASM_DIR}/${name}.wasm")
  add_custom_command(OUTPUT "${out}"
    COMMAND "${TRIMTAB_WASM_CLANG}" ${c_flags} -Wl,--max-memory=${max_memory} -o "${out}" "${source}"
    DEPENDS "${source}" "${c_header}" "${plugins_dir}/hostile/hostile.h"
    COMMENT "wasm plugin ${name}.wasm (clang wasm32-wasi)" VERBATIM)
  set(plugin_outputs ${plugin_outputs} "${out}" PARENT_SCOPE)
endfunction()

if(TRIMTAB_PLUGIN_C_TOOLCHAIN)
  foreach(name label_team spot_veto alert_threshold)
    trimtab_wasm_c(${name} "${plugins_dir}/examples/c/${name}.c" 67108864)
  endforeach()
  foreach(name infinite_loop out_of_bounds memory_bomb oversized_output invalid_json wrong_abi missing_exports
               alloc_trap random_span)
    trimtab_wasm_c(${name} "${plugins_dir}/hostile/${name}.c" 67108864)
  endforeach()
  # Test plugins: instance reuse (a call counter in a global), traps and leaks on request.
  trimtab_wasm_c(call_counter "${plugins_dir}/test/call_counter.c" 67108864)
  # The same with a 4 MiB maximum: many times its memory can pass through one instance.
  trimtab_wasm_c(call_counter_4m "${plugins_dir}/test/call_counter.c" 4194304)
  # Declares a 4 GiB maximum: rejected at load by the 64 MiB default cap.
  trimtab_wasm_c(memory_bomb_4g "${plugins_dir}/hostile/memory_bomb.c" 4294967296)
endif()
if(TRIMTAB_PLUGIN_RUST_TOOLCHAIN)
  set(out "${TRIMTAB_PLUGIN_WASM_DIR}/jvm_floor.wasm")
  add_custom_command(OUTPUT "${out}"
    COMMAND "${TRIMTAB_WASM_RUSTC}" --target wasm32-unknown-unknown --crate-type cdylib -O -C panic=abort
            -C link-arg=--max-memory=67108864 -C link-arg=--strip-all -o "${out}"
            "${plugins_dir}/examples/rust/jvm_floor.rs"
    DEPENDS "${plugins_dir}/examples/rust/jvm_floor.rs"
    COMMENT "wasm plugin jvm_floor.wasm (rustc wasm32-unknown-unknown)" VERBATIM)
  list(APPEND plugin_outputs "${out}")
endif()
add_custom_target(trimtab_plugin_wasm DEPENDS ${plugin_outputs})
