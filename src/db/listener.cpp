#include "db/listener.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <thread>

namespace rapport::db {

struct Listener::Impl {
  bool postgres = false;
  std::string conninfo;
  std::vector<std::string> channels;
  PGconn* connection = nullptr;
  int interrupt_fd = -1;
  std::chrono::steady_clock::time_point next_attempt{};

  ~Impl() {
    if (connection != nullptr) PQfinish(connection);
    if (interrupt_fd >= 0) ::close(interrupt_fd);
  }

  void Disconnect() {
    if (connection != nullptr) PQfinish(connection);
    connection = nullptr;
  }

  // Opens the connection and LISTENs; false when that fails (tried again a second later).
  bool Connect() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_attempt) return false;
    next_attempt = now + std::chrono::seconds(1);
    connection = PQconnectdb(conninfo.c_str());
    if (PQstatus(connection) != CONNECTION_OK) {
      Disconnect();
      return false;
    }
    for (const std::string& channel : channels) {
      char* quoted = PQescapeIdentifier(connection, channel.data(), channel.size());
      if (quoted == nullptr) {
        Disconnect();
        return false;
      }
      const std::string sql = std::string("LISTEN ") + quoted;
      PQfreemem(quoted);
      PGresult* result = PQexec(connection, sql.c_str());
      const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
      PQclear(result);
      if (!ok) {
        Disconnect();
        return false;
      }
    }
    return true;
  }

  // Consumes every notification that has arrived; true when there was one.
  bool Drain() {
    bool any = false;
    while (PGnotify* notify = PQnotifies(connection)) {
      any = true;
      PQfreemem(notify);
    }
    return any;
  }

  // Clears a pending Interrupt(); true when there was one.
  bool TakeInterrupt() {
    uint64_t count = 0;
    return ::read(interrupt_fd, &count, sizeof count) == sizeof count;
  }
};

Listener::Listener(const Database& database, std::vector<std::string> channels)
    : impl_(std::make_unique<Impl>()) {
  impl_->postgres = database.engine() == Engine::kPostgres;
  impl_->conninfo = database.url().target;
  impl_->channels = std::move(channels);
  impl_->interrupt_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl_->interrupt_fd < 0) throw std::runtime_error("eventfd failed");
}

Listener::~Listener() = default;

void Listener::Interrupt() {
  const uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(impl_->interrupt_fd, &one, sizeof one);
}

bool Listener::Wait(std::chrono::milliseconds timeout) {
  Impl& impl = *impl_;
  if (impl.TakeInterrupt()) return false;
  if (impl.postgres && impl.connection == nullptr) impl.Connect();
  if (impl.connection != nullptr) {
    if (PQconsumeInput(impl.connection) == 0) {
      impl.Disconnect();
    } else if (impl.Drain()) {
      return true;
    }
  }
  pollfd fds[2] = {{impl.interrupt_fd, POLLIN, 0}, {-1, POLLIN, 0}};
  if (impl.connection != nullptr) fds[1].fd = PQsocket(impl.connection);
  // Without a connection, wake up in time for the next attempt to open one.
  const auto wait = impl.postgres && impl.connection == nullptr
                        ? std::min(timeout, std::chrono::milliseconds(1000))
                        : timeout;
  const int ready = ::poll(fds, impl.connection != nullptr ? 2 : 1, static_cast<int>(wait.count()));
  if (ready <= 0) return false;
  if ((fds[0].revents & POLLIN) != 0) {
    impl.TakeInterrupt();
    return false;
  }
  if (impl.connection != nullptr && fds[1].revents != 0) {
    if (PQconsumeInput(impl.connection) == 0) {
      impl.Disconnect();
      return false;
    }
    return impl.Drain();
  }
  return false;
}

}  // namespace rapport::db
