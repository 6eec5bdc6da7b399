// Email: the real binary sending to a real SMTP server on loopback (aiosmtpd), asserting on
// the bytes that arrive; tracking, replies, engagement, statistics and visibility over HTTP.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/fixtures.hpp"
#include "api/harness.hpp"
#include "api/smtp_fixture.hpp"

namespace rapport::testing {
namespace {

using nlohmann::json;

constexpr char kInboundSecret[] = "inbound-secret-for-tests-0123456789";
constexpr char kPublicUrl[] = "https://crm.example.test";

// Polls `done` every 50 ms for up to `timeout`; true once it holds.
bool Eventually(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// Every row of `table` as text, one line per row (SQLite through the sqlite3 shell,
// PostgreSQL through libpq), to look at what is really stored.
std::string DumpTable(const std::string& db_url, const std::string& table) {
  if (db_url.rfind("sqlite://", 0) == 0) {
    const std::string command = "sqlite3 '" + db_url.substr(9) + "' 'SELECT * FROM " + table + "'";
    std::string out;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
      char buffer[4096];
      std::size_t n;
      while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
      ::pclose(pipe);
    }
    return out;
  }
  std::string out;
  PGconn* connection = PQconnectdb(db_url.c_str());
  PGresult* result = PQexec(connection, ("SELECT * FROM " + table).c_str());
  for (int row = 0; row < PQntuples(result); ++row) {
    for (int column = 0; column < PQnfields(result); ++column) {
      out += PQgetvalue(result, row, column);
      out += '|';
    }
    out += '\n';
  }
  PQclear(result);
  PQfinish(connection);
  return out;
}

// The tracking URLs in an HTML part.
std::vector<std::string> Matches(const std::string& text, const std::string& pattern) {
  std::vector<std::string> found;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    found.push_back((*it)[0]);
  }
  return found;
}

// A staff server that sends to an SMTP fixture.
class EmailApiTest : public StaffApiTest {
 protected:
  void SetUp() override {
    smtp_ = std::make_unique<SmtpFixture>(SmtpOptions());
    StaffApiTest::SetUp();
  }

  virtual SmtpFixture::Options SmtpOptions() const { return {}; }

  ServerOptions MakeServerOptions() const override {
    ServerOptions options = StaffApiTest::MakeServerOptions();
    for (const auto& [key, value] : smtp_->ServerEnv()) options.env[key] = value;
    options.env["RAPPORT_PUBLIC_URL"] = kPublicUrl;
    options.env["RAPPORT_INBOUND_SECRET"] = kInboundSecret;
    return options;
  }

  SmtpFixture& smtp() { return *smtp_; }

  json CreateCustomer(const json& body) { return Created("/api/v1/customers", body); }

  // POST /emails, expecting 202.
  json Queue(const json& body) {
    HttpResponse response = client().Post("/api/v1/emails", body);
    EXPECT_EQ(response.status, 202) << body.dump() << "\n" << response;
    if (response.status != 202) return json::object();
    const json email = response.json();
    EXPECT_EQ(response.headers["Location"], "/api/v1/emails/" + email["id"].get<std::string>());
    EXPECT_EQ(email["status"], "queued");
    return email;
  }

  // Polls GET /emails/{id} until `done(email)` holds; returns the last email read.
  json WaitForEmail(const json& email, const std::function<bool(const json&)>& done) {
    json last;
    const std::string path = "/api/v1/emails/" + email["id"].get<std::string>();
    Eventually([&] {
      HttpResponse response = client().Get(path);
      if (response.status != 200) return false;
      last = response.json();
      return done(last);
    });
    return last;
  }
  json WaitForStatus(const json& email, const std::string& status) {
    json last = WaitForEmail(email, [&](const json& e) { return e["status"] == status; });
    EXPECT_EQ(last["status"], status) << last.dump(2);
    return last;
  }

  // GET with no token and the given User-Agent (what a mail client does).
  HttpResponse Anonymous(const std::string& url, const std::string& user_agent = "TestMail/1.0") {
    Client anonymous(server());
    return anonymous.Get(url, {{"User-Agent", user_agent}});
  }

  // POST /emails/inbound with a raw message.
  HttpResponse Inbound(const std::string& raw, const std::string& secret = kInboundSecret,
                       const std::string& content_type = "message/rfc822") {
    Client relay(server());
    Headers headers;
    if (!secret.empty()) headers["Authorization"] = "Bearer " + secret;
    return relay.Request("POST", "/api/v1/emails/inbound", RequestBody{raw, content_type}, headers);
  }

  json Engagement(const json& email) {
    HttpResponse response =
        client().Get("/api/v1/emails/" + email["id"].get<std::string>() + "/engagement");
    EXPECT_EQ(response.status, 200) << response;
    return response.status == 200 ? response.json() : json::object();
  }

  // The path of a public tracking URL (the server is reached on its own port).
  static std::string PathOf(const std::string& url) {
    return url.substr(std::string(kPublicUrl).size());
  }

