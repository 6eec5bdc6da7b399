#pragma once

#include "interactions/interaction_store.hpp"
#include "timeline/timeline.hpp"

namespace rapport::interactions {

// Interactions on the customer timeline: kind "interaction", occurring at scheduled_at, else
// created_at; data as GET /interactions/{id} returns it.
class InteractionTimelineSource : public timeline::Source {
 public:
  explicit InteractionTimelineSource(db::Engine engine) : store_(engine) {}

  std::string_view kind() const override { return "interaction"; }
  void AppendSelect(db::Query& query, std::string_view customer_id) const override {
    InteractionStore::AppendTimelineSelect(query, customer_id);
  }
  std::vector<timeline::Item> Load(db::Session& session,
                                   const std::vector<std::string>& ids) const override {
    return timeline::ItemsOf(store_.FindMany(session, ids));
  }

 private:
  InteractionStore store_;
};

}  // namespace rapport::interactions
