// A dialect is a wire format: what a client speaks at an endpoint, and what a channel's upstream
// speaks. Each one lives in its own folder under dialects/ and offers this interface; the glue
// holds `const dialect&` and never names a wire format itself.
//
// Two ways through the gateway:
// - passthrough, when the client's dialect is the channel's: the body goes on as it came but
//   the spliced model (read_request finds it), the answer comes back as it came but the renamed
//   model (rename_*), and only usage is read on the way (usage_reader);
// - translation, when they differ: client dialect -> api::request -> channel dialect, and back
//   channel decoder -> api::event -> client encoder (api/request.hpp, api/stream.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aigw/api/error.hpp"
#include "aigw/api/request.hpp"
#include "aigw/api/stream.hpp"
#include "aigw/api/usage.hpp"
#include "aigw/dialects/dialect_id.hpp"

namespace aigw {

class dialect {
public:
    virtual ~dialect() = default;

    virtual dialect_id id() const noexcept = 0;
    virtual std::string_view name() const noexcept = 0;  // for logs and metrics: "openai_chat"

    // --- request ---
    // The fields every request is read for, without building a tree. `capacity` must be
    // >= len + json_padding; the padding may be read, never written.
    virtual request_fields read_request(const char* data, std::size_t len, std::size_t capacity,
                                        bool model_required) const = 0;
    // The whole request as the pivot. False, with `err` set (a 400 in the client's words),
    // when the body is not a request this dialect can translate.
    virtual bool request_to_pivot(std::string_view body, api::request& out,
                                  api_error& err) const = 0;
    // The request as the pivot only to count its prompt: what request_to_pivot reads, and
    // also the body of this dialect's token-count endpoint, which may lack what only
    // generating needs (Anthropic's count_tokens has no max_tokens). False when it cannot be
    // read.
    virtual bool prompt_to_pivot(std::string_view body, api::request& out) const {
        api_error err;
        return request_to_pivot(body, out, err);
    }
    // The pivot as this dialect's request body (for a channel that speaks it).
    // `max_tokens_default` is the output bound a dialect that requires one sends when the
    // request has none (aigw_anthropic_max_tokens); a dialect where it is optional ignores it.
    virtual std::string request_from_pivot(const api::request& req,
                                           std::int64_t max_tokens_default) const = 0;
    // Where a translated chat request for `model` goes on a channel of this dialect: its chat
    // endpoint's API path ("/v1/chat/completions", "/v1/messages"; Gemini's names the model
    // and the method, "/v1beta/models/gemini-2.5-flash:streamGenerateContent"), and the query
    // it needs there ("" for none; Gemini's streams want "alt=sse").
    virtual std::string chat_path(std::string_view model, bool stream) const = 0;
    virtual std::string_view chat_args(bool stream) const noexcept { return (void)stream, ""; }
    // The answer of a token-count endpoint of this dialect (Anthropic's count_tokens,
    // Gemini's countTokens) the gateway gives itself when no channel of the dialect serves
    // the model: `tokens` in its shape. "" for a dialect without one.
    virtual std::string token_count(std::int64_t tokens) const { return (void)tokens, ""; }

    // --- response, passthrough ---
    virtual const usage_parser& usage_reader() const noexcept = 0;
    // A whole body with its top-level model named `model`; unchanged when it has none.
    virtual std::string rename_response_model(std::string_view body,
                                              std::string_view model) const = 0;
    // One whole SSE event, its data's model named `model`; std::nullopt when it stays as it
    // came (it names no model, or `model` already): most events, and then nothing is copied.
    virtual std::optional<std::string> rename_event_model(std::string_view event,
                                                          std::string_view model) const = 0;

    // --- response, translation ---
    virtual bool response_to_pivot(std::string_view body, api::response& out) const = 0;
    virtual std::string response_from_pivot(const api::response& resp) const = 0;
    // For a stream from a channel that speaks this dialect.
    virtual std::unique_ptr<api::stream_decoder> stream_decoder() const = 0;
    // For a stream to a client that speaks this dialect, answering `req`.
    virtual std::unique_ptr<api::stream_encoder> stream_encoder(const api::request& req) const = 0;

    // --- errors ---
    virtual std::string error_body(const api_error& e) const = 0;
    // The error as one SSE event, for a stream that already started.
    virtual std::string error_event(const api_error& e) const = 0;
    // An upstream's error answer in this dialect (HTTP `status`, JSON `body`) as the canonical
    // error, for a client of another dialect; upstream_bad_response_error(status) when the body
    // is not this dialect's error shape.
    virtual api_error read_error(int status, std::string_view body) const = 0;
    // Whether this dialect's 429 says how long to wait in its body rather than in a
    // Retry-After header (Google's RetryInfo), and that wait in milliseconds (0: none).
    virtual bool retry_delay_in_body() const noexcept { return false; }
    virtual std::uint64_t retry_delay_ms(std::string_view body) const { return (void)body, 0; }

    // --- model lists ---
    // The gateway's own list from its model table's public names, those `allowed` accepts.
    // `limit` (0: none) bounds a dialect's page where it has pages (Anthropic's ?limit=, with
    // has_more saying whether more were left out); a dialect without pages lists them all.
    virtual std::string model_list(const std::vector<std::string>& ids,
                                   const std::function<bool(std::string_view)>& allowed,
                                   long long created, std::string_view owned_by,
                                   std::size_t limit) const = 0;
    virtual std::string model_object(std::string_view id, long long created,
                                     std::string_view owned_by) const = 0;
    // An upstream's list narrowed to what `allowed` accepts; nullopt when it is not a list.
    virtual std::optional<std::string> filter_model_list(
        std::string_view body, const std::function<bool(std::string_view)>& allowed) const = 0;
};

const dialect& dialect_of(dialect_id id) noexcept;

// The dialect a channel's upstream speaks, from its provider= name ("openai", "anthropic",
// "gemini");
// nullopt for a name no dialect serves.
std::optional<dialect_id> provider_dialect(std::string_view provider) noexcept;

// The provider= names, for error messages: "openai, anthropic, gemini".
std::string_view provider_names() noexcept;

}  // namespace aigw
