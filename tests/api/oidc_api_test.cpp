// OIDC sign-in against a fake OpenID Connect provider run by the test itself: a
// small HTTP server on a loopback port serving discovery, JWKS and the token
// endpoint, signing ID tokens with RSA keys generated here with OpenSSL.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/fixtures.hpp"
#include "api/harness.hpp"

namespace rapport::testing {
namespace {

// --- encodings
// --------------------------------------------------------------------------

std::string Base64Url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v =
        (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kAlphabet[(v >> s) & 63];
  }
  if (bytes.size() - i == 1) {
    const uint32_t v = uint8_t(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    for (int s : {18, 12, 6}) out += kAlphabet[(v >> s) & 63];
  }
  return out;
}

std::string Base64Decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) continue;
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    out[PercentDecode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  return out;
}

std::string Sha256(std::string_view data) {
  unsigned char digest[32];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), size);
}

int64_t UnixNow() { return static_cast<int64_t>(std::time(nullptr)); }

// --- keys
// -------------------------------------------------------------------------------

class RsaKey {
 public:
  RsaKey() : key_(EVP_RSA_gen(2048)) {}
  ~RsaKey() { EVP_PKEY_free(key_); }
  RsaKey(const RsaKey&) = delete;
  RsaKey& operator=(const RsaKey&) = delete;

