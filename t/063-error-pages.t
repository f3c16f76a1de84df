# aigw_error_pages: what NGINX refuses while reading a request's head, before any location
# applies (a header too large, too many headers, a bad Content-Length, a Transfer-Encoding it
# does not know), is answered as JSON with the same status, in the dialect of the path asked
# for (OpenAI's, Anthropic's, Gemini's), with X-Request-Id; the same server with
# aigw_error_pages off answers NGINX's HTML. Outside a gateway location only NGINX's own pages
# change: a location's `return 404 "text"`, a file, a proxied upstream's 4xx and the page an
# error_page names stay as they are, and a location with aigw_error_pages off keeps the HTML.
# In a gateway location, an 8,000-byte unknown path and a 5,000-byte model id are quoted cut
# short: the 404 stays under 1 KB.
#
#     prove -I t/lib t/063-error-pages.t
#
# Plain Test::More: one NGINX; raw requests on sockets of their own (curl would mend the
# headers these tests break). Fixed loopback ports, all of them in 2170-2175:
#   2170  the gateway's server, aigw_error_pages on at the server level
#   2171  the same server with aigw_error_pages off
#   2172  the upstream: the channel's mock and a location that answers 418

use strict;
use warnings;

use lib 't/lib';
use Test::AIGW 'plain';

use File::Spec;

my ($OnPort, $OffPort, $UpPort) = (2170, 2171, 2172);
my $ServRoot = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');

sub server_conf {
    my ($port, $pages) = @_;
    return <<"_EOC_";
    server {
        listen 127.0.0.1:$port;
        aigw_error_pages $pages;
        location /v1/ {
            aigw on;
        }
        location /v1beta/ {
            aigw on;
        }
        location /_aigw/openai/ {
            internal;
            proxy_pass http://127.0.0.1:$UpPort/;
        }
        location = /own/text {
            return 404 "not here\\n";
        }
        location = /own/nginx {
            return 404;
        }
        location = /own/upstream {
            proxy_pass http://127.0.0.1:$UpPort/teapot;
        }
        location = /own/error-page {
            error_page 404 /own/custom;
            return 404;
        }
        location = /own/custom {
            internal;
            return 200 "custom page\\n";
        }
        location /files/ {
            root $ServRoot/html;
            log_not_found off;
        }
        location /html/ {
            aigw_error_pages off;
            return 404;
        }
    }
_EOC_
}

my $Conf = <<"_EOC_";
    aigw_channel openai location=/_aigw/openai;
    aigw_model gpt-4o openai;
_EOC_
$Conf .= server_conf($OnPort, 'on') . server_conf($OffPort, 'off') . <<"_EOC_";
    server {
        listen 127.0.0.1:$UpPort;
        default_type text/plain;
        location = /teapot {
            return 418 "short and stout\\n";
        }
        location / {
            return 200 "{}";
        }
    }
_EOC_

