#include "rules/rule_sql.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include <fmt/format.h>

#include "core/text.hpp"

namespace rapport::rules {

namespace {

// Turns a checked rule tree into SQL. Every positive condition is written so that it is
// TRUE or FALSE, never NULL (a nullable column is tested with IS NOT NULL first, JSON types
// through COALESCE); the negative operators are then exactly NOT of their positive twin.
class Compiler {
 public:
  Compiler(db::Query& query, db::Engine engine, core::Timestamp now)
      : q_(query), postgres_(engine == db::Engine::kPostgres), now_(now) {}

  void Node(const Rule& rule) {
    if (rule.is_group) {
      Group(rule);
    } else {
      Condition(rule);
    }
  }

 private:
  void Group(const Rule& group) {
    if (group.rules.empty()) {
      q_.Sql("(1 = 1)");
      return;
    }
    // Tag conditions are written as an IN list that the engine can drive the query from, or
    // as a probe per customer: see Tags().
    const bool saved = probe_tags_;
    probe_tags_ = group.logic == Logic::kAnd &&
                  std::any_of(group.rules.begin(), group.rules.end(), CanDriveTheQuery);
    q_.Sql("(");
    for (std::size_t i = 0; i < group.rules.size(); ++i) {
      if (i > 0) q_.Sql(group.logic == Logic::kAnd ? " AND " : " OR ");
      Node(group.rules[i]);
    }
    q_.Sql(")");
    probe_tags_ = saved;
  }

  // Whether a condition can select its customers through an index of its own that is
  // usually narrower than a tag's members: time windows, amounts, one owner, company or
  // address. (status has four values, so it narrows less than a tag.)
  static bool CanDriveTheQuery(const Rule& rule) {
    if (rule.is_group) return false;
    switch (rule.op) {
      case Op::kNe:
      case Op::kNotIn:
      case Op::kIsEmpty:
      case Op::kIsNotEmpty:
      case Op::kContains:
      case Op::kStartsWith:
        return false;
      default:
        break;
    }
    switch (rule.field) {
      case Field::kCreatedAt:
      case Field::kLastVisitAt:
      case Field::kLastInteractionAt:
      case Field::kTotalSpend:
      case Field::kNumVisits:
      case Field::kOwnerId:
      case Field::kCompany:
      case Field::kEmail:
        return true;
      default:
        return false;
    }
  }

  void Condition(const Rule& rule) {
    Op op = rule.op;
    bool negate = true;
    switch (rule.op) {
      case Op::kNe:
        op = Op::kEq;
        break;
      case Op::kNotIn:
        op = Op::kIn;
        break;
      case Op::kIsNotEmpty:
        op = Op::kIsEmpty;
        break;
      default:
        negate = false;
    }
    if (negate) q_.Sql("(NOT ");
    Positive(rule, op);
    if (negate) q_.Sql(")");
  }

  // `op` is one of = > >= < <= in contains starts_with is_empty within_last_days
  // before_days_ago.
  void Positive(const Rule& rule, Op op) {
    switch (rule.field) {
      case Field::kStatus:
        return Column(rule, op, "c.status", {}, false);
      case Field::kTotalSpend:
        return Column(rule, op, "c.total_spend", {}, false);
      case Field::kNumVisits:
        return Column(rule, op, "c.num_visits", {}, false);
      case Field::kCreatedAt:
        return Column(rule, op, "c.created_at", {}, false);
      case Field::kLastVisitAt:
        return Column(rule, op, "c.last_visit_at", "c.last_visit_at", false);
      case Field::kLastInteractionAt:
        return Column(rule, op, "c.last_interaction_at", "c.last_interaction_at", false);
      case Field::kOwnerId:
        return Column(rule, op, "c.owner_id", "c.owner_id", false);
      case Field::kEmail:
        return Column(rule, op, "lower(c.email)", "c.email", true);
      case Field::kEmailDomain:
        // Addresses hold exactly one '@' (they are validated on write).
        return Column(rule, op,
                      postgres_ ? "split_part(lower(c.email), '@', 2)"
                                : "substr(lower(c.email), instr(c.email, '@') + 1)",
                      "c.email", true);
      case Field::kCompany:
        return Company(rule, op);
      case Field::kTags:
        return Tags(rule, op);
      case Field::kAttribute:
        return Attribute(rule, op);
    }
  }

