# Shared build settings and helpers for Trimtab targets.

add_library(trimtab_options INTERFACE)
target_compile_options(trimtab_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow)
if(TRIMTAB_WERROR)
  target_compile_options(trimtab_options INTERFACE -Werror)
  # g++ 12 at -O3 reports false -Wrestrict positives inside libstdc++'s std::string
  # (GCC bug 105329); keep the warning visible but not fatal.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(trimtab_options INTERFACE -Wno-error=restrict)
  endif()
endif()
if(TRIMTAB_SANITIZE)
  target_compile_options(trimtab_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                    -fno-sanitize-recover=undefined)
  target_link_options(trimtab_options INTERFACE -fsanitize=address,undefined)
endif()
if(TRIMTAB_FUZZ)
  target_compile_options(trimtab_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined -g)
  target_link_options(trimtab_options INTERFACE -fsanitize=address,undefined)
endif()

# trimtab_library(NAME SOURCES ... DEPS ...)
# One static library per subsystem; headers sit beside sources and are included as
# "model/quantity.h" (paths relative to src/).
function(trimtab_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC "${PROJECT_SOURCE_DIR}/src")
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE trimtab_options)
endfunction()

# trimtab_test(NAME SOURCES ... DEPS ...) — a GoogleTest binary registered with ctest.
function(trimtab_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main trimtab_options)
  # Shared test helpers: #include "support/<name>.h" (tests/support).
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}/tests")
  target_compile_definitions(${name} PRIVATE
    TRIMTAB_SHARED_DIR="${TRIMTAB_SHARED_DIR}"
    TRIMTAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    TRIMTAB_BINARY="$<TARGET_FILE:trimtab>")
  add_dependencies(${name} trimtab)
  include(GoogleTest)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
endfunction()

# trimtab_fuzzer(NAME SOURCES ... DEPS ...) — a libFuzzer target, built only with TRIMTAB_FUZZ.
function(trimtab_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT TRIMTAB_FUZZ)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} trimtab_options)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/fuzz")
endfunction()
