// aigw_tokenizer's table and the order a request's encoding is chosen in; see encoding_table.hpp.
#include "aigw/accounting/encoding_table.hpp"

namespace aigw::tokenizer {

std::string encoding_table::add(std::string_view pattern, encoding_id id) {
    if (pattern.empty()) {
        return "empty model name";
    }
    std::size_t star = pattern.find('*');
    if (star != std::string_view::npos && star != pattern.size() - 1) {
        return "model pattern \"" + std::string(pattern) + "\": '*' is allowed only at the end";
    }
    if (star == std::string_view::npos) {
        if (!exact_.emplace(std::string(pattern), id).second) {
            return "duplicate model \"" + std::string(pattern) + "\"";
        }
        return {};
    }
    std::string prefix(pattern.substr(0, star));
    for (const auto& p : prefixes_) {
        if (p.first == prefix) {
            return "duplicate model \"" + std::string(pattern) + "\"";
        }
    }
    auto pos = prefixes_.begin();
    while (pos != prefixes_.end() && pos->first.size() >= prefix.size()) {
        ++pos;
    }
    prefixes_.insert(pos, {std::move(prefix), id});
    return {};
}

bool encoding_table::find(std::string_view model, encoding_id& id) const noexcept {
    if (auto it = exact_.find(model); it != exact_.end()) {
        id = it->second;
        return true;
    }
    for (const auto& p : prefixes_) {
        if (model.substr(0, p.first.size()) == p.first) {
            id = p.second;
            return true;
        }
    }
    return false;
}

encoding_id resolve_encoding(const encoding_table* configured, std::string_view public_model,
                             std::string_view upstream_model) noexcept {
    encoding_id id = encoding_id::estimate;
    if (configured != nullptr && configured->find(public_model, id)) {
        return id;
    }
    id = encoding_for_model(public_model);
    if (id == encoding_id::estimate && !upstream_model.empty()) {
        id = encoding_for_model(upstream_model);
    }
    return id;
}

}  // namespace aigw::tokenizer
