// The multipart/form-data scanner: the bodies the openai SDK and curl send, the same fields and
// offsets whatever the split, delimiter look-alikes in files, the strict cases (CRLF only, a
// delimiter must be a real one, malformed part headers), the limits, and the boundary of a
// Content-Type.
#include <chrono>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <csetjmp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "aigw/text/multipart.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

#include "assert_sv.hpp"

using aigw::multipart_boundary;
using aigw::multipart_field;
using aigw::multipart_scanner;

namespace {

// A literal's bytes, NULs included.
template <std::size_t N>
std::string bytes(const char (&literal)[N]) {
    return std::string(literal, N - 1);
}

// What the openai SDK (6.49.0, node 20: the platform's FormData) sends for
//   client.images.edit({ image: toFile(png, 'cat.png', { type: 'image/png' }),
//                        prompt: 'Add a "hat"\nplease', model: 'gpt-image-1', n: 2, size: '1024x1024' })
// captured with t/sdk/multipart-bodies.mjs. FormData writes the prompt's LF as CRLF.
const std::string sdk_image_boundary = "----formdata-undici-074046430302";
const std::string sdk_image_content_type =
    "multipart/form-data; boundary=----formdata-undici-074046430302";
const std::string sdk_image_body = bytes(
    "------formdata-undici-074046430302\r\n"
    "Content-Disposition: form-data; name=\"image\"; filename=\"cat.png\"\r\n"
    "Content-Type: image/png\r\n"
    "\r\n"
    "\211PNG\r\n"
    "\032\n"
    "\000\000\000\rIHDR\r\n"
    "------formdata-undici-074046430302\r\n"
    "Content-Disposition: form-data; name=\"prompt\"\r\n"
    "\r\n"
    "Add a \"hat\"\r\n"
    "please\r\n"
    "------formdata-undici-074046430302\r\n"
    "Content-Disposition: form-data; name=\"model\"\r\n"
    "\r\n"
    "gpt-image-1\r\n"
    "------formdata-undici-074046430302\r\n"
    "Content-Disposition: form-data; name=\"n\"\r\n"
    "\r\n"
    "2\r\n"
    "------formdata-undici-074046430302\r\n"
    "Content-Disposition: form-data; name=\"size\"\r\n"
    "\r\n"
    "1024x1024\r\n"
    "------formdata-undici-074046430302--\r\n");
const std::string sdk_image_png = bytes("\211PNG\r\n\032\n\000\000\000\rIHDR");

// The same for
//   client.videos.create({ prompt: 'A cat walks', model: 'sora-2', seconds: '8', size: '1280x720',
//                          input_reference: toFile(jpeg, 'ref.jpg', { type: 'image/jpeg' }) })
// whose file holds CRLF "--" followed by the start of every undici boundary, and a lone "--".
const std::string sdk_video_boundary = "----formdata-undici-074014927950";
const std::string sdk_video_content_type =
    "multipart/form-data; boundary=----formdata-undici-074014927950";
const std::string sdk_video_body =
    "------formdata-undici-074014927950\r\n"
    "Content-Disposition: form-data; name=\"prompt\"\r\n"
    "\r\n"
    "A cat walks\r\n"
    "------formdata-undici-074014927950\r\n"
    "Content-Disposition: form-data; name=\"model\"\r\n"
    "\r\n"
    "sora-2\r\n"
    "------formdata-undici-074014927950\r\n"
    "Content-Disposition: form-data; name=\"seconds\"\r\n"
    "\r\n"
    "8\r\n"
    "------formdata-undici-074014927950\r\n"
    "Content-Disposition: form-data; name=\"size\"\r\n"
    "\r\n"
    "1280x720\r\n"
    "------formdata-undici-074014927950\r\n"
    "Content-Disposition: form-data; name=\"input_reference\"; filename=\"ref.jpg\"\r\n"
    "Content-Type: image/jpeg\r\n"
    "\r\n"
    "\377\330\377\340JFIF\r\n"
    "------formdata-undici-0\r\n"
    "--\r\n"
    "\r\n"
    "------formdata-undici-074014927950--\r\n";
const std::string sdk_video_jpeg = "\377\330\377\340JFIF\r\n------formdata-undici-0\r\n--\r\n";

// curl 7.88 -F 'image=@cat.gif;type=image/gif' -F model=dall-e-2 -F n=1 -F size=256x256
// -F 'a"b=x' -F 'prompt=<-' (stdin "a prompt\n"): curl writes '"' in a name as %22, and this
// file ends in CR, so its value ends CR CR LF "--" boundary.
const std::string curl_boundary = "------------------------5060438b3c284417";
const std::string curl_content_type =
    "multipart/form-data; boundary=------------------------5060438b3c284417";
const std::string curl_body = bytes(
    "--------------------------5060438b3c284417\r\n"
    "Content-Disposition: form-data; name=\"image\"; filename=\"cat.gif\"\r\n"
    "Content-Type: image/gif\r\n"
    "\r\n"
    "GIF89a\001\000\r\n"
    "--\r\r\n"
    "--------------------------5060438b3c284417\r\n"
    "Content-Disposition: form-data; name=\"model\"\r\n"
    "\r\n"
    "dall-e-2\r\n"
    "--------------------------5060438b3c284417\r\n"
    "Content-Disposition: form-data; name=\"n\"\r\n"
    "\r\n"
    "1\r\n"
    "--------------------------5060438b3c284417\r\n"
    "Content-Disposition: form-data; name=\"size\"\r\n"
    "\r\n"
    "256x256\r\n"
    "--------------------------5060438b3c284417\r\n"
    "Content-Disposition: form-data; name=\"a%22b\"\r\n"
    "\r\n"
    "x\r\n"
    "--------------------------5060438b3c284417\r\n"
    "Content-Disposition: form-data; name=\"prompt\"\r\n"
    "\r\n"
    "a prompt\n"
    "\r\n"
    "--------------------------5060438b3c284417--\r\n");
const std::string curl_gif = bytes("GIF89a\001\000\r\n--\r");

struct limits {
    std::size_t max_value = 4096;
    std::size_t max_parts = 1000;
    std::size_t max_header = 8192;
};

struct scanned {
    std::vector<multipart_field> fields;
    bool ok = false;
    bool failed = false;
    std::string error;
    std::uint64_t error_offset = 0;
    std::size_t max_held = 0;
};

// Scans `body` cut at the given offsets (ascending), then finishes; the bytes held stay within
// the limits after every piece.
scanned scan_cut(const std::string& boundary, const std::string& body,
                 const std::vector<std::size_t>& cuts, limits lim = {}) {
    multipart_scanner s(boundary, lim.max_value, lim.max_parts, lim.max_header);
    scanned r;
    std::size_t pos = 0;
    for (std::size_t cut : cuts) {
        s.feed(std::string_view(body).substr(pos, cut - pos));
        if (s.held() > r.max_held) r.max_held = s.held();
        assert_true(s.held() <= lim.max_header + lim.max_value);
        pos = cut;
    }
    s.feed(std::string_view(body).substr(pos));
    if (s.held() > r.max_held) r.max_held = s.held();
    r.ok = s.finish();
    r.failed = s.failed();
    r.error = std::string(s.error());
    r.error_offset = s.error_offset();
    r.fields = s.fields();
    // finish() again gives the same answer.
    assert_int_equal(s.finish(), r.ok);
    return r;
}

scanned scan(const std::string& boundary, const std::string& body, limits lim = {}) {
    return scan_cut(boundary, body, {}, lim);
}

void assert_same(const scanned& a, const scanned& b) {
    assert_int_equal(a.ok, b.ok);
    assert_int_equal(a.failed, b.failed);
    assert_sv_equal(a.error, b.error);
    assert_int_equal(a.error_offset, b.error_offset);
    assert_int_equal(a.fields.size(), b.fields.size());
    for (std::size_t i = 0; i < a.fields.size(); ++i) {
        const multipart_field& x = a.fields[i];
        const multipart_field& y = b.fields[i];
        assert_sv_equal(x.name, y.name);
        assert_int_equal(x.is_file, y.is_file);
        assert_sv_equal(x.filename, y.filename);
        assert_sv_equal(x.content_type, y.content_type);
        assert_int_equal(x.value_begin, y.value_begin);
        assert_int_equal(x.value_end, y.value_end);
        assert_sv_equal(x.value, y.value);
        assert_int_equal(x.value_kept, y.value_kept);
    }
}

// Byte by byte, every cut in two, a few cuts in three, and random pieces give what one feed gives.
void assert_split_invariant(const std::string& boundary, const std::string& body, limits lim = {}) {
    scanned whole = scan(boundary, body, lim);
    std::vector<std::size_t> every;
    for (std::size_t c = 1; c < body.size(); ++c) every.push_back(c);
    assert_same(scan_cut(boundary, body, every, lim), whole);
    for (std::size_t c = 1; c < body.size(); ++c) {
        assert_same(scan_cut(boundary, body, {c}, lim), whole);
    }
    for (std::size_t c = 1; c + 1 < body.size(); c += 7) {
        for (std::size_t d = c + 1; d < body.size(); d += 5) {
            assert_same(scan_cut(boundary, body, {c, d}, lim), whole);
        }
    }
    std::mt19937 rng(20250601);
    for (int round = 0; round < 100; ++round) {
        std::vector<std::size_t> cuts;
        std::size_t pos = 0;
        while (true) {
            pos += 1 + rng() % 23;
            if (pos >= body.size()) break;
            cuts.push_back(pos);
        }
        assert_same(scan_cut(boundary, body, cuts, lim), whole);
    }
}

// The field is `name` (and the rest), its offsets hold `value` in the body, with the blank line of
// its header section before them and a delimiter after.
void assert_field(const std::string& body, const std::string& boundary, const multipart_field& f,
                  std::string_view name, std::string_view value, bool is_file = false,
                  std::string_view filename = "", std::string_view content_type = "") {
    assert_sv_equal(f.name, name);
    assert_int_equal(f.is_file, is_file);
    assert_sv_equal(f.filename, filename);
    assert_sv_equal(f.content_type, content_type);
    assert_true(f.value_begin <= f.value_end);
    assert_true(f.value_end <= body.size());
    assert_sv_equal(std::string_view(body).substr(f.value_begin, f.value_end - f.value_begin), value);
    assert_sv_equal(std::string_view(body).substr(f.value_end, boundary.size() + 4), "\r\n--" + boundary);
    // The header section's blank line comes just before the value.
    assert_sv_equal(std::string_view(body).substr(f.value_begin - 4, 4), "\r\n\r\n");
    if (is_file) {
        assert_false(f.value_kept);
        assert_true(f.value.empty());
    } else {
        assert_true(f.value_kept);
        assert_sv_equal(f.value, value);
    }
}

std::string part(const std::string& boundary, const std::string& headers, const std::string& value) {
    return "--" + boundary + "\r\n" + headers + "\r\n" + value + "\r\n";
}

std::string form_part(const std::string& boundary, const std::string& name, const std::string& value) {
    return part(boundary, "Content-Disposition: form-data; name=\"" + name + "\"\r\n", value);
}

std::string closing(const std::string& boundary) { return "--" + boundary + "--\r\n"; }

const std::string b = "XyZ";  // a short boundary for hand-written bodies

void sdk_image_edit(void**) {
    std::optional<std::string> boundary = multipart_boundary(sdk_image_content_type);
    assert_true(boundary.has_value());
    assert_sv_equal(*boundary, sdk_image_boundary);
    multipart_scanner s(*boundary);
    s.feed(sdk_image_body);
    assert_true(s.closed());
    assert_true(s.finish());
    assert_false(s.failed());
    assert_true(s.error().empty());
    const std::vector<multipart_field>& f = s.fields();
    assert_int_equal(f.size(), 5);
    assert_field(sdk_image_body, *boundary, f[0], "image", sdk_image_png, true, "cat.png", "image/png");
    assert_field(sdk_image_body, *boundary, f[1], "prompt", "Add a \"hat\"\r\nplease");
    assert_field(sdk_image_body, *boundary, f[2], "model", "gpt-image-1");
    assert_field(sdk_image_body, *boundary, f[3], "n", "2");
    assert_field(sdk_image_body, *boundary, f[4], "size", "1024x1024");
    assert_int_equal(f[0].value_begin, 129);
    assert_int_equal(f[0].value_end, 145);
    assert_sv_equal(s.find("model")->value, "gpt-image-1");
    assert_sv_equal(s.find("n")->value, "2");
    assert_null(s.find("image"));  // a file
    assert_null(s.find("quality"));
    assert_int_equal(s.count("image"), 1);
    assert_int_equal(s.count("model"), 1);
    assert_int_equal(s.count("quality"), 0);
}

void sdk_video_with_input_reference(void**) {
    std::optional<std::string> boundary = multipart_boundary(sdk_video_content_type);
    assert_true(boundary.has_value());
    assert_sv_equal(*boundary, sdk_video_boundary);
    scanned r = scan(*boundary, sdk_video_body);
    assert_true(r.ok);
    assert_int_equal(r.fields.size(), 5);
    assert_field(sdk_video_body, *boundary, r.fields[0], "prompt", "A cat walks");
    assert_field(sdk_video_body, *boundary, r.fields[1], "model", "sora-2");
    assert_field(sdk_video_body, *boundary, r.fields[2], "seconds", "8");
    assert_field(sdk_video_body, *boundary, r.fields[3], "size", "1280x720");
    assert_field(sdk_video_body, *boundary, r.fields[4], "input_reference", sdk_video_jpeg, true,
                 "ref.jpg", "image/jpeg");
    assert_int_equal(r.fields[4].value_end, sdk_video_body.size() - closing(*boundary).size() - 2);
}

void curl_form(void**) {
    std::optional<std::string> boundary = multipart_boundary(curl_content_type);
    assert_true(boundary.has_value());
    assert_sv_equal(*boundary, curl_boundary);
    multipart_scanner s(*boundary);
    s.feed(curl_body);
    assert_true(s.finish());
    const std::vector<multipart_field>& f = s.fields();
    assert_int_equal(f.size(), 6);
    assert_field(curl_body, *boundary, f[0], "image", curl_gif, true, "cat.gif", "image/gif");
    assert_field(curl_body, *boundary, f[1], "model", "dall-e-2");
    assert_field(curl_body, *boundary, f[2], "n", "1");
    assert_field(curl_body, *boundary, f[3], "size", "256x256");
    assert_field(curl_body, *boundary, f[4], "a\"b", "x");
    assert_field(curl_body, *boundary, f[5], "prompt", "a prompt\n");
    assert_sv_equal(s.find("a\"b")->value, "x");
}

void every_split_gives_the_same_fields(void**) {
    assert_split_invariant(sdk_image_boundary, sdk_image_body);
    assert_split_invariant(sdk_video_boundary, sdk_video_body);
    assert_split_invariant(curl_boundary, curl_body);
    // Errors too: at the same offset whatever the split.
    assert_split_invariant(sdk_image_boundary, sdk_image_body.substr(0, 200));
    assert_split_invariant(sdk_image_boundary, sdk_image_body, {4, 1000, 8192});   // "2" only kept
    assert_split_invariant(sdk_image_boundary, sdk_image_body, {4096, 3, 8192});   // too many parts
    assert_split_invariant(sdk_image_boundary, sdk_image_body, {4096, 1000, 40});  // header too long
    std::string padded = "preamble\r\n" + form_part(b, "a", "1") + "--" + b + " \t \r\n" +
                         "Content-Disposition: form-data; name=b\r\n\r\n\r\n--" + b + "\r\n" +
                         "Content-Disposition: form-data; name=c\r\n\r\n\r\r\n--" + b + "-x";
    assert_split_invariant(b, padded);
    assert_split_invariant(b, padded.substr(0, padded.size() - 2) + "--epilogue\r\n--" + b + "\r\n");
}

// Bytes that begin like a delimiter but are not one stay in the value.
void delimiter_lookalikes_in_a_file(void**) {
    const std::string lookalikes[] = {
        "\r\n--XyX",           // CRLF "--" and most of the boundary
        "\r\n--Xy",            // ... cut short
        "\r\n-",               // the start of the delimiter's dashes
        "\r\n--",
        "\r\r\n\r",            // CRs that could each begin one
        "--XyZ\r\n",           // the boundary without the CRLF before it
        "\n--XyZ\r\n",         // ... with a bare LF before it
        "\r--XyZ\r\n",         // ... with a bare CR
        "a\r\n--XyY--\r\n",    // another boundary's closing delimiter
        "\r\n\r\n--X\r\n--Xy\r\n-",  // prefixes in a row
    };
    for (const std::string& inside : lookalikes) {
        for (bool file : {true, false}) {
            std::string headers = std::string("Content-Disposition: form-data; name=\"f\"") +
                                  (file ? "; filename=\"f.bin\"" : "") + "\r\n";
            // Inside the value, and at its end, right before the real delimiter.
            for (const std::string& value : {"<" + inside + ">", "<" + inside}) {
                std::string body = part(b, headers, value) + form_part(b, "model", "m") + closing(b);
                scanned r = scan(b, body);
                assert_true(r.ok);
                assert_int_equal(r.fields.size(), 2);
                assert_field(body, b, r.fields[0], "f", value, file, file ? "f.bin" : "");
                assert_field(body, b, r.fields[1], "model", "m");
                assert_split_invariant(b, body);
            }
        }
    }
}

// CRLF "--" boundary in a value must be a delimiter: followed by "--", or padding and CRLF.
void delimiter_followed_by_other_bytes(void**) {
    struct {
        const char* after;
        std::size_t bad;  // where in `after` the error is
    } cases[] = {{"x", 0}, {"-x", 1}, {"\n", 0}, {" x", 1}, {" \t\n", 2}, {"\rx", 1}, {"\r\r\n", 1}, {"Z", 0}};
    for (const auto& c : cases) {
        std::string head = part(b, "Content-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n", "data");
        head.resize(head.size() - 2);  // the value's CRLF is the delimiter's
        std::string body = head + "\r\n--" + b + c.after + "\r\n" + closing(b);
        scanned r = scan(b, body);
        assert_false(r.ok);
        assert_true(r.failed);
        assert_sv_equal(r.error, "a delimiter is followed by bytes other than \"--\", or spaces and tabs and CRLF");
        assert_int_equal(r.error_offset, head.size() + 4 + b.size() + c.bad);
        assert_int_equal(r.fields.size(), 1);  // the part before it is complete
        assert_split_invariant(b, body);
    }
}

void transport_padding(void**) {
    std::string body = "--" + b + " \t\r\n" + "Content-Disposition: form-data; name=a\r\n\r\n1\r\n--" + b +
                       "\t\t \r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n--" + b + "--  \r\n";
    scanned r = scan(b, body);
    assert_true(r.ok);
    assert_int_equal(r.fields.size(), 2);
    assert_field(body, b, r.fields[0], "a", "1");
    assert_field(body, b, r.fields[1], "b", "2");
    // After the closing delimiter anything is epilogue.
    assert_true(scan(b, form_part(b, "a", "1") + "--" + b + "--\r\n--" + b + "\r\njunk").ok);
    assert_true(scan(b, form_part(b, "a", "1") + "--" + b + "--").ok);
}

void quoted_names(void**) {
    struct {
        const char* disposition;
        const char* name;
        bool is_file;
        const char* filename;
    } cases[] = {
        {"form-data; name=\"a\\\"b\"", "a\"b", false, ""},            // RFC 7230 quoted-pair
        {"form-data; name=\"a\\\\b\"", "a\\b", false, ""},
        {"form-data; name=\"a\\b\"", "a\\b", false, ""},              // a WHATWG sender's raw backslash
        {"form-data; name=\"a%22b%0D%0Ac\"", "a\"b\r\nc", false, ""},  // WHATWG's escapes
        {"form-data; name=\"a%0d%41\"", "a%0d%41", false, ""},         // only those, upper case
        {"form-data; name=model", "model", false, ""},                 // a token
        {"form-data; name=\"\"", "", false, ""},
        {"form-data; name=\"a;b=c\"", "a;b=c", false, ""},
        {"Form-Data ;NAME = \"x\" ; ", "x", false, ""},                // case, blanks, a trailing ';'
        {"form-data; name=\"x\";; foo=bar; filename=\"a \\\"b\\\".png\"", "x", true, "a \"b\".png"},
        {"form-data; name=\"x\"; filename=\"\"", "x", true, ""},
        {"form-data; name=\"x\"; filename*=UTF-8''%E7%8C%AB.png", "x", true, "\xE7\x8C\xAB.png"},
        {"form-data; name=\"x\"; filename=\"a.png\"; filename*=utf-8'en'b%20c.png", "x", true, "b c.png"},
        {"form-data; name=\"x\"; filename*=plain", "x", true, "plain"},
        {"form-data; filename=\"f\"; name=\"x\"", "x", true, "f"},
        {"form-data; name=\"x\"; filename*0=\"a\"; filename*1=\"b\"", "x", true, ""},  // RFC 2231 pieces
        {"form-data; name=\"x\"; namex=\"model\"", "x", false, ""},
    };
    for (const auto& c : cases) {
        std::string body = part(b, std::string("Content-Disposition: ") + c.disposition + "\r\n", "v") + closing(b);
        scanned r = scan(b, body);
        assert_true(r.ok);
        assert_int_equal(r.fields.size(), 1);
        assert_field(body, b, r.fields[0], c.name, "v", c.is_file, c.filename);
    }
}

void header_names_are_case_insensitive(void**) {
    std::string body = part(b, "content-disposition: form-data; name=\"a\"\r\nCONTENT-TYPE:text/plain \r\n"
                               "X-Other: whatever: with colon\r\n", "1") +
                       part(b, "cOnTeNt-DiSpOsItIoN:\tform-data; name=\"b\"\r\n", "") + closing(b);
    scanned r = scan(b, body);
    assert_true(r.ok);
    assert_int_equal(r.fields.size(), 2);
    assert_field(body, b, r.fields[0], "a", "1", false, "", "text/plain");
    assert_field(body, b, r.fields[1], "b", "");
}

void malformed_part_headers(void**) {
    struct {
        const char* headers;
        const char* error;
    } cases[] = {
        {"", "a part has no Content-Disposition header"},
        {"Content-Type: text/plain\r\n", "a part has no Content-Disposition header"},
        {"Content-Disposition: attachment; name=\"a\"\r\n", "a part's Content-Disposition is not form-data"},
        {"Content-Disposition: form-data\r\n", "a part's Content-Disposition has no name"},
        {"Content-Disposition: form-data; filename=\"a\"\r\n", "a part's Content-Disposition has no name"},
        {"Content-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; name=\"b\"\r\n",
         "a part has two Content-Disposition headers"},
        {"Content-Disposition: form-data; name=\"a\"\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n",
         "a part has two Content-Type headers"},
        {"Content-Disposition: form-data; name=\"a\"; name=\"b\"\r\n",
         "a part's Content-Disposition gives a parameter twice"},
        {"Content-Disposition: form-data; name=\"a\"; filename=x; FILENAME=y\r\n",
         "a part's Content-Disposition gives a parameter twice"},
        {"Content-Disposition: form-data; name=\"x\"; name*=UTF-8''model\r\n",
         "a part's Content-Disposition has an RFC 2231 name (name*)"},
        {"Content-Disposition: form-data; NAME*0=mo; name*1=del\r\n",
         "a part's Content-Disposition has an RFC 2231 name (name*)"},
        {"Content-Disposition: form-data; name=\"a\r\n", "a part's Content-Disposition is malformed"},
        {"Content-Disposition: form-data; name=\r\n", "a part's Content-Disposition is malformed"},
        {"Content-Disposition: form-data; name\r\n", "a part's Content-Disposition is malformed"},
        {"Content-Disposition: form-data name=a\r\n", "a part's Content-Disposition is malformed"},
        {"Content-Disposition: form-data; name=\"a\" x\r\n", "a part's Content-Disposition is malformed"},
        {"Content-Disposition: form-data; name=a b\r\n", "a part's Content-Disposition is malformed"},
        {"Content-Disposition: form-data; filename=k\xC3\xA9.png; name=a\r\n", "a part's Content-Disposition is malformed"},
        {"Content-Disposition: form-data;\r\n name=\"a\"\r\n", "a part's header section has a folded line"},
        {"Content-Disposition form-data; name=\"a\"\r\n", "a part's header line has no valid name"},
        {"Content-Disposition : form-data; name=\"a\"\r\n", "a part's header line has no valid name"},
        {": x\r\nContent-Disposition: form-data; name=\"a\"\r\n", "a part's header line has no valid name"},
        {"Content-Disposition: form-data; name=\"a\"\nX: y\r\n", "a part's header section has a bare CR or LF"},
        {"Content-Disposition: form-data; name=\"a\"\rX: y\r\n", "a part's header section has a bare CR or LF"},
    };
    for (const auto& c : cases) {
        std::string first = form_part(b, "ok", "1");
        std::string body = first + part(b, c.headers, "v") + closing(b);
        scanned r = scan(b, body);
        assert_false(r.ok);
        assert_sv_equal(r.error, c.error);
        assert_int_equal(r.fields.size(), 1);
        // At the header section, or at the line at fault in it.
        std::size_t section = first.size() + b.size() + 4;
        assert_true(r.error_offset >= section && r.error_offset <= section + std::string_view(c.headers).size());
    }
    // The line at fault: the second one here.
    std::string body = part(b, "Content-Disposition: form-data; name=\"a\"\r\nbad line\r\n", "v") + closing(b);
    scanned r = scan(b, body);
    assert_sv_equal(r.error, "a part's header line has no valid name");
    assert_int_equal(r.error_offset, body.find("bad line"));
}

// LF line ends (no CR anywhere) are refused at the first delimiter line.
void bare_lf_body_is_refused(void**) {
    std::string body = "--" + b + "\nContent-Disposition: form-data; name=\"model\"\n\ngpt-image-1\n--" + b + "--\n";
    scanned r = scan(b, body);
    assert_false(r.ok);
    assert_sv_equal(r.error, "a delimiter is followed by bytes other than \"--\", or spaces and tabs and CRLF");
    assert_int_equal(r.error_offset, 2 + b.size());
    assert_true(r.fields.empty());
    // CRLF delimiter lines with LF inside the header section.
    std::string mixed = "--" + b + "\r\nContent-Disposition: form-data; name=\"model\"\n\r\n\r\nx\r\n" + closing(b);
    r = scan(b, mixed);
    assert_false(r.ok);
    assert_sv_equal(r.error, "a part's header section has a bare CR or LF");
    // A section ended by LF LF never ends: it runs into the next part and is refused there.
    std::string lflf = "--" + b + "\r\nContent-Disposition: form-data; name=\"model\"\n\nx\r\n" + closing(b);
    assert_false(scan(b, lflf).ok);
}

void missing_closing_delimiter(void**) {
    std::string two = form_part(b, "model", "m") + form_part(b, "n", "1");
    struct {
        std::string body;
        const char* error;
        std::size_t fields;
    } cases[] = {
        {two, "the body ended inside a part: no closing delimiter", 1},  // the CRLF may begin one
        {two + "--" + b + "\r\nContent-Disposition: form-data", "the body ended inside a part's header section", 2},
        {two + "--" + b, "the body ended inside a delimiter line", 2},
        {two + "--" + b + "-", "the body ended inside a delimiter line", 2},
        {two + "--" + b + "  \r", "the body ended inside a delimiter line", 2},
        {two.substr(0, two.size() - 2), "the body ended inside a part: no closing delimiter", 1},
        {two + "--" + b + "\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nvalue",
         "the body ended inside a part: no closing delimiter", 2},
        {two + "--" + b + "\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nvalue\r\n--" + b.substr(0, 2),
         "the body ended inside a part: no closing delimiter", 2},
        {"--" + b.substr(0, 2), "the body ended before its first delimiter", 0},
    };
    for (const auto& c : cases) {
        scanned r = scan(b, c.body);
        assert_false(r.ok);
        assert_true(r.failed);
        assert_sv_equal(r.error, c.error);
        assert_int_equal(r.error_offset, c.body.size());
        assert_int_equal(r.fields.size(), c.fields);
    }
}

void header_too_long(void**) {
    std::string headers = "Content-Disposition: form-data; name=\"a\"\r\nX-Pad: " + std::string(100, 'p') + "\r\n";
    std::size_t section = headers.size() + 2;  // with the blank line
    std::string body = part(b, headers, "1") + closing(b);
    limits exact;
    exact.max_header = section;
    assert_true(scan(b, body, exact).ok);
    limits under = exact;
    under.max_header = section - 1;
    scanned r = scan(b, body, under);
    assert_false(r.ok);
    assert_sv_equal(r.error, "a part's header section is longer than allowed");
    assert_int_equal(r.error_offset, b.size() + 4 + section - 1);
    assert_true(r.max_held <= under.max_header + under.max_value);
    // A section that never ends is refused at the limit, not buffered.
    multipart_scanner s(b);
    s.feed("--" + b + "\r\nContent-Disposition: form-data; name=\"a\"\r\n");
    for (int i = 0; i < 1000 && !s.failed(); ++i) {
        s.feed("X-Pad: " + std::string(100, 'p') + "\r\n");
        assert_true(s.held() <= 8192);
    }
    assert_true(s.failed());
    assert_false(s.finish());
}

void too_many_parts(void**) {
    std::string body;
    for (int i = 0; i < 4; ++i) body += form_part(b, "p" + std::to_string(i), "v");
    body += closing(b);
    limits four;
    four.max_parts = 4;
    assert_true(scan(b, body, four).ok);
    limits three;
    three.max_parts = 3;
    scanned r = scan(b, body, three);
    assert_false(r.ok);
    assert_sv_equal(r.error, "the body has more parts than allowed");
    assert_int_equal(r.fields.size(), 3);
    assert_int_equal(r.error_offset, body.find("p3") - std::string("Content-Disposition: form-data; name=\"").size());
    // The closing delimiter alone is no part.
    limits none;
    none.max_parts = 0;
    assert_true(scan(b, closing(b), none).ok);
    assert_false(scan(b, form_part(b, "a", "1") + closing(b), none).ok);
}

void value_over_max_value(void**) {
    std::string big(5000, 'v');
    std::string body = form_part(b, "prompt", big) + form_part(b, "model", "gpt-image-1") +
                       form_part(b, "edge", std::string(4096, 'e')) + closing(b);
    multipart_scanner s(b);
    for (std::size_t i = 0; i < body.size(); i += 100) s.feed(std::string_view(body).substr(i, 100));
    assert_true(s.finish());
    const std::vector<multipart_field>& f = s.fields();
    assert_int_equal(f.size(), 3);
    assert_false(f[0].value_kept);
    assert_true(f[0].value.empty());
    assert_int_equal(f[0].value_end - f[0].value_begin, 5000);
    assert_int_equal(f[0].value_begin, body.find(big));
    assert_field(body, b, f[1], "model", "gpt-image-1");
    assert_field(body, b, f[2], "edge", std::string(4096, 'e'));  // exactly max_value is kept
    assert_null(s.find("prompt"));
    assert_int_equal(s.count("prompt"), 1);
    assert_sv_equal(s.find("model")->value, "gpt-image-1");
    // A small bound, reached inside a partial delimiter match.
    std::string near = form_part(b, "a", "1234\r\n--X") + closing(b);
    limits six;
    six.max_value = 6;
    scanned r = scan(b, near, six);
    assert_true(r.ok);
    assert_false(r.fields[0].value_kept);
    assert_int_equal(r.fields[0].value_end - r.fields[0].value_begin, 9);
    assert_split_invariant(b, near, six);
    six.max_value = 9;
    assert_sv_equal(scan(b, near, six).fields[0].value, "1234\r\n--X");
}

// find() gives the first kept value of a name; count() tells a caller the name came twice (an
// upstream may take the last one).
void repeated_names(void**) {
    std::string body = part(b, "Content-Disposition: form-data; name=\"model\"; filename=\"m\"\r\n", "file") +
                       form_part(b, "model", std::string(10, 'x')) + form_part(b, "model", "cheap") +
                       form_part(b, "model", "dear") + closing(b);
    limits lim;
    lim.max_value = 8;
    multipart_scanner s(b, lim.max_value);
    s.feed(body);
    assert_true(s.finish());
    assert_int_equal(s.count("model"), 4);
    assert_int_equal(s.count("Model"), 0);  // names are case-sensitive
    assert_ptr_equal(s.find("model"), &s.fields()[2]);
    assert_sv_equal(s.find("model")->value, "cheap");
}

void empty_body(void**) {
    scanned r = scan(b, "");
    assert_false(r.ok);
    assert_sv_equal(r.error, "the body ended before its first delimiter");
    assert_int_equal(r.error_offset, 0);
    assert_true(r.fields.empty());
}

void wrong_boundary(void**) {
    scanned r = scan("AbC", sdk_image_body);
    assert_false(r.ok);
    assert_sv_equal(r.error, "the body ended before its first delimiter");
    assert_int_equal(r.error_offset, sdk_image_body.size());
    assert_true(r.fields.empty());
    // A boundary that is a prefix of the real one finds delimiters followed by other bytes.
    r = scan(sdk_image_boundary.substr(0, 20), sdk_image_body);
    assert_false(r.ok);
    assert_sv_equal(r.error, "a delimiter is followed by bytes other than \"--\", or spaces and tabs and CRLF");
    assert_int_equal(r.error_offset, 22);
}

void preamble_and_epilogue(void**) {
    std::string body = "This is a preamble. --" + b + " is not a delimiter here\r\n" + form_part(b, "model", "m") +
                       closing(b) + "epilogue\r\n" + form_part(b, "model", "other");
    scanned r = scan(b, body);
    assert_true(r.ok);
    assert_int_equal(r.fields.size(), 1);
    assert_field(body, b, r.fields[0], "model", "m");
    assert_split_invariant(b, body);
    // A preamble that is only a CRLF.
    assert_true(scan(b, "\r\n" + form_part(b, "a", "1") + closing(b)).ok);
}

void empty_form(void**) {
    // What FormData sends for no entries.
    std::string body = "------formdata-undici-067462363688--\r\n";
    scanned r = scan("----formdata-undici-067462363688", body);
    assert_true(r.ok);
    assert_true(r.fields.empty());
}

void long_filename_and_content_type_are_cut(void**) {
    std::string name(300, 'n');
    std::string utf8;
    while (utf8.size() < 300) utf8 += "\xE7\x8C\xAB";  // 3-byte characters: 255 is a boundary, 254 not
    utf8 = "a" + utf8;
    std::string type = "image/" + std::string(300, 't');
    std::string body = part(b, "Content-Disposition: form-data; name=\"" + name + "\"; filename=\"" + utf8 +
                               "\"\r\nContent-Type: " + type + "\r\n", "data") + closing(b);
    scanned r = scan(b, body);
    assert_true(r.ok);
    const multipart_field& f = r.fields[0];
    assert_sv_equal(f.name, name);  // a name is never cut
    assert_int_equal(f.filename.size(), 1 + 84 * 3 + 3);
    assert_sv_equal(f.filename, utf8.substr(0, 1 + 84 * 3) + "...");
    assert_sv_equal(f.content_type, type.substr(0, 255) + "...");
    std::string exact(255, 'e');
    std::string body2 = part(b, "Content-Disposition: form-data; name=a; filename=" + exact + "\r\n", "") + closing(b);
    assert_sv_equal(scan(b, body2).fields[0].filename, exact);
}

// A file of several MB in the chunks NGINX reads: not copied, memory flat, fast.
void large_file_in_chunks(void**) {
    std::string file(8u << 20, '\0');
    std::mt19937 rng(7);
    for (char& c : file) c = static_cast<char>(rng());
    // Delimiter look-alikes all over it.
    std::string near = "\r\n--" + sdk_image_boundary.substr(0, 25);
    for (std::size_t at = 1000; at + near.size() < file.size(); at += 65521) file.replace(at, near.size(), near);
    std::string body = form_part(sdk_image_boundary, "model", "gpt-image-1") +
                       part(sdk_image_boundary, "Content-Disposition: form-data; name=\"image\"; filename=\"big.png\"\r\n"
                                                "Content-Type: image/png\r\n", file) +
                       form_part(sdk_image_boundary, "size", "1024x1024") + closing(sdk_image_boundary);
    multipart_scanner s(sdk_image_boundary);
    auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < body.size(); i += 32768) {
        s.feed(std::string_view(body).substr(i, 32768));
        assert_true(s.held() <= 4096 + 8192);
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "# multipart: %zu bytes in %.3f s (%.0f MB/s, sanitizers on)\n", body.size(), secs,
                 body.size() / secs / 1e6);
    assert_true(s.finish());
    assert_int_equal(s.fields().size(), 3);
    assert_field(body, sdk_image_boundary, s.fields()[1], "image", file, true, "big.png", "image/png");
    assert_sv_equal(s.find("size")->value, "1024x1024");
    // Byte by byte over a MB: the work per byte is bounded too.
    multipart_scanner one(sdk_image_boundary);
    std::string_view first = std::string_view(body).substr(0, 1u << 20);
    t0 = std::chrono::steady_clock::now();
    for (char c : first) one.feed(std::string_view(&c, 1));
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "# multipart: 1 MB byte by byte in %.3f s\n", secs);
    assert_false(one.failed());
}

