#include "core/text.hpp"

#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <sodium.h>

namespace rapport::core {
namespace {

using namespace std::string_literals;

TEST(Base64UrlTest, EncodesRfc4648VectorsWithoutPadding) {
  struct Case {
    std::string bytes;
    const char* encoded;
  };
  const Case cases[] = {
      {"", ""},
      {"f", "Zg"},
      {"fo", "Zm8"},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg"},
      {"fooba", "Zm9vYmE"},
      {"foobar", "Zm9vYmFy"},
      {"\xfb\xff\xbf", "-_-_"},  // the two url-safe characters
      {"\0\0"s, "AAA"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Base64UrlEncode(c.bytes), c.encoded);
    EXPECT_EQ(Base64UrlDecode(c.encoded), c.bytes) << c.encoded;
  }
}

TEST(Base64UrlTest, DecodeTable) {
  struct Case {
    const char* text;
    std::optional<std::string> bytes;
  };
  const Case cases[] = {
      {"Zg==", "f"},
      {"Zm8=", "fo"},
      {"Zm9v", "foo"},
      {"Zg", "f"},
      {"", ""},
      {"Zg=", std::nullopt},  // incomplete padding
      {"Zg===", std::nullopt},
      {"Z===", std::nullopt},
      {"====", std::nullopt},
      {"Z", std::nullopt},       // impossible length
      {"Zh", std::nullopt},      // non-zero trailing bits
      {"Zm9v+A", std::nullopt},  // standard alphabet
      {"Zm9v/A", std::nullopt},
      {"Zm 9v", std::nullopt},
      {"Zm9v\n", std::nullopt},
      {"Zm=9v", std::nullopt},
      {"Zm9v!", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Base64UrlDecode(c.text), c.bytes) << '"' << c.text << '"';
  }
}

TEST(Base64UrlTest, RoundTripsAllByteValues) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= bytes.size(); n += 37) {
    const std::string part = bytes.substr(0, n);
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(part)), part);
  }
}

TEST(Base64UrlTest, EncodesAsLibsodiumDoes) {
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string bytes;
  for (int n = 0; n <= 100; ++n) {
    std::string expected(sodium_base64_encoded_len(bytes.size(), kVariant), '\0');
    sodium_bin2base64(expected.data(), expected.size(),
                      reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), kVariant);
    expected.pop_back();  // the terminating NUL
    EXPECT_EQ(Base64UrlEncode(bytes), expected) << n << " bytes";
    bytes.push_back(static_cast<char>(n * 97 + 13));
  }
}

TEST(IsValidEmailTest, Table) {
  struct Case {
    std::string input;
    bool valid;
  };
  const std::string local64(64, 'a');
  const std::string label63(63, 'b');
  const Case cases[] = {
      {"ada@example.com", true},
      {"Ada.Lovelace@Example.COM", true},
      {"ada+crm@example.co.uk", true},
      {"first_last%tag@sub.example.org", true},
      {"o'brien@example.ie", true},
      {"x!#$&*/=?^`{|}~-@example.com", true},
      {"a@b.co", true},
      {"a@xn--bcher-kva.example", true},
      {"a@123.example", true},
      {"a@my-host.example", true},
      {local64 + "@example.com", true},
      {"a@" + label63 + ".com", true},
      {"", false},
      {"ada", false},
      {"@example.com", false},
      {"ada@", false},
      {"ada@localhost", false},  // no dot in domain
      {"ada@@example.com", false},
      {"ada@ex@ample.com", false},
      {"ada lovelace@example.com", false},
      {"ada@exam ple.com", false},
      {"ada\t@example.com", false},
      {"ada@example.com\n", false},
      {"ada\x01@example.com", false},
      {".ada@example.com", false},
      {"ada.@example.com", false},
      {"a..da@example.com", false},
      {"\"ada\"@example.com", false},  // quoted local parts are not supported
      {"ada@-example.com", false},
      {"ada@example-.com", false},
      {"ada@example.com-", false},
      {"ada@.example.com", false},
      {"ada@example..com", false},
      {"ada@example.com.", false},
      {"ada@exa_mple.com", false},
      {"ada@[127.0.0.1]", false},
      {"adä@example.com", false},
      {"ada@exämple.com", false},
      {"a(b)@example.com", false},
      {"a,b@example.com", false},
      {local64 + "a@example.com", false},  // local part of 65
      {"a@" + label63 + "b.com", false},   // label of 64
  };
  for (const auto& c : cases) {
    EXPECT_EQ(IsValidEmail(c.input), c.valid) << c.input;
  }
}

