# `aigw-keys trace REQUEST_ID` against a running gateway: what it prints of one request's
# usage record and of each attempt (channel, outcome, upstream status, time to headers, whether
# fallback swallowed it), for a request served at once, one served after two channels failed,
# one every channel failed (5xx, connection refused, timeout), one the client left mid-stream,
# one whose upstream cut the stream, one refused before any attempt (402), an X-Request-Id
# used twice, and an id the stream does
# not hold (exit 1, saying how far back the stream reaches), found across pages of the stream.
#
#     prove -I t/lib t/115-trace.t
#
# Plain Test::More. Fixed loopback ports, all of them in 2100-2109:
#   2100  the private redis-server
#   2101  the gateway
#   2102  the mock upstreams (a second server of the same NGINX, with the echo module)
#   2103  kept closed: a channel that cannot be reached
#   2104  a raw TCP mock forked from this file: a stream's head and first event, then the
#         connection closes (a cut)

use strict;
use warnings;

use lib 't/lib';
use Test::AIGW 'plain';

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Spec;
use IO::Select;
use IO::Socket::INET;
use POSIX qw(strftime);
use Time::HiRes qw(sleep time);

my ($RedisPort, $GwPort, $MockPort, $ClosedPort, $CutPort) = (2100, 2101, 2102, 2103, 2104);
my $Owner = $$;
my $Root = abs_path(File::Spec->catdir(dirname(abs_path(__FILE__)), '..'));
my $Cli = "$Root/scripts/aigw-keys";

plan skip_all => "port $ClosedPort must stay closed" if port_open($ClosedPort);
redis_start(port => $RedisPort);
delete @ENV{qw(AIGW_REDIS AIGW_REDIS_PASSWORD)};

# 1000 prompt tokens (200 cached), 500 completion: at input 2.5, cached 1.25, output 10 USD
# per 1M tokens that is 800 * 2.5 + 200 * 1.25 + 500 * 10 = 7250 micro-USD.
my $Json = '{"id":"chatcmpl-AIGWtrace01","object":"chat.completion","created":1733000030,'
         . '"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant",'
         . '"content":"Hi there!","refusal":null},"logprobs":null,"finish_reason":"stop"}],'
         . '"usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500,'
         . '"prompt_tokens_details":{"cached_tokens":200},'
         . '"completion_tokens_details":{"reasoning_tokens":7}}}';
my $Cost = 7250;
my $First = '{"id":"chatcmpl-AIGWtrace02","object":"chat.completion.chunk","created":1733000031,'
          . '"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant",'
          . '"content":"Hello"},"finish_reason":null}]}';

