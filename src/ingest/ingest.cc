#include "ingest/ingest.h"

#include <fmt/format.h>

#include "model/inventory.h"
#include "pricing/catalog.h"
#include "pricing/custom.h"
#include "pricing/pricer.h"
#include "source/snapshot/openmetrics.h"
#include "source/snapshot/snapshot.h"

namespace trimtab::ingest {

Result<IngestReport> ingestSnapshot(const std::string& dir, store::Store& store,
                                    const IngestOptions& options) {
  IngestReport report;
  auto progress = [&](std::string_view stage, double f) {
    if (options.progress) options.progress(stage, f);
  };
  auto files = source::scanSnapshot(dir);
  if (!files) return fail(files.error());
  report.warnings = files->skipped;
  if (files->openmetrics_files.empty()) {
    return fail(ErrorCode::kNotFound,
                fmt::format("{}: no OpenMetrics files (*.om ending in '# EOF') in the snapshot", dir));
  }
  progress("objects", 0);
  auto objects = source::loadObjects(*files, &report.warnings);
  if (!objects) return fail(objects.error());
  report.objects = objects->size();
  model::Inventory inventory = model::Inventory::build(std::move(*objects));

  std::optional<pricing::CustomPricing> custom;
  std::string pricing_path = options.pricing_file;
  if (pricing_path.empty() && !files->pricing_files.empty()) pricing_path = files->pricing_files.front();
  if (!pricing_path.empty()) {
    auto loaded = pricing::loadCustomPricing(pricing_path);
    if (!loaded) return fail(loaded.error());
    custom = std::move(*loaded);
  }
  const pricing::Pricer pricer(pricing::Catalog::builtin(), std::move(custom));
  Folder folder(options.cluster, &inventory, pricer);

  const auto& om = files->openmetrics_files;
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < om.size(); ++i) {
      progress(pass == 0 ? "inventory" : "usage", static_cast<double>(i) / static_cast<double>(om.size()));
      // Memory-mapped: each pass parses only its own families (SampleSink::wantFamily).
      if (auto s = source::parseOpenMetricsFile(om[i], pass == 0 ? folder.inventorySink()
                                                                 : folder.usageSink());
          !s) {
        return fail(s.error());
      }
    }
    if (pass == 0) folder.finishInventory();
  }
  progress("usage", 1);
  progress("commit", 0);
  std::vector<store::Block> blocks = folder.buildBlocks(store.mutableDimensions());
  report.hour_blocks = blocks.size();
  auto stats = store.commit(std::move(blocks));
  if (!stats) return fail(stats.error());
  progress("commit", 1);
  report.commit = *stats;
  report.fold = folder.stats();
  return report;
}

}  // namespace trimtab::ingest
