#include "state/journal_record.h"

#include <algorithm>
#include <cerrno>

#include "core/text.h"

namespace jmem {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxTxnBytes = 64;
constexpr std::size_t kMaxKindBytes = 32;
constexpr std::size_t kMaxKeyBytes = 32;
constexpr std::size_t kMaxStringBytes = 4096;
constexpr std::size_t kMaxMembers = 16;

bool onlyOf(std::string_view text, std::size_t max_bytes, bool (*allowed)(char)) {
  if (text.empty() || text.size() > max_bytes) return false;
  for (const char c : text) {
    if (!allowed(c)) return false;
  }
  return true;
}

bool txnChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

bool keyChar(char c) {
  return (c >= 'a' && c <= 'z') || c == '_';
}

bool hasControl(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

// A key from the file, short and printable, for a message.
std::string quotedKey(std::string_view key) {
  return "\"" + sanitizeName(key.substr(0, kMaxKeyBytes)) + (key.size() > kMaxKeyBytes ? "...\"" : "\"");
}

std::string whyNotFlat(const json& value, const char* name) {
  if (!value.is_object()) return std::string("\"") + name + "\" is not an object";
  if (value.size() > kMaxMembers)
    return std::string("\"") + name + "\" has more than " + std::to_string(kMaxMembers) + " keys";
  for (const auto& [key, member] : value.items()) {
    if (!onlyOf(key, kMaxKeyBytes, keyChar))
      return std::string("\"") + name + "\" has a key " + quotedKey(key);
    const std::string where = std::string("\"") + name + "\"." + key;
    if (member.is_object() || member.is_array()) return where + " is not a plain value";
    if (member.is_string()) {
      const auto& text = member.get_ref<const std::string&>();
      if (text.size() > kMaxStringBytes || hasControl(text)) return where + " is not a short line of text";
    }
  }
  return {};
}

}  // namespace

std::string_view toString(ChangeState state) {
  switch (state) {
    case ChangeState::kIntent:
      return "intent";
    case ChangeState::kDone:
      return "done";
    case ChangeState::kFailed:
      return "failed";
    case ChangeState::kReverted:
      return "reverted";
  }
  return "intent";
}

std::optional<ChangeState> parseChangeState(std::string_view text) {
  for (const auto state :
       {ChangeState::kIntent, ChangeState::kDone, ChangeState::kFailed, ChangeState::kReverted}) {
    if (toString(state) == text) return state;
  }
  return std::nullopt;
}

Result<JournalRecord> parseJournalRecord(std::string_view line) {
  const auto fail = [](std::string why) { return Error{std::move(why), EINVAL}; };
  const json value = json::parse(line, nullptr, false);
  if (value.is_discarded() || !value.is_object()) return fail("not a JSON object");
  for (const auto& [key, member] : value.items()) {
    static constexpr std::string_view kKeys[] = {"seq",    "txn",    "state", "kind",
                                                 "target", "before", "after", "time_usec"};
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys))
      return fail("an unknown key " + quotedKey(key));
  }
  const auto field = [&](const char* key) -> const json* {
    const auto it = value.find(key);
    return it == value.end() ? nullptr : &*it;
  };
  for (const char* key : {"seq", "txn", "state", "kind", "target", "before", "after", "time_usec"}) {
    if (field(key) == nullptr) return fail(std::string("no \"") + key + "\"");
  }

  JournalRecord record;
  const json& seq = *field("seq");
  if (!seq.is_number_unsigned() || seq.get<std::uint64_t>() == 0 || seq.get<std::uint64_t>() > kMaxJournalSeq)
    return fail("\"seq\" is not a whole number from 1 to " + std::to_string(kMaxJournalSeq));
  record.seq = seq.get<std::uint64_t>();
  const json& txn = *field("txn");
  if (!txn.is_string() || !onlyOf(txn.get_ref<const std::string&>(), kMaxTxnBytes, txnChar))
    return fail("\"txn\" is not 1 to 64 of A-Z a-z 0-9 . _ -");
  record.txn = txn.get<std::string>();
  const json& state = *field("state");
  const auto parsed_state = state.is_string() ? parseChangeState(state.get_ref<const std::string&>())
                                              : std::optional<ChangeState>();
  if (!parsed_state) return fail("\"state\" is not intent, done, failed or reverted");
  record.state = *parsed_state;
  const json& kind = *field("kind");
  if (!kind.is_string() || !onlyOf(kind.get_ref<const std::string&>(), kMaxKindBytes, keyChar))
    return fail("\"kind\" is not 1 to 32 of a-z _");
  record.kind = kind.get<std::string>();
  const json& target = *field("target");
  if (!target.is_string() || target.get_ref<const std::string&>().empty() ||
      target.get_ref<const std::string&>().size() > kMaxStringBytes ||
      hasControl(target.get_ref<const std::string&>()))
    return fail("\"target\" is not a short line of text");
  record.target = target.get<std::string>();
  for (const char* key : {"before", "after"}) {
    if (auto why = whyNotFlat(*field(key), key); !why.empty()) return fail(std::move(why));
  }
  record.before = *field("before");
  record.after = *field("after");
  const json& time = *field("time_usec");
  if (!time.is_number_unsigned()) return fail("\"time_usec\" is not a whole number");
  record.time_usec = time.get<std::uint64_t>();
  return record;
}

Result<std::string> formatJournalRecord(const JournalRecord& record) {
  // Written by hand to keep the keys in this order: a person reading the file sees seq and state first.
  std::string text;
  try {
    text = "{\"seq\":" + std::to_string(record.seq);
    text += ",\"txn\":" + json(record.txn).dump();
    text += ",\"state\":\"" + std::string(toString(record.state)) + "\"";
    text += ",\"kind\":" + json(record.kind).dump();
    text += ",\"target\":" + json(record.target).dump();
    text += ",\"before\":" + record.before.dump();
    text += ",\"after\":" + record.after.dump();
    text += ",\"time_usec\":" + std::to_string(record.time_usec) + "}";
  } catch (const json::exception&) {
    return Error{"a string in it is not UTF-8", EINVAL};
  }
  // What is written must read back: the journal never holds a line of its own that it would set aside.
  if (auto back = parseJournalRecord(text); !back) return back.error();
  return text + "\n";
}

}  // namespace jmem
