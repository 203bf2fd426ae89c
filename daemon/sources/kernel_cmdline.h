#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace jmem {

// Far above any architecture's COMMAND_LINE_SIZE (2048 on arm64 with Linux 5.15): a longer
// /proc/cmdline is corrupt input.
inline constexpr std::size_t kMaxKernelCmdlineBytes = 32 * 1024;

// One token of a kernel command line, split the way the kernel's next_arg() (lib/cmdline.c) splits it:
// tokens are separated by whitespace outside double quotes; the key ends at the first '=' after the
// first character; quotes around the whole token ("a=b c") or around the value (a="b c") are removed.
struct KernelParameter {
  std::string key;
  std::optional<std::string> value;  // absent for a bare key ("quiet"); "" for "key="
  std::size_t offset = 0;            // where the token starts in the text, in bytes
  std::size_t length = 0;            // the token's bytes, quotes included
};

// A parsed command line. Lookups compare keys the way the kernel's parameq() does: '-' and '_' are
// the same character. Everything after a bare "--" is for init, not the kernel.
struct KernelCmdline {
  std::vector<KernelParameter> parameters;
  std::optional<KernelParameter> separator;  // the "--" token, when there is one
  std::vector<KernelParameter> init_arguments;

  bool has(std::string_view key) const;
  // The value of the last occurrence (the one most kernel parameters act on); nullopt when the key
  // is absent or its last occurrence is a bare key.
  std::optional<std::string> value(std::string_view key) const;
  // Every occurrence of the key, in command-line order.
  std::vector<const KernelParameter*> all(std::string_view key) const;
};

// The kernel's isspace(): ASCII whitespace and, from its Latin-1 table, the byte 0xA0.
bool isKernelCmdlineSpace(char c);

// True when two parameter names are equal with '-' and '_' treated alike.
bool sameParameterName(std::string_view a, std::string_view b);

// Parses /proc/cmdline or the text of an extlinux.conf APPEND line. Stricter than the kernel in two
// places, because jmem writes command lines back: a NUL byte and an unterminated quote (which makes
// the kernel swallow the rest of the line into one value) are errors.
Result<KernelCmdline> parseKernelCmdline(std::string_view text);

// Reads proc_root/cmdline (at most kMaxKernelCmdlineBytes).
Result<KernelCmdline> readKernelCmdline(const std::filesystem::path& proc_root);

// The swiotlb= boot parameter (kernel/dma/swiotlb.c, setup_io_tlb_npages), the bounce-buffer pool that
// devices unable to reach all of memory copy through. Its format is
//   swiotlb=[<slabs>][,<areas>][,force|noforce]
// - slabs: the pool size in 2 KiB slabs (IO_TLB_SHIFT 11): swiotlb=2048 is 4 MiB. The kernel rounds it
//   up to a multiple of 128 slabs (IO_TLB_SEGSIZE). NVIDIA warns never to set 0 on Jetson.
// - areas: since Linux 6.0, the number of independently locked areas of the pool, rounded up to a
//   power of two. Older kernels (JetPack 6 runs 5.15) do not know this part and then ignore
//   everything after the slab count, a trailing force included.
// - force: bounce every DMA through the pool, even for devices that could reach the memory.
// - noforce: never bounce, even where it would be needed (a debugging aid).
// The kernel reads numbers as strtoul with base 0 does (0x1000 is hexadecimal, 0100 octal) and acts on
// every occurrence in turn: a later slab count replaces an earlier one, force and noforce stick (on 6.x;
// 5.15 keeps one mode, the later of the two).
struct Swiotlb {
  bool given = false;  // some swiotlb= is on the command line
  std::optional<std::uint64_t> slabs;
  std::optional<std::uint64_t> areas;
  bool force = false;
  bool noforce = false;
};

inline constexpr std::uint64_t kSwiotlbSlabBytes = 2048;
// The pool a kernel sets up when the command line does not size it (IO_TLB_DEFAULT_SIZE).
inline constexpr std::uint64_t kSwiotlbDefaultBytes = 64ull << 20;

// The value after "swiotlb=". Anything the kernel would silently ignore or read otherwise than it looks
// is an error naming the value: empty, trailing text, an unknown word, a number out of range, parts not
// separated by a comma ("08" would be 0 slabs in 8 areas).
Result<Swiotlb> parseSwiotlb(std::string_view value);

// All swiotlb= occurrences of a command line combined as the kernel combines them; the default
// (nothing set) when there is none.
Result<Swiotlb> swiotlbOf(const KernelCmdline& cmdline);

// slabs * 2048, saturating instead of wrapping.
std::uint64_t swiotlbBytes(std::uint64_t slabs);

// What the kernel makes of it, for a person: "absent (the kernel's default pool, 64 MiB)", "65536 slabs
// (128 MiB), force: every DMA bounced", "noforce: never bounce, no pool set aside".
std::string describeSwiotlb(const Swiotlb& swiotlb);

// Sets `key` on a kernel command line (an APPEND text): the first occurrence is replaced in place, later
// ones are removed (the kernel would act on the last), or key=value is added at the end, before a "--"
// that hands the rest to init. Every other token and the whitespace between them, ${cbootargs} included,
// stay byte for byte. No value sets a bare key ("quiet"). A value with spaces or tabs is quoted; a key or
// value the kernel could not read back as given (quotes, control characters, '=' in a key) or that
// L4TLauncher would cut ('#' starts a comment anywhere in extlinux.conf) is an error.
Result<std::string> setArgument(std::string_view cmdline, std::string_view key,
                                std::optional<std::string_view> value);

// Removes every occurrence of `key` (with the whitespace before it, or after it for the first token);
// the other bytes stay as they were. A command line without the key comes back unchanged.
Result<std::string> removeArgument(std::string_view cmdline, std::string_view key);

}  // namespace jmem