  // A column (or an expression of one) compared with the values. `null_column` names the
  // column when it may be NULL; `fold` compares lower-cased on both sides.
  void Column(const Rule& rule, Op op, std::string_view expression, std::string_view null_column,
              bool fold) {
    q_.Sql("(");
    if (op == Op::kIsEmpty) {
      if (null_column.empty()) {
        q_.Sql("1 = 0");
      } else {
        q_.Sql(null_column).Sql(" IS NULL");
      }
      q_.Sql(")");
      return;
    }
    if (!null_column.empty()) q_.Sql(null_column).Sql(" IS NOT NULL AND ");
    switch (op) {
      case Op::kWithinLastDays:
        q_.Sql(expression).Sql(" >= ").Param(DaysAgo(rule));
        q_.Sql(" AND ").Sql(expression).Sql(" <= ").Param(core::FormatTimestamp(now_));
        break;
      case Op::kBeforeDaysAgo:
        q_.Sql(expression).Sql(" < ").Param(DaysAgo(rule));
        break;
      case Op::kContains:
      case Op::kStartsWith:
        q_.Sql(expression).Sql(" LIKE ");
        Like(rule, op, fold);
        break;
      case Op::kIn:
        q_.Sql(expression).Sql(" IN (");
        Values(rule, fold);
        q_.Sql(")");
        break;
      default:
        q_.Sql(expression).Sql(Comparison(op));
        Value(rule.values.front(), fold);
    }
    q_.Sql(")");
  }

  void Company(const Rule& rule, Op op) {
    if (op == Op::kIsEmpty) {
      q_.Sql("(c.company_id IS NULL)");
      return;
    }
    q_.Sql("(c.company_id IS NOT NULL AND c.company_id IN (SELECT rco.id FROM companies rco WHERE ");
    switch (op) {
      case Op::kContains:
      case Op::kStartsWith:
        q_.Sql("lower(rco.name) LIKE ");
        Like(rule, op, true);
        break;
      case Op::kIn:
        q_.Sql("lower(rco.name) IN (");
        Values(rule, true);
        q_.Sql(")");
        break;
      default:
        q_.Sql("lower(rco.name) = ");
        Value(rule.values.front(), true);
    }
    q_.Sql("))");
  }

  // contains: one tag; in: any of several. Next to a condition that can drive the query
  // (CanDriveTheQuery) each candidate is probed (EXISTS, one index search); otherwise the
  // tag's members are listed (IN), so a rare tag drives the query itself. SQLite estimates
  // every IN (SELECT ...) at a few rows and would always start from the tag's members.
  void Tags(const Rule& rule, Op op) {
    if (op == Op::kIsEmpty) {
      q_.Sql("(NOT EXISTS (SELECT 1 FROM customer_tags rt WHERE rt.customer_id = c.id))");
      return;
    }
    if (probe_tags_) {
      q_.Sql("(EXISTS (SELECT 1 FROM customer_tags rt WHERE rt.customer_id = c.id AND rt.tag IN (");
    } else {
      q_.Sql("(c.id IN (SELECT rt.customer_id FROM customer_tags rt WHERE rt.tag IN (");
    }
    Values(rule, false);
    q_.Sql(")))");
  }

  // attributes.<key>. A value of the rule's kind (text, number, boolean) matches only an
  // attribute of the same JSON type.
  void Attribute(const Rule& rule, Op op) {
    if (op == Op::kIsEmpty) return AttributeIsEmpty(rule);
    const Operand& first = rule.values.front();
    q_.Sql("(");
    if (std::holds_alternative<bool>(first)) {
      const bool truth = std::get<bool>(first);
      if (postgres_) {
        AttributeType(rule);
        q_.Sql(" = 'boolean' AND ");
        AttributeText(rule);
        q_.Sql(truth ? " = 'true'" : " = 'false'");
      } else {
        AttributeType(rule);
        q_.Sql(truth ? " = 'true'" : " = 'false'");
      }
      q_.Sql(")");
      return;
    }
    const bool text = std::holds_alternative<std::string>(first);
    AttributeType(rule);
    if (text) {
      q_.Sql(postgres_ ? " = 'string' AND " : " = 'text' AND ");
    } else {
      q_.Sql(postgres_ ? " = 'number' AND " : " IN ('integer', 'real') AND ");
    }
    auto value = [&] {
      if (!postgres_) {
        q_.Sql("json_extract(c.attributes, ").Param(SqlitePath(rule)).Sql(")");
      } else if (text) {
        AttributeText(rule);
      } else {
        q_.Sql("(CASE WHEN jsonb_typeof(");
        AttributeJson(rule);
        q_.Sql(") = 'number' THEN CAST(");
        AttributeJson(rule);
        q_.Sql(" AS double precision) END)");
      }
    };
    switch (op) {
      case Op::kContains:
        q_.Sql(postgres_ ? "strpos(" : "instr(");
        value();
        q_.Sql(", ");
        Value(first, false);
        q_.Sql(") > 0");
        break;
      case Op::kStartsWith:
        if (postgres_) {
          q_.Sql("starts_with(");
          value();
          q_.Sql(", ");
          Value(first, false);
          q_.Sql(")");
        } else {
          q_.Sql("substr(");
          value();
          q_.Sql(", 1, length(");
          Value(first, false);
          q_.Sql(")) = ");
          Value(first, false);
        }
        break;
      case Op::kIn:
        value();
        q_.Sql(" IN (");
        Values(rule, false);
        q_.Sql(")");
        break;
      default:
        value();
        // Text orders bytewise on both engines, whatever the database's collation.
        if (postgres_ && text && op != Op::kEq) q_.Sql(" COLLATE \"C\"");
        q_.Sql(Comparison(op));
        Value(first, false);
    }
    q_.Sql(")");
  }

