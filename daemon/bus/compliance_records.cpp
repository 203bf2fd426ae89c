#include "bus/compliance_records.h"

namespace jmem {

BusRecord encodeCheckItem(const CheckItemRecord& i) {
  return BusRecord{
      {"item", sdbus::Variant(i.kind)},
      {"subject", sdbus::Variant(i.subject)},
      {"class", sdbus::Variant(i.policy_class)},
      {"expected", sdbus::Variant(i.expected)},
      {"actual", sdbus::Variant(i.actual)},
      {"state", sdbus::Variant(i.state)},
      {"policy_location", sdbus::Variant(i.where)},
      {"cost_bytes", sdbus::Variant(i.cost_bytes)},
  };
}

CheckItemRecord decodeCheckItem(const BusRecord& record) {
  CheckItemRecord i;
  readField<std::string>(record, "item", i.kind);
  readField<std::string>(record, "subject", i.subject);
  readField<std::string>(record, "class", i.policy_class);
  readField<std::string>(record, "expected", i.expected);
  readField<std::string>(record, "actual", i.actual);
  readField<std::string>(record, "state", i.state);
  readField<std::string>(record, "policy_location", i.where);
  readField<std::uint64_t>(record, "cost_bytes", i.cost_bytes);
  return i;
}

BusRecord encodePlanChange(const PlanChangeRecord& c) {
  return BusRecord{
      {"action", sdbus::Variant(c.action)},         {"subject", sdbus::Variant(c.subject)},
      {"before", sdbus::Variant(c.before)},         {"after", sdbus::Variant(c.after)},
      {"bytes_back", sdbus::Variant(c.bytes_back)},
  };
}

PlanChangeRecord decodePlanChange(const BusRecord& record) {
  PlanChangeRecord c;
  readField<std::string>(record, "action", c.action);
  readField<std::string>(record, "subject", c.subject);
  readField<std::string>(record, "before", c.before);
  readField<std::string>(record, "after", c.after);
  readField<std::uint64_t>(record, "bytes_back", c.bytes_back);
  return c;
}

BusRecord encodeChangeResult(const ChangeResultRecord& r) {
  return BusRecord{
      {"kind", sdbus::Variant(r.kind)},
      {"target", sdbus::Variant(r.target)},
      {"detail", sdbus::Variant(r.detail)},
      {"ok", sdbus::Variant(r.ok)},
  };
}

ChangeResultRecord decodeChangeResult(const BusRecord& record) {
  ChangeResultRecord r;
  readField<std::string>(record, "kind", r.kind);
  readField<std::string>(record, "target", r.target);
  readField<std::string>(record, "detail", r.detail);
  readField<bool>(record, "ok", r.ok);
  return r;
}

BusRecord encodeJournalChange(const JournalChangeRecord& c) {
  return BusRecord{
      {"journal", sdbus::Variant(c.journal)},
      {"seq", sdbus::Variant(c.seq)},
      {"txn", sdbus::Variant(c.txn)},
      {"kind", sdbus::Variant(c.kind)},
      {"target", sdbus::Variant(c.target)},
      {"state", sdbus::Variant(c.state)},
      {"before", sdbus::Variant(c.before)},
      {"after", sdbus::Variant(c.after)},
      {"intent_time_usec", sdbus::Variant(c.intent_time_usec)},
      {"state_time_usec", sdbus::Variant(c.state_time_usec)},
  };
}

JournalChangeRecord decodeJournalChange(const BusRecord& record) {
  JournalChangeRecord c;
  readField<std::string>(record, "journal", c.journal);
  readField<std::uint64_t>(record, "seq", c.seq);
  readField<std::string>(record, "txn", c.txn);
  readField<std::string>(record, "kind", c.kind);
  readField<std::string>(record, "target", c.target);
  readField<std::string>(record, "state", c.state);
  readField<std::string>(record, "before", c.before);
  readField<std::string>(record, "after", c.after);
  readField<std::uint64_t>(record, "intent_time_usec", c.intent_time_usec);
  readField<std::uint64_t>(record, "state_time_usec", c.state_time_usec);
  return c;
}

}  // namespace jmem
