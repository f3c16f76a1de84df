#include "aigw/dialects/anthropic/dialect.hpp"

#include "aigw/dialects/anthropic/error.hpp"
#include "aigw/dialects/anthropic/models.hpp"
#include "aigw/dialects/anthropic/request.hpp"
#include "aigw/dialects/anthropic/response.hpp"
#include "aigw/dialects/anthropic/translate.hpp"
#include "aigw/dialects/anthropic/usage.hpp"

namespace aigw {

namespace {

class anthropic_messages final : public dialect {
public:
    dialect_id id() const noexcept override { return dialect_id::anthropic; }
    std::string_view name() const noexcept override { return "anthropic"; }

    request_fields read_request(const char* data, std::size_t len, std::size_t capacity,
                                bool model_required) const override {
        return anthropic::read_request(data, len, capacity, model_required);
    }
    bool request_to_pivot(std::string_view body, api::request& out,
                          api_error& err) const override {
        return anthropic::request_to_pivot(body, out, err);
    }
    bool prompt_to_pivot(std::string_view body, api::request& out) const override {
        api_error err;
        return anthropic::count_request_to_pivot(body, out, err);
    }
    std::string request_from_pivot(const api::request& req,
                                   std::int64_t max_tokens_default) const override {
        return anthropic::request_from_pivot(req, max_tokens_default);
    }
    std::string chat_path(std::string_view, bool) const override { return "/v1/messages"; }
    std::string token_count(std::int64_t tokens) const override {
        return "{\"input_tokens\":" + std::to_string(tokens) + "}";
    }

    const usage_parser& usage_reader() const noexcept override {
        return anthropic::usage_reader();
    }
    std::string rename_response_model(std::string_view body,
                                      std::string_view model) const override {
        return anthropic::rename_response_model(body, model);
    }
    std::optional<std::string> rename_event_model(std::string_view event,
                                                  std::string_view model) const override {
        return anthropic::renamed_event(event, model);
    }

    bool response_to_pivot(std::string_view body, api::response& out) const override {
        return anthropic::response_to_pivot(body, out);
    }
    std::string response_from_pivot(const api::response& resp) const override {
        return anthropic::response_from_pivot(resp);
    }
    std::unique_ptr<api::stream_decoder> stream_decoder() const override {
        return anthropic::make_stream_decoder();
    }
    std::unique_ptr<api::stream_encoder> stream_encoder(const api::request& req) const override {
        return anthropic::make_stream_encoder(req);
    }

    std::string error_body(const api_error& e) const override { return anthropic::error_json(e); }
    std::string error_event(const api_error& e) const override {
        return anthropic::error_event(e);
    }
    api_error read_error(int status, std::string_view body) const override {
        return anthropic::read_error(status, body);
    }

    // Anthropic's list has no owner field: owned_by has nowhere to go.
    std::string model_list(const std::vector<std::string>& ids,
                           const std::function<bool(std::string_view)>& allowed,
                           long long created, std::string_view,
                           std::size_t limit) const override {
        return anthropic::model_list_json(ids, allowed, created, limit);
    }
    std::string model_object(std::string_view id, long long created,
                             std::string_view) const override {
        return anthropic::model_object_json(id, created);
    }
    std::optional<std::string> filter_model_list(
        std::string_view body, const std::function<bool(std::string_view)>& allowed) const override {
        return anthropic::filter_model_list(body, allowed);
    }
};

}  // namespace

const dialect& anthropic_dialect() noexcept {
    static const anthropic_messages d;
    return d;
}

}  // namespace aigw
