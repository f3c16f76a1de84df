// A RESP command written by hand: the usage records build thousands of XADDs, and writing the
// protocol into a buffer sized once is faster than hiredis's printf-style formatter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace aigw::ngx {

// Writes a RESP array of bulk strings into a buffer sized beforehand (the caller bounds the
// length: at most 8 bytes of framing per element plus the elements' bytes).
class resp_writer {
public:
    explicit resp_writer(char* p) : p_(p) {}
    void header(size_t n) {
        *p_++ = '*';
        p_ = decimal(n, p_);
        crlf();
    }
    void bulk(std::string_view s) {
        *p_++ = '$';
        p_ = decimal(s.size(), p_);
        crlf();
        if (!s.empty()) {  // an empty view may hold a null pointer, which memcpy must not get
            std::memcpy(p_, s.data(), s.size());
            p_ += s.size();
        }
        crlf();
    }
    // A string literal (a field's name): its length is known where this is compiled, so the
    // framing folds into constants and the copy into a few moves.
    template <size_t N>
    void bulk_literal(const char (&s)[N]) {
        static_assert(N >= 1 && N - 1 < 100, "a short literal, its NUL included");
        bulk(std::string_view(s, N - 1));
    }
    void bulk(int64_t n) {
        char buf[24];
        char* q = buf;
        if (n < 0) {
            *q++ = '-';
        }
        q = decimal(n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n), q);
        bulk(std::string_view(buf, static_cast<size_t>(q - buf)));
    }
    // Bytes already in RESP form (a prefix framed once), copied as they are.
    void raw(std::string_view s) {
        if (!s.empty()) {
            std::memcpy(p_, s.data(), s.size());
            p_ += s.size();
        }
    }
    // A bulk string of `len` bytes the caller writes at the pointer returned, exactly `len`.
    char* bulk_reserve(size_t len) {
        *p_++ = '$';
        p_ = decimal(len, p_);
        crlf();
        char* data = p_;
        p_ += len;
        crlf();
        return data;
    }
    char* pos() const { return p_; }

    // Writes n's digits at p; returns the end. Most numbers a record holds (lengths, token
    // counts, milliseconds) have one or two digits: those skip the loop.
    static char* decimal(uint64_t n, char* p) {
        if (n < 10) {
            *p = static_cast<char>('0' + n);
            return p + 1;
        }
        if (n < 100) {
            p[0] = static_cast<char>('0' + n / 10);
            p[1] = static_cast<char>('0' + n % 10);
            return p + 2;
        }
        char buf[20];
        char* q = buf + sizeof(buf);
        do {
            *--q = static_cast<char>('0' + n % 10);
            n /= 10;
        } while (n);
        size_t len = static_cast<size_t>(buf + sizeof(buf) - q);
        std::memcpy(p, q, len);
        return p + len;
    }

private:
    void crlf() {
        std::memcpy(p_, "\r\n", 2);
        p_ += 2;
    }
    char* p_;
};

}  // namespace aigw::ngx
