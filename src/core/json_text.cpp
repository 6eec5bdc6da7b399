#include "core/json_text.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace rapport::core {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// Per byte: 0 plain, 1 needs an escape, 2 not ASCII (UTF-8 to check).
constexpr std::array<unsigned char, 256> kClass = [] {
  std::array<unsigned char, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = 1;
  table['"'] = 1;
  table['\\'] = 1;
  for (int c = 0x80; c < 0x100; ++c) table[c] = 2;
  return table;
}();

void AppendEscaped(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
  }
}

// The kClass bits of every byte of `text` ORed together, eight bytes at a time: a word
// holds a byte that matters when it has a byte under 0x20, a '"', a '\\' or a byte with
// the high bit set (then the table says which).
unsigned char ClassesOf(std::string_view text) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto has_below = [](uint64_t w, uint8_t n) { return (w - kOnes * n) & ~w & kHigh; };
  auto has_byte = [&](uint64_t w, uint8_t b) { return has_below(w ^ (kOnes * b), 1); };
  unsigned char seen = 0;
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, text.data() + i, 8);
    if (((w & kHigh) | has_below(w, 0x20) | has_byte(w, '"') | has_byte(w, '\\')) == 0) continue;
    for (std::size_t j = i; j < i + 8; ++j) seen |= kClass[static_cast<unsigned char>(text[j])];
  }
  for (; i < text.size(); ++i) seen |= kClass[static_cast<unsigned char>(text[i])];
  return seen;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  const unsigned char seen = ClassesOf(text);
  if ((seen & 2) != 0 && !core::IsValidUtf8(text)) {
    // Rare (rows written before input validation, or by hand): let nlohmann replace.
    out += nlohmann::json(std::string(text))
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out += '"';
  if ((seen & 1) == 0) {
    out += text;  // the common case: nothing to escape
  } else {
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (kClass[c] != 1) continue;
      out.append(text, start, i - start);
      AppendEscaped(out, c);
      start = i + 1;
    }
    out.append(text, start, text.size() - start);
  }
  out += '"';
}

void AppendJsonStringOrNull(std::string& out, const std::optional<std::string>& text) {
  if (text) {
    AppendJsonString(out, *text);
  } else {
    out += "null";
  }
}

}  // namespace rapport::core
