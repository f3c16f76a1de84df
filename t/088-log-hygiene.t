# What error.log and the access log may hold: never a client's raw key (NGINX's own lines about
# duplicate or over-long headers, the module's lines, a key sent in the query string, at the
# error_log level conf.d/production.conf.example ships), a ?key= never forwarded upstream,
# and a channel that is down costing one module line a second, not one per request.
#
#     prove -I t/lib t/088-log-hygiene.t
#
# Plain Test::More with Test::AIGW's private Redis, NGINX started per scenario.

use strict;
use warnings;

use lib 't/lib';
use Test::AIGW 'redis', 'plain';

use File::Spec;
use Time::HiRes qw(sleep time);

my ($GwPort, $MockPort, $DownPort) = (22980, 22981, 22982);
my $ServRoot = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
my $ErrorLog = "$ServRoot/logs/error.log";
my $RedisPort = redis_port();

# The level the production example logs at: the one these tests hold to.
my ($ProductionLevel) = slurp('conf.d/production.conf.example') =~ /^error_log\s+\S+\s+(\w+);/m;
ok($ProductionLevel, "the production example sets an error_log level ($ProductionLevel)")
    or BAIL_OUT('no error_log level in conf.d/production.conf.example');

# A valid key (in Redis) and a well-formed unknown one; all contain "Hygiene".
my $Valid   = 'sk-aigw-HygieneValid00000000000000000000000000000000VAL1';
my $Unknown = 'sk-aigw-HygieneUnknown000000000000000000000000000000UNK1';
redis_cmd('HSET', aigw_key_hash($Valid), id => 'key_hygieneAAAAAAAAA',
          status => 'active', models => '*', last4 => 'VAL1');
redis_cmd('DEL', aigw_key_hash($Unknown));

