#include "rules/rule.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/money.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace rapport::rules {

namespace {

using nlohmann::json;

// What a field holds, which decides the operators it takes and the values they take.
enum class Kind { kEnum, kMoney, kInteger, kTimestamp, kTags, kText, kId, kAttribute };

struct FieldInfo {
  Field field;
  std::string_view name;
  Kind kind;
};

constexpr std::array<FieldInfo, 12> kFields = {{
    {Field::kStatus, "status", Kind::kEnum},
    {Field::kTotalSpend, "total_spend", Kind::kMoney},
    {Field::kNumVisits, "num_visits", Kind::kInteger},
    {Field::kLastVisitAt, "last_visit_at", Kind::kTimestamp},
    {Field::kLastInteractionAt, "last_interaction_at", Kind::kTimestamp},
    {Field::kCreatedAt, "created_at", Kind::kTimestamp},
    {Field::kTags, "tags", Kind::kTags},
    {Field::kCompany, "company", Kind::kText},
    {Field::kEmail, "email", Kind::kText},
    {Field::kEmailDomain, "email_domain", Kind::kText},
    {Field::kOwnerId, "owner_id", Kind::kId},
    {Field::kAttribute, "attributes", Kind::kAttribute},
}};

// The older form's camelCase names (accepted in either form).
constexpr std::array<std::pair<std::string_view, Field>, 10> kFieldAliases = {{
    {"totalSpend", Field::kTotalSpend},
    {"numVisits", Field::kNumVisits},
    {"lastVisitDate", Field::kLastVisitAt},
    {"lastVisitAt", Field::kLastVisitAt},
    {"lastInteractionDate", Field::kLastInteractionAt},
    {"lastInteractionAt", Field::kLastInteractionAt},
    {"createdAt", Field::kCreatedAt},
    {"createdDate", Field::kCreatedAt},
    {"emailDomain", Field::kEmailDomain},
    {"ownerId", Field::kOwnerId},
}};

constexpr std::array<std::pair<std::string_view, Op>, 14> kOps = {{
    {"=", Op::kEq},
    {"!=", Op::kNe},
    {">", Op::kGt},
    {">=", Op::kGe},
    {"<", Op::kLt},
    {"<=", Op::kLe},
    {"in", Op::kIn},
    {"not_in", Op::kNotIn},
    {"contains", Op::kContains},
    {"starts_with", Op::kStartsWith},
    {"is_empty", Op::kIsEmpty},
    {"is_not_empty", Op::kIsNotEmpty},
    {"within_last_days", Op::kWithinLastDays},
    {"before_days_ago", Op::kBeforeDaysAgo},
}};

constexpr std::array<std::pair<std::string_view, Op>, 8> kOpAliases = {{
    {"==", Op::kEq},
    {"<>", Op::kNe},
    {"notIn", Op::kNotIn},
    {"startsWith", Op::kStartsWith},
    {"isEmpty", Op::kIsEmpty},
    {"isNotEmpty", Op::kIsNotEmpty},
    {"withinLastDays", Op::kWithinLastDays},
    {"beforeDaysAgo", Op::kBeforeDaysAgo},
}};

constexpr std::string_view kAttributePrefix = "attributes.";

const FieldInfo& InfoOf(Field field) {
  for (const FieldInfo& info : kFields) {
    if (info.field == field) return info;
  }
  return kFields.back();
}

// The operators of each kind, in the order they are listed in messages.
std::vector<Op> OpsOf(Kind kind) {
  using enum Op;
  switch (kind) {
    case Kind::kEnum:
    case Kind::kId:
      return {kEq, kNe, kIn, kNotIn, kIsEmpty, kIsNotEmpty};
    case Kind::kMoney:
    case Kind::kInteger:
      return {kEq, kNe, kGt, kGe, kLt, kLe, kIn, kNotIn, kIsEmpty, kIsNotEmpty};
    case Kind::kTimestamp:
      return {kEq, kNe, kGt, kGe, kLt, kLe, kWithinLastDays, kBeforeDaysAgo, kIsEmpty,
              kIsNotEmpty};
    case Kind::kTags:
      return {kContains, kIn, kNotIn, kIsEmpty, kIsNotEmpty};
    case Kind::kText:
      return {kEq, kNe, kIn, kNotIn, kContains, kStartsWith, kIsEmpty, kIsNotEmpty};
    case Kind::kAttribute:
      return {kEq, kNe, kGt, kGe, kLt, kLe, kIn, kNotIn, kContains, kStartsWith, kIsEmpty,
              kIsNotEmpty};
  }
  return {};
}

bool IsListOp(Op op) { return op == Op::kIn || op == Op::kNotIn; }
bool IsEmptinessOp(Op op) { return op == Op::kIsEmpty || op == Op::kIsNotEmpty; }
bool IsOrderingOp(Op op) {
  return op == Op::kGt || op == Op::kGe || op == Op::kLt || op == Op::kLe;
}

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}
std::string Index(const std::string& path, std::size_t i) { return fmt::format("{}[{}]", path, i); }

