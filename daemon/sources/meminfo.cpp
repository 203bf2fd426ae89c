#include "sources/meminfo.h"

#include <array>
#include <string>

#include "core/file_reader.h"
#include "core/text.h"
#include "sources/kib_fields.h"

namespace jmem {
namespace {

using Required = std::uint64_t Meminfo::*;
using Optional = std::optional<std::uint64_t> Meminfo::*;

struct RequiredField {
  std::string_view key;
  Required member;
};
struct OptionalField {
  std::string_view key;
  Optional member;
};

constexpr std::array kRequired{
    RequiredField{"MemTotal", &Meminfo::mem_total_bytes},
    RequiredField{"MemFree", &Meminfo::mem_free_bytes},
    RequiredField{"MemAvailable", &Meminfo::mem_available_bytes},
};

constexpr std::array kOptional{
    OptionalField{"Buffers", &Meminfo::buffers_bytes},
    OptionalField{"Cached", &Meminfo::cached_bytes},
    OptionalField{"Shmem", &Meminfo::shmem_bytes},
    OptionalField{"SwapTotal", &Meminfo::swap_total_bytes},
    OptionalField{"SwapFree", &Meminfo::swap_free_bytes},
    OptionalField{"CmaTotal", &Meminfo::cma_total_bytes},
    OptionalField{"CmaFree", &Meminfo::cma_free_bytes},
    OptionalField{"NvMapMemUsed", &Meminfo::nvmap_mem_used_bytes},
    OptionalField{"NvMapMemFree", &Meminfo::nvmap_mem_free_bytes},
};

Error lineError(std::size_t line_number, std::string_view what) {
  return Error{"meminfo line " + std::to_string(line_number) + ": " + std::string(what)};
}

}  // namespace

Result<Meminfo> parseMeminfo(std::string_view text) {
  Meminfo info;
  std::array<bool, kRequired.size()> seen_required{};
  std::array<bool, kOptional.size()> seen_optional{};
  std::string_view line;
  std::size_t line_number = 0;
  while (nextLine(text, line)) {
    ++line_number;
    const auto field = splitField(line);
    if (!field) continue;
    auto store = [&](bool& seen, auto assign) -> Status {
      if (seen) return lineError(line_number, "repeated field " + std::string(field->key));
      const auto bytes = kibValueToBytes(field->value);
      if (!bytes) {
        return lineError(line_number, "invalid value \"" + sanitizeName(field->value) + "\" for " +
                                          std::string(field->key));
      }
      seen = true;
      assign(*bytes);
      return ok();
    };
    for (std::size_t i = 0; i < kRequired.size(); ++i) {
      if (field->key != kRequired[i].key) continue;
      if (auto stored = store(seen_required[i], [&](auto b) { info.*kRequired[i].member = b; }); !stored)
        return stored.error();
    }
    for (std::size_t i = 0; i < kOptional.size(); ++i) {
      if (field->key != kOptional[i].key) continue;
      if (auto stored = store(seen_optional[i], [&](auto b) { info.*kOptional[i].member = b; }); !stored)
        return stored.error();
    }
  }
  for (std::size_t i = 0; i < kRequired.size(); ++i) {
    if (!seen_required[i]) return Error{"meminfo: missing field " + std::string(kRequired[i].key)};
  }
  if (info.mem_free_bytes > info.mem_total_bytes || info.mem_available_bytes > info.mem_total_bytes)
    return Error{"meminfo: MemFree or MemAvailable exceeds MemTotal"};
  return info;
}

Result<Meminfo> readMeminfo(const std::filesystem::path& proc_root) {
  const auto path = proc_root / "meminfo";
  auto text = readKernelFile(path);
  if (!text) return text.error();
  auto parsed = parseMeminfo(*text);
  if (!parsed) return Error{path.string() + ": " + parsed.error().message};
  return parsed;
}

}  // namespace jmem
