#pragma once

#include <cstdint>
#include <string>

#include "support/fixture_tree.h"

namespace jmem::test {

// A process as a fixture /proc holds it.
struct FakeProcess {
  int pid = 0;
  std::string comm = "worker";
  std::string cmdline = std::string("/usr/bin/worker\0--flag\0", 23);
  unsigned uid = 1000;
  std::string cgroup = "0::/system.slice/worker.service\n";
  std::uint64_t size_pages = 10000;
  std::uint64_t resident_pages = 2000;
  std::uint64_t rss_kib = 8000;
  std::uint64_t pss_kib = 6000;
  std::uint64_t pss_anon_kib = 4000;
  std::uint64_t pss_file_kib = 1500;
  std::uint64_t pss_shmem_kib = 500;
  std::uint64_t swap_pss_kib = 0;
};

inline std::string smapsRollupText(const FakeProcess& p) {
  return "00400000-7ffd1d5fd000 ---p 00000000 00:00 0                          [rollup]\n"
         "Rss:            " +
         std::to_string(p.rss_kib) +
         " kB\n"
         "Pss:            " +
         std::to_string(p.pss_kib) +
         " kB\n"
         "Pss_Anon:       " +
         std::to_string(p.pss_anon_kib) +
         " kB\n"
         "Pss_File:       " +
         std::to_string(p.pss_file_kib) +
         " kB\n"
         "Pss_Shmem:      " +
         std::to_string(p.pss_shmem_kib) +
         " kB\n"
         "Shared_Clean:          0 kB\n"
         "Swap:           " +
         std::to_string(p.swap_pss_kib) +
         " kB\n"
         "SwapPss:        " +
         std::to_string(p.swap_pss_kib) +
         " kB\n"
         "Locked:                0 kB\n";
}

inline void writeProcess(const FixtureTree& tree, const FakeProcess& p) {
  const std::string dir = "proc/" + std::to_string(p.pid) + "/";
  tree.write(dir + "comm", p.comm + "\n");
  tree.write(dir + "cmdline", p.cmdline);
  tree.write(dir + "status", "Name:\t" + p.comm + "\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t" +
                                 std::to_string(p.uid) + "\t" + std::to_string(p.uid) + "\t" +
                                 std::to_string(p.uid) + "\t" + std::to_string(p.uid) + "\n");
  tree.write(dir + "cgroup", p.cgroup);
  tree.write(dir + "statm",
             std::to_string(p.size_pages) + " " + std::to_string(p.resident_pages) + " 100 10 0 500 0\n");
  tree.write(dir + "smaps_rollup", p.size_pages == 0 ? std::string() : smapsRollupText(p));
}

inline void writeKernelThread(const FixtureTree& tree, int pid, const std::string& comm) {
  FakeProcess thread;
  thread.pid = pid;
  thread.comm = comm;
  thread.cmdline.clear();
  thread.uid = 0;
  thread.cgroup = "0::/\n";
  thread.size_pages = thread.resident_pages = 0;
  writeProcess(tree, thread);
  tree.write("proc/" + std::to_string(pid) + "/statm", "0 0 0 0 0 0 0\n");
}

}  // namespace jmem::test
