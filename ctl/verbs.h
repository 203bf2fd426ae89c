#pragma once

#include <span>
#include <string>
#include <string_view>

#include "ctl/commands.h"
#include "ctl/options.h"

namespace jmem::ctl {

// What a verb takes after its name.
enum class Operands { kNone, kFiles, kUnit, kVerb, kSize };

// One row per verb: its name, what it takes, its lines of --help and what runs it. The parser, the
// help text and the dispatch all read this table, so that a verb is added in one place.
struct VerbEntry {
  std::string_view name;
  Verb verb;
  Operands operands;
  std::string_view synopsis;  // after "jmemctl [OPTIONS] ": "top [--units] ..."
  std::string_view help;      // its lines under "Commands:", options included, each ending in a newline
  // Runs it with a client of jmemd, or without one when `client` is null (needs_daemon false).
  int (*run)(GovernorClient* client, const CtlOptions& options, const Style& style);
  bool needs_daemon = true;
};

std::span<const VerbEntry> verbTable();
const VerbEntry* findVerb(std::string_view name);
const VerbEntry& verbEntry(Verb verb);

}  // namespace jmem::ctl
