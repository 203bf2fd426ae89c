#include "state/change_journal.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

#include "support/fixture_tree.h"

using namespace jmem;
using namespace jmem::test;
using nlohmann::json;

namespace {

std::unique_ptr<ChangeJournal> openJournal(const std::filesystem::path& dir,
                                           ChangeJournalLimits limits = {}) {
  auto journal = ChangeJournal::open(dir, limits);
  INFO((journal ? "" : journal.error().message));
  REQUIRE(journal.ok());
  return std::move(*journal);
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) result.push_back(line);
  return result;
}

ChangeIntent maskIntent(const std::string& unit, const std::string& txn = "t1") {
  return ChangeIntent{
      txn, "unit_file", unit, {{"unit_file_state", "enabled"}}, {{"unit_file_state", "masked"}}};
}

std::uint64_t record(ChangeJournal& journal, const ChangeIntent& intent) {
  auto seq = journal.recordIntent(intent);
  INFO((seq ? "" : seq.error().message));
  REQUIRE(seq.ok());
  return *seq;
}

std::vector<std::uint64_t> pendingSeqs(const ChangeJournal& journal) {
  std::vector<std::uint64_t> seqs;
  for (const auto& change : journal.pendingForRevert()) seqs.push_back(change.seq);
  return seqs;
}

// One intent line as recordIntent writes it, for files built by hand.
std::string intentLine(std::uint64_t seq, const std::string& target) {
  return json{{"seq", seq},
              {"txn", "t1"},
              {"state", "intent"},
              {"kind", "unit_file"},
              {"target", target},
              {"before", json::object()},
              {"after", json::object()},
              {"time_usec", 1}}
             .dump() +
         "\n";
}

}  // namespace

TEST_CASE("an intent is on disk, whole and synced, before recordIntent returns", "[state]") {
  FixtureTree tree;
  auto journal = openJournal(tree.path("jmem"));
  const std::uint64_t seq = record(*journal, maskIntent("gdm3.service", "txn-a"));

  // Read back through another file description, before anything else touches the journal.
  const auto file = lines(readFile(tree.path("jmem/changes.jsonl")));
  REQUIRE(file.size() == 1);
  const json line = json::parse(file[0]);
  CHECK(line["seq"] == seq);
  CHECK(line["txn"] == "txn-a");
  CHECK(line["state"] == "intent");
  CHECK(line["kind"] == "unit_file");
  CHECK(line["target"] == "gdm3.service");
  CHECK(line["before"] == json{{"unit_file_state", "enabled"}});
  CHECK(line["after"] == json{{"unit_file_state", "masked"}});
  CHECK(line["time_usec"].get<std::uint64_t>() > 1600000000000000u);
  CHECK(file[0].rfind("{\"seq\":", 0) == 0);  // seq leads, for a person reading the file
}

TEST_CASE("a new journal makes its directory and file private to their owner", "[state]") {
  FixtureTree tree;
  auto journal = openJournal(tree.path("var/lib/jmem"));
  struct stat dir_info {};
  struct stat file_info {};
  REQUIRE(::stat(tree.path("var/lib/jmem").c_str(), &dir_info) == 0);
  REQUIRE(::stat(tree.path("var/lib/jmem/changes.jsonl").c_str(), &file_info) == 0);
  CHECK((dir_info.st_mode & 07777) == 0700);
  CHECK((file_info.st_mode & 07777) == 0600);
  CHECK(journal->problems().empty());
  CHECK(journal->pendingForRevert().empty());
}

TEST_CASE("every line of a change repeats what it is about, with its new state", "[state]") {
  FixtureTree tree;
  auto journal = openJournal(tree.path("jmem"));
  const auto seq = record(*journal, maskIntent("gdm3.service"));
  REQUIRE(journal->recordOutcome(seq, ChangeState::kDone).ok());
  REQUIRE(journal->markReverted(seq).ok());

  const auto file = lines(readFile(tree.path("jmem/changes.jsonl")));
  REQUIRE(file.size() == 3);
  CHECK(json::parse(file[1])["state"] == "done");
  CHECK(json::parse(file[2])["state"] == "reverted");
  for (const auto& text : file) {
    const json line = json::parse(text);
    CHECK(line["seq"] == seq);
    CHECK(line["target"] == "gdm3.service");
    CHECK(line["before"] == json{{"unit_file_state", "enabled"}});
  }
}

