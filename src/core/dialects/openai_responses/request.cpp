#include "aigw/dialects/openai_responses/request.hpp"

#include "aigw/dialects/openai_chat/request.hpp"

namespace aigw::responses {

request_fields read_request(const char* data, std::size_t len, std::size_t capacity,
                            bool model_required) {
    // OpenAI's one reader of a request's model, stream and limits: the Responses API's body
    // names them alike (max_output_tokens is among the limits it reads).
    request_fields f = parse_request(data, len, capacity, model_required);
    f.choices = 1;
    f.has_stream_options = false;
    f.stream_options_begin = 0;
    return f;
}

}  // namespace aigw::responses
