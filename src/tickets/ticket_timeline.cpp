#include "tickets/ticket_timeline.hpp"

namespace rapport::tickets {

std::vector<timeline::Item> TicketTimelineSource::Load(db::Session& session,
                                                       const std::vector<std::string>& ids) const {
  std::vector<timeline::Item> items;
  for (const Ticket& ticket : store_.FindMany(session, ids)) {
    items.push_back({.id = ticket.id, .summary = ticket.Summary(), .data = ticket.ToJson()});
  }
  return items;
}

}  // namespace rapport::tickets
