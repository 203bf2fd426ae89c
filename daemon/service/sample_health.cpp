#include "service/sample_health.h"

#include "core/text.h"

namespace jmem {
namespace {

// At most `max` bytes, cut before a UTF-8 continuation byte so that the text stays valid.
std::string bounded(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "...";
}

}  // namespace

std::string_view toString(SampleState state) {
  return state == SampleState::kStale ? "stale" : "fresh";
}

SampleState sampleState(std::uint64_t last_good_usec, std::uint64_t now_usec,
                        std::chrono::microseconds interval) {
  const std::uint64_t age_usec = now_usec > last_good_usec ? now_usec - last_good_usec : 0;
  const auto limit_usec = kStaleAfterIntervals * static_cast<std::uint64_t>(interval.count());
  return age_usec > limit_usec ? SampleState::kStale : SampleState::kFresh;
}

void SampleHealth::succeeded(std::uint64_t now_usec) {
  last_good_usec_ = now_usec;
  last_error_.clear();
}

void SampleHealth::failed(std::string_view error) {
  last_error_ = error.empty() ? "unknown error" : bounded(terminalSafe(error), kMaxSampleErrorBytes);
  ++failures_;
}

}  // namespace jmem