TEST_CASE("pending changes come newest first, and reverted ones drop out", "[state]") {
  FixtureTree tree;
  auto journal = openJournal(tree.path("jmem"));
  const auto target = record(*journal, {"t1",
                                        "default_target",
                                        "default.target",
                                        {{"target", "graphical.target"}},
                                        {{"target", "multi-user.target"}}});
  const auto mask = record(*journal, maskIntent("gdm3.service"));
  const auto stop = record(
      *journal,
      {"t1", "unit_active", "gdm3.service", {{"active_state", "active"}}, {{"active_state", "inactive"}}});
  for (const auto seq : {target, mask, stop}) REQUIRE(journal->recordOutcome(seq, ChangeState::kDone).ok());

  CHECK(pendingSeqs(*journal) == std::vector<std::uint64_t>{stop, mask, target});
  REQUIRE(journal->markReverted(stop).ok());
  CHECK(pendingSeqs(*journal) == std::vector<std::uint64_t>{mask, target});
  const auto pending = journal->pendingForRevert();
  CHECK(pending[1].kind == "default_target");
  CHECK(pending[1].before == json{{"target", "graphical.target"}});
  CHECK(pending[1].state == ChangeState::kDone);
}

TEST_CASE("an intent without an outcome counts as pending, and so does a failed change", "[state]") {
  FixtureTree tree;
  auto journal = openJournal(tree.path("jmem"));
  const auto failed = record(*journal, maskIntent("avahi-daemon.service"));
  REQUIRE(journal->recordOutcome(failed, ChangeState::kFailed).ok());
  const auto unknown = record(*journal, maskIntent("gdm3.service"));  // killed before recording "done"

  const auto pending = journal->pendingForRevert();
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].seq == unknown);
  CHECK(pending[0].state == ChangeState::kIntent);
  CHECK(pending[1].seq == failed);
  CHECK(pending[1].state == ChangeState::kFailed);
}

TEST_CASE("reopening after a crash finds every change in its last recorded state", "[state]") {
  FixtureTree tree;
  std::uint64_t done = 0;
  std::uint64_t reverted = 0;
  std::uint64_t unknown = 0;
  {
    auto journal = openJournal(tree.path("jmem"));
    done = record(*journal, maskIntent("a.service"));
    REQUIRE(journal->recordOutcome(done, ChangeState::kDone).ok());
    reverted = record(*journal, maskIntent("b.service"));
    REQUIRE(journal->markReverted(reverted).ok());
    unknown = record(*journal, maskIntent("c.service"));
  }  // the process dies here: no destructor of ours writes anything

  auto journal = openJournal(tree.path("jmem"));
  CHECK(journal->problems().empty());
  CHECK(pendingSeqs(*journal) == std::vector<std::uint64_t>{unknown, done});
  CHECK(journal->find(reverted)->state == ChangeState::kReverted);
  CHECK(journal->find(unknown)->target == "c.service");
  // Sequence numbers go on from where they were.
  CHECK(record(*journal, maskIntent("d.service")) == unknown + 1);
}

