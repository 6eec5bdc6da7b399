#include "app/app.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ai/ai_routes.hpp"
#include "ai/ai_service.hpp"
#include "app/idempotency_store.hpp"
#include "app/ops_routes.hpp"
#include "auth/auth_routes.hpp"
#include "auth/auth_service.hpp"
#include "auth/tokens.hpp"
#include "auth/user_service.hpp"
#include "campaigns/campaign_routes.hpp"
#include "campaigns/campaign_service.hpp"
#include "companies/company_routes.hpp"
#include "companies/company_service.hpp"
#include "customers/customer_routes.hpp"
#include "customers/customer_service.hpp"
#include "interactions/interaction_routes.hpp"
#include "interactions/interaction_service.hpp"
#include "interactions/interaction_timeline.hpp"
#include "tickets/ticket_routes.hpp"
#include "tickets/ticket_service.hpp"
#include "tickets/ticket_timeline.hpp"
#include "timeline/timeline_routes.hpp"
#include "timeline/timeline_service.hpp"
#include "email/email_routes.hpp"
#include "email/email_service.hpp"
#include "email/email_timeline.hpp"
#include "orders/order_routes.hpp"
#include "orders/order_service.hpp"
#include "orders/order_timeline.hpp"
#include "segments/segment_routes.hpp"
#include "segments/segment_service.hpp"
#include "reports/report_routes.hpp"
#include "reports/report_service.hpp"
#include "core/time.hpp"
#include "http/server.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/job_routes.hpp"
#include "jobs/job_service.hpp"
#include "jobs/maintenance.hpp"
#include "oidc/oidc_routes.hpp"
#include "oidc/oidc_service.hpp"
#include "notifications/notification_routes.hpp"
#include "notifications/notification_service.hpp"
#include "portal/portal_routes.hpp"
#include "portal/portal_service.hpp"
#include "transfer/transfer_routes.hpp"
#include "transfer/transfer_service.hpp"

namespace rapport::app {

namespace {

// Log lines are collected in memory and reach stdout in chunks of kChunkBytes, written by a
// thread of the sink's own: logging a request costs a copy, never a system call, and a write
// the kernel holds up (a disk busy with writeback) holds up no request. Up to kMaxPending
// chunks wait to be written; past that, loggers wait for the writer rather than drop lines.
// spdlog flushes every second and at warnings; flush() returns once everything logged before
// it is written (tools wait for the lifecycle events).
class ChunkedStdoutSink final : public spdlog::sinks::sink {
 public:
  ChunkedStdoutSink() : writer_([this] { WriteChunks(); }) {}
  ~ChunkedStdoutSink() override {
    flush();
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    writer_.join();
  }

  void log(const spdlog::details::log_msg& msg) override {
    std::unique_lock lock(mutex_);
    lines_.append(msg.payload.data(), msg.payload.size());
    lines_.push_back('\n');
    if (lines_.size() < kChunkBytes) return;
    changed_.wait(lock, [&] { return pending_.size() < kMaxPending; });
    HandOver();
  }
  void flush() override {
    std::unique_lock lock(mutex_);
    HandOver();
    const uint64_t target = handed_over_;
    changed_.wait(lock, [&] { return written_ >= target; });
  }
  // Lines are written as they are given (the access log and events are JSON already).
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

 private:
  static constexpr std::size_t kChunkBytes = 64 << 10;
  static constexpr std::size_t kMaxPending = 16;

  // Queues the lines collected so far for the writer (mutex_ held).
  void HandOver() {
    if (lines_.empty()) return;
    pending_.push_back(std::move(lines_));
    lines_ = std::string();
    lines_.reserve(kChunkBytes + 1024);
    ++handed_over_;
    changed_.notify_all();
  }

