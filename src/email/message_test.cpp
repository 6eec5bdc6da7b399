#include "email/message.hpp"

#include <gtest/gtest.h>

#include <sodium.h>

#include "core/time.hpp"

namespace rapport::email {
namespace {

// Decodes one "=?UTF-8?B?...?=" word (test helper).
std::string DecodeWord(std::string_view word) {
  EXPECT_TRUE(word.starts_with("=?UTF-8?B?") && word.ends_with("?=")) << word;
  std::string_view b64 = word.substr(10, word.size() - 12);
  std::string out(b64.size(), '\0');
  std::size_t length = 0;
  EXPECT_EQ(
      sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), b64.data(),
                        b64.size(), nullptr, &length, nullptr, sodium_base64_VARIANT_ORIGINAL),
      0);
  out.resize(length);
  return out;
}

// Decodes a folded sequence of encoded words.
std::string DecodeWords(std::string_view value) {
  std::string out;
  std::size_t start = 0;
  while (start < value.size()) {
    std::size_t end = value.find("\r\n ", start);
    if (end == std::string_view::npos) end = value.size();
    std::string_view word = value.substr(start, end - start);
    EXPECT_LE(word.size(), 75u) << word;
    out += DecodeWord(word);
    start = end == value.size() ? end : end + 3;
  }
  return out;
}

TEST(MessageTest, PlainAsciiHeaderTextStaysAsIs) {
  EXPECT_EQ(EncodeHeaderText("Quarterly review: 3 items"), "Quarterly review: 3 items");
}

TEST(MessageTest, NonAsciiHeaderTextBecomesEncodedWords) {
  const std::string subject =
      "Caf\xc3\xa9 \xe2\x98\x95 r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac";
  const std::string encoded = EncodeHeaderText(subject);
  EXPECT_TRUE(encoded.starts_with("=?UTF-8?B?")) << encoded;
  EXPECT_EQ(DecodeWords(encoded), subject);
}

TEST(MessageTest, LongNonAsciiTextFoldsWithoutSplittingCharacters) {
  std::string subject;
  for (int i = 0; i < 120; ++i) subject += "\xc3\xa9\xe2\x82\xac";  // é€, 5 bytes
  const std::string encoded = EncodeHeaderText(subject);
  EXPECT_NE(encoded.find("\r\n "), std::string::npos);
  EXPECT_EQ(DecodeWords(encoded), subject);
  // Each word decodes to whole characters on its own.
  std::size_t start = 0;
  while (start < encoded.size()) {
    std::size_t end = encoded.find("\r\n ", start);
    if (end == std::string::npos) end = encoded.size();
    const std::string piece = DecodeWord(std::string_view(encoded).substr(start, end - start));
    EXPECT_EQ(SanitizeUtf8(piece), piece);
    start = end == encoded.size() ? end : end + 3;
  }
}

TEST(MessageTest, LineBreaksNeverReachAHeader) {
  for (const std::string text : {"Hi\r\nBcc: victim@example.com", "Hi\nBcc: x@example.com",
                                 "Hi\rX-Evil: 1", "caf\xc3\xa9\r\nBcc: x@example.com"}) {
    const std::string encoded = EncodeHeaderText(text);
    // The only CR LF allowed is a fold (followed by a space).
    for (std::size_t i = encoded.find('\r'); i != std::string::npos;
         i = encoded.find('\r', i + 1)) {
      ASSERT_LT(i + 2, encoded.size()) << encoded;
      EXPECT_EQ(encoded.substr(i, 3), "\r\n ") << encoded;
    }
    for (std::size_t i = encoded.find('\n'); i != std::string::npos;
         i = encoded.find('\n', i + 1)) {
      EXPECT_TRUE(i > 0 && encoded[i - 1] == '\r') << encoded;
    }
    EXPECT_EQ(encoded.find("\nBcc"), std::string::npos) << encoded;
    EXPECT_EQ(encoded.find("\rX-Evil"), std::string::npos) << encoded;
  }
}

TEST(MessageTest, TextThatLooksEncodedIsEncoded) {
  const std::string tricky = "=?UTF-8?B?SGk=?=";
  const std::string encoded = EncodeHeaderText(tricky);
  EXPECT_NE(encoded, tricky);
  EXPECT_EQ(DecodeWords(encoded), tricky);
}

