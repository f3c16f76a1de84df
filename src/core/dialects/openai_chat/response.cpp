#include "aigw/dialects/openai_chat/response.hpp"

#include <memory>

#include <simdjson.h>

#include "aigw/dialects/openai_chat/request.hpp"
#include "aigw/text/json_splice.hpp"
#include "aigw/text/sse_data.hpp"
#include "aigw/text/strings.hpp"
#include "core/text/json_walk.hpp"

namespace aigw {

namespace {

namespace od = simdjson::ondemand;

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_ws(std::string_view s, std::size_t i) {
    while (i < s.size() && is_ws(s[i])) ++i;
    return i;
}

// Offset of the last byte before `i` that is not white space (npos when there is none).
std::size_t last_non_ws(std::string_view s, std::size_t i) {
    while (i > 0 && is_ws(s[i - 1])) --i;
    return i == 0 ? std::string_view::npos : i - 1;
}

// The test every chunk pays: an object whose bytes hold "usage", white space, a colon, white
// space and null. Text inside a string can match too, so a match only calls for the parse.
bool may_have_null_usage(std::string_view s) {
    std::size_t open = skip_ws(s, 0);
    if (open == s.size() || s[open] != '{') return false;
    constexpr std::string_view key = "\"usage\"";
    for (std::size_t at = find_bytes(s, key, open); at != std::string_view::npos;
         at = find_bytes(s, key, at + 1)) {
        std::size_t i = skip_ws(s, at + key.size());
        if (i == s.size() || s[i] != ':') continue;
        i = skip_ws(s, i + 1);
        if (s.substr(i, 4) == "null") return true;
    }
    return false;
}

// Builds the object with its null "usage" members cut out, while the parse that validates it
// reports them. Adjacent null members are cut as one run, so two cuts never share a comma: a
// run after a kept member takes the separator before it (comma and white space on both sides),
// a run at the start takes everything up to the next kept key, a run that is the whole object
// leaves {}.
class null_usage_cutter {
public:
    explicit null_usage_cutter(std::string_view json) : json_(json) {}

    // Called for each member in order: where its key starts, and where its value ends when it
    // is a null "usage" (0 otherwise). False when the bytes are not what the parse said.
    bool member(std::size_t key_begin, std::size_t null_end) {
        if (null_end != 0) {
            if (!run_open_) {
                run_open_ = true;
                run_first_ = members_ == 0;
                run_begin_ = key_begin;
            }
            run_end_ = null_end;
        } else if (run_open_) {
            run_open_ = false;
            if (run_first_) {
                cut(run_begin_, key_begin);
            } else if (!cut_after_comma()) {
                return false;
            }
        }
        ++members_;
        return true;
    }

    // After the last member: the object without the cuts, std::nullopt when there were none.
    std::optional<std::string> finish() {
        if (run_open_ && !run_first_ && !cut_after_comma()) return std::nullopt;
        if (run_open_ && run_first_) {
            std::size_t open = skip_ws(json_, 0);
            std::size_t close = last_non_ws(json_, json_.size());
            if (close == std::string_view::npos || json_[close] != '}' || open >= close) {
                return std::nullopt;
            }
            cut(open + 1, close);
        }
        if (copied_ == 0) return std::nullopt;  // every cut ends past the '{'
        out_.append(json_.substr(copied_));
        return std::move(out_);
    }

private:
    void cut(std::size_t from, std::size_t to) {
        if (out_.empty()) out_.reserve(json_.size());
        out_.append(json_.substr(copied_, from - copied_));
        copied_ = to;
    }

    // The run and the separator before it: from just past the previous value to the run's end.
    bool cut_after_comma() {
        std::size_t comma = last_non_ws(json_, run_begin_);
        if (comma == std::string_view::npos || json_[comma] != ',') return false;
        std::size_t value_end = last_non_ws(json_, comma);
        if (value_end == std::string_view::npos || value_end < copied_) return false;
        cut(value_end + 1, run_end_);
        return true;
    }