 private:
  std::unique_ptr<SmtpFixture> smtp_;
};

TEST_F(EmailApiTest, SendsAProperMimeMessage) {
  const json customer = CreateCustomer(
      {{"name", "Zo\xc3\xab M\xc3\xbcller"}, {"email", "zoe@example.org"}, {"company", "Acme"}});
  const std::string subject =
      "Caf\xc3\xa9 \xe2\x98\x95 \xe2\x80\x94 r\xc3\xa9sum\xc3\xa9 for Zo\xc3\xab";
  const std::string text = "Hello Zo\xc3\xab,\n\nthe quote: https://acme.example/q/1\n.\nBye";
  const std::string html =
      "<html><body><p>Hello Zo\xc3\xab,</p><p><a href=\"https://acme.example/q/1?a=1&amp;b=2\">"
      "the quote</a> and <a href='https://acme.example/terms'>terms</a> "
      "<a href=\"mailto:sales@acme.example\">mail us</a></p></body></html>";
  const json queued = Queue(
      {{"customer_id", customer["id"]}, {"subject", subject}, {"text", text}, {"html", html}});
  EXPECT_EQ(queued["to"], "zoe@example.org");  // the customer's address by default
  EXPECT_EQ(queued["to_name"], "Zo\xc3\xab M\xc3\xbcller");
  EXPECT_EQ(queued["sender_id"], admin().id);
  const json sent = WaitForStatus(queued, "sent");
  EXPECT_EQ(sent["transport"], "smtp");
  EXPECT_EQ(sent["attempts"], 1);
  EXPECT_TRUE(sent["sent_at"].is_string());
  EXPECT_EQ(sent["smtp_response"], "250 2.0.0 Ok: queued as 0001");

  auto mails = smtp().WaitForMessages(1);
  ASSERT_EQ(mails.size(), 1u);
  const ReceivedMail& mail = mails[0];
  // Envelope.
  EXPECT_EQ(mail.envelope["mail_from"], "crm@example.com");
  EXPECT_EQ(mail.envelope["rcpt_tos"], json({"zoe@example.org"}));
  // Headers, as sent and as a standard parser reads them.
  EXPECT_TRUE(mail.parsed["defects"].empty()) << mail.parsed["defects"].dump();
  for (const char* once : {"Date", "Message-ID", "From", "To", "Reply-To", "Subject",
                           "MIME-Version", "Content-Type"}) {
    EXPECT_EQ(mail.RawHeaders(once).size(), 1u) << once << "\n" << mail.raw.substr(0, 2000);
  }
  const std::string message_id = sent["message_id"];
  EXPECT_EQ(mail.RawHeaders("Message-ID")[0], message_id);
  EXPECT_TRUE(std::regex_match(message_id, std::regex("<[0-9a-f-]{36}@example\\.com>")))
      << message_id;
  EXPECT_EQ(mail.RawHeaders("X-Rapport-Email-Id"),
            std::vector<std::string>{sent["id"].get<std::string>()});
  EXPECT_EQ(mail.Header("From"), "Rapport CRM <crm@example.com>");
  EXPECT_EQ(mail.Header("To"), "Zo\xc3\xab M\xc3\xbcller <zoe@example.org>");
  EXPECT_EQ(mail.RawHeaders("To")[0].rfind("=?UTF-8?B?", 0), 0u) << mail.RawHeaders("To")[0];
  EXPECT_EQ(mail.Header("Subject"), subject);
  EXPECT_EQ(mail.RawHeaders("Subject")[0].rfind("=?UTF-8?B?", 0), 0u)
      << mail.RawHeaders("Subject")[0];
  EXPECT_EQ(mail.RawHeaders("MIME-Version")[0], "1.0");
  const std::string reply_to = mail.Header("Reply-To");
  EXPECT_TRUE(
      std::regex_match(reply_to, std::regex("Rapport CRM <crm\\+[0-9a-f]{24}@example\\.com>")))
      << reply_to;
  EXPECT_TRUE(std::regex_match(mail.RawHeaders("Date")[0],
                               std::regex("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} "
                                          "\\d{2}:\\d{2}:\\d{2} \\+0000")))
      << mail.RawHeaders("Date")[0];
  // Only printable ASCII in the header block: everything else was encoded.
  const std::string head = mail.raw.substr(0, mail.raw.find("\r\n\r\n"));
  for (const char c : head) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE((u >= 0x20 && u < 0x7f) || c == '\r' || c == '\n' || c == '\t') << int(u);
  }
  // MIME structure: multipart/alternative of text/plain and text/html, UTF-8,
  // quoted-printable.
  EXPECT_EQ(mail.parsed["content_type"], "multipart/alternative");
  ASSERT_EQ(mail.parsed["parts"].size(), 2u) << mail.parsed.dump(2);
  EXPECT_EQ(mail.parsed["parts"][0]["content_type"], "text/plain");
  EXPECT_EQ(mail.parsed["parts"][1]["content_type"], "text/html");
  for (const auto& part : mail.parsed["parts"]) {
    EXPECT_EQ(part["charset"], "utf-8");
    EXPECT_EQ(part["transfer_encoding"], "quoted-printable");
  }
  std::string expected_text = text;  // sent with CRLF line endings
  for (std::size_t i = 0; (i = expected_text.find('\n', i)) != std::string::npos; i += 2) {
    expected_text.replace(i, 1, "\r\n");
  }
  std::string got_text = mail.Part("text/plain");
  // Python's parser reads CRLF as LF.
  for (std::size_t i = 0; (i = got_text.find('\n', i)) != std::string::npos; i += 2) {
    if (i == 0 || got_text[i - 1] != '\r') got_text.replace(i, 1, "\r\n");
  }
  EXPECT_EQ(got_text.substr(0, expected_text.size()), expected_text);
  // Tracking: both http links rewritten, mailto kept, the pixel before </body>.
  const std::string got_html = mail.Part("text/html");
  const auto clicks = Matches(got_html, "https://crm\\.example\\.test/t/c/[A-Za-z0-9_-]{43}");
  const auto pixels = Matches(got_html, "https://crm\\.example\\.test/t/o/[A-Za-z0-9_-]{43}\\.gif");
  EXPECT_EQ(clicks.size(), 2u) << got_html;
  EXPECT_EQ(pixels.size(), 1u) << got_html;
  EXPECT_EQ(got_html.find("acme.example/q/1"), std::string::npos) << got_html;
  EXPECT_NE(got_html.find("href=\"mailto:sales@acme.example\""), std::string::npos) << got_html;
  EXPECT_LT(got_html.find("/t/o/"), got_html.find("</body>"));
  EXPECT_NE(got_html.find("<p>Hello Zo\xc3\xab,</p>"), std::string::npos) << got_html;
  // The text part keeps the real URL.
  EXPECT_NE(got_text.find("https://acme.example/q/1"), std::string::npos);
}