sub gateway_conf {
    return <<"_EOC_";
    log_format keys '\$request | \$request_uri | \$args';
    aigw_redis 127.0.0.1:$RedisPort timeout=300ms;
    aigw_key_cache zone=keys:1m ttl=5s;
    aigw_billing off;
    aigw_usage_log off;
    aigw_channel up location=/_up;
    aigw_channel down location=/_down;
    limit_req_zone \$binary_remote_addr zone=tight:1m rate=1r/m;
    limit_req_log_level warn;

    server {
        listen 127.0.0.1:$GwPort;
        access_log $ServRoot/logs/keys.log keys;
        location /v1/ {
            aigw on;
            aigw_model gpt-4o up;
            aigw_model gpt-4o-down down;
        }
        # limit_req logs (at warn, with the request line) before the access phase.
        location /limited/v1/ {
            limit_req zone=tight;
            aigw on;
            aigw_model gpt-4o up;
        }
        location /_up/ { internal; proxy_pass http://127.0.0.1:$MockPort/; }
        location /_down/ { internal; proxy_pass http://127.0.0.1:$DownPort/; }
    }

    # The provider: echoes the query and the URI it got.
    server {
        listen 127.0.0.1:$MockPort;
        default_type application/json;
        location / {
            return 200 '{"args":"\$args","uri":"\$request_uri","key":"\$arg_key","object":"list","data":[]}';
        }
    }
_EOC_
}

# One raw request on its own connection; returns the whole response.
sub raw_request { return (http_raw($GwPort, $_[0]))[0] }

# A GET with these header lines ("Name: value", repeated names kept).
sub get {
    my ($path, @headers) = @_;
    return raw_request(http_request_text(method => 'GET', path => $path,
                                         headers => [map { [split /:\s*/, $_, 2] } @headers]));
}

# NGINX writes the access log line as it closes the connection, which a busy machine may do a
# little after the client has the whole answer: wait (at most 5 s) for $re in $file before
# stopping NGINX.
sub wait_for_log {
    my ($file, $re) = @_;
    my $deadline = time + 5;
    sleep 0.05 while time < $deadline && slurp($file) !~ $re;
}

sub status_of { ($_[0] =~ m{^HTTP/1\.1 (\d{3})})[0] // 0 }

# ---- 1. keys in NGINX's own lines and the module's, at the production level ----

sub hostile_requests {
    my %st;
    $st{dup_auth} = status_of(get('/v1/models', "Authorization: Bearer $Valid", "Authorization: Bearer $Unknown"));
    $st{dup_xkey} = status_of(get('/v1/models', "x-api-key: $Unknown", "x-api-key: $Valid"));
    $st{long} = status_of(get('/v1/models', "Authorization: Bearer $Unknown" . ('A' x 9000)));
    $st{unknown} = status_of(get('/v1/models', "Authorization: Bearer $Unknown"));
    $st{odd} = status_of(get('/v1/models', "Authorization: Bearer ${Unknown}!!"));
    $st{query} = status_of(get("/v1/models?key=$Unknown"));
    $st{query_limited} = status_of(get("/limited/v1/models?key=$Unknown", "Authorization: Bearer $Valid"));
    $st{query_limited2} = status_of(get("/limited/v1/models?key=$Unknown", "Authorization: Bearer $Valid"));
    return \%st;
}

{
    aigw_nginx_start(gateway_conf(), port => $GwPort, log_level => $ProductionLevel);
    my $st = hostile_requests();
    is($st->{dup_auth}, 400, 'two Authorization headers: NGINX refuses with 400');
    is($st->{dup_xkey}, 401, 'two x-api-key headers: the first is the key (unknown): 401');
    is($st->{long}, 400, 'an over-long Authorization: NGINX refuses with 400');
    is($st->{unknown}, 401, 'an unknown key: 401');
    is($st->{odd}, 401, 'a malformed key: 401');
    is($st->{query}, 401, 'a key only in the query is not a credential: 401');
    is($st->{query_limited2}, 503, 'limit_req refused the second (and logged it)');
    wait_for_log("$ServRoot/logs/keys.log", qr{/limited/v1/models.*\n.*/limited/v1/models});
    my $log = aigw_nginx_stop_clean('production level');
    unlike($log, qr/\[error\]/, 'no [error] in error.log');
    unlike($log, qr/Hygiene/, "error.log at $ProductionLevel: no raw key anywhere");
    like($log, qr/limiting requests/, "error.log at $ProductionLevel: limit_req's line is there ...");
    like($log, qr/key=sk-aigw-\S*UNK1/, '... with the query key masked in its request line');
    my $access = slurp("$ServRoot/logs/keys.log");
    unlike($access, qr/Hygiene/, 'access log ($request, $request_uri, $args): no raw key');
    like($access, qr{GET /v1/models\?key=sk-aigw-\S+UNK1 HTTP/1\.1 \| /v1/models\?key=sk-aigw-\S+UNK1 \| $}m,
         'access log: $request and $request_uri show the query key masked, $args without it');
}

# At info, NGINX itself writes duplicate and over-long header lines in full: the reason the
# level matters (README, "Keys and logs"). The module's own lines still only mask.
{
    aigw_nginx_start(gateway_conf(), port => $GwPort, log_level => 'info');
    hostile_requests();
    my $log = slurp($ErrorLog);
    aigw_nginx_stop_clean('info level');
    like($log, qr/\[info\].*client sent duplicate header line: "Authorization: Bearer sk-aigw-Hygiene/,
         'at info: NGINX logs a duplicate Authorization in full');
    like($log, qr/\[info\].*client sent too long header line: "Authorization: Bearer sk-aigw-Hygiene/,
         'at info: NGINX logs the start of an over-long header');
    my @module = grep { /aigw:/ } split /\n/, $log;
    ok(scalar @module, 'at info: the module logged its refusals') or diag($log);
    my @raw = grep { /Hygiene/ } @module;
    is(scalar @raw, 0, 'at info: no module line has a raw key') or diag(join "\n", @raw);
}

# ---- 2. a key in the query string is not forwarded upstream ----

{
    aigw_nginx_start(gateway_conf(), port => $GwPort, log_level => $ProductionLevel);
    my $r = raw_request("POST /v1/chat/completions?alt=sse&key=$Unknown&x=%20y HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nAuthorization: Bearer $Valid\r\nContent-Type: application/json\r\n"
        . "Content-Length: " . length('{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}') . "\r\n\r\n"
        . '{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}');
    is(status_of($r), 200, 'query key: the request is served');
    like($r, qr/"args":"alt=sse&x=%20y"/, 'query key: the upstream gets the other parameters, byte for byte');
    like($r, qr/"key":""/, 'query key: and no key parameter');
    unlike($r, qr/Hygiene/, 'query key: the upstream never sees the raw key');
    wait_for_log("$ServRoot/logs/keys.log", qr/alt=sse/);
    my $log = aigw_nginx_stop_clean('query key');
    unlike($log, qr/\[error\]/, 'query key: no [error] in error.log');
    unlike($log, qr/Hygiene/, 'query key: no raw key in error.log');
    my $access = slurp("$ServRoot/logs/keys.log");
    unlike($access, qr/Hygiene/, 'query key: not in the access log');
    like($access, qr{\| alt=sse&x=%20y$}m, 'query key: $args in the log is what went upstream');
}

# ---- 3. a channel that is down: one module line a second, with a count ----

{
    aigw_nginx_start(gateway_conf(), port => $GwPort, log_level => $ProductionLevel);
    my $n = 60;
    my $body = '{"model":"gpt-4o-down","messages":[{"role":"user","content":"Hi"}]}';
    my %st;
    for (1 .. $n) {
        my $r = raw_request("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            . "Authorization: Bearer $Valid\r\nContent-Type: application/json\r\n"
            . "Content-Length: " . length($body) . "\r\n\r\n$body");
        $st{ status_of($r) }++;
    }
    is($st{502} // 0, $n, "channel down: all $n requests get 502");
    sleep 1.3;    # the counts are told when the second ends
    my $log = slurp($ErrorLog);
    aigw_nginx_stop_clean('channel down');
    my @unreach = grep { /aigw: channel "down" could not be reached/ } split /\n/, $log;
    my @failed = grep { /aigw: all 1 attempts for model "gpt-4o-down" failed/ } split /\n/, $log;
    my $count = sub {
        my $sum = 0;
        for (@_) { $sum += /\((\d+) more like this in the last 1s\)/ ? $1 + 0 : 1 }
        return $sum;
    };
    note(scalar(@unreach) . " 'could not be reached' lines and " . scalar(@failed)
         . " 'all attempts failed' lines for $n failed requests");
    cmp_ok(scalar @unreach, '<=', 4, "channel down: at most a few 'could not be reached' lines for $n requests")
        or diag(join "\n", @unreach);
    cmp_ok(scalar @failed, '<=', 4, "channel down: at most a few 'all attempts failed' lines")
        or diag(join "\n", @failed);
    is($count->(@unreach), $n, "channel down: every failure is in a line or its count");
    is($count->(@failed), $n, "channel down: every request's end is in a line or its count");
    my $nginx_own = () = $log =~ /connect\(\) failed/g;
    note("NGINX's own connect() failed lines: $nginx_own");
}

done_testing();
