#include "aigw/media/callback.hpp"

#include <climits>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "aigw/keys/key_text.hpp"
#include "aigw/text/hex.hpp"
#include "aigw/text/strings.hpp"

namespace aigw {

namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = lower(c);
    return out;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

bool in_v4(const std::uint8_t* b) {
    return b[0] == 0 ||                                  // "this network", 0.0.0.0
           b[0] == 10 ||                                 // private
           (b[0] == 100 && (b[1] & 0xc0) == 64) ||       // CGNAT 100.64/10
           b[0] == 127 ||                                // loopback
           (b[0] == 169 && b[1] == 254) ||               // link-local
           (b[0] == 172 && (b[1] & 0xf0) == 16) ||       // private 172.16/12
           (b[0] == 192 && b[1] == 168) ||               // private
           b[0] >= 224;                                  // multicast, reserved, broadcast
}

// An address a callback must not reach unless an admin allows it.
bool internal_address(const ip_address& ip) {
    const std::uint8_t* b = ip.bytes.data();
    if (ip.v4) return in_v4(b);
    bool first12_zero = true;
    for (std::size_t i = 0; i < 12; ++i) first12_zero = first12_zero && b[i] == 0;
    if (first12_zero) return true;                       // ::, ::1, IPv4-compatible ::/96
    static constexpr std::uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    bool is_nat64 = true;
    for (std::size_t i = 0; i < 12; ++i) is_nat64 = is_nat64 && b[i] == nat64[i];
    if (is_nat64) return in_v4(b + 12);                  // 64:ff9b::/96 embeds IPv4
    return (b[0] & 0xfe) == 0xfc ||                      // unique local fc00::/7
           (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||    // link-local fe80::/10
           (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) ||    // site-local fec0::/10
           b[0] == 0xff;                                 // multicast
}

bool allowed_address(const ip_address& ip, const std::vector<cidr_block>& allow) {
    if (!internal_address(ip)) return true;
    for (const cidr_block& block : allow) {
        if (cidr_contains(block, ip)) return true;
    }
    return false;
}

// A DNS name: labels of [a-z0-9_-], 1..63 bytes each, 253 in all (a trailing dot aside).
bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    std::size_t label = 0;
    for (char c : name) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok || ++label > 63) return false;
    }
    return label > 0;
}

// The last label of a name is numeric ("1", "0x7f"): resolvers read such a name as IPv4.
bool numeric_last_label(std::string_view name) {
    std::size_t dot = name.rfind('.');
    std::string_view last = dot == std::string_view::npos ? name : name.substr(dot + 1);
    if (all_digits(last)) return true;
    if (last.size() >= 2 && last[0] == '0' && last[1] == 'x') {
        for (char c : last.substr(2)) {
            if (hex_digit_value(c) < 0) return false;
        }
        return true;
    }
    return false;
}

std::string signature_hex(std::string_view secret, std::string_view t_text,
                          std::string_view body) {
    if (secret.size() > static_cast<std::size_t>(INT_MAX)) return {};
    std::string message;
    message.reserve(t_text.size() + 1 + body.size());
    message.append(t_text);
    message += '.';
    message.append(body);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const void* key = secret.empty() ? static_cast<const void*>("") : secret.data();
    if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(), md,
             &len) == nullptr ||
        len != 32) {
        return {};
    }
    return hex_digest(md);
}

}  // namespace

// ---- the URL ----

