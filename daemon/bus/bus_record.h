#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <type_traits>

#include "core/shared_text.h"
#include "sdbus-c++/sdbus-c++.h"

namespace jmem {

// A record on the bus as a{sv}: fields by name, not by position, so that either end can add a field
// (the live views and the reclaim table to come) without the other misreading the rest, and so that a
// figure that is unknown is absent instead of 0. jmemd encodes and jmemctl decodes with the record's
// own functions, and only these; a field the decoder does not find is unknown (or empty).
using BusRecord = std::map<std::string, sdbus::Variant>;

// Reads `name` into `field` when the record has it as a T (and says so); leaves `field` as it is
// otherwise.
template <typename T, typename Field>
bool readField(const BusRecord& record, const char* name, Field& field) {
  const auto found = record.find(name);
  if (found == record.end() || !found->second.containsValueOfType<T>()) return false;
  field = found->second.get<T>();
  return true;
}

// A figure that is unknown stays out of the record. Every value is made a Variant explicitly: sdbus-c++
// 2, which the packages build against, has no implicit conversion.
template <typename T>
void putKnown(BusRecord& record, const char* name, const std::optional<T>& value) {
  if (value) record[name] = sdbus::Variant(*value);
}

// The type a field travels as: an optional's value, a text's string.
template <typename T>
inline constexpr bool kMaybeUnknown = false;
template <typename T>
inline constexpr bool kMaybeUnknown<std::optional<T>> = true;

template <typename T>
struct WireType {
  using type = T;
};
template <typename T>
struct WireType<std::optional<T>> {
  using type = T;
};
template <>
struct WireType<SharedText> {
  using type = std::string;
};

template <typename T>
void putField(BusRecord& record, const std::string& name, const T& value) {
  record[name] = sdbus::Variant(value);
}
template <typename T>
void putField(BusRecord& record, const std::string& name, const std::optional<T>& value) {
  if (value) record[name] = sdbus::Variant(*value);
}
inline void putField(BusRecord& record, const std::string& name, const SharedText& value) {
  record[name] = sdbus::Variant(value.str());
}

// A record's fields (its visitFields) into `record`, each name after `prefix`.
template <typename Record>
void putFields(BusRecord& record, const Record& fields, const std::string& prefix = {}) {
  visitFields(fields, [&](const char* name, const auto& value) { putField(record, prefix + name, value); });
}

// The fields `record` has back into `fields`. A figure that may be unknown is unknown when absent,
// whatever `fields` held; any other keeps its value.
template <typename Record>
void readFields(const BusRecord& record, Record& fields, const std::string& prefix = {}) {
  visitFields(fields, [&](const char* name, auto& field) {
    using Field = std::remove_cvref_t<decltype(field)>;
    if constexpr (kMaybeUnknown<Field>) field.reset();
    const std::string key = prefix + name;
    readField<typename WireType<Field>::type>(record, key.c_str(), field);
  });
}

template <typename Record>
BusRecord encodeFields(const Record& fields) {
  BusRecord record;
  putFields(record, fields);
  return record;
}
template <typename Record>
Record decodeFields(const BusRecord& record) {
  Record fields;
  readFields(record, fields);
  return fields;
}

// About how many bytes `record` adds to a message, for the bound on a reply's size.
std::size_t wireBytes(const BusRecord& record);

}  // namespace jmem
