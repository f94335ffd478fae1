// writeSnapshot: the demo cluster as kubectl JSON Lists and OpenMetrics files.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "model/quantity.h"
#include "model/time_format.h"
#include "source/sim/demo.h"
#include "source/snapshot/openmetrics.h"

namespace trimtab::source {

namespace {

using model::ResourceVector;
using model::StringMap;

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

Result<FilePtr> openForWrite(const std::string& path) {
  FilePtr f(std::fopen(path.c_str(), "wb"));
  if (!f) {
    return fail(ErrorCode::kIo, fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
  }
  return f;
}

Status closeFile(FilePtr f, const std::string& path) {
  std::FILE* raw = f.release();
  bool bad = std::ferror(raw) != 0;
  if (std::fclose(raw) != 0) bad = true;
  if (bad) return fail(ErrorCode::kIo, fmt::format("{}: write failed", path));
  return {};
}

// ---- JSON, pretty-printed like kubectl (4-space indent, keys sorted) ----------------------------

class Json {
 public:
  explicit Json(std::FILE* f) : f_(f) { buf_.reserve(1 << 17); }
  ~Json() { flush(); }

  void beginObject() { open('{'); }
  void endObject() { close('}'); }
  void beginArray() { open('['); }
  void endArray() { close(']'); }
  void key(std::string_view k) {
    element();
    quoted(k);
    buf_ += ": ";
    after_key_ = true;
  }
  void str(std::string_view v) {
    element();
    quoted(v);
  }
  void num(std::int64_t v) {
    element();
    buf_ += std::to_string(v);
  }
  void boolean(bool v) {
    element();
    buf_ += v ? "true" : "false";
  }
  void kv(std::string_view k, std::string_view v) {
    key(k);
    str(v);
  }
  void kvNum(std::string_view k, std::int64_t v) {
    key(k);
    num(v);
  }
  void kvBool(std::string_view k, bool v) {
    key(k);
    boolean(v);
  }
  void map(std::string_view k, const StringMap& m) {
    key(k);
    beginObject();
    for (const auto& [a, b] : m) kv(a, b);
    endObject();
  }
  void end() {
    buf_ += '\n';
    flush();
  }
  void flush() {
    if (!buf_.empty()) std::fwrite(buf_.data(), 1, buf_.size(), f_);
    buf_.clear();
  }

 private:
  void element() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!counts_.empty()) {
      if (counts_.back()++ > 0) buf_ += ',';
      newline();
    }
  }
  void open(char c) {
    element();
    buf_ += c;
    counts_.push_back(0);
  }
  void close(char c) {
    bool any = counts_.back() > 0;
    counts_.pop_back();
    if (any) newline();
    buf_ += c;
    if (buf_.size() > (1 << 16)) flush();
  }
  void newline() {
    buf_ += '\n';
    buf_.append(counts_.size() * 4, ' ');
  }
  void quoted(std::string_view s) {
    buf_ += '"';
    for (char c : s) {
      switch (c) {
        case '"': buf_ += "\\\""; break;
        case '\\': buf_ += "\\\\"; break;
        case '\n': buf_ += "\\n"; break;
        case '\t': buf_ += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            buf_ += fmt::format("\\u{:04x}", static_cast<int>(c));
          } else {
            buf_ += c;
          }
      }
    }
    buf_ += '"';
  }

  std::FILE* f_;
  std::string buf_;
  std::vector<int> counts_;
  bool after_key_ = false;
};

std::vector<std::pair<std::string, std::string>> quantities(const ResourceVector& r, bool node) {
  std::vector<std::pair<std::string, std::string>> q;
  if (r.cpu_millicores != 0 || node) q.emplace_back("cpu", model::formatCpuMillicores(r.cpu_millicores));
  if (r.memory_bytes != 0 || node) {
    // kubelet reports node memory in Ki.
    q.emplace_back("memory", node && r.memory_bytes % 1024 == 0
                                 ? std::to_string(r.memory_bytes / 1024) + "Ki"
                                 : model::formatBytes(r.memory_bytes));
  }
  if (r.ephemeral_storage_bytes != 0) {
    q.emplace_back("ephemeral-storage", node ? std::to_string(r.ephemeral_storage_bytes / 1024) + "Ki"
                                             : model::formatBytes(r.ephemeral_storage_bytes));
  }
  if (r.pods != 0) q.emplace_back("pods", std::to_string(r.pods));
  if (r.gpus != 0) q.emplace_back(std::string(model::kResourceNvidiaGpu), std::to_string(r.gpus));
  if (r.shared_gpus != 0) {
    q.emplace_back(std::string(model::kResourceNvidiaGpuShared), std::to_string(r.shared_gpus));
  }
  for (const auto& [name, n] : r.extended) q.emplace_back(name, std::to_string(n));
  std::sort(q.begin(), q.end());
  return q;
}

void writeQuantities(Json& j, std::string_view key, const ResourceVector& r, bool node) {
  j.key(key);
  j.beginObject();
  for (const auto& [k, v] : quantities(r, node)) j.kv(k, v);
  j.endObject();
}

void writeMeta(Json& j, const model::ObjectMeta& m) {
  j.key("metadata");
  j.beginObject();
  if (!m.annotations.empty()) j.map("annotations", m.annotations);
  j.kv("creationTimestamp", model::formatRfc3339(m.creation_timestamp));
  if (!m.labels.empty()) j.map("labels", m.labels);
  j.kv("name", m.name);
  if (!m.namespace_name.empty()) j.kv("namespace", m.namespace_name);
  if (!m.owner_references.empty()) {
    j.key("ownerReferences");
    j.beginArray();
    for (const auto& o : m.owner_references) {
      j.beginObject();
      j.kv("apiVersion", o.api_version);
      j.kvBool("blockOwnerDeletion", true);
      j.kvBool("controller", o.controller);
      j.kv("kind", o.kind);
      j.kv("name", o.name);
      j.kv("uid", o.uid);
      j.endObject();
    }
    j.endArray();
  }
  j.kv("resourceVersion", m.resource_version.empty() ? "1" : m.resource_version);
  j.kv("uid", m.uid);
  j.endObject();
}

