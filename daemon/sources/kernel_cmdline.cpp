#include "sources/kernel_cmdline.h"

#include <limits>

#include "core/file_reader.h"
#include "core/text.h"

namespace jmem {
namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

int digitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

// simple_strtoul(text, &end, 0): "0x" and a hex digit start hexadecimal, a leading 0 octal, anything
// else decimal. Consumes the digits from `text`; unlike the kernel, overflow is an error (nullopt).
std::optional<std::uint64_t> consumeKernelNumber(std::string_view& text) {
  unsigned base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') && digitValue(text[2]) < 16) {
    base = 16;
    text.remove_prefix(2);
  } else if (!text.empty() && text[0] == '0') {
    base = 8;
  }
  std::uint64_t value = 0;
  std::size_t used = 0;
  for (; used < text.size(); ++used) {
    const int digit = digitValue(text[used]);
    if (digit >= static_cast<int>(base)) break;
    if (value > (std::numeric_limits<std::uint64_t>::max() - static_cast<unsigned>(digit)) / base) {
      return std::nullopt;
    }
    value = value * base + static_cast<unsigned>(digit);
  }
  text.remove_prefix(used);
  return value;
}

char normalizedNameChar(char c) {
  return c == '-' ? '_' : c;
}

}  // namespace

bool isKernelCmdlineSpace(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte == ' ' || (byte >= '\t' && byte <= '\r') || byte == 0xa0;
}

bool sameParameterName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (normalizedNameChar(a[i]) != normalizedNameChar(b[i])) return false;
  }
  return true;
}

std::vector<const KernelParameter*> KernelCmdline::all(std::string_view key) const {
  std::vector<const KernelParameter*> found;
  for (const auto& parameter : parameters) {
    if (sameParameterName(parameter.key, key)) found.push_back(&parameter);
  }
  return found;
}

bool KernelCmdline::has(std::string_view key) const {
  for (const auto& parameter : parameters) {
    if (sameParameterName(parameter.key, key)) return true;
  }
  return false;
}

std::optional<std::string> KernelCmdline::value(std::string_view key) const {
  for (auto it = parameters.rbegin(); it != parameters.rend(); ++it) {
    if (sameParameterName(it->key, key)) return it->value;
  }
  return std::nullopt;
}

Result<KernelCmdline> parseKernelCmdline(std::string_view text) {
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    return Error{"NUL byte at offset " + std::to_string(nul) + " of the command line"};
  }
  KernelCmdline cmdline;
  std::size_t pos = 0;
  for (;;) {
    while (pos < text.size() && isKernelCmdlineSpace(text[pos])) ++pos;
    if (pos == text.size()) break;
    const std::size_t start = pos;
    const bool quoted = text[pos] == '"';
    const std::size_t body = quoted ? pos + 1 : pos;
    bool in_quote = quoted;
    std::size_t equals = std::string_view::npos;
    std::size_t end = body;
    for (; end < text.size(); ++end) {
      if (!in_quote && isKernelCmdlineSpace(text[end])) break;
      // As in next_arg(): an '=' in the first position does not end the key, one inside quotes does.
      if (equals == std::string_view::npos && text[end] == '=' && end > body) equals = end;
      if (text[end] == '"') in_quote = !in_quote;
    }
    const std::string_view token = text.substr(start, end - start);
    if (in_quote) return Error{"unterminated quote in \"" + sanitizeName(token) + "\""};

    std::string_view arg = text.substr(body, end - body);
    KernelParameter parameter;
    parameter.offset = start;
    parameter.length = end - start;
    bool strip_trailing_quote = quoted && !arg.empty() && arg.back() == '"';
    if (equals == std::string_view::npos) {
      if (strip_trailing_quote) arg.remove_suffix(1);
      parameter.key = std::string(arg);
    } else {
      parameter.key = std::string(arg.substr(0, equals - body));
      std::string_view value = arg.substr(equals - body + 1);
      if (!value.empty() && value.front() == '"') {
        value.remove_prefix(1);
        strip_trailing_quote = !value.empty() && value.back() == '"';
      }
      if (strip_trailing_quote && !value.empty()) value.remove_suffix(1);
      parameter.value = std::string(value);
    }
    pos = end;

    if (!cmdline.separator && !parameter.value && parameter.key == "--") {
      cmdline.separator = std::move(parameter);
      continue;
    }
    (cmdline.separator ? cmdline.init_arguments : cmdline.parameters).push_back(std::move(parameter));
  }
  return cmdline;
}

