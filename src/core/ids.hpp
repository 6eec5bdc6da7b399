#pragma once

#include <string>
#include <string_view>

namespace rapport::core {

// Returns a new UUIDv7 (RFC 9562) as lowercase canonical text, e.g.
// "01890a5d-ac96-774b-bcce-b302099a8057": a 48-bit Unix timestamp in milliseconds, version 7,
// variant 0b10, a 12-bit counter in rand_a (RFC 9562 §6.2, method 1) and 62 random bits from
// libsodium.
//
// Monotonic within the process: ids returned by successive calls (from any thread) compare
// strictly greater as strings. When the counter of one millisecond is used up, or the clock
// goes backwards, the embedded timestamp runs slightly ahead of the clock rather than repeat.
// Thread-safe. Throws std::runtime_error only if libsodium cannot be initialised.
std::string NewId();

// Returns a random (version 4) UUID for labelling a request: unique with overwhelming
// probability, but drawn from a per-thread generator seeded once from libsodium, so it costs
// no system call. Not for secrets or record ids. Thread-safe.
std::string NewRequestId();

// True when `s` is canonical UUID text of any version: 36 characters, hyphens at positions
// 8, 13, 18 and 23, hex digits (either case) elsewhere. No braces, no "urn:uuid:" prefix.
bool IsUuid(std::string_view s);

}  // namespace rapport::core
