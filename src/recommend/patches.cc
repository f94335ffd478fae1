#include "recommend/patches.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <cmath>
#include <map>

namespace trimtab::recommend {

namespace {

struct KindInfo {
  const char* api_version;
  const char* group;
  const char* version;
  const char* kind;
  model::WorkloadKind workload_kind;
  bool cronjob;
};

const KindInfo* kindInfo(std::string_view controller_kind) {
  static const KindInfo kDeployment{
      "apps/v1", "apps", "v1", "Deployment", model::WorkloadKind::kDeployment, false};
  static const KindInfo kStatefulSet{
      "apps/v1", "apps", "v1", "StatefulSet", model::WorkloadKind::kStatefulSet, false};
  static const KindInfo kDaemonSet{
      "apps/v1", "apps", "v1", "DaemonSet", model::WorkloadKind::kDaemonSet, false};
  static const KindInfo kCronJob{
      "batch/v1", "batch", "v1", "CronJob", model::WorkloadKind::kCronJob, true};
  if (controller_kind == "deployment") return &kDeployment;
  if (controller_kind == "statefulset") return &kStatefulSet;
  if (controller_kind == "daemonset") return &kDaemonSet;
  if (controller_kind == "cronjob") return &kCronJob;
  return nullptr;
}

// YAML double-quoted scalar (a JSON string is one).
std::string q(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string fileSafe(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    out += ok ? c : '_';
  }
  return out;
}

const model::Workload* findWorkload(const model::ObjectSet* objects, const KindInfo& k,
                                    const WorkloadKey& key) {
  if (objects == nullptr) return nullptr;
  for (const model::Workload& w : objects->workloads) {
    if (w.kind == k.workload_kind && w.meta.name == key.controller &&
        w.meta.namespace_name == key.namespace_name) {
      return &w;
    }
  }
  return nullptr;
}

Status writeFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) return fail(ErrorCode::kIo, fmt::format("{}: cannot write", path.string()));
  return {};
}

}  // namespace

