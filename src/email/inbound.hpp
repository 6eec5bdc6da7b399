#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "email/message.hpp"

namespace rapport::email {

// What the reply matcher and the reply store need from a received message. All text is
// valid UTF-8 (invalid bytes replaced), without NULs.
struct InboundMessage {
  std::optional<std::string> message_id;  // without angle brackets
  std::vector<std::string> in_reply_to;   // message ids, without angle brackets
  std::vector<std::string> references;    // in header order, oldest first
  Mailbox from;                           // address empty when the message has no From
  // Every address the message was sent to: To, Cc, Delivered-To, X-Original-To.
  std::vector<std::string> recipients;
  std::string subject;
  // The new text of the reply: the first text/plain part that is not an attachment (else
  // the first text/html part as text), without the quoted original below it.
  std::string text;
};

// Parses a raw RFC 5322 message with GMime. Malformed (BadRequest-like, code kBadRequest)
// when `raw` is empty or is not a message at all; a message that merely lacks headers or
// a body parses with those fields empty. Never throws on bad input. Thread-safe.
core::Result<InboundMessage> ParseInbound(std::string_view raw);

// The plus tag of `address` (`local+TAG@domain` → `TAG`); empty when there is none.
std::string PlusTag(std::string_view address);

// `text` without a trailing quoted original: the run of `>`-quoted and blank lines at the
// end, the attribution line before it (`On …, X wrote:`), and everything from an
// `-----Original Message-----` line on. Returns `text` trimmed when that would leave
// nothing.
std::string StripQuotedReply(std::string_view text);

}  // namespace rapport::email
