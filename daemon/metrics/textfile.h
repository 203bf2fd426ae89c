#pragma once

#include <filesystem>
#include <string_view>

#include "core/result.h"

namespace jmem::metrics {

// Where node_exporter's textfile collector looks by default in Debian's prometheus-node-exporter.
inline constexpr std::string_view kDefaultTextfileDirectory = "/var/lib/prometheus/node-exporter";
inline constexpr std::string_view kDefaultTextfileName = "jmem.prom";

enum class TextfileWrite {
  kWritten,
  kDirectoryMissing,  // the collector is not installed: metrics are off, not failing
};

// Publishes `text` as `directory`/`name` atomically (a temporary file in the same directory, created
// with O_CREAT|O_EXCL, mode 0644 whatever the umask, fsync'd, renamed over the file, the directory
// fsync'd), so the collector never reads half a file. A missing directory is kDirectoryMissing and
// writes nothing. Any error leaves the previous file as it was and no temporary file behind. `name`
// must be a plain file name ending in ".prom" (the collector reads nothing else).
Result<TextfileWrite> writeTextfile(const std::filesystem::path& directory, std::string_view name,
                                    std::string_view text);

}  // namespace jmem::metrics
