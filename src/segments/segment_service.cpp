#include "segments/segment_service.hpp"

#include "core/ids.hpp"
#include "core/time.hpp"

namespace rapport::segments {

namespace {

core::Status RequireStaff(const core::Principal& who) {
  if (!who.is_user()) return core::Error::Forbidden("only staff users use segments");
  return core::Ok{};
}

}  // namespace

SegmentService::SegmentService(db::Database& database, customers::CustomerService& customers)
    : database_(database), customers_(customers), store_(database.engine()) {}

core::Status SegmentService::RequireManager(const core::Principal& who) {
  if (!who.is_staff_manager()) {
    return core::Error::Forbidden("only admins and managers create, change and delete segments");
  }
  return core::Ok{};
}

core::Result<core::Page> SegmentService::List(const core::Principal& who,
                                              const SegmentFilter& filter,
                                              const core::PageRequest& page) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  return database_.Read([&](db::Session& session) -> core::Result<core::Page> {
    return store_.List(session, filter, page);
  });
}

core::Result<Segment> SegmentService::Create(const core::Principal& who,
                                             const SegmentInput& input) {
  if (auto allowed = RequireManager(who); !allowed) return allowed.error();
  Segment segment;
  segment.id = core::NewId();
  segment.created_at = segment.updated_at = core::FormatTimestamp(core::Now());
  ApplySegmentInput(input, segment);
  return database_.Write([&](db::Session& tx) -> core::Result<Segment> {
    if (auto inserted = store_.Insert(tx, segment); !inserted) return inserted.error();
    return segment;
  });
}

core::Result<Segment> SegmentService::Get(const core::Principal& who, std::string_view id) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  if (!core::IsUuid(id)) return core::Error::NotFound("segment", id);
  auto segment = database_.Read([&](db::Session& session) { return store_.FindById(session, id); });
  if (!segment) return core::Error::NotFound("segment", id);
  return std::move(*segment);
}

core::Result<Segment> SegmentService::Update(const core::Principal& who, std::string_view id,
                                             const SegmentInput& changes,
                                             std::optional<int64_t> expected_version) {
  if (auto found = Get(who, id); !found) return found.error();
  if (auto allowed = RequireManager(who); !allowed) return allowed.error();
  return database_.Write([&](db::Session& tx) -> core::Result<Segment> {
    auto segment = store_.FindById(tx, id);
    if (!segment) return core::Error::NotFound("segment", id);
    if (expected_version && *expected_version != segment->version) {
      return core::Error::PreconditionFailed();
    }
    if (!ApplySegmentInput(changes, *segment)) return std::move(*segment);
    auto written = store_.Update(tx, *segment);
    if (!written) return written.error();
    if (!*written) {
      if (expected_version) return core::Error::PreconditionFailed();
      return core::Error::Conflict("the segment is being changed concurrently; retry");
    }
    return std::move(*segment);
  });
}

core::Status SegmentService::Delete(const core::Principal& who, std::string_view id,
                                    std::optional<int64_t> expected_version) {
  if (auto found = Get(who, id); !found) return found.error();
  if (auto allowed = RequireManager(who); !allowed) return allowed.error();
  return database_.Write([&](db::Session& tx) -> core::Status {
    if (store_.Delete(tx, id, expected_version)) return core::Ok{};
    if (expected_version && store_.FindById(tx, id)) return core::Error::PreconditionFailed();
    return core::Error::NotFound("segment", id);
  });
}

core::Result<Preview> SegmentService::PreviewRules(const core::Principal& who,
                                                   const rules::Rule& rules) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  customers::CustomerFilter filter;
  filter.rules.push_back(rules);
  // The first page of GET /customers?filter=... in its default order, with its total.
  core::PageRequest page;
  page.limit = kPreviewSample;
  page.sort = {{"created_at", true}, {"id", true}};
  page.include_total = true;
  auto listed = customers_.List(who, filter, page);
  if (!listed) return listed.error();
  Preview preview;
  preview.count = listed->total.value_or(0);
  preview.sample = std::move(listed->data);
  return preview;
}

core::Result<Preview> SegmentService::PreviewSegment(const core::Principal& who,
                                                     std::string_view id) {
  auto segment = Get(who, id);
  if (!segment) return segment.error();
  auto rules = rules::ParseRules(segment->rules, "rules");
  if (!rules) return core::Error::Internal();  // stored normalised, so always valid
  return PreviewRules(who, *rules);
}

core::Result<std::string> SegmentService::Members(const core::Principal& who,
                                                  std::string_view id,
                                                  customers::CustomerFilter filter,
                                                  const core::PageRequest& page) {
  auto segment = Get(who, id);
  if (!segment) return segment.error();
  auto rules = rules::ParseRules(segment->rules, "rules");
  if (!rules) return core::Error::Internal();
  filter.rules.push_back(std::move(*rules));
  return customers_.ListJson(who, filter, page);
}

core::Result<rules::Rule> SegmentService::RulesOf(db::Session& session,
                                                  std::string_view segment_id) {
  if (!core::IsUuid(segment_id)) return core::Error::NotFound("segment", segment_id);
  auto segment = store_.FindById(session, segment_id);
  if (!segment) return core::Error::NotFound("segment", segment_id);
  auto rules = rules::ParseRules(segment->rules, "rules");
  if (!rules) return core::Error::Internal();
  return std::move(*rules);
}

core::Result<std::vector<std::string>> SegmentService::MatchingCustomerIds(
    db::Session& session, const core::Principal& who, const rules::Rule& rules,
    std::string_view after_id, int limit) {
  customers::CustomerFilter filter;
  filter.rules.push_back(rules);
  return customers_.MatchingIds(session, who, filter, after_id, limit);
}

core::Status SegmentService::ForEachMatchingCustomerIdBatch(
    const core::Principal& who, const rules::Rule& rules, int batch_size,
    const std::function<core::Status(const std::vector<std::string>&)>& batch) {
  std::string after;
  for (;;) {
    auto ids = database_.Read([&](db::Session& session) {
      return MatchingCustomerIds(session, who, rules, after, batch_size);
    });
    if (!ids) return ids.error();
    if (ids->empty()) return core::Ok{};
    if (auto done = batch(*ids); !done) return done.error();
    if (static_cast<int>(ids->size()) < batch_size) return core::Ok{};
    after = ids->back();
  }
}

}  // namespace rapport::segments
