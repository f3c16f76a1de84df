// Which encoding a model's tokens are counted with: aigw_tokenizer's entries over OpenAI's own
// model table (encoding_for_model in tokenizer.hpp).
#pragma once

#include <string>
#include <string_view>

#include "aigw/accounting/model_patterns.hpp"
#include "aigw/accounting/tokenizer.hpp"

namespace aigw::tokenizer {

// The configured entries: public model names, or prefixes written as aigw_model and aigw_price
// write them (a trailing '*': "my-*"; "*" alone matches every name). An exact name wins over
// the prefixes, a longer prefix over a shorter one.
class encoding_table {
public:
    // "" or why the entry is refused: an empty name, a '*' before the end, a name or prefix
    // given twice.
    std::string add(std::string_view pattern, encoding_id id);

    // The entry for `model`; false when none matches.
    bool find(std::string_view model, encoding_id& id) const noexcept;

    bool empty() const noexcept { return table_.empty(); }

private:
    model_patterns<encoding_id> table_;
};

// The encoding a request is counted with, first that applies:
//   1. the configured entry for the public model (it may say `estimate`);
//   2. OpenAI's table on the public model;
//   3. OpenAI's table on the upstream model name (empty: none known), for a public alias of an
//      OpenAI model ("aigw_model fast openai:gpt-4o-mini");
//   4. estimate.
// `configured` may be null (no aigw_tokenizer).
encoding_id resolve_encoding(const encoding_table* configured, std::string_view public_model,
                             std::string_view upstream_model) noexcept;

}  // namespace aigw::tokenizer