template <typename T, typename F>
Status writeList(const std::string& path, const std::vector<const T*>& items, F&& item) {
  auto f = openForWrite(path);
  if (!f) return fail(f.error());
  {
    Json j(f->get());
    j.beginObject();
    j.kv("apiVersion", "v1");
    j.key("items");
    j.beginArray();
    for (const T* x : items) {
      j.beginObject();
      item(j, *x);
      j.endObject();
    }
    j.endArray();
    j.kv("kind", "List");
    j.key("metadata");
    j.beginObject();
    j.kv("resourceVersion", "");
    j.endObject();
    j.endObject();
    j.end();
  }
  return closeFile(std::move(*f), path);
}

template <typename T>
std::vector<const T*> all(const std::vector<T>& v) {
  std::vector<const T*> out;
  for (const T& x : v) out.push_back(&x);
  return out;
}

void writeContainers(Json& j, const std::vector<model::Container>& cs) {
  j.key("containers");
  j.beginArray();
  for (const auto& c : cs) {
    j.beginObject();
    j.kv("image", c.image);
    j.kv("imagePullPolicy", "IfNotPresent");
    j.kv("name", c.name);
    j.key("resources");
    j.beginObject();
    if (c.limits != ResourceVector{}) writeQuantities(j, "limits", c.limits, false);
    if (c.requests != ResourceVector{}) writeQuantities(j, "requests", c.requests, false);
    j.endObject();
    j.kv("terminationMessagePath", "/dev/termination-log");
    j.kv("terminationMessagePolicy", "File");
    j.endObject();
  }
  j.endArray();
}

void writePodTemplate(Json& j, const model::Workload& w, std::string_view restart_policy) {
  j.key("template");
  j.beginObject();
  j.key("metadata");
  j.beginObject();
  j.key("creationTimestamp");
  j.beginObject();  // kubectl prints null here; an empty object keeps decoders simple
  j.endObject();
  j.map("labels", w.template_labels);
  j.endObject();
  j.key("spec");
  j.beginObject();
  writeContainers(j, w.containers);
  j.kv("dnsPolicy", "ClusterFirst");
  j.kv("restartPolicy", restart_policy);
  j.kv("schedulerName", "default-scheduler");
  j.kvNum("terminationGracePeriodSeconds", 30);
  j.endObject();
  j.endObject();
}

void writeSelector(Json& j, const StringMap& m) {
  j.key("selector");
  j.beginObject();
  j.map("matchLabels", m);
  j.endObject();
}

