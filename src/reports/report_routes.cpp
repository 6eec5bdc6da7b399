#include "reports/report_routes.hpp"

#include <memory>

#include <fmt/format.h>

#include "core/time.hpp"
#include "http/response.hpp"
#include "reports/chart.hpp"

namespace rapport::reports {

namespace {

using http::Request;
using http::Response;

QueryParams ParamsOf(const Request& request) { return QueryParams{request.query()}; }

class Routes {
 public:
  explicit Routes(ReportService& reports) : reports_(reports) {}

  // GET /api/v1/reports/overview
  Response Overview(const Request& request) const {
    auto period = ParsePeriod(ParamsOf(request));
    if (!period) return http::Problem(period.error(), request);
    auto report = reports_.Overview(request.principal(), *period);
    if (!report) return http::Problem(report.error(), request);
    return http::Json(http::status::kOk, *report);
  }

  // GET /api/v1/reports/timeseries
  Response Timeseries(const Request& request) const {
    const QueryParams params = ParamsOf(request);
    auto name = params.Get("metric");
    if (!name || name->empty()) {
      return http::Problem(core::Error::BadRequest("metric", MetricHint()), request);
    }
    auto metric = ParseMetric(*name);
    if (!metric) return http::Problem(core::Error::BadRequest("metric", MetricHint()), request);
    auto series = SeriesOf(request, params, *metric, {"metric"});
    if (!series) return http::Problem(series.error(), request);
    return http::Json(http::status::kOk, series->ToJson());
  }

  // GET /api/v1/reports/charts/:metric.svg
  Response Chart(const Request& request) const {
    auto metric = ParseMetric(request.PathParam("metric"));
    if (!metric) {
      return http::Problem(
          core::Error::NotFound(fmt::format("no chart named {}.svg; charts: {}.svg",
                                            request.PathParam("metric"),
                                            fmt::join(kMetricNames, ".svg, "))),
          request);
    }
    auto series = SeriesOf(request, ParamsOf(request), *metric, {});
    if (!series) return http::Problem(series.error(), request);
    Response response =
        http::Text(http::status::kOk, "image/svg+xml; charset=utf-8", RenderChart(*series));
    // Charts are embedded in pages; they change with the data, so keep them private and short.
    response.WithHeader("Cache-Control", "private, max-age=60");
    response.WithHeader("X-Content-Type-Options", "nosniff");
    return response;
  }

  // GET /api/v1/reports/funnel
  Response Funnel(const Request& request) const {
    auto period = ParsePeriod(ParamsOf(request));
    if (!period) return http::Problem(period.error(), request);
    auto report = reports_.Funnel(request.principal(), *period);
    if (!report) return http::Problem(report.error(), request);
    return http::Json(http::status::kOk, *report);
  }

  // GET /api/v1/reports/agents
  Response Agents(const Request& request) const {
    auto period = ParsePeriod(ParamsOf(request));
    if (!period) return http::Problem(period.error(), request);
    auto report = reports_.Agents(request.principal(), *period);
    if (!report) return http::Problem(report.error(), request);
    return http::Json(http::status::kOk, *report);
  }

 private:
  static std::string MetricHint() {
    return fmt::format("must be one of: {}", fmt::join(kMetricNames, ", "));
  }

  core::Result<Series> SeriesOf(const Request& request, const QueryParams& params, Metric metric,
                                std::initializer_list<std::string_view> allowed) const {
    auto parsed = ParseSeriesRequest(params, metric, core::Now(), allowed);
    if (!parsed) return parsed.error();
    return reports_.Timeseries(request.principal(), *parsed);
  }

  ReportService& reports_;
};

}  // namespace

void RegisterReportRoutes(http::Router& router, ReportService& reports) {
  auto routes = std::make_shared<Routes>(reports);
  auto bind = [routes](Response (Routes::*method)(const Request&) const) {
    return [routes, method](const Request& request) { return ((*routes).*method)(request); };
  };
  router.Get("/api/v1/reports/overview", bind(&Routes::Overview));
  router.Get("/api/v1/reports/timeseries", bind(&Routes::Timeseries));
  router.Get("/api/v1/reports/funnel", bind(&Routes::Funnel));
  router.Get("/api/v1/reports/agents", bind(&Routes::Agents));
  router.Get("/api/v1/reports/charts/:metric.svg", bind(&Routes::Chart));
}

}  // namespace rapport::reports
