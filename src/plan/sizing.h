// Node-pool sizing: the cheapest mix of instance types that holds a set of pods.
//
// Three numbers come out, all in USD per hour:
//   * lp_bound: a lower bound on any feasible mix, from the LP relaxation of the assignment
//     model (x_t >= 0 nodes of option t, y_ct >= 0 pods of class c on t, sum_t y_ct = n_c,
//     sum_c r_cd y_ct <= cap_td x_t for d in CPU, memory, milli-GPU, pod slots; y_ct exists only
//     when one pod of c fits an empty node of t). Solved with COIN-OR CLP when built with it;
//     otherwise the weaker per-dimension bound max_d(demand_d * cheapest price per unit of d).
//   * mix: Trimtab's integral mix, a greedy pattern heuristic priced with the LP duals (each
//     step fills one node of every option, keeps the pattern with the most dual value per
//     dollar and repeats it as often as the remaining pods allow).
//   * ffd: Karpenter-style first-fit decreasing (pods by CPU then memory, descending; a new node
//     claim keeps every option that still fits all its pods and launches the cheapest).
// Capacities: allocatable CPU and memory scaled by target_utilization; GPUs are whole devices
// with fractional pods packed per device. GPU model constraints of pods are ignored (cloud
// models differ from trace models). Pure functions; thread-compatible.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/error.h"
#include "plan/cluster.h"
#include "pricing/catalog.h"

namespace trimtab::plan {

struct InstanceOption {
  std::string instance_type;
  bool spot = false;
  double hourly_usd = 0;        // price used for the mix (spot includes the allowance)
  std::int64_t cpu_milli = 0;   // usable (allocatable x target utilisation)
  std::int64_t memory_mib = 0;  // usable
  int max_pods = 110;
  int gpu_count = 0;
};

struct SizingOptions {
  pricing::Provider provider = pricing::Provider::kAws;
  std::string region;                         // empty: the catalog's region for the provider
  bool spot_ok = false;                       // add spot options where the catalog has a spot price
  double spot_interruption_allowance = 0.10;  // spot price x (1 + allowance)
  double target_utilization = 0.8;            // of allocatable CPU and memory
  std::vector<std::string> families;  // instance type prefixes to keep ("m5", "c6i"); empty = all
  // CPU architectures to keep ("amd64", "arm64"; the catalog's "x64"/"Arm64" are normalised);
  // empty = all. Rows without an architecture are kept.
  std::vector<std::string> architectures;
};

// "amd64" for amd64/x64/x86_64, "arm64" for arm64/Arm64/aarch64, "" otherwise.
std::string normalizeArch(std::string_view arch);

// Options from the catalog, dominated ones removed (another option at most as expensive with at
// least the capacity in every dimension). Error when nothing is left.
Result<std::vector<InstanceOption>> catalogOptions(const pricing::Catalog& catalog,
                                                   const SizingOptions& options);

struct NodeCount {
  std::string instance_type;
  bool spot = false;
  int count = 0;
  double hourly_usd = 0;  // per node
};

struct UnplaceablePod {
  std::string name;
  std::string reason;
};

// One node of the mix: the option (index into the options given) and the pods (indexes into
// the pods given) with the devices each uses.
struct SizedNode {
  int option = -1;
  std::vector<std::size_t> pods;
  std::vector<GpuMask> gpus;
};

struct SizingResult {
  std::vector<SizedNode> mix_nodes;
  std::vector<NodeCount> mix;
  double mix_hourly_usd = 0;
  std::vector<NodeCount> ffd;
  double ffd_hourly_usd = 0;
  double lp_bound_hourly_usd = 0;
  double gap_pct = 0;        // (mix - lp_bound) / lp_bound x 100
  std::string bound_method;  // "clp" or "per-dimension"
  std::size_t pods_sized = 0;
  std::vector<UnplaceablePod> unplaceable;  // pods no option can hold, with the reason
};

// REQUIRES: options non-empty (from catalogOptions or hand-made for tests).
Result<SizingResult> sizePool(std::span<const PodSpec> pods,
                              std::span<const InstanceOption> options);

}  // namespace trimtab::plan
