#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace jmem {

// The L4T release a Jetson's BSP writes to /etc/nv_tegra_release, and the JetPack it belongs to.
struct L4tRelease {
  std::string l4t;      // "36.4.0"
  std::string jetpack;  // "6"; "" for a major release this table does not know
};

// Pure: "# R36 (release), REVISION: 4.0, GCID: ..., BOARD: generic, EABI: aarch64, DATE: ..." on its
// first line. nullopt for anything else.
std::optional<L4tRelease> parseL4tRelease(std::string_view text);

// /etc/nv_tegra_release under `root`; nullopt where there is none (not a Jetson) or it is not that.
std::optional<L4tRelease> readL4tRelease(const std::filesystem::path& root);

}  // namespace jmem
