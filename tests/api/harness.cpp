#include "api/harness.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string_view>
#include <system_error>

extern char** environ;

namespace rapport::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kStopGrace{10};
constexpr std::chrono::minutes kCliTimeout{5};
constexpr long kRequestTimeoutSeconds = 60;

std::string GetEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// `what` followed by the description of the current errno.
std::runtime_error SystemError(const std::string& what) {
  const int error = errno;
  return std::runtime_error(what + ": " + std::generic_category().message(error));
}

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    return *this;
  }
  ~Fd() { Close(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

// Close-on-exec, so that children started concurrently inherit none of each other's pipes.
Pipe MakePipe() {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) throw SystemError("pipe2");
  return {Fd(fds[0]), Fd(fds[1])};
}

// Removes the temporary directories handed out when the test program exits.
class TempDirectories {
 public:
  static TempDirectories& Instance() {
    static TempDirectories directories;
    return directories;
  }

  ~TempDirectories() {
    for (const auto& directory : directories_) {
      std::error_code ignored;
      std::filesystem::remove_all(directory, ignored);
    }
  }

  std::filesystem::path Make() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rapport-test-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) throw SystemError("mkdtemp " + pattern);
    std::lock_guard lock(mutex_);
    return directories_.emplace_back(pattern);
  }

 private:
  std::mutex mutex_;
  std::vector<std::filesystem::path> directories_;
};

// `url` with its database (the path) replaced by `database`; the query string is kept.
std::string WithDatabase(const std::string& url, const std::string& database) {
  std::size_t authority = url.find("://");
  authority = authority == std::string::npos ? 0 : authority + 3;
  std::size_t path = url.find_first_of("/?", authority);
  std::size_t query = url.find('?', authority);
  std::string result = url.substr(0, path) + "/" + database;
  if (query != std::string::npos) result += url.substr(query);
  return result;
}

std::string CreatePostgresDatabase(const std::string& admin_url) {
  static std::atomic<int> counter{0};
  std::random_device random;
  // Unique across test processes and across runs against a long-lived server.
  std::string name = "rapport_test_" + std::to_string(::getpid()) + "_" +
                     std::to_string(counter++) + "_" + std::to_string(random() % 1000000);

  std::unique_ptr<PGconn, decltype(&PQfinish)> connection(PQconnectdb(admin_url.c_str()),
                                                          &PQfinish);
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    throw std::runtime_error("cannot connect to RAPPORT_TEST_PG " + admin_url + ": " +
                             PQerrorMessage(connection.get()));
  }
  std::string sql = "CREATE DATABASE " + name;
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(connection.get(), sql.c_str()),
                                                       &PQclear);
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    throw std::runtime_error(sql + ": " + PQerrorMessage(connection.get()));
  }
  return WithDatabase(admin_url, name);
}

std::optional<nlohmann::json> ParseObject(const std::string& line) {
  nlohmann::json value = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return std::nullopt;
  return value;
}

// --- child processes ---

struct ChildProcess {
  pid_t pid = -1;
  Fd stdin_fd;  // valid only when asked for
  Fd stdout_fd;
  Fd stderr_fd;
};

// Settings every test server gets unless the test or the environment says otherwise: a
// fixed signing key, which PostgreSQL deployments must configure.
const Environment kTestDefaults = {
    {"RAPPORT_JWT_SECRET", "test-secret-0123456789abcdef0123456789abcdef"},
};

std::vector<std::string> MergedEnvironment(const Environment& overrides) {
  std::vector<std::string> result;
  for (const auto& [name, value] : kTestDefaults) {
    if (!overrides.contains(name) && std::getenv(name.c_str()) == nullptr) {
      result.push_back(name + "=" + value);
    }
  }
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view variable(*entry);
    if (!overrides.contains(std::string(variable.substr(0, variable.find('='))))) {
      result.emplace_back(variable);
    }
  }
  for (const auto& [name, value] : overrides) result.push_back(name + "=" + value);
  return result;
}

