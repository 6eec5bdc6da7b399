#pragma once

#include "core/time.hpp"
#include "db/database.hpp"
#include "rules/rule.hpp"

namespace rapport::rules {

// Appends to `query` one SQL boolean expression, in parentheses, that holds exactly for the
// customers matching `rule` (a tree from ParseRules). The expression reads the `customers`
// row aliased `c`; it reaches companies and customer_tags through its own subqueries, so
// `c` is all the caller's FROM needs:
//
//   db::Query q("SELECT c.id FROM customers c WHERE ");
//   rules::AppendCondition(q, rule, db.engine(), core::Now());
//
// Every value is bound with Query::Param (the placeholders continue the query's own
// numbering); field names come from the rule language's fixed list and attribute keys are
// bound too. The expression is never NULL, so NOT and OR around it behave as two-valued
// logic: see "Empty values" in docs/api/segments.md for what each operator does with a
// customer that has no value. `now` anchors within_last_days and before_days_ago.
void AppendCondition(db::Query& query, const Rule& rule, db::Engine engine, core::Timestamp now);

}  // namespace rapport::rules
