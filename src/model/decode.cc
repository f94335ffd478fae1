#include "model/decode.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <simdjson.h>

#include "model/internal/json_locate.h"
#include "model/quantity.h"
#include "model/time_format.h"

namespace trimtab::model {
namespace {

namespace dom = simdjson::dom;

static_assert(kJsonPadding >= simdjson::SIMDJSON_PADDING);

constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

// A field path built on the stack while descending; rendered only for error messages.
struct Path {
  const Path* parent = nullptr;
  std::string_view key;       // ".key" when index < 0
  std::int64_t index = -1;    // "[index]" otherwise
};

void renderPath(const Path* p, std::string& out) {
  if (p == nullptr) return;
  renderPath(p->parent, out);
  if (p->index >= 0) {
    out += fmt::format("[{}]", p->index);
  } else if (!p->key.empty()) {
    if (!out.empty()) out += '.';
    out += p->key;
  }
}

std::string_view typeName(const dom::element& e) {
  switch (e.type()) {
    case dom::element_type::ARRAY: return "array";
    case dom::element_type::OBJECT: return "object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return "number";
    case dom::element_type::STRING: return "string";
    case dom::element_type::BOOL: return "bool";
    case dom::element_type::NULL_VALUE: return "null";
  }
  return "value";
}

// The field's value, or nullopt when absent or null.
std::optional<dom::element> field(dom::object o, std::string_view key) {
  dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS || e.is_null()) return std::nullopt;
  return e;
}

std::string shorten(std::string_view text) {
  constexpr std::size_t kMaxShown = 64;
  if (text.size() > kMaxShown) return std::string(text.substr(0, kMaxShown)) + "...";
  return std::string(text);
}

// Decodes one document. Records the first error and keeps going with defaults, so the
// per-field helpers return plain values; the caller checks failed() after each object.
class Decoder {
 public:
  explicit Decoder(std::string_view source) : source_(source) {}

  bool failed() const { return error_.has_value(); }
  Error takeError() { return std::move(*error_); }

  Result<DecodeResult> run(dom::element root);

 private:
  // --- error reporting -------------------------------------------------------------------
  void setError(const Path* at, std::string_view what) {
    if (error_) return;
    std::string msg(source_);
    msg += ": ";
    if (!name_.empty()) {
      msg += fmt::format("{} \"{}{}{}\"", kind_, ns_, ns_.empty() ? "" : "/", name_);
    } else if (item_index_ >= 0) {
      msg += fmt::format("items[{}]", item_index_);
    } else {
      msg += kind_.empty() ? std::string_view("object") : kind_;
    }
    std::string path;
    if (!sub_list_.empty()) {
      if (!sub_name_.empty()) {
        msg += fmt::format(" {} \"{}\"", sub_list_ == "initContainers" ? "initContainer" : "container",
                           sub_name_);
      } else {
        msg += fmt::format(" {}[{}]", sub_list_, sub_index_);
      }
    } else {
      renderPath(path_prefix_, path);
    }
    msg += ": ";
    renderPath(at, path);
    if (!path.empty()) {
      msg += path;
      msg += !what.empty() && what.front() == '"' ? " " : ": ";
    }
    msg += what;
    error_ = Error{ErrorCode::kParse, std::move(msg)};
  }

  void typeError(const Path* path, std::string_view expected, const dom::element& got) {
    setError(path, fmt::format("expected {}, got {}", expected, typeName(got)));
  }

  // --- typed field access ------------------------------------------------------------------
  std::optional<dom::object> object(dom::object o, std::string_view key, const Path* at) {
    auto e = field(o, key);
    if (!e) return std::nullopt;
    dom::object r;
    if (e->get_object().get(r) != simdjson::SUCCESS) {
      Path p{at, key};
      typeError(&p, "object", *e);
      return std::nullopt;
    }
    return r;
  }

  std::optional<dom::array> array(dom::object o, std::string_view key, const Path* at) {
    auto e = field(o, key);
    if (!e) return std::nullopt;
    dom::array r;
    if (e->get_array().get(r) != simdjson::SUCCESS) {
      Path p{at, key};
      typeError(&p, "array", *e);
      return std::nullopt;
    }
    return r;
  }

  std::optional<dom::object> asObject(dom::element e, const Path* at) {
    dom::object r;
    if (e.get_object().get(r) != simdjson::SUCCESS) {
      if (!e.is_null()) typeError(at, "object", e);
      return std::nullopt;
    }
    return r;
  }