TEST_F(EmailApiTest, TextOnlyEmailsGetAnHtmlAlternativeAndNoTrackingWhenOff) {
  Queue({{"to", "plain@example.org"},
         {"subject", "Plain"},
         {"text", "See https://example.org/x <now>"},
         {"track_opens", false},
         {"track_clicks", false}});
  auto mails = smtp().WaitForMessages(1);
  ASSERT_EQ(mails.size(), 1u);
  const std::string html = mails[0].Part("text/html");
  EXPECT_NE(html.find("<a href=\"https://example.org/x\">https://example.org/x</a> &lt;now&gt;"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("/t/o/"), std::string::npos);
  EXPECT_EQ(html.find("/t/c/"), std::string::npos);
  EXPECT_EQ(mails[0].Header("To"), "plain@example.org");
}

TEST_F(EmailApiTest, OpensAndClicksAreRecordedAndOnlyRecordedLinksRedirect) {
  const json email = Queue({{"to", "grace@example.org"},
                            {"subject", "Links"},
                            {"text", "t"},
                            {"html",
                             "<p><a href=\"https://example.org/a?x=1&amp;y=2\">a</a>"
                             "<a href=\"https://example.org/b\">b</a></p>"}});
  auto mails = smtp().WaitForMessages(1);
  ASSERT_EQ(mails.size(), 1u);
  const std::string html = mails[0].Part("text/html");
  const auto clicks = Matches(html, "https://crm\\.example\\.test/t/c/[A-Za-z0-9_-]{43}");
  const auto pixels = Matches(html, "https://crm\\.example\\.test/t/o/[A-Za-z0-9_-]{43}\\.gif");
  ASSERT_EQ(clicks.size(), 2u);
  ASSERT_EQ(pixels.size(), 1u);

  // The pixel: a real GIF, not cached, no token needed; the same for an unknown token.
  HttpResponse pixel = Anonymous(PathOf(pixels[0]));
  ASSERT_EQ(pixel.status, 200) << pixel;
  EXPECT_EQ(pixel.headers["Content-Type"], "image/gif");
  EXPECT_EQ(pixel.body.size(), 43u);
  EXPECT_EQ(pixel.body.substr(0, 6), "GIF89a");
  EXPECT_NE(pixel.headers["Cache-Control"].find("no-store"), std::string::npos);
  ASSERT_EQ(Anonymous(PathOf(pixels[0])).status, 200);
  ASSERT_EQ(Anonymous(PathOf(pixels[0]), "OtherMail/2.0").status, 200);
  for (const std::string& unknown :
       std::vector<std::string>{"/t/o/" + std::string(43, 'A') + ".gif", "/t/o/x.gif",
                                "/t/o/" + clicks[0].substr(clicks[0].rfind('/') + 1) + ".gif"}) {
    HttpResponse other = Anonymous(unknown);
    EXPECT_EQ(other.status, 200) << unknown;
    EXPECT_EQ(other.body, pixel.body) << unknown;
    EXPECT_EQ(other.headers["Content-Type"], "image/gif");
  }

  // Clicks redirect to the recorded URL only.
  HttpResponse click = Anonymous(PathOf(clicks[0]));
  ASSERT_EQ(click.status, 302) << click;
  EXPECT_EQ(click.headers["Location"], "https://example.org/a?x=1&y=2");
  EXPECT_EQ(click.headers["Referrer-Policy"], "no-referrer");
  HttpResponse second = Anonymous(PathOf(clicks[1]));
  ASSERT_EQ(second.status, 302);
  EXPECT_EQ(second.headers["Location"], "https://example.org/b");
  std::string forged = clicks[0].substr(clicks[0].rfind('/') + 1);
  forged[5] = forged[5] == 'A' ? 'B' : 'A';
  const std::string pixel_token = pixels[0].substr(pixels[0].rfind('/') + 1, 43);
  for (const std::string& bad : std::vector<std::string>{
           "/t/c/" + forged, "/t/c/" + pixel_token, "/t/c/short", "/t/c/https%3A%2F%2Fevil.example",
           "/t/c/" + std::string(43, '_')}) {
    HttpResponse refused = Anonymous(bad);
    EXPECT_EQ(refused.status, 404) << bad << "\n" << refused;
    EXPECT_TRUE(refused.headers["Location"].empty()) << bad;
  }

  // Engagement: 3 opens from 2 user agents, 2 clicks on link 0... written shortly after.
  ASSERT_EQ(Anonymous(PathOf(clicks[0]), "OtherMail/2.0").status, 302);
  json engagement;
  ASSERT_TRUE(Eventually([&] {
    engagement = Engagement(email);
    return engagement["opens"] == 3 && engagement["clicks"] == 3;
  })) << engagement.dump(2);
  EXPECT_EQ(engagement["unique_opens"], 2);
  EXPECT_EQ(engagement["unique_clicks"], 2);
  EXPECT_TRUE(engagement["first_opened_at"].is_string());
  EXPECT_TRUE(engagement["last_opened_at"].is_string());
  EXPECT_LE(engagement["first_opened_at"].get<std::string>(),
            engagement["last_opened_at"].get<std::string>());
  EXPECT_TRUE(engagement["sent_at"].is_string());
  ASSERT_EQ(engagement["links"].size(), 2u);
  EXPECT_EQ(engagement["links"][0]["url"], "https://example.org/a?x=1&y=2");
  EXPECT_EQ(engagement["links"][0]["clicks"], 2);
  EXPECT_EQ(engagement["links"][1]["clicks"], 1);
  EXPECT_TRUE(engagement["replies"].empty());

  // The database keeps user agents and a keyed hash, never the client address; the tokens
  // are stored hashed and the access log does not show them.
  const std::string events = DumpTable(server().db_url(), "email_events");
  EXPECT_NE(events.find("TestMail/1.0"), std::string::npos) << events;
  EXPECT_EQ(events.find("127.0.0.1"), std::string::npos) << events;
  const std::string tokens = DumpTable(server().db_url(), "email_tokens");
  EXPECT_EQ(tokens.find(pixel_token), std::string::npos);
  EXPECT_NE(tokens.find("https://example.org/b"), std::string::npos);
  // Nor does the access log show them, or the client's address.
  EXPECT_TRUE(server().WaitForLog([](const json& line) {
    return line.value("route", "") == "/t/o/:token.gif" &&
           line.value("path", "") == "/t/o/:token.gif" && line.value("ip", "?").empty();
  }));
  EXPECT_EQ(server().Logs().find(pixel_token), std::string::npos);
}

TEST_F(EmailApiTest, HeaderInjectionIsRefusedOrNeutralised) {
  // Straight through the API: refused.
  HttpResponse subject = client().Post(
      "/api/v1/emails",
      {{"to", "a@example.org"}, {"subject", "Hi\r\nBcc: victim@example.net"}, {"text", "x"}});
  EXPECT_EQ(subject.status, 422) << subject;
  EXPECT_EQ(ErrorFields(subject), std::set<std::string>{"subject"});
  HttpResponse to = client().Post(
      "/api/v1/emails",
      {{"to", "a@example.org\r\nBcc: victim@example.net"}, {"subject", "Hi"}, {"text", "x"}});
  EXPECT_EQ(to.status, 422) << to;
  EXPECT_EQ(ErrorFields(to), std::set<std::string>{"to"});

  // Through a stored name: neutralised into the display name.
  const json eve =
      CreateCustomer({{"name", "Eve\r\nBcc: victim@example.net"}, {"email", "eve@example.org"}});
  ASSERT_TRUE(eve.contains("id"));
  Queue({{"customer_id", eve["id"]},
         {"subject", "Hello"},
         {"text", "x"},
         {"html", "<a href=\"https://example.org/x&#13;&#10;Set-Cookie: a=b\">x</a>"}});
  auto mails = smtp().WaitForMessages(1);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].envelope["rcpt_tos"], json({"eve@example.org"}));
  EXPECT_TRUE(mails[0].RawHeaders("Bcc").empty()) << mails[0].raw.substr(0, 1500);
  EXPECT_EQ(mails[0].RawHeaders("To").size(), 1u);
  EXPECT_EQ(mails[0].Header("To"), "\"Eve  Bcc: victim@example.net\" <eve@example.org>");
  EXPECT_TRUE(mails[0].parsed["defects"].empty());
  // A link whose href decodes to a line break redirects to a URL with it percent-encoded.
  const auto clicks =
      Matches(mails[0].Part("text/html"), "https://crm\\.example\\.test/t/c/[A-Za-z0-9_-]{43}");
  ASSERT_EQ(clicks.size(), 1u);
  HttpResponse click = Anonymous(PathOf(clicks[0]));
  ASSERT_EQ(click.status, 302);
  EXPECT_EQ(click.headers["Location"], "https://example.org/x%0D%0ASet-Cookie:%20a=b");
  EXPECT_EQ(click.headers.count("Set-Cookie"), 0u);
}

