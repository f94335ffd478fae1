// GitOps delivery of recommendations: per workload a kustomize strategic-merge patch
// (<ns>.<kind>.<name>.patch.yaml) and an RFC 6902 JSON patch (<ns>.<kind>.<name>.json6902.yaml),
// a kustomization.yaml listing both (applying the same values twice is idempotent), and
// optionally VerticalPodAutoscaler objects (vpa.yaml, updateMode Off or Initial). Workloads
// scaled by an HPA on utilisation (Recommendation::hpa, from applyHpas) also get a JSON 6902
// patch of the HPA (<ns>.hpa.<name>.json6902.yaml) moving its targets so the scale point stays.
//
// Patched: requests.cpu, requests.memory and limits.memory of each recommended container (CPU
// limits are left as they are). Deployments, StatefulSets, DaemonSets and CronJobs are
// patched; Jobs (immutable pod template), bare pods and ReplicaSets are reported as skipped.
//
// JSON 6902 paths address containers by index. With `manifests` (the cluster's workloads,
// e.g. the objects of a snapshot) the index and which resource maps exist come from the
// manifest; without, a single container is assumed at index 0 with existing requests and limits
// maps, and a `test` op on its name makes kustomize fail loudly instead of patching the wrong
// container; multi-container workloads then get only the strategic-merge patch.
#pragma once

#include <string>
#include <vector>

#include "model/error.h"
#include "model/objects.h"
#include "recommend/recommend.h"

namespace trimtab::recommend {

struct PatchOptions {
  std::string out_dir;                          // created if missing
  std::vector<std::string> resources;           // written into kustomization.yaml `resources:`
  const model::ObjectSet* manifests = nullptr;  // optional, not owned
  bool vpa_objects = false;
  std::string vpa_update_mode = "Off";  // "Off" or "Initial"
};

struct PatchSummary {
  std::size_t workloads_patched = 0;
  std::vector<std::string> files;    // written, relative to out_dir
  std::vector<std::string> skipped;  // "<ns>/<kind>/<name>: <why>"
};

// Only recommendations with sufficient data are written. Errors: out_dir not writable, bad
// vpa_update_mode (kInvalidArgument).
Result<PatchSummary> writePatches(const std::vector<Recommendation>& recs,
                                  const PatchOptions& options);

}  // namespace trimtab::recommend
