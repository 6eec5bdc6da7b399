#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/page.hpp"
#include "core/result.hpp"
#include "interactions/interaction_service.hpp"
#include "orders/order_service.hpp"
#include "tickets/ticket_service.hpp"
#include "transfer/export.hpp"

namespace rapport::transfer {

// The exports of the activity and sales records: GET /export/interactions, /export/tickets
// and /export/orders. Each reads through its capability's service (List, with that
// service's visibility rules and list filters) a keyset page at a time, and writes every
// field of the API representation as a column: ids as stored, timestamps in RFC 3339 UTC,
// order amounts in major units. `sort` takes the list's own sort fields; without it records
// come oldest first by id.
ExportResource InteractionExport(interactions::InteractionService& interactions);
ExportResource TicketExport(tickets::TicketService& tickets);
ExportResource OrderExport(orders::OrderService& orders);

// The order an export reads in: `sort` (one of `allowed`, id added as the tie-break in the
// same direction), or ids ascending when absent or empty. BadRequest names `sort`.
core::Result<std::vector<core::SortKey>> ExportSort(std::optional<std::string_view> text,
                                                    const std::vector<std::string_view>& allowed);

}  // namespace rapport::transfer