std::string KnownFields() {
  std::string out;
  for (const FieldInfo& info : kFields) {
    if (!out.empty()) out += ", ";
    out += info.field == Field::kAttribute ? "attributes.<key>" : info.name;
  }
  return out;
}

std::string OpList(const std::vector<Op>& ops) {
  std::string out;
  for (Op op : ops) {
    if (!out.empty()) out += ", ";
    out += OpName(op);
  }
  return out;
}

// Characters an attribute key may not contain: the SQLite JSON path that addresses it is
// quoted ($."key"), and quotes, backslashes and control characters would need escapes there
// (and are escaped in the stored JSON text, which SQLite compares keys against verbatim).
bool IsUsableAttributeKey(std::string_view key) {
  return std::none_of(key.begin(), key.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == '"' || c == '\\' || c < 0x20 || c == 0x7f;
  });
}

class Parser {
 public:
  std::vector<core::FieldError> errors;

  void Fail(std::string field, std::string message) {
    if (errors.size() < kMaxErrors) errors.push_back({std::move(field), std::move(message)});
  }
  bool full() const { return errors.size() >= kMaxErrors; }

  // `node` is an object. Descends only into children at most kMaxDepth deep.
  void ParseGroup(const json& node, const std::string& path, int depth, Rule& out) {
    out.is_group = true;
    const json* logic = nullptr;
    const json* logical_operator = nullptr;
    const json* rules = nullptr;
    for (const auto& [key, value] : node.items()) {
      if (key == "logic") {
        logic = &value;
      } else if (key == "logicalOperator") {
        logical_operator = &value;
      } else if (key == "rules") {
        rules = &value;
      } else {
        Fail(Join(path, key), "is not a known field of a rule group (logic, rules)");
      }
    }
    if (logic && logical_operator) {
      Fail(Join(path, "logicalOperator"), "give either logic or logicalOperator, not both");
    }
    if (const json* given = logic ? logic : logical_operator) {
      const std::string key = Join(path, logic ? "logic" : "logicalOperator");
      const std::string text = given->is_string() ? core::ToLowerAscii(given->get<std::string>()) : "";
      if (text == "and") {
        out.logic = Logic::kAnd;
      } else if (text == "or") {
        out.logic = Logic::kOr;
      } else {
        Fail(key, "must be \"and\" or \"or\"");
      }
    }
    const std::string rules_path = Join(path, "rules");
    if (!rules) {
      Fail(rules_path, "is required: a rule group is {\"logic\": \"and\", \"rules\": [...]}");
      return;
    }
    if (!rules->is_array()) {
      Fail(rules_path, "must be an array of rules and groups");
      return;
    }
    if (rules->empty() && depth > 1) {
      Fail(rules_path, "must not be empty (only the outermost group may be: it matches everyone)");
    }
    rule_count_ += rules->size();
    if (rule_count_ > kMaxRules) {
      Fail(rules_path, fmt::format("too many rules: at most {} conditions and groups in all",
                                   kMaxRules));
      return;
    }
    out.rules.reserve(rules->size());
    for (std::size_t i = 0; i < rules->size() && !full(); ++i) {
      const json& child = (*rules)[i];
      const std::string child_path = Index(rules_path, i);
      if (!child.is_object()) {
        Fail(child_path, "must be a rule {field, op, value} or a group {logic, rules}");
        continue;
      }
      Rule rule;
      if (child.contains("rules")) {
        if (depth + 1 > kMaxDepth) {
          Fail(child_path, fmt::format("groups may be nested at most {} deep", kMaxDepth));
          continue;
        }
        ParseGroup(child, child_path, depth + 1, rule);
      } else {
        ParseCondition(child, child_path, rule);
      }
      out.rules.push_back(std::move(rule));
    }
  }