  nlohmann::json Jwk(const std::string& kid) const {
    return {{"kty", "RSA"},
            {"kid", kid},
            {"use", "sig"},
            {"alg", "RS256"},
            {"n", Component(OSSL_PKEY_PARAM_RSA_N)},
            {"e", Component(OSSL_PKEY_PARAM_RSA_E)}};
  }
  // The compact RS256 JWS of `header`.`claims`.
  std::string Sign(const nlohmann::json& header, const nlohmann::json& claims) const {
    const std::string input = Base64Url(header.dump()) + "." + Base64Url(claims.dump());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_);
    size_t size = 0;
    EVP_DigestSign(ctx, nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string signature(size, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    signature.resize(size);
    return input + "." + Base64Url(signature);
  }

 private:
  std::string Component(const char* name) const {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(key_, name, &bn);
    std::string bytes(BN_num_bytes(bn), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
    BN_free(bn);
    return Base64Url(bytes);
  }
  EVP_PKEY* key_;
};

// --- the fake provider
// ------------------------------------------------------------------

// What the authorization request carried (parsed from the Location Rapport
// redirected to).
struct AuthorizationRequest {
  std::string path;
  std::map<std::string, std::string> params;
  const std::string& operator[](const std::string& key) const {
    static const std::string kEmpty;
    auto it = params.find(key);
    return it == params.end() ? kEmpty : it->second;
  }
};

// A minimal OpenID Connect provider over HTTP/1.1 on 127.0.0.1, one thread per
// connection.
class FakeProvider {
 public:
  static constexpr char kClientId[] = "rapport-client";
  static constexpr char kClientSecret[] = "s3cret:+/&=";  // characters that need encoding

  using TokenMaker = std::function<std::string(const AuthorizationRequest&)>;

  FakeProvider() {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(listener_, 64) != 0) {
      throw std::runtime_error("fake provider: cannot listen");
    }
    socklen_t size = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~FakeProvider() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    acceptor_.join();
    for (auto& thread : connections_) thread.join();
    close(listener_);
  }

  std::string issuer() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Knobs, read by the connection threads.
  void Publish(std::vector<nlohmann::json> jwks) {
    std::lock_guard lock(mutex_);
    jwks_ = std::move(jwks);
  }
  void SetDelay(std::string path, std::chrono::milliseconds delay) {
    std::lock_guard lock(mutex_);
    delays_[std::move(path)] = delay;
  }
  void SetTokenStatus(int status) {
    std::lock_guard lock(mutex_);
    token_status_ = status;
  }
  int jwks_fetches() const {
    std::lock_guard lock(mutex_);
    return jwks_fetches_;
  }
  // The problems the token endpoint found with Rapport's requests (client auth,
  // PKCE, ...).
  std::vector<std::string> complaints() const {
    std::lock_guard lock(mutex_);
    return complaints_;
  }

  // "Authenticates the user" for `request`: returns a code whose exchange
  // answers the ID token `make` builds.
  std::string IssueCode(const AuthorizationRequest& request, TokenMaker make) {
    std::lock_guard lock(mutex_);
    std::string code = "code-" + std::to_string(++codes_issued_);
    codes_[code] = {request, std::move(make)};
    return code;
  }

 private:
  struct Grant {
    AuthorizationRequest request;
    TokenMaker make;
  };
  struct HttpRequest {
    std::string method, path, body;
    std::map<std::string, std::string> headers;  // lower-case names
  };

  void AcceptLoop() {
    while (true) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      }
      pollfd fd{listener_, POLLIN, 0};
      if (poll(&fd, 1, 50) <= 0) continue;
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      std::lock_guard lock(mutex_);
      connections_.emplace_back([this, client] { Serve(client); });
    }
  }

  static bool ReadRequest(int fd, HttpRequest& request) {
    std::string data;
    char buffer[4096];
    size_t header_end = std::string::npos;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = read(fd, buffer, sizeof buffer);
      if (n <= 0) return false;
      data.append(buffer, static_cast<size_t>(n));
    }
    std::string_view head(data.data(), header_end);
    const auto line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    request.method = std::string(line.substr(0, line.find(' ')));
    std::string target(line.substr(line.find(' ') + 1));
    target = target.substr(0, target.find(' '));
    request.path = target.substr(0, target.find('?'));
    std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
    while (!rest.empty()) {
      const auto end = rest.find("\r\n");
      std::string_view field = rest.substr(0, end);
      const auto colon = field.find(':');
      if (colon != std::string_view::npos) {
        std::string name(field.substr(0, colon));
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string_view value = field.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        request.headers[name] = std::string(value);
      }
      rest = end == std::string_view::npos ? "" : rest.substr(end + 2);
    }
    const size_t length = request.headers.contains("content-length")
                              ? std::stoul(request.headers["content-length"])
                              : 0;
    request.body = data.substr(header_end + 4);
    while (request.body.size() < length) {
      const ssize_t n = read(fd, buffer, sizeof buffer);
      if (n <= 0) return false;
      request.body.append(buffer, static_cast<size_t>(n));
    }
    return true;
  }

  void Serve(int fd) {
    HttpRequest request;
    if (ReadRequest(fd, request)) {
      std::unique_lock lock(mutex_);
      if (auto it = delays_.find(request.path); it != delays_.end()) {
        // Interruptible, so the test does not wait for a slow answer nobody
        // reads.
        wake_.wait_for(lock, it->second, [this] { return stopping_; });
      }
      if (!stopping_) {
        auto [status, body] = Answer(request);
        lock.unlock();
        const std::string response = "HTTP/1.1 " + std::to_string(status) +
                                     " X\r\nContent-Type: application/json\r\nContent-Length: " +
                                     std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
                                     body;
        size_t sent = 0;
        while (sent < response.size()) {
          const ssize_t n = write(fd, response.data() + sent, response.size() - sent);
          if (n <= 0) break;
          sent += static_cast<size_t>(n);
        }
      }
    }
    close(fd);
  }

  // Requires mutex_.
  std::pair<int, std::string> Answer(const HttpRequest& request) {
    if (request.path == "/.well-known/openid-configuration") {
      return {200, nlohmann::json({{"issuer", issuer()},
                                   {"authorization_endpoint", issuer() + "/authorize?tenant=t1"},
                                   {"token_endpoint", issuer() + "/token"},
                                   {"jwks_uri", issuer() + "/jwks"},
                                   {"token_endpoint_auth_methods_supported",
                                    {"client_secret_basic", "client_secret_post"}}})
                       .dump()};
    }
    if (request.path == "/jwks") {
      ++jwks_fetches_;
      return {200, nlohmann::json({{"keys", jwks_}}).dump()};
    }
    if (request.path == "/token" && request.method == "POST") return Token(request);
    return {404, R"({"error":"not_found"})"};
  }

  // Requires mutex_.
  std::pair<int, std::string> Token(const HttpRequest& request) {
    const auto form = ParseQuery(request.body);
    auto refuse = [&](const std::string& why) -> std::pair<int, std::string> {
      complaints_.push_back(why);
      return {400, R"({"error":"invalid_grant"})"};
    };
    if (token_status_ != 200) return {token_status_, R"({"error":"server_error"})"};
    if (request.headers.count("content-type") == 0 ||
        request.headers.at("content-type") != "application/x-www-form-urlencoded") {
      return refuse("content type");
    }
    // client_secret_basic with form-encoded id and secret (RFC 6749 2.3.1).
    const auto authorization = request.headers.count("authorization")
                                   ? request.headers.at("authorization")
                                   : std::string();
    const std::string credentials =
        authorization.starts_with("Basic ") ? Base64Decode(authorization.substr(6)) : std::string();
    if (credentials != std::string(kClientId) + ":" + UrlEncode(kClientSecret)) {
      return refuse("client authentication");
    }
    if (form.count("grant_type") == 0 || form.at("grant_type") != "authorization_code") {
      return refuse("grant_type");
    }
    auto grant = codes_.find(form.count("code") ? form.at("code") : "");
    if (grant == codes_.end()) return refuse("unknown code");
    const Grant used = grant->second;
    codes_.erase(grant);  // single use, as real providers do
    if (form.count("redirect_uri") == 0 ||
        form.at("redirect_uri") != used.request["redirect_uri"]) {
      return refuse("redirect_uri");
    }
    const std::string verifier = form.count("code_verifier") ? form.at("code_verifier") : "";
    if (verifier.size() < 43 || Base64Url(Sha256(verifier)) != used.request["code_challenge"]) {
      return refuse("PKCE");
    }
    return {200, nlohmann::json({{"access_token", "provider-access-token"},
                                 {"token_type", "Bearer"},
                                 {"expires_in", 3600},
                                 {"id_token", used.make(used.request)}})
                     .dump()};
  }

  int listener_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;                                    // guarded by mutex_
  std::vector<std::thread> connections_;                     // guarded by mutex_
  std::vector<nlohmann::json> jwks_;                         // guarded by mutex_
  std::map<std::string, std::chrono::milliseconds> delays_;  // guarded by mutex_
  std::map<std::string, Grant> codes_;                       // guarded by mutex_
  int codes_issued_ = 0;                                     // guarded by mutex_
  int jwks_fetches_ = 0;                                     // guarded by mutex_
  int token_status_ = 200;                                   // guarded by mutex_
  std::vector<std::string> complaints_;                      // guarded by mutex_
};

