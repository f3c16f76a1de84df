// libFuzzer target (`make fuzz FUZZ_TARGET=multipart`): the multipart scanner gives the same
// fields, offsets and error whatever the split, holds no more than its bounds, finds the parts
// a whole-body reading (std::string::find over the body) finds, and keeps values that are the
// body's bytes; multipart_boundary returns only boundaries the scanner takes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aigw/text/multipart.hpp"

using aigw::multipart_field;
using aigw::multipart_scanner;

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_multipart: invariant broken: %s\n", what);
        std::abort();
    }
}

const std::string boundary = "Bq-1";

// Pieces bodies are made of: with these, random bytes become forms worth scanning.
const char* const fragments[] = {
    "--", "-", "\r\n", "\r", "\n", " ", "\t", "Bq-1", "Bq-", "--Bq-1", "\r\n--Bq-1", "\r\n--Bq-1\r\n",
    "\r\n--Bq-1--\r\n", "\r\n--Bq", "\r\n\r\n", "--Bq-1\r\n",
    "Content-Disposition: form-data; name=\"model\"\r\n",
    "Content-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n",
    "content-disposition:form-data;name=n\r\n", "Content-Type: image/png\r\n",
    "Content-Disposition: ", "form-data", "; name=", "; filename=", "; filename*=UTF-8''%E7%8C", "\"",
    "\\", "\\\"", "%22", "%0D", ";", "=", ":", "x", "gpt-image-1", "1024x1024", "",  // "" is a NUL
};
constexpr std::size_t fragment_count = sizeof(fragments) / sizeof(fragments[0]);

struct limits {
    std::size_t max_value;
    std::size_t max_parts;
    std::size_t max_header;
};

struct scanned {
    std::vector<multipart_field> fields;
    bool ok = false;
    std::string error;
    std::uint64_t error_offset = 0;
};

// Scans `body` in pieces whose lengths come from a small generator seeded with `seed` (seed 0:
// one piece; 1: a byte at a time), checking the bounds after every piece.
scanned scan(const std::string& body, limits lim, std::uint32_t seed) {
    multipart_scanner s(boundary, lim.max_value, lim.max_parts, lim.max_header);
    std::size_t pos = 0;
    std::uint32_t x = seed;
    while (pos < body.size()) {
        std::size_t n = body.size() - pos;
        if (seed == 1) {
            n = 1;
        } else if (seed > 1) {
            x = x * 1103515245u + 12345u;
            n = std::min<std::size_t>(n, 1 + (x >> 16) % 97);
        }
        s.feed(std::string_view(body).substr(pos, n));
        check(s.held() <= lim.max_header + lim.max_value, "held bytes stay within the bounds");
        check(s.fields().size() <= lim.max_parts, "parts stay within max_parts");
        pos += n;
    }
    scanned r;
    r.ok = s.finish();
    check(r.ok == !s.failed(), "finish() is true exactly when nothing failed");
    check(r.ok == s.closed(), "a good body is a closed one");
    check(r.ok == s.error().empty(), "an error says why");
    check(s.finish() == r.ok, "finish() again gives the same answer");
    r.error = std::string(s.error());
    r.error_offset = s.error_offset();
    check(r.error_offset <= body.size(), "the error lies within the body");
    r.fields = s.fields();
    for (const multipart_field& f : r.fields) {
        const multipart_field* found = s.find(f.name);
        const multipart_field* first = nullptr;
        for (const multipart_field& g : r.fields) {
            if (!g.is_file && g.value_kept && g.name == f.name) {
                first = &g;
                break;
            }
        }
        check(found == (first ? &s.fields()[first - r.fields.data()] : nullptr), "find() gives the first kept");
    }
    return r;
}

bool same_shape(const multipart_field& a, const multipart_field& b) {
    return a.name == b.name && a.is_file == b.is_file && a.filename == b.filename &&
           a.content_type == b.content_type && a.value_begin == b.value_begin && a.value_end == b.value_end;
}

bool same(const scanned& a, const scanned& b) {
    if (a.ok != b.ok || a.error != b.error || a.error_offset != b.error_offset ||
        a.fields.size() != b.fields.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.fields.size(); ++i) {
        const multipart_field& x = a.fields[i];
        const multipart_field& y = b.fields[i];
        if (!same_shape(x, y) || x.value != y.value || x.value_kept != y.value_kept) return false;
    }
    return true;
}