Status writeObjects(const DemoCluster& c, const std::string& dir) {
  const auto& o = c.objects;
  const std::string end_ts = model::formatRfc3339(c.end);
  if (auto st = writeList<model::Namespace>(dir + "/namespaces.json", all(o.namespaces),
                                            [&](Json& j, const model::Namespace& n) {
                                              j.kv("apiVersion", "v1");
                                              j.kv("kind", "Namespace");
                                              writeMeta(j, n.meta);
                                              j.key("spec");
                                              j.beginObject();
                                              j.key("finalizers");
                                              j.beginArray();
                                              j.str("kubernetes");
                                              j.endArray();
                                              j.endObject();
                                              j.key("status");
                                              j.beginObject();
                                              j.kv("phase", "Active");
                                              j.endObject();
                                            });
      !st) {
    return st;
  }
  if (auto st = writeList<model::Node>(
          dir + "/nodes.json", all(o.nodes),
          [&](Json& j, const model::Node& n) {
            j.kv("apiVersion", "v1");
            j.kv("kind", "Node");
            writeMeta(j, n.meta);
            j.key("spec");
            j.beginObject();
            j.kv("providerID", n.provider_id);
            if (!n.taints.empty()) {
              j.key("taints");
              j.beginArray();
              for (const auto& t : n.taints) {
                j.beginObject();
                j.kv("effect", t.effect);
                j.kv("key", t.key);
                if (!t.value.empty()) j.kv("value", t.value);
                j.endObject();
              }
              j.endArray();
            }
            j.endObject();
            j.key("status");
            j.beginObject();
            writeQuantities(j, "allocatable", n.allocatable, true);
            writeQuantities(j, "capacity", n.capacity, true);
            j.key("conditions");
            j.beginArray();
            j.beginObject();
            j.kv("lastHeartbeatTime", end_ts);
            j.kv("lastTransitionTime", model::formatRfc3339(n.meta.creation_timestamp + 60));
            j.kv("message", "kubelet is posting ready status");
            j.kv("reason", "KubeletReady");
            j.kv("status", "True");
            j.kv("type", "Ready");
            j.endObject();
            j.endArray();
            j.key("nodeInfo");
            j.beginObject();
            j.kv("architecture", "amd64");
            j.kv("containerRuntimeVersion", "containerd://1.7.11");
            j.kv("kernelVersion", "5.10.210-201.852.amzn2.x86_64");
            j.kv("kubeProxyVersion", "v1.29.0-eks-5e0fdde");
            j.kv("kubeletVersion", "v1.29.0-eks-5e0fdde");
            j.kv("operatingSystem", "linux");
            j.kv("osImage", "Amazon Linux 2");
            j.endObject();
            j.endObject();
          });
      !st) {
    return st;
  }
  if (auto st = writeList<model::Pod>(
          dir + "/pods.json", all(o.pods),
          [&](Json& j, const model::Pod& p) {
            j.kv("apiVersion", "v1");
            j.kv("kind", "Pod");
            writeMeta(j, p.meta);
            j.key("spec");
            j.beginObject();
            writeContainers(j, p.containers);
            j.kv("dnsPolicy", "ClusterFirst");
            if (!p.node_name.empty()) j.kv("nodeName", p.node_name);
            j.kv("restartPolicy", p.phase == "Succeeded" ? "Never" : "Always");
            if (!p.runtime_class_name.empty()) j.kv("runtimeClassName", p.runtime_class_name);
            j.kv("schedulerName", p.scheduler_name);
            if (!p.tolerations.empty()) {
              j.key("tolerations");
              j.beginArray();
              for (const auto& t : p.tolerations) {
                j.beginObject();
                if (!t.effect.empty()) j.kv("effect", t.effect);
                if (!t.key.empty()) j.kv("key", t.key);
                j.kv("operator", t.op);
                if (!t.value.empty()) j.kv("value", t.value);
                j.endObject();
              }
              j.endArray();
            }
            if (!p.volumes.empty()) {
              j.key("volumes");
              j.beginArray();
              for (const auto& v : p.volumes) {
                j.beginObject();
                j.kv("name", v.name);
                j.key("persistentVolumeClaim");
                j.beginObject();
                j.kv("claimName", v.pvc_claim_name);
                j.endObject();
                j.endObject();
              }
              j.endArray();
            }
            j.endObject();
            j.key("status");
            j.beginObject();
            if (!p.container_statuses.empty()) {
              j.key("containerStatuses");
              j.beginArray();
              for (std::size_t i = 0; i < p.container_statuses.size(); ++i) {
                const auto& s = p.container_statuses[i];
                j.beginObject();
                j.kv("image", i < p.containers.size() ? p.containers[i].image : "");
                j.key("lastState");
                j.beginObject();
                if (!s.last_terminated_reason.empty()) {
                  j.key("terminated");
                  j.beginObject();
                  j.kvNum("exitCode", 137);
                  j.kv("finishedAt", model::formatRfc3339(s.started_at.value_or(c.end) - 1));
                  j.kv("reason", s.last_terminated_reason);
                  j.endObject();
                }
                j.endObject();
                j.kv("name", s.name);
                j.kvBool("ready", s.ready);
                j.kvNum("restartCount", s.restart_count);
                j.kvBool("started", s.state == "running");
                j.key("state");
                j.beginObject();
                if (s.state == "running") {
                  j.key("running");
                  j.beginObject();
                  j.kv("startedAt", model::formatRfc3339(s.started_at.value_or(c.start)));
                  j.endObject();
                } else {
                  j.key("terminated");
                  j.beginObject();
                  j.kvNum("exitCode", 0);
                  j.kv("reason", "Completed");
                  j.endObject();
                }
                j.endObject();
                j.endObject();
              }
              j.endArray();
            }
            j.kv("phase", p.phase);
            j.kv("qosClass", p.qos_class);
            if (p.start_time) j.kv("startTime", model::formatRfc3339(*p.start_time));
            j.endObject();
          });
      !st) {
    return st;
  }
  if (auto st = writeList<model::PersistentVolume>(
          dir + "/persistentvolumes.json", all(o.persistent_volumes),
          [&](Json& j, const model::PersistentVolume& v) {
            j.kv("apiVersion", "v1");
            j.kv("kind", "PersistentVolume");
            writeMeta(j, v.meta);
            j.key("spec");
            j.beginObject();
            j.key("accessModes");
            j.beginArray();
            j.str("ReadWriteOnce");
            j.endArray();
            j.key("capacity");
            j.beginObject();
            j.kv("storage", model::formatBytes(v.capacity_bytes));
            j.endObject();
            if (!v.claim_name.empty()) {
              j.key("claimRef");
              j.beginObject();
              j.kv("apiVersion", "v1");
              j.kv("kind", "PersistentVolumeClaim");
              j.kv("name", v.claim_name);
              j.kv("namespace", v.claim_namespace);
              j.endObject();
            }
            j.key("csi");
            j.beginObject();
            j.kv("driver", v.csi_driver);
            j.kv("fsType", "ext4");
            j.kv("volumeHandle", v.provider_volume_id);
            j.endObject();
            j.kv("persistentVolumeReclaimPolicy", v.claim_name.empty() ? "Retain" : "Delete");
            j.kv("storageClassName", v.storage_class);
            j.kv("volumeMode", "Filesystem");
            j.endObject();
            j.key("status");
            j.beginObject();
            j.kv("phase", v.phase);
            j.endObject();
          });
      !st) {
    return st;
  }
  if (auto st = writeList<model::PersistentVolumeClaim>(
          dir + "/persistentvolumeclaims.json", all(o.persistent_volume_claims),
          [&](Json& j, const model::PersistentVolumeClaim& v) {
            j.kv("apiVersion", "v1");
            j.kv("kind", "PersistentVolumeClaim");
            writeMeta(j, v.meta);
            j.key("spec");
            j.beginObject();
            j.key("accessModes");
            j.beginArray();
            j.str("ReadWriteOnce");
            j.endArray();
            j.key("resources");
            j.beginObject();
            j.key("requests");
            j.beginObject();
            j.kv("storage", model::formatBytes(v.request_bytes));
            j.endObject();
            j.endObject();
            j.kv("storageClassName", v.storage_class);
            j.kv("volumeMode", "Filesystem");
            j.kv("volumeName", v.volume_name);
            j.endObject();
            j.key("status");
            j.beginObject();
            j.key("capacity");
            j.beginObject();
            j.kv("storage", model::formatBytes(v.request_bytes));
            j.endObject();
            j.kv("phase", v.phase);
            j.endObject();
          });
      !st) {
    return st;
  }
  if (auto st = writeList<model::Service>(
          dir + "/services.json", all(o.services),
          [&](Json& j, const model::Service& s) {
            j.kv("apiVersion", "v1");
            j.kv("kind", "Service");
            writeMeta(j, s.meta);
            j.key("spec");
            j.beginObject();
            j.key("ports");
            j.beginArray();
            for (const auto& p : s.ports) {
              j.beginObject();
              j.kv("name", p.name);
              j.kvNum("port", p.port);
              j.kv("protocol", p.protocol);
              j.kvNum("targetPort", 8080);
              j.endObject();
            }
            j.endArray();
            j.map("selector", s.selector);
            j.kv("type", s.type);
            j.endObject();
            j.key("status");
            j.beginObject();
            j.key("loadBalancer");
            j.beginObject();
            if (!s.load_balancer_ingress.empty()) {
              j.key("ingress");
              j.beginArray();
              for (const auto& ip : s.load_balancer_ingress) {
                j.beginObject();
                j.kv("ip", ip);
                j.endObject();
              }
              j.endArray();
            }
            j.endObject();
            j.endObject();
          });
      !st) {
    return st;
  }
  struct KindFile {
    model::WorkloadKind kind;
    const char* file;
    const char* api;
  };
  const KindFile kinds[] = {{model::WorkloadKind::kDeployment, "deployments.json", "apps/v1"},
                            {model::WorkloadKind::kReplicaSet, "replicasets.json", "apps/v1"},
                            {model::WorkloadKind::kStatefulSet, "statefulsets.json", "apps/v1"},
                            {model::WorkloadKind::kDaemonSet, "daemonsets.json", "apps/v1"},
                            {model::WorkloadKind::kJob, "jobs.json", "batch/v1"},
                            {model::WorkloadKind::kCronJob, "cronjobs.json", "batch/v1"}};
  for (const KindFile& kf : kinds) {
    std::vector<const model::Workload*> items;
    for (const auto& w : o.workloads) {
      if (w.kind == kf.kind) items.push_back(&w);
    }
    auto st = writeList<model::Workload>(
        dir + "/" + kf.file, items, [&](Json& j, const model::Workload& w) {
          j.kv("apiVersion", kf.api);
          j.kv("kind", model::workloadKindName(w.kind));
          writeMeta(j, w.meta);
          j.key("spec");
          j.beginObject();
          switch (w.kind) {
            case model::WorkloadKind::kCronJob:
              j.kv("concurrencyPolicy", "Forbid");
              j.key("jobTemplate");
              j.beginObject();
              j.key("spec");
              j.beginObject();
              writePodTemplate(j, w, "Never");
              j.endObject();
              j.endObject();
              j.kv("schedule", "0 */3 * * *");
              j.kvNum("successfulJobsHistoryLimit", 3);
              break;
            case model::WorkloadKind::kJob:
              j.kvNum("backoffLimit", 6);
              j.kvNum("completions", w.replicas.value_or(1));
              j.kvNum("parallelism", w.replicas.value_or(1));
              writeSelector(j, w.selector_match_labels);
              writePodTemplate(j, w, "Never");
              break;
            case model::WorkloadKind::kDaemonSet:
              writeSelector(j, w.selector_match_labels);
              writePodTemplate(j, w, "Always");
              break;
            default:
              j.kvNum("replicas", w.replicas.value_or(1));
              writeSelector(j, w.selector_match_labels);
              if (w.kind == model::WorkloadKind::kStatefulSet) j.kv("serviceName", w.meta.name);
              writePodTemplate(j, w, "Always");
              break;
          }
          j.endObject();
          j.key("status");
          j.beginObject();
          if (w.replicas && w.kind != model::WorkloadKind::kJob) {
            j.kvNum("readyReplicas", *w.replicas);
            j.kvNum("replicas", *w.replicas);
          }
          j.endObject();
        });
    if (!st) return st;
  }
  std::vector<const model::HorizontalPodAutoscaler*> hpas;
  for (const auto& h : o.horizontal_pod_autoscalers) hpas.push_back(&h);
  return writeList<model::HorizontalPodAutoscaler>(
      dir + "/horizontalpodautoscalers.json", hpas,
      [&](Json& j, const model::HorizontalPodAutoscaler& h) {
        j.kv("apiVersion", "autoscaling/v2");
        j.kv("kind", "HorizontalPodAutoscaler");
        writeMeta(j, h.meta);
        j.key("spec");
        j.beginObject();
        j.kvNum("maxReplicas", h.max_replicas);
        j.key("metrics");
        j.beginArray();
        for (const model::HpaResourceMetric& m : h.metrics) {
          j.beginObject();
          j.key("resource");
          j.beginObject();
          j.kv("name", m.resource);
          j.key("target");
          j.beginObject();
          j.kvNum("averageUtilization", m.average_utilization.value_or(0));
          j.kv("type", m.target_type);
          j.endObject();
          j.endObject();
          j.kv("type", "Resource");
          j.endObject();
        }
        j.endArray();
        if (h.min_replicas) j.kvNum("minReplicas", *h.min_replicas);
        j.key("scaleTargetRef");
        j.beginObject();
        j.kv("apiVersion", "apps/v1");
        j.kv("kind", h.target_kind);
        j.kv("name", h.target_name);
        j.endObject();
        j.endObject();
      });
}

