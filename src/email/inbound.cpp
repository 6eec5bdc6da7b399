#include "email/inbound.hpp"

#include <gmime/gmime.h>

#include <memory>
#include <mutex>

#include "core/text.hpp"
#include "email/html.hpp"

namespace rapport::email {

namespace {

void EnsureGMime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

template <class T>
struct GObjectUnref {
  void operator()(T* object) const {
    if (object != nullptr) g_object_unref(object);
  }
};
template <class T>
using GPtr = std::unique_ptr<T, GObjectUnref<T>>;

struct ReferencesFree {
  void operator()(GMimeReferences* refs) const { g_mime_references_free(refs); }
};

std::string Clean(const char* text) { return text == nullptr ? std::string() : SanitizeUtf8(text); }

// The message ids of a References or In-Reply-To header, in order.
std::vector<std::string> MessageIds(GMimeObject* message, const char* header) {
  std::vector<std::string> ids;
  const char* value = g_mime_object_get_header(message, header);
  if (value == nullptr) return ids;
  std::unique_ptr<GMimeReferences, ReferencesFree> refs(g_mime_references_parse(nullptr, value));
  if (!refs) return ids;
  const int count = g_mime_references_length(refs.get());
  for (int i = 0; i < count; ++i) {
    std::string id = Clean(g_mime_references_get_message_id(refs.get(), i));
    if (!id.empty()) ids.push_back(std::move(id));
  }
  return ids;
}

// Appends the addresses of `list` (group members included) to `out`.
void AppendAddresses(InternetAddressList* list, std::vector<std::string>& out, int depth = 0) {
  if (list == nullptr || depth > 4) return;
  const int count = internet_address_list_length(list);
  for (int i = 0; i < count; ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
      std::string addr =
          Clean(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address)));
      if (!addr.empty()) out.push_back(std::move(addr));
    } else if (INTERNET_ADDRESS_IS_GROUP(address)) {
      AppendAddresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), out,
                      depth + 1);
    }
  }
}

void AppendHeaderAddresses(GMimeObject* message, const char* header,
                           std::vector<std::string>& out) {
  const char* value = g_mime_object_get_header(message, header);
  if (value == nullptr) return;
  GPtr<InternetAddressList> list(internet_address_list_parse(nullptr, value));
  AppendAddresses(list.get(), out);
}

struct Bodies {
  std::optional<std::string> plain;
  std::optional<std::string> html;
};

void CollectBody(GMimeObject* parent, GMimeObject* part, gpointer data) {
  auto& bodies = *static_cast<Bodies*>(data);
  if (!GMIME_IS_TEXT_PART(part) || g_mime_part_is_attachment(GMIME_PART(part))) return;
  GMimeContentType* type = g_mime_object_get_content_type(part);
  const bool plain = g_mime_content_type_is_type(type, "text", "plain");
  const bool html = g_mime_content_type_is_type(type, "text", "html");
  if ((plain && bodies.plain) || (html && bodies.html) || (!plain && !html)) return;
  char* text = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
  std::string value = Clean(text);
  g_free(text);
  (plain ? bodies.plain : bodies.html) = std::move(value);
}

bool IsQuoted(std::string_view line) { return !line.empty() && line.front() == '>'; }

}  // namespace

core::Result<InboundMessage> ParseInbound(std::string_view raw) {
  if (core::Trim(raw).empty()) return core::Error::Malformed("the message is empty");
  EnsureGMime();
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!message) return core::Error::Malformed("the body is not an RFC 5322 message");
  GMimeObject* object = GMIME_OBJECT(message.get());

  InboundMessage in;
  if (const char* id = g_mime_message_get_message_id(message.get()); id != nullptr && *id) {
    in.message_id = Clean(id);
  }
  in.in_reply_to = MessageIds(object, "In-Reply-To");
  in.references = MessageIds(object, "References");
  if (InternetAddressList* from = g_mime_message_get_from(message.get());
      from != nullptr && internet_address_list_length(from) > 0) {
    InternetAddress* first = internet_address_list_get_address(from, 0);
    in.from.name = Clean(internet_address_get_name(first));
    if (INTERNET_ADDRESS_IS_MAILBOX(first)) {
      in.from.address = Clean(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(first)));
    }
  }
  AppendAddresses(g_mime_message_get_to(message.get()), in.recipients);
  AppendAddresses(g_mime_message_get_cc(message.get()), in.recipients);
  AppendHeaderAddresses(object, "Delivered-To", in.recipients);
  AppendHeaderAddresses(object, "X-Original-To", in.recipients);
  in.subject = Clean(g_mime_message_get_subject(message.get()));

  Bodies bodies;
  g_mime_message_foreach(message.get(), CollectBody, &bodies);
  if (bodies.plain) {
    in.text = StripQuotedReply(*bodies.plain);
  } else if (bodies.html) {
    in.text = StripQuotedReply(HtmlToText(*bodies.html));
  }
  return in;
}

std::string PlusTag(std::string_view address) {
  const auto at = address.rfind('@');
  if (at == std::string_view::npos) return {};
  const std::string_view local = address.substr(0, at);
  const auto plus = local.rfind('+');
  if (plus == std::string_view::npos) return {};
  return std::string(local.substr(plus + 1));
}

std::string StripQuotedReply(std::string_view text) {
  std::vector<std::string_view> lines;
  std::string normalized;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      normalized += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      normalized += text[i];
    }
  }
  std::size_t start = 0;
  while (start <= normalized.size()) {
    std::size_t nl = normalized.find('\n', start);
    if (nl == std::string::npos) nl = normalized.size();
    lines.emplace_back(normalized.data() + start, nl - start);
    start = nl + 1;
  }
  std::size_t keep = lines.size();
  // Everything from an Outlook-style separator on is the original.
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string line = core::Trim(lines[i]);
    if (line.starts_with("-----Original Message-----") ||
        line.starts_with("-----Ursprüngliche Nachricht-----")) {
      keep = i;
      break;
    }
  }
  // The trailing run of quoted and blank lines, if it quotes anything.
  std::size_t cut = keep;
  bool any_quoted = false;
  while (cut > 0 && (IsQuoted(core::Trim(lines[cut - 1])) || core::Trim(lines[cut - 1]).empty())) {
    any_quoted = any_quoted || IsQuoted(core::Trim(lines[cut - 1]));
    --cut;
  }
  if (any_quoted) {
    keep = cut;
    // The attribution line ("On Tue, 3 Mar 2026, Ada <ada@x> wrote:"), which clients may wrap
    // over two lines.
    if (keep > 0 && core::Trim(lines[keep - 1]).ends_with("wrote:")) {
      --keep;
      if (keep > 0 && core::Trim(lines[keep - 1]).starts_with("On ") &&
          !core::Trim(lines[keep]).starts_with("On ")) {
        --keep;
      }
    }
  }
  std::string result;
  for (std::size_t i = 0; i < keep; ++i) {
    if (i > 0) result += '\n';
    result.append(lines[i]);
  }
  result = core::Trim(result);
  if (result.empty()) return core::Trim(normalized);
  return result;
}

}  // namespace rapport::email