Result<PatchSummary> writePatches(const std::vector<Recommendation>& recs,
                                  const PatchOptions& options) {
  if (options.vpa_update_mode != "Off" && options.vpa_update_mode != "Initial") {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("VPA updateMode \"{}\": expected Off or Initial", options.vpa_update_mode));
  }
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) return fail(ErrorCode::kIo, fmt::format("{}: {}", options.out_dir, ec.message()));

  // Group containers by workload (cluster, namespace, kind, name).
  std::map<std::vector<std::string>, std::vector<const Recommendation*>> workloads;
  for (const Recommendation& r : recs) {
    if (!r.sufficient) continue;
    workloads[{r.key.cluster, r.key.namespace_name, r.key.controller_kind, r.key.controller}]
        .push_back(&r);
  }
  PatchSummary summary;
  // JSON 6902 patches first: their container indexes refer to the manifests' order.
  std::string patches_yaml, smp_yaml, vpa_yaml;
  for (const auto& [id, containers] : workloads) {
    const WorkloadKey& key = containers.front()->key;
    const std::string label =
        fmt::format("{}/{}/{}", key.namespace_name, key.controller_kind, key.controller);
    const KindInfo* k = kindInfo(key.controller_kind);
    if (k == nullptr) {
      summary.skipped.push_back(label + ": kind has no patchable pod template");
      continue;
    }
    const model::Workload* manifest = findWorkload(options.manifests, *k, key);
    if (options.manifests != nullptr && manifest == nullptr) {
      summary.skipped.push_back(label + ": not in the manifests");
      continue;
    }
    const std::string base = fmt::format("{}.{}.{}", fileSafe(key.namespace_name),
                                         fileSafe(key.controller_kind), fileSafe(key.controller));
    const std::string containers_path = k->cronjob
                                            ? "/spec/jobTemplate/spec/template/spec/containers"
                                            : "/spec/template/spec/containers";
    // Strategic merge patch.
    std::string smp =
        fmt::format("apiVersion: {}\nkind: {}\nmetadata:\n  name: {}\n  namespace: {}\n",
                    k->api_version, k->kind, q(key.controller), q(key.namespace_name));
    const std::string indent = k->cronjob ? "        " : "    ";
    smp += k->cronjob ? "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
                      : "spec:\n  template:\n    spec:\n";
    smp += indent + "  containers:\n";
    std::string ops;
    bool skipped_any = false;
    // Containers in manifest order: kustomize's strategic merge lays the merged list out in the
    // patch's order, and the JSON 6902 indexes refer to the manifest's.
    std::vector<const Recommendation*> ordered = containers;
    if (manifest != nullptr) {
      auto position = [&](const Recommendation* r) {
        std::size_t i = 0;
        for (; i < manifest->containers.size(); ++i) {
          if (manifest->containers[i].name == r->key.container) break;
        }
        return i;
      };
      std::stable_sort(ordered.begin(), ordered.end(),
                       [&](const Recommendation* x, const Recommendation* y) {
                         return position(x) < position(y);
                       });
    }
    for (const Recommendation* r : ordered) {
      const std::string cpu = cpuQuantity(r->recommended.cpu_request_cores);
      const std::string mem = memoryQuantity(r->recommended.memory_request_bytes);
      const std::string mem_limit = memoryQuantity(r->recommended.memory_limit_bytes);
      smp += fmt::format(
          "{0}    - name: {1}\n{0}      resources:\n{0}        requests:\n"
          "{0}          cpu: {2}\n{0}          memory: {3}\n{0}        limits:\n"
          "{0}          memory: {4}\n",
          indent, q(r->key.container), q(cpu), q(mem), q(mem_limit));
      int index = 0;
      bool has_requests = true, has_limits = true;
      if (manifest != nullptr) {
        index = -1;
        int regular = 0;
        for (const model::Container& c : manifest->containers) {
          if (c.kind != model::ContainerKind::kRegular) continue;
          if (c.name == r->key.container) {
            index = regular;
            has_requests = c.requests.cpu_millicores != 0 || c.requests.memory_bytes != 0;
            has_limits = c.limits.cpu_millicores != 0 || c.limits.memory_bytes != 0;
            break;
          }
          ++regular;
        }
        if (index < 0) {
          summary.skipped.push_back(
              fmt::format("{}: container \"{}\" not in the manifest", label, r->key.container));
          skipped_any = true;
          continue;
        }
      }
      const std::string c = fmt::format("{}/{}", containers_path, index);
      ops += fmt::format("- op: test\n  path: {}/name\n  value: {}\n", c, q(r->key.container));
      if (!has_requests && !has_limits) {
        ops += fmt::format(
            "- op: add\n  path: {}/resources\n  value:\n    requests:\n      cpu: {}\n"
            "      memory: {}\n    limits:\n      memory: {}\n",
            c, q(cpu), q(mem), q(mem_limit));
        continue;
      }
      if (has_requests) {
        ops += fmt::format(
            "- op: add\n  path: {0}/resources/requests/cpu\n  value: {1}\n"
            "- op: add\n  path: {0}/resources/requests/memory\n  value: {2}\n",
            c, q(cpu), q(mem));
      } else {
        ops += fmt::format(
            "- op: add\n  path: {}/resources/requests\n  value:\n    cpu: {}\n"
            "    memory: {}\n",
            c, q(cpu), q(mem));
      }
      if (has_limits) {
        ops += fmt::format("- op: add\n  path: {}/resources/limits/memory\n  value: {}\n", c,
                           q(mem_limit));
      } else {
        ops += fmt::format("- op: add\n  path: {}/resources/limits\n  value:\n    memory: {}\n", c,
                           q(mem_limit));
      }
    }
    if (skipped_any || ops.empty()) continue;
    const std::string smp_file = base + ".patch.yaml", json_file = base + ".json6902.yaml";
    if (auto s = writeFile(std::filesystem::path(options.out_dir) / smp_file, smp); !s) {
      return tl::unexpected(s.error());
    }
    // Without manifests the container indexes of a multi-container pod are unknown: only the
    // strategic-merge patch (which matches containers by name) is written.
    const bool write_json = manifest != nullptr || ordered.size() == 1;
    if (write_json) {
      if (auto s = writeFile(std::filesystem::path(options.out_dir) / json_file, ops); !s) {
        return tl::unexpected(s.error());
      }
    } else {
      summary.skipped.push_back(label + ": JSON 6902 patch needs --manifests (several containers)");
    }
    summary.files.push_back(smp_file);
    if (write_json) summary.files.push_back(json_file);
    ++summary.workloads_patched;
    smp_yaml += fmt::format("  - path: {}\n", smp_file);
    if (write_json) {
      patches_yaml += fmt::format(
          "  - path: {}\n    target:\n      group: {}\n      version: {}\n      kind: {}\n"
          "      namespace: {}\n      name: {}\n",
          json_file, k->group, k->version, k->kind, q(key.namespace_name), q(key.controller));
    }
    if (options.vpa_objects) {
      vpa_yaml += fmt::format(
          "---\napiVersion: autoscaling.k8s.io/v1\nkind: VerticalPodAutoscaler\nmetadata:\n"
          "  name: {}\n  namespace: {}\nspec:\n  targetRef:\n    apiVersion: {}\n    kind: {}\n"
          "    name: {}\n  updatePolicy:\n    updateMode: {}\n  resourcePolicy:\n"
          "    containerPolicies:\n",
          q(key.controller + "-trimtab"), q(key.namespace_name), k->api_version, k->kind,
          q(key.controller), q(options.vpa_update_mode));
      for (const Recommendation* r : containers) {
        vpa_yaml += fmt::format(
            "      - containerName: {}\n        controlledResources: [\"cpu\", \"memory\"]\n"
            "        minAllowed:\n          cpu: {}\n          memory: {}\n",
            q(r->key.container), q(cpuQuantity(r->recommended.cpu_request_cores)),
            q(memoryQuantity(r->recommended.memory_request_bytes)));
      }
    }
  }
  // HPA targets that keep each workload's scale point (Recommendation::hpa): one JSON 6902
  // patch per HPA, replacing each moved utilisation target (integer percent).
  std::map<std::pair<std::string, std::string>, std::vector<const HpaAdjustment*>> hpas;
  for (const auto& [id, containers] : workloads) {
    for (const HpaAdjustment& a : containers.front()->hpa) {
      hpas[{containers.front()->key.namespace_name, a.hpa_name}].push_back(&a);
    }
  }
  for (const auto& [id, adjustments] : hpas) {
    const auto& [ns, name] = id;
    std::string ops;
    bool v1 = false;
    for (const HpaAdjustment* a : adjustments) {
      if (a->json_pointer.empty()) continue;
      v1 |= a->json_pointer == "/spec/targetCPUUtilizationPercentage";
      ops += fmt::format("- op: replace\n  path: {}\n  value: {}\n", a->json_pointer,
                         static_cast<long long>(std::lround(a->new_target_percent)));
    }
    if (ops.empty()) continue;
    const std::string file = fmt::format("{}.hpa.{}.json6902.yaml", fileSafe(ns), fileSafe(name));
    if (auto st = writeFile(std::filesystem::path(options.out_dir) / file, ops); !st) {
      return tl::unexpected(st.error());
    }
    summary.files.push_back(file);
    patches_yaml += fmt::format(
        "  - path: {}\n    target:\n      group: autoscaling\n      version: {}\n"
        "      kind: HorizontalPodAutoscaler\n      namespace: {}\n      name: {}\n",
        file, v1 ? "v1" : "v2", q(ns), q(name));
  }
  std::string kustomization =
      "# Generated by `trimtab recommend --format patches`. Each workload has a strategic-merge\n"
      "# patch and an equivalent JSON 6902 patch; applying both is idempotent.\n"
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n";
  std::vector<std::string> resources = options.resources;
  if (options.vpa_objects && !vpa_yaml.empty()) {
    if (auto s = writeFile(std::filesystem::path(options.out_dir) / "vpa.yaml", vpa_yaml); !s) {
      return tl::unexpected(s.error());
    }
    summary.files.push_back("vpa.yaml");
    resources.push_back("vpa.yaml");
  }
  kustomization += resources.empty() ? "resources: []\n" : "resources:\n";
  for (const std::string& r : resources) kustomization += fmt::format("  - {}\n", q(r));
  patches_yaml += smp_yaml;
  kustomization += patches_yaml.empty() ? "patches: []\n" : "patches:\n" + patches_yaml;
  if (auto s =
          writeFile(std::filesystem::path(options.out_dir) / "kustomization.yaml", kustomization);
      !s) {
    return tl::unexpected(s.error());
  }
  summary.files.push_back("kustomization.yaml");
  return summary;
}

}  // namespace trimtab::recommend
