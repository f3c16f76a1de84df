#include "aigw/text/multipart.hpp"

#include <cstring>

#include "aigw/text/log_value.hpp"
#include "aigw/text/strings.hpp"

namespace aigw {

namespace {

constexpr std::size_t boundary_max = 70;  // RFC 2046 section 5.1.1

// RFC 2046's bchars: what a boundary is made of. None is CR, which the delimiter search needs.
bool is_bchar(unsigned char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::strchr("'()+_,-./:=? ", c) != nullptr && c != '\0';
}

bool valid_boundary(std::string_view b) {
    if (b.empty() || b.size() > boundary_max || b.back() == ' ') return false;
    for (char c : b) {
        if (!is_bchar(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

// RFC 7230's tchar.
bool is_tchar(unsigned char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        unsigned char x = static_cast<unsigned char>(a[i]);
        unsigned char y = static_cast<unsigned char>(b[i]);
        if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// A header value's parameters: `type *( OWS ";" OWS name OWS "=" OWS value )`, trailing and
// empty ";" allowed. The reader walks them; a quoted value is unescaped by `unquote`.
class param_reader {
public:
    explicit param_reader(std::string_view v) : v_(v) {}

    void skip_ows() {
        while (i_ < v_.size() && (v_[i_] == ' ' || v_[i_] == '\t')) ++i_;
    }

    std::string_view token() {
        std::size_t from = i_;
        while (i_ < v_.size() && is_tchar(static_cast<unsigned char>(v_[i_]))) ++i_;
        return v_.substr(from, i_ - from);
    }

    bool take(char c) {
        if (i_ < v_.size() && v_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }

    enum class step { param, end, malformed };

    // The next parameter's name and value, after the type (or the previous parameter).
    template <class Unquote>
    step next(std::string_view& name, std::string& value, Unquote unquote) {
        while (true) {
            skip_ows();
            if (i_ == v_.size()) return step::end;
            if (!take(';')) return step::malformed;
            skip_ows();
            if (i_ == v_.size()) return step::end;
            if (v_[i_] != ';') break;
        }
        name = token();
        if (name.empty()) return step::malformed;
        skip_ows();
        if (!take('=')) return step::malformed;
        skip_ows();
        value.clear();
        if (take('"')) {
            return unquote(v_, i_, value) ? step::param : step::malformed;
        }
        std::string_view t = token();
        if (t.empty()) return step::malformed;
        value.assign(t);
        return step::param;
    }

private:
    std::string_view v_;
    std::size_t i_ = 0;
};

// The rest of a quoted-string after its opening quote, RFC 7230 style: a backslash takes the
// next byte as it is. False when the closing quote is missing.
bool unquote_http(std::string_view v, std::size_t& i, std::string& out) {
    while (i < v.size()) {
        char c = v[i++];
        if (c == '"') return true;
        if (c == '\\' && i < v.size()) c = v[i++];
        out += c;
    }
    return false;
}

// The rest of a quoted name or filename in a part's Content-Disposition, undoing either way
// senders escape: \" and \\ (RFC 7230; python's email package undoes only these two, so another
// backslash stays, as a WHATWG sender's raw backslash must), and %22, %0D, %0A (WHATWG's
// escapes, decoded as the Fetch standard's multipart parser does: upper case only).
bool unquote_form(std::string_view v, std::size_t& i, std::string& out) {
    while (i < v.size()) {
        char c = v[i];
        if (c == '"') {
            ++i;
            return true;
        }
        if (c == '\\' && i + 1 < v.size() && (v[i + 1] == '"' || v[i + 1] == '\\')) {
            out += v[i + 1];
            i += 2;
            continue;
        }
        if (c == '%' && i + 2 < v.size()) {
            std::string_view esc = v.substr(i, 3);
            char decoded = esc == "%22" ? '"' : esc == "%0D" ? '\r' : esc == "%0A" ? '\n' : '\0';
            if (decoded != '\0') {
                out += decoded;
                i += 3;
                continue;
            }
        }
        out += c;
        ++i;
    }
    return false;
}

// RFC 8187's ext-value (charset'language'percent-encoded bytes) as its bytes; the charset is
// not converted (a filename is only shown). A value without the two quotes stays as it came.
std::string decode_ext_value(std::string_view v) {
    std::size_t q1 = v.find('\'');
    std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
    if (q2 == std::string_view::npos) return std::string(v);
    std::string out;
    for (std::size_t i = q2 + 1; i < v.size(); ++i) {
        int hi = 0;
        int lo = 0;
        if (v[i] == '%' && i + 2 < v.size() && (hi = hex_digit(v[i + 1])) >= 0 &&
            (lo = hex_digit(v[i + 2])) >= 0) {
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += v[i];
        }
    }
    return out;
}

// At most filename_max bytes, never half a UTF-8 character, and "..." when cut.
std::string bounded(std::string_view v) {
    if (v.size() <= multipart_scanner::filename_max) return std::string(v);
    std::string out(v.substr(0, utf8_prefix_length(v, multipart_scanner::filename_max)));
    out += "...";
    return out;
}

const char* const err_boundary = "the boundary is not a valid multipart/form-data boundary";
const char* const err_no_delimiter = "the body ended before its first delimiter";
const char* const err_delimiter_line =
    "a delimiter is followed by bytes other than \"--\", or spaces and tabs and CRLF";
const char* const err_ended_in_delimiter = "the body ended inside a delimiter line";
const char* const err_too_many_parts = "the body has more parts than allowed";
const char* const err_header_too_long = "a part's header section is longer than allowed";
const char* const err_ended_in_headers = "the body ended inside a part's header section";
const char* const err_no_close = "the body ended inside a part: no closing delimiter";
const char* const err_bare_line_end = "a part's header section has a bare CR or LF";
const char* const err_folded = "a part's header section has a folded line";
const char* const err_header_name = "a part's header line has no valid name";
const char* const err_two_dispositions = "a part has two Content-Disposition headers";
const char* const err_two_types = "a part has two Content-Type headers";
const char* const err_no_disposition = "a part has no Content-Disposition header";
const char* const err_not_form_data = "a part's Content-Disposition is not form-data";
const char* const err_disposition_syntax = "a part's Content-Disposition is malformed";
const char* const err_two_params = "a part's Content-Disposition gives a parameter twice";
const char* const err_no_name = "a part's Content-Disposition has no name";
const char* const err_ext_name = "a part's Content-Disposition has an RFC 2231 name (name*)";

// A part's Content-Disposition value into `part`: nullptr, or why not.
const char* read_disposition(std::string_view v, multipart_field& part) {
    param_reader r(v);
    if (!iequals(r.token(), "form-data")) return err_not_form_data;
    bool has_name = false;
    bool has_filename = false;
    bool has_ext_filename = false;
    bool has_filename_pieces = false;
    std::string filename;
    std::string ext_filename;
    std::string_view pname;
    std::string pvalue;
    while (true) {
        param_reader::step s = r.next(pname, pvalue, unquote_form);
        if (s == param_reader::step::end) break;
        if (s == param_reader::step::malformed) return err_disposition_syntax;
        if (iequals(pname, "name")) {
            if (has_name) return err_two_params;
            has_name = true;
            part.name = pvalue;
        } else if (iequals(pname, "filename")) {
            if (has_filename) return err_two_params;
            has_filename = true;
            filename = pvalue;
        } else if (iequals(pname, "filename*")) {
            if (has_ext_filename) return err_two_params;
            has_ext_filename = true;
            ext_filename = decode_ext_value(pvalue);
        } else if (iequals(pname.substr(0, 5), "name*")) {
            // RFC 2231 forms of the name (name*=, name*0=): python's email package reads them
            // as the name, so a part could be named one thing here and another upstream.
            return err_ext_name;
        } else if (iequals(pname.substr(0, 9), "filename*")) {
            has_filename_pieces = true;  // RFC 2231 continuations (filename*0=): a file still
        }
    }
    if (!has_name) return err_no_name;
    part.is_file = has_filename || has_ext_filename || has_filename_pieces;
    if (part.is_file) part.filename = bounded(has_ext_filename ? ext_filename : filename);
    return nullptr;
}

// A header section (header lines each ending in CRLF, then the blank line's CRLF) into `part`:
// nullptr, or why not and the offset in `section` of the line at fault. Every line's form is
// checked before any value is read, so the error does not depend on the order of the lines.
const char* read_header_section(std::string_view section, multipart_field& part, std::size_t& at) {
    std::string_view disposition;
    std::size_t disposition_at = 0;
    bool has_disposition = false;
    bool has_type = false;
    std::size_t pos = 0;
    while (true) {
        std::size_t eol = section.find("\r\n", pos);
        at = pos;
        std::string_view line = section.substr(pos, eol - pos);
        if (line.empty()) break;  // the blank line (the section always ends in one)
        pos = eol + 2;
        if (line.find_first_of("\r\n") != std::string_view::npos) return err_bare_line_end;
        if (line[0] == ' ' || line[0] == '\t') return err_folded;
        std::size_t colon = line.find(':');
        if (colon == 0 || colon == std::string_view::npos) return err_header_name;
        std::string_view name = line.substr(0, colon);
        for (char c : name) {
            if (!is_tchar(static_cast<unsigned char>(c))) return err_header_name;
        }
        std::string_view value = trim(line.substr(colon + 1));
        if (iequals(name, "content-disposition")) {
            if (has_disposition) return err_two_dispositions;
            has_disposition = true;
            disposition = value;
            disposition_at = at;
        } else if (iequals(name, "content-type")) {
            if (has_type) return err_two_types;
            has_type = true;
            part.content_type = bounded(value);
        }
    }
    if (!has_disposition) {
        at = 0;
        return err_no_disposition;
    }
    at = disposition_at;
    return read_disposition(disposition, part);
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
    param_reader r(trim(content_type));
    if (!iequals(r.token(), "multipart") || !r.take('/') || !iequals(r.token(), "form-data")) {
        return std::nullopt;
    }
    std::optional<std::string> boundary;
    std::string_view pname;
    std::string pvalue;
    while (true) {
        param_reader::step s = r.next(pname, pvalue, unquote_http);
        if (s == param_reader::step::end) break;
        if (s == param_reader::step::malformed) return std::nullopt;
        if (iequals(pname, "boundary")) {
            if (boundary) return std::nullopt;  // two: which one the upstream takes is unknown
            boundary = pvalue;
        }
    }
    if (!boundary || !valid_boundary(*boundary)) return std::nullopt;
    return boundary;
}

multipart_scanner::multipart_scanner(std::string boundary, std::size_t max_value,
                                     std::size_t max_parts, std::size_t max_header)
    : max_value_(max_value), max_parts_(max_parts), max_header_(max_header) {
    if (!valid_boundary(boundary)) {
        fail(err_boundary, 0);
        return;
    }
    delimiter_ = "\r\n--" + boundary;
    // The first delimiter may open the body without its CRLF: as if a CRLF came before it.
    matched_ = 2;
}

void multipart_scanner::feed(std::string_view bytes) {
    if (!finished_) run(bytes.data(), bytes.data() + bytes.size());
}

bool multipart_scanner::finish() {
    if (finished_) return closed();
    finished_ = true;
    switch (state_) {
    case state::epilogue: return true;
    case state::failed: return false;
    case state::preamble: fail(err_no_delimiter, offset_); break;
    case state::headers: fail(err_ended_in_headers, offset_); break;
    case state::value: fail(err_no_close, offset_); break;
    case state::after_boundary:
    case state::close_dash:
    case state::padding:
    case state::line_feed: fail(err_ended_in_delimiter, offset_); break;
    }
    return false;
}

const multipart_field* multipart_scanner::find(std::string_view name) const {
    for (const multipart_field& f : fields_) {
        if (!f.is_file && f.value_kept && f.name == name) return &f;
    }
    return nullptr;
}

std::size_t multipart_scanner::count(std::string_view name) const {
    std::size_t n = 0;
    for (const multipart_field& f : fields_) {
        if (f.name == name) ++n;
    }
    return n;
}

void multipart_scanner::run(const char* p, const char* end) {
    static constexpr char blank_line[] = "\r\n\r\n";
    while (p < end) {
        switch (state_) {
        case state::preamble:
        case state::value:
            p = scan_value(p, end);
            break;
        case state::after_boundary:
            if (*p == '-') {
                state_ = state::close_dash;
            } else if (*p == ' ' || *p == '\t') {
                state_ = state::padding;
            } else if (*p == '\r') {
                state_ = state::line_feed;
            } else {
                fail(err_delimiter_line, offset_);
                return;
            }
            ++p;
            ++offset_;
            break;
        case state::close_dash:
            if (*p != '-') {
                fail(err_delimiter_line, offset_);
                return;
            }
            ++p;
            ++offset_;
            state_ = state::epilogue;
            break;
        case state::padding:
            if (*p == '\r') {
                state_ = state::line_feed;
            } else if (*p != ' ' && *p != '\t') {
                fail(err_delimiter_line, offset_);
                return;
            }
            ++p;
            ++offset_;
            break;
        case state::line_feed:
            if (*p != '\n') {
                fail(err_delimiter_line, offset_);
                return;
            }
            ++p;
            ++offset_;
            begin_part();
            break;
        case state::headers:
            // Byte by byte, but a header section is at most max_header bytes.
            while (p < end) {
                if (header_.size() >= max_header_) {
                    fail(err_header_too_long, offset_);
                    return;
                }
                char c = *p++;
                ++offset_;
                header_ += c;
                matched_ = c == blank_line[matched_] ? matched_ + 1 : (c == '\r' ? 1 : 0);
                if (matched_ == 4) {
                    end_headers();
                    break;
                }
            }
            break;
        case state::epilogue:
        case state::failed:
            return;
        }
    }
}

// A value's bytes (or the preamble's) up to the next delimiter. The delimiter's only CR is its
// first byte, so when a partial match fails, none of the bytes matched can begin another: they
// are value bytes (the delimiter's own prefix, so nothing needs keeping to replay them) and the
// byte that failed is looked at anew.
const char* multipart_scanner::scan_value(const char* p, const char* end) {
    const std::size_t size = delimiter_.size();
    while (p < end) {
        if (matched_ == 0) {
            const char* cr = static_cast<const char*>(std::memchr(p, '\r', end - p));
            const char* stop = cr ? cr : end;
            keep(p, static_cast<std::size_t>(stop - p));
            offset_ += static_cast<std::uint64_t>(stop - p);
            p = stop;
            if (p == end) break;
            matched_ = 1;
            ++p;
            ++offset_;
        }
        while (p < end && matched_ < size && *p == delimiter_[matched_]) {
            ++matched_;
            ++p;
            ++offset_;
        }
        if (matched_ == size) {
            matched_ = 0;
            if (state_ == state::value) end_part(offset_ - size);
            state_ = state::after_boundary;
            break;
        }
        if (p < end) {
            keep(delimiter_.data(), matched_);
            matched_ = 0;
        }
    }
    return p;
}

void multipart_scanner::begin_part() {
    if (parts_ == max_parts_) {
        fail(err_too_many_parts, offset_);
        return;
    }
    ++parts_;
    header_begin_ = offset_;
    header_.clear();
    // The delimiter line's CRLF counts toward the blank line: "\r\n" at once is an empty section.
    matched_ = 2;
    state_ = state::headers;
}

void multipart_scanner::end_headers() {
    std::size_t at = 0;
    if (const char* why = read_header_section(header_, part_, at)) {
        fail(why, header_begin_ + at);
        return;
    }
    header_.clear();
    value_begin_ = offset_;
    value_.clear();
    keeping_ = !part_.is_file;
    matched_ = 0;
    state_ = state::value;
}

void multipart_scanner::end_part(std::uint64_t value_end) {
    part_.value_begin = value_begin_;
    part_.value_end = value_end;
    if (keeping_) {
        part_.value = std::move(value_);
        part_.value_kept = true;
    }
    fields_.push_back(std::move(part_));
    part_ = multipart_field();
    value_.clear();
    keeping_ = false;
}

void multipart_scanner::keep(const char* p, std::size_t n) {
    if (!keeping_ || n == 0) return;
    if (n > max_value_ - value_.size()) {
        keeping_ = false;
        std::string().swap(value_);
        return;
    }
    value_.append(p, n);
}

void multipart_scanner::fail(const char* why, std::uint64_t at) {
    state_ = state::failed;
    error_ = why;
    error_offset_ = at;
    // Give the memory back now: nothing more is read.
    std::string().swap(header_);
    std::string().swap(value_);
    part_ = multipart_field();
    keeping_ = false;
}

}  // namespace aigw
