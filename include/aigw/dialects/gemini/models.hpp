// GET /v1beta/models in Gemini's shape:
//   {"models":[{"name":"models/<id>","baseModelId":"<id>","version":"001",
//     "displayName":"<id>","supportedGenerationMethods":["generateContent",
//     "streamGenerateContent","countTokens"]}]}
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aigw::gemini {

// The gateway's own list from the public names of its model table, those `allowed` accepts,
// in order (no nextPageToken: the list is whole).
std::string model_list_json(const std::vector<std::string>& ids,
                            const std::function<bool(std::string_view)>& allowed);

// One entry of that list, for GET /v1beta/models/{id}.
std::string model_object_json(std::string_view id);

// From a Gemini list, the entries whose id (the name without "models/") `allowed` accepts,
// each as it came, in order; nextPageToken kept. nullopt when the input is not such a list
// ({} is one: Google leaves an empty list out).
std::optional<std::string> filter_model_list(std::string_view body,
                                             const std::function<bool(std::string_view)>& allowed);

}  // namespace aigw::gemini
