#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// Small HTML helpers for mail bodies: enough to escape text, find tags and their attributes,
// and turn text into HTML and back. Not a general HTML parser.
namespace rapport::email {

bool IsHtmlSpace(char c);
// Whether `text` has `prefix` at `at`, ignoring ASCII case.
bool StartsWithNoCase(std::string_view text, std::size_t at, std::string_view prefix);
// The first `needle` at or after `from`, ignoring ASCII case; npos when none.
std::size_t FindNoCase(std::string_view text, std::string_view needle, std::size_t from);

// The lower-case name of the tag that starts at html[lt] ('<'): "a", "/body", "br".
std::string TagNameAt(std::string_view html, std::size_t lt);
// The index just past the '>' that closes the tag at html[lt], honouring quoted attribute
// values; npos when the tag never closes.
std::size_t TagEndAt(std::string_view html, std::size_t lt);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string EscapeHtml(std::string_view text);

// Decodes &amp; &lt; &gt; &quot; &apos; &nbsp; and numeric character references; anything
// else stays as written.
std::string DecodeHtmlEntities(std::string_view text);

// A plain-text body as an HTML document: characters escaped, line breaks kept, and http(s)
// URLs made into links (so they can be tracked).
std::string TextToHtml(std::string_view text);

// The text of an HTML document: tags dropped, <br> and the ends of blocks as line breaks,
// character references decoded; <head>, <script>, <style> and <blockquote> (the quoted
// original of a reply) left out.
std::string HtmlToText(std::string_view html);

}  // namespace rapport::email
