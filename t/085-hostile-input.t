# Hostile client input: a model name that forges an error_log line (CR, LF, NUL are escaped);
# a 9 MiB model name (refused with a small 400 before any check, price or log sees it; its
# record, access-log line and error.log lines stay small); a duplicated "model" that would slip
# past the key's model allow-list, and every other member the gateway reads or rewrites given
# twice (400, the upstream never called); conditional request headers (If-None-Match,
# If-Match, If-Unmodified-Since) that NGINX's not-modified filter must not act on; and a usage
# record whose XADD Redis keeps taking too long to answer (sent a bounded number of times, then
# dropped and counted, not resent forever).
#
#     prove -I t/lib t/085-hostile-input.t
#
# Plain Test::More: Test::AIGW's redis-server on a free loopback port; NGINX started per scenario with aigw_nginx_start. Fixed loopback ports:
#   22850  the gateway
#   22851  the mock upstream (same NGINX); every request it gets is a line of logs/mock.log
#   22852  a proxy in front of Redis that holds Redis's replies back (forked from this file)

use strict;
use warnings;

use lib 't/lib';
use Test::AIGW 'plain', 'redis';

use File::Spec;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);

my ($GwPort, $MockPort, $ProxyPort) = (22850, 22851, 22852);
my $ServRoot = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
my $RedisPort = redis_port();

# A key allowed only gpt-4o-mini.
my $MiniKey = 'sk-aigw-HostileMiniOnly000000000000000000000000000MIN1';
{
    my $hash = aigw_key_hash($MiniKey);
    redis_q('DEL', $hash);
    redis_q('HSET', $hash, id => 'key_miniAAAAAAAAAAAA', name => 'hostile', owner => 'mallory@example.com',
            group => '', status => 'active', expires_at => 0, models => 'gpt-4o-mini', ip_allow => '',
            created_at => int(time), last4 => 'MIN1');
}

my $JsonChat = '{"id":"chatcmpl-AIGWhost0001","object":"chat.completion","created":1733000011,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}';

sub gateway_conf {
    my (%o) = @_;
    my $keys = $o{keys} ? '' : 'aigw_keys off;';
    my $timeout = $o{timeout} // '1s';
    my $redis = $o{redis_port} // $RedisPort;
    return <<"_EOC_";
    aigw_redis 127.0.0.1:$redis timeout=$timeout;
    $keys
    aigw_billing off;   # spend is another file's topic; here it would outlive a quick stop
    aigw_price gpt-4o-mini input=0.15 output=0.6;
    aigw_price gpt-4o input=2.5 output=10;
    aigw_channel oai location=/_aigw/openai;
    log_format hostile 'rid=\$aigw_request_id model=\$aigw_model status=\$status';
    log_format mock '\$request_uri';

    server {
        listen 127.0.0.1:$GwPort;
        client_max_body_size 16m;
        access_log logs/hostile.log hostile;
        location /v1/ {
            aigw on;
            aigw_pass /_aigw/openai;
        }
        location /tr/v1/ {
            aigw on;
            aigw_model gpt-4o-mini oai;
        }
        location /_aigw/openai/ {
            internal;
            proxy_pass http://127.0.0.1:$MockPort/;
        }
    }

    server {
        listen 127.0.0.1:$MockPort;
        default_type application/json;
        access_log logs/mock.log mock;
        location / {
            echo_read_request_body;
            echo '$JsonChat';
        }
    }
_EOC_
}

# One request on its own connection: (status, body, response head).
sub http_post {
    my (%o) = @_;
    my $r = http_request($GwPort, path => $o{path} // '/v1/chat/completions', headers => $o{headers},
                         body => $o{body});
    return ($r->{status}, $r->{body}, $r->{head});
}

sub start_gateway {
    aigw_nginx_start(gateway_conf(@_), port => $GwPort, log_level => 'info', wait_redis => 1);
}

# What a log file of the gateway got since the last call for it.
sub new_in { return tail_new("$ServRoot/logs/$_[0]") }

# Stops NGINX; error.log must have no line of level error or worse, and no crash. Levels are
# matched where NGINX writes them, so a client value quoted inside a line cannot trip this.
sub stop_clean {
    my ($what, %o) = @_;
    my $log = aigw_nginx_stop();
    my $bad = $o{errors_ok} ? qr/^\S+ \S+ \[(?:alert|crit|emerg)\]/ : qr/^\S+ \S+ \[(?:error|alert|crit|emerg)\]/;
    my @bad = grep { /$bad/ } split /^/m, $log;
    is(scalar @bad, 0, "$what: no line of level " . ($o{errors_ok} ? 'alert' : 'error')
       . " or worse, no crash, in error.log") or diag(@bad);
    return $log;
}