# A request's bytes: its head as given (Host and Connection: close first), then `body`.
sub raw {
    my (%o) = @_;
    my $text = ($o{method} // 'POST') . ' ' . ($o{path} // '/v1/chat/completions')
             . " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
    $text .= "$_\r\n" for @{ $o{headers} || [] };
    return $text . "\r\n" . ($o{body} // '');
}

sub ask {
    my ($port, $text) = @_;
    my ($resp) = http_raw($port, $text, timeout => 10);
    return http_parse($resp);
}

# A JSON error: the status, application/json, a request id, and the body's `error` object,
# which the caller checks further.
sub json_error {
    my ($r, $status, $what) = @_;
    is($r->{status}, $status, "$what: $status") or diag(substr($r->{head} . "\n" . $r->{body}, 0, 600));
    is($r->{h}{'content-type'}, 'application/json', "$what: application/json");
    like($r->{h}{'x-request-id'} // '', qr/^req_[0-9a-f]{32}$/, "$what: X-Request-Id");
    is($r->{h}{'content-length'}, length $r->{body}, "$what: Content-Length is the body's");
    is(ref $r->{json}, 'HASH', "$what: the body is JSON") or diag($r->{body});
    my $e = ref $r->{json} eq 'HASH' ? $r->{json}{error} : undef;
    is(ref $e, 'HASH', "$what: the body is {\"error\":{...}}") or diag($r->{body});
    return $e // {};
}

# OpenAI's shape: the code and the type, and the message matched.
sub openai_error {
    my ($r, $status, $code, $message, $what) = @_;
    my $e = json_error($r, $status, $what);
    is($e->{code}, $code, "$what: code $code");
    is($e->{type}, 'invalid_request_error', "$what: invalid_request_error");
    like($e->{message} // '', $message, "$what: the message says why");
}

# The same request answered as NGINX's page: the status and HTML, no request id.
sub html_page {
    my ($r, $status, $title, $what) = @_;
    is($r->{status}, $status, "$what: $status") or diag(substr($r->{head}, 0, 300));
    is($r->{h}{'content-type'}, 'text/html', "$what: text/html");
    like($r->{body}, qr{<title>\Q$title\E</title>}, "$what: NGINX's page");
    ok(!exists $r->{h}{'x-request-id'}, "$what: no X-Request-Id");
}

# What a location sent itself: its status, type and body, untouched.
sub untouched {
    my ($r, $status, $type, $body, $what) = @_;
    is($r->{status}, $status, "$what: $status") or diag(substr($r->{head}, 0, 300));
    is($r->{h}{'content-type'}, $type, "$what: $type");
    is($r->{body}, $body, "$what: its own body");
    ok(!exists $r->{h}{'x-request-id'}, "$what: no X-Request-Id");
}

my $Huge = 'X-Huge: ' . ('h' x (100 * 1024));
my @Thousand = map { sprintf('X-Header-%04d: %s', $_, 'v' x 40) } 1 .. 1000;
my $LongAuth = 'Authorization: Bearer sk-aigw-' . ('k' x (10 * 1024));
my $TooLarge = qr/headers are larger than the gateway accepts/;
my $NotTe = qr/Transfer-Encoding is not supported/;

aigw_nginx_start($Conf, port => $OnPort, log_level => 'info');
mkdir "$ServRoot/html/files" or die "cannot make $ServRoot/html/files: $!\n";
spew("$ServRoot/html/files/present.txt", "a file\n");

# ---- refused while reading the head: JSON, in the path's dialect ----

openai_error(ask($OnPort, raw(headers => [$Huge])), 400, 'request_header_too_large', $TooLarge,
             'a 100 KB header');
openai_error(ask($OnPort, raw(headers => \@Thousand)), 400, 'request_header_too_large', $TooLarge,
             '1,000 headers');
openai_error(ask($OnPort, raw(headers => [$LongAuth])), 400, 'request_header_too_large', $TooLarge,
             'a 10 KB Authorization');
for my $case (['negative Content-Length', ['Content-Length: -2'], '{}'],
              ['alphabetic Content-Length', ['Content-Length: two'], '{}'],
              ['doubled Content-Length', ['Content-Length: 2', 'Content-Length: 2'], '{}'],
              ['chunked plus Content-Length', ['Transfer-Encoding: chunked', 'Content-Length: 7'],
               "2\r\n{}\r\n0\r\n\r\n"]) {
    my ($what, $headers, $body) = @$case;
    openai_error(ask($OnPort, raw(headers => $headers, body => $body)), 400, 'bad_request',
                 qr/malformed/, $what);
}
openai_error(ask($OnPort, raw(headers => ['Transfer-Encoding: identity'], body => '{}')), 501,
             'not_implemented', $NotTe, 'Transfer-Encoding: identity');
openai_error(ask($OnPort, raw(headers => ['Transfer-Encoding: gzip, chunked'], body => '{}')), 501,
             'not_implemented', $NotTe, 'Transfer-Encoding: gzip, chunked');
openai_error(ask($OnPort, "GET /v1/models HTTP/2.0\r\nHost: localhost\r\nConnection: close\r\n\r\n"), 505,
             'http_version_not_supported', qr/HTTP version is not supported/, 'an HTTP/2.0 request line');

{
    my $what = 'Anthropic path, a 100 KB header';
    my $r = ask($OnPort, raw(path => '/v1/messages', headers => ['anthropic-version: 2023-06-01', $Huge]));
    my $e = json_error($r, 400, $what);
    is($r->{json}{type}, 'error', "$what: Anthropic's shape");
    is($e->{type}, 'invalid_request_error', "$what: invalid_request_error");
    like($e->{message} // '', $TooLarge, "$what: the message says why");
    ok(!exists $e->{code}, "$what: no OpenAI code");
    is($r->{h}{'request-id'}, $r->{h}{'x-request-id'}, "$what: request-id, where Anthropic's SDKs read it");
}
{
    my $what = 'Gemini path, Transfer-Encoding: identity';
    my $r = ask($OnPort, raw(path => '/v1beta/models/gemini-2.5-flash:generateContent',
                             headers => ['Transfer-Encoding: identity'], body => '{}'));
    my $e = json_error($r, 501, $what);
    is($e->{code}, 501, "$what: Google's shape (code is the status)");
    is($e->{status}, 'UNIMPLEMENTED', "$what: UNIMPLEMENTED");
    like($e->{message} // '', $NotTe, "$what: the message says why");
}

# ---- the same server with aigw_error_pages off: NGINX's HTML ----

html_page(ask($OffPort, raw(headers => [$Huge])), 400, '400 Request Header Or Cookie Too Large',
          'aigw_error_pages off, a 100 KB header');
html_page(ask($OffPort, raw(headers => ['Transfer-Encoding: identity'], body => '{}')), 501,
          '501 Not Implemented', 'aigw_error_pages off, Transfer-Encoding: identity');

# ---- outside a gateway location: NGINX's own pages only ----

untouched(ask($OnPort, raw(method => 'GET', path => '/own/text')), 404, 'text/plain', "not here\n",
          'return 404 "text"');
untouched(ask($OnPort, raw(method => 'GET', path => '/own/upstream')), 418, 'text/plain',
          "short and stout\n", "a proxied upstream's 418");
untouched(ask($OnPort, raw(method => 'GET', path => '/own/error-page')), 404, 'text/plain',
          "custom page\n", 'the page an error_page names');
untouched(ask($OnPort, raw(method => 'GET', path => '/files/present.txt')), 200, 'text/plain',
          "a file\n", 'a file');
openai_error(ask($OnPort, raw(method => 'GET', path => '/own/nginx')), 404, 'not_found',
             qr/not found/, 'return 404 (NGINX\'s page)');
openai_error(ask($OnPort, raw(method => 'GET', path => '/files/missing.txt')), 404, 'not_found',
             qr/not found/, 'a missing file (NGINX\'s page)');
html_page(ask($OnPort, raw(method => 'GET', path => '/html/x')), 404, '404 Not Found',
          'a location with aigw_error_pages off');

# ---- client values quoted cut short, in a gateway location ----

{
    my $what = 'an 8,000-byte unknown path';
    my $path = '/v1/' . ('u' x 7996);
    my $r = ask($OnPort, raw(method => 'GET', path => $path));
    openai_error($r, 404, 'unknown_url', qr/^\QInvalid URL (GET \E/, $what);
    cmp_ok(length $r->{body}, '<', 1024, "$what: the body is under 1 KB");
    is(($r->{json}{error} // {})->{message}, 'Invalid URL (GET ' . substr($path, 0, 256) . '...)',
       "$what: 256 bytes of the path, then ...");
}
{
    my $what = 'a 5,000-byte model id';
    my $id = 'm' x 5000;
    my $r = ask($OnPort, raw(method => 'GET', path => "/v1/models/$id"));
    openai_error($r, 404, 'model_not_found', qr/does not exist/, $what);
    cmp_ok(length $r->{body}, '<', 1024, "$what: the body is under 1 KB");
    like(($r->{json}{error} // {})->{message} // '', qr/^The model `m{256}\.\.\.` does not exist/,
         "$what: 256 bytes of the id, then ...");
}

my $log = aigw_nginx_stop();
my @bad = grep { /^\S+ \S+ \[(?:error|alert|crit|emerg)\]|exited on signal/ } split /^/m, $log;
is(scalar @bad, 0, 'no line of level error or worse, no crash, in error.log') or diag(@bad);
like($log, qr/\[info\] [^\n]*client sent too long header line/,
     'NGINX logged its refusals at info as it does without the module');

done_testing();
