#pragma once

// What `jmemctl validate` judges, with the verdict jmemd would give: a main policy on its own, and
// drop-ins merged onto the main policy they will be read after. Files that another user could have
// written are only noted: validate is a linter for files being drafted.

#include <filesystem>
#include <string>
#include <vector>

#include "policy/problem.h"

namespace jmem::policy {

// A file in a directory named policy.d is a drop-in, wherever that directory is: jmemd reads
// nothing else from there. A relative path is judged from the current directory.
bool isInDropinDirectory(const std::filesystem::path& file);

// A main policy alone, as `jmemd --policy FILE` reads it.
LoadResult validateMainPolicy(const std::filesystem::path& file);

struct DropinSet {
  std::vector<std::filesystem::path> dropins;
  // The main policy they are merged onto: this file where it exists, else the built-in default
  // (as jmemd does); with base_required a missing file is a problem. Empty: the built-in default.
  std::filesystem::path base = "/etc/jmem/policy.toml";
  bool base_required = false;
};

struct DropinVerdict {
  std::string base_name;                        // the base file, or "<built-in>"
  std::vector<std::filesystem::path> in_order;  // the drop-ins in the order they merge
  LoadResult merged;                            // the base and every drop-in, validated once
  Problems base_problems;                       // the base's own, found when it is validated alone
};

// Merges every drop-in onto the base in the order jmemd would (sortDropins) and validates the
// result once, so each problem names the file that wrote it. Two drop-ins of one name are a
// problem: a directory holds one of them.
DropinVerdict validateDropins(const DropinSet& set);

}  // namespace jmem::policy
