#include "bus/reclaim_records.h"

namespace jmem {

BusRecord encodeReclaim(const ReclaimRecord& reclaim) {
  std::vector<BusRecord> rows;
  for (const ReclaimRowRecord& r : reclaim.rows) {
    rows.push_back(BusRecord{
        {"knob", sdbus::Variant(r.knob)},
        {"bytes", sdbus::Variant(r.bytes)},
        {"back_bytes", sdbus::Variant(r.back_bytes)},
        {"guide", sdbus::Variant(r.guide)},
        {"way", sdbus::Variant(r.way)},
        {"how", sdbus::Variant(r.how)},
        {"taken", sdbus::Variant(r.taken)},
        {"parts", sdbus::Variant(r.parts)},
    });
  }
  return BusRecord{
      {"rows", sdbus::Variant(rows)},
      {"policy_would_take_bytes", sdbus::Variant(reclaim.policy_would_take_bytes)},
      {"other_means_bytes", sdbus::Variant(reclaim.other_means_bytes)},
      {"notes", sdbus::Variant(reclaim.notes)},
  };
}

ReclaimRecord decodeReclaim(const BusRecord& record) {
  ReclaimRecord out;
  std::vector<BusRecord> rows;
  readField<std::vector<BusRecord>>(record, "rows", rows);
  for (const BusRecord& r : rows) {
    ReclaimRowRecord row;
    readField<std::string>(r, "knob", row.knob);
    readField<std::uint64_t>(r, "bytes", row.bytes);
    readField<std::uint64_t>(r, "back_bytes", row.back_bytes);
    readField<std::string>(r, "guide", row.guide);
    readField<std::string>(r, "way", row.way);
    readField<std::string>(r, "how", row.how);
    readField<std::string>(r, "taken", row.taken);
    readField<std::vector<std::string>>(r, "parts", row.parts);
    out.rows.push_back(std::move(row));
  }
  readField<std::uint64_t>(record, "policy_would_take_bytes", out.policy_would_take_bytes);
  readField<std::uint64_t>(record, "other_means_bytes", out.other_means_bytes);
  readField<std::vector<std::string>>(record, "notes", out.notes);
  return out;
}

}  // namespace jmem