 private:
  void ParseCondition(const json& node, const std::string& path, Rule& out) {
    out.is_group = false;
    const json* field = nullptr;
    const json* op = nullptr;
    const json* old_op = nullptr;
    const json* value = nullptr;
    for (const auto& [key, item] : node.items()) {
      if (key == "field") {
        field = &item;
      } else if (key == "op") {
        op = &item;
      } else if (key == "operator") {
        old_op = &item;
      } else if (key == "value") {
        value = &item;
      } else {
        Fail(Join(path, key), "is not a known field of a rule (field, op, value)");
      }
    }
    if (op && old_op) Fail(Join(path, "operator"), "give either op or operator, not both");
    const std::string op_path = Join(path, old_op && !op ? "operator" : "op");

    const FieldInfo* info = nullptr;
    const std::string field_path = Join(path, "field");
    if (!field) {
      Fail(field_path, "is required");
    } else if (!field->is_string()) {
      Fail(field_path, "must be a string");
    } else {
      info = LookupField(field->get_ref<const std::string&>(), field_path, out.attribute);
    }

    std::optional<Op> parsed;
    const json* given_op = op ? op : old_op;
    if (!given_op) {
      Fail(op_path, "is required");
    } else if (!given_op->is_string()) {
      Fail(op_path, "must be a string");
    } else {
      parsed = LookupOp(given_op->get_ref<const std::string&>());
      if (!parsed) {
        std::vector<Op> all;
        for (const auto& entry : kOps) all.push_back(entry.second);
        Fail(op_path, fmt::format("unknown operator '{}'; use one of: {}",
                                  given_op->get_ref<const std::string&>(), OpList(all)));
      }
    }
    if (!info || !parsed) return;
    const std::vector<Op> allowed = OpsOf(info->kind);
    if (std::find(allowed.begin(), allowed.end(), *parsed) == allowed.end()) {
      Fail(op_path, fmt::format("'{}' does not apply to {}; use one of: {}", OpName(*parsed),
                                info->field == Field::kAttribute ? "attributes" : info->name,
                                OpList(allowed)));
      return;
    }
    out.field = info->field;
    out.op = *parsed;

    const std::string value_path = Join(path, "value");
    if (IsEmptinessOp(out.op)) {
      if (value && !value->is_null()) {
        Fail(value_path, fmt::format("must be absent: {} takes no value", OpName(out.op)));
      }
      return;
    }
    if (!value) {
      Fail(value_path, "is required");
      return;
    }
    if (value->is_null()) {
      Fail(value_path, "must not be null (is_empty finds missing values)");
      return;
    }
    if (!IsListOp(out.op)) {
      if (!CountValues(1, value_path)) return;
      if (auto operand = ParseOperand(info->kind, out.op, *value, value_path)) {
        out.values.push_back(std::move(*operand));
      }
      return;
    }
    if (!value->is_array()) {
      Fail(value_path, "must be an array of values");
      return;
    }
    if (value->empty()) {
      Fail(value_path, "must not be empty");
      return;
    }
    if (value->size() > kMaxListValues) {
      Fail(value_path, fmt::format("must have at most {} values", kMaxListValues));
      return;
    }
    if (!CountValues(value->size(), value_path)) return;
    out.values.reserve(value->size());
    for (std::size_t i = 0; i < value->size() && !full(); ++i) {
      const std::string item_path = Index(value_path, i);
      const json& item = (*value)[i];
      if (info->kind == Kind::kAttribute) {
        // One kind of value per list, so a list compares one way.
        const json& first = (*value)[0];
        if (item.is_boolean() || !(item.is_string() || item.is_number()) ||
            item.is_string() != first.is_string()) {
          Fail(item_path, "must be a string or a number, all values of one kind");
          continue;
        }
      }
      if (auto operand = ParseOperand(info->kind, out.op, item, item_path)) {
        out.values.push_back(std::move(*operand));
      }
    }
  }