TEST_F(EmailApiTest, TransientFailuresRetryWithBackoff) {
  smtp().SetMode("tempfail 2");
  const json email = Queue({{"to", "retry@example.org"}, {"subject", "Retry"}, {"text", "x"}});
  // The first refusal is visible while the job waits for its next attempt.
  const json waiting = WaitForEmail(email, [](const json& e) { return e["error"].is_string(); });
  EXPECT_EQ(waiting["error"], "451 4.3.0 Try again later, please") << waiting.dump(2);
  EXPECT_NE(waiting["status"], "failed");
  const json sent = WaitForStatus(email, "sent");
  EXPECT_EQ(sent["attempts"], 3);
  EXPECT_TRUE(sent["error"].is_null());
  EXPECT_EQ(smtp().WaitForMessages(1).size(), 1u);
}

TEST_F(EmailApiTest, PermanentFailuresFailWithTheServersReason) {
  smtp().SetMode("reject 554");
  const json email = Queue({{"to", "nobody@example.org"}, {"subject", "Rejected"}, {"text", "x"}});
  const json failed = WaitForStatus(email, "failed");
  EXPECT_EQ(failed["error"], "554 5.7.1 Message refused by policy");
  EXPECT_EQ(failed["attempts"], 1);
  EXPECT_TRUE(failed["failed_at"].is_string());
  EXPECT_TRUE(failed["sent_at"].is_null());
  HttpResponse list = client().Get("/api/v1/emails?status=failed");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json()["data"].size(), 1u);
  EXPECT_EQ(list.json()["data"][0]["id"], email["id"]);
  EXPECT_TRUE(smtp().Messages().empty());
}

