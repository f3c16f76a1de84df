// aigw_tokenizer's table and the order a request's encoding is chosen in; see encoding_table.hpp.
#include "aigw/accounting/encoding_table.hpp"

namespace aigw::tokenizer {

std::string encoding_table::add(std::string_view pattern, encoding_id id) {
    return table_.add(pattern, id, "model");
}

bool encoding_table::find(std::string_view model, encoding_id& id) const noexcept {
    const encoding_id* found = table_.find(model);
    if (found != nullptr) id = *found;
    return found != nullptr;
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
