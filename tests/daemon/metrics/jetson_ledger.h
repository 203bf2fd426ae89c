#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "ledger/ledger.h"
#include "sources/meminfo.h"
#include "sources/nvmap.h"
#include "sources/pressure.h"
#include "support/fixture_tree.h"

namespace jmem::test {

// A ledger over the Orin Nano's meminfo, a captured PSI file and a JetPack 5 NvMap heap, with
// `unit_count` units of one process each; unit i costs more than unit i+1. PID 1000+i is unit i's.
inline Ledger jetsonLedger(std::size_t unit_count, bool with_nvmap = true, bool with_pressure = true) {
  SystemFigures system;
  auto meminfo = parseMeminfo(fixtureFile("meminfo/orin-nano-8gb-jetpack6"));
  REQUIRE(meminfo);
  system.meminfo = *meminfo;
  if (with_pressure) {
    auto pressure = parsePressure(fixtureFile("captured/pressure-memory"));
    REQUIRE(pressure);
    system.pressure = *pressure;
  }
  if (with_nvmap) {
    auto heap = parseNvmapClients(fixtureFile("nvmap/jetpack5-iovmm-clients"), "iovmm");
    REQUIRE(heap);
    system.nvmap.available = true;
    system.nvmap.total_bytes = heap->total_bytes;
    system.nvmap.heaps.push_back(*heap);
  } else {
    system.nvmap.reason = "no debugfs";
  }
  std::vector<ProcessSample> samples;
  for (std::size_t i = 0; i < unit_count; ++i) {
    ProcessSample s;
    s.pid = static_cast<pid_t>(1000 + i);
    s.comm = "p" + std::to_string(i);
    s.placement = {"unit-" + std::to_string(i) + ".service", "system.slice", "system"};
    s.rollup.has_memory = true;
    s.rollup.pss_bytes = (unit_count - i) * 1024 * 1024;
    s.rollup.rss_bytes = s.rollup.pss_bytes;
    samples.push_back(s);
  }
  return buildLedger(system, std::move(samples), {});
}

}  // namespace jmem::test