  // Missing, null, "", [] and {} are empty.
  void AttributeIsEmpty(const Rule& rule) {
    if (postgres_) {
      q_.Sql("(COALESCE(");
      AttributeJson(rule);
      q_.Sql(", CAST('null' AS jsonb)) IN (CAST('null' AS jsonb), CAST('\"\"' AS jsonb), "
             "CAST('[]' AS jsonb), CAST('{}' AS jsonb)))");
      return;
    }
    auto extract = [&] { q_.Sql("json_extract(c.attributes, ").Param(SqlitePath(rule)).Sql(")"); };
    q_.Sql("(");
    AttributeType(rule);
    q_.Sql(" IN ('', 'null') OR (");
    AttributeType(rule);
    q_.Sql(" = 'text' AND ");
    extract();
    q_.Sql(" = '') OR (");
    AttributeType(rule);
    q_.Sql(" IN ('array', 'object') AND ");
    extract();
    q_.Sql(" IN ('[]', '{}')))");
  }

  // The attribute's JSON type name, '' when the key is missing.
  void AttributeType(const Rule& rule) {
    if (postgres_) {
      q_.Sql("COALESCE(jsonb_typeof(");
      AttributeJson(rule);
      q_.Sql("), '')");
    } else {
      q_.Sql("COALESCE(json_type(c.attributes, ").Param(SqlitePath(rule)).Sql("), '')");
    }
  }
  // PostgreSQL: the attribute as jsonb, and as text.
  void AttributeJson(const Rule& rule) {
    q_.Sql("(CAST(c.attributes AS jsonb) -> CAST(").Param(rule.attribute).Sql(" AS text))");
  }
  void AttributeText(const Rule& rule) {
    q_.Sql("(CAST(c.attributes AS jsonb) ->> CAST(").Param(rule.attribute).Sql(" AS text))");
  }
  // SQLite: the JSON path of a top-level key. Keys never hold '"' or '\' (ParseRules).
  static std::string SqlitePath(const Rule& rule) {
    return fmt::format("$.\"{}\"", rule.attribute);
  }

  static std::string_view Comparison(Op op) {
    switch (op) {
      case Op::kGt:
        return " > ";
      case Op::kGe:
        return " >= ";
      case Op::kLt:
        return " < ";
      case Op::kLe:
        return " <= ";
      default:
        return " = ";
    }
  }

  std::string DaysAgo(const Rule& rule) const {
    const auto days = std::get<int64_t>(rule.values.front());
    return core::FormatTimestamp(now_ - std::chrono::hours(24) * days);
  }

  void Like(const Rule& rule, Op op, bool fold) {
    const std::string& text = std::get<std::string>(rule.values.front());
    std::string pattern(op == Op::kContains ? "%" : "");
    pattern += core::EscapeLike(text);
    pattern += '%';
    Value(Operand(std::move(pattern)), fold);
    q_.Sql(" ESCAPE '\\'");
  }

  void Values(const Rule& rule, bool fold) {
    for (std::size_t i = 0; i < rule.values.size(); ++i) {
      if (i > 0) q_.Sql(", ");
      Value(rule.values[i], fold);
    }
  }

  void Value(const Operand& operand, bool fold) {
    if (fold) q_.Sql("lower(");
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, double>) {
            q_.Param(db::Query::Value(v));
          } else {
            q_.Param(v);
          }
        },
        operand);
    if (fold) q_.Sql(")");
  }

  db::Query& q_;
  bool postgres_;
  core::Timestamp now_;
  bool probe_tags_ = false;
};

}  // namespace

void AppendCondition(db::Query& query, const Rule& rule, db::Engine engine, core::Timestamp now) {
  Compiler(query, engine, now).Node(rule);
}

}  // namespace rapport::rules
