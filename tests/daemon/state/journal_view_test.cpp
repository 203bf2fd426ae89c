#include "state/journal_view.h"

#include <catch2/catch.hpp>

#include "support/fixture_tree.h"

using namespace jmem;
using namespace jmem::test;

namespace {

std::unique_ptr<ChangeJournal> openJournal(const std::filesystem::path& dir) {
  auto journal = ChangeJournal::open(dir);
  REQUIRE(journal.ok());
  return std::move(*journal);
}

ChangeIntent intent(const std::string& unit) {
  return {"t1", "unit_file", unit, {{"unit_file_state", "enabled"}}, {{"unit_file_state", "masked"}}};
}

}  // namespace

TEST_CASE("a journal view copies the history only when the journal moved on", "[state]") {
  FixtureTree tree;
  auto journal = openJournal(tree.path("jmem"));
  JournalView view;
  CHECK(view.changes()->empty());
  REQUIRE(journal->recordIntent(intent("a.service")).ok());
  view.publish(*journal);
  const auto first = view.changes();
  REQUIRE(first->size() == 1);
  view.publish(*journal);
  CHECK(view.changes() == first);  // the same copy: nothing moved
  REQUIRE(journal->recordIntent(intent("b.service")).ok());
  view.publish(*journal);
  CHECK(view.changes()->size() == 2);
  CHECK(first->size() == 1);  // what a reader holds does not change under it
}

TEST_CASE("a journal that cannot be opened leaves its problem and the history last seen", "[state]") {
  FixtureTree tree;
  auto journal = openJournal(tree.path("jmem"));
  REQUIRE(journal->recordIntent(intent("a.service")).ok());
  JournalView view;
  view.publish(*journal);
  view.publishProblem("Failed to open /var/lib/jmem/changes.jsonl: Permission denied");
  CHECK(view.problems() ==
        std::vector<std::string>{"Failed to open /var/lib/jmem/changes.jsonl: Permission denied"});
  CHECK(view.changes()->size() == 1);
  // Published again, the same journal is copied afresh: its problems replace the one noted.
  view.publish(*journal);
  CHECK(view.problems().empty());
}
