#pragma once

#include "ctl/client.h"
#include "ctl/commands.h"
#include "ctl/options.h"

namespace jmem::ctl {

// `jmemctl top`: on a terminal a live screen, redrawn when jmemd announces a change (never faster than
// its tick) or a key asks, until q; elsewhere, with -b or with --json, snapshots (-n of them, 1 by
// default). Returns the exit code.
int runTopScreen(GovernorClient& client, const CtlOptions& options, const Style& style);

}  // namespace jmem::ctl
