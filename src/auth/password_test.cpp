#include "auth/password.hpp"

#include <string>

#include <gtest/gtest.h>

namespace rapport::auth {
namespace {

using namespace std::string_literals;

TEST(HashPasswordTest, ProducesArgon2idWithOwaspParameters) {
  const std::string encoded = HashPassword("correct horse battery staple");
  EXPECT_EQ(encoded.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << encoded;
}

TEST(HashPasswordTest, SaltsEveryHash) {
  EXPECT_NE(HashPassword("same password"), HashPassword("same password"));
}

TEST(VerifyPasswordTest, Table) {
  const std::string encoded = HashPassword("correct horse battery staple");
  const std::string with_nul = HashPassword("nul\0inside"s);
  struct Case {
    std::string encoded;
    std::string password;
    bool matches;
  };
  const Case cases[] = {
      {encoded, "correct horse battery staple", true},
      {encoded, "correct horse battery stapl", false},
      {encoded, "Correct horse battery staple", false},
      {encoded, "correct horse battery staple ", false},
      {encoded, "", false},
      {with_nul, "nul\0inside"s, true},
      {with_nul, "nul", false},
      {"", "correct horse battery staple", false},
      {"not a hash", "correct horse battery staple", false},
      {encoded.substr(0, encoded.size() - 4), "correct horse battery staple", false},
      {encoded + "\0junk"s, "correct horse battery staple", false},
      {"$argon2id$v=19$m=19456,t=2,p=1$AAAA$AAAA", "correct horse battery staple", false},
      {std::string(1000, '$'), "x", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(VerifyPassword(c.encoded, c.password), c.matches)
        << testing::PrintToString(c.encoded) << " / " << testing::PrintToString(c.password);
  }
}

TEST(DummyHashTest, IsStableArgon2idThatMatchesNothingObvious) {
  const std::string first = DummyHash();
  EXPECT_EQ(first, DummyHash());
  EXPECT_EQ(first.rfind("$argon2id$", 0), 0u);
  EXPECT_FALSE(VerifyPassword(first, ""));
  EXPECT_FALSE(VerifyPassword(first, "password"));
}

}  // namespace
}  // namespace rapport::auth
