#include "metrics/textfile.h"

#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "core/file_reader.h"
#include "core/text.h"
#include "sources/atomic_file.h"

namespace jmem::metrics {

Result<TextfileWrite> writeTextfile(const std::filesystem::path& directory, std::string_view name,
                                    std::string_view text) {
  // A leading dot would hide it, and ".prom" alone is one.
  if (name.empty() || name.front() == '.' || name.find('/') != std::string_view::npos ||
      !name.ends_with(".prom")) {
    return Error{"Invalid textfile name \"" + sanitizeName(name) + "\": expected a file name ending in .prom",
                 EINVAL};
  }
  struct stat info {};
  if (::stat(directory.c_str(), &info) < 0) {
    if (errno == ENOENT) return TextfileWrite::kDirectoryMissing;
    return systemError("stat", directory.string(), errno);
  }
  if (!S_ISDIR(info.st_mode))
    return Error{"Failed to write into " + directory.string() + ": not a directory", ENOTDIR};
  auto replaced = replaceFileAtomically(directory / name, text, 0644);
  if (!replaced) return replaced.error();
  return TextfileWrite::kWritten;
}

}  // namespace jmem::metrics