sub error_json {
    my ($message, $param, $code) = @_;
    return qq({"error":{"message":"$message","type":"invalid_request_error","param":"$param","code":"$code"}});
}

# ===========================================================================

# ---- a. a model name that forges an [alert] line: escaped, one line, the request refused ----
{
    my $what = 'forged line';
    start_gateway(keys => 1);
    new_in($_) for qw(error.log hostile.log mock.log);
    redis_q('DEL', 'aigw:usage');
    my $forged = "x\n2026/12/04 21:00:00 [alert] 1#1: *9 worker process 4242 exited on signal 11\r\0tail";
    (my $json_model = $forged) =~ s/\n/\\n/g;
    $json_model =~ s/\r/\\r/g;
    $json_model =~ s/\0/\\u0000/g;
    my ($status, $body) = http_post(headers => { Authorization => "Bearer $MiniKey" },
        body => qq({"model":"$json_model","messages":[{"role":"user","content":"hi"}]}));
    is($status, 403, "$what: a key allowed only gpt-4o-mini: 403");
    like($body, qr/"code":"model_not_allowed"/, "$what: model_not_allowed");
    my $log = new_in('error.log');
    unlike($log, qr/^2026\/12\/04 21:00:00 \[alert\]/m, "$what: no forged [alert] line in error.log")
        or diag($log);
    my @levels = grep { /^\S+ \S+ \[(?:error|alert|crit|emerg)\]/ } split /^/m, $log;
    is(scalar @levels, 0, "$what: no line of level error or worse") or diag(@levels);
    my $escaped = 'x\n2026/12/04 21:00:00 [alert] 1#1: *9 worker process 4242 exited on signal 11\r\x00tail';
    like($log, qr/\[info\] [^\n]*aigw: key \S+ rejected: model_not_allowed \("\Q$escaped\E"\)/,
         "$what: the model is in the key's rejection line, escaped (\\n, \\r, \\x00), on one line")
        or diag($log);
    is(new_in('mock.log'), '', "$what: the upstream is not called");
    is(usage_wait_xlen(1, 5), 1, "$what: the request's record is written");
    my ($r) = usage_take();
    is($r->{model}, $forged, "$what: the record keeps the model as sent (RESP is binary-safe)");
    stop_clean($what);
}