Result<KernelCmdline> readKernelCmdline(const std::filesystem::path& proc_root) {
  const auto path = proc_root / "cmdline";
  auto text = readKernelFile(path, kMaxKernelCmdlineBytes);
  if (!text) return text.error();
  auto parsed = parseKernelCmdline(*text);
  if (!parsed) return Error{path.string() + ": " + parsed.error().message};
  return parsed;
}

Result<Swiotlb> parseSwiotlb(std::string_view value) {
  const auto invalid = [&] { return Error{"invalid swiotlb value \"" + sanitizeName(value) + "\""}; };
  Swiotlb swiotlb;
  std::string_view rest = value;
  // The kernel also takes the next part straight after a number ("2048force", and "08" as 0 slabs in
  // 8 areas); jmem wants the comma.
  const auto skipComma = [&](bool after_number) {
    if (!rest.empty() && rest.front() == ',') {
      rest.remove_prefix(1);
      return true;
    }
    return !after_number || rest.empty();
  };
  if (!rest.empty() && isDigit(rest.front())) {
    const auto slabs = consumeKernelNumber(rest);
    if (!slabs || *slabs > kMaxPlausibleBytes / kSwiotlbSlabBytes) return invalid();
    swiotlb.slabs = slabs;
  }
  if (!skipComma(swiotlb.slabs.has_value())) return invalid();
  if (!rest.empty() && isDigit(rest.front())) {
    const auto areas = consumeKernelNumber(rest);
    // The kernel keeps the area count in an unsigned int.
    if (!areas || *areas > std::numeric_limits<std::uint32_t>::max()) return invalid();
    swiotlb.areas = areas;
    if (!skipComma(true)) return invalid();
  } else if (!rest.empty() && rest.front() == ',') {
    rest.remove_prefix(1);
  }
  if (rest == "force") {
    swiotlb.force = true;
  } else if (rest == "noforce") {
    swiotlb.noforce = true;
  } else if (!rest.empty()) {
    return invalid();
  }
  // "", "," and ",," are accepted by the kernel and do nothing: almost certainly a mistake.
  if (!swiotlb.slabs && !swiotlb.areas && !swiotlb.force && !swiotlb.noforce) return invalid();
  return swiotlb;
}

Result<Swiotlb> swiotlbOf(const KernelCmdline& cmdline) {
  Swiotlb combined;
  for (const KernelParameter* parameter : cmdline.all("swiotlb")) {
    if (!parameter->value) return Error{"swiotlb without a value"};
    auto one = parseSwiotlb(*parameter->value);
    if (!one) return one.error();
    combined.given = true;
    if (one->slabs) combined.slabs = one->slabs;
    if (one->areas) combined.areas = one->areas;
    combined.force = combined.force || one->force;
    combined.noforce = combined.noforce || one->noforce;
  }
  return combined;
}

std::uint64_t swiotlbBytes(std::uint64_t slabs) {
  if (slabs > std::numeric_limits<std::uint64_t>::max() / kSwiotlbSlabBytes) {
    return std::numeric_limits<std::uint64_t>::max();
  }
  return slabs * kSwiotlbSlabBytes;
}

