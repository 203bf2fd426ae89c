#pragma once

#include <systemd/sd-journal.h>

#include <memory>

namespace jmem {

// An open sd_journal, closed with its owner.
struct JournalCloser {
  void operator()(sd_journal* journal) const { sd_journal_close(journal); }
};
using JournalPtr = std::unique_ptr<sd_journal, JournalCloser>;

}  // namespace jmem
