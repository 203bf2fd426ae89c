#include "bus/records.h"

#include <catch2/catch.hpp>

#include "ledger/ledger_json.h"

using namespace jmem;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

LedgerProcess process(pid_t pid, std::uint64_t pss_bytes) {
  LedgerProcess p;
  ProcessSample& s = p.sample;
  s.pid = pid;
  s.uid = 1000;
  s.comm = "cam";
  s.cmdline = std::string("/usr/bin/cam --fast");
  s.placement = {"cam.service", "system.slice", "system"};
  s.rollup.has_memory = true;
  s.rollup.rss_bytes = pss_bytes + kMiB;
  s.rollup.pss_bytes = pss_bytes;
  s.rollup.pss_anon_bytes = pss_bytes / 2;
  s.rollup.pss_file_bytes = pss_bytes / 4;
  s.rollup.pss_shmem_bytes = pss_bytes / 8;
  s.rollup.swap_bytes = 3 * kMiB;
  s.rollup.swap_pss_bytes = 2 * kMiB;
  p.nvmap_bytes = 5 * kMiB;
  p.gpu_bytes = 7 * kMiB;
  p.gpu_shared_bytes = 6 * kMiB;
  return p;
}

}  // namespace

TEST_CASE("a process read back from its bus record equals the one sent, every field", "[bus]") {
  const LedgerProcess sent = process(42, 100 * kMiB);
  const LedgerProcess read = decodeProcess(encodeProcess(sent));
  // The dump's encoder writes every field of the record: equal JSON is an equal record.
  CHECK(processToJson(read) == processToJson(sent));
  CHECK(read.sample.pid == 42);
  CHECK(read.sample.cmdline == "/usr/bin/cam --fast");
  CHECK(read.sample.rollup.pss_shmem_bytes == sent.sample.rollup.pss_shmem_bytes);
  CHECK(read.costBytes() == sent.costBytes());
}

TEST_CASE("a process whose PSS parts are unknown reads back unknown, not 0, and they are absent on the bus",
          "[bus]") {
  LedgerProcess sent = process(7, 10 * kMiB);
  sent.sample.rollup.pss_anon_bytes.reset();
  sent.sample.rollup.pss_file_bytes.reset();
  sent.sample.rollup.pss_shmem_bytes.reset();
  const BusRecord record = encodeProcess(sent);
  CHECK_FALSE(record.contains("pss_anon_bytes"));
  CHECK(record.contains("pss_bytes"));
  const LedgerProcess read = decodeProcess(record);
  CHECK_FALSE(read.sample.rollup.pss_anon_bytes);
  CHECK_FALSE(read.sample.rollup.pss_file_bytes);
  CHECK_FALSE(read.sample.rollup.pss_shmem_bytes);
  CHECK(processToJson(read) == processToJson(sent));
}

TEST_CASE("a unit read back from its bus record equals the one sent, with the PIDs the caller may see",
          "[bus]") {
  LedgerUnit sent;
  sent.unit = "cam.service";
  sent.manager = "user@1000.service";
  sent.memory.add(process(42, 100 * kMiB));
  sent.memory.add(process(43, 20 * kMiB));
  sent.pids = {42, 43};
  LedgerUnit read = decodeUnit(encodeUnit(sent, sent.pids));
  CHECK(unitToJson(read) == unitToJson(sent));
  CHECK(read.memory.pss_anon_bytes == 60 * kMiB);

  LedgerProcess old_kernel = process(44, kMiB);
  old_kernel.sample.rollup.pss_file_bytes.reset();
  sent.memory.add(old_kernel);
  read = decodeUnit(encodeUnit(sent, {43}));
  CHECK_FALSE(read.memory.pss_file_bytes);
  CHECK(read.memory.pss_anon_bytes == sent.memory.pss_anon_bytes);
  CHECK(read.pids == std::vector<pid_t>{43});
}

TEST_CASE("the system record reads back equal, with swap, NvMap and pressure unknown when they are",
          "[bus]") {
  Ledger ledger;
  ledger.system.meminfo.mem_total_bytes = 8000 * kMiB;
  ledger.system.meminfo.mem_free_bytes = 1000 * kMiB;
  ledger.system.meminfo.mem_available_bytes = 5000 * kMiB;
  ledger.totals.memory.pss_bytes = 1200 * kMiB;
  ledger.totals.used_bytes = 3000 * kMiB;
  ledger.totals.unaccounted_bytes = -static_cast<std::int64_t>(5 * kMiB);
  ledger.totals.counts.with_memory = 310;
  ledger.totals.counts.denied = 2;
  const SystemRecord unknowns = systemRecord(ledger, 1'700'000'000'000'000);
  CHECK_FALSE(unknowns.swap_total_bytes);
  CHECK_FALSE(unknowns.nvmap_total_bytes);
  CHECK_FALSE(unknowns.some_avg10_permyriad);
  const BusRecord record = encodeSystem(unknowns);
  CHECK_FALSE(record.contains("swap_total_bytes"));
  CHECK_FALSE(record.contains("nvmap_total_bytes"));
  CHECK(decodeSystem(record) == unknowns);

  ledger.system.meminfo.swap_total_bytes = 0;
  ledger.system.meminfo.swap_free_bytes = 0;
  ledger.system.nvmap.available = true;
  ledger.system.nvmap.total_bytes = 300 * kMiB;
  ledger.system.pressure.available = true;
  ledger.system.pressure.some.avg10_permyriad = 125;
  ledger.system.pressure.full.avg60_permyriad = 12;
  const SystemRecord knowns = systemRecord(ledger, 1'700'000'000'000'000);
  CHECK(knowns.swap_total_bytes == 0u);
  CHECK(knowns.full_avg60_permyriad == 12u);
  CHECK(decodeSystem(encodeSystem(knowns)) == knowns);
  CHECK(decodeSystem(encodeSystem(knowns)).unaccounted_bytes == ledger.totals.unaccounted_bytes);
}

TEST_CASE("a record's estimated size on the bus grows with its strings and PIDs", "[bus]") {
  LedgerProcess small = process(1, kMiB);
  LedgerProcess large = small;
  large.sample.cmdline = std::string(4096, 'x');
  const std::size_t grown = wireBytes(encodeProcess(large)) - wireBytes(encodeProcess(small));
  CHECK(grown == 4096 - small.sample.cmdline.size());
  LedgerUnit unit;
  CHECK(wireBytes(encodeUnit(unit, {1, 2, 3})) - wireBytes(encodeUnit(unit, {})) ==
        3 * sizeof(std::uint32_t));
}
