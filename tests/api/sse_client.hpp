#pragma once

// A minimal Server-Sent Events client for the API tests: one plain HTTP/1.1 GET over a
// loopback socket, read incrementally, so a test can wait for events while the response is
// still open, and close the connection whenever it likes.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rapport::testing {

struct SseEvent {
  std::string id;
  std::string event;
  std::string data;
};

class SseClient {
 public:
  // Connects to 127.0.0.1:`port` and sends GET `path` with the headers. Throws on failure.
  SseClient(int port, const std::string& path, const std::map<std::string, std::string>& headers) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      Close();
      throw std::runtime_error("connect failed");
    }
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    request += "\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      Close();
      throw std::runtime_error("send failed");
    }
  }
  ~SseClient() { Close(); }
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Reads until the response head is in; the status code, or 0 on timeout or close.
  int Status(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!head_done_ && Fill(deadline)) {
    }
    return status_;
  }
  const std::string& head() const { return head_; }
  // The body received when the response was not a stream (a problem document), once closed.
  std::string body() const { return body_; }

  // The next event (comments skipped), or nullopt when `timeout` passes or the stream ends.
  std::optional<SseEvent> Next(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    if (Status(timeout) != 200) return std::nullopt;
    for (;;) {
      if (auto event = TakeEvent()) return event;
      if (!Fill(deadline)) return TakeEvent();
    }
  }
  // Whether a comment line (a heartbeat) was received since the last call.
  bool TakeHeartbeat() {
    bool seen = heartbeat_;
    heartbeat_ = false;
    return seen;
  }

 private:
  // Reads what arrived before `deadline`; false on timeout or end of stream.
  bool Fill(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      Close();
      return false;
    }
    raw_.append(buffer, static_cast<std::size_t>(n));
    Parse();
    return true;
  }

  void Parse() {
    if (!head_done_) {
      const auto end = raw_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      head_ = raw_.substr(0, end);
      raw_.erase(0, end + 4);
      head_done_ = true;
      if (head_.size() > 12) status_ = std::stoi(head_.substr(9, 3));
      chunked_ = head_.find("chunked") != std::string::npos;
    }
    if (!chunked_) {
      body_ += raw_;
      raw_.clear();
      return;
    }
    for (;;) {
      const auto line_end = raw_.find("\r\n");
      if (line_end == std::string::npos) return;
      const std::size_t size = std::stoul(raw_.substr(0, line_end), nullptr, 16);
      if (raw_.size() < line_end + 2 + size + 2) return;
      body_ += raw_.substr(line_end + 2, size);
      raw_.erase(0, line_end + 2 + size + 2);
      if (size == 0) return;
    }
  }

  std::optional<SseEvent> TakeEvent() {
    for (;;) {
      const auto end = body_.find("\n\n", consumed_);
      if (end == std::string::npos) return std::nullopt;
      const std::string block = body_.substr(consumed_, end - consumed_);
      consumed_ = end + 2;
      SseEvent event;
      bool any = false;
      std::size_t start = 0;
      while (start <= block.size()) {
        auto stop = block.find('\n', start);
        if (stop == std::string::npos) stop = block.size();
        const std::string line = block.substr(start, stop - start);
        start = stop + 1;
        if (line.empty()) continue;
        if (line[0] == ':') {
          heartbeat_ = true;
          continue;
        }
        const auto colon = line.find(':');
        const std::string field = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        if (field == "id") event.id = value, any = true;
        if (field == "event") event.event = value, any = true;
        if (field == "data") event.data += value, any = true;
      }
      if (any && !event.data.empty()) return event;
    }
  }

  int fd_ = -1;
  std::string raw_;
  std::string head_;
  std::string body_;
  std::size_t consumed_ = 0;
  bool head_done_ = false;
  bool chunked_ = false;
  bool heartbeat_ = false;
  int status_ = 0;
};

}  // namespace rapport::testing