TEST_CASE("every intent a process saw recorded survives its SIGKILL", "[state]") {
  FixtureTree tree;
  int report[2];
  REQUIRE(::pipe(report) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Records as fast as it can and tells the parent each number once recordIntent has returned.
    ::close(report[0]);
    auto journal = ChangeJournal::open(tree.path("jmem"));
    if (!journal) ::_exit(1);
    for (int i = 0;; ++i) {
      auto seq = (*journal)->recordIntent(maskIntent("unit" + std::to_string(i) + ".service"));
      if (!seq || ::write(report[1], &*seq, sizeof *seq) != static_cast<ssize_t>(sizeof *seq)) ::_exit(1);
    }
  }
  ::close(report[1]);
  std::uint64_t last_seen = 0;
  for (int i = 0; i < 20; ++i) REQUIRE(::read(report[0], &last_seen, sizeof last_seen) == sizeof last_seen);
  ::kill(child, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
  // Numbers it wrote to the pipe after the 20th one count too.
  for (std::uint64_t seq = 0; ::read(report[0], &seq, sizeof seq) == sizeof seq;) last_seen = seq;
  ::close(report[0]);

  auto journal = openJournal(tree.path("jmem"));  // the lock died with the process
  const auto pending = journal->pendingForRevert();
  REQUIRE(pending.size() >= last_seen);
  for (std::uint64_t seq = 1; seq <= last_seen; ++seq) {
    const auto change = journal->find(seq);
    REQUIRE(change.has_value());
    CHECK(change->state == ChangeState::kIntent);
    CHECK(change->target == "unit" + std::to_string(seq - 1) + ".service");
  }
  CHECK(journal->problems().size() <= 1);  // at most the line it was writing when it died
  CHECK_FALSE(journal->damaged());
}

TEST_CASE("a torn last line is dropped and reported, and the journal still opens", "[state]") {
  FixtureTree tree;
  const std::string whole = intentLine(1, "gdm3.service");
  const std::string torn = intentLine(2, "avahi-daemon.service").substr(0, 40);
  tree.write("jmem/changes.jsonl", whole + torn);

  auto journal = openJournal(tree.path("jmem"));
  REQUIRE(journal->problems().size() == 1);
  CHECK(journal->problems()[0].repaired);
  CHECK_FALSE(journal->damaged());
  CHECK_THAT(
      journal->problemMessages()[0],
      Catch::Contains("changes.jsonl:2: dropped a torn last line of 40 bytes (a write cut short by a crash"));
  CHECK(pendingSeqs(*journal) == std::vector<std::uint64_t>{1});
  CHECK(readFile(tree.path("jmem/changes.jsonl")) == whole);  // cut back to the last whole line

  // The next record starts on a line of its own, and the file reads cleanly from then on.
  const auto seq = record(*journal, maskIntent("x.service"));
  CHECK(seq == 2);
  journal.reset();
  auto reopened = openJournal(tree.path("jmem"));
  CHECK(reopened->problems().empty());
  CHECK(pendingSeqs(*reopened) == std::vector<std::uint64_t>{2, 1});
}

TEST_CASE("a line that is no record is set aside and reported with its line number", "[state]") {
  FixtureTree tree;
  tree.write("jmem/changes.jsonl",
             intentLine(1, "a.service") + "not json\n" + "{\"seq\":2}\n" +
                 "{\"seq\":9,\"txn\":\"t\",\"state\":\"done\",\"kind\":\"k\",\"target\":\"x\","
                 "\"before\":{},\"after\":{},\"time_usec\":1}\n" +
                 intentLine(3, "c.service"));
  auto journal = openJournal(tree.path("jmem"));
  const auto problems = journal->problemMessages();
  REQUIRE(problems.size() == 3);
  CHECK_THAT(problems[0], Catch::EndsWith("changes.jsonl:2: not a JSON object"));
  CHECK_THAT(problems[1], Catch::EndsWith("changes.jsonl:3: no \"txn\""));
  CHECK_THAT(problems[2], Catch::EndsWith(":4: the done of change 9, which has no intent before it"));
  CHECK(journal->damaged());
  CHECK(pendingSeqs(*journal) == std::vector<std::uint64_t>{3, 1});
  CHECK(record(*journal, maskIntent("d.service")) == 10);  // never reuses a number seen in the file
}

TEST_CASE("an outcome is done or failed, recorded once, for a change that exists", "[state]") {
  FixtureTree tree;
  auto journal = openJournal(tree.path("jmem"));
  const auto seq = record(*journal, maskIntent("gdm3.service"));
  CHECK(journal->recordOutcome(seq, ChangeState::kReverted).error().errno_value == EINVAL);
  REQUIRE(journal->recordOutcome(seq, ChangeState::kDone).ok());
  const auto again = journal->recordOutcome(seq, ChangeState::kFailed);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().message == "Failed to record the outcome of change 1: it is already done");
  const auto missing = journal->recordOutcome(42, ChangeState::kDone);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "Failed to record the outcome of change 42: no such change");
  CHECK_FALSE(journal->markReverted(42).ok());
  REQUIRE(journal->markReverted(seq).ok());
  REQUIRE(journal->markReverted(seq).ok());  // twice is no error, and writes nothing more
  CHECK(lines(readFile(journal->path())).size() == 3);
}