callback_target check_callback_url(std::string_view url, const std::vector<cidr_block>& allow,
                                   const std::vector<std::string>& allow_hosts) {
    callback_target r;
    auto fail = [&](std::string_view why) {
        r = callback_target{};
        r.error = "callback URL ";
        r.error += why;
        return r;
    };
    if (url.empty()) return fail("is empty");
    if (url.size() > callback_url_max) return fail("is longer than 2048 bytes");
    for (char c : url) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) return fail("has a blank, control or non-ASCII byte");
    }
    std::size_t sep = url.find("://");
    if (sep == std::string_view::npos) return fail("has no scheme (http:// or https://)");
    std::string_view scheme = url.substr(0, sep);
    if (equal_ignoring_case(scheme, "https")) {
        r.https = true;
    } else if (!equal_ignoring_case(scheme, "http")) {
        return fail("scheme must be http or https");
    }
    std::string_view rest = url.substr(sep + 3);
    std::size_t authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view tail =
        authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
    if (authority.find('@') != std::string_view::npos) return fail("must not hold a user or password");

    std::string_view host = authority;
    std::string_view port_text;
    bool bracketed = false;
    if (!authority.empty() && authority.front() == '[') {
        std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return fail("has an unclosed [");
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return fail("has bytes after ]");
            port_text = after.substr(1);
            if (port_text.empty()) return fail("has an empty port");
        }
        bracketed = true;
    } else {
        std::size_t colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) return fail("has an empty port");
        }
    }
    if (host.empty()) return fail("has no host");

    r.port = r.https ? 443 : 80;
    if (!port_text.empty()) {
        if (!all_digits(port_text) || port_text.size() > 5) return fail("port must be 1..65535");
        int port = 0;
        for (char c : port_text) port = port * 10 + (c - '0');
        if (port < 1 || port > 65535) return fail("port must be 1..65535");
        r.port = port;
    }

    std::string name = lowercase(host);
    if (bracketed) {
        if (name.find(':') == std::string::npos) return fail("has no IPv6 address inside [ ]");
        std::optional<ip_address> ip = parse_ip(name);
        if (!ip) return fail("has a bad IPv6 address");
        if (!allowed_address(*ip, allow)) return fail("names an internal address");
        r.host_is_ip = true;
    } else {
        // Resolvers take one trailing dot as the same name.
        std::string_view bare = name;
        if (bare.size() > 1 && bare.back() == '.') bare.remove_suffix(1);
        if (!valid_name(bare)) return fail("has a bad host name");
        if (numeric_last_label(bare)) {
            std::optional<ip_address> ip = parse_ip(bare);
            if (!ip || !ip->v4) return fail("has a bad IPv4 address (write a.b.c.d)");
            if (!allowed_address(*ip, allow)) return fail("names an internal address");
            r.host_is_ip = true;
            name = std::string(bare);
        } else if (bare == "localhost" ||
                   (bare.size() > 10 && bare.substr(bare.size() - 10) == ".localhost")) {
            bool allowed = false;
            for (const std::string& h : allow_hosts) {
                allowed = allowed || equal_ignoring_case(h, name) || equal_ignoring_case(h, bare);
            }
            if (!allowed) return fail("names the local host");
        }
    }
    r.host = std::move(name);

    std::size_t hash = tail.find('#');
    if (hash != std::string_view::npos) tail = tail.substr(0, hash);
    if (tail.empty() || tail.front() != '/') {
        r.path = "/";
        r.path += tail;
    } else {
        r.path = tail;
    }
    r.ok = true;
    return r;
}

// ---- the signature ----

std::string callback_signature(std::string_view secret, std::int64_t t, std::string_view body) {
    std::string t_text = std::to_string(t);
    std::string hex = signature_hex(secret, t_text, body);
    if (hex.empty()) return {};
    return "t=" + t_text + ",v1=" + hex;
}

bool verify_callback_signature(std::string_view header, std::string_view secret,
                               std::string_view body, std::int64_t now, std::int64_t tolerance_s) {
    std::string_view t_text;
    std::vector<std::string_view> signatures;
    while (!header.empty()) {
        std::size_t comma = header.find(',');
        std::string_view item = trim(header.substr(0, comma));
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        if (starts_with(item, "t=")) {
            if (!t_text.empty()) return false;   // two times: which one was signed?
            t_text = item.substr(2);
            if (!all_digits(t_text) || t_text.size() > 18) return false;
        } else if (starts_with(item, "v1=")) {
            signatures.push_back(item.substr(3));
        }
    }
    if (t_text.empty() || signatures.empty() || tolerance_s < 0) return false;
    std::int64_t t = 0;
    for (char c : t_text) t = t * 10 + (c - '0');
    std::int64_t skew = now > t ? now - t : t - now;
    if (skew > tolerance_s) return false;
    std::string expected = signature_hex(secret, t_text, body);
    if (expected.empty()) return false;
    bool match = false;
    for (std::string_view s : signatures) match = constant_time_equal(s, expected) || match;
    return match;
}

// ---- the delivery schedule ----

std::int64_t callback_retry_delay_ms(int failed_attempts) {
    if (failed_attempts <= 0) return 0;
    if (failed_attempts > 20) return callback_retry_cap_ms;
    std::int64_t delay = std::int64_t{1000} << (failed_attempts - 1);
    return delay < callback_retry_cap_ms ? delay : callback_retry_cap_ms;
}

}  // namespace aigw