// ---- OpenMetrics ------------------------------------------------------------------------------

std::string sanitizeLabel(std::string_view name) {
  std::string out;
  for (char ch : name) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    out += ok ? ch : '_';
  }
  return out;
}

// KSM's resource label: "nvidia.com/gpu" -> "nvidia_com_gpu"; unit core/byte/integer.
std::vector<std::tuple<std::string, std::string, double>> ksmResources(const ResourceVector& r,
                                                                       bool node) {
  std::vector<std::tuple<std::string, std::string, double>> out;
  if (r.cpu_millicores != 0 || node) {
    out.emplace_back("cpu", "core", static_cast<double>(r.cpu_millicores) / 1000.0);
  }
  if (r.memory_bytes != 0 || node) {
    out.emplace_back("memory", "byte", static_cast<double>(r.memory_bytes));
  }
  if (r.ephemeral_storage_bytes != 0) {
    out.emplace_back("ephemeral_storage", "byte", static_cast<double>(r.ephemeral_storage_bytes));
  }
  if (r.pods != 0) out.emplace_back("pods", "integer", static_cast<double>(r.pods));
  if (r.gpus != 0) out.emplace_back("nvidia_com_gpu", "integer", static_cast<double>(r.gpus));
  if (r.shared_gpus != 0) {
    out.emplace_back("nvidia_com_gpu_shared", "integer", static_cast<double>(r.shared_gpus));
  }
  for (const auto& [name, n] : r.extended) {
    out.emplace_back(sanitizeLabel(name), "integer", static_cast<double>(n));
  }
  return out;
}