std::vector<char*> NullTerminated(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Makes `fd` the child's descriptor `target`, open across exec.
bool Redirect(int fd, int target) {
  if (fd == target) return ::fcntl(fd, F_SETFD, 0) == 0;
  return ::dup2(fd, target) == target;
}

// Runs in the forked child, so only async-signal-safe calls.
[[noreturn]] void ExecChild(char* const argv[], char* const envp[], int stdin_fd, int stdout_fd,
                            int stderr_fd, int error_fd, pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);

  sigset_t no_signals;
  sigemptyset(&no_signals);
  ::sigprocmask(SIG_SETMASK, &no_signals, nullptr);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &default_action, nullptr);

  if (Redirect(stdin_fd, STDIN_FILENO) && Redirect(stdout_fd, STDOUT_FILENO) &&
      Redirect(stderr_fd, STDERR_FILENO)) {
    ::execve(argv[0], argv, envp);
  }
  int error = errno;
  [[maybe_unused]] ssize_t ignored = ::write(error_fd, &error, sizeof error);
  ::_exit(127);
}

ChildProcess Spawn(std::vector<std::string> args, const Environment& env, bool pipe_stdin) {
  // A child that exits before reading its stdin must not kill the test program.
  static std::once_flag sigpipe_ignored;
  std::call_once(sigpipe_ignored, [] { std::signal(SIGPIPE, SIG_IGN); });

  std::vector<std::string> environment = MergedEnvironment(env);
  std::vector<char*> argv = NullTerminated(args);
  std::vector<char*> envp = NullTerminated(environment);

  Pipe input;
  if (pipe_stdin) {
    input = MakePipe();
  } else {
    input.read = Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!input.read.valid()) throw SystemError("open /dev/null");
  }
  Pipe output = MakePipe();
  Pipe errors = MakePipe();
  Pipe exec_error = MakePipe();

  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw SystemError("fork");
  if (pid == 0) {
    ExecChild(argv.data(), envp.data(), input.read.get(), output.write.get(), errors.write.get(),
              exec_error.write.get(), parent);
  }

  exec_error.write.Close();
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_error.read.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    ::waitpid(pid, nullptr, 0);
    throw std::runtime_error("cannot run " + args.front() + ": " +
                             std::generic_category().message(child_errno));
  }
  return {pid, std::move(input.write), std::move(output.read), std::move(errors.read)};
}

// Reaps `pid`; nullopt if it is still running at `deadline`. Returns the waitpid status.
std::optional<int> WaitForExit(pid_t pid, std::optional<Clock::time_point> deadline) {
  while (true) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, deadline ? WNOHANG : 0);
    if (done == pid) return status;
    if (done < 0 && errno != EINTR) throw SystemError("waitpid");
    if (deadline && Clock::now() >= *deadline) return std::nullopt;
    if (deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int ExitCode(int wait_status) {
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return WEXITSTATUS(wait_status);
}

enum class Stream { kStdout, kStderr };

// Writes `input` to `in` (then closes it) while handing everything read from `out` and `err`
// to `sink`, until both reach end of file. Returns false if `deadline` passes first.
bool PumpPipes(Fd in, std::string_view input, Fd out, Fd err,
               const std::function<void(Stream, std::string_view)>& sink,
               std::optional<Clock::time_point> deadline) {
  if (in.valid() && input.empty()) in.Close();
  if (in.valid()) ::fcntl(in.get(), F_SETFL, ::fcntl(in.get(), F_GETFL) | O_NONBLOCK);

  std::array<pollfd, 3> fds{
      {{out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}, {in.get(), POLLOUT, 0}}};
  std::array<char, 65536> buffer{};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    int timeout_ms = -1;
    if (deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left.count() <= 0) return false;
      timeout_ms = static_cast<int>(left.count());
    }
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0) {
      if (errno == EINTR) continue;
      throw SystemError("poll");
    }
    for (std::size_t i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
      } else {
        sink(i == 0 ? Stream::kStdout : Stream::kStderr,
             std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      }
    }
    if (fds[2].fd >= 0 && fds[2].revents != 0) {
      ssize_t n = ::write(fds[2].fd, input.data(), input.size());
      if (n > 0) input.remove_prefix(static_cast<std::size_t>(n));
      // A child that stops reading (EPIPE) simply gets no more input.
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || input.empty()) {
        in.Close();
        fds[2].fd = -1;
      }
    }
  }
  return true;
}

// --- HTTP ---

CURL* NewCurlHandle() {
  static const CURLcode initialized = curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* curl = initialized == CURLE_OK ? curl_easy_init() : nullptr;
  if (curl == nullptr) throw std::runtime_error("cannot initialise libcurl");
  return curl;
}

