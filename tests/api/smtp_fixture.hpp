#pragma once

// A real SMTP server on loopback for the email API tests: Debian's python3-aiosmtpd running
// the script below, which keeps every message it accepts as received (NNNN.eml, the exact
// DATA bytes), its envelope (NNNN.json) and an independent parse by Python's `email`
// package (NNNN.parsed.json), and whose answers a test steers (tempfail, reject, drop).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/harness.hpp"

namespace rapport::testing {

inline constexpr char kSmtpFixtureScript[] = R"PY(
import argparse, asyncio, email, email.policy, json, os, ssl, sys
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

class Handler:
    def __init__(self, directory):
        self.directory = directory
        self.sequence = 0

    def directive(self):
        try:
            with open(os.path.join(self.directory, "mode")) as f:
                lines = [line.split() for line in f if line.strip()]
        except FileNotFoundError:
            return ["accept"]
        return lines[0] if lines else ["accept"]

    def used(self, key):
        path = os.path.join(self.directory, "mode.state")
        try:
            with open(path) as f:
                state = json.load(f)
        except (FileNotFoundError, ValueError):
            state = {}
        count = state.get(key, 0)
        state[key] = count + 1
        with open(path, "w") as f:
            json.dump(state, f)
        return count

    async def handle_DATA(self, server, session, envelope):
        d = self.directive()
        if d[0] == "tempfail" and self.used("tempfail") < int(d[1]):
            return (d[2] if len(d) > 2 else "451") + " 4.3.0 Try again later, please"
        if d[0] == "reject":
            return (d[1] if len(d) > 1 else "554") + " 5.7.1 Message refused by policy"
        if d[0] == "drop" and self.used("drop") < int(d[1]):
            server.transport.abort()
            return "421 closing"
        self.sequence += 1
        base = os.path.join(self.directory, "%04d" % self.sequence)
        raw = envelope.original_content or envelope.content
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        def part(p):
            content = p.get_content() if not p.is_multipart() else None
            return {"content_type": p.get_content_type(), "charset": p.get_content_charset(),
                    "transfer_encoding": p.get("Content-Transfer-Encoding"),
                    "content": content if isinstance(content, str) else None}
        parsed = {"content_type": msg.get_content_type(),
                  "headers": [[k, str(v)] for k, v in msg.items()],
                  "defects": [repr(x) for x in msg.defects],
                  "parts": [part(p) for p in msg.iter_parts()] if msg.is_multipart() else [part(msg)]}
        with open(base + ".parsed.json", "w") as f:
            json.dump(parsed, f)
        auth = session.auth_data
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "login": auth.login.decode() if isinstance(auth, LoginPassword) else None,
                "tls": session.ssl is not None or
                       server.transport.get_extra_info("ssl_object") is not None}
        with open(base + ".json.tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 2.0.0 Ok: queued as %04d" % self.sequence

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--tls", default="none", choices=["none", "starttls", "tls"])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--auth")
    args = parser.parse_args()
    context = None
    if args.tls != "none":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
    authenticator = None
    if args.auth:
        user, password = args.auth.split(":", 1)
        def authenticator(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword) and data.login.decode() == user and
                  data.password.decode() == password)
            # handled=False: aiosmtpd answers 535 itself.
            return AuthResult(success=ok, handled=False, auth_data=data if ok else None)
    handler = Handler(args.directory)
    def factory():
        return SMTP(handler, hostname="fixture.test", enable_SMTPUTF8=True,
                    tls_context=context if args.tls == "starttls" else None,
                    require_starttls=args.tls == "starttls", authenticator=authenticator,
                    auth_required=authenticator is not None, auth_require_tls=args.tls != "none")
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        factory, host="127.0.0.1", port=0, ssl=context if args.tls == "tls" else None))
    print("LISTENING %d" % server.sockets[0].getsockname()[1], flush=True)
    loop.run_forever()

sys.exit(main())
)PY";

// One message as the fixture received it.
struct ReceivedMail {
  std::string raw;          // the DATA bytes exactly
  nlohmann::json envelope;  // {mail_from, rcpt_tos, login, tls}
  nlohmann::json parsed;    // {content_type, headers: [[name, decoded value]], defects, parts}

  // The header lines of `raw` as sent (folded lines joined, CRLFs kept inside).
  std::vector<std::string> RawHeaderLines() const {
    std::vector<std::string> lines;
    const std::string head = raw.substr(0, raw.find("\r\n\r\n"));
    std::size_t start = 0;
    while (start <= head.size()) {
      std::size_t end = head.find("\r\n", start);
      if (end == std::string::npos) end = head.size();
      std::string line = head.substr(start, end - start);
      if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !lines.empty()) {
        lines.back() += "\r\n" + line;
      } else {
        lines.push_back(line);
      }
      start = end + 2;
    }
    return lines;
  }
  // Every raw header line named `name` (case-insensitive), without the name.
  std::vector<std::string> RawHeaders(const std::string& name) const {
    std::vector<std::string> values;
    for (const std::string& line : RawHeaderLines()) {
      if (line.size() > name.size() && line[name.size()] == ':' &&
          strncasecmp(line.data(), name.data(), name.size()) == 0) {
        std::string value = line.substr(name.size() + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        values.push_back(value);
      }
    }
    return values;
  }
  // The decoded value of header `name` per Python's parser; "" when absent.
  std::string Header(const std::string& name) const {
    for (const auto& pair : parsed["headers"]) {
      const std::string key = pair[0];
      if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
        return pair[1];
      }
    }
    return "";
  }
  // The decoded content of the first part of `type` ("text/html"); "" when none.
  std::string Part(const std::string& type) const {
    for (const auto& part : parsed["parts"]) {
      if (part["content_type"] == type && part["content"].is_string()) return part["content"];
    }
    return "";
  }
};

