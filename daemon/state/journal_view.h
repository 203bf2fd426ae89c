#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "state/change_journal.h"

namespace jmem {

// What a change journal holds and what is wrong with it, as of the last time the thread that owns the
// journal published it, for the loop's thread to answer from (StateProblems, GetChanges) without
// waiting on that thread. Safe to call from any thread.
class JournalView {
 public:
  // Copies the journal's history and problems when its revision moved since the last publish.
  void publish(const ChangeJournal& journal);
  // A journal that could not be opened: its problem alone; the history last published stays.
  void publishProblem(std::string problem);

  std::vector<std::string> problems() const;
  std::shared_ptr<const std::vector<Change>> changes() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> problems_;
  std::shared_ptr<const std::vector<Change>> changes_ = std::make_shared<const std::vector<Change>>();
  std::uint64_t revision_ = 0;  // of the journal last published; 0: none
};

}  // namespace jmem
