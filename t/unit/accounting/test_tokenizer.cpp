// The tokenizer: tiktoken's ids for known texts, decode(encode(x)) == x, invalid UTF-8 replaced
// as a WHATWG decoder replaces it, the model -> encoding table, and linear time on a megabyte
// of one character. t/tokenizer/identity.mjs compares it with tiktoken on a large corpus.
#include <algorithm>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <time.h>

#include "aigw/accounting/tokenizer.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}
#include "assert_sv.hpp"

namespace tk = aigw::tokenizer;
using tk::encoding_id;
using ids = std::vector<std::uint32_t>;

namespace {

const tk::encoder& enc(encoding_id id) {
    const tk::encoder* e = tk::encoder::get(id);
    assert_non_null(e);
    return *e;
}

ids encode(const tk::encoder& e, std::string_view text) {
    ids v;
    e.encode(text, v);
    return v;
}

std::string decode(const tk::encoder& e, const ids& v) {
    std::string s;
    for (std::uint32_t id : v) {
        std::string_view t = e.token(id);
        assert_false(t.empty());
        s += t;
    }
    return s;
}

void assert_ids(const ids& got, const ids& want, std::string_view text) {
    if (got != want) {
        std::string g, w;
        for (auto id : got) g += " " + std::to_string(id);
        for (auto id : want) w += " " + std::to_string(id);
        print_error("text [%.*s]\ngot     %s\nexpected%s\n", static_cast<int>(text.size()), text.data(),
                    g.c_str(), w.c_str());
    }
    assert_true(got == want);
}

// Ids from tiktoken 1.0.22 (npm) encode_ordinary.
struct known {
    std::string_view text;
    ids o200k, cl100k;
};
const known known_texts[] = {
    {"Hello, world!", {13225, 11, 2375, 0}, {9906, 11, 1917, 0}},
    {"I'm here, they'RE gone; WE'LL see.",
     {15390, 2105, 11, 1023, 6, 1099, 12299, 26, 26919, 6, 7454, 1921, 13},
     {40, 2846, 1618, 11, 814, 95253, 8208, 26, 20255, 6, 4178, 1518, 13}},
    // 你好，世界
    {"\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c", {177519, 979, 28428},
     {57668, 53901, 3922, 3574, 244, 98220}},
    {"    if (x) {\r\n\treturn 12345678;\n}\r",
     {271, 538, 350, 87, 8, 1518, 1393, 220, 7633, 19354, 4388, 307, 92, 201},
     {262, 422, 320, 87, 8, 987, 862, 220, 4513, 10961, 2495, 280, 92, 201}},
    // Special tokens are plain text to encode_ordinary.
    {"<|endoftext|>", {27, 91, 419, 1440, 919, 91, 29}, {27, 91, 8862, 728, 428, 91, 29}},
    {"getHTTPResponseCode('/usr/local/bin')",
     {522, 17893, 3186, 2836, 6617, 15943, 52214, 20950, 1542},
     {456, 9412, 2647, 2123, 3478, 7208, 23066, 8923, 873}},
    // 👍🏽 🇺🇸
    {"\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd \xf0\x9f\x87\xba\xf0\x9f\x87\xb8", {82514, 52622, 121, 173468, 118, 55506, 116},
     {9468, 239, 235, 9468, 237, 121, 11410, 229, 118, 9468, 229, 116}},
    // ' then U+017F (long s)
    {"'\xc5\xbf", {6, 70067}, {6, 129, 123}},
    {"a   \n\n  b   ", {64, 29104, 220, 287, 271}, {64, 35033, 220, 293, 262}},
    // مرحبا بالعالم
    {"\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xd8\xa8\xd8\xa7\xd9\x84\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85",
     {158894, 26537, 101462, 12773},
     {10386, 11318, 30925, 22071, 5821, 28946, 32482, 24102, 32482, 10386}},
};

void known_ids(void**) {
    const tk::encoder& o = enc(encoding_id::o200k_base);
    const tk::encoder& c = enc(encoding_id::cl100k_base);
    for (const known& k : known_texts) {
        assert_ids(encode(o, k.text), k.o200k, k.text);
        assert_ids(encode(c, k.text), k.cl100k, k.text);
        assert_int_equal(o.count(k.text), k.o200k.size());
        assert_int_equal(c.count(k.text), k.cl100k.size());
    }
}

void tables(void**) {
    const tk::encoder& o = enc(encoding_id::o200k_base);
    const tk::encoder& c = enc(encoding_id::cl100k_base);
    assert_int_equal(o.id(), encoding_id::o200k_base);
    assert_int_equal(c.id(), encoding_id::cl100k_base);
    // Ranks 0..n-1 without the special tokens: o200k's first special is 199999, cl100k's 100257.
    assert_int_equal(o.size(), 199998);
    assert_int_equal(c.size(), 100256);
    assert_sv_equal(o.token(13225), "Hello");
    assert_sv_equal(c.token(9906), "Hello");
    assert_sv_equal(o.token(0), "!");
    assert_sv_equal(c.token(220), " ");
    assert_true(o.token(o.size()).empty());
    assert_true(c.token(c.size()).empty());
    assert_true(o.token(0xFFFFFFFFu).empty());
    assert_null(tk::encoder::get(encoding_id::estimate));
    assert_true(tk::preload());
}

void empty_text(void**) {
    for (encoding_id id : {encoding_id::o200k_base, encoding_id::cl100k_base}) {
        const tk::encoder& e = enc(id);
        assert_int_equal(e.count(""), 0);
        assert_int_equal(e.count(std::string_view()), 0);
        ids v = {7};
        e.encode("", v);
        assert_int_equal(v.size(), 1);
        // encode appends.
        e.encode("Hello", v);
        assert_int_equal(v.size(), 2);
        assert_int_equal(v[0], 7);
    }
}

// A deterministic stream of valid UTF-8 over all planes, with ASCII and white space often.
std::string random_valid(std::uint64_t& state, std::size_t cps) {
    auto next = [&state] {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<std::uint32_t>(state >> 33);
    };
    std::string s;
    for (std::size_t i = 0; i < cps; i++) {
        std::uint32_t r = next(), cp;
        switch (r % 8) {
            case 0: case 1: cp = 0x20 + next() % 0x5F; break;
            case 2: cp = " \n\r\t'sS0"[next() % 8]; break;
            case 3: cp = 0x80 + next() % 0x780; break;
            case 4: cp = 0x800 + next() % 0xF800; break;
            case 5: cp = 0x4E00 + next() % 0x5200; break;
            default: cp = next() % 0x110000; break;
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
        if (cp < 0x80) {
            s += static_cast<char>(cp);
        } else if (cp < 0x800) {
            s += static_cast<char>(0xC0 | (cp >> 6));
            s += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            s += static_cast<char>(0xE0 | (cp >> 12));
            s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            s += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            s += static_cast<char>(0xF0 | (cp >> 18));
            s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            s += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    return s;
}

void round_trip(void**) {
    std::vector<std::string> texts;
    for (const known& k : known_texts) texts.emplace_back(k.text);
    texts.emplace_back(std::string(300, 'a'));  // long pieces: the heap merge
    texts.emplace_back(std::string(1000, ' ') + "x");
    texts.emplace_back(std::string(129, '!') + std::string(127, '?'));
    std::uint64_t state = 42;
    for (int i = 0; i < 300; i++) texts.push_back(random_valid(state, 1 + i % 97 * (i % 5 == 0 ? 20 : 1)));
    for (encoding_id id : {encoding_id::o200k_base, encoding_id::cl100k_base}) {
        const tk::encoder& e = enc(id);
        for (const std::string& t : texts) {
            ids v = encode(e, t);
            assert_sv_equal(decode(e, v), t);
            assert_int_equal(e.count(t), v.size());
        }
    }
}

// Each maximal invalid subpart becomes one U+FFFD (what node's buffer.toString("utf8") gives).
#define R "\xef\xbf\xbd"
struct replaced {
    std::string_view in, out;
};
const replaced invalid_texts[] = {
    {"\x80", R},
    {"a\xff" "b", "a" R "b"},
    {"\xc0\xaf", R R},                       // overlong '/': C0 is never a lead byte
    {"\xe0\x80\x80", R R R},                 // overlong: E0 needs A0..BF next
    {"\xe2\x82", R},                         // € cut short at the end
    {"\xe2\x82" "a", R "a"},                 // ... and before ASCII
    {"\xed\xa0\x80", R R R},                 // a surrogate
    {"\xf0\x9f\x98", R},                     // 😀 cut short
    {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},  // 😀 whole
    {"\xf4\x90\x80\x80", R R R R},           // above U+10FFFF
    {"\xf5\x80", R R},
    {"\xc3\xc3\xa9", R "\xc3\xa9"},          // a lead byte, then é
    {"\xfe\xff", R R},
    {"\xe2\x82\xe2\x82\xac", R "\xe2\x82\xac"},
    {"x\xef\xbf", "x" R},
    {"\xc2" "A", R "A"},
    {std::string_view("\0\x80\0", 3), std::string_view("\0" R "\0", 5)},
};
#undef R

void invalid_utf8(void**) {
    for (encoding_id id : {encoding_id::o200k_base, encoding_id::cl100k_base}) {
        const tk::encoder& e = enc(id);
        for (const replaced& r : invalid_texts) {
            ids v = encode(e, r.in);
            assert_sv_equal(decode(e, v), r.out);
            assert_ids(v, encode(e, r.out), r.in);
            assert_int_equal(e.count(r.in), v.size());
        }
    }
    // tiktoken's ids for two of them.
    assert_ids(encode(enc(encoding_id::o200k_base), "\xe0\x80\x80"), {72387}, "E0 80 80");
    assert_ids(encode(enc(encoding_id::cl100k_base), "\xe0\x80\x80"), {58432}, "E0 80 80");
    assert_ids(encode(enc(encoding_id::o200k_base), "\xe2\x82" "a"), {109908}, "E2 82 a");
    assert_ids(encode(enc(encoding_id::cl100k_base), "\xe2\x82" "a"), {5809, 64}, "E2 82 a");
}

void models(void**) {
    const encoding_id o = encoding_id::o200k_base, c = encoding_id::cl100k_base, e = encoding_id::estimate;
    const struct {
        const char* model;
        encoding_id id;
    } cases[] = {
        {"gpt-4o", o}, {"gpt-4o-mini", o}, {"gpt-4o-2024-08-06", o}, {"gpt-4.1", o}, {"gpt-4.1-mini", o},
        {"gpt-4.5-preview", o}, {"gpt-5", o}, {"gpt-5-mini", o}, {"o1", o}, {"o1-mini", o},
        {"o3-mini", o}, {"o3", o}, {"o4-mini", o}, {"chatgpt-4o-latest", o}, {"gpt-oss-120b", o},
        {"ft:gpt-4o-mini:org", o}, {"ft:gpt-4o-mini-2024-07-18:my-org:custom:abc123", o},
        {"gpt-4", c}, {"gpt-4-turbo", c}, {"gpt-4-0613", c}, {"gpt-3.5-turbo", c}, {"gpt-35-turbo", c},
        {"text-embedding-3-small", c}, {"text-embedding-ada-002", c}, {"ft:gpt-3.5-turbo:org", c},
        {"claude-sonnet-4-5", e}, {"claude-3-5-haiku-latest", e}, {"gemini-2.5-flash", e},
        {"gemini-1.5-pro", e}, {"", e}, {"ft:", e}, {"GPT-4o", e}, {"llama-3", e},
    };
    for (const auto& k : cases) {
        if (tk::encoding_for_model(k.model) != k.id) print_error("model %s\n", k.model);
        assert_int_equal(tk::encoding_for_model(k.model), k.id);
    }
}

void encoding_names(void**) {
    encoding_id id = encoding_id::estimate;
    assert_true(tk::parse_encoding("o200k_base", id));
    assert_int_equal(id, encoding_id::o200k_base);
    assert_true(tk::parse_encoding("cl100k_base", id));
    assert_int_equal(id, encoding_id::cl100k_base);
    assert_true(tk::parse_encoding("estimate", id));
    assert_int_equal(id, encoding_id::estimate);
    id = encoding_id::o200k_base;
    for (const char* bad : {"", "o200k", "O200K_BASE", "cl100k_base ", "p50k_base", "r50k_base", "gpt2"}) {
        assert_false(tk::parse_encoding(bad, id));
        assert_int_equal(id, encoding_id::o200k_base);  // untouched
    }
    for (encoding_id e : {encoding_id::estimate, encoding_id::o200k_base, encoding_id::cl100k_base}) {
        assert_true(tk::parse_encoding(tk::encoding_name(e), id));
        assert_int_equal(id, e);
    }
}

// The processor time of the thread, in seconds: what other processes on a loaded machine take
// does not count.
double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The least time of `tries` counts of `text`.
double fastest(const tk::encoder& e, const std::string& text, int tries, std::size_t& tokens) {
    double best = 1e9;
    for (int i = 0; i < tries; i++) {
        double start = cpu_seconds();
        tokens = e.count(text);
        best = std::min(best, cpu_seconds() - start);
    }
    return best;
}

std::string repeat(std::string_view unit, std::size_t bytes) {
    std::string s;
    s.reserve(bytes + unit.size());
    while (s.size() < bytes) s.append(unit);
    return s;
}

// A megabyte of one character is one piece (or pieces of three digits): the merge must stay
// linear. 16 times the text may take at most 40 times as long (n log n is about 20, quadratic
// 256). Processor time, the least of three for the short run, and a failed ratio measured again
// before it counts: a loaded machine does not fail it. cl100k_base shares the merge, so its runs
// are a quarter as long (256 KB against 16 KB): a megabyte takes about a second here, with the
// sanitizers.
void linear_on_long_runs(void**) {
    const std::string_view units[] = {"a", " ", "!", "\xe4\xb8\xad" /* 中 */, "7"};
    for (encoding_id id : {encoding_id::o200k_base, encoding_id::cl100k_base}) {
        const tk::encoder& e = enc(id);
        const std::size_t large_bytes = id == encoding_id::o200k_base ? 1u << 20 : 1u << 18;
        for (std::string_view u : units) {
            const std::string small = repeat(u, large_bytes / 16), large = repeat(u, large_bytes);
            double ratio = 0;
            std::size_t small_tokens = 0, large_tokens = 0;
            for (int attempt = 0; attempt < 3; attempt++) {
                double ts = fastest(e, small, 3, small_tokens);
                double tl = fastest(e, large, 1, large_tokens);
                ratio = tl / std::max(ts, 1e-6);
                if (ratio <= 40) break;
                std::fprintf(stderr, "# %s, '%.*s': %zu bytes in %.4f s, %zu in %.4f s: ratio %.1f, again\n",
                             std::string(tk::encoding_name(id)).c_str(), static_cast<int>(u.size()), u.data(),
                             large.size(), tl, small.size(), ts, ratio);
            }
            assert_true(ratio <= 40);
            assert_true(small_tokens > 0);
            assert_true(large_tokens >= small_tokens * 15);
        }
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_ids),
        cmocka_unit_test(tables),
        cmocka_unit_test(empty_text),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(invalid_utf8),
        cmocka_unit_test(models),
        cmocka_unit_test(encoding_names),
        cmocka_unit_test(linear_on_long_runs),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
