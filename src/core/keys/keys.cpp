#include "aigw/keys/keys.hpp"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <cstring>

#include "aigw/schema.hpp"

namespace aigw {

namespace {

constexpr char base62_alphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view ellipsis = "\xE2\x80\xA6";  // U+2026, UTF-8

bool is_base62(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// What mask_key may echo: nothing that could break a header, a log line or JSON.
bool is_mask_safe(char c) {
    return is_base62(c) || c == '-' || c == '_';
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// HTTP optional whitespace: the only blanks NGINX leaves in a header value.
std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// The token of "Bearer <token>"; empty for another scheme or no token.
std::string_view bearer_token(std::string_view authorization) {
    constexpr std::string_view scheme = "bearer";
    std::string_view v = trim(authorization);
    if (v.size() <= scheme.size()) return {};
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        if (ascii_lower(v[i]) != scheme[i]) return {};
    }
    // "Bearerxyz" is another scheme, not a bearer token.
    if (v[scheme.size()] != ' ' && v[scheme.size()] != '\t') return {};
    return trim(v.substr(scheme.size()));
}

// n uniform base62 characters. 248 = 4 * 62: a byte below it, taken mod 62, hits every
// character exactly 4 ways, so rejecting 248..255 leaves no bias.
bool random_base62(char* out, std::size_t n) {
    unsigned char buf[64];
    std::size_t have = 0;
    while (have < n) {
        if (RAND_bytes(buf, sizeof(buf)) != 1) {
            OPENSSL_cleanse(buf, sizeof(buf));
            return false;
        }
        for (std::size_t i = 0; i < sizeof(buf) && have < n; ++i) {
            if (buf[i] < 248) out[have++] = base62_alphabet[buf[i] % 62];
        }
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    return true;
}

std::string random_token(std::string_view prefix, std::size_t n) {
    std::string out(prefix.size() + n, '\0');
    std::memcpy(out.data(), prefix.data(), prefix.size());
    if (!random_base62(out.data() + prefix.size(), n)) {
        OPENSSL_cleanse(out.data(), out.size());
        return {};
    }
    return out;
}

// A value quoted in an error message: printable ASCII only, bounded, since it may come from
// Redis or argv and end up in error_log.
std::string quoted(std::string_view v) {
    constexpr std::size_t max = 64;
    std::string out = "'";
    for (std::size_t i = 0; i < v.size() && i < max; ++i) {
        char c = v[i];
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    if (v.size() > max) out += "...";
    out += "'";
    return out;
}

// Unix seconds: plain decimal digits, no sign, no blanks.
std::optional<std::int64_t> parse_unix_seconds(std::string_view v) {
    if (v.empty() || v.front() < '0' || v.front() > '9') return std::nullopt;
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
    return n;
}

// The address as written, IPv4-mapped IPv6 left as IPv6 (parse_cidr needs it that way).
std::optional<ip_address> parse_address(std::string_view text) {
    char buf[64];
    if (text.empty() || text.size() >= sizeof(buf) ||
        std::memchr(text.data(), '\0', text.size()) != nullptr) {
        return std::nullopt;
    }
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    ip_address ip;
    if (text.find(':') != std::string_view::npos) {
        if (inet_pton(AF_INET6, buf, ip.bytes.data()) != 1) return std::nullopt;
        ip.v4 = false;
    } else {
        if (inet_pton(AF_INET, buf, ip.bytes.data()) != 1) return std::nullopt;
        ip.v4 = true;
    }
    return ip;
}

// ::ffff:a.b.c.d
bool is_v4_mapped(const ip_address& ip) {
    if (ip.v4) return false;
    for (std::size_t i = 0; i < 10; ++i) {
        if (ip.bytes[i] != 0) return false;
    }
    return ip.bytes[10] == 0xff && ip.bytes[11] == 0xff;
}

ip_address unmap_v4(const ip_address& ip) {
    ip_address out;
    out.v4 = true;
    std::memcpy(out.bytes.data(), ip.bytes.data() + 12, 4);
    return out;
}

// True when the first `bits` bits of a and b agree.
bool prefix_equal(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                  unsigned bits) {
    unsigned whole = bits / 8;
    if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
    unsigned rest = bits % 8;
    if (rest == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

void clear_host_bits(ip_address& ip, unsigned prefix_len) {
    unsigned total = ip.v4 ? 32 : 128;
    for (unsigned bit = prefix_len; bit < total; ++bit) {
        ip.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    }
}

// Splits a comma list into trimmed, non-empty items.
std::vector<std::string_view> split_list(std::string_view list) {
    std::vector<std::string_view> items;
    while (true) {
        std::size_t comma = list.find(',');
        std::string_view item = trim(list.substr(0, comma));
        if (!item.empty()) items.push_back(item);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return items;
}

}  // namespace

// ---- the key in a request ----

presented_key extract_key(std::string_view authorization, std::string_view x_api_key,
                          std::string_view x_goog_api_key) {
    if (std::string_view k = bearer_token(authorization); !k.empty()) {
        return {k, key_source::authorization};
    }
    if (std::string_view k = trim(x_api_key); !k.empty()) {
        return {k, key_source::x_api_key};
    }
    if (std::string_view k = trim(x_goog_api_key); !k.empty()) {
        return {k, key_source::x_goog_api_key};
    }
    return {};
}

std::string_view key_source_name(key_source s) {
    switch (s) {
    case key_source::authorization:
        return "authorization";
    case key_source::x_api_key:
        return "x-api-key";
    case key_source::x_goog_api_key:
        return "x-goog-api-key";
    case key_source::none:
        break;
    }
    return "none";
}

bool key_format_ok(std::string_view key) {
    if (!starts_with(key, key_prefix)) return false;
    std::string_view rest = key.substr(key_prefix.size());
    if (rest.size() < key_min_random_len || rest.size() > key_max_random_len) return false;
    for (char c : rest) {
        if (!is_base62(c)) return false;
    }
    return true;
}

// ---- making and hashing keys ----

std::string generate_key() {
    return random_token(key_prefix, key_random_len);
}

std::string generate_key_id() {
    return random_token(key_id_prefix, key_id_random_len);
}

bool sha256(std::string_view data, unsigned char out[32]) {
    // OpenSSL 3 looks the algorithm up on every EVP_sha256() digest and allocates a context
    // per call; on the key-check path that cost more than the hashing. Fetch once, reuse one
    // context (per thread; NGINX workers have one).
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    struct ctx_holder {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        ~ctx_holder() { EVP_MD_CTX_free(ctx); }
    };
    static thread_local ctx_holder holder;
    if (md == nullptr || holder.ctx == nullptr) {
        return false;
    }
    // An empty view may carry a null pointer; OpenSSL gets a valid one either way.
    const void* p = data.empty() ? static_cast<const void*>("") : data.data();
    unsigned int len = 0;
    return EVP_DigestInit_ex2(holder.ctx, md, nullptr) == 1 &&
           EVP_DigestUpdate(holder.ctx, p, data.size()) == 1 &&
           EVP_DigestFinal_ex(holder.ctx, out, &len) == 1 && len == 32;
}

std::string hex_digest(const unsigned char digest[32]) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out(sha256_hex_len, '0');
    for (std::size_t i = 0; i < 32; ++i) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0x0f];
    }
    return out;
}

std::string sha256_hex(std::string_view data) {
    unsigned char md[32];
    if (!sha256(data, md)) {
        return {};
    }
    return hex_digest(md);
}

std::string mask_key(std::string_view key) {
    std::string out;
    std::string_view rest = key;
    if (starts_with(key, key_prefix)) {
        out = key_prefix;
        rest.remove_prefix(key_prefix.size());
    }
    out += ellipsis;
    // At least 8 characters stay hidden, so a short value is never (nearly) revealed.
    if (rest.size() >= 12) {
        std::string_view tail = rest.substr(rest.size() - 4);
        bool safe = true;
        for (char c : tail) safe = safe && is_mask_safe(c);
        if (safe) out += tail;
    }
    return out;
}

std::string mask_from_last4(std::string_view last4) {
    std::string out(key_prefix);
    out += ellipsis;
    bool safe = last4.size() == 4;
    for (char c : last4) safe = safe && is_mask_safe(c);
    if (safe) out += last4;
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    // The length is not the secret (a sha256 hex is always 64); the bytes are.
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// ---- IP addresses and CIDR blocks ----

std::optional<ip_address> parse_ip(std::string_view text) {
    std::optional<ip_address> ip = parse_address(text);
    if (ip && is_v4_mapped(*ip)) return unmap_v4(*ip);
    return ip;
}

cidr_parse_result parse_cidr(std::string_view text) {
    cidr_parse_result r;
    auto fail = [&](std::string_view why) {
        r.error = "bad CIDR " + quoted(text) + ": ";
        r.error += why;
        return r;
    };
    if (text.empty()) return fail("empty");
    std::size_t slash = text.find('/');
    std::optional<ip_address> ip = parse_address(text.substr(0, slash));
    if (!ip) return fail("not an IPv4 or IPv6 address");
    unsigned max = ip->v4 ? 32 : 128;
    unsigned prefix_len = max;
    if (slash != std::string_view::npos) {
        std::string_view p = text.substr(slash + 1);
        // Plain decimal: no sign, no blanks, no leading zeros ("/08" is a typo, not 8).
        bool digits = !p.empty() && p.size() <= 3 && !(p.size() > 1 && p.front() == '0');
        for (char c : p) digits = digits && c >= '0' && c <= '9';
        if (!digits) return fail("prefix length is not a number");
        std::from_chars(p.data(), p.data() + p.size(), prefix_len);
        if (prefix_len > max) {
            return fail(ip->v4 ? "prefix length must be 0..32" : "prefix length must be 0..128");
        }
    }
    // A block inside ::ffff:0:0/96 names IPv4 clients; store it as the IPv4 block so it meets
    // them the same way a plain IPv4 rule would.
    if (is_v4_mapped(*ip) && prefix_len >= 96) {
        *ip = unmap_v4(*ip);
        prefix_len -= 96;
    }
    clear_host_bits(*ip, prefix_len);
    r.ok = true;
    r.block.base = *ip;
    r.block.prefix_len = prefix_len;
    return r;
}

cidr_list_result parse_cidr_list(std::string_view list) {
    cidr_list_result r;
    for (std::string_view item : split_list(list)) {
        cidr_parse_result c = parse_cidr(item);
        if (!c.ok) {
            r.blocks.clear();
            r.error = std::move(c.error);
            return r;
        }
        r.blocks.push_back(c.block);
    }
    r.ok = true;
    return r;
}

bool cidr_contains(const cidr_block& block, const ip_address& ip) {
    if (block.base.v4 != ip.v4) return false;
    return prefix_equal(block.base.bytes, ip.bytes, block.prefix_len);
}

std::string format_cidr(const cidr_block& block) {
    char buf[INET6_ADDRSTRLEN];
    if (inet_ntop(block.base.v4 ? AF_INET : AF_INET6, block.base.bytes.data(), buf,
                  sizeof(buf)) == nullptr) {
        return {};
    }
    std::string out = buf;
    out += "/";
    out += std::to_string(block.prefix_len);
    return out;
}

// ---- the key record ----

std::string_view key_status_name(key_status s) {
    return s == key_status::active ? "active" : "disabled";
}

model_list_result parse_model_list(std::string_view list) {
    model_list_result r;
    for (std::string_view item : split_list(list)) {
        std::size_t star = item.find('*');
        if (star != std::string_view::npos && star != item.size() - 1) {
            r.models.clear();
            r.error = "bad model pattern " + quoted(item) + ": '*' only at the end";
            return r;
        }
        for (char c : item) {
            auto u = static_cast<unsigned char>(c);
            if (u <= 0x20 || u == 0x7f) {
                r.models.clear();
                r.error = "bad model name " + quoted(item) + ": blank or control character";
                return r;
            }
        }
        r.models.emplace_back(item);
    }
    if (r.models.empty()) {
        r.error = "no models (write * for any model)";
        return r;
    }
    r.ok = true;
    return r;
}

std::string join_model_list(const std::vector<std::string>& models) {
    std::string out;
    for (const std::string& m : models) {
        if (!out.empty()) out += ",";
        out += m;
    }
    return out;
}

key_decode_result decode_key_record(
    const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
    key_decode_result r;
    key_record& rec = r.record;
    bool seen_id = false, seen_status = false, seen_models = false;
    auto fail = [&](std::string_view field, const std::string& why) {
        r.ok = false;
        r.record = key_record{};
        r.error = std::string(field) + ": " + why;
        return r;
    };
    for (const auto& [f, v] : fields) {
        if (f == key_field::id) {
            if (v.empty()) return fail(f, "empty");
            rec.id = v;
            seen_id = true;
        } else if (f == key_field::name) {
            rec.name = v;
        } else if (f == key_field::owner) {
            rec.owner = v;
        } else if (f == key_field::group) {
            rec.group = v;
        } else if (f == key_field::status) {
            if (v == key_status_name(key_status::active)) {
                rec.status = key_status::active;
            } else if (v == key_status_name(key_status::disabled)) {
                rec.status = key_status::disabled;
            } else {
                return fail(f, quoted(v) + " is not active or disabled");
            }
            seen_status = true;
        } else if (f == key_field::expires_at || f == key_field::created_at) {
            std::optional<std::int64_t> n = parse_unix_seconds(v);
            if (!n) return fail(f, quoted(v) + " is not unix seconds");
            (f == key_field::expires_at ? rec.expires_at : rec.created_at) = *n;
        } else if (f == key_field::models) {
            model_list_result m = parse_model_list(v);
            if (!m.ok) return fail(f, m.error);
            rec.models = std::move(m.models);
            seen_models = true;
        } else if (f == key_field::ip_allow) {
            cidr_list_result c = parse_cidr_list(v);
            if (!c.ok) return fail(f, c.error);
            rec.ip_allow = std::move(c.blocks);
        } else if (f == key_field::last4) {
            rec.last4 = v;
        }
    }
    if (!seen_id) return fail(key_field::id, "missing");
    if (!seen_status) return fail(key_field::status, "missing");
    if (!seen_models) return fail(key_field::models, "missing");
    r.ok = true;
    return r;
}

std::vector<std::pair<std::string, std::string>> encode_key_record(const key_record& r) {
    std::string ip_allow;
    for (const cidr_block& b : r.ip_allow) {
        if (!ip_allow.empty()) ip_allow += ",";
        ip_allow += format_cidr(b);
    }
    std::vector<std::pair<std::string, std::string>> out;
    out.emplace_back(key_field::id, r.id);
    out.emplace_back(key_field::name, r.name);
    out.emplace_back(key_field::owner, r.owner);
    out.emplace_back(key_field::group, r.group);
    out.emplace_back(key_field::status, key_status_name(r.status));
    out.emplace_back(key_field::expires_at, std::to_string(r.expires_at));
    out.emplace_back(key_field::models, join_model_list(r.models));
    out.emplace_back(key_field::ip_allow, std::move(ip_allow));
    out.emplace_back(key_field::created_at, std::to_string(r.created_at));
    out.emplace_back(key_field::last4, r.last4);
    return out;
}

bool model_allowed(const key_record& r, std::string_view model) {
    for (const std::string& pattern : r.models) {
        if (!pattern.empty() && pattern.back() == '*') {
            if (starts_with(model, std::string_view(pattern).substr(0, pattern.size() - 1))) {
                return true;
            }
        } else if (model == pattern) {
            return true;
        }
    }
    return false;
}

bool ip_allowed(const key_record& r, std::string_view client_ip) {
    if (r.ip_allow.empty()) return true;
    std::optional<ip_address> ip = parse_ip(client_ip);
    if (!ip) return false;
    for (const cidr_block& b : r.ip_allow) {
        if (cidr_contains(b, *ip)) return true;
    }
    return false;
}

// ---- the checks ----

key_check_result key_check(const key_record& r, std::int64_t now, std::string_view client_ip,
                           std::optional<std::string_view> model) {
    if (r.status != key_status::active) return key_check_result::disabled;
    if (r.expires_at != 0 && now >= r.expires_at) return key_check_result::expired;
    if (!ip_allowed(r, client_ip)) return key_check_result::ip_not_allowed;
    if (model && !model_allowed(r, *model)) return key_check_result::model_not_allowed;
    return key_check_result::ok;
}

std::string_view key_check_name(key_check_result c) {
    switch (c) {
    case key_check_result::ok:
        return "ok";
    case key_check_result::disabled:
        return "key_disabled";
    case key_check_result::expired:
        return "key_expired";
    case key_check_result::ip_not_allowed:
        return "ip_not_allowed";
    case key_check_result::model_not_allowed:
        return "model_not_allowed";
    }
    return "unknown";
}

api_error key_check_error(key_check_result c, std::string_view model) {
    switch (c) {
    case key_check_result::disabled:
        return key_disabled_error();
    case key_check_result::expired:
        return key_expired_error();
    case key_check_result::ip_not_allowed:
        return ip_not_allowed_error();
    case key_check_result::model_not_allowed:
        return model_not_allowed_error(model);
    case key_check_result::ok:
        break;
    }
    return error_for_status(500);
}

}  // namespace aigw
