#include "aigw/keys/key_text.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>

#include "aigw/text/strings.hpp"

namespace aigw {

namespace {

constexpr char base62_alphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view ellipsis = "\xE2\x80\xA6";  // U+2026, UTF-8

// One load per character: every request's key goes through key_format_ok.
struct base62_table {
    bool in[256] = {};
    constexpr base62_table() {
        for (char c : std::string_view(base62_alphabet)) {
            in[static_cast<unsigned char>(c)] = true;
        }
    }
};
constexpr base62_table base62_chars;

bool is_base62(char c) {
    return base62_chars.in[static_cast<unsigned char>(c)];
}

// What mask_key may echo: nothing that could break a header, a log line or JSON.
bool is_mask_safe(char c) {
    return is_base62(c) || c == '-' || c == '_';
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

}  // namespace

// ---- the key in a request ----

presented_key extract_key(std::string_view authorization, std::string_view x_api_key,
                          std::string_view x_goog_api_key, std::string_view query_key) {
    if (std::string_view k = bearer_token(authorization); !k.empty()) {
        return {k, key_source::authorization};
    }
    if (std::string_view k = trim(x_api_key); !k.empty()) {
        return {k, key_source::x_api_key};
    }
    if (std::string_view k = trim(x_goog_api_key); !k.empty()) {
        return {k, key_source::x_goog_api_key};
    }
    if (std::string_view k = trim(query_key); !k.empty()) {
        return {k, key_source::query};
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
    case key_source::query:
        return "query";
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

void hex_digest(const unsigned char digest[32], char out[sha256_hex_len]) {
    static constexpr char hex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < 32; ++i) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0x0f];
    }
}

std::string hex_digest(const unsigned char digest[32]) {
    std::string out(sha256_hex_len, '0');
    hex_digest(digest, out.data());
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

}  // namespace aigw