TEST_F(EmailApiTest, ADroppedConnectionIsRetried) {
  smtp().SetMode("drop 1");
  const json email = Queue({{"to", "drop@example.org"}, {"subject", "Dropped"}, {"text", "x"}});
  const json sent = WaitForStatus(email, "sent");
  EXPECT_EQ(sent["attempts"], 2);
  EXPECT_EQ(smtp().WaitForMessages(1).size(), 1u);
}

// A reply as a mail client writes it.
std::string ReplyMessage(const std::string& headers, const std::string& body) {
  return "From: Grace Hopper <grace@example.org>\r\n"
         "To: Rapport CRM <crm@example.com>\r\n"
         "Subject: Re: Proposal\r\n"
         "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n" +
         headers + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body;
}

TEST_F(EmailApiTest, RepliesAreMatchedStoredOnceAndShownInEngagement) {
  const json email = WaitForStatus(
      Queue({{"to", "grace@example.org"}, {"subject", "Proposal"}, {"text", "Shall we?"}}), "sent");
  const std::string message_id = email["message_id"];
  const std::string raw =
      ReplyMessage("Message-ID: <reply-1@example.org>\r\nIn-Reply-To: " + message_id + "\r\n",
                   "Yes, let's meet on Tuesday.\r\n\r\nOn Sun, 22 Nov 2026, Rapport CRM "
                   "wrote:\r\n> Shall we?\r\n");
  HttpResponse stored = Inbound(raw);
  ASSERT_EQ(stored.status, 200) << stored;
  EXPECT_EQ(stored.json()["matched"], true);
  EXPECT_EQ(stored.json()["matched_by"], "in_reply_to");
  EXPECT_EQ(stored.json()["email_id"], email["id"]);
  EXPECT_EQ(stored.json()["duplicate"], false);
  // The relay delivering it again stores nothing new.
  HttpResponse again = Inbound(raw);
  ASSERT_EQ(again.status, 200) << again;
  EXPECT_EQ(again.json()["duplicate"], true);
  EXPECT_EQ(again.json()["reply_id"], stored.json()["reply_id"]);

  const json engagement = Engagement(email);
  ASSERT_EQ(engagement["replies"].size(), 1u) << engagement.dump(2);
  const json reply = engagement["replies"][0];
  EXPECT_EQ(reply["from"], "grace@example.org");
  EXPECT_EQ(reply["from_name"], "Grace Hopper");
  EXPECT_EQ(reply["text"], "Yes, let's meet on Tuesday.");
  EXPECT_EQ(reply["subject"], "Re: Proposal");
  EXPECT_TRUE(reply["received_at"].is_string());
}

TEST_F(EmailApiTest, RepliesMatchByReferencesAndByThePlusAddress) {
  const json first = Queue({{"to", "a@example.org"}, {"subject", "One"}, {"text", "1"}});
  const json second = Queue({{"to", "b@example.org"}, {"subject", "Two"}, {"text", "2"}});
  WaitForStatus(first, "sent");
  WaitForStatus(second, "sent");
  auto mails = smtp().WaitForMessages(2);
  ASSERT_EQ(mails.size(), 2u);

  // References, newest last: the last known id wins.
  HttpResponse by_references =
      Inbound(ReplyMessage("Message-ID: <r2@example.org>\r\nReferences: <unknown@example.org> " +
                               first["message_id"].get<std::string>() + "\r\n",
                           "By references"));
  ASSERT_EQ(by_references.status, 200) << by_references;
  EXPECT_EQ(by_references.json()["matched_by"], "references");
  EXPECT_EQ(by_references.json()["email_id"], first["id"]);

  // Only the Reply-To plus address (a client that drops In-Reply-To).
  std::string reply_to;
  for (const ReceivedMail& mail : mails) {
    if (mail.Header("X-Rapport-Email-Id") == second["id"]) reply_to = mail.Header("Reply-To");
  }
  const std::string address =
      reply_to.substr(reply_to.find('<') + 1, reply_to.find('>') - reply_to.find('<') - 1);
  HttpResponse by_address = Inbound("From: b@example.org\r\nTo: " + address +
                                    "\r\nSubject: Re: Two\r\n\r\nBy address\r\n");
  ASSERT_EQ(by_address.status, 200) << by_address;
  EXPECT_EQ(by_address.json()["matched_by"], "reply_to");
  EXPECT_EQ(by_address.json()["email_id"], second["id"]);
  EXPECT_EQ(Engagement(second)["replies"][0]["text"], "By address");

  // Nothing to match: accepted, not stored.
  HttpResponse unmatched = Inbound(ReplyMessage("In-Reply-To: <nobody@example.org>\r\n", "?"));
  EXPECT_EQ(unmatched.status, 202) << unmatched;
  EXPECT_EQ(unmatched.json()["matched"], false);
  EXPECT_TRUE(unmatched.json()["email_id"].is_null());
}

