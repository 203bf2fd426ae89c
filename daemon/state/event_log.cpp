#include "state/event_log.h"

#include <spdlog/spdlog.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include <cstdlib>

namespace jmem {

std::vector<std::string> journalFields(const Event& event) {
  std::vector<std::string> fields = {"MESSAGE=" + event.message, "PRIORITY=" + std::to_string(event.priority),
                                     "SYSLOG_IDENTIFIER=jmemd", "JMEM_EVENT=" + std::string(event.kind)};
  for (const auto& [name, value] : event.fields) fields.push_back("JMEM_" + std::string(name) + "=" + value);
  return fields;
}

void logEvent(const Event& event) {
  if (std::getenv("JOURNAL_STREAM") == nullptr) {
    const auto level = event.priority <= 3   ? spdlog::level::err
                       : event.priority <= 4 ? spdlog::level::warn
                                             : spdlog::level::info;
    spdlog::log(level, "{}", event.message);
    return;
  }
  const auto fields = journalFields(event);
  std::vector<iovec> vectors;
  vectors.reserve(fields.size());
  for (const auto& field : fields) vectors.push_back({const_cast<char*>(field.data()), field.size()});
  // sd_journal_sendv keeps a value with a newline whole, as its binary form.
  if (sd_journal_sendv(vectors.data(), static_cast<int>(vectors.size())) < 0)
    spdlog::log(spdlog::level::warn, "{} (the journal refused this entry)", event.message);
}

}  // namespace jmem