TEST_CASE("only one process at a time has the journal open", "[state]") {
  FixtureTree tree;
  auto first = openJournal(tree.path("jmem"));
  const auto second = ChangeJournal::open(tree.path("jmem"));
  REQUIRE_FALSE(second.ok());
  CHECK_THAT(second.error().message, Catch::EndsWith("another process has the change journal open"));
  first.reset();
  CHECK(ChangeJournal::open(tree.path("jmem")).ok());
}

TEST_CASE("a record over 64 KiB is refused, and nothing is written", "[state]") {
  FixtureTree tree;
  auto journal = openJournal(tree.path("jmem"));
  ChangeIntent intent = maskIntent("big.service");
  // Each value within the schema's 4096 bytes, together over the line's limit.
  intent.before = json::object();
  intent.after = json::object();
  for (const char key : std::string("abcdefghijklmnop")) {
    intent.before[std::string(1, key)] = std::string(4000, 'x');
    intent.after[std::string(1, key)] = std::string(4000, 'y');
  }
  const auto seq = journal->recordIntent(intent);
  REQUIRE_FALSE(seq.ok());
  CHECK(seq.error().errno_value == EMSGSIZE);
  CHECK_THAT(seq.error().message,
             Catch::StartsWith("Failed to record the change to big.service: its record of"));
  CHECK(readFile(journal->path()).empty());
  CHECK(journal->pendingForRevert().empty());
}

TEST_CASE("a line over 64 KiB in the file is set aside at open", "[state]") {
  FixtureTree tree;
  tree.write("jmem/changes.jsonl", std::string(70 * 1024, ' ') + "\n" + intentLine(1, "a.service"));
  auto journal = openJournal(tree.path("jmem"));
  REQUIRE(journal->problems().size() == 1);
  CHECK_THAT(journal->problemMessages()[0],
             Catch::EndsWith(":1: a line of 71681 bytes, over the limit of 65536"));
  CHECK(pendingSeqs(*journal) == std::vector<std::uint64_t>{1});
}

TEST_CASE("a journal file over 16 MiB is refused at open with a clear error", "[state]") {
  FixtureTree tree;
  tree.write("jmem/changes.jsonl", "");
  std::filesystem::resize_file(tree.path("jmem/changes.jsonl"), 16 * 1024 * 1024 + 1);
  const auto journal = ChangeJournal::open(tree.path("jmem"));
  REQUIRE_FALSE(journal.ok());
  CHECK_THAT(journal.error().message,
             Catch::EndsWith("changes.jsonl: larger than its limit of 16777216 bytes"));
}

TEST_CASE("an intent that would pass the file limit first compacts away reverted changes", "[state]") {
  FixtureTree tree;
  const ChangeJournalLimits limits{.max_line_bytes = 1024, .max_file_bytes = 4096};
  auto journal = openJournal(tree.path("jmem"), limits);
  std::uint64_t last = 0;
  for (int i = 0; i < 40; ++i) {  // far more than 4096 bytes of lines in all
    last = record(*journal, maskIntent("unit" + std::to_string(i) + ".service"));
    REQUIRE(journal->recordOutcome(last, ChangeState::kDone).ok());
    REQUIRE(journal->markReverted(last).ok());
  }
  const auto kept = record(*journal, maskIntent("kept.service"));
  CHECK(kept == last + 1);
  CHECK(std::filesystem::file_size(journal->path()) <= limits.max_file_bytes);
  CHECK(pendingSeqs(*journal) == std::vector<std::uint64_t>{kept});

  journal.reset();
  auto reopened = openJournal(tree.path("jmem"), limits);
  CHECK(reopened->problems().empty());
  CHECK(pendingSeqs(*reopened) == std::vector<std::uint64_t>{kept});
  CHECK(record(*reopened, maskIntent("next.service")) == kept + 1);
}

