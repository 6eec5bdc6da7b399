#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rapport::core {

// Base64url (RFC 4648 §5) of arbitrary bytes, without '=' padding.
std::string Base64UrlEncode(std::string_view bytes);

// Decodes base64url text with or without padding (padding, when present, must be complete).
// Returns nullopt for any character outside [A-Za-z0-9_-], including '+', '/' and
// whitespace, for an impossible length, or for non-zero unused trailing bits.
std::optional<std::string> Base64UrlDecode(std::string_view text);

// A pragmatic address check (no quoted local parts, comments or IP literals): exactly one
// '@'; a local part of 1-64 atext characters (letters, digits and !#$%&'*+-/=?^_`{|}~)
// separated by single dots, not starting or ending with one; a domain of at least two
// dot-separated labels, each 1-63 characters of [A-Za-z0-9-] not starting or ending with
// '-'; 254 characters at most overall.
bool IsValidEmail(std::string_view s);

// Maps 'A'-'Z' to 'a'-'z'; every other byte (including UTF-8) is kept as is.
std::string ToLowerAscii(std::string_view s);

// True when `s` is well-formed UTF-8: shortest-form encodings only, no surrogates (U+D800 to
// U+DFFF), nothing above U+10FFFF.
bool IsValidUtf8(std::string_view s);

// `s` without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string Trim(std::string_view s);

// Escapes '\', '%' and '_' with a backslash so `s` matches literally in
// `LIKE ? ESCAPE '\'` (the caller adds any surrounding '%').
std::string EscapeLike(std::string_view s);

}  // namespace rapport::core