TEST_F(EmailApiTest, InboundNeedsTheSecretAndSurvivesGarbage) {
  const std::string raw = ReplyMessage("", "hello");
  EXPECT_EQ(Inbound(raw, "").status, 401);
  EXPECT_EQ(Inbound(raw, "wrong").status, 401);
  EXPECT_EQ(Inbound(raw, std::string(kInboundSecret) + "x").status, 401);
  EXPECT_EQ(Inbound(raw, std::string(kInboundSecret).substr(1)).status, 401);
  EXPECT_EQ(Inbound(raw, kInboundSecret, "application/json").status, 415);
  // A staff token is not the inbound secret.
  Client staff(server());
  staff.SetToken(admin().token);
  EXPECT_EQ(
      staff.Request("POST", "/api/v1/emails/inbound", RequestBody{raw, "message/rfc822"}).status,
      401);
  for (const std::string& garbage : std::vector<std::string>{
           std::string(""), std::string("\r\n"), std::string("\x00\x01\xff\xfe", 4),
           std::string("no headers at all"), std::string(200000, '<'),
           std::string("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x"),
           std::string("In-Reply-To: <<<>>>\r\nFrom: @@@\r\n\r\n\xff")}) {
    HttpResponse response = Inbound(garbage);
    EXPECT_TRUE(response.status == 400 || response.status == 202) << response;
  }
}

TEST_F(EmailApiTest, ValidatesWritesAndQueryParameters) {
  struct Case {
    json body;
    std::set<std::string> fields;
  };
  const json hidden = [&] {
    As(other_agent());
    json c = CreateCustomer({{"name", "Hidden"}, {"email", "hidden@example.org"}});
    As(admin());
    return c;
  }();
  const json no_email = CreateCustomer({{"name", "No Email"}});
  const std::vector<Case> cases = {
      {json::object(), {"subject", "text"}},
      {{{"to", "a@example.org"}, {"text", "x"}}, {"subject"}},
      {{{"to", "a@example.org"}, {"subject", "s"}}, {"text"}},
      {{{"subject", "s"}, {"text", "x"}}, {"to"}},
      {{{"to", "not-an-address"}, {"subject", "s"}, {"text", "x"}}, {"to"}},
      {{{"to", 5}, {"subject", "s"}, {"text", "x"}}, {"to"}},
      {{{"to", "a@example.org"}, {"subject", std::string(501, 's')}, {"text", "x"}}, {"subject"}},
      {{{"to", "a@example.org"}, {"subject", "s"}, {"text", "x"}, {"track_opens", "yes"}},
       {"track_opens"}},
      {{{"to", "a@example.org"}, {"subject", "s"}, {"text", "x"}, {"bcc", "x@example.org"}},
       {"bcc"}},
      {{{"to", "a@example.org"}, {"subject", "s"}, {"text", "x"}, {"status", "sent"}}, {"status"}},
      {{{"to", "a@example.org"}, {"subject", "s"}, {"text", "x"}, {"customer_id", "nope"}},
       {"customer_id"}},
      {{{"subject", "s"}, {"text", "x"}, {"customer_id", no_email["id"]}}, {"to"}},
  };
  for (const Case& c : cases) {
    HttpResponse response = client().Post("/api/v1/emails", c.body);
    EXPECT_EQ(response.status, 422) << c.body.dump() << "\n" << response;
    EXPECT_EQ(ErrorFields(response), c.fields) << c.body.dump();
  }
  // A customer the caller cannot see is no customer at all.
  As(agent());
  HttpResponse hidden_customer = client().Post(
      "/api/v1/emails", {{"subject", "s"}, {"text", "x"}, {"customer_id", hidden["id"]}});
  EXPECT_EQ(hidden_customer.status, 422) << hidden_customer;
  EXPECT_EQ(ErrorFields(hidden_customer), std::set<std::string>{"customer_id"});
  As(admin());
  EXPECT_EQ(Raw("POST", "/api/v1/emails", "{\"to\": ").status, 400);
  EXPECT_EQ(Raw("POST", "/api/v1/emails", "[]").status, 422);
  EXPECT_EQ(Raw("POST", "/api/v1/emails", "to=a", "text/plain").status, 415);
  EXPECT_TRUE(smtp().Messages().empty());
  HttpResponse none = client().Get("/api/v1/emails?include_total=true");
  EXPECT_EQ(none.json()["total"], 0) << none;  // nothing was queued by any refusal

  for (const std::string query : {"status=lost", "customer_id=42", "limit=0", "limit=501",
                                  "sort=subject", "cursor=garbage"}) {
    HttpResponse response = client().Get("/api/v1/emails?" + query);
    EXPECT_EQ(response.status, 400) << query << "\n" << response;
  }
  for (const std::string query :
       {"from=yesterday", "to=2026-13-01", "from=2026-02-01&to=2026-01-01"}) {
    HttpResponse response = client().Get("/api/v1/emails/stats?" + query);
    EXPECT_EQ(response.status, 400) << query << "\n" << response;
  }
  EXPECT_EQ(client().Get("/api/v1/emails/not-a-uuid").status, 404);
  EXPECT_EQ(client().Get("/api/v1/emails/01890a5d-ac96-774b-bcce-b302099a8057").status, 404);
  EXPECT_EQ(client().Get("/api/v1/emails/01890a5d-ac96-774b-bcce-b302099a8057/engagement").status,
            404);
  Client anonymous(server());
  EXPECT_EQ(anonymous.Get("/api/v1/emails").status, 401);
  EXPECT_EQ(anonymous.Post("/api/v1/emails", {{"to", "a@example.org"}}).status, 401);
}