TEST_CASE("when changes not yet reverted fill the file, intents are refused but they can still be reverted",
          "[state]") {
  FixtureTree tree;
  const ChangeJournalLimits limits{.max_line_bytes = 1024, .max_file_bytes = 4096};
  auto journal = openJournal(tree.path("jmem"), limits);
  std::vector<std::uint64_t> recorded;
  for (;;) {
    auto seq = journal->recordIntent(maskIntent("unit" + std::to_string(recorded.size()) + ".service"));
    if (!seq) {
      CHECK(seq.error().errno_value == EFBIG);
      CHECK_THAT(seq.error().message, Catch::Contains("changes not yet reverted; revert them first"));
      break;
    }
    recorded.push_back(*seq);
    REQUIRE(recorded.size() < 100);
  }
  REQUIRE(recorded.size() > 2);
  // The room for every outcome and revert was kept back.
  for (const auto seq : recorded) REQUIRE(journal->recordOutcome(seq, ChangeState::kDone).ok());
  for (const auto seq : recorded) REQUIRE(journal->markReverted(seq).ok());
  CHECK(journal->pendingForRevert().empty());
  CHECK(journal->recordIntent(maskIntent("after.service")).ok());
}

TEST_CASE("change states read and print as their names", "[state]") {
  for (const auto state :
       {ChangeState::kIntent, ChangeState::kDone, ChangeState::kFailed, ChangeState::kReverted}) {
    CHECK(parseChangeState(toString(state)) == state);
  }
  CHECK_FALSE(parseChangeState("Done").has_value());
  const auto a = ChangeJournal::newTransactionId();
  const auto b = ChangeJournal::newTransactionId();
  CHECK(a != b);
}

TEST_CASE("a journal cut anywhere in its last line opens with every earlier change and a note", "[state]") {
  FixtureTree tree;
  const std::string first = intentLine(1, "gdm3.service");
  const std::string last = intentLine(2, "avahi-daemon.service");
  // Every length a torn write can leave: from one byte up to all but the newline.
  for (std::size_t cut = 1; cut < last.size(); ++cut) {
    tree.write("jmem/changes.jsonl", first + last.substr(0, cut));
    auto journal = openJournal(tree.path("jmem"));
    INFO("cut after " << cut << " bytes");
    REQUIRE(journal->problems().size() == 1);
    CHECK(journal->problems()[0].repaired);
    CHECK(journal->problems()[0].line == 2);
    if (cut == last.size() - 1) {
      // Whole but for its newline: kept, and the newline added.
      CHECK(pendingSeqs(*journal) == std::vector<std::uint64_t>{2, 1});
      CHECK(readFile(tree.path("jmem/changes.jsonl")) == first + last);
    } else {
      CHECK(pendingSeqs(*journal) == std::vector<std::uint64_t>{1});
      CHECK(readFile(tree.path("jmem/changes.jsonl")) == first);
    }
  }
}

TEST_CASE("a line set aside stays in the file and keeps it from being compacted", "[state]") {
  FixtureTree tree;
  const ChangeJournalLimits limits{.max_line_bytes = 1024, .max_file_bytes = 4096, .compact_above_bytes = 0};
  const std::string damaged = intentLine(1, "a.service") + "{\"seq\":\n";
  tree.write("jmem/changes.jsonl", damaged);
  auto journal = openJournal(tree.path("jmem"), limits);
  CHECK(journal->damaged());
  const auto seq = record(*journal, maskIntent("b.service"));
  REQUIRE(journal->markReverted(seq).ok());
  const auto compacted = journal->compact();
  REQUIRE_FALSE(compacted.ok());
  CHECK_THAT(compacted.error().message, Catch::Contains("it has lines set aside, kept for a person to read"));
  CHECK(readFile(journal->path()).rfind(damaged, 0) == 0);  // the file still starts with them
}

TEST_CASE("a state line that does not repeat its intent is set aside", "[state]") {
  FixtureTree tree;
  json forged = json::parse(intentLine(1, "gdm3.service"));
  forged["state"] = "done";
  forged["target"] = "ssh.service";
  tree.write("jmem/changes.jsonl", intentLine(1, "gdm3.service") + forged.dump() + "\n");
  auto journal = openJournal(tree.path("jmem"));
  REQUIRE(journal->problemMessages().size() == 1);
  CHECK_THAT(journal->problemMessages()[0],
             Catch::EndsWith(":2: the done of change 1 does not repeat its intent (line 1)"));
  CHECK(journal->find(1)->state == ChangeState::kIntent);
}