// spec.runtimeClassName of every demo pod (index-aligned with c.pods). Pods listed in the
// objects carry it; pods that are not (earlier rollout revisions, finished jobs) inherit it from
// a listed pod of the same top-level controller (ReplicaSet → Deployment), as a pod template
// would give it.
std::vector<std::string> podRuntimeClasses(const DemoCluster& c) {
  std::unordered_map<std::string, std::string> parent;  // "ns/workload" → "ns/owner"
  for (const model::Workload& w : c.objects.workloads) {
    if (const model::OwnerReference* ref = w.meta.controllerRef()) {
      parent[w.meta.namespace_name + "/" + w.meta.name] = w.meta.namespace_name + "/" + ref->name;
    }
  }
  auto root = [&](const std::string& ns, const std::string& owner) {
    std::string key = ns + "/" + owner;
    for (int depth = 0; depth < 4; ++depth) {
      auto it = parent.find(key);
      if (it == parent.end()) break;
      key = it->second;
    }
    return key;
  };
  std::unordered_map<std::string, std::string> by_uid, by_root;
  for (const model::Pod& p : c.objects.pods) {
    if (p.runtime_class_name.empty()) continue;
    by_uid.emplace(p.meta.uid, p.runtime_class_name);
    if (const model::OwnerReference* ref = p.meta.controllerRef()) {
      by_root.emplace(root(p.meta.namespace_name, ref->name), p.runtime_class_name);
    }
  }
  std::vector<std::string> out(c.pods.size());
  for (std::size_t i = 0; i < c.pods.size(); ++i) {
    const DemoPod& p = c.pods[i];
    if (auto it = by_uid.find(p.uid); it != by_uid.end()) {
      out[i] = it->second;
    } else if (!p.owner_name.empty()) {
      if (auto r = by_root.find(root(p.namespace_name, p.owner_name)); r != by_root.end()) {
        out[i] = r->second;
      }
    }
  }
  return out;
}

class MetricsWriter {
 public:
  MetricsWriter(const DemoCluster& c, std::FILE* f, std::size_t k0, std::size_t k1,
                std::vector<double>& cpu_counters, std::vector<double>& rx_counters,
                std::vector<double>& tx_counters)
      : c_(c), w_(f), k0_(k0), k1_(k1), cpu_(cpu_counters), rx_(rx_counters), tx_(tx_counters) {}

  OpenMetricsWriter& out() { return w_; }

  // Calls fn(t) for every scrape time of this file within [from, to).
  template <typename F>
  void each(UnixSeconds from, UnixSeconds to, F&& fn) {
    const UnixSeconds interval = c_.options.scrape_interval_seconds;
    auto index = [&](UnixSeconds t) -> std::size_t {
      if (t <= c_.start) return 0;
      return static_cast<std::size_t>((t - c_.start + interval - 1) / interval);
    };
    std::size_t a = std::max(k0_, index(from));
    std::size_t b = std::min(k1_, index(to));
    for (std::size_t k = a; k < b; ++k) fn(c_.scrapeTime(k));
  }
  void constant(const std::string& series, UnixSeconds from, UnixSeconds to, double v) {
    each(from, to, [&](UnixSeconds t) { w_.sample(series, v, t * 1000); });
  }

  void cadvisor() {
    const UnixSeconds interval = c_.options.scrape_interval_seconds;
    w_.family("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.");
    for (std::size_t i = 0; i < c_.containers.size(); ++i) {
      const DemoPod& p = c_.podOf(i);
      if (p.node_name.empty()) continue;
      std::string series = OpenMetricsWriter::seriesText(
          "container_cpu_usage_seconds_total", containerLabels(i));
      each(p.start, p.finish, [&](UnixSeconds t) {
        if (std::isnan(cpu_[i])) {
          cpu_[i] = c_.containers[i].cpu_mean_cores * static_cast<double>(std::max<UnixSeconds>(0, c_.start - p.start));
        }
        cpu_[i] += c_.cpuUsageCores(i, t) * static_cast<double>(std::min(interval, t - p.start));
        w_.sample(series, round6(cpu_[i]), t * 1000);
      });
    }
    w_.family("container_memory_working_set_bytes", "gauge", "Current working set in bytes.");
    for (std::size_t i = 0; i < c_.containers.size(); ++i) {
      const DemoPod& p = c_.podOf(i);
      if (p.node_name.empty()) continue;
      std::string series = OpenMetricsWriter::seriesText("container_memory_working_set_bytes",
                                                         containerLabels(i));
      each(p.start, p.finish,
           [&](UnixSeconds t) { w_.sample(series, c_.memoryWorkingSetBytes(i, t), t * 1000); });
    }
    for (int dir = 0; dir < 2; ++dir) {
      const char* family = dir == 0 ? "container_network_receive_bytes" : "container_network_transmit_bytes";
      w_.family(family, "counter",
                dir == 0 ? "Cumulative count of bytes received." : "Cumulative count of bytes transmitted.");
      std::vector<double>& counters = dir == 0 ? rx_ : tx_;
      for (std::size_t pi = 0; pi < c_.pods.size(); ++pi) {
        const DemoPod& p = c_.pods[pi];
        if (p.node_name.empty()) continue;
        Label labels[] = {{"container", "POD"},       {"instance", p.node_name},
                          {"interface", "eth0"},      {"namespace", p.namespace_name},
                          {"node", p.node_name},      {"pod", p.name}};
        std::string series = OpenMetricsWriter::seriesText(std::string(family) + "_total", labels);
        each(p.start, p.finish, [&](UnixSeconds t) {
          if (std::isnan(counters[pi])) counters[pi] = 0;
          double rate = c_.networkReceiveBytesPerSecond(pi, t) * (dir == 0 ? 1.0 : 0.6);
          counters[pi] += std::floor(rate * static_cast<double>(std::min(interval, t - p.start)));
          w_.sample(series, counters[pi], t * 1000);
        });
      }
    }
  }

