// Streamed responses through the real server on a loopback port: chunked framing, keep-alive
// after a stream, a stream that outlives the request timeout, back-pressure, a client that
// disconnects, Abort(), a failing producer, and server shutdown with streams open.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "http/server.hpp"

namespace rapport::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A blocking HTTP/1.1 client on one socket, reading with deadlines.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawClient() { Close(); }

  bool connected() const { return connected_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void Get(const std::string& path) {
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n";
    ASSERT_EQ(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
  }
  // Reads whatever arrives within `timeout` (at least one read); false on EOF or error.
  bool ReadSome(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return true;
    char buffer[65536];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    data_.append(buffer, static_cast<std::size_t>(n));
    return true;
  }
  // Reads until `done(data)` holds, EOF, or the deadline; returns whether `done` held.
  template <class F>
  bool ReadUntil(F done, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    while (!done(data_)) {
      if (Clock::now() > deadline) return false;
      if (!ReadSome(100ms)) return done(data_);
    }
    return true;
  }
  // Reads until the peer closes the connection (or the deadline); returns whether it did.
  bool ReadToEof(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (!ReadSome(100ms)) return true;
    }
    return false;
  }
  std::string& data() { return data_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string data_;
};

struct Parsed {
  std::string head;  // status line and headers
  std::string body;  // de-chunked
  bool complete = false;  // the terminating chunk arrived
  std::size_t consumed = 0;
};

// Splits one chunked response off the front of `raw`.
Parsed ParseChunked(const std::string& raw) {
  Parsed out;
  const auto end_of_head = raw.find("\r\n\r\n");
  if (end_of_head == std::string::npos) return out;
  out.head = raw.substr(0, end_of_head);
  std::size_t at = end_of_head + 4;
  for (;;) {
    const auto line_end = raw.find("\r\n", at);
    if (line_end == std::string::npos) break;
    const std::size_t size = std::stoul(raw.substr(at, line_end - at), nullptr, 16);
    if (size == 0) {
      if (raw.compare(line_end, 4, "\r\n\r\n") == 0) {
        out.complete = true;
        out.consumed = line_end + 4;
      }
      break;
    }
    if (raw.size() < line_end + 2 + size + 2) break;
    out.body.append(raw, line_end + 2, size);
    at = line_end + 2 + size + 2;
  }
  return out;
}

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = std::make_shared<spdlog::logger>(
        "stream_test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text_));
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  void Serve(Handler handler, ServerOptions options = {}) {
    router_.Get("/s", std::move(handler), {.access = Access::kPublic});
    router_.Get("/plain", [](const Request&) { return Json(200, {{"ok", true}}); },
                {.access = Access::kPublic});
    options.port = 0;
    options.threads = 2;
    options.write_threads = 0;
    options.ip_rate = 0;
    server_ = std::make_unique<Server>(
        options, router_,
        [](std::string_view) -> core::Result<core::Principal> {
          return core::Error::Unauthorized();
        },
        nullptr, metrics_, log_);
    port_ = server_->Start();
  }

  // The access-log lines written so far.
  std::string Log() {
    log_->flush();
    return log_text_.str();
  }
  bool WaitForLog(const std::string& needle, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (Log().find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  std::ostringstream log_text_;
  std::shared_ptr<spdlog::logger> log_;
  Metrics metrics_;
  Router router_;
  std::unique_ptr<Server> server_;
  int port_ = 0;
};

TEST_F(StreamTest, SendsChunksThenTheFinalChunkAndKeepsTheConnection) {
  Serve([](const Request&) {
    return Stream(200, "text/plain", [](StreamWriter& out) {
             EXPECT_TRUE(out.Write("alpha,"));
             EXPECT_TRUE(out.Write(""));  // sends nothing
             EXPECT_TRUE(out.Write("beta,"));
             EXPECT_TRUE(out.Write(std::string(100000, 'x')));
           })
        .WithHeader("X-Test", "yes");
  });
  RawClient client(port_);
  ASSERT_TRUE(client.connected());
  client.Get("/s");
  ASSERT_TRUE(client.ReadUntil([](const std::string& d) { return ParseChunked(d).complete; }));
  Parsed response = ParseChunked(client.data());
  EXPECT_NE(response.head.find("HTTP/1.1 200"), std::string::npos) << response.head;
  EXPECT_NE(response.head.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_NE(response.head.find("Content-Type: text/plain"), std::string::npos);
  EXPECT_NE(response.head.find("X-Test: yes"), std::string::npos);
  EXPECT_NE(response.head.find("X-Request-Id: "), std::string::npos);
  EXPECT_EQ(response.head.find("Content-Length"), std::string::npos);
  EXPECT_EQ(response.body, "alpha,beta," + std::string(100000, 'x'));

  // The same connection answers the next request.
  client.data().erase(0, response.consumed);
  client.Get("/plain");
  ASSERT_TRUE(client.ReadUntil(
      [](const std::string& d) { return d.find("{\"ok\":true}") != std::string::npos; }));
  ASSERT_TRUE(WaitForLog(R"("stream":"completed","bytes":100011)"));
  EXPECT_NE(Log().find(R"("route":"/s")"), std::string::npos);
  EXPECT_NE(metrics_.Render().find(R"(route="/s",status="200")"), std::string::npos);
}

TEST_F(StreamTest, LongLivedStreamOutlivesTheRequestTimeoutWhileItWrites) {
  ServerOptions options;
  options.request_timeout = 300ms;
  Serve(
      [](const Request&) {
        return Stream(200, "text/event-stream", [](StreamWriter& out) {
          // 1.5 s in all, five times the request timeout, with a heartbeat every 100 ms.
          for (int i = 0; i < 15; ++i) {
            if (!out.Write("data: " + std::to_string(i) + "\n\n")) return;
            out.WaitFor(100ms);
          }
        });
      },
      options);
  RawClient client(port_);
  client.Get("/s");
  ASSERT_TRUE(client.ReadUntil([](const std::string& d) { return ParseChunked(d).complete; }));
  EXPECT_NE(ParseChunked(client.data()).body.find("data: 14\n\n"), std::string::npos);
}

TEST_F(StreamTest, AStreamThatStaysSilentLongerThanTheRequestTimeoutIsClosed) {
  ServerOptions options;
  options.request_timeout = 200ms;
  std::atomic<bool> write_failed{false};
  Serve(
      [&](const Request&) {
        return Stream(200, "text/plain", [&](StreamWriter& out) {
          out.Write("first");
          std::this_thread::sleep_for(1500ms);  // silent for longer than the timeout
          out.Write("second");
          write_failed = !out.Write("third");
        });
      },
      options);
  RawClient client(port_);
  client.Get("/s");
  EXPECT_TRUE(client.ReadToEof());
  EXPECT_FALSE(ParseChunked(client.data()).complete);
  ASSERT_TRUE(WaitForLog(R"("stream":"client_gone")"));
  EXPECT_TRUE(write_failed);
}

TEST_F(StreamTest, ANoticedDisconnectEndsTheProducer) {
  std::atomic<int> written{0};
  std::atomic<bool> returned{false};
  Serve([&](const Request&) {
    return Stream(200, "text/plain", [&](StreamWriter& out) {
      const std::string chunk(1024, 'y');
      while (out.Write(chunk)) {
        ++written;
        std::this_thread::sleep_for(5ms);
      }
      EXPECT_FALSE(out.open());
      EXPECT_FALSE(out.Write(chunk));  // stays false
      returned = true;
    });
  });
  {
    RawClient client(port_);
    client.Get("/s");
    ASSERT_TRUE(client.ReadUntil([](const std::string& d) { return d.size() > 5000; }));
  }  // closes the socket mid-stream
  const auto deadline = Clock::now() + 10s;
  while (!returned && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(returned);
  ASSERT_TRUE(WaitForLog(R"("stream":"client_gone")"));
}

TEST_F(StreamTest, WriteBlocksWhileTheClientDoesNotRead) {
  std::atomic<int64_t> written{0};
  std::atomic<bool> done{false};
  constexpr int64_t kTotal = 256LL << 20;  // far more than any socket buffers hold
  Serve([&](const Request&) {
    return Stream(200, "application/octet-stream", [&](StreamWriter& out) {
      const std::string chunk(64 << 10, 'z');
      while (written < kTotal && out.Write(chunk)) written += static_cast<int64_t>(chunk.size());
      done = true;
    });
  });
  RawClient client(port_);
  client.Get("/s");
  std::this_thread::sleep_for(1s);
  // Without reading, the producer got only as far as the kernel's socket buffers let it.
  EXPECT_LT(written.load(), 64LL << 20);
  EXPECT_FALSE(done);
  // Reading drains it all.
  int64_t received = 0;
  const auto deadline = Clock::now() + 60s;
  while (!done && Clock::now() < deadline) {
    client.ReadSome(100ms);
    received += static_cast<int64_t>(client.data().size());
    client.data().clear();
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(written.load(), kTotal);
}

TEST_F(StreamTest, AbortClosesTheConnectionWithoutTheFinalChunk) {
  Serve([](const Request&) {
    return Stream(200, "text/csv", [](StreamWriter& out) {
      EXPECT_TRUE(out.Write("name\r\nAda\r\n"));
      out.Abort();
      EXPECT_FALSE(out.Write("Grace\r\n"));
    });
  });
  RawClient client(port_);
  client.Get("/s");
  EXPECT_TRUE(client.ReadToEof());
  Parsed response = ParseChunked(client.data());
  EXPECT_NE(response.head.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(response.body, "name\r\nAda\r\n");
  EXPECT_FALSE(response.complete);
  ASSERT_TRUE(WaitForLog(R"("stream":"aborted","bytes":11)"));
}

TEST_F(StreamTest, AProducerThatThrowsMidStreamEndsItIncomplete) {
  Serve([](const Request&) {
    return Stream(200, "text/plain", [](StreamWriter& out) {
      out.Write("part");
      throw std::runtime_error("database went away");
    });
  });
  RawClient client(port_);
  client.Get("/s");
  EXPECT_TRUE(client.ReadToEof());
  EXPECT_EQ(ParseChunked(client.data()).body, "part");
  EXPECT_FALSE(ParseChunked(client.data()).complete);
  ASSERT_TRUE(WaitForLog(R"("stream":"failed")"));
  EXPECT_NE(Log().find("database went away"), std::string::npos);  // logged, not sent
  EXPECT_EQ(client.data().find("database"), std::string::npos);
}

TEST_F(StreamTest, AProducerThatThrowsBeforeWritingGetsA500Problem) {
  Serve([](const Request&) {
    return Stream(200, "text/plain", [](StreamWriter&) { throw std::runtime_error("boom"); });
  });
  RawClient client(port_);
  client.Get("/s");
  ASSERT_TRUE(client.ReadUntil([](const std::string& d) {
    return d.find("an unexpected error occurred") != std::string::npos;
  }));
  EXPECT_NE(client.data().find("HTTP/1.1 500"), std::string::npos);
  EXPECT_NE(client.data().find("application/problem+json"), std::string::npos);
  EXPECT_EQ(client.data().find("boom"), std::string::npos);
}

TEST_F(StreamTest, StopEndsOpenStreams) {
  std::atomic<bool> returned{false};
  std::atomic<bool> started{false};
  Serve([&](const Request&) {
    return Stream(200, "text/event-stream", [&](StreamWriter& out) {
      started = true;
      while (out.Write(":\n\n")) out.WaitFor(10s);  // would sleep long without Stop
      returned = true;
    });
  });
  RawClient client(port_);
  client.Get("/s");
  ASSERT_TRUE(client.ReadUntil([](const std::string& d) { return d.find(":\n\n") != d.npos; }));
  const auto stop_started = Clock::now();
  server_->Stop();
  EXPECT_LT(Clock::now() - stop_started, 5s);
  EXPECT_TRUE(started);
  EXPECT_TRUE(returned);
  EXPECT_NE(Log().find(R"("stream":"stopped")"), std::string::npos);
  server_.reset();
}

TEST_F(StreamTest, TooManyOpenStreamsGet503) {
  ServerOptions options;
  options.max_streams = 1;
  std::atomic<bool> release{false};
  Serve(
      [&](const Request&) {
        return Stream(200, "text/plain", [&](StreamWriter& out) {
          out.Write("held");
          while (!release && out.open()) out.WaitFor(20ms);
        });
      },
      options);
  RawClient first(port_);
  first.Get("/s");
  ASSERT_TRUE(first.ReadUntil([](const std::string& d) { return d.find("held") != d.npos; }));
  RawClient second(port_);
  second.Get("/s");
  ASSERT_TRUE(second.ReadUntil([](const std::string& d) { return d.find("\"status\":503") != d.npos; }));
  EXPECT_NE(second.data().find("Retry-After: 5"), std::string::npos);
  release = true;
  ASSERT_TRUE(first.ReadUntil([](const std::string& d) { return ParseChunked(d).complete; }));
}

}  // namespace
}  // namespace rapport::http
