#pragma once

#include <optional>
#include <string_view>

#include "core/page.hpp"
#include "core/result.hpp"
#include "db/database.hpp"
#include "segments/segment.hpp"

namespace rapport::segments {

// SQL for saved segments. Names are unique case-insensitively: Insert and Update answer
// Conflict naming `name` for a duplicate.
class SegmentStore {
 public:
  explicit SegmentStore(db::Engine engine) : engine_(engine) {}

  std::optional<Segment> FindById(db::Session& session, std::string_view id) const;
  core::Status Insert(db::Session& session, const Segment& segment) const;
  // Writes name, description and rules if the row is still at `segment.version` (bumping it
  // and updated_at); false, changing nothing, otherwise.
  core::Result<bool> Update(db::Session& session, Segment& segment) const;
  bool Delete(db::Session& session, std::string_view id,
              std::optional<int64_t> expected_version) const;
  core::Page List(db::Session& session, const SegmentFilter& filter,
                  const core::PageRequest& page) const;

 private:
  db::Engine engine_;
};

}  // namespace rapport::segments
