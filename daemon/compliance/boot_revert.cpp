#include "compliance/boot_revert.h"

#include <set>
#include <vector>

#include "sources/extlinux.h"
#include "sources/kernel_cmdline.h"

namespace jmem::compliance {
namespace {

using Values = std::vector<std::optional<std::string>>;  // every occurrence of a key, in order

Values valuesOf(const KernelCmdline& cmdline, const std::string& key) {
  Values values;
  for (const KernelParameter* p : cmdline.all(key)) values.push_back(p->value);
  return values;
}

std::string show(const std::string& key, const Values& values) {
  if (values.empty()) return "no " + key;
  std::string text;
  for (const auto& value : values) {
    if (!text.empty()) text += " ";
    text += value ? key + "=" + *value : key;
  }
  return text;
}

// Every key of either command line, once, in the kernel's spelling of the first seen.
std::vector<std::string> keysOf(const KernelCmdline& a, const KernelCmdline& b) {
  std::vector<std::string> keys;
  for (const auto* line : {&a, &b}) {
    for (const KernelParameter& p : line->parameters) {
      bool seen = false;
      for (const auto& k : keys) seen = seen || sameParameterName(k, p.key);
      if (!seen) keys.push_back(p.key);
    }
  }
  return keys;
}

Result<std::string> restored(std::string append, const std::string& key, const Values& before) {
  if (before.empty()) return removeArgument(append, key);
  if (before.size() > 1)
    return Error{"it had " + show(key, before) + ", which cannot be set back one by one"};
  return setArgument(append, key,
                     before.front() ? std::optional<std::string_view>(*before.front()) : std::nullopt);
}

}  // namespace

Result<BootRevert> planBootRevert(std::string_view backup, std::string_view current,
                                  const std::string& before_append, const std::string& after_append,
                                  const std::optional<std::string>& label) {
  using Kind = BootRevert::Kind;
  if (current == backup) return BootRevert{Kind::kAlreadyUndone, "", "the file is as it was before"};
  auto original = parseExtlinux(backup, "the backup");
  if (!original) return original.error();
  if (auto written = withDefaultAppend(*original, after_append); written && *written == current)
    return BootRevert{Kind::kRestoreBackup, std::string(backup), "restored as it was before"};

  auto now = parseExtlinux(current);
  if (!now)
    return BootRevert{Kind::kConflict, "",
                      "it no longer reads as extlinux.conf (" + now.error().message + ")"};
  const ExtlinuxEntry* entry = now->defaultEntry();
  if (label && entry->label.text != *label)
    return BootRevert{
        Kind::kConflict, "",
        "jmem edited the DEFAULT entry " + *label + ", and DEFAULT is now " + entry->label.text};
  const std::string append = entry->append ? entry->append->text : std::string();
  if (append == after_append) {
    auto text = withDefaultAppend(*now, before_append);
    if (!text) return text.error();
    return BootRevert{Kind::kEditArguments, *text,
                      "jmem's APPEND of entry " + entry->label.text + " undone; later edits elsewhere kept"};
  }

  auto before = parseKernelCmdline(before_append);
  auto after = parseKernelCmdline(after_append);
  auto present = parseKernelCmdline(append);
  if (!before || !after) return Error{"the journal's APPEND texts do not parse"};
  if (!present)
    return BootRevert{Kind::kConflict, "", "its APPEND no longer parses (" + present.error().message + ")"};
  std::string edited = append;
  std::string undone;
  std::string conflicts;
  for (const std::string& key : keysOf(*before, *after)) {
    const Values was = valuesOf(*before, key);
    const Values wrote = valuesOf(*after, key);
    if (was == wrote) continue;
    const Values is = valuesOf(*present, key);
    if (is == was) continue;
    if (is != wrote) {
      conflicts += (conflicts.empty() ? "" : "; ") + std::string("jmem changed ") + show(key, was) + " to " +
                   show(key, wrote) + ", the entry now has " + show(key, is);
      continue;
    }
    auto next = restored(edited, key, was);
    if (!next) {
      conflicts += (conflicts.empty() ? "" : "; ") + next.error().message;
      continue;
    }
    edited = *next;
    undone += (undone.empty() ? "" : ", ") + show(key, was);
  }
  if (!conflicts.empty()) return BootRevert{Kind::kConflict, "", conflicts};
  if (undone.empty())
    return BootRevert{Kind::kAlreadyUndone, "", "jmem's arguments are already as they were before"};
  auto text = withDefaultAppend(*now, edited);
  if (!text) return text.error();
  return BootRevert{Kind::kEditArguments, *text,
                    "jmem's change alone undone (back to " + undone + "); later edits kept"};
}

}  // namespace jmem::compliance
