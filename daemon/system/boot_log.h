#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace jmem {

// The kernel's messages of this boot that contain `text`, one a line, from the journal (jmemd's unit
// keeps it from /dev/kmsg: ProtectKernelLogs=). Only the first `max_messages` kernel messages are
// looked at: what the kernel says while it boots comes first. "" where the journal has none.
std::string kernelBootLines(std::string_view text, std::size_t max_messages = 4096);

}  // namespace jmem
