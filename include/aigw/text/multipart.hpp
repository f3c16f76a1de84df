// multipart/form-data bodies (RFC 7578, RFC 2046 section 5.1) read as their bytes pass, for the
// few small fields the gateway needs of an image edit or a video upload (model, n, size,
// quality, seconds) without copying the files: the body may be many MB, in NGINX's buffers or in
// a temp file read in chunks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aigw {

// The boundary parameter of a Content-Type value "multipart/form-data; boundary=...": type and
// parameter names case-insensitive, the value a token or a quoted-string, other parameters
// ignored. nullopt when the type is not multipart/form-data, or the boundary is missing, given
// twice, or not 1..70 of RFC 2046's bchars (letters, digits, '()+_,-./:=? and space, not last).
std::optional<std::string> multipart_boundary(std::string_view content_type);

struct multipart_field {
    // The part's form name (Content-Disposition name=). A quoted name is unescaped the ways
    // senders escape: \" and \\ (RFC 7230 quoted-pair; another backslash stays, as a WHATWG
    // sender's raw backslash), and %22, %0D, %0A (what browsers, undici and curl write for '"',
    // CR and LF, decoded as the Fetch standard's own parser does).
    std::string name;
    bool is_file = false;      // the part has a filename=, filename*= (or filename*0=...) parameter
    // When is_file: filename*= (RFC 8187, percent-decoded, charset not converted) if given, else
    // filename=, unescaped as the name. At most filename_max bytes (never half a UTF-8
    // character) then "..." when cut.
    std::string filename;
    std::string content_type;  // the part's Content-Type if any, trimmed; cut as filename is
    std::uint64_t value_begin = 0;  // absolute offsets in the body of the part's value bytes
    std::uint64_t value_end = 0;    //   [begin, end): excludes the CRLF before the next delimiter
    std::string value;         // the value itself, only for non-file parts of at most max_value bytes
    bool value_kept = false;   // value holds the whole value
};

// Fed a body in pieces split anywhere, it finds the delimiters (CRLF "--" boundary; the first
// one may also be at offset 0), reads each part's header section and records the part as a
// multipart_field once the delimiter after it is seen. Work per byte is constant: a value's bytes
// are skipped with memchr for CR, and since a boundary holds no CR a failed partial match never
// needs to look back. Memory: the header section in progress (max_header) or the value in
// progress (max_value), and the fields (at most max_parts); never a file's bytes.
//
// Strict where gateway and upstream could read one body two ways: line ends are CRLF only (a
// bare LF or CR in a header section, or ending a delimiter line, is an error; the openai SDKs,
// browsers and curl send CRLF); a delimiter in a value must be a real one (followed by "--", or
// by optional spaces and tabs and CRLF); folded header lines, a header without a name, a part
// without "Content-Disposition: form-data" and a name, a Content-Disposition or Content-Type
// given twice, a parameter given twice, a name in RFC 2231 form (name*=, which python's email
// package reads as the name) are errors. A preamble before the first delimiter and an
// epilogue after the closing one are skipped; a body of the closing delimiter alone has no parts.
// Two parts may share a name: find() gives the first, and count() lets a caller refuse that.
class multipart_scanner {
public:
    static constexpr std::size_t filename_max = 255;

    // A boundary multipart_boundary would not return fails the scanner at once.
    explicit multipart_scanner(std::string boundary, std::size_t max_value = 4096,
                               std::size_t max_parts = 1000, std::size_t max_header = 8192);

    // The next bytes of the body, split anywhere. After an error, after the closing delimiter
    // (the epilogue) and after finish() the bytes are ignored.
    void feed(std::string_view bytes);
    // The body ended. True when it was well-formed: preamble, parts, closing delimiter. Ending
    // earlier is an error (failed() and error() say which); later calls give the same answer.
    bool finish();

    bool failed() const { return error_ != nullptr; }
    // Why, when failed: a fixed sentence, no body bytes.
    std::string_view error() const { return error_ ? std::string_view(error_) : std::string_view(); }
    // Where, when failed: the absolute offset of the byte that broke the form (of the part's
    // header section for its errors, of the body's end for finish()'s). The same whatever the
    // split.
    std::uint64_t error_offset() const { return error_offset_; }
    // The closing delimiter has been seen (the rest is epilogue).
    bool closed() const { return state_ == state::epilogue; }

    // In order, complete parts only (the ones before an error included).
    const std::vector<multipart_field>& fields() const { return fields_; }
    // The first non-file field with this name whose value was kept, or nullptr.
    const multipart_field* find(std::string_view name) const;
    // Complete parts with this name, files included.
    std::size_t count(std::string_view name) const;

    // Bytes held for the part in progress: what max_header and max_value bound.
    std::size_t held() const { return header_.size() + value_.size(); }

private:
    enum class state : unsigned char {
        preamble,        // before the first delimiter
        after_boundary,  // right after a delimiter's boundary: "--", padding or CRLF
        close_dash,      // after its first '-'
        padding,         // spaces and tabs after the boundary
        line_feed,       // after the delimiter line's CR
        headers,         // a part's header section
        value,           // a part's value
        epilogue,        // after the closing delimiter
        failed,
    };

    void run(const char* p, const char* end);
    const char* scan_value(const char* p, const char* end);
    void begin_part();
    void end_headers();
    void end_part(std::uint64_t value_end);
    void keep(const char* p, std::size_t n);
    void fail(const char* why, std::uint64_t at);

    std::string delimiter_;     // CRLF "--" boundary
    std::size_t max_value_;
    std::size_t max_parts_;
    std::size_t max_header_;
    state state_ = state::preamble;
    std::size_t matched_ = 0;   // bytes of delimiter_ matched so far, ending at offset_
    std::uint64_t offset_ = 0;  // absolute offset of the next byte run
    std::uint64_t header_begin_ = 0;
    std::uint64_t value_begin_ = 0;
    std::string header_;        // the header section so far
    std::string value_;         // the kept value so far
    bool keeping_ = false;      // the value in progress is kept (while within max_value)
    bool finished_ = false;
    std::size_t parts_ = 0;     // parts begun
    multipart_field part_;      // the part in progress, but for its value
    std::vector<multipart_field> fields_;
    const char* error_ = nullptr;
    std::uint64_t error_offset_ = 0;
};

}  // namespace aigw
