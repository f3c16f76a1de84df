// A request's prompt tokens in any dialect; see prompt_count.hpp.
#include "aigw/accounting/prompt_count.hpp"

#include <string>

#include "aigw/accounting/token_estimate.hpp"
#include "aigw/dialects/dialect.hpp"
#include "core/text/json_walk.hpp"

namespace aigw {

namespace {

std::int64_t pivot_prompt(const tokenizer::encoder* enc, const api::request& pivot) {
    // The output bound means nothing to a count: 0 sends none where it is optional.
    std::string chat = dialect_of(dialect_id::openai_chat).request_from_pivot(pivot, 0);
    return count_prompt_tokens(enc, chat);
}

}  // namespace

std::int64_t count_request_prompt(const tokenizer::encoder* enc, dialect_id client,
                                  std::string_view body, const api::request* pivot,
                                  bool body_padded) noexcept {
    if (client == dialect_id::openai_chat) {
        // Already OpenAI's: no second read.
        return body_padded ? count_padded_prompt_tokens(enc, body) : count_prompt_tokens(enc, body);
    }
    try {
        if (pivot != nullptr) {
            return pivot_prompt(enc, *pivot);
        }
        api::request read;
        if (dialect_of(client).prompt_to_pivot(body, read)) {
            return pivot_prompt(enc, read);
        }
    } catch (...) {
        return 0;  // std::bad_alloc
    }
    return count_prompt_tokens(enc, body);
}

body_read_scope::body_read_scope() noexcept { json_walk::body_parser::hold(); }

body_read_scope::~body_read_scope() { json_walk::body_parser::release(); }

}  // namespace aigw
