#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace jmem::bench {

struct BenchOptions {
  std::size_t processes = 300;  // in /proc in total, those already there included
  std::uint64_t anon_mib = 2048;
  std::uint64_t file_mib = 3072;
  std::size_t churners = 4;
  std::size_t ticks = 60;           // steady ticks after the first
  std::uint64_t max_age_s = 0;      // 0 until parsed: the sampler's default
  std::uint64_t interval_ms = 200;  // real time between ticks; the sampler's clock advances 1 s per tick
  std::size_t check_every = 10;     // accuracy checkpoints, the last tick always one
  std::size_t passes = 5;           // full and statm passes for the baseline before the ticks
  std::filesystem::path dir;        // where the mapped file is created
  bool strict = false;              // the timing goal fails the run too
  bool verbose = false;             // a line per tick
  bool help = false;
};

// Parses the arguments (without argv[0]); errors name the offending argument.
Result<BenchOptions> parseBenchOptions(const std::vector<std::string_view>& args);

std::string benchUsage();

}  // namespace jmem::bench
