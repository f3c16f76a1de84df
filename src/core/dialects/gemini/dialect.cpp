#include "aigw/dialects/gemini/dialect.hpp"

#include "aigw/dialects/gemini/error.hpp"
#include "aigw/dialects/gemini/models.hpp"
#include "aigw/dialects/gemini/request.hpp"
#include "aigw/dialects/gemini/response.hpp"
#include "aigw/dialects/gemini/translate.hpp"
#include "aigw/dialects/gemini/usage.hpp"

namespace aigw {

namespace {

class gemini_api final : public dialect {
public:
    dialect_id id() const noexcept override { return dialect_id::gemini; }
    std::string_view name() const noexcept override { return "gemini"; }

    // The body names no model: the glue takes it from the path (endpoints.hpp).
    request_fields read_request(const char* data, std::size_t len, std::size_t capacity,
                                bool) const override {
        return gemini::read_request(data, len, capacity);
    }
    bool request_to_pivot(std::string_view body, api::request& out,
                          api_error& err) const override {
        return gemini::request_to_pivot(body, out, err);
    }
    // maxOutputTokens is optional: the model's own limit applies without one.
    std::string request_from_pivot(const api::request& req, std::int64_t) const override {
        return gemini::request_from_pivot(req);
    }
    std::string chat_path(std::string_view model, bool stream) const override {
        std::string path = "/v1beta/models/";
        path.append(model);
        path.append(stream ? ":streamGenerateContent" : ":generateContent");
        return path;
    }
    std::string_view chat_args(bool stream) const noexcept override {
        return stream ? "alt=sse" : "";
    }
    std::string token_count(std::int64_t tokens) const override {
        return "{\"totalTokens\":" + std::to_string(tokens) + "}";
    }

    const usage_parser& usage_reader() const noexcept override { return gemini::usage_reader(); }
    std::string rename_response_model(std::string_view body,
                                      std::string_view model) const override {
        return gemini::rename_response_model(body, model);
    }
    std::optional<std::string> rename_event_model(std::string_view event,
                                                  std::string_view model) const override {
        return gemini::renamed_event(event, model);
    }

    bool response_to_pivot(std::string_view body, api::response& out) const override {
        return gemini::response_to_pivot(body, out);
    }
    std::string response_from_pivot(const api::response& resp) const override {
        return gemini::response_from_pivot(resp);
    }
    std::unique_ptr<api::stream_decoder> stream_decoder() const override {
        return gemini::make_stream_decoder();
    }
    std::unique_ptr<api::stream_encoder> stream_encoder(const api::request& req) const override {
        return gemini::make_stream_encoder(req);
    }

    std::string error_body(const api_error& e) const override { return gemini::error_json(e); }
    std::string error_event(const api_error& e) const override { return gemini::error_event(e); }
    api_error read_error(int status, std::string_view body) const override {
        return gemini::read_error(status, body);
    }
    bool retry_delay_in_body() const noexcept override { return true; }
    std::uint64_t retry_delay_ms(std::string_view body) const override {
        return gemini::retry_delay_ms(body);
    }

    // Gemini's list has no creation time, owner or pages.
    std::string model_list(const std::vector<std::string>& ids,
                           const std::function<bool(std::string_view)>& allowed, long long,
                           std::string_view, std::size_t) const override {
        return gemini::model_list_json(ids, allowed);
    }
    std::string model_object(std::string_view id, long long, std::string_view) const override {
        return gemini::model_object_json(id);
    }
    std::optional<std::string> filter_model_list(
        std::string_view body, const std::function<bool(std::string_view)>& allowed) const override {
        return gemini::filter_model_list(body, allowed);
    }
};

}  // namespace

const dialect& gemini_dialect() noexcept {
    static const gemini_api d;
    return d;
}

}  // namespace aigw
