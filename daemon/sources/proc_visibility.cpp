#include "sources/proc_visibility.h"

#include <limits>
#include <vector>

#include "core/file_reader.h"
#include "core/text.h"

namespace jmem {
namespace {

// Thousands of mounts fit (containers); a longer file is refused rather than read in part.
constexpr std::size_t kMaxMountinfoBytes = 4 << 20;

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// mountinfo escapes space, tab, newline and backslash in paths as \ and three octal digits.
std::string unescapeMountPath(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const auto digits = field.substr(i + 1, 3);
      int value = 0;
      bool octal = true;
      for (char c : digits) {
        octal = octal && c >= '0' && c <= '7';
        value = value * 8 + (c - '0');
      }
      if (octal && value < 256) {
        out.push_back(static_cast<char>(value));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

struct MountLine {
  std::string mount_point;
  std::string_view fstype;
  std::string_view mount_options;
  std::string_view super_options;
};

// "ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS".
std::optional<MountLine> parseMountLine(std::string_view line) {
  const auto fields = split(line, ' ');
  if (fields.size() < 10) return std::nullopt;
  std::size_t dash = 6;
  while (dash < fields.size() && fields[dash] != "-") ++dash;
  if (dash + 3 >= fields.size()) return std::nullopt;
  return MountLine{unescapeMountPath(fields[4]), fields[dash + 1], fields[5], fields[dash + 3]};
}

void applyOption(std::string_view option, ProcVisibility& visibility) {
  const std::size_t equals = option.find('=');
  if (equals == std::string_view::npos) return;
  const std::string_view key = option.substr(0, equals);
  const std::string_view value = option.substr(equals + 1);
  if (key == "hidepid") {
    // Kernels before 5.8 print the number, later ones the name. Unknown values hide: a kernel newer
    // than this parser should not make jmemd show more than /proc does.
    if (value == "0" || value == "off") {
      visibility.hidepid = "off";
    } else if (value == "1" || value == "noaccess") {
      visibility.hidepid = "noaccess";
    } else if (value == "2" || value == "invisible") {
      visibility.hidepid = "invisible";
    } else if (value == "4" || value == "ptraceable") {
      visibility.hidepid = "ptraceable";
    } else {
      visibility.hidepid = "unknown";
    }
    visibility.hides_others = visibility.hidepid != "off";
  } else if (key == "gid") {
    const auto gid = parseUnsigned(value);
    if (gid && *gid <= std::numeric_limits<gid_t>::max() - 1) {
      visibility.exempt_gid = static_cast<gid_t>(*gid);
    } else {
      visibility.exempt_gid.reset();  // unreadable: exempt nobody
    }
  }
}

std::optional<MountLine> lastMountAt(std::string_view mountinfo, std::string_view mount_point) {
  std::optional<MountLine> found;
  for (std::string_view line : split(mountinfo, '\n')) {
    auto parsed = parseMountLine(line);
    if (parsed && parsed->mount_point == mount_point) found = std::move(parsed);
  }
  return found;
}

Result<ProcVisibility> visibilityOf(const MountLine& mount) {
  if (mount.fstype != "proc")
    return Error{mount.mount_point + " is not a proc mount (" + std::string(mount.fstype) + ")"};
  ProcVisibility visibility;
  // Since 5.8 proc's options are its super block's; older kernels showed them with the mount's too.
  for (std::string_view options : {mount.mount_options, mount.super_options}) {
    for (std::string_view option : split(options, ',')) applyOption(option, visibility);
  }
  return visibility;
}

}  // namespace

Result<ProcVisibility> parseProcVisibility(std::string_view mountinfo, std::string_view mount_point) {
  const auto found = lastMountAt(mountinfo, mount_point);
  if (!found) return Error{"no mount at " + std::string(mount_point) + " in mountinfo"};
  return visibilityOf(*found);
}

Result<ProcVisibility> readProcVisibility(const std::filesystem::path& proc_root) {
  // PID 1's mounts are the ones users' sessions see; a service's own namespace (jmemd.service's
  // sandbox) may hold a proc of its own with other options. A captured tree may carry only self.
  std::error_code missing;
  const auto init = proc_root / "1" / "mountinfo";
  const auto file = std::filesystem::exists(init, missing) ? init : proc_root / "self" / "mountinfo";
  auto text = readKernelFile(file, kMaxMountinfoBytes);
  if (!text) return text.error();
  std::error_code error;
  const auto canonical = std::filesystem::weakly_canonical(proc_root, error);
  auto found = lastMountAt(*text, error ? proc_root.string() : canonical.string());
  // A captured tree is no mount here; its mountinfo describes the machine it came from.
  if (!found) found = lastMountAt(*text, "/proc");
  if (!found) return Error{file.string() + ": no proc mount at " + proc_root.string() + " nor at /proc"};
  auto visibility = visibilityOf(*found);
  if (!visibility) return Error{file.string() + ": " + visibility.error().message};
  return visibility;
}

}  // namespace jmem
