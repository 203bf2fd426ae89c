#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/health_figures.h"
#include "model/ledger_figures.h"

namespace jmem {

// What counts as a change worth a PropertiesChanged signal: smaller moves are not announced, so a
// ledger that breathes by a few pages each second does not flood the bus.
inline constexpr std::uint64_t kBytesChangeStep = 1024 * 1024;
inline constexpr std::uint32_t kPressureChangeStepPermyriad = 50;

// Names of the properties whose value moved past its step since it was last announced; those
// fields of `announced` take the new values. A slow drift is announced once it adds up to a step.
std::vector<std::string> announceChanges(LedgerFigures& announced, const LedgerFigures& now);

// Names of the properties of `now` that differ from `announced`, which takes their values.
std::vector<std::string> announceChanges(HealthFigures& announced, const HealthFigures& now);

}  // namespace jmem
