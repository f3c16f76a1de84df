#include "aigw/dialects/openai_chat/dialect.hpp"

#include "aigw/dialects/openai_chat/error.hpp"
#include "aigw/dialects/openai_chat/models.hpp"
#include "aigw/dialects/openai_chat/request.hpp"
#include "aigw/dialects/openai_chat/response.hpp"
#include "aigw/dialects/openai_chat/translate.hpp"
#include "aigw/dialects/openai_chat/usage.hpp"

namespace aigw {

namespace {

class openai_chat final : public dialect {
public:
    dialect_id id() const noexcept override { return dialect_id::openai_chat; }
    std::string_view name() const noexcept override { return "openai_chat"; }

    request_fields read_request(const char* data, std::size_t len, std::size_t capacity,
                                bool model_required) const override {
        return parse_request(data, len, capacity, model_required);
    }
    bool request_to_pivot(std::string_view body, api::request& out,
                          api_error& err) const override {
        return openai_chat_request_to_pivot(body, out, err);
    }
    std::string request_from_pivot(const api::request& req, std::int64_t) const override {
        return openai_chat_request_from_pivot(req);
    }
    std::string chat_path(std::string_view, bool) const override {
        return "/v1/chat/completions";
    }
    api_error read_error(int status, std::string_view body) const override {
        return openai_chat_read_error(status, body);
    }

    const usage_parser& usage_reader() const noexcept override { return openai_usage_parser(); }
    std::string rename_response_model(std::string_view body,
                                      std::string_view model) const override {
        return aigw::rename_response_model(body, model);
    }
    std::optional<std::string> rename_event_model(std::string_view event,
                                                  std::string_view model) const override {
        return aigw::renamed_event(event, model);
    }

    bool response_to_pivot(std::string_view body, api::response& out) const override {
        return openai_chat_response_to_pivot(body, out);
    }
    std::string response_from_pivot(const api::response& resp) const override {
        return openai_chat_response_from_pivot(resp);
    }
    std::unique_ptr<api::stream_decoder> stream_decoder() const override {
        return openai_chat_stream_decoder();
    }
    std::unique_ptr<api::stream_encoder> stream_encoder(const api::request& req) const override {
        return openai_chat_stream_encoder(req);
    }

    std::string error_body(const api_error& e) const override { return error_json(e); }
    std::string error_event(const api_error& e) const override { return error_sse_event(e); }

    std::string model_list(const std::vector<std::string>& ids,
                           const std::function<bool(std::string_view)>& allowed,
                           long long created, std::string_view owned_by,
                           std::size_t) const override {
        // OpenAI's list has no pages: every model, whatever limit the client sent.
        return model_list_json(ids, allowed, created, owned_by);
    }
    std::string model_object(std::string_view id, long long created,
                             std::string_view owned_by) const override {
        return model_object_json(id, created, owned_by);
    }
    std::optional<std::string> filter_model_list(
        std::string_view body, const std::function<bool(std::string_view)>& allowed) const override {
        return aigw::filter_model_list(body, allowed);
    }
};

}  // namespace

const dialect& openai_chat_dialect() noexcept {
    static const openai_chat d;
    return d;
}

}  // namespace aigw
