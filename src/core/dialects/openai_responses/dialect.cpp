#include "aigw/dialects/openai_responses/dialect.hpp"

#include "aigw/dialects/openai_chat/dialect.hpp"
#include "aigw/dialects/openai_responses/error.hpp"
#include "aigw/dialects/openai_responses/request.hpp"
#include "aigw/dialects/openai_responses/response.hpp"
#include "aigw/dialects/openai_responses/translate.hpp"
#include "aigw/dialects/openai_responses/usage.hpp"

namespace aigw {

namespace {

class openai_responses final : public dialect {
public:
    dialect_id id() const noexcept override { return dialect_id::openai_responses; }
    std::string_view name() const noexcept override { return "openai_responses"; }

    request_fields read_request(const char* data, std::size_t len, std::size_t capacity,
                                bool model_required) const override {
        return responses::read_request(data, len, capacity, model_required);
    }
    bool request_to_pivot(std::string_view body, api::request& out,
                          api_error& err) const override {
        return responses::request_to_pivot(body, out, err);
    }
    // max_output_tokens is optional: the default for dialects that require one is not sent.
    std::string request_from_pivot(const api::request& req, std::int64_t) const override {
        return responses::request_from_pivot(req);
    }
    std::string chat_path(std::string_view, bool) const override { return "/v1/responses"; }

    const usage_parser& usage_reader() const noexcept override {
        return responses::usage_reader();
    }
    std::string rename_response_model(std::string_view body,
                                      std::string_view model) const override {
        return responses::rename_response_model(body, model);
    }
    std::optional<std::string> rename_event_model(std::string_view event,
                                                  std::string_view model) const override {
        return responses::renamed_event(event, model);
    }

    bool response_to_pivot(std::string_view body, api::response& out) const override {
        return responses::response_to_pivot(body, out);
    }
    std::string response_from_pivot(const api::response& resp) const override {
        return responses::response_from_pivot(resp);
    }
    std::unique_ptr<api::stream_decoder> stream_decoder() const override {
        return responses::make_stream_decoder();
    }
    std::unique_ptr<api::stream_encoder> stream_encoder(const api::request& req) const override {
        return responses::make_stream_encoder(req);
    }

    // OpenAI's errors and model lists, whichever of its APIs a client calls: Chat
    // Completions' but for the stream's error event, which the Responses API has its own.
    std::string error_body(const api_error& e) const override { return chat().error_body(e); }
    std::string error_event(const api_error& e) const override {
        return responses::error_event(e);
    }
    api_error read_error(int status, std::string_view body) const override {
        return chat().read_error(status, body);
    }

    std::string model_list(const std::vector<std::string>& ids,
                           const std::function<bool(std::string_view)>& allowed,
                           long long created, std::string_view owned_by,
                           std::size_t limit) const override {
        return chat().model_list(ids, allowed, created, owned_by, limit);
    }
    std::string model_object(std::string_view id, long long created,
                             std::string_view owned_by) const override {
        return chat().model_object(id, created, owned_by);
    }
    std::optional<std::string> filter_model_list(
        std::string_view body, const std::function<bool(std::string_view)>& allowed) const override {
        return chat().filter_model_list(body, allowed);
    }

private:
    static const dialect& chat() noexcept { return openai_chat_dialect(); }
};

}  // namespace

const dialect& responses_dialect() noexcept {
    static const openai_responses d;
    return d;
}

}  // namespace aigw