  bool CountValues(std::size_t count, const std::string& path) {
    value_count_ += count;
    if (value_count_ <= kMaxValues) return true;
    Fail(path, fmt::format("too many values: at most {} in all rules together", kMaxValues));
    return false;
  }

  const FieldInfo* LookupField(const std::string& name, const std::string& path,
                               std::string& attribute) {
    if (name.starts_with(kAttributePrefix)) {
      std::string key = name.substr(kAttributePrefix.size());
      if (key.empty()) {
        Fail(path, "needs a key after 'attributes.'");
      } else if (key.size() > kMaxAttributeKey) {
        Fail(path, fmt::format("attribute keys are at most {} bytes", kMaxAttributeKey));
      } else if (!IsUsableAttributeKey(key)) {
        Fail(path, "attribute keys in rules may not contain quotes, backslashes or control "
                   "characters");
      } else {
        attribute = std::move(key);
        return &InfoOf(Field::kAttribute);
      }
      return nullptr;
    }
    for (const FieldInfo& info : kFields) {
      if (info.name == name && info.field != Field::kAttribute) return &info;
    }
    for (const auto& [alias, field] : kFieldAliases) {
      if (alias == name) return &InfoOf(field);
    }
    Fail(path, fmt::format("unknown field '{}'; use one of: {}", name, KnownFields()));
    return nullptr;
  }

  static std::optional<Op> LookupOp(std::string_view name) {
    for (const auto& [text, op] : kOps) {
      if (text == name) return op;
    }
    for (const auto& [text, op] : kOpAliases) {
      if (text == name) return op;
    }
    return std::nullopt;
  }

  // A text value: trimmed unless `exact`, non-empty, bounded.
  std::optional<std::string> Text(const json& v, const std::string& path, bool exact = false) {
    if (!v.is_string()) {
      Fail(path, "must be a string");
      return std::nullopt;
    }
    std::string text = exact ? v.get<std::string>() : core::Trim(v.get_ref<const std::string&>());
    if (text.empty()) {
      Fail(path, "must not be empty (is_empty finds empty values)");
    } else if (text.size() > kMaxTextValue) {
      Fail(path, fmt::format("must be at most {} bytes", kMaxTextValue));
    } else if (text.find('\0') != std::string::npos) {
      Fail(path, "must not contain NUL characters");
    } else {
      return text;
    }
    return std::nullopt;
  }

  std::optional<Operand> ParseOperand(Kind kind, Op op, const json& v, const std::string& path) {
    switch (kind) {
      case Kind::kEnum: {
        if (v.is_string() && std::find(kStatuses.begin(), kStatuses.end(),
                                       v.get_ref<const std::string&>()) != kStatuses.end()) {
          return v.get<std::string>();
        }
        Fail(path, fmt::format("must be one of: {}", fmt::join(kStatuses, ", ")));
        return std::nullopt;
      }
      case Kind::kMoney: {
        if (auto minor = core::ParseMoney(v)) return *minor;
        Fail(path, "must be an amount: a number ≥ 0 with at most 2 decimals");
        return std::nullopt;
      }
      case Kind::kInteger: {
        if (auto n = Integer(v)) return *n;
        Fail(path, "must be an integer");
        return std::nullopt;
      }
      case Kind::kTimestamp: {
        if (op == Op::kWithinLastDays || op == Op::kBeforeDaysAgo) {
          if (auto n = Integer(v); n && *n >= 0 && *n <= kMaxDays) return *n;
          Fail(path, fmt::format("must be a whole number of days from 0 to {}", kMaxDays));
          return std::nullopt;
        }
        if (v.is_string()) {
          if (auto t = core::ParseDateOrTimestamp(v.get_ref<const std::string&>())) {
            return core::FormatTimestamp(*t);
          }
        }
        Fail(path, "must be an RFC 3339 timestamp or a date (YYYY-MM-DD)");
        return std::nullopt;
      }
      case Kind::kTags:
      case Kind::kText: {
        if (auto text = Text(v, path)) return std::move(*text);
        return std::nullopt;
      }
      case Kind::kId: {
        if (v.is_string() && core::IsUuid(v.get_ref<const std::string&>())) {
          return core::ToLowerAscii(v.get_ref<const std::string&>());
        }
        Fail(path, "must be a UUID");
        return std::nullopt;
      }
      case Kind::kAttribute:
        return AttributeOperand(op, v, path);
    }
    return std::nullopt;
  }

