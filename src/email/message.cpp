#include "email/message.hpp"

#include <array>
#include <chrono>

#include <sodium.h>

#include <fmt/format.h>

#include "core/sodium.hpp"
#include "core/text.hpp"

namespace rapport::email {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
// Encoded words are at most 75 characters: "=?UTF-8?B?" + 60 base64 characters + "?=",
// which carry 45 bytes.
constexpr std::size_t kBytesPerWord = 45;
// Above this an unencoded value would risk the 998-character line limit.
constexpr std::size_t kMaxPlainHeader = 900;

// The length of the valid UTF-8 sequence at `s[i]`, or 0 when it is not one.
std::size_t Utf8SequenceAt(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    if (c == 0xE0) low = 0xA0;   // no overlong forms
    if (c == 0xED) high = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    if (c == 0xF0) low = 0x90;
    if (c == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

std::string Base64(std::string_view bytes) {
  core::EnsureSodium();
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// Control characters (line breaks included) become spaces: a header value is one line.
std::string Flatten(std::string_view text) {
  std::string out = SanitizeUtf8(text);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) c = ' ';
  }
  return out;
}

bool IsPrintableAscii(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) return false;
  }
  return true;
}

// UTF-8 `text` as "B" encoded words, never splitting a character between two words.
std::string EncodedWords(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = start;
    while (end < text.size()) {
      const std::size_t length = std::max<std::size_t>(1, Utf8SequenceAt(text, end));
      if (end + length - start > kBytesPerWord) break;
      end += length;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?";
    out += Base64(text.substr(start, end - start));
    out += "?=";
    start = end;
  }
  return out;
}

bool IsAtext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool IsValidAddress(std::string_view address) {
  if (core::IsValidEmail(address)) return true;
  // Also `user@localhost`, for development setups.
  const auto at = address.find('@');
  if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view domain = address.substr(at + 1);
  if (domain.empty() || domain.size() > 63 || domain.front() == '-' || domain.back() == '-') {
    return false;
  }
  for (const char c : domain) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return core::IsValidEmail(std::string(address.substr(0, at)) + "@example.com");
}

}  // namespace

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t length = Utf8SequenceAt(text, i);
    if (length == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (!(length == 1 && text[i] == '\0')) out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

std::string NormalizeLineEndings(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<Mailbox> ParseMailbox(std::string_view text) {
  std::string trimmed = core::Trim(text);
  std::string_view rest = trimmed;
  Mailbox mailbox;
  if (!rest.empty() && rest.back() == '>') {
    const auto open = rest.rfind('<');
    if (open == std::string_view::npos) return std::nullopt;
    mailbox.address = std::string(rest.substr(open + 1, rest.size() - open - 2));
    if (rest.substr(0, open).find_first_of("\r\n") != std::string_view::npos) return std::nullopt;
    std::string name = core::Trim(rest.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      std::string unquoted;
      for (std::size_t i = 1; i + 1 < name.size(); ++i) {
        if (name[i] == '\\' && i + 2 < name.size()) ++i;
        unquoted += name[i];
      }
      name = std::move(unquoted);
    }
    if (name.find_first_of("<>") != std::string::npos) return std::nullopt;
    mailbox.name = std::move(name);
  } else {
    mailbox.address = std::string(rest);
  }
  if (!IsValidAddress(mailbox.address)) return std::nullopt;
  return mailbox;
}

std::string_view DomainOf(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

std::string PlusAddress(std::string_view address, std::string_view tag) {
  const auto at = address.rfind('@');
  if (at == std::string_view::npos) return std::string(address);
  return fmt::format("{}+{}{}", address.substr(0, at), tag, address.substr(at));
}

std::string EncodeHeaderText(std::string_view text) {
  const std::string flat = Flatten(text);
  if (IsPrintableAscii(flat) && flat.find("=?") == std::string::npos &&
      flat.size() <= kMaxPlainHeader) {
    return flat;
  }
  return EncodedWords(flat);
}

std::string FormatMailbox(const Mailbox& mailbox) {
  const std::string name = core::Trim(Flatten(mailbox.name));
  if (name.empty()) return mailbox.address;
  if (!IsPrintableAscii(name) || name.size() > kMaxPlainHeader) {
    return fmt::format("{} <{}>", EncodedWords(name), mailbox.address);
  }
  bool atoms = true;
  for (const char c : name) atoms = atoms && (c == ' ' || IsAtext(c));
  if (atoms && name.find("=?") == std::string::npos) {
    return fmt::format("{} <{}>", name, mailbox.address);
  }
  std::string quoted = "\"";
  for (const char c : name) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  return fmt::format("{} <{}>", quoted, mailbox.address);
}

std::string FormatMailDate(core::Timestamp t) {
  static constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                            "Thu", "Fri", "Sat"};
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::weekday weekday{day};
  const std::chrono::hh_mm_ss time{std::chrono::floor<std::chrono::seconds>(t - day)};
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", kDays[weekday.c_encoding()],
                     static_cast<unsigned>(ymd.day()),
                     kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                     time.hours().count(), time.minutes().count(), time.seconds().count());
}

std::vector<std::string> HeaderLines(const OutgoingMessage& message) {
  std::vector<std::string> lines;
  lines.push_back("Date: " + FormatMailDate(message.date));
  lines.push_back(fmt::format("Message-ID: <{}>", message.message_id));
  lines.push_back("From: " + FormatMailbox(message.from));
  lines.push_back("To: " + FormatMailbox(message.to));
  if (message.reply_to) lines.push_back("Reply-To: " + FormatMailbox(*message.reply_to));
  lines.push_back("Subject: " + EncodeHeaderText(message.subject));
  for (const auto& [name, value] : message.extra_headers) {
    lines.push_back(fmt::format("{}: {}", name, EncodeHeaderText(value)));
  }
  lines.push_back("Content-Type: multipart/alternative");
  return lines;
}

}  // namespace rapport::email