// A port nothing listens on: bound, then released.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

// --- the tests
// --------------------------------------------------------------------------

constexpr char kPassword[] = "correct horse battery";
constexpr char kRedirectUri[] = "http://127.0.0.1:9/app/oidc-callback";

class OidcApiTest : public ApiTest {
 protected:
  OidcApiTest() : down_port_(ClosedPort()) { provider_.Publish({key_.Jwk("k1")}); }

  ServerOptions MakeServerOptions() const override {
    ServerOptions options;
    options.env = {
        {"RAPPORT_RATE_LIMIT", "0"},
        {"RAPPORT_OIDC_PROVIDERS", "corp,backup,down"},
        {"RAPPORT_OIDC_CORP_ISSUER", provider_.issuer()},
        {"RAPPORT_OIDC_CORP_CLIENT_ID", FakeProvider::kClientId},
        {"RAPPORT_OIDC_CORP_CLIENT_SECRET", FakeProvider::kClientSecret},
        {"RAPPORT_OIDC_CORP_REDIRECT_URI", kRedirectUri},
        {"RAPPORT_OIDC_BACKUP_ISSUER", provider_.issuer()},
        {"RAPPORT_OIDC_BACKUP_CLIENT_ID", FakeProvider::kClientId},
        {"RAPPORT_OIDC_BACKUP_CLIENT_SECRET", FakeProvider::kClientSecret},
        {"RAPPORT_OIDC_BACKUP_REDIRECT_URI", kRedirectUri},
        {"RAPPORT_OIDC_DOWN_ISSUER", "http://127.0.0.1:" + std::to_string(down_port_)},
        {"RAPPORT_OIDC_DOWN_CLIENT_ID", FakeProvider::kClientId},
        {"RAPPORT_OIDC_TIMEOUT_MS", "700"},
    };
    return options;
  }

