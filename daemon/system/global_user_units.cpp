#include "system/global_user_units.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

#include "core/file_reader.h"
#include "core/file_writer.h"

namespace jmem {

const char* const GlobalUserUnits::kSearchPath[4] = {"/etc/systemd/user", "/usr/local/lib/systemd/user",
                                                     "/usr/lib/systemd/user", "/lib/systemd/user"};

namespace {

constexpr std::string_view kDevNull = "/dev/null";

enum class Entry { kMissing, kNullSymlink, kOther };

// What is at `path`, without following a final symlink.
Result<Entry> entryAt(const std::filesystem::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Entry::kMissing;
    return systemError("inspect", path.string(), errno);
  }
  if (!S_ISLNK(info.st_mode)) return Entry::kOther;
  char target[64];
  const ssize_t n = ::readlink(path.c_str(), target, sizeof target);
  if (n < 0) return systemError("read the link", path.string(), errno);
  return std::string_view(target, static_cast<std::size_t>(n)) == kDevNull ? Entry::kNullSymlink
                                                                           : Entry::kOther;
}

Error invalidName(std::string_view verb, std::string_view unit) {
  return Error{"Failed to " + std::string(verb) + " " + std::string(unit) + " globally: invalid unit name",
               EINVAL};
}

// "foo@bar.service" -> "foo@.service"; empty for a name that is not an instance.
std::string templateOf(std::string_view unit) {
  const auto at = unit.find('@');
  const auto dot = unit.rfind('.');
  if (at == std::string_view::npos || dot == std::string_view::npos || dot <= at + 1) return {};
  return std::string(unit.substr(0, at + 1)).append(unit.substr(dot));
}

}  // namespace

std::filesystem::path GlobalUserUnits::maskPath(std::string_view unit) const {
  return root_ / "etc/systemd/user" / unit;
}

Result<GlobalUserUnitState> GlobalUserUnits::state(std::string_view unit) const {
  if (!isValidUnitName(unit)) return invalidName("inspect", unit);
  GlobalUserUnitState state;
  auto at_etc = entryAt(maskPath(unit));
  if (!at_etc) return at_etc.error();
  state.etc_entry = *at_etc == Entry::kNullSymlink ? GlobalMaskEntry::kNullSymlink
                    : *at_etc == Entry::kOther     ? GlobalMaskEntry::kOther
                                                   : GlobalMaskEntry::kNone;
  const std::string template_name = templateOf(unit);
  for (const std::string_view name : {unit, std::string_view(template_name)}) {
    if (name.empty()) continue;
    for (const char* dir : kSearchPath) {
      const std::string visible = std::string(dir) + "/" + std::string(name);
      auto entry = entryAt(root_ / visible.substr(1));
      if (!entry) return entry.error();
      if (*entry == Entry::kOther) {
        state.unit_file_exists = true;
        state.unit_file = visible;
        return state;
      }
    }
  }
  return state;
}

Result<bool> GlobalUserUnits::maskGlobal(std::string_view unit) const {
  if (!isValidUnitName(unit)) return invalidName("mask", unit);
  const auto path = maskPath(unit);
  auto entry = entryAt(path);
  if (!entry) return entry.error();
  if (*entry == Entry::kNullSymlink) return false;
  if (*entry == Entry::kOther) {
    return Error{"Failed to mask " + std::string(unit) + " globally: " + path.string() +
                     " exists and is not a link to /dev/null; refusing to replace it",
                 EEXIST};
  }
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (error) return systemError("create", path.parent_path().string(), error.value());
  if (::symlink(kDevNull.data(), path.c_str()) != 0) {
    // Someone else made it in between: what they made decides, as above.
    if (errno == EEXIST) {
      auto now = entryAt(path);
      if (now && *now == Entry::kNullSymlink) return false;
    }
    return systemError("create the link", path.string(), errno);
  }
  auto synced = syncDirectory(path.parent_path());
  if (!synced) return synced.error();
  return true;
}

Result<bool> GlobalUserUnits::unmaskGlobal(std::string_view unit) const {
  if (!isValidUnitName(unit)) return invalidName("unmask", unit);
  const auto path = maskPath(unit);
  auto entry = entryAt(path);
  if (!entry) return entry.error();
  if (*entry == Entry::kMissing) return false;
  if (*entry == Entry::kOther) {
    return Error{"Failed to unmask " + std::string(unit) + " globally: " + path.string() +
                     " is not a link to /dev/null; refusing to remove it",
                 EEXIST};
  }
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return false;
    return systemError("remove", path.string(), errno);
  }
  auto synced = syncDirectory(path.parent_path());
  if (!synced) return synced.error();
  return true;
}

}  // namespace jmem
