#include "ingest/window_fold.h"

#include <fmt/format.h>

#include "ingest/folder.h"

namespace trimtab::ingest {

namespace {

// Forwards samples whose timestamp is in [from_ms, to_ms); counts those in [count_from, count_to).
class WindowSink final : public source::SampleSink {
 public:
  WindowSink(source::SampleSink& next, std::int64_t from_ms, std::int64_t to_ms, std::int64_t count_from_ms,
             std::int64_t count_to_ms)
      : next_(next), from_(from_ms), to_(to_ms), count_from_(count_from_ms), count_to_(count_to_ms) {}
  void onSample(const source::Sample& s) override {
    if (s.timestamp_ms < from_ || s.timestamp_ms >= to_) return;
    if (s.timestamp_ms >= count_from_ && s.timestamp_ms < count_to_) ++count;
    next_.onSample(s);
  }
  void onType(std::string_view family, std::string_view type) override { next_.onType(family, type); }
  bool wantFamily(std::string_view family) override { return next_.wantFamily(family); }
  std::uint64_t count = 0;

 private:
  source::SampleSink& next_;
  std::int64_t from_, to_, count_from_, count_to_;
};

}  // namespace

Result<WindowFoldReport> foldWindow(store::Store& store, const std::string& cluster,
                                    const pricing::Pricer& pricer, UnixSeconds from, UnixSeconds to,
                                    std::int64_t context_seconds, const FeedFn& feed,
                                    const model::Inventory* inventory) {
  if (from % 3600 != 0 || to % 3600 != 0 || to < from) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("fold window [{}, {}): want hour-aligned bounds with from <= to", from, to));
  }
  WindowFoldReport report;
  Folder folder(cluster, inventory, pricer);
  const std::int64_t from_ms = (from - context_seconds) * 1000, to_ms = (to + context_seconds) * 1000;
  for (int pass = 0; pass < 2; ++pass) {
    WindowSink sink(pass == 0 ? folder.inventorySink() : folder.usageSink(), from_ms, to_ms, from * 1000,
                    to * 1000);
    if (auto s = feed(sink, pass == 1); !s) return fail(s.error());
    if (pass == 0) {
      folder.finishInventory();
      report.samples = sink.count;
    } else {
      report.usage_samples = sink.count;
    }
  }
  std::vector<store::Block> blocks = folder.buildBlocks(store.mutableDimensions());
  std::vector<store::Block> keep;
  for (auto& b : blocks) {
    if (b.start >= from && b.start < to) {
      report.containers += b.containers.size();
      keep.push_back(std::move(b));
    }
  }
  report.hour_blocks = keep.size();
  if (keep.empty()) return report;
  auto stats = store.commit(std::move(keep));
  if (!stats) return fail(stats.error());
  report.hours_written = stats->hour_blocks_written;
  return report;
}

}  // namespace trimtab::ingest
