#include "model/runtime_class.h"

#include <gtest/gtest.h>

namespace trimtab::model {
namespace {

TEST(IsWasmRuntime, KnownRuntimesAndShims) {
  for (std::string_view rc :
       {"wasmtime-spin-v2", "spin", "wasmedge", "wasmer", "slight", "lunatic", "wws", "wasmtime",
        "io.containerd.spin.v2", "containerd-shim-wasmedge-v1", "io.containerd.wasmtime.v1", "SPIN",
        "Wasmtime_Spin", "spinkube-wasmtime", "spinv2", "spin2", "kwasm-slight"}) {
    EXPECT_TRUE(isWasmRuntime(rc, std::string_view())) << rc;
  }
}

TEST(IsWasmRuntime, OrdinaryRuntimesAndLookalikes) {
  for (std::string_view rc :
       {"", "runc", "crun", "gvisor", "kata-qemu", "nvidia", "runsc", "spinnaker", "unslighted",
        "wasm", "crun-wasm", "wasmtimes", "wwsx"}) {
    EXPECT_FALSE(isWasmRuntime(rc, std::string_view())) << rc;
  }
}

TEST(IsWasmRuntime, CrunNeedsTheWasmVariantAnnotation) {
  EXPECT_TRUE(isWasmRuntime("crun", "compat"));
  EXPECT_TRUE(isWasmRuntime("crun", "compat-smart"));
  EXPECT_TRUE(isWasmRuntime("crun-wasm", "compat"));
  EXPECT_FALSE(isWasmRuntime("crun", "oci"));
  EXPECT_FALSE(isWasmRuntime("crun", ""));
  EXPECT_FALSE(isWasmRuntime("runc", "compat"));  // the annotation means nothing to runc
  EXPECT_FALSE(isWasmRuntime("", "compat"));
}

TEST(IsWasmRuntime, ReadsTheAnnotationRawOrSanitised) {
  StringMap raw = {{"a", "b"}, {"module.wasm.image/variant", "compat"}};
  StringMap sanitised = {{"module_wasm_image_variant", "compat-smart"}};
  StringMap other = {{"module.wasm.image/variant", "nope"}};
  EXPECT_TRUE(isWasmRuntime("crun", raw));
  EXPECT_TRUE(isWasmRuntime("crun", sanitised));
  EXPECT_FALSE(isWasmRuntime("crun", other));
  EXPECT_FALSE(isWasmRuntime("crun", StringMap{}));
  EXPECT_TRUE(isWasmRuntime("spin", StringMap{}));
}

TEST(IsWasmPod, UsesSpecAndAnnotations) {
  Pod p;
  EXPECT_FALSE(isWasmPod(p));
  p.runtime_class_name = "wasmtime-spin-v2";
  EXPECT_TRUE(isWasmPod(p));
  p.runtime_class_name = "crun";
  EXPECT_FALSE(isWasmPod(p));
  p.meta.annotations = {{"module.wasm.image/variant", "compat"}};
  EXPECT_TRUE(isWasmPod(p));
}

}  // namespace
}  // namespace trimtab::model
