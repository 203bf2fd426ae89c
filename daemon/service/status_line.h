#pragma once

#include <cstdint>
#include <string>

#include "model/health_figures.h"
#include "model/ledger_figures.h"

namespace jmem {

// The line jmemd gives systemd as STATUS= (systemctl status shows it): the ledger in brief, or, when it
// is stale, why and since when; then the policy's verdict where it is not compliant. Pure: the age of
// the last good sample is passed in.
std::string statusLine(const LedgerFigures& figures, const HealthFigures& health,
                       std::uint64_t sample_age_usec);

}  // namespace jmem