  void kubeStateMetrics() {
    // Pods.
    w_.family("kube_pod_info", "gauge", "Information about pod.");
    for (const DemoPod& p : c_.pods) {
      Label labels[] = {{"namespace", p.namespace_name}, {"pod", p.name},
                        {"uid", p.uid},                  {"node", p.node_name},
                        {"created_by_kind", p.owner_kind}, {"created_by_name", p.owner_name}};
      constant(OpenMetricsWriter::seriesText("kube_pod_info", nonEmpty(labels)), p.created, p.deleted, 1);
    }
    w_.family("kube_pod_owner", "gauge", "Information about the Pod's owner.");
    for (const DemoPod& p : c_.pods) {
      Label labels[] = {{"namespace", p.namespace_name},
                        {"pod", p.name},
                        {"uid", p.uid},
                        {"owner_kind", p.owner_kind.empty() ? std::string_view("<none>") : std::string_view(p.owner_kind)},
                        {"owner_name", p.owner_name.empty() ? std::string_view("<none>") : std::string_view(p.owner_name)},
                        {"owner_is_controller", p.owner_kind.empty() ? "<none>" : "true"}};
      constant(OpenMetricsWriter::seriesText("kube_pod_owner", labels), p.created, p.deleted, 1);
    }
    // Controllers above the pods' owners (kube-state-metrics v2), so metrics alone resolve a
    // ReplicaSet to its Deployment and a Job to its CronJob.
    for (const model::WorkloadKind kind : {model::WorkloadKind::kReplicaSet, model::WorkloadKind::kJob}) {
      const bool rs = kind == model::WorkloadKind::kReplicaSet;
      const char* family = rs ? "kube_replicaset_owner" : "kube_job_owner";
      w_.family(family, "gauge", rs ? "Information about the ReplicaSet's owner." : "Information about the Job's owner.");
      for (const model::Workload& w : c_.objects.workloads) {
        if (w.kind != kind) continue;
        const model::OwnerReference* ref = w.meta.controllerRef();
        Label labels[] = {{"namespace", w.meta.namespace_name},
                          {rs ? "replicaset" : "job_name", w.meta.name},
                          {"owner_kind", ref != nullptr ? std::string_view(ref->kind) : std::string_view("<none>")},
                          {"owner_name", ref != nullptr ? std::string_view(ref->name) : std::string_view("<none>")},
                          {"owner_is_controller", ref != nullptr ? "true" : "<none>"}};
        constant(OpenMetricsWriter::seriesText(family, labels), w.meta.creation_timestamp, c_.end, 1);
      }
    }
    w_.family("kube_cronjob_info", "gauge", "Info about cronjob.");
    for (const model::Workload& w : c_.objects.workloads) {
      if (w.kind != model::WorkloadKind::kCronJob) continue;
      Label labels[] = {{"namespace", w.meta.namespace_name}, {"cronjob", w.meta.name}};
      constant(OpenMetricsWriter::seriesText("kube_cronjob_info", labels), w.meta.creation_timestamp, c_.end, 1);
    }
    // kube-state-metrics v2 exports this only for pods with spec.runtimeClassName.
    w_.family("kube_pod_runtimeclass_name_info", "gauge",
              "The runtimeclass associated with the pod.");
    const std::vector<std::string> runtime_classes = podRuntimeClasses(c_);
    for (std::size_t i = 0; i < c_.pods.size(); ++i) {
      if (runtime_classes[i].empty()) continue;
      const DemoPod& p = c_.pods[i];
      Label labels[] = {{"namespace", p.namespace_name}, {"pod", p.name}, {"uid", p.uid},
                        {"runtimeclass_name", runtime_classes[i]}};
      constant(OpenMetricsWriter::seriesText("kube_pod_runtimeclass_name_info", labels), p.created,
               p.deleted, 1);
    }
    w_.family("kube_pod_labels", "gauge", "Kubernetes labels converted to Prometheus labels.");
    for (const DemoPod& p : c_.pods) {
      std::vector<std::string> names;
      for (const auto& [k, v] : p.labels) names.push_back("label_" + sanitizeLabel(k));
      std::vector<Label> labels = {{"namespace", p.namespace_name}, {"pod", p.name}, {"uid", p.uid}};
      for (std::size_t i = 0; i < p.labels.size(); ++i) labels.push_back({names[i], p.labels[i].second});
      constant(OpenMetricsWriter::seriesText("kube_pod_labels", labels), p.created, p.deleted, 1);
    }
    for (int lim = 0; lim < 2; ++lim) {
      const char* family = lim == 0 ? "kube_pod_container_resource_requests"
                                    : "kube_pod_container_resource_limits";
      w_.family(family, "gauge",
                lim == 0 ? "The number of requested request resource by a container."
                         : "The number of requested limit resource by a container.");
      for (std::size_t i = 0; i < c_.containers.size(); ++i) {
        const DemoPod& p = c_.podOf(i);
        const DemoContainer& dc = c_.containers[i];
        for (const auto& [res, unit, value] : ksmResources(lim == 0 ? dc.requests : dc.limits, false)) {
          Label labels[] = {{"namespace", p.namespace_name}, {"pod", p.name}, {"uid", p.uid},
                            {"container", dc.name},          {"node", p.node_name},
                            {"resource", res},               {"unit", unit}};
          constant(OpenMetricsWriter::seriesText(family, nonEmpty(labels)), p.created, p.deleted, value);
        }
      }
    }
    w_.family("kube_pod_container_status_running", "gauge",
              "Describes whether the container is currently in running state.");
    for (std::size_t i = 0; i < c_.containers.size(); ++i) {
      const DemoPod& p = c_.podOf(i);
      Label labels[] = {{"namespace", p.namespace_name}, {"pod", p.name}, {"uid", p.uid},
                        {"container", c_.containers[i].name}};
      std::string series = OpenMetricsWriter::seriesText("kube_pod_container_status_running", labels);
      each(p.created, p.deleted,
           [&](UnixSeconds t) { w_.sample(series, c_.running(i, t) ? 1 : 0, t * 1000); });
    }
    // Restart counters of the containers that restart (the leaking ones, OOM-killed at their
    // limit); kube-state-metrics reports every container, mostly at 0, which the demo leaves out.
    w_.family("kube_pod_container_status_restarts", "counter",
              "The number of container restarts per container.");
    for (std::size_t i = 0; i < c_.containers.size(); ++i) {
      if (c_.containers[i].shape != UsageShape::kLeak) continue;
      const DemoPod& p = c_.podOf(i);
      Label labels[] = {{"namespace", p.namespace_name}, {"pod", p.name}, {"uid", p.uid},
                        {"container", c_.containers[i].name}};
      std::string series =
          OpenMetricsWriter::seriesText("kube_pod_container_status_restarts_total", labels);
      each(p.created, p.deleted,
           [&](UnixSeconds t) { w_.sample(series, c_.oomKillsBefore(i, t), t * 1000); });
    }
    w_.family("kube_pod_container_status_last_terminated_reason", "gauge",
              "Describes the last reason the container was in terminated state.");
    for (std::size_t i = 0; i < c_.containers.size(); ++i) {
      if (c_.containers[i].shape != UsageShape::kLeak) continue;
      const DemoPod& p = c_.podOf(i);
      Label labels[] = {{"namespace", p.namespace_name}, {"pod", p.name}, {"uid", p.uid},
                        {"container", c_.containers[i].name}, {"reason", "OOMKilled"}};
      std::string series =
          OpenMetricsWriter::seriesText("kube_pod_container_status_last_terminated_reason", labels);
      each(p.created, p.deleted, [&](UnixSeconds t) {
        if (c_.oomKillsBefore(i, t) > 0) w_.sample(series, 1, t * 1000);
      });
    }
    w_.family("kube_pod_spec_volumes_persistentvolumeclaims_info", "gauge",
              "Information about persistentvolumeclaim volumes in a pod.");
    for (const DemoPod& p : c_.pods) {
      for (const std::string& claim : p.pvc_names) {
        Label labels[] = {{"namespace", p.namespace_name}, {"pod", p.name}, {"uid", p.uid},
                          {"volume", "data"}, {"persistentvolumeclaim", claim}};
        constant(OpenMetricsWriter::seriesText("kube_pod_spec_volumes_persistentvolumeclaims_info", labels),
                 p.created, p.deleted, 1);
      }
    }
    // Nodes.
    w_.family("kube_node_info", "gauge", "Information about a cluster node.");
    for (const model::Node& n : c_.objects.nodes) {
      Label labels[] = {{"node", n.meta.name}, {"provider_id", n.provider_id}};
      constant(OpenMetricsWriter::seriesText("kube_node_info", nonEmpty(labels)), n.meta.creation_timestamp, c_.end, 1);
    }
    w_.family("kube_node_labels", "gauge", "Kubernetes labels converted to Prometheus labels.");
    for (const model::Node& n : c_.objects.nodes) {
      std::vector<std::string> names;
      for (const auto& [k, v] : n.meta.labels) names.push_back("label_" + sanitizeLabel(k));
      std::vector<Label> labels = {{"node", n.meta.name}};
      for (std::size_t i = 0; i < names.size(); ++i) labels.push_back({names[i], n.meta.labels[i].second});
      constant(OpenMetricsWriter::seriesText("kube_node_labels", labels), n.meta.creation_timestamp,
               c_.end, 1);
    }
    for (int alloc = 0; alloc < 2; ++alloc) {
      const char* family = alloc == 0 ? "kube_node_status_capacity" : "kube_node_status_allocatable";
      w_.family(family, "gauge",
                alloc == 0 ? "The capacity for different resources of a node."
                           : "The allocatable for different resources of a node that are available for scheduling.");
      for (const model::Node& n : c_.objects.nodes) {
        for (const auto& [res, unit, value] : ksmResources(alloc == 0 ? n.capacity : n.allocatable, true)) {
          Label labels[] = {{"node", n.meta.name}, {"resource", res}, {"unit", unit}};
          constant(OpenMetricsWriter::seriesText(family, labels), n.meta.creation_timestamp, c_.end,
                   value);
        }
      }
    }
    // Volumes, namespaces, services.
    w_.family("kube_persistentvolume_capacity_bytes", "gauge", "Persistentvolume capacity in bytes.");
    for (const auto& pv : c_.objects.persistent_volumes) {
      Label labels[] = {{"persistentvolume", pv.meta.name}};
      constant(OpenMetricsWriter::seriesText("kube_persistentvolume_capacity_bytes", labels),
               pv.meta.creation_timestamp, c_.end, static_cast<double>(pv.capacity_bytes));
    }
    w_.family("kube_persistentvolumeclaim_info", "gauge", "Information about persistent volume claim.");
    for (const auto& pvc : c_.objects.persistent_volume_claims) {
      Label labels[] = {{"namespace", pvc.meta.namespace_name}, {"persistentvolumeclaim", pvc.meta.name},
                        {"storageclass", pvc.storage_class},     {"volumename", pvc.volume_name}};
      constant(OpenMetricsWriter::seriesText("kube_persistentvolumeclaim_info", labels),
               pvc.meta.creation_timestamp, c_.end, 1);
    }
    w_.family("kube_persistentvolumeclaim_resource_requests_storage_bytes", "gauge",
              "The capacity of storage requested by the persistent volume claim.");
    for (const auto& pvc : c_.objects.persistent_volume_claims) {
      Label labels[] = {{"namespace", pvc.meta.namespace_name}, {"persistentvolumeclaim", pvc.meta.name}};
      constant(OpenMetricsWriter::seriesText("kube_persistentvolumeclaim_resource_requests_storage_bytes", labels),
               pvc.meta.creation_timestamp, c_.end, static_cast<double>(pvc.request_bytes));
    }
    w_.family("kube_namespace_labels", "gauge", "Kubernetes labels converted to Prometheus labels.");
    for (const auto& ns : c_.objects.namespaces) {
      std::vector<std::string> names;
      for (const auto& [k, v] : ns.meta.labels) names.push_back("label_" + sanitizeLabel(k));
      std::vector<Label> labels = {{"namespace", ns.meta.name}};
      for (std::size_t i = 0; i < names.size(); ++i) labels.push_back({names[i], ns.meta.labels[i].second});
      constant(OpenMetricsWriter::seriesText("kube_namespace_labels", labels),
               ns.meta.creation_timestamp, c_.end, 1);
    }
    w_.family("kube_service_status_load_balancer_ingress", "gauge", "Service load balancer ingress status.");
    for (const auto& s : c_.objects.services) {
      for (const std::string& ip : s.load_balancer_ingress) {
        Label labels[] = {{"namespace", s.meta.namespace_name}, {"service", s.meta.name}, {"ip", ip}};
        constant(OpenMetricsWriter::seriesText("kube_service_status_load_balancer_ingress", labels),
                 s.meta.creation_timestamp, c_.end, 1);
      }
    }
  }

