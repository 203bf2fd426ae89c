#pragma once

#include <cstdint>
#include <string>

namespace jmem::ctl {

// The user's name from the password database (NSS), made terminal-safe; the number where it has
// none. Each UID is looked up once per run.
std::string userName(std::uint32_t uid);

}  // namespace jmem::ctl