  void SetUp() override {
    ApiTest::SetUp();
    if (IsSkipped()) return;
    ASSERT_EQ(client()
                  .Post("/api/v1/auth/bootstrap",
                        {{"email", "admin@example.com"}, {"password", kPassword}, {"name", "Ada"}})
                  .status,
              201);
    HttpResponse login = client().Post("/api/v1/auth/login",
                                       {{"email", "admin@example.com"}, {"password", kPassword}});
    ASSERT_EQ(login.status, 200) << login;
    client().SetToken(login.json()["access_token"]);
    for (const char* email : {"grace@example.com", "gone@example.com"}) {
      HttpResponse created = client().Post(
          "/api/v1/users",
          {{"email", email}, {"password", kPassword}, {"name", "Someone"}, {"role", "agent"}});
      ASSERT_EQ(created.status, 201) << created;
      if (std::string(email) == "gone@example.com") {
        ASSERT_EQ(
            client().Delete("/api/v1/users/" + created.json()["id"].get<std::string>()).status,
            204);
      }
    }
    client().SetToken("");
  }

  // Starts a sign-in at `provider` and returns the authorization request it
  // redirected to.
  AuthorizationRequest Begin(const std::string& provider = "corp") {
    HttpResponse response = client().Get("/api/v1/auth/oidc/" + provider + "/login");
    EXPECT_EQ(response.status, 302) << response;
    const std::string location = response.headers["Location"];
    AuthorizationRequest request;
    const auto question = location.find('?');
    request.path = location.substr(0, question);
    if (question != std::string::npos) request.params = ParseQuery(location.substr(question + 1));
    return request;
  }

  // Claims of a good ID token for `request`.
  nlohmann::json Claims(const AuthorizationRequest& request,
                        const std::string& email = "Grace@Example.com") const {
    const int64_t now = UnixNow();
    return {{"iss", provider_.issuer()},
            {"aud", FakeProvider::kClientId},
            {"sub", "provider-user-1"},
            {"email", email},
            {"email_verified", true},
            {"nonce", request["nonce"]},
            {"iat", now},
            {"exp", now + 600}};
  }
  std::string GoodToken(const AuthorizationRequest& request) const {
    return key_.Sign({{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "k1"}}, Claims(request));
  }

  HttpResponse Callback(const AuthorizationRequest& request, const std::string& code,
                        const std::string& provider = "corp") {
    return client().Get("/api/v1/auth/oidc/" + provider + "/callback?code=" + UrlEncode(code) +
                        "&state=" + UrlEncode(request["state"]));
  }

  // A whole sign-in whose ID token `make` builds.
  HttpResponse SignIn(FakeProvider::TokenMaker make) {
    AuthorizationRequest request = Begin();
    return Callback(request, provider_.IssueCode(request, std::move(make)));
  }

  FakeProvider provider_;
  RsaKey key_;
  int down_port_;
};

