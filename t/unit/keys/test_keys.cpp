// Client keys: extraction from headers, format, generation, hashing, masking, comparison,
// the Redis record, the access checks and their order, model patterns, CIDR matching, and the
// OpenAI errors the checks answer with.
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aigw/dialects/openai_chat/error.hpp"
#include "aigw/api/error.hpp"
#include "aigw/keys/cidr.hpp"
#include "aigw/keys/key_record.hpp"
#include "aigw/keys/key_text.hpp"
#include "aigw/schema.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

using namespace std::string_view_literals;
using aigw::key_check_result;
using aigw::key_record;
using aigw::key_source;
using aigw::key_status;

namespace {

using field_list = std::vector<std::pair<std::string_view, std::string_view>>;

const std::string_view ellipsis = "\xE2\x80\xA6";

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

bool is_base62(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int base62_index(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return c - 'a' + 36;
}

// A well-formed key with a recognisable random part of n characters.
std::string sample_key(std::size_t n = 48, char fill = 'x') {
    std::string k = "sk-aigw-";
    for (std::size_t i = 0; i < n; ++i) {
        k += (i + 4 >= n) ? static_cast<char>('A' + (n - i)) : fill;
    }
    return k;
}

void assert_extracted(std::string_view auth, std::string_view xkey, std::string_view goog,
                      std::string_view expected, key_source source) {
    aigw::presented_key p = aigw::extract_key(auth, xkey, goog);
    assert_sv_equal(p.key, expected);
    assert_int_equal(static_cast<int>(p.source), static_cast<int>(source));
}

void assert_no_key(std::string_view auth, std::string_view xkey = {},
                   std::string_view goog = {}) {
    assert_extracted(auth, xkey, goog, "", key_source::none);
}

// ---- extraction ----

void extract_bearer(void**) {
    const std::string k = sample_key();
    assert_extracted("Bearer " + k, "", "", k, key_source::authorization);
    assert_extracted("bearer " + k, "", "", k, key_source::authorization);
    assert_extracted("BEARER " + k, "", "", k, key_source::authorization);
    assert_extracted("BeArEr " + k, "", "", k, key_source::authorization);
    assert_extracted("Bearer    " + k, "", "", k, key_source::authorization);
    assert_extracted("Bearer\t" + k, "", "", k, key_source::authorization);
    assert_extracted("Bearer " + k + "  \t", "", "", k, key_source::authorization);
    assert_extracted("  Bearer " + k, "", "", k, key_source::authorization);
    // The view points into the header value, no copy.
    const std::string header = "Bearer " + k;
    aigw::presented_key p = aigw::extract_key(header, {}, {});
    assert_ptr_equal(p.key.data(), header.data() + 7);
}

void extract_other_headers(void**) {
    const std::string k = sample_key();
    assert_extracted("", k, "", k, key_source::x_api_key);
    assert_extracted("", "  " + k + " ", "", k, key_source::x_api_key);
    assert_extracted("", "", k, k, key_source::x_goog_api_key);
    assert_extracted("", "", "\t" + k + "\t", k, key_source::x_goog_api_key);
    // Precedence: Authorization, then x-api-key, then x-goog-api-key.
    assert_extracted("Bearer a", "b", "c", "a", key_source::authorization);
    assert_extracted("", "b", "c", "b", key_source::x_api_key);
    // ?key= (Gemini clients) comes last: any header wins over it.
    assert_true(aigw::extract_key("", "", "", k).source == key_source::query);
    assert_sv_equal(aigw::extract_key("", "", " " + k + " ", "q").key, k);
    assert_sv_equal(aigw::extract_key("", "", "", " " + k).key, k);
    assert_true(aigw::extract_key("", "", "", "").source == key_source::none);
    // x-api-key carries the bare key: a "Bearer " in it is part of what was presented.
    assert_extracted("", "Bearer " + k, "", "Bearer " + k, key_source::x_api_key);
}

void extract_odd_headers(void**) {
    const std::string k = sample_key();
    assert_no_key("");
    assert_no_key("", "", "");
    assert_no_key("Bearer");
    assert_no_key("Bearer ");
    assert_no_key("Bearer \t  ");
    assert_no_key("bearer");
    assert_no_key("Bearerx");
    assert_no_key("Bearer" + k);          // no separator: another scheme
    assert_no_key("Basic dXNlcjpwYXNz");
    assert_no_key("Token " + k);
    assert_no_key(k);                     // a bare key in Authorization is not Bearer auth
    assert_no_key("Bear " + k);
    assert_no_key("   ");
    assert_no_key("", "   ", "\t");
    // An unusable Authorization falls through to the other headers.
    assert_extracted("Basic dXNlcjpwYXNz", k, "", k, key_source::x_api_key);
    assert_extracted("Bearer ", "", k, k, key_source::x_goog_api_key);
    assert_extracted("", "  ", k, k, key_source::x_goog_api_key);
    // Whatever follows the scheme is the presented key, even if malformed; the format check
    // and the lookup refuse it later (invalid_api_key, not missing_api_key).
    assert_extracted("Bearer a b", "", "", "a b", key_source::authorization);
    assert_extracted("Bearer Bearer x", "", "", "Bearer x", key_source::authorization);
    assert_extracted("Bearer " + k + ", Bearer other", "", "", k + ", Bearer other",
                     key_source::authorization);
    assert_extracted("Bearer \xff\xfe", "", "", "\xff\xfe", key_source::authorization);
    assert_extracted("Bearer x\0y"sv, "", "", "x\0y"sv, key_source::authorization);
}

void source_names(void**) {
    assert_sv_equal(aigw::key_source_name(key_source::none), "none");
    assert_sv_equal(aigw::key_source_name(key_source::authorization), "authorization");
    assert_sv_equal(aigw::key_source_name(key_source::x_api_key), "x-api-key");
    assert_sv_equal(aigw::key_source_name(key_source::x_goog_api_key), "x-goog-api-key");
    assert_sv_equal(aigw::key_source_name(key_source::query), "query");
}

// ---- format ----

void format_accepted(void**) {
    assert_true(aigw::key_format_ok(sample_key(48)));
    assert_true(aigw::key_format_ok(sample_key(40)));
    assert_true(aigw::key_format_ok(sample_key(41)));
    assert_true(aigw::key_format_ok(sample_key(128)));
    assert_true(aigw::key_format_ok(
        "sk-aigw-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"));
}

void format_refused(void**) {
    assert_false(aigw::key_format_ok(""));
    assert_false(aigw::key_format_ok("sk-aigw-"));
    assert_false(aigw::key_format_ok(sample_key(39)));
    assert_false(aigw::key_format_ok(sample_key(129)));
    assert_false(aigw::key_format_ok(sample_key(4096)));
    std::string k = sample_key();
    assert_false(aigw::key_format_ok("SK-AIGW-" + k.substr(8)));
    assert_false(aigw::key_format_ok("sk-proj-" + k.substr(8)));
    assert_false(aigw::key_format_ok("sk-" + k.substr(8)));
    assert_false(aigw::key_format_ok(k.substr(8)));
    assert_false(aigw::key_format_ok(" " + k));
    assert_false(aigw::key_format_ok(k + " "));
    for (char bad : {'-', '_', '+', '/', '=', '.', ' ', '\t', '\n', '\0', '\x7f'}) {
        std::string b = k;
        b[20] = bad;
        assert_false(aigw::key_format_ok(b));
    }
    std::string utf8 = k;
    utf8.replace(20, 2, "\xc3\xa9");
    assert_false(aigw::key_format_ok(utf8));
    // Every byte value in the random part: only [0-9A-Za-z] is accepted.
    for (int c = 0; c < 256; ++c) {
        std::string b = k;
        b[20] = static_cast<char>(c);
        bool base62 = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        assert_int_equal(aigw::key_format_ok(b), base62);
    }
}

// ---- generation ----

void generated_key_shape(void**) {
    assert_int_equal(aigw::key_random_len, 48);
    for (int i = 0; i < 100; ++i) {
        std::string k = aigw::generate_key();
        assert_int_equal(k.size(), 8 + 48);
        assert_true(k.compare(0, 8, "sk-aigw-") == 0);
        for (std::size_t j = 8; j < k.size(); ++j) assert_true(is_base62(k[j]));
        assert_true(aigw::key_format_ok(k));
    }
}

void generated_keys_unique_and_unbiased(void**) {
    const std::size_t n = 2000;
    std::set<std::string> seen;
    int counts[62] = {};
    for (std::size_t i = 0; i < n; ++i) {
        std::string k = aigw::generate_key();
        for (std::size_t j = 8; j < k.size(); ++j) ++counts[base62_index(k[j])];
        assert_true(seen.insert(std::move(k)).second);
    }
    assert_int_equal(seen.size(), n);
    // 96000 characters, 1548 expected each (sd ~39). Plain `byte % 62` would give the first
    // 8 characters 1875 and the rest 1500, outside this band.
    for (int c : counts) assert_in_range(c, 1350, 1750);
}

void generated_key_ids(void**) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        std::string id = aigw::generate_key_id();
        assert_int_equal(id.size(), 4 + 16);
        assert_true(id.compare(0, 4, "key_") == 0);
        for (std::size_t j = 4; j < id.size(); ++j) assert_true(is_base62(id[j]));
        assert_true(seen.insert(std::move(id)).second);
    }
}

