#include "transfer/record_exports.hpp"

#include <memory>
#include <string>
#include <utility>

#include "core/money.hpp"

namespace rapport::transfer {

namespace {

void SetNumber(Cell& cell, const std::optional<int64_t>& value) {
  if (value) cell.Set(std::to_string(*value));
}

// One resource read through `list(who, filter, page)` of a service: the filters parsed by
// `parse`, the records converted by `convert`.
template <class Item, class Filter, class Parse, class List, class Convert>
ExportResource ListedExport(std::string name, std::vector<Column> columns,
                            const std::vector<std::string_view>& sort_fields, Parse parse,
                            List list, Convert convert) {
  ExportResource resource;
  resource.name = std::move(name);
  resource.columns = std::move(columns);
  resource.open = [&sort_fields, parse, list, convert](
                      const core::Principal& who, const ExportResource::ParamLookup& params)
      -> core::Result<std::unique_ptr<RowSource>> {
    core::Result<Filter> filter = parse(params);
    if (!filter) return filter.error();
    auto sort = ExportSort(params("sort"), sort_fields);
    if (!sort) return sort.error();
    core::PageRequest page;
    page.limit = kExportPageSize;
    page.sort = std::move(*sort);
    // The service's List narrows every page to the records `who` may see.
    using Source = PagedSource<Item>;
    typename Source::Fetch fetch = [list, who, filter = std::move(*filter)](
                                       const core::PageRequest& request)
        -> core::Result<typename Source::Page> {
      auto result = list(who, filter, request);
      if (!result) return result.error();
      return typename Source::Page{std::move(result->data), std::move(result->next_cursor)};
    };
    typename Source::Convert each = convert;
    return std::unique_ptr<RowSource>(
        std::make_unique<Source>(std::move(page), std::move(fetch), std::move(each)));
  };
  return resource;
}

}  // namespace

core::Result<std::vector<core::SortKey>> ExportSort(std::optional<std::string_view> text,
                                                    const std::vector<std::string_view>& allowed) {
  if (!text || text->empty()) return std::vector<core::SortKey>{{"id", false}};
  auto sort = core::ParseSort(text, allowed, "created_at");
  if (!sort) return sort.error();
  const bool descending = sort->back().descending;
  sort->push_back({"id", descending});
  return sort;
}

ExportResource InteractionExport(interactions::InteractionService& interactions) {
  using interactions::Interaction;
  using interactions::InteractionFilter;
  return ListedExport<Interaction, InteractionFilter>(
      "interactions",
      {{"id", ColumnType::kText},
       {"customer_id", ColumnType::kText},
       {"user_id", ColumnType::kText},
       {"type", ColumnType::kText},
       {"title", ColumnType::kText},
       {"details", ColumnType::kText},
       {"status", ColumnType::kText},
       {"scheduled_at", ColumnType::kText},
       {"duration_minutes", ColumnType::kNumber},
       {"remind_before_minutes", ColumnType::kNumber},
       {"completed_at", ColumnType::kText},
       {"created_at", ColumnType::kText},
       {"updated_at", ColumnType::kText}},
      interactions::kInteractionSortFields,
      [](const core::ParamLookup& params) { return interactions::ParseInteractionFilter(params); },
      [&interactions](const core::Principal& who, const InteractionFilter& filter,
                      const core::PageRequest& page) {
        return interactions.List(who, filter, page);
      },
      [](Interaction& i, ExportRow& row) {
        row[0].Set(std::move(i.id));
        row[1].Set(std::move(i.customer_id));
        row[2].Set(std::move(i.user_id));
        row[3].Set(std::move(i.type));
        row[4].Set(std::move(i.title));
        row[5].Set(std::move(i.details));
        row[6].Set(std::move(i.status));
        row[7].Set(std::move(i.scheduled_at));
        SetNumber(row[8], i.duration_minutes);
        SetNumber(row[9], i.remind_before_minutes);
        row[10].Set(std::move(i.completed_at));
        row[11].Set(std::move(i.created_at));
        row[12].Set(std::move(i.updated_at));
      });
}

ExportResource TicketExport(tickets::TicketService& tickets) {
  using tickets::Ticket;
  using tickets::TicketFilter;
  return ListedExport<Ticket, TicketFilter>(
      "tickets",
      {{"id", ColumnType::kText},
       {"customer_id", ColumnType::kText},
       {"interaction_id", ColumnType::kText},
       {"title", ColumnType::kText},
       {"description", ColumnType::kText},
       {"status", ColumnType::kText},
       {"priority", ColumnType::kText},
       {"assignee_id", ColumnType::kText},
       {"created_by_kind", ColumnType::kText},
       {"created_by_id", ColumnType::kText},
       {"resolution", ColumnType::kText},
       {"resolved_at", ColumnType::kText},
       {"created_at", ColumnType::kText},
       {"updated_at", ColumnType::kText}},
      tickets::kTicketSortFields,
      [](const core::ParamLookup& params) { return tickets::ParseTicketFilter(params); },
      [&tickets](const core::Principal& who, const TicketFilter& filter,
                 const core::PageRequest& page) { return tickets.List(who, filter, page); },
      [](Ticket& t, ExportRow& row) {
        row[0].Set(std::move(t.id));
        row[1].Set(std::move(t.customer_id));
        row[2].Set(std::move(t.interaction_id));
        row[3].Set(std::move(t.title));
        row[4].Set(std::move(t.description));
        row[5].Set(std::string(tickets::StatusName(t.status)));
        row[6].Set(std::move(t.priority));
        row[7].Set(std::move(t.assignee_id));
        row[8].Set(std::move(t.created_by.kind));
        row[9].Set(std::move(t.created_by.id));
        row[10].Set(std::move(t.resolution));
        row[11].Set(std::move(t.resolved_at));
        row[12].Set(std::move(t.created_at));
        row[13].Set(std::move(t.updated_at));
      });
}

ExportResource OrderExport(orders::OrderService& orders) {
  using orders::Order;
  using orders::OrderFilter;
  return ListedExport<Order, OrderFilter>(
      "orders",
      {{"id", ColumnType::kText},
       {"customer_id", ColumnType::kText},
       {"amount", ColumnType::kNumber},
       {"currency", ColumnType::kText},
       {"status", ColumnType::kText},
       {"ordered_at", ColumnType::kText},
       {"created_at", ColumnType::kText},
       {"updated_at", ColumnType::kText}},
      orders::kOrderSortFields,
      [](const core::ParamLookup& params) { return orders::ParseOrderFilter(params); },
      [&orders](const core::Principal& who, const OrderFilter& filter,
                const core::PageRequest& page) { return orders.List(who, filter, page); },
      [](Order& o, ExportRow& row) {
        row[0].Set(std::move(o.id));
        row[1].Set(std::move(o.customer_id));
        row[2].Set(core::MoneyToJson(o.amount).dump());
        row[3].Set(std::move(o.currency));
        row[4].Set(std::move(o.status));
        row[5].Set(std::move(o.ordered_at));
        row[6].Set(std::move(o.created_at));
        row[7].Set(std::move(o.updated_at));
      });
}

}  // namespace rapport::transfer