size_t AppendBody(char* data, size_t size, size_t count, void* response) {
  static_cast<HttpResponse*>(response)->body.append(data, size * count);
  return size * count;
}

std::string_view Trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  std::size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

size_t AddHeader(char* data, size_t size, size_t count, void* response) {
  auto& headers = static_cast<HttpResponse*>(response)->headers;
  std::string_view line(data, size * count);
  // A status line starts a new response (e.g. after "100 Continue").
  if (line.starts_with("HTTP/")) {
    headers.clear();
  } else if (std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(Trim(line.substr(0, colon)));
    std::string value(Trim(line.substr(colon + 1)));
    auto [it, inserted] = headers.try_emplace(name, value);
    if (!inserted) it->second += ", " + value;
  }
  return size * count;
}

std::optional<RequestBody> JsonBody(const nlohmann::json& body) {
  if (body.is_null()) return std::nullopt;
  return RequestBody{body.dump(), "application/json"};
}

bool IsAbsoluteUrl(const std::string& path) {
  return path.starts_with("http://") || path.starts_with("https://");
}

}  // namespace

Engine CurrentEngine() {
  std::string name = GetEnv("RAPPORT_TEST_ENGINE");
  if (name.empty() || name == "sqlite") return Engine::kSqlite;
  if (name == "postgres") return Engine::kPostgres;
  throw std::invalid_argument("RAPPORT_TEST_ENGINE must be sqlite or postgres, not " + name);
}

std::optional<std::string> EngineUnavailableReason() {
  if (CurrentEngine() == Engine::kPostgres && GetEnv("RAPPORT_TEST_PG").empty()) {
    return "RAPPORT_TEST_PG is not set: no PostgreSQL server to test against "
           "(scripts/pg-test-cluster start provides one)";
  }
  return std::nullopt;
}

std::string RapportBinary() {
  std::string binary = GetEnv("RAPPORT_BIN");
#ifdef RAPPORT_DEFAULT_BIN
  if (binary.empty()) binary = RAPPORT_DEFAULT_BIN;  // the build's own binary
#endif
  return binary.empty() ? "build/rapport" : binary;
}

std::string FreshDatabaseUrl() {
  if (auto reason = EngineUnavailableReason()) throw std::runtime_error(*reason);
  if (CurrentEngine() == Engine::kPostgres) {
    return CreatePostgresDatabase(GetEnv("RAPPORT_TEST_PG"));
  }
  return "sqlite://" + (TempDirectories::Instance().Make() / "rapport.db").string();
}

// --- Server ---

Server::Server(ServerOptions options) : options_(std::move(options)) {
  if (options_.db_url.empty()) options_.db_url = FreshDatabaseUrl();
  Start();
}

Server::~Server() {
  // A server that exited on its own during the test (a crash, an abort) would otherwise show
  // only as the client's connection errors.
  bool output_closed = false;
  {
    std::lock_guard lock(mutex_);
    output_closed = output_closed_;
  }
  // Its output closes as the process ends, a moment before it can be reaped.
  if (pid_ > 0 && output_closed) {
    if (std::optional<int> status = WaitForExit(pid_, Clock::now() + kStopGrace)) {
      pid_ = -1;
      reader_.join();
      ADD_FAILURE() << "rapport serve exited during the test with code " << ExitCode(*status)
                    << "\n--- stderr\n" << ErrorOutput();
      return;
    }
  }
  Stop();
}

std::string Server::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void Server::Start() {
  std::vector<std::string> args = {RapportBinary(), "serve",     "--db",   options_.db_url,
                                   "--host",        "127.0.0.1", "--port", "0"};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  ChildProcess child = Spawn(args, options_.env, /*pipe_stdin=*/false);
  {
    std::lock_guard lock(mutex_);
    stdout_.clear();
    stderr_.clear();
    scanned_ = 0;
    lines_.clear();
    listening_port_.reset();
    output_closed_ = false;
  }
  pid_ = child.pid;
  reader_ = std::thread(
      [this, out = std::move(child.stdout_fd), err = std::move(child.stderr_fd)]() mutable {
        auto append = [this](Stream stream, std::string_view data) {
          {
            std::lock_guard lock(mutex_);
            if (stream == Stream::kStdout) {
              stdout_.append(data);
              ScanNewLines();
            } else {
              stderr_.append(data);
            }
          }
          output_changed_.notify_all();
        };
        PumpPipes(Fd(), {}, std::move(out), std::move(err), append, std::nullopt);
        {
          std::lock_guard lock(mutex_);
          output_closed_ = true;
        }
        output_changed_.notify_all();
      });

  std::unique_lock lock(mutex_);
  output_changed_.wait_for(lock, options_.start_timeout,
                           [this] { return listening_port_ || output_closed_; });
  if (listening_port_) {
    port_ = *listening_port_;
    return;
  }
  const bool exited = output_closed_;
  lock.unlock();
  const int exit_code = Terminate(SIGKILL, kStopGrace);
  throw std::runtime_error(
      "rapport serve " +
      (exited ? "exited with code " + std::to_string(exit_code) + " before listening"
              : "did not report listening within " +
                    std::to_string(options_.start_timeout.count()) + " s") +
      "\n--- stdout\n" + Logs() + "--- stderr\n" + ErrorOutput());
}

