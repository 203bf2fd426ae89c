#include <algorithm>
#include <tuple>

#include "policy/sections.h"

namespace jmem::policy::detail {
namespace {

// swiotlb=N counts 2 KiB slabs; 2^24 slabs are 32 GiB, more than any Jetson has.
constexpr std::int64_t kMaxSwiotlbSlabs = std::int64_t{1} << 24;
constexpr std::size_t kMaxBootArgBytes = 4096;

std::optional<std::uint64_t> readSlabs(const TableReader& reader, std::string_view key) {
  const auto slabs = reader.integer(key, 0, kMaxSwiotlbSlabs);
  if (!slabs) return std::nullopt;
  if (slabs->value == 0) {
    reader.reportAt(key, "0 is not allowed: NVIDIA warns not to set swiotlb to 0");
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(slabs->value);
}

// Exactly one form: any = true, absent = true, slabs = N, or min_slabs = A with max_slabs = B.
SwiotlbRule readSwiotlb(const TableReader& reader) {
  reader.rejectUnknownKeys({"any", "absent", "slabs", "min_slabs", "max_slabs"});
  SwiotlbRule rule;
  rule.where = reader.where();
  // The keys present, one per form; a range counts once.
  std::vector<std::string_view> forms;
  for (const auto key : {"any", "absent", "slabs", "min_slabs", "max_slabs"}) {
    if (!reader.has(key)) continue;
    if (std::string_view(key) == "max_slabs" && reader.has("min_slabs")) continue;
    forms.push_back(key);
  }
  if (forms.size() > 1) {
    // Blame the form written last, the first stays in the message. A merged table keeps the
    // place of the file that began it, so a form from another file came later.
    const auto place = [&](std::string_view key) {
      const auto where = locationOf(reader.table().get(key)->source());
      return std::make_tuple(where.file != reader.where().file, where.line, where.column);
    };
    std::sort(forms.begin(), forms.end(), [&](auto a, auto b) { return place(a) < place(b); });
    const auto first = locationOf(reader.table().get(forms.front())->source());
    reader.reportAt(forms.back(),
                    "\"" + std::string(forms.front()) + "\" (" + formatLocation(first) + ") and \"" +
                        std::string(forms.back()) +
                        "\" are two forms of the rule; keep one (a drop-in replaces the whole rule "
                        "with an inline table: swiotlb = { ... })");
  }
  for (const auto flag : {"any", "absent"}) {
    const auto value = reader.boolean(flag);
    if (value && !value->value) reader.reportAt(flag, "only true is meaningful; leave the key out instead");
  }
  if (reader.has("absent")) rule.kind = SwiotlbRule::Kind::kAbsent;
  if (reader.has("slabs")) {
    rule.kind = SwiotlbRule::Kind::kExact;
    const auto slabs = readSlabs(reader, "slabs");
    rule.min_slabs = rule.max_slabs = slabs.value_or(0);
  }
  if (reader.has("min_slabs") || reader.has("max_slabs")) {
    rule.kind = SwiotlbRule::Kind::kRange;
    if (!reader.has("min_slabs")) reader.reportMissing("min_slabs");
    if (!reader.has("max_slabs")) reader.reportMissing("max_slabs");
    const auto min = readSlabs(reader, "min_slabs");
    const auto max = readSlabs(reader, "max_slabs");
    if (min && max && *min > *max) {
      reader.reportAt("min_slabs", std::to_string(*min) + " is above max_slabs " + std::to_string(*max));
    }
    rule.min_slabs = min.value_or(0);
    rule.max_slabs = max.value_or(0);
  }
  return rule;
}

std::string_view argumentKey(std::string_view argument) {
  return argument.substr(0, argument.find('='));
}

std::vector<Located<std::string>> readArguments(const TableReader& reader, std::string_view key) {
  std::vector<Located<std::string>> arguments;
  const auto texts = reader.strings(key);
  if (!texts) return arguments;
  const std::string path = reader.keyPath(key);
  for (const auto& text : *texts) {
    const std::string& argument = text.value;
    const bool printable =
        std::all_of(argument.begin(), argument.end(), [](char c) { return c > ' ' && c < 0x7f && c != '"'; });
    if (argument.empty() || argument.size() > kMaxBootArgBytes || !printable ||
        argumentKey(argument).empty()) {
      reader.problems().push_back(Problem{
          text.where, path + ": \"" + argument + "\" is not a kernel argument (\"word\" or \"key=value\")"});
      continue;
    }
    if (argumentKey(argument) == "swiotlb") {
      reader.problems().push_back(Problem{text.where, path + ": swiotlb is set by boot.swiotlb"});
      continue;
    }
    const bool seen =
        std::any_of(arguments.begin(), arguments.end(),
                    [&](const Located<std::string>& earlier) { return earlier.value == argument; });
    if (!seen) arguments.push_back(text);
  }
  return arguments;
}

// A forbidden bare "key" forbids every "key=..." too.
bool forbids(std::string_view forbidden, std::string_view argument) {
  if (forbidden == argument) return true;
  return forbidden.find('=') == std::string_view::npos && argumentKey(argument) == forbidden;
}

}  // namespace

BootPolicy readBoot(const TableReader& boot) {
  boot.rejectUnknownKeys({"extlinux", "edit_extlinux", "swiotlb", "required_args", "forbidden_args"});
  BootPolicy policy;
  if (auto extlinux = boot.string("extlinux")) {
    if (extlinux->value.empty() || extlinux->value.front() != '/') {
      boot.reportAt("extlinux", "\"" + extlinux->value + "\" is not an absolute path");
    } else {
      policy.extlinux = *extlinux;
    }
  }
  if (auto edit = boot.boolean("edit_extlinux")) policy.edit_extlinux = *edit;
  if (const toml::table* swiotlb = boot.subtable("swiotlb")) {
    policy.swiotlb = readSwiotlb(TableReader(*swiotlb, boot.keyPath("swiotlb"), boot.problems()));
  }
  policy.required_args = readArguments(boot, "required_args");
  policy.forbidden_args = readArguments(boot, "forbidden_args");
  for (const auto& forbidden : policy.forbidden_args) {
    for (const auto& required : policy.required_args) {
      if (!forbids(forbidden.value, required.value)) continue;
      boot.problems().push_back(
          Problem{forbidden.where, boot.keyPath("forbidden_args") + ": \"" + forbidden.value +
                                       "\" forbids the required argument \"" + required.value + "\" (" +
                                       formatLocation(required.where) + ")"});
    }
  }
  return policy;
}

}  // namespace jmem::policy::detail