TEST_CASE("a second outcome for a change is set aside", "[state]") {
  FixtureTree tree;
  auto journal = openJournal(tree.path("jmem"));
  const auto seq = record(*journal, maskIntent("gdm3.service"));
  REQUIRE(journal->recordOutcome(seq, ChangeState::kFailed).ok());
  journal.reset();
  auto text = readFile(tree.path("jmem/changes.jsonl"));
  json again = json::parse(lines(text)[1]);
  again["state"] = "done";
  tree.write("jmem/changes.jsonl", text + again.dump() + "\n");
  auto reopened = openJournal(tree.path("jmem"));
  REQUIRE(reopened->problemMessages().size() == 1);
  CHECK_THAT(reopened->problemMessages()[0],
             Catch::EndsWith(":3: a second outcome for change 1, already failed"));
  CHECK(reopened->find(seq)->state == ChangeState::kFailed);
}

TEST_CASE("a change its owner rejects is set aside with the line of its intent and is no longer pending",
          "[state]") {
  FixtureTree tree;
  auto journal = openJournal(tree.path("jmem"));
  const auto kept = record(*journal, maskIntent("a.service"));
  const auto forged = record(*journal, maskIntent("b.service"));
  CHECK_FALSE(journal->damaged());
  journal->reject(forged, "rejected a unit_file record: no reason to trust it");
  CHECK(journal->damaged());
  CHECK(pendingSeqs(*journal) == std::vector<std::uint64_t>{kept});
  REQUIRE(journal->problemMessages().size() == 1);
  CHECK_THAT(journal->problemMessages()[0],
             Catch::EndsWith("changes.jsonl:2: rejected a unit_file record: no reason to trust it"));
  // Sequence numbers still never repeat.
  CHECK(record(*journal, maskIntent("c.service")) == forged + 1);
}

TEST_CASE("a journal that grows with reverted changes compacts itself after a revert", "[state]") {
  FixtureTree tree;
  const ChangeJournalLimits limits{
      .max_line_bytes = 1024, .max_file_bytes = 1 << 20, .compact_above_bytes = 8192};
  auto journal = openJournal(tree.path("jmem"), limits);
  std::uintmax_t largest = 0;
  for (int i = 0; i < 200; ++i) {
    const auto seq = record(*journal, maskIntent("unit" + std::to_string(i) + ".service"));
    REQUIRE(journal->recordOutcome(seq, ChangeState::kDone).ok());
    REQUIRE(journal->markReverted(seq).ok());
    largest = std::max(largest, std::filesystem::file_size(journal->path()));
  }
  CHECK(largest <= 8192 + 1024);  // never far past the threshold, although 200 changes take ~90 KiB
  const auto pending = record(*journal, maskIntent("kept.service"));
  journal.reset();
  auto reopened = openJournal(tree.path("jmem"), limits);
  CHECK(reopened->problems().empty());
  CHECK(pendingSeqs(*reopened) == std::vector<std::uint64_t>{pending});
  CHECK(record(*reopened, maskIntent("next.service")) == pending + 1);
}

TEST_CASE("a large journal that is mostly history is compacted when it opens", "[state]") {
  FixtureTree tree;
  std::string text;
  for (std::uint64_t seq = 1; seq <= 100; ++seq) {
    json reverted = json::parse(intentLine(seq, "u.service"));
    reverted["state"] = "reverted";
    text += intentLine(seq, "u.service") + reverted.dump() + "\n";
  }
  text += intentLine(101, "live.service");
  tree.write("jmem/changes.jsonl", text);
  const ChangeJournalLimits limits{
      .max_line_bytes = 1024, .max_file_bytes = 1 << 20, .compact_above_bytes = 4096};
  auto journal = openJournal(tree.path("jmem"), limits);
  CHECK(std::filesystem::file_size(journal->path()) < 1024);
  CHECK(pendingSeqs(*journal) == std::vector<std::uint64_t>{101});
  CHECK_FALSE(journal->find(100).has_value());
  CHECK(record(*journal, maskIntent("next.service")) == 102);
}

TEST_CASE("a journal that is a symbolic link is refused and its target left untouched", "[state]") {
  FixtureTree tree;
  tree.write("victim", "precious\n");
  std::filesystem::create_directory(tree.path("jmem"));
  std::filesystem::permissions(tree.path("jmem"), std::filesystem::perms::owner_all);
  std::filesystem::create_symlink(tree.path("victim"), tree.path("jmem/changes.jsonl"));
  const auto journal = ChangeJournal::open(tree.path("jmem"));
  REQUIRE_FALSE(journal.ok());
  CHECK_THAT(journal.error().message, Catch::EndsWith("changes.jsonl: it is a symbolic link"));
  CHECK_THAT(journal.error().message, Catch::StartsWith("Refusing to open "));
  CHECK(readFile(tree.path("victim")) == "precious\n");
}

