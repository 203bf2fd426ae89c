#include "bus/records.h"

#include <catch2/catch.hpp>
#include <utility>

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
  ledger.system.meminfo.cma_total_bytes = 256 * kMiB;
  ledger.system.nvmap.reason = "no debugfs";
  ledger.totals.memory.pss_bytes = 1200 * kMiB;
  ledger.totals.memory.pss_file_bytes.reset();
  ledger.totals.used_bytes = 3000 * kMiB;
  ledger.totals.unaccounted_bytes = -static_cast<std::int64_t>(5 * kMiB);
  ledger.totals.counts = {320, 310, 6, 1, 2, 1};
  ledger.unreadable = {{812, "sshd", 0u}, {1203, "gpg-agent", 1000u}};
  const auto everyone = [](uid_t) { return true; };
  const auto same = [](const SystemRecord& a, const SystemRecord& b) {
    CHECK(a.sample_usec == b.sample_usec);
    CHECK(fieldsToJson(a.meminfo) == fieldsToJson(b.meminfo));
    CHECK(pressureToJson(a.pressure) == pressureToJson(b.pressure));
    CHECK(nvmapTotalToJson(a.nvmap) == nvmapTotalToJson(b.nvmap));
    CHECK(fieldsToJson(a.totals) == fieldsToJson(b.totals));
    CHECK(zramToJson(a.zram) == zramToJson(b.zram));
    CHECK(a.unreadable == b.unreadable);
  };
  const SystemRecord unknowns = systemRecord(ledger, 1'700'000'000'000'000, everyone);
  const BusRecord record = encodeSystem(unknowns);
  CHECK_FALSE(record.contains("swap_total_bytes"));
  CHECK_FALSE(record.contains("nvmap_total_bytes"));
  CHECK_FALSE(record.contains("some_avg10_permyriad"));
  CHECK_FALSE(record.contains("pss_file_bytes"));
  const SystemRecord read = decodeSystem(record);
  same(read, unknowns);
  CHECK_FALSE(read.meminfo.swap_total_bytes);
  CHECK_FALSE(read.pressure.available);
  CHECK_FALSE(read.nvmap.available);
  CHECK(read.nvmap.reason == "no debugfs");
  CHECK_FALSE(read.zram.available);
  CHECK_FALSE(read.totals.memory.pss_file_bytes);
  CHECK(read.totals.counts.exited == 1);

  ledger.system.meminfo.swap_total_bytes = 0;
  ledger.system.meminfo.swap_free_bytes = 0;
  ledger.system.nvmap = {true, "", 300 * kMiB, {}};
  ledger.system.pressure = {true, {125, 80, 30, 123456}, {3, 12, 1, 789}};
  ledger.system.zram.available = true;
  ledger.system.zram.devices = {{"zram0", 650 * kMiB, 300 * kMiB, 100 * kMiB, 110 * kMiB, 0, 12, 3},
                                {"zram1", 650 * kMiB, 0, 0, 0, 0, 0, std::nullopt}};
  ledger.system.zram.totals = {2, 1300 * kMiB, 300 * kMiB, 100 * kMiB, 110 * kMiB};
  const SystemRecord knowns = systemRecord(ledger, 1'700'000'000'000'000, everyone);
  same(decodeSystem(encodeSystem(knowns)), knowns);
  CHECK(decodeSystem(encodeSystem(knowns)).pressure.full.avg60_permyriad == 12u);
  CHECK(decodeSystem(encodeSystem(knowns)).totals.unaccounted_bytes == ledger.totals.unaccounted_bytes);
  CHECK(decodeSystem(encodeSystem(knowns)).nvmap.total_bytes == 300 * kMiB);
  const ZramSnapshot zram = decodeSystem(encodeSystem(knowns)).zram;
  REQUIRE(zram.devices.size() == 2);
  CHECK(zram.devices[0].huge_pages == 3u);
  CHECK_FALSE(zram.devices[1].huge_pages);
  CHECK(zram.totals.mem_used_bytes == 110 * kMiB);
}

TEST_CASE("the system record's sections share no name, so one flat record carries them all", "[bus]") {
  SystemRecord s;
  s.meminfo.buffers_bytes = s.meminfo.cached_bytes = s.meminfo.shmem_bytes = 1;
  s.meminfo.swap_total_bytes = s.meminfo.swap_free_bytes = s.meminfo.cma_total_bytes = 1;
  s.meminfo.cma_free_bytes = s.meminfo.nvmap_mem_used_bytes = s.meminfo.nvmap_mem_free_bytes = 1;
  s.pressure.available = true;
  s.nvmap.available = true;
  s.zram.available = true;
  // sample_usec, nvmap_total_bytes, the zram_devices list and the unreadable_processes list
  std::size_t fields = 1 + 1 + 1 + 1;
  const auto count = [&](const char*, const auto&) { ++fields; };
  visitFields(std::as_const(s.meminfo), count);
  visitFields(std::as_const(s.pressure.some), count);
  visitFields(std::as_const(s.pressure.full), count);
  visitFields(std::as_const(s.totals), count);
  visitFields(std::as_const(s.zram.totals), count);
  CHECK(encodeSystem(s).size() == fields);
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

TEST_CASE("the unreadable processes reach a caller only where it may see them, never those of unknown owner",
          "[bus]") {
  Ledger ledger;
  ledger.unreadable = {{812, "sshd", 0u}, {1203, "gpg-agent", 1000u}, {1500, "", std::nullopt}};
  const auto own = systemRecord(ledger, 1, [](uid_t uid) { return uid == 1000; });
  REQUIRE(own.unreadable.size() == 1);
  CHECK(own.unreadable[0].comm == "gpg-agent");
  const auto all = decodeSystem(encodeSystem(systemRecord(ledger, 1, [](uid_t) { return true; })));
  CHECK(all.unreadable.size() == 2);
  CHECK(all.unreadable[1].uid == 1000u);
  // Root's many come first by PID; the caller still gets its own.
  Ledger crowded;
  for (pid_t pid = 1; pid <= 100; ++pid) crowded.unreadable.push_back({pid, "root-thing", 0u});
  crowded.unreadable.push_back({5000, "mine", 1000u});
  const auto mine = systemRecord(crowded, 1, [](uid_t uid) { return uid == 1000; });
  REQUIRE(mine.unreadable.size() == 1);
  CHECK(mine.unreadable[0].comm == "mine");
  CHECK(systemRecord(crowded, 1, [](uid_t) { return true; }).unreadable.size() == kMaxUnreadableListed);
}
