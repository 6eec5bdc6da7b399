#pragma once

#include "email/email_store.hpp"
#include "timeline/timeline.hpp"

namespace rapport::email {

// A customer's user emails on the timeline: kind "email", occurring when sent (else when
// queued); data as GET /emails/{id} returns it. System messages (portal verification,
// notifications) are not part of a customer's history and stay off it.
class EmailTimelineSource : public timeline::Source {
 public:
  explicit EmailTimelineSource(db::Engine engine) : store_(engine) {}

  std::string_view kind() const override { return "email"; }
  void AppendSelect(db::Query& query, std::string_view customer_id) const override {
    EmailStore::AppendTimelineSelect(query, customer_id);
  }
  std::vector<timeline::Item> Load(db::Session& session,
                                   const std::vector<std::string>& ids) const override {
    return timeline::ItemsOf(store_.FindMany(session, ids));
  }

 private:
  EmailStore store_;
};

}  // namespace rapport::email
