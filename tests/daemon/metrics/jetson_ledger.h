#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "ledger/ledger.h"
#include "sources/meminfo.h"
#include "sources/nvmap.h"
#include "sources/pressure.h"
#include "sources/zram.h"
#include "support/fixture_tree.h"

namespace jmem::test {

// A ledger over the Orin Nano's meminfo, a captured PSI file, a JetPack 5 NvMap heap and zram as
// nvzramconfig sets it up (six devices sharing half of RAM as swap, device i holding i+1 times 10 MiB),
// with `unit_count` units of one process each; unit i costs more than unit i+1. PID 1000+i is unit i's.
inline Ledger jetsonLedger(std::size_t unit_count, bool with_nvmap = true, bool with_pressure = true,
                           bool with_zram = true) {
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
  if (with_zram) {
    system.zram.available = true;
    for (std::uint64_t i = 0; i < 6; ++i) {
      ZramDevice device;
      device.name = "zram" + std::to_string(i);
      device.disksize_bytes = *system.meminfo.swap_total_bytes / 6;
      const std::uint64_t held = (i + 1) * 10 * 1024 * 1024;
      REQUIRE(parseZramMmStat(std::to_string(held) + " " + std::to_string(held / 4) + " " +
                                  std::to_string(held / 4 + 4096) + " 0 " + std::to_string(held) + " 7 0 1\n",
                              device));
      system.zram.totals.add(device, 4096);
      system.zram.devices.push_back(device);
    }
  } else {
    system.zram.reason = "no zram device under /sys/block";
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