  void WriteChunks() {
    std::unique_lock lock(mutex_);
    while (true) {
      changed_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, and nothing is left
      std::string chunk = std::move(pending_.front());
      pending_.pop_front();
      lock.unlock();
      std::fwrite(chunk.data(), 1, chunk.size(), stdout);
      std::fflush(stdout);
      lock.lock();
      ++written_;
      changed_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::string lines_;                // guarded by mutex_
  std::deque<std::string> pending_;  // guarded by mutex_: chunks for the writer, oldest first
  uint64_t handed_over_ = 0;         // guarded by mutex_: chunks queued so far
  uint64_t written_ = 0;             // guarded by mutex_: chunks written so far
  bool stopping_ = false;            // guarded by mutex_
  std::thread writer_;               // last: starts once the members above exist
};

}  // namespace

std::shared_ptr<spdlog::logger> MakeLogger(const std::string& level) {
  if (auto existing = spdlog::get("rapport")) return existing;
  auto logger = std::make_shared<spdlog::logger>("rapport", std::make_shared<ChunkedStdoutSink>());
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  return logger;
}

void LogEvent(spdlog::logger& log, nlohmann::json fields) {
  nlohmann::json line = {{"ts", core::FormatTimestamp(core::Now())}, {"level", "info"}};
  line.update(fields);
  // Lifecycle events are always written, whatever the level: tools wait for them.
  log.log(spdlog::level::critical, line.dump());
  log.flush();
}

db::Options DatabaseOptions(const Config& config) {
  db::Options options;
  options.pool_size = config.db_pool;
  options.sqlite_synchronous_full = config.sqlite_synchronous_full;
  if (config.sqlite_mmap_mb) options.sqlite_mmap_bytes = *config.sqlite_mmap_mb << 20;
  return options;
}

std::unique_ptr<db::Database> OpenDatabase(const Config& config) {
  return OpenDatabase(config, DatabaseOptions(config));
}

std::unique_ptr<db::Database> OpenDatabase(const Config& config, const db::Options& options) {
  return db::Database::Open(config.db, options);
}

std::string ResolveJwtSecret(const Config& config) {
  if (!config.jwt_secret.empty()) return config.jwt_secret;
  auto url = db::ParseUrl(config.db);
  if (!url || url->engine != db::Engine::kSqlite) {
    throw std::runtime_error(
        "RAPPORT_JWT_SECRET is required with PostgreSQL (every node must sign with the same key)");
  }
  if (url->target == ":memory:") return auth::NewOpaqueToken();
  const auto path = std::filesystem::path(url->target).parent_path() / "jwt-secret";
  if (std::ifstream in(path); in) {
    std::string secret;
    std::getline(in, secret);
    if (secret.size() >= 32) return secret;
    throw std::runtime_error(fmt::format("{} holds no usable secret; remove it to regenerate", path.string()));
  }
  const std::string secret = auth::NewOpaqueToken();
  const auto previous = umask(077);
  std::ofstream out(path);
  umask(previous);
  out << secret << "\n";
  if (!out) throw std::runtime_error(fmt::format("cannot write {}", path.string()));
  return secret;
}

namespace {

// The email settings of `config` (LoadConfig has validated them; throws std::runtime_error
// for a Config built otherwise that holds bad ones).
email::MailSettings MailSettingsOf(const Config& config) {
  auto settings = email::ParseMailSettings(config.extra, config.public_url, config.inbound_secret);
  if (!settings) {
    const auto& first = settings.error().errors.front();
    throw std::runtime_error(fmt::format("configuration: {} {}", first.field, first.message));
  }
  return std::move(*settings);
}

// The OIDC providers of `config` (LoadConfig has already refused invalid settings).
oidc::Settings OidcSettings(const Config& config) {
  auto settings = oidc::ParseSettings(config.extra, config.public_url);
  if (!settings) {
    const auto& e = settings.error().errors;
    throw std::runtime_error(e.empty() ? settings.error().detail : e.front().field + " " + e.front().message);
  }
  return *settings;
}

// The AI settings of `config` (LoadConfig has checked them; a Config built in code gets the
// same checks here).
std::optional<ai::AiSettings> AiSettingsOf(const Config& config) {
  auto settings = ai::ParseAiSettings(config.extra);
  if (!settings) throw std::runtime_error("configuration: " + settings.error().detail);
  return *settings;
}

}  // namespace

struct Application::Services {
  Services(const Config& c, db::Database& d, std::shared_ptr<spdlog::logger> l)
      : config(c),
        database(d),
        log(std::move(l)),
        auth(database, ResolveJwtSecret(config)),
        users(database, auth),
        companies(database),
        customers(database, companies),
        interactions(database, customers),
        tickets(database, customers, interactions),
        interaction_timeline(database.engine()),
        ticket_timeline(database.engine()),
        email_timeline(database.engine()),
        order_timeline(database.engine()),
        timeline(database, customers,
                 {&interaction_timeline, &ticket_timeline, &email_timeline, &order_timeline}),
        emails(database, customers, MailSettingsOf(config)),
        orders(database, customers, config.currency),
        segments(database, customers),
        oidc(database, auth, OidcSettings(config), log),
        ai(AiSettingsOf(config), customers, &timeline, log),
        transfer(database, customers, users, interactions, tickets, orders),
        portal(database, auth, customers, emails, config.public_url),
        notifications(database, users, customers, interactions, emails, StreamOptionsOf(config),
                      log),
        campaigns(database, customers, segments, emails, {.rate = config.campaign_rate}),
        reports(database, emails, config.currency),
        idempotency(database),
        jobs(database),
        job_queue(database, QueueOptionsOf(config), log) {}

