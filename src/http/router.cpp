#include "http/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace rapport::http {

namespace {

template <class Out>
void Split(std::string_view path, std::vector<Out>& out) {
  out.clear();
  std::size_t start = 1;  // paths start with '/'
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
}

// A parameter segment may end in a literal suffix that starts with '.': `:metric.svg`.
// Returns the suffix ("" for a plain `:name`).
std::string_view SuffixOf(std::string_view want) {
  const auto dot = want.find('.');
  return dot == std::string_view::npos ? std::string_view() : want.substr(dot);
}

bool IsParameter(std::string_view want) { return !want.empty() && want.front() == ':'; }

}  // namespace

void Router::Add(Method method, std::string pattern, Handler handler, RouteOptions options) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::logic_error("route patterns start with '/': " + pattern);
  }
  Route route{method, std::move(pattern), std::move(handler), std::move(options), routes_.size(),
              {}};
  Split(route.pattern, route.segments);
  if (route.options.blocking) {
    const std::size_t parameter = route.pattern.find("/:");
    std::string prefix =
        parameter == std::string::npos ? route.pattern : route.pattern.substr(0, parameter + 1);
    if (std::find(blocking_prefixes_.begin(), blocking_prefixes_.end(), prefix) ==
        blocking_prefixes_.end()) {
      blocking_prefixes_.push_back(std::move(prefix));
    }
  }
  if (by_length_.size() <= route.segments.size()) by_length_.resize(route.segments.size() + 1);
  Candidates& candidates = by_length_[route.segments.size()];
  if (route.segments.size() > kResourceSegment && !IsParameter(route.segments[kResourceSegment])) {
    candidates.by_resource[route.segments[kResourceSegment]].push_back(routes_.size());
  } else {
    candidates.any.push_back(routes_.size());
  }
  routes_.push_back(std::move(route));
}

bool Router::Matches(const Route& route, const std::vector<std::string_view>& segments) {
  if (route.segments.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& want = route.segments[i];
    if (IsParameter(want)) {
      const std::string_view suffix = SuffixOf(want);
      if (segments[i].size() <= suffix.size() || !segments[i].ends_with(suffix)) return false;
    } else if (want != segments[i]) {
      return false;
    }
  }
  return true;
}

Router::Match Router::Find(Method method, std::string_view path, Request& request) const {
  thread_local std::vector<std::string_view> segments;
  Split(path, segments);
  Match match;
  // A literal segment beats a parameter (/customers/batch over /customers/:id): prefer the
  // candidate with the most literal segments.
  int best_literals = -1;
  if (segments.size() >= by_length_.size()) return match;
  const Candidates& candidates = by_length_[segments.size()];
  static const std::vector<std::size_t> kNone;
  const std::vector<std::size_t>* keyed = &kNone;
  if (segments.size() > kResourceSegment) {
    auto it = candidates.by_resource.find(segments[kResourceSegment]);
    if (it != candidates.by_resource.end()) keyed = &it->second;
  }
  // Both lists in the order the routes were added, merged, so ties go as they always did.
  auto next_keyed = keyed->begin();
  auto next_any = candidates.any.begin();
  while (next_keyed != keyed->end() || next_any != candidates.any.end()) {
    const bool take_keyed = next_any == candidates.any.end() ||
                            (next_keyed != keyed->end() && *next_keyed < *next_any);
    const Route& route = routes_[take_keyed ? *next_keyed++ : *next_any++];
    if (!Matches(route, segments)) continue;
    if (route.method != method) {
      if (match.allowed.find(MethodName(route.method)) == std::string::npos) {
        if (!match.allowed.empty()) match.allowed += ", ";
        match.allowed += MethodName(route.method);
      }
      continue;
    }
    int literals = 0;
    for (const auto& s : route.segments) literals += !IsParameter(s);
    if (literals > best_literals) {
      best_literals = literals;
      match.route = &route;
    }
  }
  if (match.route) {
    request.path_params_.clear();
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const std::string_view want = match.route->segments[i];
      if (IsParameter(want)) {
        const std::string_view suffix = SuffixOf(want);
        request.path_params_.emplace_back(want.substr(1, want.size() - 1 - suffix.size()),
                                          segments[i].substr(0, segments[i].size() - suffix.size()));
      }
    }
  }
  return match;
}

}  // namespace rapport::http
