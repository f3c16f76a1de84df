// Credential parameters of a query string: stripped for the upstream, masked for the logs.
#include "aigw/keys/query_credentials.hpp"

#include "aigw/keys/key_text.hpp"
#include "aigw/text/hex.hpp"

namespace aigw {

namespace {

// One `name=value` of a query: where its name ends and where the parameter ends.
struct param {
    std::size_t begin, name_end, end;
};

param next_param(std::string_view q, std::size_t begin) {
    std::size_t end = q.find('&', begin);
    if (end == std::string_view::npos) end = q.size();
    std::size_t eq = q.find('=', begin);
    std::size_t name_end = eq == std::string_view::npos || eq > end ? end : eq;
    return {begin, name_end, end};
}

}  // namespace

bool is_credential_param(std::string_view name) {
    // Percent-decoded as the upstream would ("k%65y" is "key").
    std::string decoded;
    for (std::size_t i = 0; i < name.size(); i++) {
        char c = name[i];
        if (c == '%' && i + 2 < name.size() && hex_digit_value(name[i + 1]) >= 0 &&
            hex_digit_value(name[i + 2]) >= 0) {
            c = static_cast<char>(hex_digit_value(name[i + 1]) * 16 + hex_digit_value(name[i + 2]));
            i += 2;
        }
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        decoded += c;
        if (decoded.size() > 3) return false;
    }
    return decoded == "key";
}

std::string query_credential_value(std::string_view args, std::size_t max) {
    for (std::size_t at = 0; at <= args.size();) {
        param p = next_param(args, at);
        if (p.name_end < p.end && is_credential_param(args.substr(p.begin, p.name_end - p.begin))) {
            std::string_view v = args.substr(p.name_end + 1, p.end - p.name_end - 1);
            std::string out;
            for (std::size_t i = 0; i < v.size() && out.size() < max; i++) {
                char c = v[i];
                if (c == '%' && i + 2 < v.size() && hex_digit_value(v[i + 1]) >= 0 &&
                    hex_digit_value(v[i + 2]) >= 0) {
                    c = static_cast<char>(hex_digit_value(v[i + 1]) * 16 +
                                          hex_digit_value(v[i + 2]));
                    i += 2;
                } else if (c == '+') {
                    c = ' ';
                }
                out += c;
            }
            return out;
        }
        if (p.end >= args.size()) break;
        at = p.end + 1;
    }
    return {};
}

std::optional<std::string> strip_credential_params(std::string_view args) {
    std::string out;
    bool found = false;
    for (std::size_t at = 0; at <= args.size();) {
        param p = next_param(args, at);
        std::string_view whole = args.substr(p.begin, p.end - p.begin);
        if (is_credential_param(args.substr(p.begin, p.name_end - p.begin))) {
            found = true;
        } else if (!whole.empty()) {
            if (!out.empty()) out += '&';
            out += whole;
        }
        if (p.end >= args.size()) break;
        at = p.end + 1;
    }
    if (!found) return std::nullopt;
    return out;
}

std::optional<std::string> mask_credential_params(std::string_view text) {
    std::size_t q = text.find('?');
    if (q == std::string_view::npos) return std::nullopt;
    std::size_t q_end = text.find_first_of(" #", q + 1);
    if (q_end == std::string_view::npos) q_end = text.size();
    std::string_view query = text.substr(q + 1, q_end - q - 1);

    std::string out(text.substr(0, q + 1));
    bool found = false;
    for (std::size_t at = 0; at <= query.size();) {
        param p = next_param(query, at);
        if (p.name_end < p.end && is_credential_param(query.substr(p.begin, p.name_end - p.begin))) {
            found = true;
            out += query.substr(p.begin, p.name_end + 1 - p.begin);
            out += mask_key(query.substr(p.name_end + 1, p.end - p.name_end - 1));
        } else {
            out += query.substr(p.begin, p.end - p.begin);
        }
        if (p.end >= query.size()) break;
        out += '&';
        at = p.end + 1;
    }
    if (!found) return std::nullopt;
    out += text.substr(q_end);
    return out;
}

}  // namespace aigw