void check_fields(const std::string& body, const scanned& r, limits lim) {
    const std::string delimiter = "\r\n--" + boundary;
    std::uint64_t prev_end = 0;
    for (const multipart_field& f : r.fields) {
        check(f.value_begin <= f.value_end && f.value_end <= body.size(), "a value lies within the body");
        check(f.value_begin >= prev_end + 4, "values are in order, headers between them");
        check(body.compare(f.value_end, delimiter.size(), delimiter) == 0, "a delimiter follows a value");
        check(body.compare(f.value_begin - 4, 4, "\r\n\r\n") == 0, "a blank line comes before a value");
        std::uint64_t size = f.value_end - f.value_begin;
        check(std::string_view(body).substr(f.value_begin, size).find(delimiter) == std::string_view::npos,
              "no delimiter inside a value");
        if (f.is_file) {
            check(!f.value_kept && f.value.empty(), "a file's value is not kept");
        } else {
            check(f.value_kept == (size <= lim.max_value), "a value is kept exactly when small enough");
        }
        if (f.value_kept) {
            check(f.value == std::string_view(body).substr(f.value_begin, size), "a kept value is the body's");
        } else {
            check(f.value.empty(), "a value not kept is empty");
        }
        check(f.filename.size() <= multipart_scanner::filename_max + 3, "a filename is bounded");
        check(f.content_type.size() <= multipart_scanner::filename_max + 3, "a content type is bounded");
        check(f.is_file || f.filename.empty(), "only files have filenames");
        prev_end = f.value_end;
    }
}

// The parts' value ranges found with find() over the whole body, no limits, no header checks.
struct reference {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> values;
    bool closed = false;
};

reference read_whole(const std::string& body) {
    const std::string delimiter = "\r\n--" + boundary;
    reference ref;
    std::size_t at;  // just past a delimiter's boundary
    if (body.compare(0, delimiter.size() - 2, delimiter, 2, std::string::npos) == 0) {
        at = delimiter.size() - 2;
    } else {
        std::size_t d = body.find(delimiter);
        if (d == std::string::npos) return ref;
        at = d + delimiter.size();
    }
    while (true) {
        if (body.compare(at, 2, "--") == 0) {
            ref.closed = true;
            return ref;
        }
        while (at < body.size() && (body[at] == ' ' || body[at] == '\t')) ++at;
        if (body.compare(at, 2, "\r\n") != 0) return ref;
        std::size_t blank = body.find("\r\n\r\n", at);
        if (blank == std::string::npos) return ref;
        std::size_t begin = blank + 4;
        std::size_t end = body.find(delimiter, begin);
        if (end == std::string::npos) return ref;
        ref.values.emplace_back(begin, end);
        at = end + delimiter.size();
    }
}

void check_against_reference(const std::string& body, const scanned& r) {
    reference ref = read_whole(body);
    check(r.fields.size() <= ref.values.size(), "no more parts than the whole-body reading");
    for (std::size_t i = 0; i < r.fields.size(); ++i) {
        check(r.fields[i].value_begin == ref.values[i].first && r.fields[i].value_end == ref.values[i].second,
              "the same value ranges as the whole-body reading");
    }
    if (r.ok) {
        check(ref.closed && ref.values.size() == r.fields.size(), "a good body reads the same whole");
    }
}

}  // namespace

// The first byte picks the limits and how to cut; the second raw bytes or fragments.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    std::string body;
    if (data[1] & 1) {
        body.assign(reinterpret_cast<const char*>(data + 2), size - 2);
    } else {
        for (std::size_t i = 2; i < size; ++i) {
            const char* f = fragments[data[i] % fragment_count];
            if (*f == '\0') body += '\0'; else body += f;
        }
    }
    std::uint32_t seed = 2;
    for (std::size_t i = 0; i < size && i < 8; ++i) seed = seed * 31 + data[i];

    limits roomy{4096, 1000, 8192};
    scanned whole = scan(body, roomy, 0);
    check(same(scan(body, roomy, 1), whole), "a byte at a time scans the same");
    check(same(scan(body, roomy, seed | 2), whole), "random pieces scan the same");
    check_fields(body, whole, roomy);
    check_against_reference(body, whole);

    // Small limits the fuzzer reaches: the same split invariance and bounds, and the fields
    // before a limit's error are the roomy ones.
    limits small{static_cast<std::size_t>(data[0] % 16), static_cast<std::size_t>(1 + (data[0] >> 4) % 6),
                 static_cast<std::size_t>(8 + data[0] % 96)};
    scanned tight = scan(body, small, seed | 2);
    check(same(scan(body, small, 1), tight), "a byte at a time scans the same under small limits");
    check_fields(body, tight, small);
    check_against_reference(body, tight);
    std::size_t common = std::min(tight.fields.size(), whole.fields.size());
    for (std::size_t i = 0; i < common; ++i) {
        check(same_shape(tight.fields[i], whole.fields[i]), "limits change no part before them");
    }
    if (tight.ok) check(whole.ok && whole.fields.size() == tight.fields.size(), "within the limits nothing changes");

    // The boundary of a Content-Type made of the same bytes.
    std::optional<std::string> b = aigw::multipart_boundary(body.substr(0, 200));
    if (b) {
        check(!b->empty() && b->size() <= 70, "a boundary is 1..70 bytes");
        check(!multipart_scanner(*b).failed(), "the scanner takes what multipart_boundary returns");
    }
    b = aigw::multipart_boundary("multipart/form-data; boundary=" + body.substr(0, 80));
    if (b) check(!multipart_scanner(*b).failed(), "the scanner takes what multipart_boundary returns");
    return 0;
}
