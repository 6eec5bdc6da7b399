#pragma once

// The API-test harness: starts the real `rapport` binary on a loopback port against a fresh
// database, talks to it over HTTP, and runs its CLI.
//
// Environment:
//   RAPPORT_BIN          path to the binary (default: build/rapport, relative to the cwd)
//   RAPPORT_TEST_ENGINE  sqlite (default) or postgres
//   RAPPORT_TEST_PG      admin URL of a PostgreSQL server, e.g.
//                        postgres://postgres@127.0.0.1:55432/postgres
//
// Not thread-safe unless a member says so: use each object from one test thread.

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace rapport::testing {

enum class Engine { kSqlite, kPostgres };

// The engine named by RAPPORT_TEST_ENGINE. Throws std::invalid_argument on an unknown name.
Engine CurrentEngine();

// Why tests cannot run on the current engine (PostgreSQL without RAPPORT_TEST_PG), or nullopt.
std::optional<std::string> EngineUnavailableReason();

// Skips the current test when the engine is unavailable. Use in a test body or SetUp().
#define RAPPORT_SKIP_IF_ENGINE_UNAVAILABLE()                                    \
  if (auto rapport_unavailable = ::rapport::testing::EngineUnavailableReason()) \
  GTEST_SKIP() << *rapport_unavailable

// The server binary: RAPPORT_BIN, or build/rapport.
std::string RapportBinary();

// A URL of a database nobody has used yet: a SQLite file in a new temporary directory
// (removed when the test program exits), or a new PostgreSQL database created through
// RAPPORT_TEST_PG. Throws std::runtime_error when the engine is unavailable or creation fails.
std::string FreshDatabaseUrl();

// Variables added to, or replacing, the test program's own environment.
using Environment = std::map<std::string, std::string>;

struct ServerOptions {
  std::string db_url;                   // empty: FreshDatabaseUrl()
  std::vector<std::string> extra_args;  // after `serve --db URL --host 127.0.0.1 --port 0`
  Environment env;
  std::chrono::seconds start_timeout{30};
};

// A `rapport serve` process on an ephemeral loopback port. The process is killed if the
// thread that started it exits, so that an aborted test leaves no server behind.
class Server {
 public:
  // Starts the server and waits for its {"event":"listening","port":N} log line. Throws
  // std::runtime_error with the captured output if it exits or the timeout passes first.
  explicit Server(ServerOptions options = {});
  ~Server();  // Stop()

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  std::string base_url() const;  // http://127.0.0.1:PORT
  const std::string& db_url() const { return options_.db_url; }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Standard output and error since the last start. Thread-safe.
  std::string Logs() const;
  std::string ErrorOutput() const;
  // The standard-output lines since the last start that are JSON objects. Thread-safe.
  std::vector<nlohmann::json> LogEntries() const;

  // Waits until a JSON log line since the last start satisfies `matches`; false when the
  // timeout passes or the output ends first. Useful because a request's access-log line may
  // be written after its response arrives.
  bool WaitForLog(const std::function<bool(const nlohmann::json&)>& matches,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

  // Sends SIGTERM and waits, with SIGKILL after 10 s. Returns the exit code (128 + signal
  // when killed by a signal); 0 when not running.
  int Stop();
  // Sends SIGKILL and waits.
  void Kill();
  // Stop(), then starts again on the same database (usually on another port).
  void Restart();

 private:
  void Start();
  // Sends `signal`, then SIGKILL if the process outlives `grace`; reaps it, ends the reader.
  int Terminate(int signal, std::chrono::milliseconds grace);
  void ScanNewLines();  // requires mutex_

  ServerOptions options_;
  pid_t pid_ = -1;
  int port_ = 0;

  mutable std::mutex mutex_;
  mutable std::condition_variable output_changed_;
  std::string stdout_;                 // guarded by mutex_
  std::string stderr_;                 // guarded by mutex_
  std::size_t scanned_ = 0;            // guarded by mutex_: stdout_ split into lines_ up to here
  std::vector<std::string> lines_;     // guarded by mutex_
  std::optional<int> listening_port_;  // guarded by mutex_
  bool output_closed_ = false;         // guarded by mutex_
  std::thread reader_;                 // drains the process's stdout and stderr
};

struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

struct HttpResponse {
  long status = 0;
  std::string body;
  Headers headers;  // a header sent several times holds its values joined by ", "

  // The body as JSON. Throws std::runtime_error, quoting the body, when it is not JSON.
  nlohmann::json json() const;
};

// Prints status, headers and body, e.g. for `EXPECT_EQ(r.status, 200) << r;`.
std::ostream& operator<<(std::ostream& out, const HttpResponse& response);

// A request body sent as is, with its Content-Type.
struct RequestBody {
  std::string content;
  std::string content_type;
};

// An HTTP/1.1 client over one libcurl handle, reusing its connection between requests.
// Follows no redirects; ignores proxy settings. Transport failures (connection refused,
// 60 s timeout) throw std::runtime_error; every HTTP status is returned.
class Client {
 public:
  // Sends requests to `server`, following it across restarts; `server` must outlive this.
  explicit Client(const Server& server);
  explicit Client(std::string base_url);
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `Authorization: Bearer <token>` with every request that sets no Authorization
  // header itself; an empty token sends none.
  void SetToken(std::string token) { token_ = std::move(token); }

  // `path` is appended to the base URL unless it is an absolute http(s) URL. A null `body`
  // sends no body; any other is sent as application/json.
  HttpResponse Get(const std::string& path, const Headers& headers = {});
  HttpResponse Delete(const std::string& path, const Headers& headers = {});
  HttpResponse Post(const std::string& path, const nlohmann::json& body = nullptr,
                    const Headers& headers = {});
  HttpResponse Put(const std::string& path, const nlohmann::json& body = nullptr,
                   const Headers& headers = {});
  HttpResponse Patch(const std::string& path, const nlohmann::json& body = nullptr,
                     const Headers& headers = {});

  // Any method; a Content-Type in `headers` overrides the body's.
  HttpResponse Request(const std::string& method, const std::string& path,
                       const std::optional<RequestBody>& body = std::nullopt,
                       const Headers& headers = {});

 private:
  std::function<std::string()> base_url_;
  std::string token_;
  CURL* curl_;
};

struct CliResult {
  int exit_code = 0;  // 128 + signal when killed by a signal
  std::string stdout_text;
  std::string stderr_text;
};

// Runs `rapport ARGS...` to completion with `env` added to the environment and `stdin_text`
// on its standard input. Throws std::runtime_error if it cannot start or runs over 5 minutes.
CliResult RunCli(const std::vector<std::string>& args, const Environment& env = {},
                 const std::string& stdin_text = {});

// A fixture that gives each test a server on a fresh database and a client for it, and
// skips the test when the engine is unavailable.
class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Override to start the server with other flags or environment.
  virtual ServerOptions MakeServerOptions() const { return {}; }

  Server& server() { return *server_; }
  Client& client() { return *client_; }

 private:
  std::optional<Server> server_;
  std::optional<Client> client_;
};

}  // namespace rapport::testing
