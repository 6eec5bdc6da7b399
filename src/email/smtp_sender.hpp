#pragma once

#include <cstdint>
#include <string>

#include "email/mail_settings.hpp"
#include "email/message.hpp"

namespace rapport::email {

// How one delivery attempt ended.
struct SendResult {
  enum class Kind {
    kSent,       // the server accepted the message (2xx after DATA)
    kTransient,  // worth retrying: a 4xx reply, a connection that failed or dropped, a
                 // timeout, a TLS or AUTH problem (configuration, not the message)
    kPermanent,  // the server refused the message for good: a 5xx reply to MAIL, RCPT or DATA
  };
  Kind kind = Kind::kTransient;
  int code = 0;       // the SMTP reply code, 0 when the server said nothing
  std::string reply;  // the server's last reply (e.g. "554 5.7.1 refused"), or what failed;
                      // one line, at most 500 bytes, no credentials
};

// Sends messages over SMTP with libcurl: plain, STARTTLS (required, never falling back to
// clear text) or implicit TLS; AUTH with the configured user; certificate and host name
// verified (against RAPPORT_SMTP_CA_FILE when set). The message is built with libcurl's MIME
// API as multipart/alternative: a text/plain and a text/html part, both UTF-8 in
// quoted-printable, under the headers of HeaderLines().
//
// Thread-safe. Each thread keeps its own connection and reuses it for its next message;
// a connection that saw a failure is closed.
class SmtpSender {
 public:
  explicit SmtpSender(MailSettings settings);

  // Delivers `message` to `message.to` (envelope sender: `message.from`). Never throws for
  // network or server failures; the result says what happened.
  SendResult Send(const OutgoingMessage& message) const;

 private:
  MailSettings settings_;
  uint64_t id_;  // tells this sender's cached connections from another sender's
};

}  // namespace rapport::email