  std::string_view stringView(dom::object o, std::string_view key, const Path* at) {
    auto e = field(o, key);
    if (!e) return {};
    std::string_view r;
    if (e->get_string().get(r) != simdjson::SUCCESS) {
      Path p{at, key};
      typeError(&p, "string", *e);
      return {};
    }
    return r;
  }

  std::string string(dom::object o, std::string_view key, const Path* at) {
    return std::string(stringView(o, key, at));
  }

  bool boolean(dom::object o, std::string_view key, const Path* at) {
    auto e = field(o, key);
    if (!e) return false;
    bool r = false;
    if (e->get_bool().get(r) != simdjson::SUCCESS) {
      Path p{at, key};
      typeError(&p, "bool", *e);
      return false;
    }
    return r;
  }

  std::optional<std::int32_t> int32(dom::object o, std::string_view key, const Path* at) {
    auto e = field(o, key);
    if (!e) return std::nullopt;
    std::int64_t r = 0;
    Path p{at, key};
    if (e->get_int64().get(r) != simdjson::SUCCESS) {
      typeError(&p, "integer", *e);
      return std::nullopt;
    }
    if (r < std::numeric_limits<std::int32_t>::min() ||
        r > std::numeric_limits<std::int32_t>::max()) {
      setError(&p, fmt::format("{} is out of range for a 32-bit integer", r));
      return std::nullopt;
    }
    return static_cast<std::int32_t>(r);
  }

  std::optional<UnixSeconds> time(dom::object o, std::string_view key, const Path* at) {
    std::string_view text = stringView(o, key, at);
    if (text.empty()) return std::nullopt;
    auto t = parseRfc3339(text);
    if (!t) {
      Path p{at, key};
      setError(&p, t.error().message);
      return std::nullopt;
    }
    return *t;
  }

  // An int-or-string value kept as text (PDB minAvailable / maxUnavailable).
  std::optional<std::string> intOrString(dom::object o, std::string_view key, const Path* at) {
    auto e = field(o, key);
    if (!e) return std::nullopt;
    std::string_view s;
    if (e->get_string().get(s) == simdjson::SUCCESS) return std::string(s);
    std::int64_t i = 0;
    if (e->get_int64().get(i) == simdjson::SUCCESS) return std::to_string(i);
    Path p{at, key};
    typeError(&p, "integer or string", *e);
    return std::nullopt;
  }