TEST_CASE("a journal that is a FIFO is refused at once instead of blocking", "[state]") {
  FixtureTree tree;
  std::filesystem::create_directory(tree.path("jmem"));
  std::filesystem::permissions(tree.path("jmem"), std::filesystem::perms::owner_all);
  REQUIRE(::mkfifo(tree.path("jmem/changes.jsonl").c_str(), 0600) == 0);
  const auto start = std::chrono::steady_clock::now();
  const auto journal = ChangeJournal::open(tree.path("jmem"));
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(journal.ok());
  CHECK_THAT(journal.error().message, Catch::EndsWith("changes.jsonl: it is a FIFO"));
  CHECK(took < std::chrono::seconds(1));
}

TEST_CASE("a journal with a second hard link is refused", "[state]") {
  FixtureTree tree;
  tree.write("jmem/changes.jsonl", intentLine(1, "a.service"));
  std::filesystem::create_hard_link(tree.path("jmem/changes.jsonl"), tree.path("elsewhere"));
  const auto journal = ChangeJournal::open(tree.path("jmem"));
  REQUIRE_FALSE(journal.ok());
  CHECK_THAT(journal.error().message, Catch::EndsWith("changes.jsonl: it has 2 hard links"));
}

TEST_CASE("a compaction never writes through a link left at its temporary name", "[state]") {
  FixtureTree tree;
  tree.write("victim", "precious\n");
  const ChangeJournalLimits limits{
      .max_line_bytes = 1024, .max_file_bytes = 1 << 20, .compact_above_bytes = 0};
  auto journal = openJournal(tree.path("jmem"), limits);
  std::filesystem::create_symlink(tree.path("victim"), tree.path("jmem/changes.jsonl.tmp"));
  const auto seq = record(*journal, maskIntent("a.service"));
  REQUIRE(journal->markReverted(seq).ok());
  REQUIRE(journal->compact().ok());
  CHECK(readFile(tree.path("victim")) == "precious\n");
  CHECK(std::filesystem::is_regular_file(std::filesystem::symlink_status(journal->path())));
}

TEST_CASE("the journal's history keeps reverted changes, oldest first, until compaction drops them",
          "[state]") {
  FixtureTree tree;
  auto journal = openJournal(tree.path("jmem"));
  const auto first = record(*journal, maskIntent("a.service"));
  REQUIRE(journal->recordOutcome(first, ChangeState::kDone).ok());
  REQUIRE(journal->markReverted(first).ok());
  const auto second = record(*journal, maskIntent("b.service", "t2"));
  REQUIRE(journal->recordOutcome(second, ChangeState::kFailed).ok());

  const auto history = journal->history();
  REQUIRE(history.size() == 2);
  CHECK(history[0].target == "a.service");
  CHECK(history[0].state == ChangeState::kReverted);
  CHECK(history[0].state_time_usec >= history[0].intent_time_usec);
  CHECK(history[1].target == "b.service");
  CHECK(history[1].state == ChangeState::kFailed);

  REQUIRE(journal->compact().ok());
  const auto compacted = journal->history();
  REQUIRE(compacted.size() == 1);
  CHECK(compacted[0].target == "b.service");
}

TEST_CASE("a journal's revision moves with every line it writes and differs from any other journal's",
          "[state]") {
  FixtureTree one;
  FixtureTree two;
  auto a = openJournal(one.path("jmem"));
  auto b = openJournal(two.path("jmem"));
  CHECK(a->revision() != b->revision());
  const auto before = a->revision();
  const auto seq = record(*a, maskIntent("a.service"));
  const auto after_intent = a->revision();
  CHECK(after_intent != before);
  REQUIRE(a->recordOutcome(seq, ChangeState::kDone).ok());
  CHECK(a->revision() != after_intent);
  const auto settled = a->revision();
  (void)a->history();
  CHECK(a->revision() == settled);
}