TEST_F(EmailApiTest, AgentsSeeTheirOwnEmailsAndThoseOfTheirCustomers) {
  As(agent());
  const json own_customer = CreateCustomer({{"name", "Mine"}, {"email", "mine@example.org"}});
  const json to_customer =
      Queue({{"customer_id", own_customer["id"]}, {"subject", "To mine"}, {"text", "x"}});
  const json loose = Queue({{"to", "loose@example.org"}, {"subject", "Loose"}, {"text", "x"}});
  As(other_agent());
  const json theirs = Queue({{"to", "theirs@example.org"}, {"subject", "Theirs"}, {"text", "x"}});
  As(manager());
  const json unowned = CreateCustomer({{"name", "Unowned"}, {"email", "unowned@example.org"}});
  const json managers =
      Queue({{"customer_id", unowned["id"]}, {"subject", "About unowned"}, {"text", "x"}});

  auto ids = [&](const std::string& query) {
    std::set<std::string> found;
    HttpResponse response = client().Get("/api/v1/emails" + query);
    EXPECT_EQ(response.status, 200) << response;
    const json body = response.json();
    for (const auto& e : body["data"]) found.insert(e["id"].get<std::string>());
    return found;
  };
  As(agent());
  EXPECT_EQ(ids(""), (std::set<std::string>{to_customer["id"], loose["id"], managers["id"]}));
  EXPECT_EQ(client().Get("/api/v1/emails/" + theirs["id"].get<std::string>()).status, 404);
  EXPECT_EQ(
      client().Get("/api/v1/emails/" + theirs["id"].get<std::string>() + "/engagement").status,
      404);
  EXPECT_EQ(client().Get("/api/v1/emails/" + managers["id"].get<std::string>()).status, 200);
  EXPECT_EQ(ids("?customer_id=" + own_customer["id"].get<std::string>()),
            std::set<std::string>{to_customer["id"]});
  As(other_agent());
  EXPECT_EQ(ids(""), (std::set<std::string>{theirs["id"], managers["id"]}));
  EXPECT_EQ(client().Get("/api/v1/emails/" + to_customer["id"].get<std::string>()).status, 404);
  As(manager());
  EXPECT_EQ(ids("").size(), 4u);
  EXPECT_EQ(ids("?q=THEIRS"), std::set<std::string>{theirs["id"]});
  EXPECT_EQ(ids("?q=about"), std::set<std::string>{managers["id"]});

  // Paging walks every email once.
  std::set<std::string> paged;
  std::string cursor;
  for (int guard = 0; guard < 10; ++guard) {
    HttpResponse page = client().Get("/api/v1/emails?limit=1" +
                                     (cursor.empty() ? "" : "&cursor=" + UrlEncode(cursor)));
    ASSERT_EQ(page.status, 200) << page;
    const json body = page.json();
    for (const auto& e : body["data"]) paged.insert(e["id"].get<std::string>());
    if (body["next_cursor"].is_null()) break;
    cursor = body["next_cursor"];
  }
  EXPECT_EQ(paged.size(), 4u);

  // Erasing a customer erases their emails.
  ASSERT_EQ(client().Delete("/api/v1/customers/" + unowned["id"].get<std::string>()).status, 204);
  EXPECT_EQ(client().Get("/api/v1/emails/" + managers["id"].get<std::string>()).status, 404);
}

TEST_F(EmailApiTest, StatsCountOpensClicksAndRepliesOfSentEmails) {
  const json a =
      Queue({{"to", "a@example.org"}, {"subject", "A"}, {"text", "https://example.org/a"}});
  const json b = Queue({{"to", "b@example.org"}, {"subject", "B"}, {"text", "b"}});
  const json c = Queue({{"to", "c@example.org"}, {"subject", "C"}, {"text", "c"}});
  const json d = Queue({{"to", "d@example.org"}, {"subject", "D"}, {"text", "d"}});
  for (const json& e : {a, b, c, d}) WaitForStatus(e, "sent");
  auto mails = smtp().WaitForMessages(4);
  ASSERT_EQ(mails.size(), 4u);
  for (const ReceivedMail& mail : mails) {
    const std::string id = mail.Header("X-Rapport-Email-Id");
    const std::string html = mail.Part("text/html");
    if (id == a["id"]) {  // opened twice and clicked
      const auto pixel = Matches(html, "https://crm\\.example\\.test/t/o/[A-Za-z0-9_-]{43}\\.gif");
      const auto click = Matches(html, "https://crm\\.example\\.test/t/c/[A-Za-z0-9_-]{43}");
      ASSERT_EQ(pixel.size(), 1u);
      ASSERT_EQ(click.size(), 1u);
      EXPECT_EQ(Anonymous(PathOf(pixel[0])).status, 200);
      EXPECT_EQ(Anonymous(PathOf(pixel[0])).status, 200);
      EXPECT_EQ(Anonymous(PathOf(click[0])).status, 302);
    } else if (id == b["id"]) {  // opened
      const auto pixel = Matches(html, "https://crm\\.example\\.test/t/o/[A-Za-z0-9_-]{43}\\.gif");
      ASSERT_EQ(pixel.size(), 1u);
      EXPECT_EQ(Anonymous(PathOf(pixel[0])).status, 200);
    }
  }
  ASSERT_EQ(
      Inbound(ReplyMessage("In-Reply-To: " + c["message_id"].get<std::string>() + "\r\n", "ok"))
          .status,
      200);
  json stats;
  ASSERT_TRUE(Eventually([&] {
    HttpResponse response = client().Get("/api/v1/emails/stats");
    if (response.status != 200) return false;
    stats = response.json();
    return stats["opened"] == 2 && stats["clicked"] == 1;
  })) << stats.dump(2);
  EXPECT_EQ(stats["sent"], 4);
  EXPECT_EQ(stats["replied"], 1);
  EXPECT_EQ(stats["open_rate"].dump(), "0.5");
  EXPECT_EQ(stats["click_rate"].dump(), "0.25");
  EXPECT_EQ(stats["reply_rate"].dump(), "0.25");
  EXPECT_TRUE(stats["from"].is_null());

  // A period: by sent_at, from inclusive, to exclusive.
  HttpResponse future = client().Get("/api/v1/emails/stats?from=2999-01-01&to=2999-02-01");
  ASSERT_EQ(future.status, 200) << future;
  EXPECT_EQ(future.json()["sent"], 0);
  EXPECT_EQ(future.json()["open_rate"].dump(), "0");
  EXPECT_EQ(future.json()["from"], "2999-01-01T00:00:00Z");
  HttpResponse past =
      client().Get("/api/v1/emails/stats?from=2000-01-01T00:00:00%2B02:00&to=2999-01-01");
  ASSERT_EQ(past.status, 200) << past;
  EXPECT_EQ(past.json()["sent"], 4);
  EXPECT_EQ(past.json()["from"], "1999-12-31T22:00:00Z");

  // An agent's statistics cover only what they can see: nothing here.
  As(agent());
  HttpResponse agent_stats = client().Get("/api/v1/emails/stats");
  ASSERT_EQ(agent_stats.status, 200);
  EXPECT_EQ(agent_stats.json()["sent"], 0);
}

