// Recognition of WebAssembly workloads by their pod's RuntimeClass.
//
// A pod runs WebAssembly when its RuntimeClass (name or handler) names a WASM runtime or
// containerd shim: wasmtime, wasmedge, wasmer, spin, slight, lunatic or wws (runwasi and
// SpinKube/KWasm class names such as "wasmtime-spin-v2", "spin", "wasmedge",
// "io.containerd.spin.v2"), or when it runs under crun with the pod annotation
// `module.wasm.image/variant: compat` or `compat-smart` (crun's built-in wasm handler; crun
// without it runs ordinary Linux containers).
//
// Matching is case-insensitive and by word: the class is split into runs of letters and digits,
// and a word matches a runtime name when it equals it, optionally followed by a version
// ("spin2", "spinv2"). So "spinkube-wasmtime" matches, "spinnaker" and "unslighted" do not.
// A bare "wasm" word is not enough on its own: it says nothing about the handler.
//
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "model/objects.h"

namespace trimtab::model {

// Pod annotation selecting crun's wasm handler (and its Prometheus-sanitised form, as
// kube-state-metrics exports annotation names).
inline constexpr std::string_view kWasmVariantAnnotation = "module.wasm.image/variant";
inline constexpr std::string_view kWasmVariantAnnotationSanitized = "module_wasm_image_variant";

// True when `runtime_class` names a WASM runtime, or is crun (word "crun") with
// `wasm_variant` (the value of kWasmVariantAnnotation) "compat" or "compat-smart".
bool isWasmRuntime(std::string_view runtime_class, std::string_view wasm_variant);

// As above, reading the variant from pod annotations (raw or sanitised key).
bool isWasmRuntime(std::string_view runtime_class, const StringMap& annotations);

// As above for a decoded Pod (spec.runtimeClassName and metadata.annotations).
bool isWasmPod(const Pod& pod);

}  // namespace trimtab::model
