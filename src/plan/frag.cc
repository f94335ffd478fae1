#include "plan/frag.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace trimtab::plan {

std::vector<TypicalPod> typicalPods(std::span<const PodSpec> pods, double popularity_pct) {
  using Key = std::tuple<std::int64_t, int, int, std::string>;
  std::map<Key, std::pair<std::size_t, std::uint64_t>> counts;  // key -> (count, mask)
  for (const auto& p : pods) {
    const int milli = p.wantsGpu() ? p.gpu_milli : 0;
    const int num = p.wantsGpu() ? p.num_gpu : 0;
    auto& entry = counts[Key{p.cpu_milli, milli, num, p.gpu_spec}];
    ++entry.first;
    entry.second = p.gpu_model_mask;
  }
  std::vector<std::pair<Key, std::pair<std::size_t, std::uint64_t>>> groups(counts.begin(),
                                                                            counts.end());
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) {
    if (a.second.first != b.second.first) return a.second.first > b.second.first;
    const auto& [ca, ma, na, sa] = a.first;
    const auto& [cb, mb, nb, sb] = b.first;
    if (ca != cb) return ca > cb;
    if (ma != mb) return ma > mb;
    if (na != nb) return na > nb;
    return sa > sb;
  });
  const double total = static_cast<double>(pods.size());
  const double wanted = popularity_pct * total / 100.0;
  double cumulative = 0;
  std::vector<TypicalPod> out;
  for (const auto& [key, value] : groups) {
    if (cumulative >= wanted) break;
    const auto& [cpu, milli, num, spec] = key;
    TypicalPod t;
    t.cpu_milli = cpu;
    t.gpu_milli = milli;
    t.num_gpu = num;
    t.gpu_spec = spec;
    t.gpu_model_mask = value.second;
    t.probability = static_cast<double>(value.first);
    cumulative += t.probability;
    out.push_back(std::move(t));
  }
  if (cumulative <= 0) return {};
  for (auto& t : out) t.probability /= cumulative;
  return out;
}

double nodeFragMilli(const NodeState& state, int gpu_model, std::span<const TypicalPod> typical) {
  const int n = state.gpu_count;
  std::int64_t idle = 0;
  for (int i = 0; i < n; ++i) idle += state.gpu_free_milli[static_cast<std::size_t>(i)];
  if (idle == 0) return 0;
  double frag = 0;
  for (const auto& t : typical) {
    if (t.gpu_milli == 0 || gpu_model < 0 ||
        (t.gpu_model_mask != 0 && ((t.gpu_model_mask >> gpu_model) & 1U) == 0) ||
        state.cpu_free_milli < t.cpu_milli) {
      frag += t.probability * static_cast<double>(idle);
      continue;
    }
    int fitting = 0;
    std::int64_t small = 0;
    for (int i = 0; i < n; ++i) {
      const int g = state.gpu_free_milli[static_cast<std::size_t>(i)];
      if (g >= t.gpu_milli) {
        ++fitting;
      } else {
        small += g;
      }
    }
    frag += t.probability * static_cast<double>(fitting >= t.num_gpu ? small : idle);
  }
  return frag;
}

}  // namespace trimtab::plan
