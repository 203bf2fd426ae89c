#pragma once

// Where jmemd serves its interface, for jmemd, jmemctl and the tests alike. The interface's own name
// is the generated INTERFACE_NAME.
namespace jmem {

inline constexpr const char* kBusName = "org.jmem.Governor1";
inline constexpr const char* kObjectPath = "/org/jmem/Governor1";

}  // namespace jmem