    std::string_view json_;
    std::string out_;
    std::size_t copied_ = 0;  // json_[0, copied_) is dealt with: in out_ or cut
    std::size_t members_ = 0;
    bool run_open_ = false;
    bool run_first_ = false;  // the open run starts at the object's first member
    std::size_t run_begin_ = 0;
    std::size_t run_end_ = 0;
};

// The full parse: the whole document validated (json_walk::consume), the top-level members
// read in order and the null "usage" ones handed to the cutter with their exact bytes.
std::optional<std::string> cut_null_usage(std::string_view json) {
    // One parser and one padded copy per worker process: both keep their buffers between calls.
    static od::parser parser;
    static std::string padded;
    padded.assign(json.data(), json.size());
    padded.append(json_padding, ' ');
    const char* base = padded.data();

    od::document doc;
    od::object obj;
    if (parser.iterate(simdjson::padded_string_view(base, json.size(), padded.size())).get(doc) ||
        doc.get_object().get(obj)) {
        return std::nullopt;
    }
    null_usage_cutter cutter(json);
    for (auto field : obj) {
        od::raw_json_string raw;  // points just past the key's opening quote
        std::string_view key;
        od::value v;
        if (field.key().get(raw) || json_walk::key_of(field, key) || field.value().get(v)) {
            return std::nullopt;
        }
        // The key equals "usage" unescaped; its closing quote right after it means no escapes.
        bool usage = key == "usage" && raw.raw()[key.size()] == '"';
        std::size_t null_end = 0;
        od::json_type t = od::json_type::object;
        if (usage && v.type().get(t)) return std::nullopt;
        if (usage && t == od::json_type::null) {
            null_end = static_cast<std::size_t>(v.raw_json_token().data() - base) + 4;
        }
        if (json_walk::consume(v, 1)) return std::nullopt;  // null_end checked: it read "null"
        if (!cutter.member(static_cast<std::size_t>(raw.raw() - 1 - base), null_end)) {
            return std::nullopt;
        }
    }
    if (!json_walk::at_end(doc)) return std::nullopt;
    return cutter.finish();
}

}  // namespace

std::string rename_response_model(std::string_view json, std::string_view public_model) {
    // parse_request reads exactly what is needed: the top-level model and its token range,
    // after validating the whole document (a broken body is passed on as it came).
    std::unique_ptr<char[]> padded(new char[json.size() + json_padding]());
    json.copy(padded.get(), json.size());
    request_fields f = parse_request(padded.get(), json.size(), json.size() + json_padding, false);
    if (f.status != request_parse_status::ok || !f.has_model || f.model == public_model) {
        return std::string(json);
    }
    return splice_model(json, f.model_token_begin, f.model_token_end, public_model);
}

std::string rename_chunk_model(std::string_view data, std::string_view public_model) {
    std::size_t first = data.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || data[first] != '{') {
        return std::string(data);  // "[DONE]", keep-alives, anything not an object
    }
    return rename_response_model(data, public_model);
}

std::optional<std::string> renamed_event(std::string_view event, std::string_view public_model) {
    return rewrite_data_lines(event, [&](std::string_view payload) -> std::optional<std::string> {
        std::string renamed = rename_chunk_model(payload, public_model);
        if (renamed == payload) return std::nullopt;
        return renamed;
    });
}

std::string rename_event_model(std::string_view event, std::string_view public_model) {
    std::optional<std::string> out = renamed_event(event, public_model);
    return out ? std::move(*out) : std::string(event);
}

std::optional<std::string> strip_null_usage(std::string_view json) noexcept {
    try {
        if (!may_have_null_usage(json)) return std::nullopt;
        return cut_null_usage(json);
    } catch (...) {
        return std::nullopt;  // only allocation can throw
    }
}

std::optional<std::string> strip_event_null_usage(std::string_view event) noexcept {
    try {
        return rewrite_data_lines(event, strip_null_usage);
    } catch (...) {
        return std::nullopt;
    }
}

bool strip_event_trailing_null_usage(std::string_view event, std::string_view data,
                                     std::string& out) noexcept {
    static constexpr std::string_view tail = ",\"usage\":null}";
    while (!data.empty() && (data.back() == ' ' || data.back() == '\t')) {
        data.remove_suffix(1);
    }
    if (data.size() < tail.size() || data.substr(data.size() - tail.size()) != tail ||
        data.find('\n') != std::string_view::npos) {
        return false;
    }
    std::size_t at = event.rfind(tail);
    if (at == std::string_view::npos) {
        return false;
    }
    try {
        out.assign(event.data(), at);
        out.append(event.substr(at + tail.size() - 1));  // from the closing brace on
        return true;
    } catch (...) {
        return false;
    }
}

std::optional<std::string> strip_event_trailing_null_usage(std::string_view event,
                                                           std::string_view data) noexcept {
    std::string out;
    if (!strip_event_trailing_null_usage(event, data, out)) return std::nullopt;
    return out;
}

}  // namespace aigw