void Server::ScanNewLines() {
  for (std::size_t end; (end = stdout_.find('\n', scanned_)) != std::string::npos;
       scanned_ = end + 1) {
    std::string& line = lines_.emplace_back(stdout_, scanned_, end - scanned_);
    if (listening_port_) continue;
    auto entry = ParseObject(line);
    if (entry && entry->contains("event") && entry->at("event") == "listening" &&
        entry->contains("port") && entry->at("port").is_number_integer()) {
      listening_port_ = entry->at("port").get<int>();
    }
  }
}

std::string Server::Logs() const {
  std::lock_guard lock(mutex_);
  return stdout_;
}

std::string Server::ErrorOutput() const {
  std::lock_guard lock(mutex_);
  return stderr_;
}

std::vector<nlohmann::json> Server::LogEntries() const {
  std::vector<std::string> lines;
  {
    std::lock_guard lock(mutex_);
    lines = lines_;
  }
  std::vector<nlohmann::json> entries;
  for (const std::string& line : lines) {
    if (auto entry = ParseObject(line)) entries.push_back(std::move(*entry));
  }
  return entries;
}

bool Server::WaitForLog(const std::function<bool(const nlohmann::json&)>& matches,
                        std::chrono::milliseconds timeout) const {
  const Clock::time_point deadline = Clock::now() + timeout;
  std::unique_lock lock(mutex_);
  for (std::size_t checked = 0;;) {
    if (checked == lines_.size()) {
      if (output_closed_) return false;
      if (output_changed_.wait_until(lock, deadline) == std::cv_status::timeout &&
          checked == lines_.size()) {
        return false;
      }
      continue;
    }
    std::vector<std::string> fresh(lines_.begin() + static_cast<std::ptrdiff_t>(checked),
                                   lines_.end());
    checked = lines_.size();
    // `matches` runs unlocked: it may call Logs() and the like.
    lock.unlock();
    for (const std::string& line : fresh) {
      auto entry = ParseObject(line);
      if (entry && matches(*entry)) return true;
    }
    lock.lock();
  }
}

int Server::Stop() { return Terminate(SIGTERM, kStopGrace); }

void Server::Kill() { Terminate(SIGKILL, kStopGrace); }

void Server::Restart() {
  Stop();
  Start();
}

int Server::Terminate(int signal, std::chrono::milliseconds grace) {
  if (pid_ <= 0) return 0;
  ::kill(pid_, signal);
  std::optional<int> status = WaitForExit(pid_, Clock::now() + grace);
  if (!status) {
    ::kill(pid_, SIGKILL);
    status = WaitForExit(pid_, std::nullopt);
  }
  pid_ = -1;
  reader_.join();
  return ExitCode(*status);
}

// --- HTTP ---

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) <
           std::tolower(static_cast<unsigned char>(y));
  });
}

nlohmann::json HttpResponse::json() const {
  nlohmann::json value = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    throw std::runtime_error("response body is not JSON (status " + std::to_string(status) +
                             "): " + body);
  }
  return value;
}

std::ostream& operator<<(std::ostream& out, const HttpResponse& response) {
  out << "HTTP " << response.status << "\n";
  for (const auto& [name, value] : response.headers) out << name << ": " << value << "\n";
  return out << "\n" << response.body;
}

Client::Client(const Server& server)
    : base_url_([&server] { return server.base_url(); }), curl_(NewCurlHandle()) {}

