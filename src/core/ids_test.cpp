#include "core/ids.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace rapport::core {
namespace {

uint64_t TimestampMs(const std::string& id) {
  const std::string hex = id.substr(0, 8) + id.substr(9, 4);
  return std::stoull(hex, nullptr, 16);
}

TEST(NewIdTest, HasVersion7LayoutInLowercase) {
  const std::string id = NewId();
  ASSERT_EQ(id.size(), 36u);
  EXPECT_TRUE(IsUuid(id));
  EXPECT_EQ(id[14], '7');                                          // version
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);  // variant 10xx
  EXPECT_EQ(id.find_first_of("ABCDEF"), std::string::npos);
}

TEST(NewIdTest, EmbedsCurrentUnixMilliseconds) {
  const auto ms = [] {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  };
  const uint64_t before = ms();
  const uint64_t embedded = TimestampMs(NewId());
  const uint64_t after = ms();
  EXPECT_GE(embedded, before);
  EXPECT_LE(embedded, after + 5);  // may run ahead only when a millisecond's counter is used up
}

TEST(NewIdTest, SortsInCreationOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20000; ++i) ids.push_back(NewId());
  for (size_t i = 1; i < ids.size(); ++i) {
    ASSERT_LT(ids[i - 1], ids[i]) << "at " << i;
  }
}

TEST(NewIdTest, UniqueAcrossThreadsAndOrderedWithinEach) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 5000;
  std::vector<std::vector<std::string>> per_thread(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&per_thread, t] {
      for (int i = 0; i < kPerThread; ++i) per_thread[t].push_back(NewId());
    });
  }
  for (auto& thread : threads) thread.join();

  std::set<std::string> all;
  for (const auto& ids : per_thread) {
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(IsUuidTest, Table) {
  struct Case {
    const char* input;
    bool valid;
  };
  const Case cases[] = {
      {"01890a5d-ac96-774b-bcce-b302099a8057", true},
      {"01890A5D-AC96-774B-BCCE-B302099A8057", true},  // uppercase
      {"550e8400-e29b-41d4-a716-446655440000", true},  // v4
      {"00000000-0000-0000-0000-000000000000", true},  // nil
      {"ffffffff-ffff-ffff-ffff-ffffffffffff", true},  // max
      {"", false},
      {"01890a5d-ac96-774b-bcce-b302099a805", false},    // 35 chars
      {"01890a5d-ac96-774b-bcce-b302099a80577", false},  // 37 chars
      {"01890a5dac96774bbccebb302099a8057abcd", false},  // no hyphens
      {"01890a5d-ac96-774b-bcceb-302099a8057", false},   // hyphen misplaced
      {"01890a5g-ac96-774b-bcce-b302099a8057", false},   // non-hex
      {"{1890a5d-ac96-774b-bcce-b302099a805}", false},   // braces
      {"01890a5d ac96-774b-bcce-b302099a8057", false},   // space
      {"01890a5d-ac96-774b-bcce-b302099a805\n", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(IsUuid(c.input), c.valid) << c.input;
  }
}

TEST(RequestIdTest, IsAUniqueVersion4Uuid) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    std::string id = NewRequestId();
    ASSERT_TRUE(IsUuid(id)) << id;
    ASSERT_EQ(id[14], '4') << id;
    ASSERT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;
    ASSERT_TRUE(seen.insert(id).second) << id;
  }
}

}  // namespace
}  // namespace rapport::core
