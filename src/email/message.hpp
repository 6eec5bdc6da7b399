#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace rapport::email {

// A mailbox: an address with an optional display name (UTF-8, any characters).
struct Mailbox {
  std::string name;
  std::string address;
};

// Parses `addr@example.com`, `Name <addr@example.com>` or `"Quoted, Name" <addr@example.com>`
// (surrounding whitespace ignored). The address must pass core::IsValidEmail, except that a
// single-label domain such as `localhost` is accepted. nullopt for anything else.
std::optional<Mailbox> ParseMailbox(std::string_view text);

// The domain of `address` (after the last '@'); empty when there is none.
std::string_view DomainOf(std::string_view address);

// `local+tag@domain` for `address` = `local@domain`.
std::string PlusAddress(std::string_view address, std::string_view tag);

// The header value for unstructured text (RFC 5322 §3.2.5, RFC 2047): `text` as is when it
// is printable ASCII that cannot be mistaken for an encoded word; otherwise UTF-8 "B"
// encoded words of at most 75 characters, folded with CRLF SP. The result never holds a CR
// or LF except in such a fold, so no input can start a new header line. Invalid UTF-8 is
// replaced by U+FFFD first.
std::string EncodeHeaderText(std::string_view text);

// `Name <address>` for a header: the name as an atom sequence, a quoted string, or encoded
// words, whichever it needs; just `address` when the name is empty. `address` must already
// be valid (it is not encoded).
std::string FormatMailbox(const Mailbox& mailbox);

// RFC 5322 date-time in UTC, e.g. `Sun, 22 Nov 2026 14:00:00 +0000`.
std::string FormatMailDate(core::Timestamp t);

// A message to send. Bodies are UTF-8 with any line endings.
struct OutgoingMessage {
  Mailbox from;
  Mailbox to;
  std::optional<Mailbox> reply_to;
  std::string subject;
  std::string message_id;  // without the angle brackets
  core::Timestamp date{};
  std::string text;
  std::string html;
  // Further headers, written as `Name: value` after the standard ones. Names must be
  // tokens; values are encoded like EncodeHeaderText.
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

// The message's header lines (Date, Message-ID, From, To, Reply-To, Subject, the extras and
// `Content-Type: multipart/alternative`), each without its line ending. The MIME body parts
// are not included; see SmtpSender.
std::vector<std::string> HeaderLines(const OutgoingMessage& message);

// `text` with every line ending (CRLF, LF or a lone CR) written as CRLF, as SMTP wants.
std::string NormalizeLineEndings(std::string_view text);

// `text` as valid UTF-8: every invalid byte becomes U+FFFD and NULs are dropped.
std::string SanitizeUtf8(std::string_view text);

}  // namespace rapport::email