  static notifications::StreamOptions StreamOptionsOf(const Config& config) {
    notifications::StreamOptions options;
    options.max_streams = config.sse_max_streams;
    options.max_streams_per_user = config.sse_max_streams_per_user;
    options.heartbeat = std::chrono::seconds(config.sse_heartbeat);
    return options;
  }

  static jobs::QueueOptions QueueOptionsOf(const Config& config) {
    jobs::QueueOptions options;
    options.workers = config.job_workers;
    options.poll_interval = std::chrono::milliseconds(config.job_poll_ms);
    options.lease = std::chrono::milliseconds(config.job_lease_ms);
    return options;
  }

  Config config;
  db::Database& database;
  std::shared_ptr<spdlog::logger> log;
  http::Metrics metrics;
  http::Router router;
  auth::AuthService auth;
  auth::UserService users;
  companies::CompanyService companies;
  customers::CustomerService customers;
  interactions::InteractionService interactions;
  tickets::TicketService tickets;
  interactions::InteractionTimelineSource interaction_timeline;
  tickets::TicketTimelineSource ticket_timeline;
  email::EmailTimelineSource email_timeline;
  orders::OrderTimelineSource order_timeline;
  timeline::TimelineService timeline;
  email::EmailService emails;
  orders::OrderService orders;
  segments::SegmentService segments;
  oidc::OidcService oidc;
  ai::AiService ai;
  transfer::TransferService transfer;
  portal::PortalService portal;
  notifications::NotificationService notifications;
  campaigns::CampaignService campaigns;
  reports::ReportService reports;
  DbIdempotencyStore idempotency;
  jobs::JobService jobs;
  // Capabilities register their handlers here before Serve() starts it.
  jobs::JobQueue job_queue;
};

Application::Application(Config config, db::Database& database,
                         std::shared_ptr<spdlog::logger> log)
    : services_(std::make_unique<Services>(config, database, std::move(log))) {
  Services& s = *services_;
  RegisterOpsRoutes(s.router, s.database, s.metrics, s.config.metrics_token);
  auth::RegisterAuthRoutes(s.router, s.auth, s.users);
  companies::RegisterCompanyRoutes(s.router, s.companies);
  customers::RegisterCustomerRoutes(s.router, s.customers);
  email::RegisterEmailRoutes(s.router, s.emails);
  s.emails.RegisterJobs(s.job_queue);
  jobs::RegisterJobRoutes(s.router, s.jobs);
  jobs::RegisterMaintenance(
      s.job_queue, s.database,
      {.interval = std::chrono::seconds(s.config.maintenance_interval),
       .done_retention = std::chrono::hours(24 * s.config.job_retention_days)});
  s.metrics.AddLabelledGauge("rapport_jobs", "Jobs in the queue table by status.", "status",
                             [&jobs = s.jobs] {
                               std::vector<std::pair<std::string, double>> depth;
                               try {
                                 for (const auto& [status, count] : jobs.CountByStatus()) {
                                   depth.emplace_back(jobs::StatusName(status),
                                                      static_cast<double>(count));
                                 }
                               } catch (const std::exception&) {
                                 // An unreachable database shows as no series, not a failed scrape.
                               }
                               return depth;
                             });
  interactions::RegisterInteractionRoutes(s.router, s.interactions);
  tickets::RegisterTicketRoutes(s.router, s.tickets);
  timeline::RegisterTimelineRoutes(s.router, s.timeline);
  orders::RegisterOrderRoutes(s.router, s.orders);
  segments::RegisterSegmentRoutes(s.router, s.segments);
  oidc::RegisterOidcRoutes(s.router, s.oidc);
  ai::RegisterAiRoutes(s.router, s.ai);
  transfer::RegisterTransferRoutes(s.router, s.transfer,
                                   {.max_import_bytes = s.config.max_import_bytes});
  s.auth.AcceptKind(std::string(portal::PortalService::kPrincipalKind),
                    [&portal = s.portal](db::Session& session, std::string_view id) {
                      return portal.Resolve(session, id);
                    });
  s.customers.RegisterJobs(s.job_queue);
  s.portal.RegisterJobs(s.job_queue);
  portal::RegisterPortalRoutes(s.router, s.portal, s.tickets, s.interactions);
  s.notifications.Attach(s.interactions, s.tickets, s.emails);
  s.notifications.RegisterJobs(s.job_queue);
  notifications::RegisterNotificationRoutes(s.router, s.notifications);
  s.metrics.AddGauge("rapport_notification_streams",
                     "Notification streams (Server-Sent Events) open in this process.",
                     [&n = s.notifications] { return static_cast<double>(n.open_streams()); });
  campaigns::RegisterCampaignRoutes(s.router, s.campaigns);
  s.campaigns.RegisterJobs(s.job_queue);
  reports::RegisterReportRoutes(s.router, s.reports);
  s.metrics.AddGauge("rapport_db_pool_connections", "Database connections in the pool.",
                     [size = s.config.db_pool] { return static_cast<double>(size); });
}

Application::~Application() = default;

http::Router& Application::router() { return services_->router; }
http::Metrics& Application::metrics() { return services_->metrics; }

int Application::Serve() {
  Services& s = *services_;
  // Signals are taken by sigwait below, not by whichever thread they would interrupt.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  http::ServerOptions options;
  options.host = s.config.host;
  options.port = s.config.port;
  options.threads = s.config.threads;
  options.write_threads = s.config.write_threads;
  options.trusted_proxies = s.config.trusted_proxies;
  // RESTinio holds a body in memory before any route sees it: read no more than the largest
  // body a route takes (an import), and no less than the 64 MiB that was always read.
  options.max_body_bytes = std::max<std::size_t>(options.max_body_bytes, s.config.max_import_bytes);
  options.ip_rate = s.config.rate_limit;
  options.ip_burst = s.config.rate_limit * 2;
  options.principal_rate = s.config.rate_limit / 2;
  options.principal_burst = s.config.rate_limit;
  if (s.config.rate_limit <= 0) options.strict_rate = 0;
  http::Server server(options, s.router,
                      [&s](std::string_view token) { return s.auth.Authenticate(token); },
                      &s.idempotency, s.metrics, s.log);
  const int port = server.Start();
  s.job_queue.Start();
  s.notifications.Start();
  LogEvent(*s.log, {{"event", "listening"},
                    {"host", s.config.host},
                    {"port", port},
                    {"url", fmt::format("http://{}:{}", s.config.host, port)}});
  int signal = 0;
  sigwait(&signals, &signal);
  LogEvent(*s.log, {{"event", "stopping"}, {"signal", signal}});
  s.notifications.Stop();  // open streams end within a second
  server.Stop();
  s.job_queue.Stop();  // running jobs finish, claimed ones go back to the queue
  return 0;
}

}  // namespace rapport::app
