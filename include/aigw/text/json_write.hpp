// Writing JSON: RapidJSON's Writer (correct escaping and numbers), and strings that may hold
// client bytes written as valid UTF-8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace aigw {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Length of the well-formed UTF-8 sequence at s[i] (Unicode table 3-7), 0 if ill-formed.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept;

// A JSON string of `s`. RapidJSON's Writer copies bytes as they are and JSON must be UTF-8:
// each byte that is not part of a well-formed sequence becomes U+FFFD.
void write_text(json_writer& w, std::string_view s);

// What write_text writes, appended to `out` without a Writer: the same bytes (RapidJSON's
// escapes, U+FFFD for each ill-formed byte). For output made per stream event, where a
// Writer and its buffer per event cost more than the text.
void append_json_text(std::string& out, std::string_view s);

// `v` in decimal, appended.
void append_json_uint(std::string& out, std::uint64_t v);

// write_text, or null for an empty `s`.
void write_text_or_null(json_writer& w, std::string_view s);

// The JSON text that write(json_writer&) writes.
template <class Write>
std::string json_text(Write&& write) {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    write(w);
    return std::string(buf.GetString(), buf.GetSize());
}

// The member `key`: `v`, when it is given and finite; left out otherwise (JSON has no NaN or
// infinity, and no parsed request holds one).
void write_number_member(json_writer& w, const char* key, const std::optional<double>& v);

}  // namespace aigw