TEST(IsValidEmailTest, LengthLimitIs254) {
  // local (64) + '@' + 63 + '.' + 63 + '.' + 61 = 254
  const std::string at_limit = std::string(64, 'a') + "@" + std::string(63, 'b') + "." +
                               std::string(63, 'c') + "." + std::string(61, 'd');
  ASSERT_EQ(at_limit.size(), 254u);
  EXPECT_TRUE(IsValidEmail(at_limit));
  EXPECT_FALSE(IsValidEmail(at_limit + "d"));
}

TEST(ToLowerAsciiTest, Table) {
  struct Case {
    const char* input;
    const char* expected;
  };
  const Case cases[] = {
      {"", ""},
      {"Ada@Example.COM", "ada@example.com"},
      {"already lower 123", "already lower 123"},
      {"ÄÖÜ-É", "ÄÖÜ-É"},  // non-ASCII untouched
      {"@[`{", "@[`{"},    // neighbours of the letter ranges
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ToLowerAscii(c.input), c.expected);
  }
}

TEST(IsValidUtf8Test, Table) {
  struct Case {
    std::string input;
    bool valid;
  };
  const Case cases[] = {
      {"", true},
      {"plain ascii", true},
      {"\0"s, true},
      {"caf\xc3\xa9", true},       // é
      {"\xe2\x82\xac", true},      // €
      {"\xf0\x9f\x98\x80", true},  // 😀
      {"\xef\xbb\xbf", true},      // BOM
      {"\xed\x9f\xbf", true},      // U+D7FF
      {"\xee\x80\x80", true},      // U+E000
      {"\xf4\x8f\xbf\xbf", true},  // U+10FFFF
      {"\xc2\x80", true},          // U+0080
      {"\x80", false},             // lone continuation
      {"\xbf", false},
      {"\xc3", false},  // truncated
      {"\xe2\x82", false},
      {"\xf0\x9f\x98", false},
      {"\xc3\x28", false},  // bad continuation
      {"\xe2\x28\xa1", false},
      {"\xe2\x82\x28", false},
      {"\xf0\x9f\x98\x28", false},
      {"\xc0\xaf", false},  // overlong '/'
      {"\xc1\xbf", false},
      {"\xe0\x80\xaf", false},
      {"\xe0\x9f\xbf", false},
      {"\xf0\x80\x80\xaf", false},
      {"\xf0\x8f\xbf\xbf", false},
      {"\xed\xa0\x80", false},      // surrogate U+D800
      {"\xed\xbf\xbf", false},      // surrogate U+DFFF
      {"\xf4\x90\x80\x80", false},  // U+110000
      {"\xf5\x80\x80\x80", false},
      {"\xf8\x88\x80\x80\x80", false},
      {"\xfe", false},
      {"\xff", false},
      {"ok \xc3\xa9 then \xff", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(IsValidUtf8(c.input), c.valid) << testing::PrintToString(c.input);
  }
}

TEST(TrimTest, Table) {
  struct Case {
    std::string input;
    std::string expected;
  };
  const Case cases[] = {
      {"", ""},
      {"   ", ""},
      {"abc", "abc"},
      {"  abc  ", "abc"},
      {"\t\n\v\f\r abc \r\n", "abc"},
      {"a b  c", "a b  c"},
      {" \xc2\xa0x\xc2\xa0 ", "\xc2\xa0x\xc2\xa0"},  // NBSP is not ASCII whitespace
      {"\0x\0"s, "\0x\0"s},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Trim(c.input), c.expected) << testing::PrintToString(c.input);
  }
}

TEST(EscapeLikeTest, Table) {
  struct Case {
    const char* input;
    const char* expected;
  };
  const Case cases[] = {
      {"", ""},
      {"plain", "plain"},
      {"100%", "100\\%"},
      {"first_name", "first\\_name"},
      {"back\\slash", "back\\\\slash"},
      {"%_\\", "\\%\\_\\\\"},
      {"it's", "it's"},  // quoting is the driver's job
  };
  for (const auto& c : cases) {
    EXPECT_EQ(EscapeLike(c.input), c.expected) << c.input;
  }
}

}  // namespace
}  // namespace rapport::core