my $Conf = <<"_EOC_";
    aigw_redis 127.0.0.1:$RedisPort timeout=300ms;
    aigw_key_cache zone=keys:1m ttl=100ms;
    aigw_billing on flush=100ms lease=2s;
    aigw_price gpt-4o* input=2.5 output=10 cached_input=1.25;
    # The channels' order is their priority; failures never set one aside here.
    aigw_channel good location=/_good max_fails=0;
    aigw_channel broken location=/_broken priority=0 max_fails=0;
    aigw_channel limited location=/_limited priority=1 max_fails=0;
    aigw_channel backup location=/_good priority=2 max_fails=0;
    aigw_channel dead location=/_dead priority=1 max_fails=0;
    aigw_channel stall location=/_stall priority=2 max_fails=0;
    aigw_channel slow location=/_slow max_fails=0;
    aigw_channel cut location=/_cut max_fails=0;

    server {
        listen 127.0.0.1:$GwPort;
        location /v1/ {
            aigw on;
            aigw_model gpt-4o good:gpt-4o-2024-08-06;
            aigw_model gpt-4o-fallback broken limited backup:gpt-4o-2024-08-06;
            aigw_model gpt-4o-down broken dead stall;
            aigw_model gpt-4o-slow slow;
            aigw_model gpt-4o-cut cut;
        }
        location /_good/ { internal; proxy_pass http://127.0.0.1:$MockPort/good/; }
        location /_broken/ { internal; proxy_pass http://127.0.0.1:$MockPort/broken/; }
        location /_limited/ { internal; proxy_pass http://127.0.0.1:$MockPort/limited/; }
        location /_dead/ { internal; proxy_pass http://127.0.0.1:$ClosedPort/; }
        location /_stall/ {
            internal;
            proxy_pass http://127.0.0.1:$MockPort/stall/;
            proxy_read_timeout 300ms;
        }
        location /_slow/ { internal; proxy_pass http://127.0.0.1:$MockPort/slow/; }
        location /_cut/ { internal; proxy_pass http://127.0.0.1:$CutPort/; proxy_read_timeout 5s; }
    }

    server {
        listen 127.0.0.1:$MockPort;
        default_type application/json;
        location /good/ { return 200 '$Json'; }
        location /broken/ {
            return 500 '{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}';
        }
        location /limited/ {
            return 429 '{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}';
        }
        location /stall/ {
            echo_read_request_body;
            echo_sleep 2;
            echo '$Json';
        }
        location /slow/ {
            echo_read_request_body;
            default_type text/event-stream;
            echo 'data: $First';
            echo;
            echo_flush;
            echo_sleep 2;
            echo 'data: [DONE]';
            echo;
        }
    }
_EOC_

# Chunked, and the connection closes before the last chunk: a cut, not an end.
my $CutPid = tcp_server_fork($CutPort, sub {
    my ($c) = @_;
    read_http_request($c);
    my $part = "data: $First\n\n";
    syswrite($c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
               . "Transfer-Encoding: chunked\r\n\r\n" . sprintf('%x', length $part) . "\r\n$part\r\n");
    sleep 0.1;
}, backlog => 16);
END { tcp_server_stop($CutPid) if $$ == $Owner }

aigw_nginx_start($Conf, port => $GwPort, log_level => 'info', wait_redis => 1);

# ---- keys, requests, records ----

my $KeyN = 0;
# A key written straight into Redis with these hash fields; returns (raw key, key id).
sub make_key {
    my (%f) = @_;
    $KeyN++;
    my $raw = sprintf 'sk-aigw-Trace%035dWxyz', $KeyN;
    my $id = sprintf 'key_trace%07d', $KeyN;
    my $hash = aigw_key_hash($raw);
    redis_q('HSET', $hash, id => $id, status => 'active', models => '*',
            owner => 'ann', group => 'support-team', last4 => substr($raw, -4), %f);
    # The id index, as `aigw-keys create` writes it: trace finds the masked key through it.
    my ($sha) = $hash =~ /\{(\w+)\}/;
    redis_q('SET', "aigw:keyid:$id", $sha);
    return ($raw, $id);
}

sub chat {
    my ($key, $model, $request_id, %o) = @_;
    return http_request($GwPort, path => '/v1/chat/completions',
        headers => { Authorization => "Bearer $key", 'X-Request-Id' => $request_id },
        body => qq({"model":"$model","messages":[{"role":"user","content":"Hi"}])
              . ($o{stream} ? ',"stream":true' : '') . '}');
}

# The records of a request id in the stream, once there are `want` of them (they reach Redis
# in batches, a few milliseconds after the response).
sub records_of {
    my ($request_id, $want) = @_;
    my $deadline = time + 5;
    my @r;
    while (time < $deadline) {
        @r = grep { ($_->{request_id} // '') eq $request_id } usage_records();
        last if @r >= ($want // 1);
        sleep 0.05;
    }
    return @r;
}

# `aigw-keys trace ID`: (exit code, stdout, stderr).
sub trace {
    my ($id) = @_;
    my ($rc, $out, $err) = run_program({ timeout => 60 }, $Cli, '--redis', "127.0.0.1:$RedisPort",
                                       'trace', $id);
    return ($rc, $out, $err);
}

# What trace printed, as one hash per record: its `label: value` lines, and `attempts_list`:
# the rows of its attempts table, each a hash of the columns.
sub parse_trace {
    my ($out) = @_;
    my @records;
    for my $part (split /^--- record \d+ of \d+ \(newest first\) ---\n/m, $out) {
        next unless $part =~ /\S/;
        my %r = (attempts_list => []);
        my @cols;
        for my $line (split /\n/, $part) {
            next unless length $line;
            if ($line =~ /^\s+#\s{2,}CHANNEL/) {
                (undef, @cols) = split /\s{2,}/, $line;
                $_ = lc for @cols;
                next;
            }
            if (@cols && $line =~ /^\s+\d+\s{2,}/) {
                my (undef, @v) = split /\s{2,}/, $line;
                my %a;
                @a{@cols} = @v;
                push @{ $r{attempts_list} }, \%a;
                next;
            }
            $r{$1} = $2 if $line =~ /^(\w+):\s+(.*)$/;
        }
        push @records, \%r;
    }
    return @records;
}

# The attempts as "channel outcome upstream swallowed" strings, and the times are checked to
# be milliseconds (headers: '-' when no head came).
sub attempt_summary {
    my ($r, $what) = @_;
    my @bad = grep { ($_->{headers} // '') !~ /^(?:\d+ ms|-)$/ || ($_->{took} // '') !~ /^\d+ ms$/ }
              @{ $r->{attempts_list} };
    is(scalar @bad, 0, "$what: each attempt's time to headers and duration are in ms")
        or diag(explain($r->{attempts_list}));
    return [map { join ' ', @$_{qw(channel outcome upstream swallowed)} } @{ $r->{attempts_list} }];
}

sub iso_ms { my ($ms) = @_; return strftime('%Y-%m-%dT%H:%M:%S', gmtime int($ms / 1000)) . sprintf('.%03dZ', $ms % 1000) }

# ---- 1. served at once ----
{
    my $what = 'ok';
    my ($key, $key_id) = make_key(quota => 100_000_000);
    my $r = chat($key, 'gpt-4o', 'trace-ok-1');
    is($r->{status}, 200, "$what: 200");
    my ($rec) = records_of('trace-ok-1');
    like($rec->{tries} // '', qr/\Agood:ok:200:\d+:\d+:0\z/, "$what: the record's tries field");
    my ($rc, $out, $err) = trace('trace-ok-1');
    is($rc, 0, "$what: exit 0") or diag($err);
    my @t = parse_trace($out);
    is(scalar @t, 1, "$what: one record");
    my $t = $t[0] // {};
    is($t->{time}, iso_ms($rec->{ts}), "$what: the time, ISO 8601 UTC with milliseconds");
    is($t->{request_id}, 'trace-ok-1', "$what: request_id");
    is($t->{key}, "$key_id (sk-aigw-\x{e2}\x{80}\x{a6}Wxyz)", "$what: the key's id and its masked key");
    is($t->{owner}, 'ann', "$what: owner");
    is($t->{group}, 'support-team', "$what: group");
    is($t->{model}, 'gpt-4o', "$what: model");
    is($t->{upstream_model}, 'gpt-4o-2024-08-06', "$what: upstream model");
    is($t->{ingress}, 'openai_chat /v1/chat/completions', "$what: ingress dialect and endpoint");
    is($t->{stream}, 'no', "$what: not a stream");
    is($t->{status}, 'ok', "$what: status");
    is($t->{http_status}, 200, "$what: http status");
    is($t->{error_code}, '-', "$what: no error code");
    is($t->{attempts}, 1, "$what: one attempt");
    is_deeply(attempt_summary($t, $what), ['good ok 200 no'], "$what: the attempt");
    like($t->{attempts_list}[0]{headers} // '', qr/^\d+ ms$/, "$what: the head came, in ms");
    is($t->{tokens}, 'prompt 1000, completion 500, total 1500', "$what: tokens");
    is($t->{token_detail}, 'cached 200, cache_write 0, reasoning 7', "$what: token detail");
    is($t->{counted_by}, 'upstream', "$what: counted by the upstream");
    is($t->{cost}, "0.007250 USD ($Cost micro-USD)", "$what: cost in USD and micro-USD");
    is($t->{charged}, 'yes', "$what: charged");
}

# ---- 2. two channels fail (500, 429) and are swallowed; the third answers ----
{
    my $what = 'fallback';
    my ($key) = make_key(quota => 100_000_000);
    my $r = chat($key, 'gpt-4o-fallback', 'trace-fallback-1');
    is($r->{status}, 200, "$what: the client got the third channel's 200");
    my ($rec) = records_of('trace-fallback-1');
    like($rec->{tries} // '', qr/\Abroken:5xx:500:\d+:\d+:1\|limited:429:429:\d+:\d+:1\|backup:ok:200:\d+:\d+:0\z/,
         "$what: the record's tries field");
    is($rec->{attempts}, 3, "$what: the record's attempts");
    my ($rc, $out, $err) = trace('trace-fallback-1');
    is($rc, 0, "$what: exit 0") or diag($err);
    my ($t) = parse_trace($out);
    is($t->{status}, 'ok', "$what: status ok");
    is($t->{http_status}, 200, "$what: http status");
    is($t->{attempts}, 3, "$what: three attempts");
    is_deeply(attempt_summary($t, $what), ['broken 5xx 500 yes', 'limited 429 429 yes', 'backup ok 200 no'],
              "$what: 500 and 429 swallowed, then 200")
        or diag($out);
    is($t->{cost}, "0.007250 USD ($Cost micro-USD)", "$what: the answer's cost");
}

# ---- 3. every channel fails: 5xx, connection refused, timeout ----
{
    my $what = 'all failed';
    my ($key) = make_key(quota => 100_000_000);
    my $r = chat($key, 'gpt-4o-down', 'trace-down-1');
    is($r->{status}, 504, "$what: the client got the last failure's class (timeout: 504)");
    my ($rc, $out, $err) = trace('trace-down-1');
    is($rc, 0, "$what: exit 0") or diag($err);
    my ($t) = parse_trace($out);
    is($t->{status}, 'error', "$what: status");
    is($t->{http_status}, 504, "$what: http status");
    is($t->{error_code}, 'all_channels_failed', "$what: error code");
    is_deeply(attempt_summary($t, $what),
              ['broken 5xx 500 yes', 'dead connect_failure - yes', 'stall timeout - no'],
              "$what: each failure's class; the last one is not swallowed")
        or diag($out);
    is($t->{attempts_list}[1]{headers}, '-', "$what: no head from the closed port");
    is($t->{attempts_list}[2]{headers}, '-', "$what: no head before the timeout");
    like($t->{attempts_list}[2]{took} // '', qr/^(\d+) ms$/, "$what: the timeout's duration");
    my ($took) = ($t->{attempts_list}[2]{took} // '0') =~ /^(\d+)/;
    cmp_ok($took, '>=', 250, "$what: the timeout attempt took about proxy_read_timeout (300ms)");
    is($t->{tokens}, 'prompt 0, completion 0, total 0', "$what: no tokens");
    is($t->{cost}, '0.000000 USD (0 micro-USD)', "$what: no cost");
    is($t->{charged}, 'no', "$what: not charged");
}

# ---- 4. the client leaves mid-stream ----
{
    my $what = 'client closed';
    my ($key) = make_key(quota => 100_000_000);
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $GwPort, Proto => 'tcp', Timeout => 5)
        or die "connect: $!";
    syswrite $s, http_request_text(path => '/v1/chat/completions',
        headers => { Authorization => "Bearer $key", 'X-Request-Id' => 'trace-leaver-1' },
        body => '{"model":"gpt-4o-slow","stream":true,"messages":[{"role":"user","content":"Hi"}]}');
    my ($buf, $sel) = ('', IO::Select->new($s));
    my $deadline = time + 5;
    while (time < $deadline && $buf !~ /Hello/) {
        last unless $sel->can_read($deadline - time);
        last unless sysread $s, $buf, 65536, length $buf;
    }
    like($buf, qr/\AHTTP\/1\.1 200 .*Hello/s, "$what: the client got the first event");
    close $s;
    my ($rec) = records_of('trace-leaver-1');
    ok($rec, "$what: a record");
    my ($rc, $out, $err) = trace('trace-leaver-1');
    is($rc, 0, "$what: exit 0") or diag($err);
    my ($t) = parse_trace($out);
    is($t->{status}, 'client_closed', "$what: status");
    is($t->{stream}, 'yes', "$what: a stream");
    is_deeply(attempt_summary($t, $what), ['slow client_closed 200 no'],
              "$what: the attempt ended with the client, after the upstream's 200 head")
        or diag($out);
    like($t->{attempts_list}[0]{headers} // '', qr/^\d+ ms$/, "$what: the head came");
}

# ---- 5. the upstream cuts the stream after its head ----
{
    my $what = 'cut';
    my ($key) = make_key(quota => 100_000_000);
    my $r = chat($key, 'gpt-4o-cut', 'trace-cut-1', stream => 1);
    is($r->{status}, 200, "$what: the stream had started");
    records_of('trace-cut-1');
    my ($rc, $out, $err) = trace('trace-cut-1');
    is($rc, 0, "$what: exit 0") or diag($err);
    my ($t) = parse_trace($out);
    is($t->{status}, 'upstream_cut', "$what: status");
    is_deeply(attempt_summary($t, $what), ['cut cut 200 no'], "$what: the attempt was cut after a 200 head")
        or diag($out);
}

# ---- 6. refused before any attempt: over quota ----
{
    my $what = 'refused';
    my ($key) = make_key(quota => 100, used => 100);
    my $r = chat($key, 'gpt-4o', 'trace-refused-1');
    is($r->{status}, 402, "$what: 402");
    my ($rec) = records_of('trace-refused-1');
    is($rec->{tries} // 'none', '', "$what: the record's tries field is empty");
    my ($rc, $out, $err) = trace('trace-refused-1');
    is($rc, 0, "$what: exit 0") or diag($err);
    my ($t) = parse_trace($out);
    is($t->{http_status}, 402, "$what: http status");
    is($t->{error_code}, 'insufficient_quota', "$what: error code");
    is($t->{attempts}, '0 (no channel tried)', "$what: no attempt");
    is(scalar @{ $t->{attempts_list} }, 0, "$what: no attempt rows");
    is($t->{charged}, 'no', "$what: not charged");
}

# ---- 7. an X-Request-Id used twice: both records, newest first ----
{
    my $what = 'repeated id';
    my ($key) = make_key(quota => 100_000_000);
    is(chat($key, 'gpt-4o', 'trace-twice')->{status}, 200, "$what: the first request");
    records_of('trace-twice', 1);
    is(chat($key, 'gpt-4o-down', 'trace-twice')->{status}, 504, "$what: the second request");
    my @recs = records_of('trace-twice', 2);
    is(scalar @recs, 2, "$what: two records");
    my ($rc, $out, $err) = trace('trace-twice');
    is($rc, 0, "$what: exit 0") or diag($err);
    like($out, qr/\A--- record 1 of 2 \(newest first\) ---\n/, "$what: says there are two");
    my @t = parse_trace($out);
    is(scalar @t, 2, "$what: both printed");
    is_deeply([map { $_->{status} } @t], ['error', 'ok'], "$what: the newest (all failed) first");
    isnt($t[0]{record_id}, $t[1]{record_id}, "$what: two records, each its own record id");
}

# ---- 8. an id the stream does not hold; and one found past the first pages ----
{
    my $what = 'unknown id';
    # 2500 records of other requests after the ones above: the search reads three pages.
    redis_q('EVAL', "for i = 1, 2500 do redis.call('XADD', KEYS[1], '*', 'ts', '0', 'request_id', 'filler-' .. i) end",
            1, 'aigw:usage');
    my ($rc, $out) = trace('trace-ok-1');
    is($rc, 0, "$what: a record behind 2500 newer ones is found");
    like($out, qr/^request_id:\s+trace-ok-1$/m, "$what: ... and printed");

    my $len = redis_q('XLEN', 'aigw:usage');
    my $oldest = redis_q('XRANGE', 'aigw:usage', '-', '+', 'COUNT', 1)->[0][0];
    my ($ms) = $oldest =~ /^(\d+)-/;
    my $err;
    ($rc, $out, $err) = trace('trace-never-sent');
    is($rc, 1, "$what: exit 1");
    is($out, '', "$what: nothing on stdout");
    like($err, qr/^aigw-keys: no record of request trace-never-sent: aigw:usage holds \Q$len\E records, the oldest from \Q${\ iso_ms($ms)}\E\. /,
         "$what: says how many records the stream holds and the oldest one's time");
    like($err, qr/maxlen=/, "$what: and that the gateway trims it (aigw_usage_log maxlen=)");

    redis_q('DEL', 'aigw:usage');
    ($rc, $out, $err) = trace('trace-never-sent');
    is($rc, 1, "$what: empty stream: exit 1");
    like($err, qr/no record of request trace-never-sent: aigw:usage is empty/, "$what: empty stream: says so");

    ($rc, $out, $err) = trace("bad id\n");
    is($rc, 2, "$what: an id the gateway would never record is a usage error");
}

aigw_nginx_stop_clean('trace');
done_testing();
