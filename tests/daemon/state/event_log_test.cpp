#include "state/event_log.h"

#include <catch2/catch.hpp>

using namespace jmem;

TEST_CASE("an event becomes journal fields with jmemd's identifier and JMEM_ names, empty ones kept",
          "[state]") {
  const Event e{
      event::kAction, 4, "Froze batch.service", {{"UNIT", "batch.service"}, {"MEMORY_HIGH_BYTES", ""}}};
  CHECK(journalFields(e) == std::vector<std::string>{"MESSAGE=Froze batch.service", "PRIORITY=4",
                                                     "SYSLOG_IDENTIFIER=jmemd", "JMEM_EVENT=action",
                                                     "JMEM_UNIT=batch.service", "JMEM_MEMORY_HIGH_BYTES="});
}

TEST_CASE("an event's message keeps its newlines whole as one field", "[state]") {
  const Event e{event::kPolicyRefused, 3, "Reload refused: 2 problems\n/etc/jmem/policy.toml:4:1: x", {}};
  const auto fields = journalFields(e);
  CHECK(fields.front() == "MESSAGE=Reload refused: 2 problems\n/etc/jmem/policy.toml:4:1: x");
}
