#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/page.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "customers/customer_service.hpp"
#include "db/database.hpp"
#include "rules/rule.hpp"
#include "segments/segment.hpp"
#include "segments/segment_store.hpp"

namespace rapport::segments {

// Segments: named rule groups over customers, and previews of any rule group.
//
// Every staff user reads segments and previews them; only admins and managers create,
// change and delete them (Forbidden for agents). Counts, samples and member lists only ever
// include customers the caller may see (an agent: their own and unowned ones), because they
// are answered by CustomerService with the rules as a filter.
//
// Errors: NotFound (missing or malformed id), Invalid naming the field (rules by their path),
// Conflict naming `name` (duplicate, case-insensitive), PreconditionFailed (stale If-Match),
// Forbidden. Thread-safe.
class SegmentService {
 public:
  // `customers` must outlive this service.
  SegmentService(db::Database& database, customers::CustomerService& customers);

  core::Result<core::Page> List(const core::Principal& who, const SegmentFilter& filter,
                                const core::PageRequest& page);
  core::Result<Segment> Create(const core::Principal& who, const SegmentInput& input);
  core::Result<Segment> Get(const core::Principal& who, std::string_view id);
  core::Result<Segment> Update(const core::Principal& who, std::string_view id,
                               const SegmentInput& changes, std::optional<int64_t> expected_version);
  core::Status Delete(const core::Principal& who, std::string_view id,
                      std::optional<int64_t> expected_version);

  // How many customers `who` can see match `rules`, and the newest kPreviewSample of them.
  core::Result<Preview> PreviewRules(const core::Principal& who, const rules::Rule& rules);
  // The same for a saved segment.
  core::Result<Preview> PreviewSegment(const core::Principal& who, std::string_view id);
  // The members of a saved segment as the customers list gives them (its response text):
  // `filter` (the list's own filters) and `page` apply on top of the segment's rules.
  core::Result<std::string> Members(const core::Principal& who, std::string_view id,
                                    customers::CustomerFilter filter,
                                    const core::PageRequest& page);

  // For campaigns and exports, which fix an audience:
  //
  // The checked rules of a saved segment (NotFound when there is none).
  core::Result<rules::Rule> RulesOf(db::Session& session, std::string_view segment_id);
  // Up to `limit` ids of the customers `who` can see that match `rules`, in id order after
  // `after_id` ("" to start): one batch of an audience, on the caller's session (inside its
  // transaction when it has one). The next batch starts after the last id returned; an empty
  // or short batch is the end.
  core::Result<std::vector<std::string>> MatchingCustomerIds(db::Session& session,
                                                             const core::Principal& who,
                                                             const rules::Rule& rules,
                                                             std::string_view after_id, int limit);
  // Calls `batch` with successive batches of at most `batch_size` matching ids (each batch
  // read in its own short read, so no transaction spans the walk); stops at the first error
  // `batch` returns and returns it.
  core::Status ForEachMatchingCustomerIdBatch(
      const core::Principal& who, const rules::Rule& rules, int batch_size,
      const std::function<core::Status(const std::vector<std::string>&)>& batch);

 private:
  static core::Status RequireManager(const core::Principal& who);

  db::Database& database_;
  customers::CustomerService& customers_;
  SegmentStore store_;
};

}  // namespace rapport::segments