TEST_F(OidcApiTest, SignsInTheStaffUserWithTheVerifiedEmail) {
  HttpResponse redirect = client().Get("/api/v1/auth/oidc/corp/login");
  ASSERT_EQ(redirect.status, 302) << redirect;
  EXPECT_EQ(redirect.headers["Cache-Control"], "no-store");
  EXPECT_EQ(redirect.json()["authorization_url"], redirect.headers["Location"]);

  AuthorizationRequest request = Begin();
  EXPECT_EQ(request.path, provider_.issuer() + "/authorize");
  EXPECT_EQ(request["tenant"], "t1");  // the endpoint's own query is kept
  EXPECT_EQ(request["response_type"], "code");
  EXPECT_EQ(request["client_id"], FakeProvider::kClientId);
  EXPECT_EQ(request["redirect_uri"], kRedirectUri);
  EXPECT_EQ(request["scope"], "openid email profile");
  EXPECT_EQ(request["code_challenge_method"], "S256");
  EXPECT_EQ(request["code_challenge"].size(), 43u);
  EXPECT_GE(request["state"].size(), 32u);
  EXPECT_GE(request["nonce"].size(), 32u);
  EXPECT_NE(request["state"], request["nonce"]);

  const std::string code =
      provider_.IssueCode(request, [&](const auto& r) { return GoodToken(r); });
  HttpResponse signed_in = Callback(request, code);
  ASSERT_EQ(signed_in.status, 200) << signed_in;
  EXPECT_TRUE(provider_.complaints().empty()) << provider_.complaints().front();
  EXPECT_EQ(signed_in.headers["Cache-Control"], "no-store");
  const nlohmann::json body = signed_in.json();
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(body["expires_in"], 900);
  EXPECT_EQ(body["user"]["email"],
            "grace@example.com");  // matched case-insensitively
  EXPECT_FALSE(body["user"].contains("password_hash"));

  client().SetToken(body["access_token"]);
  HttpResponse me = client().Get("/api/v1/auth/me");
  ASSERT_EQ(me.status, 200) << me;
  EXPECT_EQ(me.json()["email"], "grace@example.com");
  client().SetToken("");
  HttpResponse refreshed =
      client().Post("/api/v1/auth/refresh", {{"refresh_token", body["refresh_token"]}});
  EXPECT_EQ(refreshed.status, 200) << refreshed;

  // Nothing secret reaches the log: not the code, the state, the tokens or the
  // client secret.
  server().Stop();
  const std::string logs = server().Logs() + server().ErrorOutput();
  for (const std::string& secret :
       {code, request["state"], request["nonce"], body["access_token"].get<std::string>(),
        body["refresh_token"].get<std::string>(), std::string(FakeProvider::kClientSecret)}) {
    EXPECT_EQ(logs.find(secret), std::string::npos) << "logged: " << secret;
  }
}

TEST_F(OidcApiTest, StateIsSingleUseAndBoundToItsProvider) {
  AuthorizationRequest request = Begin();
  const std::string code =
      provider_.IssueCode(request, [&](const auto& r) { return GoodToken(r); });
  ASSERT_EQ(Callback(request, code).status, 200);
  HttpResponse replay = Callback(request, code);
  EXPECT_EQ(replay.status, 401) << replay;
  EXPECT_EQ(replay.headers["Content-Type"], "application/problem+json");

  AuthorizationRequest unknown;
  unknown.params["state"] = "never-issued-state";
  EXPECT_EQ(Callback(unknown, "code-x").status, 401);

  // A state started at one provider does not finish at another, and is used up
  // by the try.
  AuthorizationRequest at_corp = Begin("corp");
  const std::string corp_code =
      provider_.IssueCode(at_corp, [&](const auto& r) { return GoodToken(r); });
  EXPECT_EQ(Callback(at_corp, corp_code, "backup").status, 401);
  EXPECT_EQ(Callback(at_corp, corp_code, "corp").status, 401);

  // The provider reported an error (the user declined): 401, and the state is
  // gone.
  AuthorizationRequest declined = Begin();
  HttpResponse refused = client().Get("/api/v1/auth/oidc/corp/callback?error=access_denied&state=" +
                                      UrlEncode(declined["state"]));
  EXPECT_EQ(refused.status, 401) << refused;
  EXPECT_NE(refused.json()["detail"].get<std::string>().find("access_denied"), std::string::npos);
  const std::string late =
      provider_.IssueCode(declined, [&](const auto& r) { return GoodToken(r); });
  EXPECT_EQ(Callback(declined, late).status, 401);
}

