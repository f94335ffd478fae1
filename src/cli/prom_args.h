// The flags that describe a PromQL backend connection, shared by `trimtab backfill` and
// `trimtab agent --prometheus`.
#pragma once

#include <set>
#include <string>

#include "cli/args.h"
#include "model/error.h"
#include "prom/query.h"

namespace trimtab::cli {

// --prometheus --match --header --concurrency --bearer-token-file --basic-auth-user
// --basic-auth-password-file --ca-file --cert-file --key-file
extern const std::set<std::string> kPromValueFlags;
// --insecure-skip-tls-verify --allow-partial
extern const std::set<std::string> kPromBoolFlags;

// Builds the source options from those flags (--prometheus must be present). Errors are usage
// errors naming the flag.
Result<prom::SourceOptions> promSourceOptions(const Args& args);

}  // namespace trimtab::cli
