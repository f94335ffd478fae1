// Ingests a snapshot directory (see docs/snapshot-format.md) into a store: objects and
// OpenMetrics samples are folded into hour blocks and committed in one transaction.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ingest/folder.h"
#include "model/error.h"
#include "store/store.h"

namespace trimtab::ingest {

struct IngestOptions {
  std::string cluster = "default";
  // A custom pricing YAML; empty = the snapshot's own pricing file if it has one.
  std::string pricing_file;
  // Called with a stage name and the fraction done (0-1) of that stage.
  std::function<void(std::string_view stage, double fraction)> progress;
};

struct IngestReport {
  FoldStats fold;
  store::CommitStats commit;
  std::size_t objects = 0;
  std::size_t hour_blocks = 0;
  std::vector<std::string> warnings;  // skipped files, unknown kinds
};

Result<IngestReport> ingestSnapshot(const std::string& dir, store::Store& store,
                                    const IngestOptions& options);

}  // namespace trimtab::ingest