  void dcgm() {
    for (int which = 0; which < 2; ++which) {
      const bool util = which == 1;
      const char* family = util ? "DCGM_FI_DEV_GPU_UTIL" : "DCGM_FI_PROF_GR_ENGINE_ACTIVE";
      w_.family(family, "gauge", util ? "GPU utilization (in %)." : "Ratio of time the graphics engine is active.");
      for (std::size_t g = 0; g < c_.gpus.size(); ++g) {
        const DemoGpu& gpu = c_.gpus[g];
        // DCGM_FI_DEV_GPU_UTIL is not reported per MIG instance (dcgm-exporter #216).
        if (util && !gpu.mig_profile.empty()) continue;
        const std::string& host = c_.objects.nodes[gpu.node].meta.name;
        const std::string gpu_index = std::to_string(gpu.gpu_index);
        const std::string device = "nvidia" + gpu_index;
        const std::string instance = std::to_string(gpu.mig_instance_id);
        std::vector<Label> base = {{"gpu", gpu_index}, {"UUID", gpu.uuid}, {"device", device},
                                   {"modelName", gpu.model_name}, {"Hostname", host}};
        if (!gpu.mig_profile.empty()) {
          base.push_back({"GPU_I_PROFILE", gpu.mig_profile});
          base.push_back({"GPU_I_ID", instance});
        }
        const double scale = util ? 100.0 : 1.0;
        if (gpu.containers.empty()) {
          std::string series = OpenMetricsWriter::seriesText(family, base);
          constant(series, c_.start, c_.end, 0);
          continue;
        }
        // One series per allocated container; time-sliced devices report the device-level value
        // to every pod sharing it (dcgm-exporter --kubernetes-virtual-gpus). While no container
        // runs, the device reports without pod labels.
        std::string idle_series = OpenMetricsWriter::seriesText(family, base);
        each(c_.start, c_.end, [&](UnixSeconds t) {
          bool any = false;
          for (std::size_t ci : gpu.containers) any = any || c_.running(ci, t);
          if (!any) w_.sample(idle_series, 0, t * 1000);
        });
        for (std::size_t ci : gpu.containers) {
          const DemoPod& p = c_.podOf(ci);
          std::vector<Label> labels = base;
          labels.push_back({"namespace", p.namespace_name});
          labels.push_back({"pod", p.name});
          labels.push_back({"container", c_.containers[ci].name});
          std::string series = OpenMetricsWriter::seriesText(family, labels);
          each(p.start, p.finish, [&](UnixSeconds t) {
            double v = gpu.time_sliced ? c_.gpuDeviceUtilization(g, t) : c_.gpuUtilization(ci, t);
            w_.sample(series, util ? std::round(v * scale) : round6(v), t * 1000);
          });
        }
      }
    }
  }