  // A JSON object of strings, sorted by key (kubectl already prints keys sorted).
  StringMap stringMap(dom::object o, std::string_view key, const Path* at, bool drop_last_applied) {
    StringMap out;
    auto m = object(o, key, at);
    if (!m) return out;
    Path here{at, key};
    out.reserve(m->size());
    bool sorted = true;
    for (dom::key_value_pair kv : *m) {
      if (drop_last_applied && kv.key == kLastApplied) continue;
      std::string_view v;
      if (kv.value.get_string().get(v) != simdjson::SUCCESS) {
        if (kv.value.is_null()) continue;
        Path p{&here, kv.key};
        typeError(&p, "string", kv.value);
        return {};
      }
      if (!out.empty() && !(out.back().first < kv.key)) sorted = false;
      out.emplace_back(std::string(kv.key), std::string(v));
    }
    if (!sorted) {
      std::stable_sort(out.begin(), out.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      // Keep the last of duplicate keys, as JSON decoders do.
      StringMap unique;
      unique.reserve(out.size());
      for (auto& kv : out) {
        if (!unique.empty() && unique.back().first == kv.first) {
          unique.back() = std::move(kv);
        } else {
          unique.push_back(std::move(kv));
        }
      }
      out = std::move(unique);
    }
    return out;
  }

  std::vector<std::string> stringList(dom::object o, std::string_view key, const Path* at) {
    std::vector<std::string> out;
    auto a = array(o, key, at);
    if (!a) return out;
    Path here{at, key};
    std::int64_t i = 0;
    for (dom::element e : *a) {
      std::string_view s;
      if (e.get_string().get(s) != simdjson::SUCCESS) {
        Path p{&here, {}, i};
        typeError(&p, "string", e);
        return {};
      }
      out.emplace_back(s);
      ++i;
    }
    return out;
  }

  ResourceVector resources(dom::object o, std::string_view key, const Path* at) {
    ResourceVector out;
    auto m = object(o, key, at);
    if (!m) return out;
    Path here{at, key};
    for (dom::key_value_pair kv : *m) {
      std::string_view text;
      std::string number_text;
      switch (kv.value.type()) {
        case dom::element_type::STRING:
          text = kv.value.get_string().value_unsafe();
          break;
        case dom::element_type::INT64:
          number_text = std::to_string(kv.value.get_int64().value_unsafe());
          text = number_text;
          break;
        case dom::element_type::UINT64:
          number_text = std::to_string(kv.value.get_uint64().value_unsafe());
          text = number_text;
          break;
        case dom::element_type::DOUBLE:
          // Shortest round-trip form: reproduces the written decimal for ordinary inputs.
          number_text = fmt::format("{}", kv.value.get_double().value_unsafe());
          text = number_text;
          break;
        case dom::element_type::NULL_VALUE:
          continue;
        default: {
          Path p{&here, kv.key};
          typeError(&p, "quantity string", kv.value);
          return out;
        }
      }
      if (auto r = addResource(out, kv.key, text); !r) {
        Path p{&here, kv.key};
        setError(&p, r.error().message);
        return out;
      }
    }
    return out;
  }

  // --- object parts ----------------------------------------------------------------------
  void meta(dom::object item, ObjectMeta& m) {
    Path root;
    auto md = object(item, "metadata", &root);
    Path p{&root, "metadata"};
    if (!md) {
      if (!failed()) {
        Path name{&p, "name"};
        setError(&name, "missing");
      }
      return;
    }
    std::string_view name = stringView(*md, "name", &p);
    if (name.empty()) {
      if (!failed()) {
        Path n{&p, "name"};
        setError(&n, "missing");
      }
      return;
    }
    m.name = std::string(name);
    m.namespace_name = string(*md, "namespace", &p);
    name_ = m.name;
    ns_ = m.namespace_name;
    m.uid = string(*md, "uid", &p);
    m.resource_version = string(*md, "resourceVersion", &p);
    m.creation_timestamp = time(*md, "creationTimestamp", &p).value_or(0);
    m.deletion_timestamp = time(*md, "deletionTimestamp", &p);
    m.labels = stringMap(*md, "labels", &p, false);
    m.annotations = stringMap(*md, "annotations", &p, true);
    if (auto refs = array(*md, "ownerReferences", &p)) {
      Path rp{&p, "ownerReferences"};
      std::int64_t i = 0;
      m.owner_references.reserve(refs->size());
      for (dom::element e : *refs) {
        Path ip{&rp, {}, i++};
        auto r = asObject(e, &ip);
        if (!r) continue;
        OwnerReference& ref = m.owner_references.emplace_back();
        ref.api_version = string(*r, "apiVersion", &ip);
        ref.kind = string(*r, "kind", &ip);
        ref.name = string(*r, "name", &ip);
        ref.uid = string(*r, "uid", &ip);
        ref.controller = boolean(*r, "controller", &ip);
      }
    }
  }

  void containers(dom::object spec, std::string_view key, ContainerKind kind,
                  std::vector<Container>& out) {
    auto list = array(spec, key, nullptr);
    if (!list) return;
    std::int64_t i = 0;
    for (dom::element e : *list) {
      sub_list_ = key;
      sub_name_ = {};
      sub_index_ = i++;
      auto c = asObject(e, nullptr);
      if (!c) continue;
      Container& container = out.emplace_back();
      sub_name_ = stringView(*c, "name", nullptr);
      container.name = std::string(sub_name_);
      container.image = string(*c, "image", nullptr);
      container.kind = kind;
      if (kind == ContainerKind::kInit && stringView(*c, "restartPolicy", nullptr) == "Always") {
        container.kind = ContainerKind::kSidecar;
      }
      if (auto res = object(*c, "resources", nullptr)) {
        Path rp{nullptr, "resources"};
        container.requests = resources(*res, "requests", &rp);
        container.limits = resources(*res, "limits", &rp);
      }
      if (failed()) return;
    }
    sub_list_ = {};
    sub_name_ = {};
  }

  // Containers of a pod spec in start order: init containers (and sidecars), then regular ones.
  void podSpecContainers(dom::object spec, const Path* at, std::vector<Container>& out) {
    const Path* saved = path_prefix_;
    path_prefix_ = at;
    std::size_t n = 0;
    if (auto a = array(spec, "initContainers", nullptr)) n += a->size();
    if (auto a = array(spec, "containers", nullptr)) n += a->size();
    out.reserve(n);
    containers(spec, "initContainers", ContainerKind::kInit, out);
    if (!failed()) containers(spec, "containers", ContainerKind::kRegular, out);
    path_prefix_ = saved;
  }

  void containerStatuses(dom::object status, std::string_view key, const Path* at,
                         std::vector<ContainerStatus>& out) {
    auto list = array(status, key, at);
    if (!list) return;
    Path lp{at, key};
    std::int64_t i = 0;
    for (dom::element e : *list) {
      Path ip{&lp, {}, i++};
      auto s = asObject(e, &ip);
      if (!s) continue;
      ContainerStatus& cs = out.emplace_back();
      cs.name = string(*s, "name", &ip);
      cs.ready = boolean(*s, "ready", &ip);
      cs.restart_count = int32(*s, "restartCount", &ip).value_or(0);
      if (auto state = object(*s, "state", &ip)) {
        Path sp{&ip, "state"};
        for (std::string_view name : {"running", "waiting", "terminated"}) {
          if (auto st = object(*state, name, &sp)) {
            cs.state = std::string(name);
            if (name == "running") {
              Path rp{&sp, "running"};
              cs.started_at = time(*st, "startedAt", &rp);
            }
            break;
          }
        }
      }
      if (auto last = object(*s, "lastState", &ip)) {
        Path lsp{&ip, "lastState"};
        if (auto term = object(*last, "terminated", &lsp)) {
          Path tp{&lsp, "terminated"};
          cs.last_terminated_reason = string(*term, "reason", &tp);
        }
      }
    }
  }

  void affinity(dom::object spec, const Path* at, Pod& pod) {
    auto aff = object(spec, "affinity", at);
    if (!aff) return;
    Path ap{at, "affinity"};
    if (auto na = object(*aff, "nodeAffinity", &ap)) {
      Path np{&ap, "nodeAffinity"};
      constexpr std::string_view kRequired = "requiredDuringSchedulingIgnoredDuringExecution";
      if (auto req = object(*na, kRequired, &np)) {
        Path rp{&np, kRequired};
        if (auto terms = array(*req, "nodeSelectorTerms", &rp)) {
          Path tp{&rp, "nodeSelectorTerms"};
          std::int64_t i = 0;
          for (dom::element e : *terms) {
            Path ip{&tp, {}, i++};
            auto term = asObject(e, &ip);
            auto& reqs = pod.required_node_affinity.emplace_back();
            if (!term) continue;
            auto exprs = array(*term, "matchExpressions", &ip);
            if (!exprs) continue;
            Path ep{&ip, "matchExpressions"};
            std::int64_t j = 0;
            for (dom::element x : *exprs) {
              Path xp{&ep, {}, j++};
              auto expr = asObject(x, &xp);
              if (!expr) continue;
              NodeSelectorRequirement& r = reqs.emplace_back();
              r.key = string(*expr, "key", &xp);
              r.op = string(*expr, "operator", &xp);
              r.values = stringList(*expr, "values", &xp);
            }
          }
        }
      }
    }
    if (auto paa = object(*aff, "podAntiAffinity", &ap)) {
      Path pp{&ap, "podAntiAffinity"};
      constexpr std::string_view kRequired = "requiredDuringSchedulingIgnoredDuringExecution";
      if (auto terms = array(*paa, kRequired, &pp)) {
        Path tp{&pp, kRequired};
        std::int64_t i = 0;
        for (dom::element e : *terms) {
          Path ip{&tp, {}, i++};
          auto term = asObject(e, &ip);
          if (!term) continue;
          if (stringView(*term, "topologyKey", &ip) != "kubernetes.io/hostname") continue;
          StringMap match;
          if (auto sel = object(*term, "labelSelector", &ip)) {
            Path sp{&ip, "labelSelector"};
            match = stringMap(*sel, "matchLabels", &sp, false);
          }
          pod.required_anti_affinity_hostname.push_back(std::move(match));
        }
      }
    }
  }

  void decodePod(dom::object item, ObjectSet& out) {
    Pod& pod = out.pods.emplace_back();
    meta(item, pod.meta);
    if (failed()) return;
    Path root;
    if (auto spec = object(item, "spec", &root)) {
      Path sp{&root, "spec"};
      pod.node_name = string(*spec, "nodeName", &sp);
      pod.runtime_class_name = string(*spec, "runtimeClassName", &sp);
      pod.priority_class_name = string(*spec, "priorityClassName", &sp);
      pod.scheduler_name = string(*spec, "schedulerName", &sp);
      pod.host_network = boolean(*spec, "hostNetwork", &sp);
      pod.node_selector = stringMap(*spec, "nodeSelector", &sp, false);
      affinity(*spec, &sp, pod);
      if (auto tols = array(*spec, "tolerations", &sp)) {
        Path tp{&sp, "tolerations"};
        std::int64_t i = 0;
        for (dom::element e : *tols) {
          Path ip{&tp, {}, i++};
          auto t = asObject(e, &ip);
          if (!t) continue;
          Toleration& tol = pod.tolerations.emplace_back();
          tol.key = string(*t, "key", &ip);
          tol.op = string(*t, "operator", &ip);
          if (tol.op.empty()) tol.op = "Equal";
          tol.value = string(*t, "value", &ip);
          tol.effect = string(*t, "effect", &ip);
        }
      }
      if (auto vols = array(*spec, "volumes", &sp)) {
        Path vp{&sp, "volumes"};
        std::int64_t i = 0;
        for (dom::element e : *vols) {
          Path ip{&vp, {}, i++};
          auto v = asObject(e, &ip);
          if (!v) continue;
          Volume& vol = pod.volumes.emplace_back();
          vol.name = string(*v, "name", &ip);
          if (auto pvc = object(*v, "persistentVolumeClaim", &ip)) {
            Path pp{&ip, "persistentVolumeClaim"};
            vol.pvc_claim_name = string(*pvc, "claimName", &pp);
          }
          vol.empty_dir = field(*v, "emptyDir").has_value();
          vol.host_path = field(*v, "hostPath").has_value();
        }
      }
      if (failed()) return;
      podSpecContainers(*spec, &sp, pod.containers);
    }
    if (failed()) return;
    if (auto status = object(item, "status", &root)) {
      Path sp{&root, "status"};
      pod.phase = string(*status, "phase", &sp);
      pod.qos_class = string(*status, "qosClass", &sp);
      pod.start_time = time(*status, "startTime", &sp);
      containerStatuses(*status, "initContainerStatuses", &sp, pod.container_statuses);
      containerStatuses(*status, "containerStatuses", &sp, pod.container_statuses);
    }
  }

  void decodeNode(dom::object item, ObjectSet& out) {
    Node& node = out.nodes.emplace_back();
    meta(item, node.meta);
    if (failed()) return;
    Path root;
    if (auto spec = object(item, "spec", &root)) {
      Path sp{&root, "spec"};
      node.provider_id = string(*spec, "providerID", &sp);
      node.unschedulable = boolean(*spec, "unschedulable", &sp);
      if (auto taints = array(*spec, "taints", &sp)) {
        Path tp{&sp, "taints"};
        std::int64_t i = 0;
        for (dom::element e : *taints) {
          Path ip{&tp, {}, i++};
          auto t = asObject(e, &ip);
          if (!t) continue;
          Taint& taint = node.taints.emplace_back();
          taint.key = string(*t, "key", &ip);
          taint.value = string(*t, "value", &ip);
          taint.effect = string(*t, "effect", &ip);
        }
      }
    }
    if (auto status = object(item, "status", &root)) {
      Path sp{&root, "status"};
      node.capacity = resources(*status, "capacity", &sp);
      node.allocatable = resources(*status, "allocatable", &sp);
      if (auto conds = array(*status, "conditions", &sp)) {
        Path cp{&sp, "conditions"};
        std::int64_t i = 0;
        for (dom::element e : *conds) {
          Path ip{&cp, {}, i++};
          auto c = asObject(e, &ip);
          if (!c) continue;
          if (stringView(*c, "type", &ip) == "Ready") {
            node.ready = stringView(*c, "status", &ip) == "True";
          }
        }
      }
    }
  }

  std::int64_t storageBytes(dom::object o, std::string_view key, const Path* at) {
    ResourceVector r = resources(o, key, at);
    return r.extendedCount("storage");
  }

  void decodePersistentVolume(dom::object item, ObjectSet& out) {
    PersistentVolume& pv = out.persistent_volumes.emplace_back();
    meta(item, pv.meta);
    if (failed()) return;
    Path root;
    if (auto spec = object(item, "spec", &root)) {
      Path sp{&root, "spec"};
      pv.capacity_bytes = storageBytes(*spec, "capacity", &sp);
      pv.storage_class = string(*spec, "storageClassName", &sp);
      if (auto claim = object(*spec, "claimRef", &sp)) {
        Path cp{&sp, "claimRef"};
        pv.claim_namespace = string(*claim, "namespace", &cp);
        pv.claim_name = string(*claim, "name", &cp);
      }
      if (auto csi = object(*spec, "csi", &sp)) {
        Path cp{&sp, "csi"};
        pv.csi_driver = string(*csi, "driver", &cp);
        pv.provider_volume_id = string(*csi, "volumeHandle", &cp);
      } else if (auto ebs = object(*spec, "awsElasticBlockStore", &sp)) {
        Path ep{&sp, "awsElasticBlockStore"};
        pv.provider_volume_id = string(*ebs, "volumeID", &ep);
      } else if (auto pd = object(*spec, "gcePersistentDisk", &sp)) {
        Path gp{&sp, "gcePersistentDisk"};
        pv.provider_volume_id = string(*pd, "pdName", &gp);
      }
    }
    if (auto status = object(item, "status", &root)) {
      Path sp{&root, "status"};
      pv.phase = string(*status, "phase", &sp);
    }
  }

  void decodePersistentVolumeClaim(dom::object item, ObjectSet& out) {
    PersistentVolumeClaim& pvc = out.persistent_volume_claims.emplace_back();
    meta(item, pvc.meta);
    if (failed()) return;
    Path root;
    if (auto spec = object(item, "spec", &root)) {
      Path sp{&root, "spec"};
      if (auto res = object(*spec, "resources", &sp)) {
        Path rp{&sp, "resources"};
        pvc.request_bytes = storageBytes(*res, "requests", &rp);
      }
      pvc.storage_class = string(*spec, "storageClassName", &sp);
      pvc.volume_name = string(*spec, "volumeName", &sp);
    }
    if (auto status = object(item, "status", &root)) {
      Path sp{&root, "status"};
      pvc.phase = string(*status, "phase", &sp);
    }
  }

  void decodeService(dom::object item, ObjectSet& out) {
    Service& svc = out.services.emplace_back();
    meta(item, svc.meta);
    if (failed()) return;
    Path root;
    if (auto spec = object(item, "spec", &root)) {
      Path sp{&root, "spec"};
      svc.type = string(*spec, "type", &sp);
      svc.selector = stringMap(*spec, "selector", &sp, false);
      if (auto ports = array(*spec, "ports", &sp)) {
        Path pp{&sp, "ports"};
        std::int64_t i = 0;
        for (dom::element e : *ports) {
          Path ip{&pp, {}, i++};
          auto p = asObject(e, &ip);
          if (!p) continue;
          ServicePort& port = svc.ports.emplace_back();
          port.name = string(*p, "name", &ip);
          port.port = int32(*p, "port", &ip).value_or(0);
          port.protocol = string(*p, "protocol", &ip);
        }
      }
    }
    if (svc.type.empty()) svc.type = "ClusterIP";
    if (auto status = object(item, "status", &root)) {
      Path sp{&root, "status"};
      if (auto lb = object(*status, "loadBalancer", &sp)) {
        Path lp{&sp, "loadBalancer"};
        if (auto ingress = array(*lb, "ingress", &lp)) {
          Path ip{&lp, "ingress"};
          std::int64_t i = 0;
          for (dom::element e : *ingress) {
            Path ep{&ip, {}, i++};
            auto in = asObject(e, &ep);
            if (!in) continue;
            std::string_view addr = stringView(*in, "ip", &ep);
            if (addr.empty()) addr = stringView(*in, "hostname", &ep);
            if (!addr.empty()) svc.load_balancer_ingress.emplace_back(addr);
          }
        }
      }
    }
  }

  void decodeNamespace(dom::object item, ObjectSet& out) {
    Namespace& ns = out.namespaces.emplace_back();
    meta(item, ns.meta);
  }

  void decodeWorkload(dom::object item, WorkloadKind kind, ObjectSet& out) {
    Workload& w = out.workloads.emplace_back();
    w.kind = kind;
    meta(item, w.meta);
    if (failed()) return;
    Path root;
    auto spec = object(item, "spec", &root);
    if (!spec) return;
    Path sp{&root, "spec"};
    if (kind == WorkloadKind::kJob) {
      w.replicas = int32(*spec, "parallelism", &sp);
    } else if (kind != WorkloadKind::kDaemonSet && kind != WorkloadKind::kCronJob) {
      w.replicas = int32(*spec, "replicas", &sp);
    }
    dom::object workload_spec = *spec;
    Path jp{&sp, "jobTemplate"};
    Path jsp{&jp, "spec"};
    const Path* spec_path = &sp;
    if (kind == WorkloadKind::kCronJob) {
      auto job_template = object(*spec, "jobTemplate", &sp);
      if (!job_template) return;
      auto job_spec = object(*job_template, "spec", &jp);
      if (!job_spec) return;
      workload_spec = *job_spec;
      spec_path = &jsp;
    }
    if (auto sel = object(workload_spec, "selector", spec_path)) {
      Path selp{spec_path, "selector"};
      w.selector_match_labels = stringMap(*sel, "matchLabels", &selp, false);
    }
    auto tmpl = object(workload_spec, "template", spec_path);
    if (!tmpl) return;
    Path tp{spec_path, "template"};
    if (auto md = object(*tmpl, "metadata", &tp)) {
      Path mp{&tp, "metadata"};
      w.template_labels = stringMap(*md, "labels", &mp, false);
    }
    if (auto pod_spec = object(*tmpl, "spec", &tp)) {
      Path psp{&tp, "spec"};
      if (failed()) return;
      podSpecContainers(*pod_spec, &psp, w.containers);
    }
  }

  void decodePodDisruptionBudget(dom::object item, ObjectSet& out) {
    PodDisruptionBudget& pdb = out.pod_disruption_budgets.emplace_back();
    meta(item, pdb.meta);
    if (failed()) return;
    Path root;
    if (auto spec = object(item, "spec", &root)) {
      Path sp{&root, "spec"};
      if (auto sel = object(*spec, "selector", &sp)) {
        Path selp{&sp, "selector"};
        pdb.selector_match_labels = stringMap(*sel, "matchLabels", &selp, false);
      }
      pdb.min_available = intOrString(*spec, "minAvailable", &sp);
      pdb.max_unavailable = intOrString(*spec, "maxUnavailable", &sp);
    }
  }

  // autoscaling/v2 (and v2beta2: the same shape) or autoscaling/v1.
  void decodeHorizontalPodAutoscaler(dom::object item, ObjectSet& out) {
    HorizontalPodAutoscaler& hpa = out.horizontal_pod_autoscalers.emplace_back();
    meta(item, hpa.meta);
    if (failed()) return;
    Path root;
    auto spec = object(item, "spec", &root);
    if (!spec) return;
    Path sp{&root, "spec"};
    if (auto ref = object(*spec, "scaleTargetRef", &sp)) {
      Path rp{&sp, "scaleTargetRef"};
      hpa.target_kind = string(*ref, "kind", &rp);
      hpa.target_name = string(*ref, "name", &rp);
    }
    hpa.min_replicas = int32(*spec, "minReplicas", &sp);
    hpa.max_replicas = int32(*spec, "maxReplicas", &sp).value_or(0);
    if (auto v1 = int32(*spec, "targetCPUUtilizationPercentage", &sp)) {
      hpa.metrics.push_back({"cpu", "", "Utilization", v1, std::nullopt, -1});
    }
    auto metrics = array(*spec, "metrics", &sp);
    if (!metrics) return;
    Path mp{&sp, "metrics"};
    std::int64_t i = 0;
    for (dom::element e : *metrics) {
      const int index = static_cast<int>(i);
      Path ip{&mp, {}, i++};
      auto m = asObject(e, &ip);
      if (!m) continue;
      const std::string_view type = stringView(*m, "type", &ip);
      const bool container = type == "ContainerResource";
      if (type != "Resource" && !container) continue;
      const std::string_view key = container ? "containerResource" : "resource";
      auto res = object(*m, key, &ip);
      if (!res) continue;
      Path resp{&ip, key};
      HpaResourceMetric metric;
      metric.spec_index = index;
      metric.resource = string(*res, "name", &resp);
      if (container) metric.container = string(*res, "container", &resp);
      if (auto target = object(*res, "target", &resp)) {
        Path tp{&resp, "target"};
        metric.target_type = string(*target, "type", &tp);
        metric.average_utilization = int32(*target, "averageUtilization", &tp);
        metric.average_value = intOrString(*target, "averageValue", &tp);
      }
      hpa.metrics.push_back(std::move(metric));
    }
  }

  // Decodes one object of a known kind; false for unknown kinds.
  bool decodeItem(dom::object item, std::string_view kind, ObjectSet& out) {
    kind_ = kind;
    name_ = {};
    ns_ = {};
    sub_list_ = {};
    sub_name_ = {};
    if (kind == "Pod") {
      decodePod(item, out);
    } else if (kind == "Node") {
      decodeNode(item, out);
    } else if (kind == "PersistentVolume") {
      decodePersistentVolume(item, out);
    } else if (kind == "PersistentVolumeClaim") {
      decodePersistentVolumeClaim(item, out);
    } else if (kind == "Service") {
      decodeService(item, out);
    } else if (kind == "Namespace") {
      decodeNamespace(item, out);
    } else if (kind == "ReplicaSet") {
      decodeWorkload(item, WorkloadKind::kReplicaSet, out);
    } else if (kind == "Deployment") {
      decodeWorkload(item, WorkloadKind::kDeployment, out);
    } else if (kind == "StatefulSet") {
      decodeWorkload(item, WorkloadKind::kStatefulSet, out);
    } else if (kind == "DaemonSet") {
      decodeWorkload(item, WorkloadKind::kDaemonSet, out);
    } else if (kind == "Job") {
      decodeWorkload(item, WorkloadKind::kJob, out);
    } else if (kind == "CronJob") {
      decodeWorkload(item, WorkloadKind::kCronJob, out);
    } else if (kind == "PodDisruptionBudget") {
      decodePodDisruptionBudget(item, out);
    } else if (kind == "HorizontalPodAutoscaler") {
      decodeHorizontalPodAutoscaler(item, out);
    } else {
      return false;
    }
    return true;
  }

  void reserveFor(std::string_view kind, std::size_t n, ObjectSet& out) {
    if (kind == "Pod") out.pods.reserve(n);
    if (kind == "Node") out.nodes.reserve(n);
    if (kind == "Service") out.services.reserve(n);
  }

  void skipped(std::string_view kind) {
    for (auto& [k, n] : skipped_) {
      if (k == kind) {
        ++n;
        return;
      }
    }
    skipped_.emplace_back(std::string(kind), 1);
  }

  std::string_view source_;
  std::optional<Error> error_;
  // Context of the object being decoded, for messages.
  std::string_view kind_;
  std::string_view name_;
  std::string_view ns_;
  std::int64_t item_index_ = -1;
  std::string_view sub_list_;  // "containers" / "initContainers" while decoding one
  std::string_view sub_name_;
  std::int64_t sub_index_ = 0;
  const Path* path_prefix_ = nullptr;  // prepended to container-relative paths
  std::vector<std::pair<std::string, std::size_t>> skipped_;
};

Result<DecodeResult> Decoder::run(dom::element root) {
  DecodeResult result;
  dom::object top;
  if (root.get_object().get(top) != simdjson::SUCCESS) {
    return fail(ErrorCode::kParse,
                fmt::format("{}: expected a Kubernetes object or List (a JSON object), got {}",
                            source_, typeName(root)));
  }
  Path none;
  std::string_view kind = stringView(top, "kind", &none);
  if (failed()) return fail(takeError());
  auto items = array(top, "items", &none);
  if (failed()) return fail(takeError());
  const bool is_list = kind == "List" || (kind.empty() && items) ||
                       (items && kind.size() > 4 && kind.substr(kind.size() - 4) == "List");
  if (is_list) {
    std::string_view default_kind;
    if (kind.size() > 4 && kind != "List") default_kind = kind.substr(0, kind.size() - 4);
    if (!items) return result;
    reserveFor(default_kind, items->size(), result.objects);
    std::int64_t index = 0;
    for (dom::element e : *items) {
      item_index_ = index++;
      kind_ = {};
      name_ = {};
      dom::object item;
      if (e.get_object().get(item) != simdjson::SUCCESS) {
        typeError(nullptr, "object", e);
        return fail(takeError());
      }
      std::string_view item_kind = stringView(item, "kind", &none);
      if (failed()) return fail(takeError());
      if (item_kind.empty()) item_kind = default_kind;
      if (item_kind.empty()) {
        Path k{&none, "kind"};
        setError(&k, "missing");
        return fail(takeError());
      }
      if (!decodeItem(item, item_kind, result.objects)) skipped(item_kind);
      if (failed()) return fail(takeError());
    }
  } else {
    if (kind.empty()) {
      Path k{&none, "kind"};
      setError(&k, "missing");
      return fail(takeError());
    }
    if (!decodeItem(top, kind, result.objects)) skipped(kind);
    if (failed()) return fail(takeError());
  }
  for (const auto& [k, n] : skipped_) {
    result.warnings.push_back(fmt::format("{}: skipped {} object{} of kind {}", source_, n,
                                          n == 1 ? "" : "s", shorten(k)));
  }
  return result;
}

}  // namespace

Result<DecodeResult> decodeObjectsPadded(std::string_view json, std::string_view source_name) {
  dom::parser parser;
  dom::element root;
  auto error = parser.parse(json.data(), json.size(), false).get(root);
  if (error != simdjson::SUCCESS) {
    std::string where;
    if (auto offset = internal::locateJsonError(json)) where = fmt::format(" at byte {}", *offset);
    return fail(ErrorCode::kParse, fmt::format("{}: not JSON: {}{}", source_name,
                                               simdjson::error_message(error), where));
  }
  Decoder decoder(source_name);
  return decoder.run(root);
}

Result<DecodeResult> decodeObjects(std::string_view json, std::string_view source_name) {
  simdjson::padded_string padded(json);
  return decodeObjectsPadded(std::string_view(padded.data(), padded.size()), source_name);
}

}  // namespace trimtab::model
