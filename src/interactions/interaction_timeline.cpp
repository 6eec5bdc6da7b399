#include "interactions/interaction_timeline.hpp"

namespace rapport::interactions {

std::vector<timeline::Item> InteractionTimelineSource::Load(
    db::Session& session, const std::vector<std::string>& ids) const {
  std::vector<timeline::Item> items;
  for (const Interaction& interaction : store_.FindMany(session, ids)) {
    items.push_back({.id = interaction.id,
                     .summary = interaction.Summary(),
                     .data = interaction.ToJson()});
  }
  return items;
}

}  // namespace rapport::interactions