  std::optional<Operand> AttributeOperand(Op op, const json& v, const std::string& path) {
    if (op == Op::kContains || op == Op::kStartsWith) {
      if (auto text = Text(v, path, /*exact=*/true)) return std::move(*text);
      return std::nullopt;
    }
    if (v.is_string()) {
      if (auto text = Text(v, path, /*exact=*/true)) return std::move(*text);
      return std::nullopt;
    }
    if (v.is_number()) {
      if (auto n = Integer(v)) return *n;
      return v.get<double>();  // a float, or an unsigned integer beyond int64
    }
    if (v.is_boolean() && (op == Op::kEq || op == Op::kNe)) return v.get<bool>();
    Fail(path, IsOrderingOp(op) ? "must be a string or a number"
                                : "must be a string, a number or a boolean");
    return std::nullopt;
  }

  static std::optional<int64_t> Integer(const json& v) {
    if (v.is_number_unsigned()) {
      const auto n = v.get<uint64_t>();
      if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
      return static_cast<int64_t>(n);
    }
    if (v.is_number_integer()) return v.get<int64_t>();
    return std::nullopt;
  }

  std::size_t rule_count_ = 0;
  std::size_t value_count_ = 0;
};

json OperandJson(Field field, const Operand& operand) {
  if (field == Field::kTotalSpend) return core::MoneyToJson(std::get<int64_t>(operand));
  return std::visit([](const auto& v) { return json(v); }, operand);
}

}  // namespace

Rule Rule::Group(Logic logic, std::vector<Rule> rules) {
  Rule rule;
  rule.is_group = true;
  rule.logic = logic;
  rule.rules = std::move(rules);
  return rule;
}

Rule Rule::Condition(Field field, Op op, std::vector<Operand> values, std::string attribute) {
  Rule rule;
  rule.is_group = false;
  rule.field = field;
  rule.op = op;
  rule.values = std::move(values);
  rule.attribute = std::move(attribute);
  return rule;
}

core::Result<Rule> ParseRules(const nlohmann::json& group, std::string_view path) {
  const std::string root(path);
  if (!group.is_object()) {
    return core::Error::Invalid(root, "must be a rule group: {\"logic\": \"and\", \"rules\": [...]}");
  }
  Parser parser;
  Rule rule;
  parser.ParseGroup(group, root, 1, rule);
  if (!parser.errors.empty()) return core::Error::Invalid(std::move(parser.errors));
  return rule;
}

nlohmann::json ToJson(const Rule& rule) {
  if (rule.is_group) {
    json rules = json::array();
    for (const Rule& child : rule.rules) rules.push_back(ToJson(child));
    return {{"logic", rule.logic == Logic::kAnd ? "and" : "or"}, {"rules", std::move(rules)}};
  }
  json out = json::object();
  out["field"] = rule.field == Field::kAttribute
                     ? fmt::format("{}{}", kAttributePrefix, rule.attribute)
                     : std::string(FieldName(rule.field));
  out["op"] = std::string(OpName(rule.op));
  if (IsListOp(rule.op)) {
    json values = json::array();
    for (const Operand& v : rule.values) values.push_back(OperandJson(rule.field, v));
    out["value"] = std::move(values);
  } else if (!rule.values.empty()) {
    out["value"] = OperandJson(rule.field, rule.values.front());
  }
  return out;
}

std::string_view FieldName(Field field) { return InfoOf(field).name; }

std::string_view OpName(Op op) {
  for (const auto& [text, value] : kOps) {
    if (value == op) return text;
  }
  return "?";
}

}  // namespace rapport::rules
