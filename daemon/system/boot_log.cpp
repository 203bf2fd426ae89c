#include "system/boot_log.h"

#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>

#include "system/journal_ptr.h"

namespace jmem {
std::string kernelBootLines(std::string_view text, std::size_t max_messages) {
  sd_journal* raw = nullptr;
  if (sd_journal_open(&raw, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM) < 0) return {};
  const JournalPtr journal(raw);
  sd_id128_t boot{};
  if (sd_id128_get_boot(&boot) < 0) return {};
  char boot_text[SD_ID128_STRING_MAX];
  const std::string boot_match = std::string("_BOOT_ID=") + sd_id128_to_string(boot, boot_text);
  if (sd_journal_add_match(journal.get(), "_TRANSPORT=kernel", 0) < 0 ||
      sd_journal_add_match(journal.get(), boot_match.c_str(), 0) < 0 ||
      sd_journal_seek_head(journal.get()) < 0)
    return {};
  std::string lines;
  for (std::size_t seen = 0; seen < max_messages && sd_journal_next(journal.get()) > 0; ++seen) {
    const void* data = nullptr;
    size_t length = 0;
    if (sd_journal_get_data(journal.get(), "MESSAGE", &data, &length) < 0) continue;
    const std::string_view message = std::string_view(static_cast<const char*>(data), length).substr(8);
    if (message.find(text) != std::string_view::npos) lines.append(message).push_back('\n');
  }
  return lines;
}

}  // namespace jmem
