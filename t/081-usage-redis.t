# Usage records under a running gateway: a reference stream split at every byte gives the same
# record (cost included) and the same client bytes; a client that leaves mid-stream; Redis down
# while requests are served and back on the same port (no record lost); a full queue (the
# overflow counted and logged, all of it once Redis is back); 500 concurrent requests batched
# into far fewer Redis round trips; MAXLEN trimming; Redis refusing records, for good (dropped)
# or for now (kept and sent again), logged at most once per 10 s; a worker that exits (QUIT)
# delivering what it holds, Redis slow or away. The full queue and the exit with Redis away are
# tried with journal=off here; the journal that keeps those records is t/089.
#
#     prove -I t/lib t/081-usage-redis.t
#
# Plain Test::More: Test::AIGW's redis-server on a free loopback port, stopped and restarted
# on that same port; NGINX started per scenario with aigw_nginx_start. Fixed loopback ports:
#   22990  the gateway
#   22991  the mock upstream (NGINX + echo, same NGINX)
#   22992  a raw TCP mock forked from this file: answers with the reference stream in two
#          writes, split at the body offset the request's X-Split header names
#   22993  kept closed (the master a read-only Redis replica points at)

use strict;
use warnings;

use lib 't/lib';
use Test::AIGW 'plain', 'redis';
use Test::AIGW::Mock::OpenAI qw(chat_chunk unasked);
use Test::AIGW::Usage qw(tokens);

use File::Spec;
use IO::Select;
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(sleep time);

my ($GwPort, $MockPort, $SplitPort, $ClosedPort) = (22990, 22991, 22992, 22993);
my $ServRoot = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
my $ErrorLog = "$ServRoot/logs/error.log";

my $SplitPid;

my $RedisPort = redis_port();   # Test::AIGW's private Redis

END { local $?; tcp_server_stop($SplitPid) }

# The record's fields, in order.
my @Fields = qw(ts request_id record_id key_id owner group endpoint model upstream_model channel status
                http_status error_code stream prompt_tokens completion_tokens total_tokens
                cached_tokens cache_write_tokens reasoning_tokens estimated counted_by ttft_ms
                latency_ms attempts tries cost charged);

# ---- the reference stream (OpenAI's chunk shapes) ----

sub chunk {
    my ($delta, $finish) = @_;
    return chat_chunk(id => 'chatcmpl-AIGWsplit0001', created => 1733000010, model => 'gpt-4o-2024-08-06',
                      delta => $delta, finish => $finish);
}
my $UsageChunk = chat_chunk(id => 'chatcmpl-AIGWsplit0001', created => 1733000010, model => 'gpt-4o-2024-08-06',
    usage => '{"prompt_tokens":31,"completion_tokens":9,"total_tokens":40,'
           . '"prompt_tokens_details":{"cached_tokens":16,"audio_tokens":0},'
           . '"completion_tokens_details":{"reasoning_tokens":2,"audio_tokens":0,'
           . '"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}');
# Multi-byte UTF-8 in the content: splits fall inside characters too.
my @Deltas = ('{"role":"assistant","content":"","refusal":null}',
              qq({"content":"Gr\xc3\xbc\xc3\x9fe"}), qq({"content":", \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x91\x8b"}),
              '{"content":"! Bye."}');
my $Body = join '', map { "data: $_\n\n" } (map { chunk($_, 'null') } @Deltas), chunk('{}', '"stop"');
# usage: OpenAI with include_usage; nousage: a server that ignores include_usage (no usage
# member at all).
my %Ref = (usage   => $Body . "data: $UsageChunk\n\ndata: [DONE]\n\n",
           nousage => unasked($Body) . "data: [DONE]\n\n");
# What a client that did not ask for usage gets from the usage variant: no usage chunk, and
# no "usage":null in the others.
my $Stripped = unasked($Body) . "data: [DONE]\n\n";

# ---- the split mock ----