TEST_F(OidcApiTest, MissingParametersAreBadRequests) {
  HttpResponse no_state = client().Get("/api/v1/auth/oidc/corp/callback?code=abc");
  EXPECT_EQ(no_state.status, 400) << no_state;
  EXPECT_EQ(ErrorFields(no_state), (std::set<std::string>{"state"}));
  AuthorizationRequest request = Begin();
  HttpResponse no_code =
      client().Get("/api/v1/auth/oidc/corp/callback?state=" + UrlEncode(request["state"]));
  EXPECT_EQ(no_code.status, 400) << no_code;
  EXPECT_EQ(ErrorFields(no_code), (std::set<std::string>{"code"}));
  // The 400 did not use the state up.
  const std::string code =
      provider_.IssueCode(request, [&](const auto& r) { return GoodToken(r); });
  EXPECT_EQ(Callback(request, code).status, 200);
}

TEST_F(OidcApiTest, UnknownProviderIs404) {
  for (const char* path :
       {"/api/v1/auth/oidc/nope/login", "/api/v1/auth/oidc/nope/callback?code=a&state=b",
        "/api/v1/auth/oidc/google/login"}) {
    HttpResponse response = client().Get(path);
    EXPECT_EQ(response.status, 404) << path << "\n" << response;
    EXPECT_EQ(response.headers["Content-Type"], "application/problem+json");
  }
}

TEST_F(OidcApiTest, RefusesIdTokensThatFailAnyCheck) {
  RsaKey forger;
  const int64_t now = UnixNow();
  const nlohmann::json rs256 = {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "k1"}};
  struct Case {
    std::string name;
    FakeProvider::TokenMaker make;
  };
  auto with = [&](std::function<void(nlohmann::json&)> change) {
    return [&, change](const AuthorizationRequest& r) {
      nlohmann::json claims = Claims(r);
      change(claims);
      return key_.Sign(rs256, claims);
    };
  };
  const std::vector<Case> cases = {
      {"forged signature", [&](const auto& r) { return forger.Sign(rs256, Claims(r)); }},
      {"HS256 keyed with the public key",
       [&](const auto& r) {
         const std::string input = Base64Url(R"({"alg":"HS256","typ":"JWT","kid":"k1"})") + "." +
                                   Base64Url(Claims(r).dump());
         const std::string secret = key_.Jwk("k1").dump();
         unsigned char mac[32];
         unsigned int size = 0;
         HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
              reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &size);
         return input + "." + Base64Url(std::string(reinterpret_cast<char*>(mac), size));
       }},
      {"alg none",
       [&](const auto& r) {
         return Base64Url(R"({"alg":"none"})") + "." + Base64Url(Claims(r).dump()) + ".";
       }},
      {"wrong issuer", with([](auto& c) { c["iss"] = "https://evil.example"; })},
      {"wrong audience", with([](auto& c) { c["aud"] = "someone-else"; })},
      {"wrong nonce", with([](auto& c) { c["nonce"] = "another-nonce"; })},
      {"expired", with([&](auto& c) {
         c["iat"] = now - 7200;
         c["exp"] = now - 3600;
       })},
      {"unverified email", with([](auto& c) { c["email_verified"] = false; })},
      {"unknown kid",
       [&](const auto& r) {
         return forger.Sign({{"alg", "RS256"}, {"kid", "k-unknown"}}, Claims(r));
       }},
  };
  for (const Case& c : cases) {
    HttpResponse response = SignIn(c.make);
    EXPECT_EQ(response.status, 401) << c.name << "\n" << response;
    EXPECT_EQ(response.headers["Content-Type"], "application/problem+json") << c.name;
    EXPECT_FALSE(response.body.find("access_token") != std::string::npos) << c.name;
  }
  // And the good token still works afterwards.
  EXPECT_EQ(SignIn([&](const auto& r) { return GoodToken(r); }).status, 200);
}

