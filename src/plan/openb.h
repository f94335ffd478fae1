// Readers for the Alibaba GPU cluster trace v2023 ("openb") CSV files used by the FGD paper.
//   nodes: sn,cpu_milli,memory_mib,gpu,model
//   pods:  name,cpu_milli,memory_mib,num_gpu,gpu_milli[,gpu_spec,qos,pod_phase,creation_time,
//          deletion_time,scheduled_time]   (extra columns are ignored; columns found by header)
// Errors name the source, the 1-based line and the field: `pods.csv:17: field "num_gpu": "x":
// not a non-negative integer`. A pod's gpu_spec ("T4|P100") must only name models that some
// node carries; otherwise the pod list is rejected (unknown GPU model).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/error.h"
#include "plan/cluster.h"

namespace trimtab::plan {

// source names the input in error messages (usually the file path).
Result<Cluster> parseOpenbNodes(std::string_view text, std::string_view source);
Result<Cluster> readOpenbNodes(const std::string& path);

// REQUIRES: models is the cluster's registry (gpu_spec names are resolved against it).
Result<std::vector<PodSpec>> parseOpenbPods(std::string_view text, std::string_view source,
                                            const GpuModels& models);
Result<std::vector<PodSpec>> readOpenbPods(const std::string& path, const GpuModels& models);
// As readOpenbPods, but GPU models not yet in models are added to it (for sizing, where pods
// are not matched against a node list).
Result<std::vector<PodSpec>> readOpenbPodsAddingModels(const std::string& path, GpuModels& models);

// Reads a whole file; kIo error naming the path on failure.
Result<std::string> readTextFile(const std::string& path);

}  // namespace trimtab::plan
