#include "jobs/job.hpp"

#include <array>

namespace rapport::jobs {

namespace {

constexpr std::array<std::string_view, 4> kStatusNames = {"queued", "running", "done", "dead"};

// Stored timestamps carry milliseconds; the API shows seconds like every other resource.
nlohmann::json Seconds(const std::optional<std::string>& stored) {
  if (!stored) return nullptr;
  auto parsed = core::ParseTimestamp(*stored);
  if (!parsed) return *stored;
  return core::FormatTimestamp(*parsed);
}

}  // namespace

std::string_view StatusName(JobStatus status) {
  return kStatusNames[static_cast<std::size_t>(status)];
}

std::optional<JobStatus> ParseStatus(std::string_view name) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == name) return static_cast<JobStatus>(i);
  }
  return std::nullopt;
}

bool IsValidKind(std::string_view kind) {
  if (kind.empty() || kind.size() > 64 || kind.front() < 'a' || kind.front() > 'z') return false;
  for (char c : kind) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                    c == '-';
    if (!ok) return false;
  }
  return true;
}

nlohmann::json JobRecord::ToJson() const {
  nlohmann::json body = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) body = nlohmann::json::object();
  return {{"id", id},
          {"kind", kind},
          {"payload", std::move(body)},
          {"dedupe_key", dedupe_key ? nlohmann::json(*dedupe_key) : nlohmann::json(nullptr)},
          {"status", StatusName(status)},
          {"attempts", attempts},
          {"max_attempts", max_attempts},
          {"run_at", Seconds(run_at)},
          {"locked_by", locked_by ? nlohmann::json(*locked_by) : nlohmann::json(nullptr)},
          {"locked_until", Seconds(locked_until)},
          {"last_error", last_error ? nlohmann::json(*last_error) : nlohmann::json(nullptr)},
          {"created_at", Seconds(created_at)},
          {"updated_at", Seconds(updated_at)},
          {"finished_at", Seconds(finished_at)}};
}

}  // namespace rapport::jobs