sub serve_split {
    my ($sock) = @_;
    setsockopt($sock, IPPROTO_TCP, TCP_NODELAY, 1);
    my $req = read_http_request($sock);
    my ($k) = $req =~ /^X-Split:\s*(\d+)/mi;
    my ($variant) = $req =~ /^X-Variant:\s*(\w+)/mi;
    my $body = $Ref{ $variant // 'usage' } // $Ref{usage};
    $k //= 0;
    $k = length $body if $k > length $body;
    my @parts = grep { length } (substr($body, 0, $k), substr($body, $k));
    local $SIG{PIPE} = 'IGNORE';
    syswrite $sock, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                  . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                  . sprintf("%x\r\n%s\r\n", length $parts[0], $parts[0]);
    for my $p (@parts[1 .. $#parts]) {
        sleep 0.01;
        syswrite $sock, sprintf("%x\r\n%s\r\n", length $p, $p);
    }
    syswrite $sock, "0\r\n\r\n";
    return;
}

# ---- HTTP ----

sub request_text {
    my (%o) = @_;
    return http_request_text(path => $o{path} // '/fast/v1/chat/completions', headers => $o{headers},
        body => $o{body} // '{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Say hello"}]}');
}

# Sends the requests (texts) to the gateway, $concurrency at a time; returns their responses,
# in order.
sub run_requests {
    my ($concurrency, @reqs) = @_;
    return http_run([map { [$GwPort, $_] } @reqs], concurrency => $concurrency);
}

# ---- NGINX ----

my $JsonChat = '{"id":"chatcmpl-AIGWfast0001","object":"chat.completion","created":1733000011,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Hi there!","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_aigwmock01"}';
my $SlowFirst = chunk('{"role":"assistant","content":"Hello"}', 'null');
my $SlowSecond = chunk('{"content":" there, how are you doing today?"}', 'null');

sub gateway_conf {
    my (%o) = @_;
    my $usage = $o{usage} ? "aigw_usage_log $o{usage};" : '';
    my $timeout = $o{timeout} // '200ms';
    return <<"_EOC_";
    aigw_redis 127.0.0.1:$RedisPort timeout=$timeout;
    aigw_keys off;
    $usage
    # Every request here is for gpt-4o: costs in micro-dollars are tokens x these.
    aigw_price gpt-4o input=2.5 output=10 cached_input=1.25;
    aigw_channel split location=/_aigw/split;

    server {
        listen 127.0.0.1:$GwPort;
        location /split/v1/ {
            aigw on;
            aigw_pass /_aigw/split;
        }
        location /renamed/v1/ {
            aigw on;
            aigw_model gpt-4o split:gpt-4o-2024-08-06;
        }
        location /fast/v1/ {
            aigw on;
            aigw_pass /_aigw/fast;
        }
        location /slow/v1/ {
            aigw on;
            aigw_pass /_aigw/slow;
        }
        location /stall/v1/ {
            aigw on;
            aigw_pass /_aigw/stall;
        }
        location /_aigw/split/ {
            internal;
            proxy_pass http://127.0.0.1:$SplitPort/;
            proxy_read_timeout 5s;
        }
        location /_aigw/fast/ {
            internal;
            proxy_pass http://127.0.0.1:$MockPort/fast/;
        }
        location /_aigw/slow/ {
            internal;
            proxy_pass http://127.0.0.1:$MockPort/slow/;
        }
        location /_aigw/stall/ {
            internal;
            proxy_pass http://127.0.0.1:$MockPort/stall/;
        }
    }

    server {
        listen 127.0.0.1:$MockPort;
        default_type application/json;
        location = /fast/v1/chat/completions {
            return 200 '$JsonChat';
        }
        location = /stall/v1/chat/completions {
            echo_read_request_body;
            echo_sleep 1;
            echo '$JsonChat';
        }
        location = /slow/v1/chat/completions {
            echo_read_request_body;
            default_type text/event-stream;
            echo 'data: $SlowFirst';
            echo;
            echo_flush;
            echo_sleep 1;
            echo 'data: $SlowSecond';
            echo;
            echo 'data: [DONE]';
            echo;
        }
    }
_EOC_
}

# NGINX with this file's configuration (a master and one worker with `master`), once its worker
# is connected to Redis.
sub start_gateway {
    my (%o) = @_;
    aigw_nginx_start(gateway_conf(%o), port => $GwPort, log_level => 'info', workers => $o{master} ? 1 : 0,
                     wait_redis => 1);
}

# At most the first ten of a list, for diagnostics.
sub first10 { return @_[0 .. ($#_ < 9 ? $#_ : 9)] }

# Differences between a record and the expected fields (strings exact, qr// matched).
sub record_diff {
    my ($r, $want) = @_;
    my @bad;
    for my $f (sort keys %$want) {
        my ($w, $g) = ($want->{$f}, $r->{$f});
        my $ok = !defined $g ? 0 : ref $w eq 'Regexp' ? $g =~ $w : $g eq $w;
        push @bad, "$f: got '" . ($g // '(none)') . "', expected " . (ref $w ? "like $w" : "'$w'") unless $ok;
    }
    return @bad;
}

# ===========================================================================

$SplitPid = tcp_server_fork($SplitPort, \&serve_split);

# ---- a. a stream split at every byte: the same record and the same client bytes for every k ----
{
    my $what = 'split';
    start_gateway();
    redis_q('DEL', 'aigw:usage');
    # Cost: (31 - 16) x 2.5 + 16 x 1.25 + 9 x 10 = 37.5 + 20 + 90 = 147.5, rounded up.
    my %Exact = (status => 'ok', http_status => 200, error_code => '', stream => 1, prompt_tokens => 31,
                 completion_tokens => 9, total_tokens => 40, cached_tokens => 16, cache_write_tokens => 0,
                 reasoning_tokens => 2, estimated => 0, counted_by => 'upstream', cost => 148, charged => 1,
                 ttft_ms => qr/^\d+$/, attempts => 1);
    # Without usage from the upstream: counted by gpt-4o's tokenizer (o200k_base), the text the
    # client got, "Grüße, 世界 👋! Bye.", whole: the same for every split.
    my $nousage_completion = tokens("Gr\xc3\xbc\xc3\x9fe, \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x91\x8b! Bye.");
    my $prompt = tokens('{"messages":[{"role":"user","content":"Say hello"}]}', prompt => 1);
    my %Counted = (%Exact, prompt_tokens => $prompt, completion_tokens => $nousage_completion,
                   total_tokens => $prompt + $nousage_completion, cached_tokens => 0, cache_write_tokens => 0,
                   reasoning_tokens => 0, estimated => 1, counted_by => 'tokenizer',
                   # micro-dollars, rounded up once
                   cost => int(($prompt * 25 + $nousage_completion * 100 + 9) / 10));
    my $asked = '{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},'
              . '"messages":[{"role":"user","content":"Say hello"}]}';
    my @variants = (
        # name, path, variant, body, expected client bytes, expected record
        ['strip', '/split/v1/chat/completions', 'usage', undef, $Stripped,
         { %Exact, model => 'gpt-4o', upstream_model => 'gpt-4o', channel => '' }],
        ['asked', '/split/v1/chat/completions', 'usage', $asked, $Ref{usage},
         { %Exact, model => 'gpt-4o', upstream_model => 'gpt-4o', channel => '' }],
        ['nousage', '/split/v1/chat/completions', 'nousage', undef, $Ref{nousage},
         { %Counted, model => 'gpt-4o', upstream_model => 'gpt-4o', channel => '' }],
        ['renamed', '/renamed/v1/chat/completions', 'usage', undef,
         do { (my $s = $Stripped) =~ s/"model":"gpt-4o-2024-08-06"/"model":"gpt-4o"/g; $s },
         { %Exact, model => 'gpt-4o', upstream_model => 'gpt-4o-2024-08-06', channel => 'split' }],
    );
    for my $v (@variants) {
        my ($name, $path, $variant, $body, $want_bytes, $want_rec) = @$v;
        my $len = length $Ref{$variant};
        my @ks = 1 .. $len - 1;
        my $t0 = time;
        my @resp = run_requests(16, map {
            request_text(path => $path, body => $body,
                         headers => { 'X-Split' => $_, 'X-Variant' => $variant, 'X-Request-Id' => "$name-$_" })
        } @ks);
        my $took = time - $t0;
        my (@bad_status, @bad_bytes);
        for my $i (0 .. $#ks) {
            my $r = http_parse($resp[$i]);
            my ($status, $got) = @$r{qw(status body)};
            push @bad_status, "k=$ks[$i]: $status" if $status != 200;
            push @bad_bytes, $ks[$i] if $got ne $want_bytes;
        }
        is(scalar @bad_status, 0, "$what/$name: all " . scalar(@ks) . " requests (k = 1.." . ($len - 1)
           . ") answered 200" . sprintf(' (%.1fs)', $took)) or diag(join ', ', first10(@bad_status));
        is(scalar @bad_bytes, 0, "$what/$name: the client's bytes are the expected stream for every k")
            or diag("first splits that differ: " . join(' ', first10(@bad_bytes)));

        is(usage_wait_xlen(scalar @ks, 10), scalar @ks, "$what/$name: one record per request");
        my %by_id;
        push @{ $by_id{ $_->{request_id} } }, $_ for usage_take();
        my (@missing, @dup, @differ);
        for my $k (@ks) {
            my $recs = $by_id{"$name-$k"};
            if (!$recs) { push @missing, $k; next }
            push @dup, $k if @$recs > 1;
            my @d = record_diff($recs->[0], $want_rec);
            push @differ, "k=$k: " . join('; ', @d) if @d;
        }
        is(scalar @missing, 0, "$what/$name: a record for every k") or diag("missing: " . join(' ', first10(@missing)));
        my ($any) = map { @$_ } grep { defined } $by_id{"$name-1"};
        is(join(' ', @{ ($any // {})->{_order} || [] }), join(' ', @Fields), "$what/$name: the record's 28 fields, in order");
        is(scalar @dup, 0, "$what/$name: no k recorded twice");
        is(scalar @differ, 0, "$what/$name: the same record (tokens, status, charged, ...) for every k")
            or diag(join "\n", first10(@differ));
    }
    my $log = tail_new($ErrorLog);
    my @errors = grep { /\[error\]/ } split /^/m, $log;
    is(scalar @errors, 0, "$what: no [error] in error.log") or diag(first10(@errors));
    aigw_nginx_stop_clean($what);
}

# ---- b. a client that leaves mid-stream ----
{
    my $what = 'client closed';
    my $prompt = tokens('{"messages":[{"role":"user","content":"Say hello"}]}', prompt => 1);
    start_gateway();
    redis_q('DEL', 'aigw:usage');
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $GwPort, Proto => 'tcp', Timeout => 5)
        or die "connect: $!";
    syswrite $s, request_text(path => '/slow/v1/chat/completions', headers => { 'X-Request-Id' => 'leaver-1' });
    my ($buf, $sel) = ('', IO::Select->new($s));
    my $deadline = time + 5;
    while (time < $deadline && $buf !~ /\r\n\r\n.*\n\n/s) {
        last unless $sel->can_read($deadline - time);
        last unless sysread $s, $buf, 65536, length $buf;
    }
    my $first = unasked($SlowFirst);
    like($buf, qr/\AHTTP\/1\.1 200 .*\Q$first\E/s, "$what: the client got the first event");
    close $s;

    is(usage_wait_xlen(1, 5), 1, "$what: one record");
    my ($r) = usage_take();
    my @d = record_diff($r // {}, {
        request_id => 'leaver-1', status => 'client_closed', stream => 1, error_code => '',
        # What the client was sent, "Hello", and the prompt, counted by gpt-4o's tokenizer,
        # priced at 2.5 and 10 USD per million, rounded up once.
        prompt_tokens => $prompt, completion_tokens => tokens('Hello'),
        total_tokens => $prompt + tokens('Hello'), estimated => 1, counted_by => 'tokenizer',
        cost => int(($prompt * 25 + tokens('Hello') * 100 + 9) / 10),
        charged => 1, ttft_ms => qr/^\d+$/, attempts => 1 });
    is(scalar @d, 0, "$what: status client_closed, the tokens sent until then (counted exactly), priced, charged")
        or diag(join "\n", @d);
    is($r->{http_status}, 200, "$what: http_status is the 200 the client got");
    my $latency = $r->{latency_ms} // 0;
    cmp_ok($latency, '<', 3000, "$what: latency_ms ends when the client left, not at the upstream's end ($latency ms)");
    sleep 1.2;   # the upstream's second event would have come by now
    is(scalar(usage_take()), 0, "$what: no second record");
    my $log = aigw_nginx_stop_clean($what);
    unlike($log, qr/\[error\]/, "$what: no [error] in error.log") or diag($log);
}

# ---- b2. a client that leaves before the upstream answered: nothing was produced, nothing charged ----
{
    my $what = 'client closed early';
    start_gateway();
    redis_q('DEL', 'aigw:usage');
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $GwPort, Proto => 'tcp', Timeout => 5)
        or die "connect: $!";
    syswrite $s, request_text(path => '/stall/v1/chat/completions', headers => { 'X-Request-Id' => 'leaver-2' });
    sleep 0.2;
    close $s;
    is(usage_wait_xlen(1, 5), 1, "$what: one record");
    my ($r) = usage_take();
    my @d = record_diff($r // {}, {
        request_id => 'leaver-2', status => 'client_closed', http_status => 499, stream => 1, prompt_tokens => 0,
        completion_tokens => 0, total_tokens => 0, estimated => 0, cost => 0, charged => 0, ttft_ms => '',
        attempts => 1 });
    is(scalar @d, 0, "$what: status client_closed (499), no tokens, cost 0, not charged") or diag(join "\n", @d);
    my $log = aigw_nginx_stop_clean($what);
    unlike($log, qr/\[error\]/, "$what: no [error] in error.log") or diag($log);
}

# ---- c. Redis down while 50 requests are served, then back on the same port: none lost ----
{
    my $what = 'redis down';
    start_gateway();
    redis_q('DEL', 'aigw:usage');
    redis_server_down();
    my @resp = run_requests(1, map { request_text(headers => { 'X-Request-Id' => "down-$_" },
                                                  body => '{"model":"gpt-4o","messages":[]}') } 1 .. 50);
    my @codes = map { http_parse($_)->{status} } @resp;
    is(scalar(grep { $_ != 200 } @codes), 0, "$what: all 50 requests answered 200 while Redis is down");
    sleep 0.5;
    redis_server_up();
    my $t_back = time;
    my $len = usage_wait_xlen(50, 15);
    my $took = time - $t_back;
    is($len, 50, "$what: Redis back: all 50 records arrive" . sprintf(' (%.1fs)', $took));
    sleep 1.2;   # a retry after the answer must not add duplicates
    my @recs = usage_take();
    is(scalar @recs, 50, "$what: exactly 50 records, no duplicate");
    is_deeply([sort map { $_->{request_id} } @recs], [sort map { "down-$_" } 1 .. 50],
              "$what: one record for each request");
    is_deeply([map { $_->{request_id} } @recs], [map { "down-$_" } 1 .. 50], "$what: in the order served");
    # 9 x 2.5 + 3 x 10 = 52.5, rounded up.
    my @d = map { record_diff($_, { status => 'ok', prompt_tokens => 9, completion_tokens => 3,
                                    total_tokens => 12, cost => 53, charged => 1, estimated => 0 }) } @recs;
    is(scalar @d, 0, "$what: the records are whole") or diag(join "\n", first10(@d));
    my $log = aigw_nginx_stop_clean($what);
    like($log, qr/\[error\] [^\n]*aigw: redis 127\.0\.0\.1:$RedisPort \(aigw connection\) (?:connection lost|connect failed)/,
         "$what: the outage is logged");
    unlike($log, qr/usage record queue full|usage records redis did not take/, "$what: nothing lost, nothing left");
}

# ---- d. a queue of 5 and no journal, Redis down, 20 requests: exactly 5 arrive, the overflow is
#         counted (with the journal, the default, nothing is lost: t/089) ----
{
    my $what = 'queue=5';
    start_gateway(usage => 'redis queue=5 journal=off');
    redis_q('DEL', 'aigw:usage');
    redis_server_down();
    tail_new($ErrorLog);
    my @resp = run_requests(1, map { request_text(headers => { 'X-Request-Id' => "q-$_" },
                                                  body => '{"model":"gpt-4o","messages":[]}') } 1 .. 20);
    is(scalar(grep { http_parse($_)->{status} != 200 } @resp), 0, "$what: all 20 requests answered 200");
    my $log = tail_new($ErrorLog);
    my @full = $log =~ /\[error\] [^\n]*aigw: usage record queue full \((\d+) records waiting for redis\): (\d+) records lost, (\d+) in total/g;
    is_deeply([@full[0 .. 2]], [5, 1, 1], "$what: the first lost record is logged at once: "
              . "\"queue full (5 records waiting for redis): 1 records lost, 1 in total\"")
        or diag($log);
    redis_server_up();
    is(usage_wait_xlen(5, 15), 5, "$what: Redis back: the 5 queued records arrive");
    sleep 1.2;
    my @recs = usage_take();
    is_deeply([map { $_->{request_id} } @recs], [map { "q-$_" } 1 .. 5],
              "$what: exactly 5 records, the first 5 requests'");
    $log = aigw_nginx_stop_clean($what);
    # Once Redis took what was queued: the losses not yet logged, and the total.
    like($log, qr/\[error\] [^\n]*aigw: 14 usage records were lost to a full queue, 15 in total/,
         "$what: Redis back and the queue empty: \"14 usage records were lost to a full queue, 15 in total\"")
        or diag($log);
    my $lost = 0;
    $lost += $1 while $log =~ /usage record queue full \(\d+ records waiting for redis\): (\d+) records lost/g;
    $lost += $1 while $log =~ /aigw: (\d+) usage records were lost to a full queue/g;
    is($lost, 15, "$what: error.log accounts for all 15 lost records, each once");
    unlike($log, qr/worker exits with/, "$what: nothing left to report when the worker exits");
}

# ---- e. 500 requests, 20 at a time: 500 records, far fewer Redis round trips ----
# A batch leaves about 10 ms after its first record, so there are at most about 100 a second
# whatever the load; the requests take well under a second on an idle machine.
{
    my $what = 'load';
    start_gateway();
    redis_q('DEL', 'aigw:usage');
    redis_q('CONFIG', 'RESETSTAT');
    my $reads0 = redis_stat('stats', qr/^total_reads_processed:(\d+)/m);
    my $t0 = time;
    my @resp = run_requests(20, map { request_text(headers => { 'X-Request-Id' => "load-$_" },
                                                   body => '{"model":"gpt-4o","messages":[]}') } 1 .. 500);
    my $took = time - $t0;
    is(scalar(grep { http_parse($_)->{status} != 200 } @resp), 0,
       "$what: 500 requests, 20 at a time, all 200" . sprintf(' (%.1fs)', $took));
    sleep 0.3;
    is(usage_wait_xlen(500, 10), 500, "$what: 500 records");
    my $reads = redis_stat('stats', qr/^total_reads_processed:(\d+)/m);
    my $xadd = redis_stat('commandstats', qr/^cmdstat_xadd:calls=(\d+)/m);
    my @recs = usage_take();
    my %ids = map { $_->{request_id} => 1 } @recs;
    is(scalar keys %ids, 500, "$what: 500 distinct request ids");
    is($xadd, 500, "$what: INFO commandstats: 500 XADD calls");
    if (defined $reads0 && defined $reads) {
        # Our own commands count too: RESETSTAT, INFO, XLEN polls, a handful.
        my $trips = $reads - $reads0;
        cmp_ok($trips, '<', 250, "$what: Redis read the 500 XADDs in far fewer round trips ($trips reads)");
        my $bound = int(100 * ($took + 0.5)) + 25;
        cmp_ok($trips, '<=', $bound, "$what: ... no more than one batch per ~10 ms of the run (bound $bound)");
    } else {
        SKIP: { skip 'this Redis has no total_reads_processed', 1 }
    }
    my $log = aigw_nginx_stop_clean($what);
    unlike($log, qr/\[error\]/, "$what: no [error]") or diag(substr($log, 0, 2000));
}

# ---- f. maxlen: the stream is trimmed (approximately), every record was added ----
{
    my $what = 'maxlen=50';
    start_gateway(usage => 'redis maxlen=50');
    redis_q('DEL', 'aigw:usage');
    my @resp = run_requests(10, map { request_text(headers => { 'X-Request-Id' => "trim-$_" },
                                                   body => '{"model":"gpt-4o","messages":[]}') } 1 .. 300);
    is(scalar(grep { http_parse($_)->{status} != 200 } @resp), 0, "$what: 300 requests, all 200");
    my $deadline = time + 10;
    my %xi;
    while (time < $deadline) {
        my $info = eval { redis_q('XINFO', 'STREAM', 'aigw:usage') };
        %xi = $info ? @$info : ();
        last if ($xi{'entries-added'} // 0) >= 300;
        sleep 0.05;
    }
    is($xi{'entries-added'}, 300, "$what: 300 records were added");
    my $len = redis_q('XLEN', 'aigw:usage');
    ok($len >= 50 && $len < 300, "$what: MAXLEN ~ 50 trimmed the stream ($len entries left)");
    my $last = redis_q('XREVRANGE', 'aigw:usage', '+', '-', 'COUNT', 1);
    my %lr = @{ $last->[0][1] };
    like($lr{request_id}, qr/^trim-\d+$/, "$what: the newest entries are kept");
    redis_q('DEL', 'aigw:usage');
    my $log = aigw_nginx_stop_clean($what);
    unlike($log, qr/\[error\]/, "$what: no [error]") or diag(substr($log, 0, 2000));
}

# ---- g. Redis refuses the XADD. For good (aigw:usage is not a stream: WRONGTYPE): the records
#         are dropped; for now (out of memory; a replica after a failover: READONLY): they are
#         kept and sent again once Redis takes them. Either way requests go on, and error.log
#         says so at most once per 10 s. ----
sub served {
    my ($prefix, $n) = @_;
    my @resp = run_requests(1, map { request_text(headers => { 'X-Request-Id' => "$prefix-$_" },
                                                  body => '{"model":"gpt-4o","messages":[]}') } 1 .. $n);
    return scalar grep { http_parse($_)->{status} == 200 } @resp;
}

{
    my $what = 'refused';
    start_gateway();
    redis_q('SET', 'aigw:usage', 'not a stream');
    tail_new($ErrorLog);
    is(served('refused', 10), 10, "$what: requests are served (200)");
    sleep 0.3;   # the 10 XADDs are answered (refused) within a batch or two
    is(redis_q('GET', 'aigw:usage'), 'not a stream', "$what: the key is left alone");
    redis_q('DEL', 'aigw:usage');
    # Records go in order: once this one is in, every refused one was answered.
    is(served('refused-after', 1), 1, "$what: a request after the key is gone is served");
    is(usage_wait_xlen(1, 5), 1, "$what: once the key is a stream again, records arrive");
    sleep 0.2;
    is_deeply([map { $_->{request_id} } usage_take()], ['refused-after-1'],
              "$what: refused records are dropped, not sent again");
    my $log = tail_new($ErrorLog);
    my @lines = grep { /redis refused/ } split /^/m, $log;
    like($lines[0] // '', qr/\[error\] [^\n]*aigw: redis refused a usage record, which is dropped \(1 so far\): WRONGTYPE/,
         "$what: the refusal is logged with Redis's error");
    is(scalar @lines, 1, "$what: 10 refused records, one line (at most one per 10 s)")
        or diag(join '', @lines);
    aigw_nginx_stop_clean($what);
}

{
    # A new worker, so the 10 s since the last refusal line do not hide this one.
    my $what = 'refused for now';
    start_gateway();
    redis_q('DEL', 'aigw:usage');
    tail_new($ErrorLog);
    redis_q('CONFIG', 'SET', 'maxmemory', '1');
    is(served('oom', 3), 3, "$what: requests are served (200) while Redis is out of memory");
    my $deadline = time + 3;
    my $log = '';
    while (time < $deadline) {
        $log .= tail_new($ErrorLog);
        last if $log =~ /redis refused/;
        sleep 0.05;
    }
    like($log, qr/\[error\] [^\n]*aigw: redis refused usage records for now, kept to send again: OOM/,
         "$what: Redis out of memory: the refusal is logged, the records kept");
    sleep 1.3;   # the gateway tries again after 1 s: refused again, not logged again
    $log .= tail_new($ErrorLog);
    my $n = () = $log =~ /redis refused/g;
    is($n, 1, "$what: tried again and refused again, still one line (at most one per 10 s)") or diag($log);
    is(redis_q('EXISTS', 'aigw:usage'), 0, "$what: nothing in the stream while Redis refuses");
    redis_q('CONFIG', 'SET', 'maxmemory', '0');
    is(usage_wait_xlen(3, 3), 3, "$what: Redis has memory again: the 3 records arrive");
    sleep 0.2;
    is_deeply([map { $_->{request_id} } usage_take()], [map { "oom-$_" } 1 .. 3],
              "$what: each once, in order");

    # A replica (after a failover) refuses writes with READONLY until it is promoted.
    redis_q('REPLICAOF', '127.0.0.1', $ClosedPort);
    is(served('ro', 2), 2, "$what: requests are served (200) while Redis is a read-only replica");
    sleep 0.5;
    is(redis_q('EXISTS', 'aigw:usage'), 0, "$what: nothing in the stream while Redis is read-only");
    redis_q('REPLICAOF', 'NO', 'ONE');
    is(usage_wait_xlen(2, 3), 2, "$what: Redis writable again: the 2 records arrive");
    sleep 0.2;
    is_deeply([map { $_->{request_id} } usage_take()], ['ro-1', 'ro-2'], "$what: each once, in order");
    $log .= tail_new($ErrorLog);
    unlike($log, qr/dropped/, "$what: no record dropped");
    aigw_nginx_stop_clean($what);
}

# ---- h. a worker shutting down (QUIT): a queued record is still sent; with Redis away the worker
#         gives up after its grace and says how many records it could not send ----

{
    my $what = 'quit';
    # Redis holds writes for 150 ms (Redis ends a pause on its own clock, up to 100 ms late;
    # the gateway waits 1 s): the XADD is still unanswered when QUIT comes.
    start_gateway(master => 1, timeout => '1s');
    redis_q('DEL', 'aigw:usage');
    redis_q('CLIENT', 'PAUSE', 150, 'WRITE');
    run_requests(1, request_text(headers => { 'X-Request-Id' => 'quit-1' },
                                 body => '{"model":"gpt-4o","messages":[]}'));
    my $took = aigw_nginx_quit();
    ok($took < 3, "$what: NGINX exits promptly with Redis up" . sprintf(' (%.1fs)', $took));
    is_deeply([map { $_->{request_id} } usage_take()], ['quit-1'],
              "$what: the record unanswered when QUIT came is delivered before the worker exits");
    my $log = aigw_nginx_stop_clean($what);
    unlike($log, qr/did not take|\[error\]/, "$what: nothing left behind") or diag($log);

    $what = 'quit, redis down';
    start_gateway(master => 1, usage => 'redis journal=off');   # with the journal: t/089
    redis_server_down();
    run_requests(1, map { request_text(headers => { 'X-Request-Id' => "gone-$_" },
                                       body => '{"model":"gpt-4o","messages":[]}') } 1 .. 3);
    $took = aigw_nginx_quit();
    ok($took >= 4 && $took < 9, "$what: the worker keeps trying for its 5 s grace, then exits"
       . sprintf(' (%.1fs)', $took));
    $log = aigw_nginx_stop_clean($what);
    like($log, qr/\[error\] [^\n]*aigw: worker exits with 3 usage records redis did not take/,
         "$what: the records it could not send are counted in error.log");
    redis_server_up();

    # Redis stalls past the 200 ms timeout just as the worker starts to exit, and answers
    # again 0.4 s later, well within the 5 s the worker keeps trying: the worker reconnects
    # after the timeout and delivers the record.
    $what = 'quit, redis slow';
    start_gateway(master => 1);
    redis_q('DEL', 'aigw:usage');
    redis_q('CLIENT', 'PAUSE', 400, 'WRITE');
    run_requests(1, request_text(headers => { 'X-Request-Id' => 'slow-quit-1' },
                                 body => '{"model":"gpt-4o","messages":[]}'));
    $took = aigw_nginx_quit();
    my @got = map { $_->{request_id} } usage_take();
    $log = aigw_nginx_stop_clean($what);
    is_deeply(\@got, ['slow-quit-1'], "$what: the record is delivered within the grace"
              . sprintf(' (exit after %.1fs)', $took));
    ok($took < 5, "$what: ... and the worker exits once it is delivered, before the grace ends"
       . sprintf(' (%.1fs)', $took));
    unlike($log, qr/did not take/, "$what: nothing left behind");
}

tcp_server_stop($SplitPid);
undef $SplitPid;
redis_server_down();
done_testing();
