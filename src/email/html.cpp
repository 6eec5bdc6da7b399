#include "email/html.hpp"

#include <strings.h>

#include <cctype>
#include <utility>

#include <fmt/format.h>

namespace rapport::email {

namespace {

void AppendUtf8(std::string& out, unsigned long cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

bool IsHtmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

bool StartsWithNoCase(std::string_view text, std::size_t at, std::string_view prefix) {
  return text.size() >= at + prefix.size() &&
         strncasecmp(text.data() + at, prefix.data(), prefix.size()) == 0;
}

std::size_t FindNoCase(std::string_view text, std::string_view needle, std::size_t from) {
  for (std::size_t i = from; i + needle.size() <= text.size(); ++i) {
    if (StartsWithNoCase(text, i, needle)) return i;
  }
  return std::string_view::npos;
}

std::string TagNameAt(std::string_view html, std::size_t lt) {
  std::string name;
  for (std::size_t i = lt + 1; i < html.size(); ++i) {
    const char c = html[i];
    if (IsHtmlSpace(c) || c == '>' || (c == '/' && !name.empty())) break;
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return name;
}

std::size_t TagEndAt(std::string_view html, std::size_t lt) {
  char quote = '\0';
  for (std::size_t i = lt + 1; i < html.size(); ++i) {
    const char c = html[i];
    if (quote != '\0') {
      if (c == quote) quote = '\0';
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

std::string DecodeHtmlEntities(std::string_view value) {
  static constexpr std::pair<std::string_view, std::string_view> kNamed[] = {
      {"amp;", "&"},   {"lt;", "<"},   {"gt;", ">"},
      {"quot;", "\""}, {"apos;", "'"}, {"nbsp;", "\xC2\xA0"}};
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '&') {
      out += value[i];
      continue;
    }
    bool decoded = false;
    for (const auto& [name, c] : kNamed) {
      if (StartsWithNoCase(value, i + 1, name)) {
        out += c;
        i += name.size();
        decoded = true;
        break;
      }
    }
    if (!decoded && i + 1 < value.size() && value[i + 1] == '#') {
      const bool hex = i + 2 < value.size() && (value[i + 2] == 'x' || value[i + 2] == 'X');
      std::size_t j = i + (hex ? 3 : 2);
      const std::size_t digits_start = j;
      unsigned long cp = 0;
      while (j < value.size() && j - digits_start < 8 &&
             (hex ? std::isxdigit(static_cast<unsigned char>(value[j]))
                  : std::isdigit(static_cast<unsigned char>(value[j])))) {
        const int d = std::tolower(static_cast<unsigned char>(value[j]));
        cp = cp * (hex ? 16 : 10) + static_cast<unsigned long>(d <= '9' ? d - '0' : d - 'a' + 10);
        ++j;
      }
      if (j > digits_start && j < value.size() && value[j] == ';') {
        AppendUtf8(out, cp);
        i = j;
        decoded = true;
      }
    }
    if (!decoded) out += '&';
  }
  return out;
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string TextToHtml(std::string_view text) {
  std::string body;
  std::size_t i = 0;
  while (i < text.size()) {
    if (StartsWithNoCase(text, i, "http://") || StartsWithNoCase(text, i, "https://")) {
      std::size_t end = i;
      while (end < text.size() && !IsHtmlSpace(text[end]) && text[end] != '<' && text[end] != '>' &&
             text[end] != '"') {
        ++end;
      }
      // Sentence punctuation after a URL is not part of it.
      while (end > i &&
             std::string_view(".,;:!?)]'").find(text[end - 1]) != std::string_view::npos) {
        --end;
      }
      const std::string url = EscapeHtml(text.substr(i, end - i));
      body += fmt::format("<a href=\"{}\">{}</a>", url, url);
      i = end;
      continue;
    }
    if (text[i] == '\r' || text[i] == '\n') {
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      body += "<br>\n";
      ++i;
      continue;
    }
    const std::size_t next = text.find_first_of("\r\nhH", i + 1);
    const std::size_t stop = next == std::string_view::npos ? text.size() : next;
    body += EscapeHtml(text.substr(i, stop - i));
    i = stop;
  }
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n" + body +
         "\n</body></html>\n";
}

std::string HtmlToText(std::string_view html) {
  static constexpr std::string_view kSkipped[] = {"head", "script", "style", "title"};
  static constexpr std::string_view kBreaks[] = {
      "br",     "p",  "/p",  "div", "/div", "/tr", "li",  "/li", "/ul",        "/ol",
      "/table", "hr", "/h1", "/h2", "/h3",  "/h4", "/h5", "/h6", "/blockquote"};
  std::string raw;
  int quoted = 0;  // depth of <blockquote>
  std::size_t pos = 0;
  while (pos < html.size()) {
    const std::size_t lt = html.find('<', pos);
    const std::size_t stop = lt == std::string_view::npos ? html.size() : lt;
    if (quoted == 0) {
      // Whitespace in HTML text collapses to one space.
      for (const char c : DecodeHtmlEntities(html.substr(pos, stop - pos))) {
        if (IsHtmlSpace(c)) {
          if (!raw.empty() && raw.back() != ' ' && raw.back() != '\n') raw += ' ';
        } else {
          raw += c;
        }
      }
    }
    if (lt == std::string_view::npos) break;
    if (html.compare(lt, 4, "<!--") == 0) {
      const std::size_t close = html.find("-->", lt + 4);
      pos = close == std::string_view::npos ? html.size() : close + 3;
      continue;
    }
    const std::size_t end = TagEndAt(html, lt);
    if (end == std::string_view::npos) break;
    const std::string name = TagNameAt(html, lt);
    pos = end;
    bool skipped = false;
    for (std::string_view s : kSkipped) skipped = skipped || name == s;
    if (skipped) {
      const std::size_t close = FindNoCase(html, "</" + name, end);
      const std::size_t close_end =
          close == std::string_view::npos ? std::string_view::npos : TagEndAt(html, close);
      pos = close_end == std::string_view::npos ? html.size() : close_end;
      continue;
    }
    if (name == "blockquote") ++quoted;
    if (name == "/blockquote" && quoted > 0) --quoted;
    if (quoted > 0) continue;
    for (std::string_view b : kBreaks) {
      if (name == b) {
        while (!raw.empty() && raw.back() == ' ') raw.pop_back();
        raw += '\n';
        break;
      }
    }
  }
  // Trim each line; keep at most one blank line in a row.
  std::string text;
  std::size_t start = 0;
  int blank = 0;
  while (start <= raw.size()) {
    std::size_t nl = raw.find('\n', start);
    if (nl == std::string::npos) nl = raw.size();
    std::string_view line(raw.data() + start, nl - start);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
    if (line.empty()) {
      ++blank;
    } else {
      if (!text.empty()) text += blank > 0 ? "\n\n" : "\n";
      text.append(line);
      blank = 0;
    }
    start = nl + 1;
  }
  return text;
}

}  // namespace rapport::email