// STARTTLS required by the server, with AUTH.
class EmailStartTlsApiTest : public EmailApiTest {
 protected:
  SmtpFixture::Options SmtpOptions() const override {
    return {.tls = "starttls", .auth = "rapport:s3cret pass"};
  }
};

TEST_F(EmailStartTlsApiTest, SendsOverStartTlsWithAuth) {
  const json email = Queue({{"to", "tls@example.org"}, {"subject", "Secure"}, {"text", "x"}});
  WaitForStatus(email, "sent");
  auto mails = smtp().WaitForMessages(1);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].envelope["tls"], true);
  EXPECT_EQ(mails[0].envelope["login"], "rapport");
}

// Implicit TLS (smtps://).
class EmailImplicitTlsApiTest : public EmailApiTest {
 protected:
  SmtpFixture::Options SmtpOptions() const override { return {.tls = "tls", .auth = ""}; }
};

TEST_F(EmailImplicitTlsApiTest, SendsOverImplicitTls) {
  const json email = Queue({{"to", "tls@example.org"}, {"subject", "Secure"}, {"text", "x"}});
  WaitForStatus(email, "sent");
  auto mails = smtp().WaitForMessages(1);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].envelope["tls"], true);
  EXPECT_EQ(mails[0].envelope["login"], nullptr);
}

// Wrong credentials: a configuration problem, retried, never blamed on the message.
class EmailBadAuthApiTest : public EmailApiTest {
 protected:
  SmtpFixture::Options SmtpOptions() const override {
    return {.tls = "starttls", .auth = "rapport:right"};
  }
  ServerOptions MakeServerOptions() const override {
    ServerOptions options = EmailApiTest::MakeServerOptions();
    options.env["RAPPORT_SMTP_PASSWORD"] = "wrong";
    return options;
  }
};

TEST_F(EmailBadAuthApiTest, WrongCredentialsAreTransient) {
  const json email = Queue({{"to", "x@example.org"}, {"subject", "Auth"}, {"text", "x"}});
  const json waiting = WaitForEmail(email, [](const json& e) { return e["error"].is_string(); });
  EXPECT_NE(waiting["error"].get<std::string>().find("535"), std::string::npos) << waiting.dump(2);
  EXPECT_NE(waiting["status"], "failed");
  EXPECT_EQ(waiting["error"].get<std::string>().find("wrong"), std::string::npos);  // no password
  EXPECT_TRUE(smtp().Messages().empty());
}

// No SMTP configured: development mode, and no inbound secret.
class EmailDevModeApiTest : public StaffApiTest {};

TEST_F(EmailDevModeApiTest, MessagesLandInTheOutbox) {
  HttpResponse queued = client().Post(
      "/api/v1/emails", {{"to", "dev@example.org"}, {"subject", "Dev"}, {"text", "x"}});
  ASSERT_EQ(queued.status, 202) << queued;
  const std::string path = "/api/v1/emails/" + queued.json()["id"].get<std::string>();
  json email;
  ASSERT_TRUE(Eventually([&] {
    email = client().Get(path).json();
    return email["status"] == "sent";
  })) << email.dump(2);
  EXPECT_EQ(email["transport"], "outbox");
  EXPECT_TRUE(email["smtp_response"].is_null());
  HttpResponse list = client().Get("/api/v1/emails?status=sent");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json()["data"].size(), 1u);
  EXPECT_EQ(list.json()["data"][0]["subject"], "Dev");
  EXPECT_EQ(list.json()["data"][0]["text"], "x");

  Client relay(server());
  HttpResponse inbound = relay.Request("POST", "/api/v1/emails/inbound",
                                       RequestBody{"Subject: x\r\n\r\nx", "message/rfc822"},
                                       {{"Authorization", "Bearer anything"}});
  EXPECT_EQ(inbound.status, 503) << inbound;
}

}  // namespace
}  // namespace rapport::testing
