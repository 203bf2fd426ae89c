#include "sources/system_figures.h"

#include <unistd.h>

namespace jmem {

Result<SystemFigures> readSystemFigures(const Roots& roots) {
  SystemFigures figures;
  auto meminfo = readMeminfo(roots.proc);
  if (!meminfo) return meminfo.error();
  figures.meminfo = *meminfo;
  auto pressure = readMemoryPressure(roots.proc);
  if (!pressure) return pressure.error();
  figures.pressure = *pressure;
  figures.nvmap = readNvmap(roots.debugfs);
  figures.zram = readZram(roots.sys, static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)));
  if (roots.gpu) {
    figures.gpus = roots.gpu->sample();
  } else {
    figures.gpus.reason = "no GPU sampler";
  }
  return figures;
}

}  // namespace jmem