TEST_F(OidcApiTest, UnknownAndDeactivatedUsersCannotSignIn) {
  HttpResponse unknown = SignIn([&](const auto& r) {
    return key_.Sign({{"alg", "RS256"}, {"kid", "k1"}}, Claims(r, "stranger@example.com"));
  });
  EXPECT_EQ(unknown.status, 403) << unknown;
  HttpResponse gone = SignIn([&](const auto& r) {
    return key_.Sign({{"alg", "RS256"}, {"kid", "k1"}}, Claims(r, "gone@example.com"));
  });
  EXPECT_EQ(gone.status, 401) << gone;
  // No account was created for the stranger.
  HttpResponse login = client().Post("/api/v1/auth/login",
                                     {{"email", "admin@example.com"}, {"password", kPassword}});
  client().SetToken(login.json()["access_token"]);
  HttpResponse users = client().Get("/api/v1/users?q=stranger");
  ASSERT_EQ(users.status, 200) << users;
  EXPECT_TRUE(users.json()["data"].empty());
}

TEST_F(OidcApiTest, RotatedKeysAreFetchedAgain) {
  ASSERT_EQ(SignIn([&](const auto& r) { return GoodToken(r); }).status, 200);
  const int fetches = provider_.jwks_fetches();
  EXPECT_EQ(SignIn([&](const auto& r) { return GoodToken(r); }).status, 200);
  EXPECT_EQ(provider_.jwks_fetches(), fetches);  // cached

  RsaKey next;
  provider_.Publish({key_.Jwk("k1"), next.Jwk("k2")});
  HttpResponse rotated = SignIn([&](const auto& r) {
    return next.Sign({{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "k2"}}, Claims(r));
  });
  EXPECT_EQ(rotated.status, 200) << rotated;
  EXPECT_EQ(provider_.jwks_fetches(), fetches + 1);
}

TEST_F(OidcApiTest, ProviderFailuresAre502AndNeverHang) {
  // Nothing listens at the provider's address.
  HttpResponse down = client().Get("/api/v1/auth/oidc/down/login");
  EXPECT_EQ(down.status, 502) << down;
  EXPECT_EQ(down.headers["Content-Type"], "application/problem+json");

  // A token endpoint that does not answer within the timeout (700 ms): had the
  // server waited, the fake would have answered a valid token after 30 s and
  // the sign-in would succeed.
  provider_.SetDelay("/token", std::chrono::seconds(30));
  HttpResponse slow = SignIn([&](const auto& r) { return GoodToken(r); });
  EXPECT_EQ(slow.status, 502) << slow;
  EXPECT_EQ(slow.headers["Content-Type"], "application/problem+json");
  provider_.SetDelay("/token", std::chrono::milliseconds(0));

  provider_.SetTokenStatus(500);
  EXPECT_EQ(SignIn([&](const auto& r) { return GoodToken(r); }).status, 502);
  provider_.SetTokenStatus(200);

  // A refused code (invalid_grant) is the client's problem, not the provider's.
  AuthorizationRequest request = Begin();
  EXPECT_EQ(Callback(request, "code-that-was-never-issued").status, 401);
}

}  // namespace
}  // namespace rapport::testing
