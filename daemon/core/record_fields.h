#pragma once

#include <concepts>
#include <type_traits>

namespace jmem {

// A record's fields are named once, in a visitFields overload beside the record: visit(name, field)
// for each, in the order the dump writes them. The dump's JSON and the bus's a{sv} encode and decode
// through that one list, so a field added there reaches both wires under one name. Encoders see the
// record const and also get its derived figures (cost_bytes) as values; decoders see it mutable and
// get only the stored fields.
template <typename Visited, typename Record>
concept FieldsOf = std::same_as<std::remove_const_t<Visited>, Record>;

}  // namespace jmem
