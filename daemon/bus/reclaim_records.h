#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bus/bus_record.h"

namespace jmem {

// GetReclaim: one knob of NVIDIA's guide, measured (reclaim/report.h).
struct ReclaimRowRecord {
  std::string knob;
  std::uint64_t bytes = 0;       // what it costs now
  std::uint64_t back_bytes = 0;  // what taking it would give back
  std::string guide;             // NVIDIA's figure, as they write it
  std::string way;               // policy, boot argument, reflash, report only
  std::string how;
  std::string taken;  // taken, would take, not in the policy, unknown, report only
  std::vector<std::string> parts;
  friend bool operator==(const ReclaimRowRecord&, const ReclaimRowRecord&) = default;
};

struct ReclaimRecord {
  std::vector<ReclaimRowRecord> rows;
  std::uint64_t policy_would_take_bytes = 0;
  std::uint64_t other_means_bytes = 0;
  std::vector<std::string> notes;  // where a row is an estimate, and why
  friend bool operator==(const ReclaimRecord&, const ReclaimRecord&) = default;
};

BusRecord encodeReclaim(const ReclaimRecord& reclaim);
ReclaimRecord decodeReclaim(const BusRecord& record);

}  // namespace jmem
