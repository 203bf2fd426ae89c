#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>

#include "sdbus-c++/sdbus-c++.h"

namespace jmem {

// A record on the bus as a{sv}: fields by name, not by position, so that either end can add a field
// (the live views and the reclaim table to come) without the other misreading the rest, and so that a
// figure that is unknown is absent instead of 0. jmemd encodes and jmemctl decodes with the record's
// own functions, and only these; a field the decoder does not find is unknown (or empty).
using BusRecord = std::map<std::string, sdbus::Variant>;

// Reads `name` into `field` when the record has it as a T; leaves `field` as it is otherwise.
template <typename T, typename Field>
void readField(const BusRecord& record, const char* name, Field& field) {
  const auto found = record.find(name);
  if (found != record.end() && found->second.containsValueOfType<T>()) field = found->second.get<T>();
}

// A figure that is unknown stays out of the record. Every value is made a Variant explicitly: sdbus-c++
// 2, which the packages build against, has no implicit conversion.
template <typename T>
void putKnown(BusRecord& record, const char* name, const std::optional<T>& value) {
  if (value) record[name] = sdbus::Variant(*value);
}

// About how many bytes `record` adds to a message, for the bound on a reply's size.
std::size_t wireBytes(const BusRecord& record);

}  // namespace jmem