std::string describeSwiotlb(const Swiotlb& swiotlb) {
  // IO_TLB_DEFAULT_SIZE; arm64 sets the pool up when DRAM reaches past what 32-bit DMA can address.
  if (!swiotlb.given) return "absent (the kernel's default pool, " + formatIec(kSwiotlbDefaultBytes) + ")";
  // Linux 5.12 and later set no pool aside for noforce; older kernels keep a single slab.
  if (swiotlb.noforce) return "noforce: never bounce, no pool set aside";
  std::string text = swiotlb.slabs ? std::to_string(*swiotlb.slabs) + " slabs (" +
                                         formatIec(swiotlbBytes(*swiotlb.slabs)) + ")"
                                   : "the default pool (" + formatIec(kSwiotlbDefaultBytes) + ")";
  if (swiotlb.areas) text += " in " + std::to_string(*swiotlb.areas) + " areas";
  if (swiotlb.force) text += ", force: every DMA bounced";
  return text;
}

namespace {

Error invalidArgument(std::string_view what, std::string_view text) {
  return Error{"Invalid kernel argument " + std::string(what) + " " + inQuotes(text)};
}

// Removes the token at [offset, offset + length) of `text` with the whitespace that separated it from the
// token before it, or, for the first token, the whitespace after it.
void eraseToken(std::string& text, std::size_t offset, std::size_t length) {
  std::size_t before = offset;
  while (before > 0 && isKernelCmdlineSpace(text[before - 1])) --before;
  if (before > 0) {
    text.erase(before, offset + length - before);
    return;
  }
  std::size_t after = offset + length;
  while (after < text.size() && isKernelCmdlineSpace(text[after])) ++after;
  text.erase(offset, after - offset);
}

}  // namespace

Result<std::string> setArgument(std::string_view cmdline, std::string_view key,
                                std::optional<std::string_view> value) {
  if (key.empty() || key == "--") return invalidArgument("name", key);
  for (const char c : key) {
    if (isKernelCmdlineSpace(c) || isControlCharacter(c) || c == '=' || c == '"' || c == '#') {
      return invalidArgument("name", key);
    }
  }
  std::string token(key);
  if (value) {
    bool needs_quotes = false;
    for (const char c : *value) {
      if (c == '"' || c == '#' || isControlCharacter(c)) return invalidArgument("value", *value);
      if (isKernelCmdlineSpace(c)) needs_quotes = true;
    }
    token.append("=");
    if (needs_quotes) token.append("\"");
    token.append(*value);
    if (needs_quotes) token.append("\"");
  }

  auto parsed = parseKernelCmdline(cmdline);
  if (!parsed) return parsed.error();
  std::string out(cmdline);
  const auto matches = parsed->all(key);
  if (matches.empty()) {
    if (parsed->separator) {
      out.insert(parsed->separator->offset, token + " ");
    } else if (!parsed->parameters.empty()) {
      const KernelParameter& last = parsed->parameters.back();
      out.insert(last.offset + last.length, " " + token);
    } else {
      out.append(token);
    }
  } else {
    for (std::size_t i = matches.size(); i-- > 1;) eraseToken(out, matches[i]->offset, matches[i]->length);
    out.replace(matches.front()->offset, matches.front()->length, token);
  }

  auto check = parseKernelCmdline(out);
  const std::optional<std::string> expected =
      value ? std::optional<std::string>(std::string(*value)) : std::nullopt;
  if (!check || check->all(key).size() != 1 || check->value(key) != expected) {
    return Error{"Failed to set kernel argument " + inQuotes(key) +
                 ": the result does not read back as given"};
  }
  return out;
}

Result<std::string> removeArgument(std::string_view cmdline, std::string_view key) {
  auto parsed = parseKernelCmdline(cmdline);
  if (!parsed) return parsed.error();
  std::string out(cmdline);
  const auto matches = parsed->all(key);
  for (std::size_t i = matches.size(); i-- > 0;) eraseToken(out, matches[i]->offset, matches[i]->length);
  return out;
}

}  // namespace jmem
