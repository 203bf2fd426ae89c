#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "policy/policy.h"

namespace jmem::policy {

// True when `pattern` holds a glob character (* ? [).
bool isUnitGlob(std::string_view pattern);

// Why `pattern` is not a usable unit name or glob, or nullopt when it is. A glob must follow the
// same rules as a name once each wildcard stands for one character: unit-name characters only and a
// literal type suffix ("pipewire*.service", not "pipewire.*").
std::optional<std::string> unitPatternError(std::string_view pattern);

// fnmatch(3) without escapes: systemd's unit names use '\' as an ordinary character.
bool unitPatternMatches(const UnitPattern& pattern, std::string_view unit_name);

// Two patterns overlap when they are the same text or one is a name that the other, a glob, matches.
// Two different globs are never compared: whether they share a name depends on the units installed.
bool unitPatternsOverlap(const UnitPattern& a, const UnitPattern& b);

// Units the system cannot run without: no class may mask, disable or stop them, and the controller
// never acts on them.
std::span<const std::string_view> essentialUnits();
bool isEssentialUnit(std::string_view unit_name);

// The first essential unit that `pattern` names or matches.
std::optional<std::string_view> essentialUnitMatchedBy(const UnitPattern& pattern);

}  // namespace jmem::policy
