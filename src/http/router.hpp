#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/string_map.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace rapport::http {

using Handler = std::function<Response(const Request&)>;

// Who may call a route. The server authenticates before the handler runs.
enum class Access {
  kPublic,  // anyone; a token is not required (and not read)
  kStaff,   // a staff user's access token
  kPortal,  // a customer-portal access token
};

struct RouteOptions {
  Access access = Access::kStaff;
  // Content types a request body may have (when it has one).
  std::vector<std::string> consumes = {"application/json"};
  std::size_t max_body_bytes = 1 << 20;
  // Counted against the stricter bucket (login, signup, token refresh).
  bool strict_rate_limit = false;
  // For routes whose path carries a secret and whose callers are not ours to log (email
  // tracking): the access log shows the route pattern instead of the path, and no client
  // address.
  bool redact_log = false;
  // The handler waits on something slow (another service over the network, a commit): a GET
  // to it runs on the write pool, like writes do, never on a network thread.
  bool blocking = false;
};

struct Route {
  Method method;
  std::string pattern;  // e.g. /api/v1/customers/:id
  Handler handler;
  RouteOptions options;
  std::size_t index = 0;  // position in Router::routes()
  std::vector<std::string> segments;
};

// Maps method + path to a route. Patterns are '/'-separated; a segment `:name` matches any
// one non-empty segment and is available as Request::PathParam(name). A parameter may end in
// a literal suffix starting with '.': `:token.gif` matches `abc.gif` (not `.gif`) and gives
// `token` = `abc`.
class Router {
 public:
  void Add(Method method, std::string pattern, Handler handler, RouteOptions options = {});
  void Get(std::string pattern, Handler handler, RouteOptions options = {}) {
    Add(Method::kGet, std::move(pattern), std::move(handler), std::move(options));
  }
  void Post(std::string pattern, Handler handler, RouteOptions options = {}) {
    Add(Method::kPost, std::move(pattern), std::move(handler), std::move(options));
  }
  void Patch(std::string pattern, Handler handler, RouteOptions options = {}) {
    Add(Method::kPatch, std::move(pattern), std::move(handler), std::move(options));
  }
  void Put(std::string pattern, Handler handler, RouteOptions options = {}) {
    Add(Method::kPut, std::move(pattern), std::move(handler), std::move(options));
  }
  void Delete(std::string pattern, Handler handler, RouteOptions options = {}) {
    Add(Method::kDelete, std::move(pattern), std::move(handler), std::move(options));
  }

  struct Match {
    const Route* route = nullptr;  // null: no route for this method
    std::string allowed;           // with no route: methods allowed for the path ("" → 404)
  };
  // Finds the route; fills the path parameters of `request` on a match.
  Match Find(Method method, std::string_view path, Request& request) const;

  const std::vector<Route>& routes() const { return routes_; }

  // Whether `path` may belong to a blocking route: it starts with the literal part (up to the
  // first `:name` segment) of one. Cheap: no route is matched.
  bool MayBlock(std::string_view path) const {
    for (const std::string& prefix : blocking_prefixes_) {
      if (path.starts_with(prefix)) return true;
    }
    return false;
  }

 private:
  static bool Matches(const Route& route, const std::vector<std::string_view>& segments);
  std::vector<Route> routes_;
  // Indices into routes_, in the order added, by number of segments and then by the third
  // segment (the resource of /api/v1/<resource>/...) when it is a literal; `any` holds the
  // routes with fewer segments or a parameter there. A path is compared only with the routes
  // that have as many segments and its third segment, or any there.
  struct Candidates {
    std::vector<std::size_t> any;
    core::StringMap<std::vector<std::size_t>> by_resource;
  };
  static constexpr std::size_t kResourceSegment = 2;
  std::vector<Candidates> by_length_;
  std::vector<std::string> blocking_prefixes_;
};

}  // namespace rapport::http
