// The `plugins:` section of the Trimtab config file (docs/plugins.md):
//
//   plugins:
//     - name: team-mapping            # optional; default: the file stem
//       path: plugins/label_team.wasm # relative to the config file's folder
//       hook: allocation              # allocation | recommendation | alert
//       sha256: 6196880...            # optional pin (64 hex digits)
//       settings: {labelKey: app, teams: {checkout: payments}, default: platform}
//       limits: {memoryMiB: 64, timeoutMs: 2000, maxInputMiB: 16, maxOutputMiB: 16,
//                batchItems: 1000, maxConsecutiveFailures: 3}
//
// `settings` is any YAML mapping (converted to JSON: plain scalars that read as numbers,
// true/false or null keep that type, everything else is a string) or a JSON string under
// `settingsJson`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/error.h"
#include "plugin/plugin.h"

namespace trimtab::plugin {

// Parses a whole config document and returns its `plugins` entries (none when the key is
// absent). `what` names the file in errors ("trimtab.yaml: plugins[1].hook: ..."); relative
// paths are resolved against `base_dir`.
Result<std::vector<PluginConfig>> parsePluginsConfig(std::string_view yaml_text,
                                                     std::string_view what,
                                                     const std::string& base_dir);

}  // namespace trimtab::plugin