# ---- b. a 9 MiB model name: a small 400 before anything sees it ----
{
    my $what = '9 MiB model';
    start_gateway(keys => 1);
    new_in($_) for qw(error.log hostile.log mock.log);
    redis_q('DEL', 'aigw:usage');
    my $size = 9 << 20;
    my $model = "\n[alert] " . ('m' x ($size - 9));
    (my $json_model = $model) =~ s/\n/\\n/;
    my ($status, $body) = http_post(headers => { Authorization => "Bearer $MiniKey", 'X-Request-Id' => 'huge-1' },
        body => qq({"model":"$json_model","messages":[{"role":"user","content":"hi"}]}));
    is($status, 400, "$what: 400");
    is($body, error_json("Invalid 'model': string too long. Expected a string with maximum length 256, "
                         . "but got a string with length $size instead.", 'model', 'string_above_max_length'),
       "$what: OpenAI's string_above_max_length error, the value not echoed");
    cmp_ok(length $body, '<', 512, "$what: the error body is small (" . length($body) . " bytes)");
    is(new_in('mock.log'), '', "$what: the upstream is not called");

    my $shown = '\n[alert] ' . ('m' x 247) . "...($size bytes)";
    is(usage_wait_xlen(1, 5), 1, "$what: one usage record");
    my ($r) = usage_take();
    is($r->{model}, $shown, "$what: the record's model is the first 256 bytes, escaped, and the length");
    is($r->{http_status}, 400, "$what: the record says 400");
    my $rec_size = 0;
    $rec_size += length($_) for map { ($_, $r->{$_}) } grep { !/^_/ } keys %$r;
    cmp_ok($rec_size, '<', 2048, "$what: the record is small ($rec_size bytes)");

    my $access = new_in('hostile.log');
    my @lines = grep { /rid=huge-1 / } split /^/m, $access;
    is(scalar @lines, 1, "$what: one access-log line");
    cmp_ok(length($lines[0] // ''), '<', 2048, "$what: the access-log line is small (" . length($lines[0] // '') . " bytes)");
    like($lines[0] // '', qr/model=\\x5Cn\[alert\] m{247}\.\.\.\(\Q$size\E bytes\) status=400/,
         "$what: \$aigw_model is the bounded form") or diag($lines[0]);

    my $log = new_in('error.log');
    my ($longest) = sort { $b <=> $a } map { length } split /\n/, $log;
    cmp_ok($longest // 0, '<', 1024, "$what: no long error.log line (longest " . ($longest // 0) . " bytes)");
    unlike($log, qr/^\[alert\]/m, "$what: no forged line");
    like($log, qr/\[info\] [^\n]*aigw: rejected request: Invalid 'model': string too long/,
         "$what: the refusal is logged at info, without the value");
    stop_clean($what);
}

# ---- c. duplicate members: 400 naming the member, the upstream never called ----
{
    my $what = 'duplicates';
    start_gateway(keys => 1);
    new_in($_) for qw(error.log mock.log);
    redis_q('DEL', 'aigw:usage');
    my $msgs = '"messages":[{"role":"user","content":"hi"}]';
    # The issue's case: the allow-list saw the last model, a provider that takes the first
    # served gpt-4o, priced as mini.
    my ($status, $body) = http_post(headers => { Authorization => "Bearer $MiniKey" },
        body => qq({"model":"gpt-4o","model":"gpt-4o-mini",$msgs}));
    is($status, 400, "$what: model twice, for a key allowed only gpt-4o-mini: 400");
    is($body, error_json("Duplicate parameter 'model': the request body gives it more than once. "
                         . "Send each parameter once.", 'model', 'duplicate_parameter'),
       "$what: an invalid_request_error naming model");
    ($status, $body) = http_post(headers => { Authorization => "Bearer $MiniKey" },
        body => qq({"model":"gpt-4o-mini","mod\\u0065l":"gpt-4o",$msgs}));
    is($status, 400, "$what: model twice, the second spelled with an escape: 400");
    like($body, qr/"param":"model","code":"duplicate_parameter"/, "$what: ... naming model");

    my @cases = (
        ['stream', qq({"model":"gpt-4o-mini","stream":false,"stream":true,$msgs})],
        ['stream_options', qq({"model":"gpt-4o-mini","stream":true,"stream_options":null,"stream_options":{"include_usage":false},$msgs})],
        ['stream_options.include_usage', qq({"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true,"include_usage":false},$msgs})],
        ['max_tokens', qq({"model":"gpt-4o-mini","max_tokens":1,"max_tokens":100000,$msgs})],
        ['max_completion_tokens', qq({"model":"gpt-4o-mini","max_completion_tokens":1,"max_completion_tokens":100000,$msgs})],
        ['n', qq({"model":"gpt-4o-mini","n":1,"n":128,$msgs})],
    );
    for my $c (@cases) {
        my ($member, $json) = @$c;
        ($status, $body) = http_post(headers => { Authorization => "Bearer $MiniKey" }, body => $json);
        is($status, 400, "$what: $member twice: 400");
        like($body, qr/"type":"invalid_request_error","param":"\Q$member\E","code":"duplicate_parameter"/,
             "$what: $member twice: duplicate_parameter naming it") or diag($body);
    }
    # Embeddings parse the same way.
    ($status, $body) = http_post(path => '/v1/embeddings', headers => { Authorization => "Bearer $MiniKey" },
        body => '{"model":"gpt-4o","input":"x","model":"gpt-4o-mini"}');
    is($status, 400, "$what: model twice in an embeddings request: 400");
    like($body, qr/"param":"model","code":"duplicate_parameter"/, "$what: ... naming model");

    is(new_in('mock.log'), '', "$what: the upstream was never called");
    # One of each is fine: the same key gets its answer.
    ($status, $body) = http_post(headers => { Authorization => "Bearer $MiniKey" },
        body => qq({"model":"gpt-4o-mini","stream":false,"max_tokens":5,"n":1,$msgs}));
    is($status, 200, "$what: each member once: 200");
    # The mock writes its access log line after it answered: give it a moment.
    my $calls = '';
    for (1 .. 50) {
        $calls .= new_in('mock.log');
        last if $calls =~ /\n/;
        sleep 0.02;
    }
    is(scalar(() = $calls =~ /\n/g), 1, "$what: ... and the upstream called once");
    is(usage_wait_xlen(10, 5), 10, "$what: a record for each of the 10 requests");
    redis_q('DEL', 'aigw:usage');
    stop_clean($what);
}

# ---- c2. conditional request headers: an answer is made for its request, so NGINX's
#          not-modified filter must not touch it (it made a billed 304 of If-None-Match: *, and
#          a 412 from inside the filter chain that left the request hanging, unrecorded) ----
{
    my $what = 'conditional headers';
    start_gateway();
    new_in('mock.log');
    redis_q('DEL', 'aigw:usage');
    my @headers = (['If-None-Match', '*'], ['If-Match', '"x"'],
                   ['If-Unmodified-Since', 'Thu, 01 Jan 1970 00:00:01 GMT']);
    my @paths = (['/v1/chat/completions', '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}',
                  qr/"object":"chat\.completion"/],
                 ['/tr/v1/messages', '{"model":"gpt-4o-mini","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}',
                  qr/"type":"message"/]);
    my $n = 0;
    for my $p (@paths) {
        for my $h (@headers) {
            my ($status, $body) = http_post(path => $p->[0], headers => { $h->[0] => $h->[1] }, body => $p->[1]);
            is($status, 200, "$what: $p->[0] with $h->[0]: $h->[1]: 200");
            like($body // '', $p->[2], "$what: ... and the answer") or diag($body);
            $n++;
        }
    }
    is(usage_wait_xlen($n, 5), $n, "$what: a record for each of the $n requests");
    my @recs = usage_take();
    is(scalar(grep { $_->{status} eq 'ok' && $_->{http_status} == 200 && $_->{cost} == 2 } @recs), $n,
       "$what: each recorded as served, at its cost");
    stop_clean($what);
}

# ---- d. Redis takes each XADD but its answer comes too late, again and again (a slow disk
#         under appendfsync always): each send may add a copy, so the record is sent a bounded
#         number of times, then dropped and counted ----
# A proxy in front of Redis: commands go through at once, replies come 500 ms late, past the
# gateway's 200 ms timeout.
sub start_late_proxy {
    return tcp_server_fork($ProxyPort, sub {
        my ($c) = @_;
        my $r = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $RedisPort, Proto => 'tcp')
            or return;
        my @late;   # [due time, bytes] for the client
        my $io = IO::Select->new($c, $r);
        while (1) {
            my $wait = @late ? $late[0][0] - time : 0.5;
            $wait = 0 if $wait < 0;
            for my $h ($io->can_read($wait)) {
                my $n = sysread($h, my $buf, 65536);
                return unless $n;   # either side closed: the other goes with it
                if ($h == $c) { syswrite $r, $buf } else { push @late, [time + 0.5, $buf] }
            }
            while (@late && $late[0][0] <= time) { syswrite $c, (shift @late)->[1] }
        }
    }, backlog => 16);
}

{
    my $what = 'unanswered record';
    my $proxy = start_late_proxy();
    aigw_nginx_start(gateway_conf(timeout => '200ms', redis_port => $ProxyPort), port => $GwPort,
                     log_level => 'info');
    new_in('error.log');
    redis_q('DEL', 'aigw:usage');
    redis_q('CONFIG', 'RESETSTAT');
    my ($status) = http_post(headers => { 'X-Request-Id' => 'unanswered-1' },
                             body => '{"model":"gpt-4o-mini","messages":[]}');
    is($status, 200, "$what: the request is served");
    # Time for 5 sends at the gateway's pace (one a second after a failure).
    sleep 6;
    tcp_server_stop($proxy);
    sleep 0.5;
    my @copies = grep { $_->{request_id} eq 'unanswered-1' } usage_take();
    my ($xadd) = redis_q('INFO', 'commandstats') =~ /^cmdstat_xadd:calls=(\d+)/m;
    $xadd //= 0;
    cmp_ok(scalar @copies, '>=', 1, "$what: Redis took the record");
    cmp_ok(scalar @copies, '<=', 3, "$what: ... at most 3 times (" . scalar(@copies) . " copies)");
    cmp_ok($xadd, '<=', 3, "$what: at most 3 XADDs reached Redis ($xadd)");
    my $log = new_in('error.log');
    like($log, qr/\[error\] [^\n]*aigw: redis did not answer a usage record sent 3 times; it is dropped, not sent again \(it may have been written\): 1 so far/,
         "$what: the drop is logged") or diag($log);
    my $n = () = $log =~ /did not answer a usage record/g;
    is($n, 1, "$what: once");
    my $log_all = stop_clean($what, errors_ok => 1);
    unlike($log_all, qr/usage records redis did not take/, "$what: nothing left when the worker exits");
}

redis_server_down();
done_testing();
