// Helpers shared by every trimtab command: exit codes, error printing, tables, windows, stores.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cost/window.h"
#include "model/clock.h"
#include "model/error.h"
#include "store/store.h"

namespace trimtab::cli {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

// "trimtab: <message>" on stderr.
void printError(const Error& e);
// 2 for invalid arguments (usage errors), 1 for everything else.
int exitCodeFor(const Error& e);

// "a,b,,c" -> {"a","b","c"}.
std::vector<std::string> splitList(const std::string& s);
// Wall-clock now; TRIMTAB_NOW (unix seconds) pins it so relative windows are reproducible.
UnixSeconds nowSeconds();

std::string money(double v);    // "12.34"
std::string percent(double v);  // 0.123 -> "12.3%"

// Prints rows as an aligned table; the first column left-aligned, the rest right-aligned.
void printTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                const std::vector<std::string>* footer = nullptr);

// Opens --store PATH (required).
Result<std::unique_ptr<store::Store>> openStore(const Args& args, store::OpenMode mode);
// Hour-aligns a window outward; the store resolves whole hours.
cost::Window alignToHours(cost::Window w);
// Parses --window (required) relative to nowSeconds(), hour-aligned.
Result<cost::Window> windowFromArgs(const Args& args);
// Parses --window and opens --store read-only. On failure prints the error and returns the
// exit code; nullopt on success.
std::optional<int> windowAndStore(const Args& args, cost::Window& window,
                                  std::unique_ptr<store::Store>& store);

}  // namespace trimtab::cli