TEST(MessageTest, FormatsMailboxesForHeaders) {
  struct Case {
    Mailbox mailbox;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"", "ada@example.com"}, "ada@example.com"},
      {{"Ada Lovelace", "ada@example.com"}, "Ada Lovelace <ada@example.com>"},
      {{"Lovelace, Ada", "ada@example.com"}, "\"Lovelace, Ada\" <ada@example.com>"},
      {{"Ada \"The\" Countess", "ada@example.com"},
       "\"Ada \\\"The\\\" Countess\" <ada@example.com>"},
      {{"Eve\r\nBcc: x@example.com", "eve@example.com"},
       "\"Eve  Bcc: x@example.com\" <eve@example.com>"},
  };
  for (const Case& c : cases) EXPECT_EQ(FormatMailbox(c.mailbox), c.expected);
  const std::string encoded = FormatMailbox({"Zo\xc3\xab M\xc3\xbcller", "zoe@example.com"});
  ASSERT_TRUE(encoded.ends_with(" <zoe@example.com>")) << encoded;
  EXPECT_EQ(DecodeWords(encoded.substr(0, encoded.size() - 18)), "Zo\xc3\xab M\xc3\xbcller");
}

TEST(MessageTest, ParsesMailboxes) {
  auto plain = ParseMailbox("  crm@example.com ");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->address, "crm@example.com");
  EXPECT_EQ(plain->name, "");
  auto named = ParseMailbox("Rapport CRM <crm@example.com>");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->name, "Rapport CRM");
  EXPECT_EQ(named->address, "crm@example.com");
  auto quoted = ParseMailbox("\"Sales, EMEA\" <sales@example.com>");
  ASSERT_TRUE(quoted);
  EXPECT_EQ(quoted->name, "Sales, EMEA");
  EXPECT_TRUE(ParseMailbox("dev@localhost"));
  for (const char* bad : {"", "not an address", "a@b@c.com", "Name <>", "<x@example.com",
                          "Name\r\n <x@example.com>"}) {
    EXPECT_FALSE(ParseMailbox(bad)) << bad;
  }
}

TEST(MessageTest, PlusAddressesAndDomains) {
  EXPECT_EQ(PlusAddress("crm@example.com", "abc"), "crm+abc@example.com");
  EXPECT_EQ(DomainOf("crm@Example.COM"), "Example.COM");
  EXPECT_EQ(DomainOf("nothing"), "");
}

TEST(MessageTest, DatesAreRfc5322InUtc) {
  auto t = core::ParseTimestamp("2026-11-22T14:05:09Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatMailDate(*t), "Sun, 22 Nov 2026 14:05:09 +0000");
}

TEST(MessageTest, HeaderLinesCarryEveryHeaderOnce) {
  OutgoingMessage message;
  message.from = {"Rapport", "crm@example.com"};
  message.to = {"Grace Hopper", "grace@example.com"};
  message.reply_to = Mailbox{"Rapport", "crm+tag@example.com"};
  message.subject = "Hello";
  message.message_id = "id-1@example.com";
  message.date = *core::ParseTimestamp("2026-11-22T14:00:00Z");
  message.extra_headers = {{"X-Rapport-Email-Id", "id-1"}};
  const std::vector<std::string> expected = {"Date: Sun, 22 Nov 2026 14:00:00 +0000",
                                             "Message-ID: <id-1@example.com>",
                                             "From: Rapport <crm@example.com>",
                                             "To: Grace Hopper <grace@example.com>",
                                             "Reply-To: Rapport <crm+tag@example.com>",
                                             "Subject: Hello",
                                             "X-Rapport-Email-Id: id-1",
                                             "Content-Type: multipart/alternative"};
  EXPECT_EQ(HeaderLines(message), expected);
}

TEST(MessageTest, SanitizesUtf8AndLineEndings) {
  EXPECT_EQ(SanitizeUtf8("ok \xc3\xa9"), "ok \xc3\xa9");
  EXPECT_EQ(SanitizeUtf8("bad \xff end"), "bad \xef\xbf\xbd end");
  EXPECT_EQ(SanitizeUtf8("overlong \xc0\xaf"), "overlong \xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(SanitizeUtf8(std::string("nul\0byte", 8)), "nulbyte");
  EXPECT_EQ(SanitizeUtf8("cut \xe2\x82"), "cut \xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(NormalizeLineEndings("a\nb\r\nc\rd"), "a\r\nb\r\nc\r\nd");
}

}  // namespace
}  // namespace rapport::email