Client::Client(std::string base_url)
    : base_url_([url = std::move(base_url)] { return url; }), curl_(NewCurlHandle()) {}

Client::~Client() { curl_easy_cleanup(curl_); }

HttpResponse Client::Get(const std::string& path, const Headers& headers) {
  return Request("GET", path, std::nullopt, headers);
}

HttpResponse Client::Delete(const std::string& path, const Headers& headers) {
  return Request("DELETE", path, std::nullopt, headers);
}

HttpResponse Client::Post(const std::string& path, const nlohmann::json& body,
                          const Headers& headers) {
  return Request("POST", path, JsonBody(body), headers);
}

HttpResponse Client::Put(const std::string& path, const nlohmann::json& body,
                         const Headers& headers) {
  return Request("PUT", path, JsonBody(body), headers);
}

HttpResponse Client::Patch(const std::string& path, const nlohmann::json& body,
                           const Headers& headers) {
  return Request("PATCH", path, JsonBody(body), headers);
}

HttpResponse Client::Request(const std::string& method, const std::string& path,
                             const std::optional<RequestBody>& body, const Headers& headers) {
  const std::string url = IsAbsoluteUrl(path) ? path : base_url_() + path;

  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(nullptr,
                                                                          &curl_slist_free_all);
  auto add_header = [&header_list](const std::string& line) {
    curl_slist* appended = curl_slist_append(header_list.get(), line.c_str());
    if (appended == nullptr) throw std::runtime_error("curl_slist_append failed");
    (void)header_list.release();
    header_list.reset(appended);
  };
  for (const auto& [name, value] : headers) {
    // libcurl drops "Name:" but sends "Name;" as a header with an empty value.
    add_header(value.empty() ? name + ";" : name + ": " + value);
  }
  if (!token_.empty() && !headers.contains("Authorization")) {
    add_header("Authorization: Bearer " + token_);
  }
  if (body && !headers.contains("Content-Type")) {
    // An empty type sends none, rather than libcurl's form default.
    add_header("Content-Type:" + (body->content_type.empty() ? "" : " " + body->content_type));
  }
  add_header("Expect:");  // send bodies at once instead of waiting for "100 Continue"

  HttpResponse response;
  std::array<char, CURL_ERROR_SIZE> error{};
  curl_easy_reset(curl_);  // keeps the connection cache
  curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT, kRequestTimeoutSeconds);
  curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error.data());
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &AddHeader);
  curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &response);
  if (method == "HEAD") {
    curl_easy_setopt(curl_, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  if (body) {
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body->content.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body->content.size()));
  }

  CURLcode result = curl_easy_perform(curl_);
  if (result != CURLE_OK) {
    throw std::runtime_error(method + " " + url + ": " +
                             (error[0] != '\0' ? error.data() : curl_easy_strerror(result)));
  }
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

// --- CLI ---

CliResult RunCli(const std::vector<std::string>& args, const Environment& env,
                 const std::string& stdin_text) {
  std::vector<std::string> command = {RapportBinary()};
  command.insert(command.end(), args.begin(), args.end());
  ChildProcess child = Spawn(command, env, /*pipe_stdin=*/true);

  CliResult result;
  const Clock::time_point deadline = Clock::now() + kCliTimeout;
  auto collect = [&result](Stream stream, std::string_view data) {
    (stream == Stream::kStdout ? result.stdout_text : result.stderr_text).append(data);
  };
  std::optional<int> status;
  if (PumpPipes(std::move(child.stdin_fd), stdin_text, std::move(child.stdout_fd),
                std::move(child.stderr_fd), collect, deadline)) {
    status = WaitForExit(child.pid, deadline);
  }
  if (!status) {
    ::kill(child.pid, SIGKILL);
    WaitForExit(child.pid, std::nullopt);
    std::string joined;
    for (const std::string& arg : args) joined += " " + arg;
    throw std::runtime_error("rapport" + joined + " ran over 5 minutes\n--- stdout\n" +
                             result.stdout_text + "--- stderr\n" + result.stderr_text);
  }
  result.exit_code = ExitCode(*status);
  return result;
}

// --- ApiTest ---

void ApiTest::SetUp() {
  RAPPORT_SKIP_IF_ENGINE_UNAVAILABLE();
  server_.emplace(MakeServerOptions());
  client_.emplace(*server_);
}

}  // namespace rapport::testing
