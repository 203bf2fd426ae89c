#include "state/journal_view.h"

namespace jmem {

void JournalView::publish(const ChangeJournal& journal) {
  {
    const std::lock_guard lock(mutex_);
    if (revision_ == journal.revision()) return;
  }
  // Copied outside the lock, so that the loop's reads never wait for a copy.
  auto problems = journal.problemMessages();
  auto changes = std::make_shared<const std::vector<Change>>(journal.history());
  const std::lock_guard lock(mutex_);
  problems_ = std::move(problems);
  changes_ = std::move(changes);
  revision_ = journal.revision();
}

void JournalView::publishProblem(std::string problem) {
  const std::lock_guard lock(mutex_);
  problems_ = {std::move(problem)};
  revision_ = 0;
}

std::vector<std::string> JournalView::problems() const {
  const std::lock_guard lock(mutex_);
  return problems_;
}

std::shared_ptr<const std::vector<Change>> JournalView::changes() const {
  const std::lock_guard lock(mutex_);
  return changes_;
}

}  // namespace jmem
