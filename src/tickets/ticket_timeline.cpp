#include "tickets/ticket_timeline.hpp"

namespace rapport::tickets {

std::vector<timeline::Item> TicketTimelineSource::Load(db::Session& session,
                                                       const std::vector<std::string>& ids) const {
  std::vector<timeline::Item> items;
  for (const Ticket& ticket : store_.FindMany(session, ids)) {
    timeline::Item& item = items.emplace_back();
    item.id = ticket.id;
    item.summary = ticket.Summary();
    item.data = ticket.ToJson();
  }
  return items;
}

}  // namespace rapport::tickets
