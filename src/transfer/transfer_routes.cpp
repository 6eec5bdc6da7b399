#include "transfer/transfer_routes.hpp"

#include <memory>

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "core/text.hpp"
#include "http/list_params.hpp"
#include "http/response.hpp"

namespace rapport::transfer {

namespace {

using http::Request;
using http::Response;

// Batches of up to 1,000 customers do not fit the 1 MiB of other JSON bodies.
constexpr std::size_t kMaxBatchBodyBytes = 16 << 20;

// The import format named by the Content-Type; UnsupportedMediaType for anything else,
// including a charset other than UTF-8.
core::Result<Format> FormatOfBody(std::string_view content_type) {
  const std::string lowered = core::ToLowerAscii(content_type);
  std::string_view rest = lowered;
  const std::string media = core::Trim(rest.substr(0, rest.find(';')));
  const auto unsupported = [] {
    return core::Error{core::Code::kUnsupportedMediaType,
                       "Content-Type must be text/csv, application/json or "
                       "application/x-ndjson, in UTF-8",
                       {}};
  };
  for (auto at = rest.find(';'); at != std::string_view::npos; at = rest.find(';')) {
    rest.remove_prefix(at + 1);
    const std::string parameter = core::Trim(rest.substr(0, rest.find(';')));
    if (parameter.starts_with("charset=")) {
      std::string charset = parameter.substr(8);
      if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"') {
        charset = charset.substr(1, charset.size() - 2);
      }
      if (charset != "utf-8" && charset != "utf8") return unsupported();
    }
  }
  if (media == "text/csv") return Format::kCsv;
  if (media == "application/json") return Format::kJson;
  if (media == "application/x-ndjson") return Format::kNdjson;
  return unsupported();
}

class Routes {
 public:
  explicit Routes(TransferService& transfer) : transfer_(transfer) {}

  // POST /api/v1/import/customers
  Response ImportCustomers(const Request& request) const {
    if (auto allowed = transfer_.CheckAllowed(request.principal()); !allowed) {
      return http::Problem(allowed.error(), request);
    }
    ImportOptions options;
    auto mode = ParseImportMode(request.Query("mode"));
    if (!mode) return http::Problem(mode.error(), request);
    options.mode = *mode;
    auto dry_run = http::QueryFlag(request, "dry_run", false);
    if (!dry_run) return http::Problem(dry_run.error(), request);
    options.dry_run = *dry_run;
    auto format = FormatOfBody(request.Header("Content-Type"));
    if (!format) return http::Problem(format.error(), request);
    options.format = *format;

    MemorySource body(request.body());
    auto summary = transfer_.ImportCustomers(request.principal(), options, body);
    if (!summary) return http::Problem(summary.error(), request);
    return http::Json(http::status::kOk, summary->ToJson());
  }

  // GET /api/v1/export/<resource>
  Response Export(const ExportResource& resource, const Request& request) const {
    if (auto allowed = transfer_.CheckAllowed(request.principal()); !allowed) {
      return http::Problem(allowed.error(), request);
    }
    auto format = ParseFormat(request.Query("format"));
    if (!format) return http::Problem(format.error(), request);
    auto bom = http::QueryFlag(request, "bom", false);
    if (!bom) return http::Problem(bom.error(), request);
    auto opened = resource.open(request.principal(),
                                [&request](std::string_view name) { return request.Query(name); });
    if (!opened) return http::Problem(opened.error(), request);

    std::shared_ptr<RowSource> source = std::move(*opened);
    Response response = http::Stream(
        http::status::kOk, std::string(ContentType(*format)),
        [source, columns = resource.columns, format = *format, bom = *bom](http::StreamWriter& out) {
          WriteExport(*source, columns, format,
                      [&out](std::string_view chunk) { return out.Write(chunk); }, bom);
        });
    response.WithHeader("Content-Disposition",
                        fmt::format("attachment; filename=\"{}.{}\"", resource.name,
                                    FormatName(*format)));
    response.WithHeader("Cache-Control", "no-store");
    return response;
  }

  // POST /api/v1/customers/batch
  Response CreateBatch(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) {
      return http::Problem(*error, request);
    }
    auto partial = http::QueryFlag(request, "partial", false);
    if (!partial) return http::Problem(partial.error(), request);
    std::vector<core::FieldError> unknown;
    for (const auto& [key, value] : body.items()) {
      if (key != "customers") unknown.push_back({key, "is not a known field"});
    }
    if (!body.contains("customers")) unknown.push_back({"customers", "is required"});
    if (!unknown.empty()) return http::Problem(core::Error::Invalid(std::move(unknown)), request);

    auto results = transfer_.CreateBatch(request.principal(), body["customers"], *partial);
    if (!results) return http::Problem(results.error(), request);

    std::string text = "{";
    if (!*partial) {
      text += "\"results\":[";
      for (std::size_t i = 0; i < results->size(); ++i) {
        if (i > 0) text += ',';
        (*results)[i].customer->AppendJson(text);
      }
      text += "]}";
      return http::Text(http::status::kCreated, "application/json", std::move(text));
    }
    int64_t created = 0;
    std::string items;
    for (std::size_t i = 0; i < results->size(); ++i) {
      const BatchItemResult& item = (*results)[i];
      if (i > 0) items += ',';
      fmt::format_to(std::back_inserter(items), "{{\"index\":{},\"status\":{}", i, item.status);
      if (item.customer) {
        ++created;
        items += ",\"customer\":";
        item.customer->AppendJson(items);
      } else {
        nlohmann::json errors = nlohmann::json::array();
        for (const auto& e : item.errors) {
          errors.push_back({{"field", e.field.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.field)},
                            {"message", e.message}});
        }
        items += ",\"errors\":";
        items += errors.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
      items += '}';
    }
    fmt::format_to(std::back_inserter(text), "\"created\":{},\"failed\":{},\"results\":[{}]}}",
                   created, static_cast<int64_t>(results->size()) - created, items);
    return http::Text(http::status::kOk, "application/json", std::move(text));
  }

 private:
  TransferService& transfer_;
};

}  // namespace

void RegisterTransferRoutes(http::Router& router, TransferService& transfer,
                            const TransferRouteOptions& options) {
  auto routes = std::make_shared<Routes>(transfer);
  router.Post(
      "/api/v1/import/customers",
      [routes](const Request& request) { return routes->ImportCustomers(request); },
      {.consumes = {"text/csv", "application/json", "application/x-ndjson"},
       .max_body_bytes = options.max_import_bytes});
  for (const ExportResource& resource : transfer.exports()) {
    router.Get("/api/v1/export/" + resource.name,
               [routes, &resource](const Request& request) {
                 return routes->Export(resource, request);
               });
  }
  router.Post(
      "/api/v1/customers/batch",
      [routes](const Request& request) { return routes->CreateBatch(request); },
      {.max_body_bytes = kMaxBatchBodyBytes});
}

}  // namespace rapport::transfer
