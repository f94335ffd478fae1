// `trimtab kube`: reading a live cluster through the Kubernetes API (kube/).
//   kube get <resource>     lists objects (paginated, streamed) and prints a table
//   kube snapshot --out D   writes every kind as kubectl-JSON list pages that `trimtab ingest`
//                           (source/snapshot) reads
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/common.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/kinds.h"

namespace trimtab::cli {

namespace {

constexpr const char* kKubeUsage =
    "  trimtab kube get <resource> [--kubeconfig F] [--context C] [--in-cluster]\n"
    "      [--page-size N]\n"
    "      List pods, nodes, deployments, ... (all namespaces) as kubectl would, streamed.\n"
    "  trimtab kube snapshot --out DIR [--kinds pods,nodes,...] [--kubeconfig F] [--context C]\n"
    "      [--in-cluster] [--page-size N]\n"
    "      Write every kind as kubectl-JSON list pages (<resource>-0001.json, ...) for ingest.\n";

Result<std::unique_ptr<kube::KubeClient>> connect(const Args& args) {
  Result<kube::RestConfig> rc = [&]() -> Result<kube::RestConfig> {
    if (args.flag("in-cluster")) return kube::inClusterConfig();
    kube::LoadOptions lo;
    lo.kubeconfig_path = args.valueOr("kubeconfig", "");
    lo.context = args.valueOr("context", "");
    return kube::loadRestConfig(lo);
  }();
  if (!rc) return fail(rc.error());
  kube::KubeClientOptions o;
  auto page = args.integer("page-size", 500, 1, 100'000);
  if (!page) return fail(page.error());
  o.page_size = static_cast<std::size_t>(*page);
  return kube::KubeClient::create(std::move(*rc), o);
}

std::string cpuText(std::int64_t millicores) { return fmt::format("{}m", millicores); }

int cmdGet(const std::vector<std::string>& argv) {
  auto args = Args::parse("kube get", argv, {"kubeconfig", "context", "page-size"}, {"in-cluster"});
  if (!args) {
    printError(args.error());
    return kExitUsage;
  }
  if (args->positional().size() != 1) {
    printError(Error{ErrorCode::kInvalidArgument, "kube get: want one resource, e.g. pods"});
    return kExitUsage;
  }
  auto kind = kube::kindByName(args->positional()[0]);
  if (!kind) {
    printError(Error{ErrorCode::kInvalidArgument,
                     fmt::format("kube get: unknown resource \"{}\"", args->positional()[0])});
    return kExitUsage;
  }
  auto client = connect(*args);
  if (!client) {
    printError(client.error());
    return exitCodeFor(client.error());
  }
  std::vector<std::vector<std::string>> rows;
  bool pods = *kind == kube::Kind::kPod;
  auto meta = (*client)->list(*kind, [&](model::DecodeResult&& batch) -> Status {
    for (const auto& p : batch.objects.pods) {
      auto req = p.effectiveRequests();
      rows.push_back({p.meta.namespace_name + "/" + p.meta.name, p.node_name, p.phase,
                      cpuText(req.cpu_millicores),
                      fmt::format("{:.0f}", static_cast<double>(req.memory_bytes) / (1 << 20))});
    }
    auto add = [&](const model::ObjectMeta& m) {
      rows.push_back({m.namespace_name.empty() ? m.name : m.namespace_name + "/" + m.name});
    };
    for (const auto& o : batch.objects.nodes) add(o.meta);
    for (const auto& o : batch.objects.persistent_volumes) add(o.meta);
    for (const auto& o : batch.objects.persistent_volume_claims) add(o.meta);
    for (const auto& o : batch.objects.services) add(o.meta);
    for (const auto& o : batch.objects.namespaces) add(o.meta);
    for (const auto& o : batch.objects.workloads) add(o.meta);
    for (const auto& o : batch.objects.pod_disruption_budgets) add(o.meta);
    return {};
  });
  if (!meta) {
    printError(meta.error());
    return exitCodeFor(meta.error());
  }
  if (pods) {
    printTable({"NAMESPACE/NAME", "NODE", "PHASE", "CPU REQ", "MEM REQ MiB"}, rows);
  } else {
    printTable({"NAME"}, rows);
  }
  std::printf("%zu %s at resourceVersion %s (%zu bytes)\n", meta->items,
              std::string(kube::kindInfo(*kind).resource).c_str(), meta->resource_version.c_str(),
              meta->bytes);
  return kExitOk;
}

int cmdSnapshot(const std::vector<std::string>& argv) {
  auto args = Args::parse("kube snapshot", argv,
                          {"kubeconfig", "context", "page-size", "out", "kinds"}, {"in-cluster"});
  if (!args) {
    printError(args.error());
    return kExitUsage;
  }
  auto out = args->value("out");
  if (!out) {
    printError(Error{ErrorCode::kInvalidArgument, "kube snapshot: --out DIR is required"});
    return kExitUsage;
  }
  std::vector<kube::Kind> kinds;
  const bool explicit_kinds = args->value("kinds").has_value();
  if (auto list = args->value("kinds")) {
    for (const auto& name : splitList(*list)) {
      auto k = kube::kindByName(name);
      if (!k) {
        printError(Error{ErrorCode::kInvalidArgument,
                         fmt::format("kube snapshot: --kinds: unknown resource \"{}\"", name)});
        return kExitUsage;
      }
      kinds.push_back(*k);
    }
  } else {
    for (const auto& k : kube::kKinds) kinds.push_back(k.kind);
  }
  std::error_code ec;
  std::filesystem::create_directories(*out, ec);
  if (ec) {
    printError(
        Error{ErrorCode::kIo, fmt::format("kube snapshot: --out {}: {}", *out, ec.message())});
    return kExitError;
  }
  auto client = connect(*args);
  if (!client) {
    printError(client.error());
    return exitCodeFor(client.error());
  }
  std::vector<std::vector<std::string>> rows;
  for (kube::Kind kind : kinds) {
    const auto& info = kube::kindInfo(kind);
    std::ofstream file;
    std::size_t open_page = 0;
    std::vector<std::string> written;
    auto pathFor = [&](std::size_t page) {
      return fmt::format("{}/{}-{:04d}.json", *out, info.resource, page);
    };
    auto meta = (*client)->listWithRaw(
        kind, [](model::DecodeResult&&) -> Status { return {}; },
        [&](std::size_t page, std::string_view chunk) -> Status {
          if (page != open_page) {
            if (file.is_open()) file.close();
            written.push_back(pathFor(page));
            file.open(written.back(), std::ios::binary | std::ios::trunc);
            open_page = page;
          }
          file.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
          if (!file) return fail(ErrorCode::kIo, fmt::format("{}: write failed", pathFor(page)));
          return {};
        },
        [&] {
          file.close();
          for (const auto& w : written) std::filesystem::remove(w, ec);
          written.clear();
          open_page = 0;
        });
    if (file.is_open()) file.close();
    if (!meta && !explicit_kinds && meta.error().code == ErrorCode::kNotFound) {
      // An API the cluster does not serve (e.g. autoscaling/v2 before Kubernetes 1.23): the
      // default kind list skips it; a kind asked for with --kinds is an error.
      std::fprintf(stderr, "trimtab: kube snapshot: %s not served by this cluster (404); skipped\n",
                   std::string(info.resource).c_str());
      for (const auto& w : written) std::filesystem::remove(w, ec);
      rows.push_back({std::string(info.resource), "not served", "0", "0"});
      continue;
    }
    if (!meta) {
      printError(meta.error());
      return exitCodeFor(meta.error());
    }
    rows.push_back({std::string(info.resource), std::to_string(meta->items),
                    std::to_string(written.size()), std::to_string(meta->bytes)});
  }
  printTable({"RESOURCE", "OBJECTS", "FILES", "BYTES"}, rows);
  return kExitOk;
}

int cmdKube(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    std::fputs(kKubeUsage, stderr);
    return kExitUsage;
  }
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "get") return cmdGet(rest);
  if (argv[0] == "snapshot") return cmdSnapshot(rest);
  printError(Error{ErrorCode::kInvalidArgument,
                   fmt::format("kube: unknown subcommand \"{}\" (want get or snapshot)", argv[0])});
  return kExitUsage;
}

const CommandRegistration kReg{{"kube", kKubeUsage, &cmdKube}};

}  // namespace

}  // namespace trimtab::cli