// ---- sha256 ----

void sha256_known_vectors(void**) {
    // FIPS 180-2 examples.
    assert_sv_equal(aigw::sha256_hex(""),
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_sv_equal(aigw::sha256_hex(std::string_view()),
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_sv_equal(aigw::sha256_hex("abc"),
                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_sv_equal(aigw::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    assert_sv_equal(aigw::sha256_hex(std::string(1000000, 'a')),
                    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    // Binary-safe: NUL bytes are data, not the end.
    assert_sv_equal(aigw::sha256_hex("\0abc\0"sv),
                    "fd357b81c2fa2818e49c4627dcadcdb1667ddcc505621a675d6a02b6bcd195f3");
    assert_sv_equal(aigw::sha256_hex("sk-aigw-" + std::string(48, 'A')),
                    "0f02598e8afab6f0cd43330d7722e17038469aa99ced4faeb27142fd4328bb48");
    // Only the view's bytes count.
    const std::string longer = "abcdef";
    assert_sv_equal(aigw::sha256_hex(std::string_view(longer).substr(0, 3)),
                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// ---- masking ----

void mask_normal_keys(void**) {
    const std::string k = "sk-aigw-" + std::string(44, 'q') + "WxY9";
    assert_sv_equal(aigw::mask_key(k), "sk-aigw-\xE2\x80\xA6WxY9");
    for (int i = 0; i < 50; ++i) {
        std::string g = aigw::generate_key();
        std::string m = aigw::mask_key(g);
        assert_sv_equal(m, "sk-aigw-" + std::string(ellipsis) + g.substr(g.size() - 4));
        // Nothing of the random part beyond the last 4 characters.
        assert_true(m.find(g.substr(8, 8)) == std::string::npos);
        assert_true(m.find(g.substr(g.size() - 5)) == std::string::npos);
    }
}

void mask_short_and_odd_keys(void**) {
    assert_sv_equal(aigw::mask_key(""), ellipsis);
    assert_sv_equal(aigw::mask_key("a"), ellipsis);
    assert_sv_equal(aigw::mask_key("abcd"), ellipsis);
    assert_sv_equal(aigw::mask_key("abcdefghijk"), ellipsis);              // 11: too short
    assert_sv_equal(aigw::mask_key("abcdefghijkl"), std::string(ellipsis) + "ijkl");
    assert_sv_equal(aigw::mask_key("sk-aigw-"), "sk-aigw-\xE2\x80\xA6");
    assert_sv_equal(aigw::mask_key("sk-aigw-abcd"), "sk-aigw-\xE2\x80\xA6");
    assert_sv_equal(aigw::mask_key("sk-aigw-abcdefghijk"), "sk-aigw-\xE2\x80\xA6");
    assert_sv_equal(aigw::mask_key("sk-aigw-abcdefghijkl"), "sk-aigw-\xE2\x80\xA6ijkl");
    // Another vendor's key: no prefix claimed, the tail as usual.
    assert_sv_equal(aigw::mask_key("sk-proj-abcdefghijklmnop"), std::string(ellipsis) + "mnop");
    // A tail that could break a header, a log line or JSON is not echoed at all.
    assert_sv_equal(aigw::mask_key("sk-aigw-abcdefghij\r\nXY"), "sk-aigw-\xE2\x80\xA6");
    assert_sv_equal(aigw::mask_key("sk-aigw-abcdefghijab\"}"), "sk-aigw-\xE2\x80\xA6");
    assert_sv_equal(aigw::mask_key("sk-aigw-abcdefghijab\xc3\xa9"), "sk-aigw-\xE2\x80\xA6");
    assert_sv_equal(aigw::mask_key("sk-aigw-abcdefghijab\0\0"sv), "sk-aigw-\xE2\x80\xA6");
    assert_sv_equal(aigw::mask_key("sk-aigw-abcdefghij-_a1"), "sk-aigw-\xE2\x80\xA6-_a1");
}

void mask_from_last4(void**) {
    assert_sv_equal(aigw::mask_from_last4("abcd"), "sk-aigw-\xE2\x80\xA6" "abcd");
    assert_sv_equal(aigw::mask_from_last4(""), "sk-aigw-\xE2\x80\xA6");
    assert_sv_equal(aigw::mask_from_last4("abc"), "sk-aigw-\xE2\x80\xA6");
    assert_sv_equal(aigw::mask_from_last4("abcde"), "sk-aigw-\xE2\x80\xA6");
    assert_sv_equal(aigw::mask_from_last4("ab\ncd"), "sk-aigw-\xE2\x80\xA6");
    assert_sv_equal(aigw::mask_from_last4("a b!"), "sk-aigw-\xE2\x80\xA6");
}

// ---- constant-time equality ----

void constant_time_equality(void**) {
    const std::string a = aigw::sha256_hex("one");
    std::string b = a;
    assert_true(aigw::constant_time_equal(a, b));
    for (std::size_t i = 0; i < a.size(); ++i) {
        std::string c = a;
        c[i] ^= 0x01;
        assert_false(aigw::constant_time_equal(a, c));
        assert_false(aigw::constant_time_equal(c, a));
    }
    assert_true(aigw::constant_time_equal("", ""));
    assert_true(aigw::constant_time_equal(std::string_view(), ""));
    assert_false(aigw::constant_time_equal("", "a"));
    assert_false(aigw::constant_time_equal("a", ""));
    // A prefix is not equal, and neither side is read past its end (ASan watches).
    std::unique_ptr<char[]> shorter(new char[3]);
    std::memcpy(shorter.get(), "abc", 3);
    assert_false(aigw::constant_time_equal(std::string_view(shorter.get(), 3), "abcd"));
    assert_false(aigw::constant_time_equal("abcd", std::string_view(shorter.get(), 3)));
    assert_true(aigw::constant_time_equal(std::string_view(shorter.get(), 3), "abc"));
    assert_true(aigw::constant_time_equal("a\0b"sv, "a\0b"sv));
    assert_false(aigw::constant_time_equal("a\0b"sv, "a\0c"sv));
}

// ---- the record ----

field_list full_fields() {
    return {
        {"id", "key_0123456789abcdef"},
        {"name", "ci runner"},
        {"owner", "ops@example.com"},
        {"group", "default"},
        {"status", "active"},
        {"expires_at", "1900000000"},
        {"models", "gpt-4o, gpt-4o-mini,claude-*"},
        {"ip_allow", "10.0.0.0/8, 2001:db8::/32"},
        {"created_at", "1700000000"},
        {"last4", "WxY9"},
    };
}

field_list with(field_list f, std::string_view name, std::string_view value) {
    for (auto& [k, v] : f) {
        if (k == name) {
            v = value;
            return f;
        }
    }
    f.emplace_back(name, value);
    return f;
}

field_list without(field_list f, std::string_view name) {
    field_list out;
    for (auto& kv : f) {
        if (kv.first != name) out.push_back(kv);
    }
    return out;
}

void assert_decode_fails(const field_list& f, std::string_view error_starts) {
    aigw::key_decode_result r = aigw::decode_key_record(f);
    if (r.ok || r.error.compare(0, error_starts.size(), error_starts) != 0) {
        print_error("error [%s], expected it to start with [%.*s]\n", r.error.c_str(),
                    static_cast<int>(error_starts.size()), error_starts.data());
    }
    assert_false(r.ok);
    assert_true(r.error.compare(0, error_starts.size(), error_starts) == 0);
    // A failed decode leaves nothing half-filled behind.
    assert_true(r.record.id.empty());
    assert_true(r.record.models.empty());
}

void decode_full_record(void**) {
    aigw::key_decode_result r = aigw::decode_key_record(full_fields());
    assert_true(r.ok);
    assert_true(r.error.empty());
    const key_record& k = r.record;
    assert_sv_equal(k.id, "key_0123456789abcdef");
    assert_sv_equal(k.name, "ci runner");
    assert_sv_equal(k.owner, "ops@example.com");
    assert_sv_equal(k.group, "default");
    assert_int_equal(static_cast<int>(k.status), static_cast<int>(key_status::active));
    assert_int_equal(k.expires_at, 1900000000);
    assert_int_equal(k.created_at, 1700000000);
    assert_int_equal(k.models.size(), 3);
    assert_sv_equal(k.models[0], "gpt-4o");
    assert_sv_equal(k.models[1], "gpt-4o-mini");
    assert_sv_equal(k.models[2], "claude-*");
    assert_int_equal(k.ip_allow.size(), 2);
    assert_sv_equal(aigw::format_cidr(k.ip_allow[0]), "10.0.0.0/8");
    assert_sv_equal(aigw::format_cidr(k.ip_allow[1]), "2001:db8::/32");
    assert_sv_equal(k.last4, "WxY9");

    aigw::key_decode_result d = aigw::decode_key_record(with(full_fields(), "status", "disabled"));
    assert_true(d.ok);
    assert_int_equal(static_cast<int>(d.record.status), static_cast<int>(key_status::disabled));
}

void decode_minimal_record(void**) {
    aigw::key_decode_result r = aigw::decode_key_record(
        {{"status", "active"}, {"models", "*"}, {"id", "key_x"}});
    assert_true(r.ok);
    assert_sv_equal(r.record.id, "key_x");
    assert_true(r.record.name.empty());
    assert_int_equal(r.record.expires_at, 0);
    assert_int_equal(r.record.created_at, 0);
    assert_true(r.record.ip_allow.empty());
    assert_int_equal(r.record.models.size(), 1);
    assert_sv_equal(r.record.models[0], "*");
    // ip_allow present but empty: any address.
    r = aigw::decode_key_record(with(full_fields(), "ip_allow", ""));
    assert_true(r.ok);
    assert_true(r.record.ip_allow.empty());
    r = aigw::decode_key_record(with(full_fields(), "ip_allow", " , "));
    assert_true(r.ok);
    assert_true(r.record.ip_allow.empty());
    // Fields of later features are none of this decoder's business.
    r = aigw::decode_key_record(with(with(full_fields(), "quota", "abc"), "rpm", "60"));
    assert_true(r.ok);
    // HGETALL of a key that does not exist is empty: not a record.
    assert_decode_fails({}, "id: missing");
    // expires_at 0 is "never"; big values are fine.
    r = aigw::decode_key_record(with(full_fields(), "expires_at", "0"));
    assert_true(r.ok);
    assert_int_equal(r.record.expires_at, 0);
    r = aigw::decode_key_record(with(full_fields(), "expires_at", "9223372036854775807"));
    assert_true(r.ok);
}

void decode_bad_records(void**) {
    assert_decode_fails(without(full_fields(), "id"), "id: missing");
    assert_decode_fails(with(full_fields(), "id", ""), "id: empty");
    assert_decode_fails(without(full_fields(), "status"), "status: missing");
    assert_decode_fails(without(full_fields(), "models"), "models: missing");
    for (std::string_view s : {"", "Active", "ACTIVE", "enabled", "active ", "revoked", "1"}) {
        assert_decode_fails(with(full_fields(), "status", s), "status: ");
    }
    for (std::string_view v : {"", "abc", "-1", "+5", " 5", "5 ", "1.5", "1e9", "0x10",
                               "99999999999999999999", "12abc"}) {
        assert_decode_fails(with(full_fields(), "expires_at", v), "expires_at: ");
        assert_decode_fails(with(full_fields(), "created_at", v), "created_at: ");
    }
    assert_decode_fails(with(full_fields(), "models", ""), "models: no models");
    assert_decode_fails(with(full_fields(), "models", " , ,"), "models: no models");
    assert_decode_fails(with(full_fields(), "models", "gpt-*-mini"), "models: bad model pattern");
    assert_decode_fails(with(full_fields(), "models", "**"), "models: bad model pattern");
    assert_decode_fails(with(full_fields(), "models", "*gpt"), "models: bad model pattern");
    assert_decode_fails(with(full_fields(), "models", "gpt 4o"), "models: bad model name");
    assert_decode_fails(with(full_fields(), "models", "gpt\x01"), "models: bad model name");
    assert_decode_fails(with(full_fields(), "ip_allow", "10.0.0.0/33"), "ip_allow: bad CIDR");
    assert_decode_fails(with(full_fields(), "ip_allow", "10.0.0.0/8,nope"),
                        "ip_allow: bad CIDR 'nope'");
    assert_decode_fails(with(full_fields(), "ip_allow", "*"), "ip_allow: bad CIDR");
    // The value is quoted printable and bounded: safe for error_log.
    aigw::key_decode_result r =
        aigw::decode_key_record(with(full_fields(), "status", "x\r\ny" + std::string(500, 'z')));
    assert_false(r.ok);
    assert_true(r.error.find('\r') == std::string::npos);
    assert_true(r.error.find('\n') == std::string::npos);
    assert_true(r.error.size() < 150);
}

void encode_round_trip(void**) {
    aigw::key_decode_result r = aigw::decode_key_record(full_fields());
    assert_true(r.ok);
    auto encoded = aigw::encode_key_record(r.record);
    // Every field of the schema, each once.
    std::map<std::string, std::string> m(encoded.begin(), encoded.end());
    assert_int_equal(m.size(), encoded.size());
    assert_int_equal(m.size(), 10);
    assert_sv_equal(m["id"], "key_0123456789abcdef");
    assert_sv_equal(m["status"], "active");
    assert_sv_equal(m["expires_at"], "1900000000");
    assert_sv_equal(m["models"], "gpt-4o,gpt-4o-mini,claude-*");
    assert_sv_equal(m["ip_allow"], "10.0.0.0/8,2001:db8::/32");
    assert_sv_equal(m["created_at"], "1700000000");
    assert_sv_equal(m["last4"], "WxY9");
    for (std::string_view f : {aigw::key_field::id, aigw::key_field::name, aigw::key_field::owner,
                               aigw::key_field::group, aigw::key_field::status,
                               aigw::key_field::expires_at, aigw::key_field::models,
                               aigw::key_field::ip_allow, aigw::key_field::created_at,
                               aigw::key_field::last4}) {
        assert_int_equal(m.count(std::string(f)), 1);
    }
    field_list back;
    for (const auto& [k, v] : encoded) back.emplace_back(k, v);
    aigw::key_decode_result again = aigw::decode_key_record(back);
    assert_true(again.ok);
    auto encoded_again = aigw::encode_key_record(again.record);
    assert_true(encoded_again == encoded);

    key_record d;
    d.id = "key_y";
    d.status = key_status::disabled;
    d.models = {"*"};
    auto e = aigw::encode_key_record(d);
    std::map<std::string, std::string> dm(e.begin(), e.end());
    assert_sv_equal(dm["status"], "disabled");
    assert_sv_equal(dm["ip_allow"], "");
    assert_sv_equal(dm["expires_at"], "0");
}

// ---- models ----

key_record record_with_models(std::string_view list) {
    aigw::model_list_result m = aigw::parse_model_list(list);
    assert_true(m.ok);
    key_record r;
    r.id = "key_m";
    r.models = m.models;
    return r;
}

void model_lists(void**) {
    key_record any = record_with_models("*");
    assert_true(aigw::model_allowed(any, "gpt-4o"));
    assert_true(aigw::model_allowed(any, "anything/at-all"));
    assert_true(aigw::model_allowed(any, ""));

    key_record exact = record_with_models("gpt-4o,gpt-4o-mini");
    assert_true(aigw::model_allowed(exact, "gpt-4o"));
    assert_true(aigw::model_allowed(exact, "gpt-4o-mini"));
    assert_false(aigw::model_allowed(exact, "gpt-4o-2024-08-06"));
    assert_false(aigw::model_allowed(exact, "GPT-4o"));
    assert_false(aigw::model_allowed(exact, "gpt-4"));
    assert_false(aigw::model_allowed(exact, "gpt-4o "));
    assert_false(aigw::model_allowed(exact, ""));
    assert_false(aigw::model_allowed(exact, "gpt-4o,gpt-4o-mini"));

    key_record prefix = record_with_models("gpt-4o*, claude-3-5-sonnet");
    assert_true(aigw::model_allowed(prefix, "gpt-4o"));
    assert_true(aigw::model_allowed(prefix, "gpt-4o-mini"));
    assert_true(aigw::model_allowed(prefix, "gpt-4o-2024-08-06"));
    assert_false(aigw::model_allowed(prefix, "gpt-4"));
    assert_false(aigw::model_allowed(prefix, "gpt-4-turbo"));
    assert_false(aigw::model_allowed(prefix, "xgpt-4o"));
    assert_true(aigw::model_allowed(prefix, "claude-3-5-sonnet"));
    assert_false(aigw::model_allowed(prefix, "claude-3-5-sonnet-latest"));

    key_record none;
    assert_false(aigw::model_allowed(none, "gpt-4o"));
}

void model_list_parsing(void**) {
    aigw::model_list_result m = aigw::parse_model_list(" a , b,,c ,");
    assert_true(m.ok);
    assert_int_equal(m.models.size(), 3);
    assert_sv_equal(aigw::join_model_list(m.models), "a,b,c");
    m = aigw::parse_model_list("meta-llama/Llama-3-8B,org/*");
    assert_true(m.ok);
    assert_int_equal(m.models.size(), 2);
    assert_false(aigw::parse_model_list("").ok);
    assert_false(aigw::parse_model_list("a*b").ok);
    assert_false(aigw::parse_model_list("a,\tb c").ok);
    assert_false(aigw::parse_model_list("a\x7f").ok);
    m = aigw::parse_model_list("ok,bad*one");
    assert_false(m.ok);
    assert_true(m.models.empty());
    assert_true(m.error.find("'bad*one'") != std::string::npos);
}

// ---- CIDR ----

aigw::cidr_block cidr(std::string_view text) {
    aigw::cidr_parse_result r = aigw::parse_cidr(text);
    if (!r.ok) print_error("parse_cidr(%.*s): %s\n", static_cast<int>(text.size()), text.data(),
                           r.error.c_str());
    assert_true(r.ok);
    return r.block;
}

bool contains(std::string_view block, std::string_view ip_text) {
    std::optional<aigw::ip_address> ip = aigw::parse_ip(ip_text);
    if (!ip) print_error("parse_ip(%.*s) failed\n", static_cast<int>(ip_text.size()),
                         ip_text.data());
    assert_true(ip.has_value());
    return aigw::cidr_contains(cidr(block), *ip);
}

void cidr_v4(void**) {
    assert_true(contains("10.0.0.0/8", "10.0.0.0"));
    assert_true(contains("10.0.0.0/8", "10.1.2.3"));
    assert_true(contains("10.0.0.0/8", "10.255.255.255"));
    assert_false(contains("10.0.0.0/8", "11.0.0.0"));
    assert_false(contains("10.0.0.0/8", "9.255.255.255"));
    assert_true(contains("192.168.16.0/20", "192.168.31.255"));
    assert_false(contains("192.168.16.0/20", "192.168.32.0"));
    assert_false(contains("192.168.16.0/20", "192.168.15.255"));
    assert_true(contains("0.0.0.0/0", "1.2.3.4"));
    assert_true(contains("0.0.0.0/0", "255.255.255.255"));
    assert_false(contains("0.0.0.0/0", "::1"));
    assert_false(contains("0.0.0.0/0", "2001:db8::1"));
    assert_true(contains("203.0.113.7/32", "203.0.113.7"));
    assert_false(contains("203.0.113.7/32", "203.0.113.6"));
    // A single address is a /32.
    assert_true(contains("203.0.113.7", "203.0.113.7"));
    assert_false(contains("203.0.113.7", "203.0.113.8"));
    assert_int_equal(cidr("203.0.113.7").prefix_len, 32);
    assert_true(contains("127.0.0.1/31", "127.0.0.0"));
    assert_false(contains("127.0.0.1/31", "127.0.0.2"));
    // Host bits are cleared.
    assert_sv_equal(aigw::format_cidr(cidr("10.1.2.3/8")), "10.0.0.0/8");
    assert_sv_equal(aigw::format_cidr(cidr("192.168.31.7/20")), "192.168.16.0/20");
    assert_sv_equal(aigw::format_cidr(cidr("1.2.3.4/0")), "0.0.0.0/0");
    assert_sv_equal(aigw::format_cidr(cidr("1.2.3.4")), "1.2.3.4/32");
}

void cidr_v6(void**) {
    assert_true(contains("2001:db8::/32", "2001:db8::1"));
    assert_true(contains("2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
    assert_true(contains("2001:DB8::/32", "2001:0db8:0:0:0:0:0:1"));
    assert_false(contains("2001:db8::/32", "2001:db9::"));
    assert_false(contains("2001:db8::/32", "2001:db7:ffff::"));
    assert_false(contains("2001:db8::/32", "10.0.0.1"));
    assert_true(contains("::1", "::1"));
    assert_false(contains("::1", "::2"));
    assert_int_equal(cidr("::1").prefix_len, 128);
    assert_true(contains("::/0", "2001:db8::1"));
    assert_true(contains("::/0", "fe80::1"));
    assert_false(contains("::/0", "10.0.0.1"));
    assert_true(contains("fe80::/10", "febf::1"));
    assert_false(contains("fe80::/10", "fec0::1"));
    assert_true(contains("2001:db8::/127", "2001:db8::1"));
    assert_false(contains("2001:db8::/127", "2001:db8::2"));
    assert_sv_equal(aigw::format_cidr(cidr("2001:db8:1:2::5/32")), "2001:db8::/32");
    assert_sv_equal(aigw::format_cidr(cidr("::1")), "::1/128");
    assert_sv_equal(aigw::format_cidr(cidr("2001:db8::1/0")), "::/0");
}

void cidr_v4_mapped(void**) {
    // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; IPv4 rules apply.
    assert_true(contains("10.0.0.0/8", "::ffff:10.1.2.3"));
    assert_true(contains("10.0.0.0/8", "::FFFF:10.1.2.3"));
    assert_true(contains("10.0.0.0/8", "::ffff:a01:203"));
    assert_false(contains("10.0.0.0/8", "::ffff:11.1.2.3"));
    assert_true(contains("10.1.2.3", "::ffff:10.1.2.3"));
    std::optional<aigw::ip_address> ip = aigw::parse_ip("::ffff:10.1.2.3");
    assert_true(ip.has_value());
    assert_true(ip->v4);
    // Not IPv4-mapped: stays IPv6 and does not meet IPv4 rules.
    assert_false(contains("10.0.0.0/8", "::10.1.2.3"));
    assert_false(contains("10.0.0.0/8", "::fffe:10.1.2.3"));
    assert_false(contains("10.0.0.0/8", "64:ff9b::10.1.2.3"));
    // A rule written in mapped form is the IPv4 rule it names.
    aigw::cidr_block b = cidr("::ffff:10.0.0.0/104");
    assert_true(b.base.v4);
    assert_int_equal(b.prefix_len, 8);
    assert_sv_equal(aigw::format_cidr(b), "10.0.0.0/8");
    assert_true(contains("::ffff:10.0.0.0/104", "10.9.9.9"));
    assert_true(contains("::ffff:10.0.0.0/104", "::ffff:10.9.9.9"));
    assert_false(contains("::ffff:10.0.0.0/104", "11.0.0.0"));
    assert_sv_equal(aigw::format_cidr(cidr("::ffff:1.2.3.4")), "1.2.3.4/32");
    assert_sv_equal(aigw::format_cidr(cidr("::ffff:0:0/96")), "0.0.0.0/0");
}

void assert_cidr_refused(std::string_view text) {
    aigw::cidr_parse_result r = aigw::parse_cidr(text);
    if (r.ok) print_error("accepted [%.*s]\n", static_cast<int>(text.size()), text.data());
    assert_false(r.ok);
    assert_true(r.error.compare(0, 8, "bad CIDR") == 0);
}

void cidr_bad_input(void**) {
    for (std::string_view bad :
         {""sv, "/8"sv, "/"sv, "10.0.0.0/"sv, "10.0.0.0/33"sv, "10.0.0.0/-1"sv, "10.0.0.0/+8"sv,
          "10.0.0.0/08"sv, "10.0.0.0/8/8"sv, "10.0.0.0/ 8"sv, "10.0.0.0 /8"sv, " 10.0.0.0/8"sv,
          "10.0.0.0/8 "sv, "10.0.0.0/1000"sv, "10.0.0.0/4294967304"sv, "10.0.0.0/x"sv,
          "10.0.0/8"sv, "10.0.0"sv, "10"sv, "256.0.0.0/8"sv, "10.0.0.0.0/8"sv, "1.2.3.-4"sv,
          "2001:db8::/129"sv, "2001:db8::/"sv, "2001:db8:::/32"sv, "2001:db8::g/32"sv,
          "fe80::1%eth0"sv, "[::1]"sv, "[::1]/128"sv, "::ffff:10.0.0.0/129"sv, "localhost"sv,
          "host.example.com/24"sv, "*"sv, "any"sv, "10.0.0.0/8\0"sv, "10.0.\0.0/8"sv,
          "10.0.0.0,11.0.0.0"sv}) {
        assert_cidr_refused(bad);
    }
    aigw::cidr_parse_result r = aigw::parse_cidr("10.0.0.0/33");
    assert_true(r.error.find("0..32") != std::string::npos);
    r = aigw::parse_cidr("::/200");
    assert_true(r.error.find("0..128") != std::string::npos);
    r = aigw::parse_cidr("nope\n");
    assert_true(r.error.find('\n') == std::string::npos);
    // Client addresses that are not addresses.
    for (std::string_view bad : {""sv, "unix:"sv, "10.0.0.1:80"sv, "[::1]"sv, "fe80::1%lo"sv,
                                 "10.0.0"sv, " 10.0.0.1"sv, "example.com"sv}) {
        assert_false(aigw::parse_ip(bad).has_value());
    }
}

void cidr_lists(void**) {
    aigw::cidr_list_result l = aigw::parse_cidr_list("10.0.0.0/8, 192.168.0.0/16 ,2001:db8::/32");
    assert_true(l.ok);
    assert_int_equal(l.blocks.size(), 3);
    l = aigw::parse_cidr_list("");
    assert_true(l.ok);
    assert_true(l.blocks.empty());
    l = aigw::parse_cidr_list(",, ,");
    assert_true(l.ok);
    assert_true(l.blocks.empty());
    l = aigw::parse_cidr_list("10.0.0.0/8,bad,11.0.0.0/8");
    assert_false(l.ok);
    assert_true(l.blocks.empty());
    assert_true(l.error.find("'bad'") != std::string::npos);
}

void ip_allow_rules(void**) {
    key_record r;
    r.models = {"*"};
    // Empty list: anyone, even an address that does not parse.
    assert_true(aigw::ip_allowed(r, "203.0.113.9"));
    assert_true(aigw::ip_allowed(r, "unix:"));
    r.ip_allow = aigw::parse_cidr_list("10.0.0.0/8,2001:db8::/32").blocks;
    assert_true(aigw::ip_allowed(r, "10.2.3.4"));
    assert_true(aigw::ip_allowed(r, "::ffff:10.2.3.4"));
    assert_true(aigw::ip_allowed(r, "2001:db8::7"));
    assert_false(aigw::ip_allowed(r, "203.0.113.9"));
    assert_false(aigw::ip_allowed(r, "2001:db9::7"));
    // A list is set and the client address is unusable: refused, never waved through.
    assert_false(aigw::ip_allowed(r, "unix:"));
    assert_false(aigw::ip_allowed(r, ""));
}

// ---- the checks ----

key_record restricted_record() {
    key_record r;
    r.id = "key_c";
    r.status = key_status::active;
    r.expires_at = 2000;
    r.models = {"gpt-4o*"};
    r.ip_allow = aigw::parse_cidr_list("10.0.0.0/8").blocks;
    return r;
}

void assert_check(const key_record& r, std::int64_t now, std::string_view ip,
                  std::optional<std::string_view> model, key_check_result expected) {
    key_check_result got = aigw::key_check(r, now, ip, model);
    if (got != expected) {
        std::string_view g = aigw::key_check_name(got), e = aigw::key_check_name(expected);
        print_error("key_check: got %.*s, expected %.*s\n", static_cast<int>(g.size()),
                    g.data(), static_cast<int>(e.size()), e.data());
    }
    assert_int_equal(static_cast<int>(got), static_cast<int>(expected));
}

void key_check_each_result(void**) {
    key_record r = restricted_record();
    assert_check(r, 1000, "10.1.1.1", "gpt-4o-mini", key_check_result::ok);
    assert_check(r, 1000, "10.1.1.1", std::nullopt, key_check_result::ok);
    assert_check(r, 1000, "11.1.1.1", "gpt-4o", key_check_result::ip_not_allowed);
    assert_check(r, 1000, "10.1.1.1", "gpt-4", key_check_result::model_not_allowed);
    // An empty model name is a model name, not "no model".
    assert_check(r, 1000, "10.1.1.1", ""sv, key_check_result::model_not_allowed);
    // Expiry: valid up to the second before expires_at.
    assert_check(r, 1999, "10.1.1.1", "gpt-4o", key_check_result::ok);
    assert_check(r, 2000, "10.1.1.1", "gpt-4o", key_check_result::expired);
    assert_check(r, 2001, "10.1.1.1", "gpt-4o", key_check_result::expired);
    r.expires_at = 0;  // never
    assert_check(r, INT64_MAX, "10.1.1.1", "gpt-4o", key_check_result::ok);
    r.status = key_status::disabled;
    assert_check(r, 1000, "10.1.1.1", "gpt-4o", key_check_result::disabled);
}

void key_check_order(void**) {
    // Everything wrong at once; fixing one at a time reveals the next, in the gateway's order.
    key_record r = restricted_record();
    r.status = key_status::disabled;
    const std::int64_t now = 5000;   // past expires_at
    const std::string_view ip = "192.0.2.1";
    const std::string_view model = "claude-3";
    assert_check(r, now, ip, model, key_check_result::disabled);
    r.status = key_status::active;
    assert_check(r, now, ip, model, key_check_result::expired);
    r.expires_at = 0;
    assert_check(r, now, ip, model, key_check_result::ip_not_allowed);
    assert_check(r, now, "10.0.0.1", model, key_check_result::model_not_allowed);
    assert_check(r, now, "10.0.0.1", "gpt-4o", key_check_result::ok);
}

void check_names_and_errors(void**) {
    struct row {
        key_check_result c;
        std::string_view name;
        int status;
        std::string_view type;
    };
    const row rows[] = {
        {key_check_result::disabled, "key_disabled", 401, "authentication_error"},
        {key_check_result::expired, "key_expired", 401, "authentication_error"},
        {key_check_result::ip_not_allowed, "ip_not_allowed", 403, "permission_error"},
        {key_check_result::model_not_allowed, "model_not_allowed", 403, "permission_error"},
    };
    for (const row& x : rows) {
        assert_sv_equal(aigw::key_check_name(x.c), x.name);
        aigw::api_error e = aigw::key_check_error(x.c, "gpt-x");
        assert_int_equal(e.status, x.status);
        assert_sv_equal(e.type, x.type);
        assert_sv_equal(e.code, x.name);   // the log name is the error code
        assert_false(e.message.empty());
    }
    assert_sv_equal(aigw::key_check_name(key_check_result::ok), "ok");
    assert_int_equal(aigw::key_check_error(key_check_result::ok, "").status, 500);
}

void error_factories(void**) {
    aigw::api_error e = aigw::missing_api_key_error();
    assert_int_equal(e.status, 401);
    assert_sv_equal(e.type, "authentication_error");
    assert_sv_equal(e.code, "missing_api_key");
    assert_true(starts_with(e.message, "You didn't provide an API key."));
    assert_true(e.param.empty());

    const std::string masked = aigw::mask_key("sk-aigw-" + std::string(44, 'z') + "abcd");
    e = aigw::invalid_api_key_error(masked);
    assert_int_equal(e.status, 401);
    assert_sv_equal(e.type, "authentication_error");
    assert_sv_equal(e.code, "invalid_api_key");
    assert_true(starts_with(e.message, "Incorrect API key provided: " + masked + "."));
    assert_sv_equal(masked, "sk-aigw-\xE2\x80\xA6" "abcd");
    assert_true(e.message.find("zzzz") == std::string::npos);

    // A value that cannot be a key: said to be malformed, with what a key looks like; a mask
    // without a tail is left out rather than shown empty.
    e = aigw::malformed_api_key_error(aigw::mask_key("sk-aigw-short"));
    assert_int_equal(e.status, 401);
    assert_sv_equal(e.code, "invalid_api_key");
    assert_sv_equal(e.message, "Malformed API key provided. Keys of this gateway are `sk-aigw-` "
                               "followed by 40 to 128 letters and digits. Ask the administrator "
                               "of this gateway for a valid key.");
    e = aigw::malformed_api_key_error(aigw::mask_key("sk-proj-" + std::string(40, 'q') + "WXYZ"));
    assert_true(starts_with(e.message, "Malformed API key provided: \xE2\x80\xA6WXYZ. Keys of"));
    assert_true(e.message.find("qqqq") == std::string::npos);

    e = aigw::key_disabled_error();
    assert_int_equal(e.status, 401);
    assert_sv_equal(e.type, "authentication_error");
    assert_sv_equal(e.code, "key_disabled");

    e = aigw::key_expired_error();
    assert_int_equal(e.status, 401);
    assert_sv_equal(e.type, "authentication_error");
    assert_sv_equal(e.code, "key_expired");

    e = aigw::ip_not_allowed_error();
    assert_int_equal(e.status, 403);
    assert_sv_equal(e.type, "permission_error");
    assert_sv_equal(e.code, "ip_not_allowed");

    e = aigw::model_not_allowed_error("gpt-5");
    assert_int_equal(e.status, 403);
    assert_sv_equal(e.type, "permission_error");
    assert_sv_equal(e.code, "model_not_allowed");
    assert_sv_equal(e.param, "model");
    assert_true(e.message.find("'gpt-5'") != std::string::npos);

    e = aigw::keys_unavailable_error();
    assert_int_equal(e.status, 503);
    assert_sv_equal(e.code, "service_unavailable");
    assert_true(starts_with(e.message, "The gateway cannot verify API keys right now."));

    // Through the JSON writer: a hostile model name stays inside its string.
    std::string json = aigw::error_json(aigw::model_not_allowed_error("x\"},\"y\":\"\n"));
    assert_true(json.find("\\\"},\\\"y\\\":\\\"\\n") != std::string::npos);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(extract_bearer),
        cmocka_unit_test(extract_other_headers),
        cmocka_unit_test(extract_odd_headers),
        cmocka_unit_test(source_names),
        cmocka_unit_test(format_accepted),
        cmocka_unit_test(format_refused),
        cmocka_unit_test(generated_key_shape),
        cmocka_unit_test(generated_keys_unique_and_unbiased),
        cmocka_unit_test(generated_key_ids),
        cmocka_unit_test(sha256_known_vectors),
        cmocka_unit_test(mask_normal_keys),
        cmocka_unit_test(mask_short_and_odd_keys),
        cmocka_unit_test(mask_from_last4),
        cmocka_unit_test(constant_time_equality),
        cmocka_unit_test(decode_full_record),
        cmocka_unit_test(decode_minimal_record),
        cmocka_unit_test(decode_bad_records),
        cmocka_unit_test(encode_round_trip),
        cmocka_unit_test(model_lists),
        cmocka_unit_test(model_list_parsing),
        cmocka_unit_test(cidr_v4),
        cmocka_unit_test(cidr_v6),
        cmocka_unit_test(cidr_v4_mapped),
        cmocka_unit_test(cidr_bad_input),
        cmocka_unit_test(cidr_lists),
        cmocka_unit_test(ip_allow_rules),
        cmocka_unit_test(key_check_each_result),
        cmocka_unit_test(key_check_order),
        cmocka_unit_test(check_names_and_errors),
        cmocka_unit_test(error_factories),
    };
    return cmocka_run_group_tests_name("keys", tests, nullptr, nullptr);
}