 private:
  static double round6(double v) { return std::round(v * 1e6) / 1e6; }

  std::vector<Label> containerLabels(std::size_t i) const {
    const DemoPod& p = c_.podOf(i);
    return {{"container", c_.containers[i].name}, {"instance", p.node_name},
            {"namespace", p.namespace_name},      {"node", p.node_name},
            {"pod", p.name}};
  }
  // KSM omits labels whose value is empty (e.g. node of a Pending pod).
  template <std::size_t N>
  static std::vector<Label> nonEmpty(const Label (&labels)[N]) {
    std::vector<Label> out;
    for (const Label& l : labels) {
      if (!l.value.empty()) out.push_back(l);
    }
    return out;
  }

  const DemoCluster& c_;
  OpenMetricsWriter w_;
  std::size_t k0_, k1_;
  std::vector<double>& cpu_;
  std::vector<double>& rx_;
  std::vector<double>& tx_;
};

}  // namespace

Status writeSnapshot(const DemoCluster& cluster, const std::string& dir,
                     std::function<void(double fraction)> progress) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return fail(ErrorCode::kIo, fmt::format("{}: cannot create directory: {}", dir, std::strerror(errno)));
  }
  if (progress) progress(0);
  if (auto st = writeObjects(cluster, dir); !st) return st;

  const double nan = std::nan("");
  std::vector<double> cpu(cluster.containers.size(), nan);
  std::vector<double> rx(cluster.pods.size(), nan), tx(cluster.pods.size(), nan);
  const std::size_t scrapes = cluster.scrapeCount();
  const std::size_t per_day = static_cast<std::size_t>(86400 / cluster.options.scrape_interval_seconds);
  const std::size_t days = (scrapes + per_day - 1) / std::max<std::size_t>(1, per_day);
  const char* exporters[] = {"cadvisor", "kube-state-metrics", "dcgm-exporter"};
  for (std::size_t d = 0; d < days; ++d) {
    const std::size_t k0 = d * per_day;
    const std::size_t k1 = std::min(scrapes, k0 + per_day);
    const std::string date = model::formatRfc3339(cluster.scrapeTime(k0)).substr(0, 10);
    for (int e = 0; e < 3; ++e) {
      const std::string path = fmt::format("{}/{}-{}.om", dir, exporters[e], date);
      auto f = openForWrite(path);
      if (!f) return fail(f.error());
      {
        MetricsWriter mw(cluster, f->get(), k0, k1, cpu, rx, tx);
        if (e == 0) mw.cadvisor();
        if (e == 1) mw.kubeStateMetrics();
        if (e == 2) mw.dcgm();
        if (auto st = mw.out().finish(path); !st) return st;
      }
      if (auto st = closeFile(std::move(*f), path); !st) return st;
      if (progress) progress(static_cast<double>(d * 3 + static_cast<std::size_t>(e) + 1) / static_cast<double>(days * 3));
    }
  }
  return {};
}

}  // namespace trimtab::source
