// The /v1/models list, narrowed to what a key may use.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aigw {

// From an OpenAI list ({"object":"list","data":[{"id":...},...]}) keeps the entries whose id
// `allowed` accepts, in order. nullopt when the input is not such a list.
std::optional<std::string> filter_model_list(std::string_view json,
                                             const std::function<bool(std::string_view)>& allowed);

// The gateway's own list, from the public names of its model table: the OpenAI shape, each
// entry {"id","object":"model","created","owned_by"}, in order, those `allowed` accepts.
std::string model_list_json(const std::vector<std::string>& ids,
                            const std::function<bool(std::string_view)>& allowed,
                            long long created, std::string_view owned_by);

// One entry of that list, for GET /v1/models/{id}.
std::string model_object_json(std::string_view id, long long created, std::string_view owned_by);

}  // namespace aigw
