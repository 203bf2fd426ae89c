#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace jmem {

enum class ChangeState { kIntent, kDone, kFailed, kReverted };
std::string_view toString(ChangeState state);
std::optional<ChangeState> parseChangeState(std::string_view text);

// One line of a change journal: {"seq", "txn", "state", "kind", "target", "before", "after",
// "time_usec"}, in that order when jmemd writes it.
struct JournalRecord {
  std::uint64_t seq = 0;
  std::string txn;
  ChangeState state = ChangeState::kIntent;
  std::string kind;
  std::string target;
  nlohmann::json before = nlohmann::json::object();
  nlohmann::json after = nlohmann::json::object();
  std::uint64_t time_usec = 0;
};

// The schema every record of every journal follows; what each kind may say is its owner's to check
// (compliance/journal_schema.h, throttle/journal_schema.h).
//   seq        a whole number from 1 to 2^53
//   txn        1 to 64 of [A-Za-z0-9._-] (it names backup files)
//   state      intent, done, failed or reverted
//   kind       1 to 32 of [a-z_]
//   target     1 to 4096 bytes, no control character
//   before, after  flat objects: at most 16 keys of [a-z_], each a null, boolean, number or a string
//              of at most 4096 bytes without control characters
//   time_usec  a whole number
// and no other key.
inline constexpr std::uint64_t kMaxJournalSeq = std::uint64_t{1} << 53;

// Pure: the record on one line (without its '\n'), or why it is none, as a phrase: "not a JSON object",
// "\"seq\" is not a whole number from 1 to 9007199254740992".
Result<JournalRecord> parseJournalRecord(std::string_view line);

// The line for a record, '\n' included; an error when it would not read back (a string that is not
// UTF-8, a field outside the schema).
Result<std::string> formatJournalRecord(const JournalRecord& record);

}  // namespace jmem
