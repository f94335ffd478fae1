// Folds the samples of a time window into the hour blocks of that window only: the shared core of
// every incremental source (the agent's write-ahead log, the PromQL backfill).
//
// An incremental source cannot see the whole input at once, so it folds hours [from, to) from
// the samples in [from − context, to + context): intervals that straddle the window's edges are
// integrated exactly as a whole-file ingest integrates them, and only blocks that start inside
// the window are committed. Commits replace whole hour blocks and skip identical ones, so folding
// a window again is idempotent.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "model/clock.h"
#include "model/error.h"
#include "model/inventory.h"
#include "pricing/pricer.h"
#include "source/snapshot/openmetrics.h"
#include "store/store.h"

namespace trimtab::ingest {

struct WindowFoldReport {
  std::uint64_t samples = 0;      // inventory samples inside [from, to) (context excluded)
  std::uint64_t usage_samples = 0;
  std::size_t hour_blocks = 0;    // blocks committed (identical ones included)
  std::size_t hours_written = 0;  // blocks that changed the store
  std::size_t containers = 0;     // container rows in the committed blocks
};

// Calls feed(sink, usage_pass) twice — first with the inventory sink (usage_pass false), then
// with the usage sink — and feed must deliver every sample it has for
// [from − context_seconds, to + context_seconds) (others are dropped). Then builds the blocks,
// keeps those starting in [from, to) and commits them in one transaction.
// from and to must be hour-aligned. Errors: feed's error, or the store's.
// inventory (optional, e.g. the objects a Kubernetes reflector keeps) qualifies the samples as
// the snapshot's JSON objects do: labels, annotations, owners, services, volumes; containers it
// does not know are qualified from kube-state-metrics alone.
using FeedFn = std::function<Status(source::SampleSink& sink, bool usage_pass)>;
Result<WindowFoldReport> foldWindow(store::Store& store, const std::string& cluster,
                                    const pricing::Pricer& pricer, UnixSeconds from, UnixSeconds to,
                                    std::int64_t context_seconds, const FeedFn& feed,
                                    const model::Inventory* inventory = nullptr);

}  // namespace trimtab::ingest
