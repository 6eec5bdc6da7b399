#include "api/fake_http.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace rapport::testing {
namespace {

constexpr std::size_t kMaxRequestBytes = 16 << 20;
constexpr int kReadTimeoutMs = 30'000;

std::runtime_error SystemError(const std::string& what) {
  return std::runtime_error(what + ": " + std::generic_category().message(errno));
}

std::string Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

std::string_view Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

// Parses the head (request line and headers) of `text`; false when it is not HTTP.
bool ParseHead(std::string_view head, RecordedRequest& request) {
  auto line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  auto space = line.find(' ');
  auto second = line.find(' ', space + 1);
  if (space == std::string_view::npos || second == std::string_view::npos) return false;
  request.method = std::string(line.substr(0, space));
  request.target = std::string(line.substr(space + 1, second - space - 1));
  std::string_view rest = line_end == std::string_view::npos ? std::string_view()
                                                             : head.substr(line_end + 2);
  while (!rest.empty()) {
    auto end = rest.find("\r\n");
    std::string_view field = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
    auto colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(field.substr(0, colon));
    std::string value = Trim(field.substr(colon + 1));
    auto [it, inserted] = request.headers.emplace(name, value);
    if (!inserted) it->second += ", " + value;
  }
  return true;
}

}  // namespace

nlohmann::json RecordedRequest::json() const {
  nlohmann::json value = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) throw std::runtime_error("request body is not JSON: " + body);
  return value;
}

FakeReply JsonReply(const nlohmann::json& body, int status) {
  FakeReply reply;
  reply.status = status;
  reply.body = body.dump();
  return reply;
}

FakeHttpServer::FakeHttpServer(Handler handler) : handler_(std::move(handler)) {
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) throw SystemError("pipe2");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw SystemError("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw SystemError("bind");
  }
  if (::listen(listen_fd_, 64) != 0) throw SystemError("listen");
  socklen_t length = sizeof address;
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw SystemError("getsockname");
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FakeHttpServer::~FakeHttpServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  (void)!::write(stop_pipe_[1], "x", 1);
  acceptor_.join();
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
  }
  for (std::thread& thread : connections) thread.join();
  ::close(listen_fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

std::string FakeHttpServer::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FakeHttpServer::SetHandler(Handler handler) {
  std::lock_guard lock(mutex_);
  handler_ = std::move(handler);
}

void FakeHttpServer::Release() {
  {
    std::lock_guard lock(mutex_);
    released_ = true;
  }
  changed_.notify_all();
}

std::vector<RecordedRequest> FakeHttpServer::Requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t FakeHttpServer::RequestCount() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

bool FakeHttpServer::WaitForRequests(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
}

void FakeHttpServer::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    connections_.emplace_back([this, fd] {
      Serve(fd);
      ::close(fd);
    });
  }
}

void FakeHttpServer::Serve(int fd) {
  // Read the head, then Content-Length bytes of body.
  std::string data;
  std::size_t head_end = std::string::npos;
  std::size_t body_length = 0;
  RecordedRequest request;
  char buffer[16384];
  for (;;) {
    if (head_end != std::string::npos && data.size() >= head_end + 4 + body_length) break;
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    int ready = ::poll(fds, 2, kReadTimeoutMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0 || fds[1].revents != 0) return;
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return;
    data.append(buffer, static_cast<std::size_t>(n));
    if (data.size() > kMaxRequestBytes) return;
    if (head_end == std::string::npos) {
      head_end = data.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      if (!ParseHead(std::string_view(data).substr(0, head_end), request)) return;
      if (auto it = request.headers.find("Content-Length"); it != request.headers.end()) {
        const std::string& text = it->second;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), body_length);
        if (ec != std::errc() || ptr != text.data() + text.size()) return;
      }
    }
  }
  request.body = data.substr(head_end + 4, body_length);

  Handler handler;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    handler = handler_;
  }
  changed_.notify_all();
  FakeReply reply = handler ? handler(request) : FakeReply{404, "text/plain", "no handler", false};
  if (reply.hold) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return released_ || stopping_; });
    if (stopping_ && !released_) return;  // close without an answer
  }

  std::string response = "HTTP/1.1 " + std::to_string(reply.status) + " " +
                         std::string(Reason(reply.status)) + "\r\n";
  if (!reply.content_type.empty()) response += "Content-Type: " + reply.content_type + "\r\n";
  response += "Content-Length: " + std::to_string(reply.body.size()) + "\r\nConnection: close\r\n\r\n";
  response += reply.body;
  std::size_t sent = 0;
  while (sent < response.size()) {
    ssize_t n = ::send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
}

}  // namespace rapport::testing