void invalid_boundary_fails_the_scanner(void**) {
    for (const std::string& bad : {std::string(), std::string(71, 'a'), std::string("a\r"), std::string("a "),
                                   std::string("a\"b"), std::string("a;b"), std::string("a\nb")}) {
        multipart_scanner s(bad);
        assert_true(s.failed());
        assert_sv_equal(s.error(), "the boundary is not a valid multipart/form-data boundary");
        s.feed("--" + bad + "\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--" + bad + "--\r\n");
        assert_false(s.finish());
        assert_true(s.fields().empty());
    }
    std::string longest(70, 'a');
    assert_true(scan(longest, form_part(longest, "a", "1") + closing(longest)).ok);
    std::string odd = "'()+_,-./:=? x";
    assert_true(scan(odd, form_part(odd, "a", "1") + closing(odd)).ok);
}

void feed_after_finish_or_error_is_ignored(void**) {
    multipart_scanner s(b);
    s.feed(form_part(b, "a", "1") + closing(b));
    assert_true(s.finish());
    s.feed(form_part(b, "b", "2") + closing(b));
    assert_true(s.finish());
    assert_int_equal(s.fields().size(), 1);
    multipart_scanner e(b);
    e.feed("--" + b + "x");
    assert_true(e.failed());
    e.feed("\r\n" + form_part(b, "a", "1") + closing(b));
    assert_false(e.finish());
    assert_true(e.fields().empty());
    assert_int_equal(e.held(), 0);
}