// How the fixture answers (see SmtpFixture).
struct SmtpFixtureOptions {
  std::string tls = "none";  // none | starttls | tls
  std::string auth;          // "user:password": AUTH required
};

class SmtpFixture {
 public:
  using Options = SmtpFixtureOptions;

  explicit SmtpFixture(Options options = {}) : options_(std::move(options)) {
    char pattern[] = "/tmp/rapport-smtp-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    Write(dir_ / "fixture.py", kSmtpFixtureScript);
    std::vector<std::string> args = {Python(), (dir_ / "fixture.py").string(), dir_.string(),
                                     "--tls", options_.tls};
    if (options_.tls != "none") {
      MakeCertificate();
      args.insert(args.end(),
                  {"--cert", (dir_ / "cert.pem").string(), "--key", (dir_ / "key.pem").string()});
    }
    if (!options_.auth.empty()) args.insert(args.end(), {"--auth", options_.auth});
    Start(args);
  }

  ~SmtpFixture() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  SmtpFixture(const SmtpFixture&) = delete;
  SmtpFixture& operator=(const SmtpFixture&) = delete;

  int port() const { return port_; }
  std::string ca_file() const { return (dir_ / "cert.pem").string(); }

  // The server settings that send to this fixture.
  Environment ServerEnv() const {
    Environment env;
    const std::string scheme = options_.tls == "tls" ? "smtps" : "smtp";
    env["RAPPORT_SMTP_URL"] = scheme + "://127.0.0.1:" + std::to_string(port_);
    env["RAPPORT_SMTP_TLS"] = options_.tls;
    env["RAPPORT_SMTP_FROM"] = "\"Rapport CRM\" <crm@example.com>";
    if (options_.tls != "none") env["RAPPORT_SMTP_CA_FILE"] = ca_file();
    if (!options_.auth.empty()) {
      const auto colon = options_.auth.find(':');
      env["RAPPORT_SMTP_USER"] = options_.auth.substr(0, colon);
      env["RAPPORT_SMTP_PASSWORD"] = options_.auth.substr(colon + 1);
    }
    return env;
  }

  // How the next messages are answered: "accept", "tempfail N [CODE]", "reject [CODE]" or
  // "drop N". Counters start again.
  void SetMode(const std::string& directive) {
    std::filesystem::remove(dir_ / "mode.state");
    Write(dir_ / "mode", directive + "\n");
  }

  // The complete messages received so far, in order.
  std::vector<ReceivedMail> Messages() const {
    std::vector<ReceivedMail> mails;
    for (int i = 1;; ++i) {
      char base[16];
      std::snprintf(base, sizeof base, "%04d", i);
      const auto meta = dir_ / (std::string(base) + ".json");
      if (!std::filesystem::exists(meta)) break;
      ReceivedMail mail;
      mail.raw = Read(dir_ / (std::string(base) + ".eml"));
      mail.envelope = nlohmann::json::parse(Read(meta));
      mail.parsed = nlohmann::json::parse(Read(dir_ / (std::string(base) + ".parsed.json")));
      mails.push_back(std::move(mail));
    }
    return mails;
  }

  // Waits until `count` messages have arrived (60 s at most); returns them all.
  std::vector<ReceivedMail> WaitForMessages(std::size_t count) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (true) {
      auto mails = Messages();
      if (mails.size() >= count || std::chrono::steady_clock::now() > deadline) return mails;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

 private:
  static std::string Python() {
    // Debian's interpreter, which sees python3-aiosmtpd (a python3 earlier on PATH may not).
    return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  }

  static void Write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path.string());
  }

  static std::string Read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }

  void MakeCertificate() {
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout '" +
        (dir_ / "key.pem").string() + "' -out '" + (dir_ / "cert.pem").string() +
        "' >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("openssl req failed");
  }

  void Start(const std::vector<std::string>& args) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
      if (::getppid() != parent) ::_exit(1);
      ::dup2(fds[1], STDOUT_FILENO);
      std::vector<char*> argv;
      for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    std::string output;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (output.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd poller{fds[0], POLLIN, 0};
      if (::poll(&poller, 1, 200) <= 0) continue;
      char buffer[256];
      const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
      if (n <= 0) break;
      output.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    if (output.rfind("LISTENING ", 0) != 0) {
      throw std::runtime_error(
          "the SMTP fixture did not start (is python3-aiosmtpd installed? "
          "scripts/install-deps installs it): " +
          output);
    }
    port_ = std::stoi(output.substr(10));
  }

  Options options_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace rapport::testing
