#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "ctl/client.h"
#include "ctl/commands.h"

// What `jmemctl top` draws, live on a terminal or as plain snapshots: one pure function from what
// jmemd said to the lines of a frame, so that both ways draw alike.
namespace jmem::ctl {

struct TopSnapshot {
  GovernorInfo info;
  SystemRecord system;
  ThrottleView throttle;
  std::optional<RoomRecord> room;
  std::vector<LedgerUnit> units;
  std::vector<LedgerProcess> processes;
  std::uint64_t now_usec = 0;  // CLOCK_REALTIME when it was asked for
  bool truncated = false;      // jmemd cut a list short to keep its reply under 4 MiB
};

struct TopView {
  SortKey sort = SortKey::kCost;
  bool units_only = false;
  bool full_command = false;
  std::size_t rows = 20;  // table rows below the header, units and processes together
  std::size_t width = 0;  // columns of the terminal; 0: lines are not cut
  bool header = true;     // the summary above the table (--no-legend drops it and the column titles)
};

// The header lines, then the table: units by the sort key, each with its processes under it (by the
// same key), cut at `rows` and each line at `width`. Colours come from `style`.
std::vector<std::string> renderTopFrame(const TopSnapshot& snapshot, const TopView& view, const Style& style);

// The key a keystroke picks on the live screen, if it picks one: p, v, g, c, n.
std::optional<SortKey> sortKeyOfKey(char key);

}  // namespace jmem::ctl
