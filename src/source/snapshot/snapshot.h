// The snapshot directory (DESIGN.md, "The snapshot directory"; docs/snapshot-format.md):
// Kubernetes JSON (`kubectl get <kind> -o json`), OpenMetrics text files ending in "# EOF", and
// optional pricing YAML. Files are recognised by content, not by name (except that pricing is
// any *.yaml / *.yml). Unknown files are reported, not fatal.
#pragma once

#include <string>
#include <vector>

#include "model/error.h"
#include "model/objects.h"

namespace trimtab::source {

struct SnapshotFiles {
  // Full paths (dir + "/" + name), each list sorted by file name.
  std::vector<std::string> json_files, openmetrics_files, pricing_files;
  // "<path>: <reason>" for every entry that is none of the above.
  std::vector<std::string> skipped;
};

// Lists the regular files directly in dir (not recursive; hidden files are ignored) and
// classifies them:
//   JSON:        first non-space byte '{' and "kind" in the first or last 4 KiB;
//   OpenMetrics: first line starts with "# TYPE", "# HELP", "# UNIT" or a metric name, and the
//                file ends with "# EOF" (optionally followed by whitespace);
//   pricing:     name ends in .yaml or .yml.
// Errors: dir missing or unreadable (kNotFound / kIo).
Result<SnapshotFiles> scanSnapshot(const std::string& dir);

// Decodes every JSON file with model::decodeObjects and merges the objects, in file order.
// Decoder warnings (e.g. skipped kinds) are appended to *warnings when given.
// Errors: the first file that cannot be read or decoded (message names the file).
Result<model::ObjectSet> loadObjects(const SnapshotFiles& files,
                                     std::vector<std::string>* warnings = nullptr);

// Reads a whole file with one read (binary). Errors name the path.
Result<std::string> readFile(const std::string& path);

}  // namespace trimtab::source
