#pragma once

#include "tickets/ticket_store.hpp"
#include "timeline/timeline.hpp"

namespace rapport::tickets {

// Tickets on the customer timeline: kind "ticket", occurring at created_at; data as
// GET /tickets/{id} returns it.
class TicketTimelineSource : public timeline::Source {
 public:
  explicit TicketTimelineSource(db::Engine engine) : store_(engine) {}

  std::string_view kind() const override { return "ticket"; }
  void AppendSelect(db::Query& query, std::string_view customer_id) const override {
    TicketStore::AppendTimelineSelect(query, customer_id);
  }
  std::vector<timeline::Item> Load(db::Session& session,
                                   const std::vector<std::string>& ids) const override {
    return timeline::ItemsOf(store_.FindMany(session, ids));
  }

 private:
  TicketStore store_;
};

}  // namespace rapport::tickets
