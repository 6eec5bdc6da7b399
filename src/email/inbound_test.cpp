#include "email/inbound.hpp"

#include <gtest/gtest.h>

namespace rapport::email {
namespace {

TEST(InboundTest, ParsesHeadersAndThePlainText) {
  const std::string raw =
      "From: =?UTF-8?B?Wm/DqyBNw7xsbGVy?= <zoe@example.org>\r\n"
      "To: Rapport <crm+0123456789abcdef01234567@example.com>\r\n"
      "Cc: other@example.org\r\n"
      "Subject: Re: =?UTF-8?Q?Caf=C3=A9?=\r\n"
      "Message-ID: <reply-1@example.org>\r\n"
      "In-Reply-To: <orig-1@example.com>\r\n"
      "References: <older@example.com>\r\n <orig-1@example.com>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/alternative; boundary=b\r\n"
      "\r\n"
      "--b\r\n"
      "Content-Type: text/plain; charset=iso-8859-1\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n"
      "Oui, =E7a marche.\r\n"
      "\r\n"
      "On Mon, 23 Nov 2026, Rapport <crm@example.com> wrote:\r\n"
      "> Hello\r\n"
      "> there\r\n"
      "--b\r\n"
      "Content-Type: text/html; charset=utf-8\r\n"
      "\r\n"
      "<p>HTML version</p>\r\n"
      "--b--\r\n";
  auto parsed = ParseInbound(raw);
  ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
  EXPECT_EQ(parsed->message_id, "reply-1@example.org");
  EXPECT_EQ(parsed->in_reply_to, std::vector<std::string>{"orig-1@example.com"});
  EXPECT_EQ(parsed->references,
            (std::vector<std::string>{"older@example.com", "orig-1@example.com"}));
  EXPECT_EQ(parsed->from.address, "zoe@example.org");
  EXPECT_EQ(parsed->from.name, "Zo\xc3\xab M\xc3\xbcller");
  EXPECT_EQ(
      parsed->recipients,
      (std::vector<std::string>{"crm+0123456789abcdef01234567@example.com", "other@example.org"}));
  EXPECT_EQ(parsed->subject, "Re: Caf\xc3\xa9");
  EXPECT_EQ(parsed->text,
            "Oui, \xc3\xa7"
            "a marche.");
}

TEST(InboundTest, FallsBackToHtmlText) {
  auto parsed = ParseInbound(
      "From: a@example.org\r\nContent-Type: text/html\r\n\r\n<p>Only <b>HTML</b></p>"
      "<blockquote>old</blockquote>");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->text, "Only HTML");
}

TEST(InboundTest, ReadsDeliveredToAndTolerantOfMissingParts) {
  auto parsed = ParseInbound("Delivered-To: crm+abc@example.com\r\nSubject: x\r\n\r\n");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->recipients, std::vector<std::string>{"crm+abc@example.com"});
  EXPECT_FALSE(parsed->message_id);
  EXPECT_EQ(parsed->from.address, "");
  EXPECT_EQ(parsed->text, "");
}

TEST(InboundTest, GarbageNeverThrows) {
  EXPECT_FALSE(ParseInbound("").ok());
  EXPECT_FALSE(ParseInbound(" \r\n ").ok());
  for (const std::string& raw :
       {std::string("\x00\xff\xfe garbage", 12), std::string("no headers at all"),
        std::string("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x"),
        std::string("Subject: =?UTF-8?B?////?=\r\nIn-Reply-To: <<<>>>\r\n\r\n\xff\xff"),
        std::string(100000, '<')}) {
    auto parsed = ParseInbound(raw);  // either way, no crash and valid UTF-8 out
    if (parsed.ok()) {
      EXPECT_EQ(parsed->subject.find('\0'), std::string::npos);
      EXPECT_EQ(SanitizeUtf8(parsed->text), parsed->text);
    }
  }
}

TEST(InboundTest, PlusTags) {
  EXPECT_EQ(PlusTag("crm+abc@example.com"), "abc");
  EXPECT_EQ(PlusTag("crm+x+abc@example.com"), "abc");
  EXPECT_EQ(PlusTag("crm@example.com"), "");
  EXPECT_EQ(PlusTag("nothing"), "");
}

TEST(InboundTest, StripsTheQuotedOriginal) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"Thanks!\n\nOn Tue, 3 Mar 2026 at 10:00, Ada <ada@example.com> wrote:\n> hi\n> there\n",
       "Thanks!"},
      {"Sure.\nOn Tue, 3 Mar 2026 at 10:00, Ada Lovelace\n<ada@example.com> wrote:\n>hi\n",
       "Sure."},
      {"Fine\r\n\r\n-----Original Message-----\r\nFrom: x\r\nhello", "Fine"},
      {"> only a quote\n> nothing else", "> only a quote\n> nothing else"},
      {"Inline:\n> question?\nanswer.\n", "Inline:\n> question?\nanswer."},
      {"  plain text  \n", "plain text"},
  };
  for (const Case& c : cases) EXPECT_EQ(StripQuotedReply(c.text), c.expected) << c.text;
}

}  // namespace
}  // namespace rapport::email