void boundary_of_a_content_type(void**) {
    struct {
        const char* content_type;
        const char* boundary;  // nullptr: none
    } cases[] = {
        {"multipart/form-data; boundary=abc", "abc"},
        {"multipart/form-data;boundary=abc", "abc"},
        {"  Multipart/Form-Data ; BOUNDARY=abc  ", "abc"},
        {"multipart/form-data; boundary=\"a b:c?\"", "a b:c?"},
        {"multipart/form-data; boundary=\"a\\bc\"", "abc"},
        {"multipart/form-data; charset=utf-8; boundary=x-y.z", "x-y.z"},
        {"multipart/form-data; boundary=x; charset=\"utf-8; q\"", "x"},
        {"multipart/form-data; boundary = x", "x"},
        {"multipart/form-data; boundary=x;", "x"},
        {"multipart/form-data; boundary=----formdata-undici-074046430302", "----formdata-undici-074046430302"},
        {"multipart/form-data; boundary=------------------------5060438b3c284417", "------------------------5060438b3c284417"},
        {"multipart/form-data; boundary=\"gc0pJq0M:08jU534c0p\"", "gc0pJq0M:08jU534c0p"},
        {"multipart/form-data; boundary=\"'()+_,-./:=? x\"", "'()+_,-./:=? x"},
        {"multipart/form-data; boundary=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},  // 70
        {"multipart/form-data; boundary=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         nullptr},  // 71
        {"multipart/form-data", nullptr},
        {"multipart/form-data;", nullptr},
        {"multipart/form-data; boundary=", nullptr},
        {"multipart/form-data; boundary=\"\"", nullptr},
        {"multipart/form-data; boundary=\"abc", nullptr},
        {"multipart/form-data; boundary=\"abc \"", nullptr},  // a space may not end it
        {"multipart/form-data; boundary=\"a\tb\"", nullptr},
        {"multipart/form-data; boundary=\"a\\\"b\"", nullptr},
        {"multipart/form-data; boundary=a*b", nullptr},       // a token, but '*' is no bchar
        {"multipart/form-data; boundary=\"a\xC3\xA9\"", nullptr},
        {"multipart/form-data; boundary=a b", nullptr},
        {"multipart/form-data; boundary=a; boundary=b", nullptr},
        {"multipart/form-data; boundary=a; Boundary=a", nullptr},
        {"multipart/form-data; xboundary=a", nullptr},
        {"multipart/form-data; foo; boundary=a", nullptr},
        {"multipart/form-data boundary=a", nullptr},
        {"multipart/mixed; boundary=a", nullptr},
        {"multipart/form-datax; boundary=a", nullptr},
        {"application/json", nullptr},
        {"form-data; boundary=a", nullptr},
        {"", nullptr},
    };
    for (const auto& c : cases) {
        std::optional<std::string> got = multipart_boundary(c.content_type);
        if (c.boundary == nullptr) {
            if (got) print_error("%s gave [%s]\n", c.content_type, got->c_str());
            assert_false(got.has_value());
        } else {
            if (!got) print_error("%s gave none\n", c.content_type);
            assert_true(got.has_value());
            assert_sv_equal(*got, c.boundary);
        }
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sdk_image_edit),
        cmocka_unit_test(sdk_video_with_input_reference),
        cmocka_unit_test(curl_form),
        cmocka_unit_test(every_split_gives_the_same_fields),
        cmocka_unit_test(delimiter_lookalikes_in_a_file),
        cmocka_unit_test(delimiter_followed_by_other_bytes),
        cmocka_unit_test(transport_padding),
        cmocka_unit_test(quoted_names),
        cmocka_unit_test(header_names_are_case_insensitive),
        cmocka_unit_test(malformed_part_headers),
        cmocka_unit_test(bare_lf_body_is_refused),
        cmocka_unit_test(missing_closing_delimiter),
        cmocka_unit_test(header_too_long),
        cmocka_unit_test(too_many_parts),
        cmocka_unit_test(value_over_max_value),
        cmocka_unit_test(repeated_names),
        cmocka_unit_test(empty_body),
        cmocka_unit_test(wrong_boundary),
        cmocka_unit_test(preamble_and_epilogue),
        cmocka_unit_test(empty_form),
        cmocka_unit_test(long_filename_and_content_type_are_cut),
        cmocka_unit_test(large_file_in_chunks),
        cmocka_unit_test(invalid_boundary_fails_the_scanner),
        cmocka_unit_test(feed_after_finish_or_error_is_ignored),
        cmocka_unit_test(boundary_of_a_content_type),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
