// Signed callbacks: which URLs a task may call back (schemes, userinfo, ports, internal
// addresses in every spelling, the admin's allow lists), the signature against a known
// HMAC-SHA256 vector, its verification window, and the retry schedule.
#include <string>
#include <string_view>
#include <vector>

#include "aigw/keys/cidr.hpp"
#include "aigw/media/callback.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

namespace {

const std::vector<aigw::cidr_block> no_blocks;
const std::vector<std::string> no_hosts;

aigw::callback_target check(std::string_view url) {
    return aigw::check_callback_url(url, no_blocks, no_hosts);
}

void expect_refused(std::string_view url, std::string_view error) {
    aigw::callback_target t = check(url);
    if (t.ok) print_error("accepted: %.*s\n", static_cast<int>(url.size()), url.data());
    assert_false(t.ok);
    assert_sv_equal(t.error, error);
    assert_true(t.host.empty());
}

std::vector<aigw::cidr_block> blocks(std::string_view list) {
    aigw::cidr_list_result r = aigw::parse_cidr_list(list);
    assert_true(r.ok);
    return r.blocks;
}

// ---- URLs ----

void accepted_urls(void**) {
    aigw::callback_target t = check("https://hooks.example.com/videos/done?token=abc&x=1");
    assert_true(t.ok);
    assert_true(t.error.empty());
    assert_true(t.https);
    assert_sv_equal(t.host, "hooks.example.com");
    assert_int_equal(t.port, 443);
    assert_sv_equal(t.path, "/videos/done?token=abc&x=1");
    assert_false(t.host_is_ip);

    t = check("http://Hooks.Example.COM:8080");
    assert_true(t.ok);
    assert_false(t.https);
    assert_sv_equal(t.host, "hooks.example.com");
    assert_int_equal(t.port, 8080);
    assert_sv_equal(t.path, "/");

    t = check("HTTPS://example.com?x=1#frag");
    assert_true(t.ok);
    assert_true(t.https);
    assert_sv_equal(t.path, "/?x=1");

    t = check("http://example.com/a#b/c");
    assert_true(t.ok);
    assert_sv_equal(t.path, "/a");

    t = check("http://8.8.8.8:1/x");
    assert_true(t.ok);
    assert_true(t.host_is_ip);
    assert_sv_equal(t.host, "8.8.8.8");
    assert_int_equal(t.port, 1);

    t = check("https://[2001:db8::1]:65535/cb");
    assert_true(t.ok);
    assert_true(t.host_is_ip);
    assert_sv_equal(t.host, "2001:db8::1");
    assert_int_equal(t.port, 65535);
    assert_sv_equal(t.path, "/cb");

    t = check("http://[2606:4700::6810:84E5]/");
    assert_true(t.ok);
    assert_sv_equal(t.host, "2606:4700::6810:84e5");

    // Public addresses next to the refused ranges.
    for (std::string_view url :
         {"http://11.0.0.1/", "http://100.63.255.255/", "http://100.128.0.1/",
          "http://126.255.255.255/", "http://128.0.0.1/", "http://169.253.1.1/",
          "http://172.15.255.255/", "http://172.32.0.1/", "http://192.167.1.1/",
          "http://223.255.255.255/", "http://[fbff::1]/", "http://[fe7f::1]/",
          "http://[::ffff:8.8.8.8]/", "http://[64:ff9b::808:808]/", "http://my_host.example/",
          "http://localhost.example.com/", "http://example.com./"}) {
        t = check(url);
        if (!t.ok) print_error("refused: %.*s (%s)\n", static_cast<int>(url.size()), url.data(),
                               t.error.c_str());
        assert_true(t.ok);
    }
}

void refused_schemes_and_shapes(void**) {
    expect_refused("", "callback URL is empty");
    expect_refused("ftp://example.com/x", "callback URL scheme must be http or https");
    expect_refused("file:///etc/passwd", "callback URL scheme must be http or https");
    expect_refused("gopher://example.com/", "callback URL scheme must be http or https");
    expect_refused("example.com/x", "callback URL has no scheme (http:// or https://)");
    expect_refused("//example.com/x", "callback URL has no scheme (http:// or https://)");
    expect_refused("://example.com/x", "callback URL scheme must be http or https");
    expect_refused("https://user:pass@example.com/", "callback URL must not hold a user or password");
    expect_refused("https://user@example.com/", "callback URL must not hold a user or password");
    expect_refused("https://example.com@127.0.0.1/", "callback URL must not hold a user or password");
    expect_refused("https:///x", "callback URL has no host");
    expect_refused("https://:443/x", "callback URL has no host");
    expect_refused("https://example.com:0/", "callback URL port must be 1..65535");
    expect_refused("https://example.com:65536/", "callback URL port must be 1..65535");
    expect_refused("https://example.com:123456/", "callback URL port must be 1..65535");
    expect_refused("https://example.com:-1/", "callback URL port must be 1..65535");
    expect_refused("https://example.com:http/", "callback URL port must be 1..65535");
    expect_refused("https://example.com:/", "callback URL has an empty port");
    expect_refused("https://exa mple.com/", "callback URL has a blank, control or non-ASCII byte");
    expect_refused("https://example.com/a\r\nHost: x",
                   "callback URL has a blank, control or non-ASCII byte");
    expect_refused("https://ex\xC3\xA4mple.com/", "callback URL has a blank, control or non-ASCII byte");
    expect_refused("https://exa..mple.com/", "callback URL has a bad host name");
    expect_refused("https://%31%32%37.0.0.1/", "callback URL has a bad host name");
    expect_refused("https://example.com\\@evil/", "callback URL must not hold a user or password");
    expect_refused("https://example.com\\evil/", "callback URL has a bad host name");
    expect_refused("https://" + std::string(64, 'a') + ".com/", "callback URL has a bad host name");
    expect_refused("https://[::1/", "callback URL has an unclosed [");
    expect_refused("https://[2001:db8::1]x/", "callback URL has bytes after ]");
    expect_refused("https://[2001:db8::1]:/", "callback URL has an empty port");
    expect_refused("https://[1.2.3.4]/", "callback URL has no IPv6 address inside [ ]");
    expect_refused("https://[fe80::1%25eth0]/", "callback URL has a bad IPv6 address");
    expect_refused("https://[zz::1]/", "callback URL has a bad IPv6 address");
    expect_refused("https://2001:db8::1/", "callback URL has a bad host name");

    // Length: 2048 bytes pass, one more does not.
    std::string url = "https://example.com/";
    url += std::string(2048 - url.size(), 'p');
    assert_true(check(url).ok);
    url += 'p';
    expect_refused(url, "callback URL is longer than 2048 bytes");
}

void refused_private_ipv4(void**) {
    const std::string_view internal[] = {
        "0.0.0.0",       "0.1.2.3",         "10.0.0.1",        "10.255.255.255",
        "100.64.0.1",    "100.127.255.254", "127.0.0.1",       "127.255.255.254",
        "169.254.169.254", "169.254.0.1",   "172.16.0.1",      "172.31.255.255",
        "192.168.0.1",   "192.168.255.255", "224.0.0.1",       "239.255.255.250",
        "240.0.0.1",     "255.255.255.255",
    };
    for (std::string_view ip : internal) {
        expect_refused("http://" + std::string(ip) + "/cb", "callback URL names an internal address");
        expect_refused("https://" + std::string(ip) + ":8443/cb",
                       "callback URL names an internal address");
    }
}

void refused_ipv4_spellings(void**) {
    // What resolvers read as 127.0.0.1 without the dotted quad: refused as bad IPv4.
    const std::string_view odd[] = {"127.1", "2130706433", "0x7f.0.0.1", "0x7f000001",
                                    "017700000001", "0177.0.0.1", "127.000.000.001",
                                    "127.0.0.1.1", "1.2.3.256", "0", "example.0x", "a.1"};
    for (std::string_view host : odd) {
        expect_refused("http://" + std::string(host) + "/",
                       "callback URL has a bad IPv4 address (write a.b.c.d)");
    }
    // A trailing dot is the same address.
    expect_refused("http://127.0.0.1./", "callback URL names an internal address");
    aigw::callback_target t = check("http://8.8.4.4./");
    assert_true(t.ok);
    assert_sv_equal(t.host, "8.8.4.4");
}

void refused_private_ipv6(void**) {
    const std::string_view internal[] = {
        "::",            "::1",           "0:0:0:0:0:0:0:1", "::0.0.0.1",    "::127.0.0.1",
        "::8.8.8.8",     "fc00::1",       "fd12:3456::1",    "fdff:ffff::1", "fe80::1",
        "febf::1",       "fec0::1",       "feff::1",         "ff02::1",      "ff05::1:3",
        // IPv4-mapped forms of the private ranges, in both spellings.
        "::ffff:127.0.0.1", "::ffff:7f00:1", "::FFFF:10.1.2.3", "::ffff:192.168.1.1",
        "::ffff:169.254.169.254", "::ffff:100.64.0.1", "::ffff:0.0.0.0", "::ffff:255.255.255.255",
        // NAT64 with an internal IPv4 inside.
        "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
    };
    for (std::string_view ip : internal) {
        expect_refused("http://[" + std::string(ip) + "]/cb", "callback URL names an internal address");
    }
}

void refused_local_names(void**) {
    for (std::string_view host : {"localhost", "LOCALHOST", "localhost.", "a.localhost",
                                  "x.y.LocalHost", "foo.localhost."}) {
        expect_refused("http://" + std::string(host) + ":8080/cb",
                       "callback URL names the local host");
    }
}

void allow_lists(void**) {
    std::vector<aigw::cidr_block> allow = blocks("127.0.0.1, 10.1.0.0/16, fd00::/8");
    aigw::callback_target t = aigw::check_callback_url("http://127.0.0.1:9000/hook", allow, no_hosts);
    assert_true(t.ok);
    assert_true(t.host_is_ip);
    assert_sv_equal(t.host, "127.0.0.1");
    assert_int_equal(t.port, 9000);
    // The mapped spelling of an allowed address is the same address.
    assert_true(aigw::check_callback_url("http://[::ffff:127.0.0.1]/", allow, no_hosts).ok);
    assert_true(aigw::check_callback_url("http://10.1.255.1/", allow, no_hosts).ok);
    assert_true(aigw::check_callback_url("http://[fd00::5]/", allow, no_hosts).ok);
    // Only what the list names.
    assert_false(aigw::check_callback_url("http://127.0.0.2/", allow, no_hosts).ok);
    assert_false(aigw::check_callback_url("http://10.2.0.1/", allow, no_hosts).ok);
    assert_false(aigw::check_callback_url("http://[fc00::5]/", allow, no_hosts).ok);
    assert_false(aigw::check_callback_url("http://[::1]/", allow, no_hosts).ok);
    // An address list does not let a local name through; a host list does, exactly.
    assert_false(aigw::check_callback_url("http://localhost/", allow, no_hosts).ok);
    std::vector<std::string> hosts = {"LocalHost", "api.localhost"};
    t = aigw::check_callback_url("http://localhost:8080/x", no_blocks, hosts);
    assert_true(t.ok);
    assert_sv_equal(t.host, "localhost");
    assert_false(t.host_is_ip);
    assert_true(aigw::check_callback_url("http://localhost./x", no_blocks, hosts).ok);
    assert_true(aigw::check_callback_url("http://API.localhost/x", no_blocks, hosts).ok);
    assert_false(aigw::check_callback_url("http://web.localhost/x", no_blocks, hosts).ok);
    // A host list does not let an address through.
    std::vector<std::string> ip_hosts = {"127.0.0.1"};
    assert_false(aigw::check_callback_url("http://127.0.0.1/x", no_blocks, ip_hosts).ok);
}

// ---- signatures ----

// printf '%s' '1758941485.{"id":"video_abc","object":"video","status":"completed"}' |
//     openssl dgst -sha256 -hmac 'whsec_test_secret'
const std::string_view vector_body = R"({"id":"video_abc","object":"video","status":"completed"})";
const std::string_view vector_secret = "whsec_test_secret";
const std::string_view vector_header =
    "t=1758941485,v1=50614606a138aee5ba6a7e6be9441b2e00356a18689463d90a05e8a4810db2ae";

void signature_vector(void**) {
    assert_sv_equal(aigw::callback_signature(vector_secret, 1758941485, vector_body),
                    vector_header);
    assert_sv_equal(aigw::callback_signature_header, "aigw-signature");
    // An empty body and secret still sign.
    std::string empty = aigw::callback_signature("", 0, "");
    assert_sv_equal(empty.substr(0, 7), "t=0,v1=");
    assert_int_equal(empty.size(), 7 + 64);
    assert_true(aigw::verify_callback_signature(empty, "", "", 0, 0));
}

void signature_verification(void**) {
    const std::int64_t t = 1758941485;
    assert_true(aigw::verify_callback_signature(vector_header, vector_secret, vector_body, t, 300));
    assert_true(aigw::verify_callback_signature(vector_header, vector_secret, vector_body, t + 300, 300));
    assert_true(aigw::verify_callback_signature(vector_header, vector_secret, vector_body, t - 300, 300));
    assert_false(aigw::verify_callback_signature(vector_header, vector_secret, vector_body, t + 301, 300));
    assert_false(aigw::verify_callback_signature(vector_header, vector_secret, vector_body, t - 301, 300));
    // Another body, another secret.
    std::string body(vector_body);
    body.back() = ' ';
    assert_false(aigw::verify_callback_signature(vector_header, vector_secret, body, t, 300));
    assert_false(aigw::verify_callback_signature(vector_header, "whsec_test_secreT", vector_body, t, 300));
    // Items in another order, blanks around them, and a second (rotated) v1.
    const std::string_view sig = "50614606a138aee5ba6a7e6be9441b2e00356a18689463d90a05e8a4810db2ae";
    std::string h = "v1=" + std::string(64, '0') + ", v1=" + std::string(sig) + " ,t=1758941485";
    assert_true(aigw::verify_callback_signature(h, vector_secret, vector_body, t, 5));
    // Broken headers.
    const std::string broken[] = {
        "",
        "t=1758941485",
        "v1=" + std::string(sig),
        "t=,v1=" + std::string(sig),
        "t=abc,v1=" + std::string(sig),
        "t=-1758941485,v1=" + std::string(sig),
        "t=1758941485,t=1758941485,v1=" + std::string(sig),
        "t=1758941485,v1=" + std::string(sig.substr(0, 63)),
        "t=1758941485,v1=" + std::string(sig) + "0",
        "t=1758941485,v0=" + std::string(sig),
        "t=1758941485,v1=50614606A138AEE5BA6A7E6BE9441B2E00356A18689463D90A05E8A4810DB2AE",
        "t=1758941485;v1=" + std::string(sig),
        "t=9999999999999999999,v1=" + std::string(sig),
    };
    for (const std::string& b : broken) {
        assert_false(aigw::verify_callback_signature(b, vector_secret, vector_body, t, 300));
    }
    assert_false(aigw::verify_callback_signature(vector_header, vector_secret, vector_body, t, -1));
    // What the gateway signs, it verifies.
    std::string signed_now = aigw::callback_signature("s3cret", 1700000000, "{\"a\":1}");
    assert_true(aigw::verify_callback_signature(signed_now, "s3cret", "{\"a\":1}", 1700000010, 60));
}

// ---- the schedule ----

void retry_delays(void**) {
    assert_int_equal(aigw::callback_max_attempts, 8);
    assert_int_equal(aigw::callback_retry_delay_ms(0), 0);
    assert_int_equal(aigw::callback_retry_delay_ms(-5), 0);
    assert_int_equal(aigw::callback_retry_delay_ms(1), 1000);
    assert_int_equal(aigw::callback_retry_delay_ms(2), 2000);
    assert_int_equal(aigw::callback_retry_delay_ms(3), 4000);
    assert_int_equal(aigw::callback_retry_delay_ms(7), 64000);
    assert_int_equal(aigw::callback_retry_delay_ms(8), 128000);
    assert_int_equal(aigw::callback_retry_delay_ms(9), 256000);
    assert_int_equal(aigw::callback_retry_delay_ms(10), 300000);
    assert_int_equal(aigw::callback_retry_delay_ms(64), 300000);
    assert_int_equal(aigw::callback_retry_delay_ms(2147483647), 300000);
    // The whole schedule of failed attempts 1..7 before the last try: 127 s.
    std::int64_t total = 0;
    for (int k = 1; k < aigw::callback_max_attempts; ++k) total += aigw::callback_retry_delay_ms(k);
    assert_int_equal(total, 127000);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepted_urls),
        cmocka_unit_test(refused_schemes_and_shapes),
        cmocka_unit_test(refused_private_ipv4),
        cmocka_unit_test(refused_ipv4_spellings),
        cmocka_unit_test(refused_private_ipv6),
        cmocka_unit_test(refused_local_names),
        cmocka_unit_test(allow_lists),
        cmocka_unit_test(signature_vector),
        cmocka_unit_test(signature_verification),
        cmocka_unit_test(retry_delays),
    };
    return cmocka_run_group_tests_name("media_callback", tests, nullptr, nullptr);
}
