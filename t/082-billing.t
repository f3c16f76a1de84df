# Billing on one gateway: the settlement script itself (run with EVAL against a real Redis:
# a settlement number applies once, leases never exceed what is free, a dead holder's lease
# expires, windows reset, alerts once per crossing), then the gateway: 402 insufficient_quota
# before any upstream call, reservations from max_tokens, every kind of response (JSON,
# stream, cut stream, fallback, per-request price, cached tokens) charged once and exactly
# what its usage record says, group quotas, rpm/tpm with 429, Retry-After and OpenAI's
# x-ratelimit-* headers, alerts published once, prices from Redis, Redis away (cached: spend
# settled when it is back; closed: 503), and a worker that exits settling what it spent. What
# nginx -t says about the billing directives is t/044-config-billing.t.
#
#     prove -I t/lib t/082-billing.t
#
# Plain Test::More with Test::AIGW's private Redis. Fixed loopback ports:
#   22960  the gateway
#   22961  its mock upstreams (NGINX + echo, same NGINX)
#   22962  a Perl mock that sends one stream chunk and closes the connection

use strict;
use warnings;

use lib 't/lib';
use Test::AIGW 'redis', 'plain';
use Test::AIGW::Mock::OpenAI qw(chat_chunk);

use Digest::SHA qw(sha256_hex);
use File::Spec;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep time);

my ($GwPort, $MockPort, $CutPort) = (22960, 22961, 22962);
my $ServRoot = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
my $ErrorLog = "$ServRoot/logs/error.log";
my $RedisPort = $ENV{TEST_NGINX_REDIS_PORT};
my $Owner = $$;
my $Http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
my $Tmp = tempdir('aigw-billing-XXXXXX', TMPDIR => 1, CLEANUP => 1);  # not in the servroot

# ---- the settlement script, as the module ships it ----

my $Script = do {
    my $src = slurp('src/core/accounting/billing.cpp');
    $src =~ /R"lua\((.*?)\)lua"/s or die "no settlement script in src/core/accounting/billing.cpp";
    $1;
};

# EVAL the script: holder, seq, per-counter [spent keep need more extra owed] x3; returns the
# reply as a list (integers, then alert strings).
sub settle {
    my (%a) = @_;
    # Per counter: spent keep need more extra owed (owed defaults to 0).
    my @c = map { my @v = @{ $a{$_} // [] }; push @v, 0 while @v < 6; @v } qw(money requests tokens);
    my $out = redis_cmd('EVAL', $Script, 2, $a{hash}, $a{lease}, $a{kind} // 'key', $a{name} // '',
                        $a{holder}, $a{seq}, $a{ttl} // 30000, $a{window} // 60000,
                        $a{rpm} // 0, $a{tpm} // 0, $a{alerts} // '80,100', @c);
    return split /\n/, $out;
}

{
    my ($h, $l) = ('aigw:key:{s1}', 'aigw:lease:{s1}');
    redis_cmd('HSET', $h, 'id', 'key_s1', 'owner', 'ann', 'group', 'g', 'quota', 1000);

    my @r = settle(hash => $h, lease => $l, holder => 'w1', seq => 1, money => [0, 0, 100, 0, 50]);
    is_deeply([@r[0 .. 3]], [0, 150, 1000, 850], 'script: need and headroom granted, 850 left free');
    @r = settle(hash => $h, lease => $l, holder => 'w2', seq => 1, money => [0, 0, 100, 0, 5000]);
    is($r[1], 100 + int((850 - 100) / 2), "script: headroom is at most half of what stays free");
    @r = settle(hash => $h, lease => $l, holder => 'w1', seq => 2, money => [120, 30, 0, 0, 0]);
    is(redis_cmd('HGET', $h, 'used'), 120, 'script: spend settled into used');
    is($r[1], 30, 'script: the reservations kept are granted');
    @r = settle(hash => $h, lease => $l, holder => 'w1', seq => 2, money => [120, 30, 0, 0, 0]);
    is(redis_cmd('HGET', $h, 'used'), 120, 'script: the same settlement number applies once');
    @r = settle(hash => $h, lease => $l, holder => 'w1', seq => 3, money => [0, 30, 2000, 0, 0]);
    is($r[1], 30, 'script: a need larger than what is free gets nothing beyond what is kept');
    is($r[3], 1000 - 120 - 475 - 30, 'script: free counts every holder\'s lease');

    # What other holders lease beyond what they owe is reported (a waiter may wait for it).
    my ($h6, $l6) = ('aigw:key:{s6}', 'aigw:lease:{s6}');
    redis_cmd('HSET', $h6, 'id', 'key_s6', 'quota', 1000);
    @r = settle(hash => $h6, lease => $l6, holder => 'x', seq => 1, money => [0, 0, 100, 0, 400, 100]);
    is($r[1], 500, 'script: need and headroom');
    @r = settle(hash => $h6, lease => $l6, holder => 'y', seq => 1, money => [0, 0, 10, 0, 0]);
    is($r[11], 400, 'script: another holder\'s headroom (its lease less what it owes)');

    # A window lease being spent is kept whole while its settlement travels.
    my ($h7, $l7) = ('aigw:key:{s7}', 'aigw:lease:{s7}');
    redis_cmd('HSET', $h7, 'id', 'key_s7', 'rpm', 10);
    settle(hash => $h7, lease => $l7, holder => 'a', seq => 1, requests => [0, 0, 4, 0, 0]);
    @r = settle(hash => $h7, lease => $l7, holder => 'a', seq => 2, requests => [1, 3, 0, 0, 0]);
    is_deeply([@r[4 .. 6]], [3, 10, 6], 'script: rpm: 1 spent, the 3 in hand kept, 6 free');

    # A holder that stops renewing: its lease lapses and the money is free again.
    my ($h2, $l2) = ('aigw:key:{s2}', 'aigw:lease:{s2}');
    redis_cmd('HSET', $h2, 'id', 'key_s2', 'quota', 100);
    settle(hash => $h2, lease => $l2, holder => 'dead', seq => 1, ttl => 200,
           money => [0, 0, 100, 0, 0]);
    @r = settle(hash => $h2, lease => $l2, holder => 'w', seq => 1, money => [0, 0, 10, 0, 0]);
    is($r[1], 0, 'script: all of the quota is leased to another holder');
    sleep 0.3;
    @r = settle(hash => $h2, lease => $l2, holder => 'w', seq => 2, money => [0, 0, 10, 0, 0]);
    is($r[1], 10, 'script: the lease of a holder that stopped renewing expired');
    is(redis_cmd('HEXISTS', $l2, 'm:dead'), 0, 'script: and its field is gone');

    # A key that is gone: nothing granted, nothing written.
    @r = settle(hash => 'aigw:key:{gone}', lease => 'aigw:lease:{gone}', holder => 'w', seq => 1,
                money => [500, 0, 1, 0, 0]);
    is($r[0], 1, 'script: a missing account says gone');
    is(scalar @r, 12, 'script: in a whole reply');
    is(redis_cmd('EXISTS', 'aigw:key:{gone}'), 0, 'script: and no hash is made for it');

    # Windows: requests pre-consumed at grant, unused ones returned, a new window starts at 0.
    my ($h3, $l3) = ('aigw:key:{s3}', 'aigw:lease:{s3}');
    redis_cmd('HSET', $h3, 'id', 'key_s3', 'rpm', 10);
    @r = settle(hash => $h3, lease => $l3, holder => 'a', seq => 1, window => 60000,
                requests => [0, 0, 1, 0, 4]);
    is_deeply([@r[4 .. 6]], [5, 10, 5], 'script: 1 needed + 4 headroom of rpm 10, 5 free');
    @r = settle(hash => $h3, lease => $l3, holder => 'b', seq => 1, window => 60000,
                requests => [0, 0, 3, 2, 0]);
    is($r[4], 5, 'script: the waiting requests take what is free');
    @r = settle(hash => $h3, lease => $l3, holder => 'a', seq => 2, window => 60000,
                requests => [2, 0, 0, 0, 0]);
    is($r[6], 3, 'script: a holder that used 2 of its 5 gives 3 back');
    is(redis_cmd('HGET', 'aigw:key:{s3}', 'rpm'), 10, 'script: rpm is read, not written');
    @r = settle(hash => $h3, lease => $l3, holder => 'a', seq => 3, rpm => 0, window => 60000,
                tokens => [0, 0, 50, 0, 0], tpm => 40);
    is_deeply([@r[7 .. 9]], [0, 40, 40], 'script: aigw_tpm\'s default applies; 50 > 40 gets nothing');
    my ($h4, $l4) = ('aigw:key:{s4}', 'aigw:lease:{s4}');
    redis_cmd('HSET', $h4, 'id', 'key_s4', 'rpm', 3);
    @r = settle(hash => $h4, lease => $l4, holder => 'a', seq => 1, window => 300,
                requests => [0, 0, 3, 0, 0]);
    is($r[6], 0, 'script: a short window used up');
    cmp_ok($r[10], '<=', 300, 'script: the reset is within the window');
    sleep(($r[10] + 20) / 1000);
    @r = settle(hash => $h4, lease => $l4, holder => 'a', seq => 2, window => 300,
                requests => [0, 0, 1, 0, 0]);
    is_deeply([@r[4 .. 6]], [1, 3, 2], 'script: the next window starts from zero');

    # Alerts: each threshold once, whatever the batching; the hourly budget once.
    my ($h5, $l5) = ('aigw:key:{s5}', 'aigw:lease:{s5}');
    redis_cmd('HSET', $h5, 'id', 'key_s5', 'owner', 'bob', 'group', 'g5', 'quota', 1000,
              'budget_hourly', 300);
    my @alerts;
    for my $seq (1 .. 12) {
        my @x = settle(hash => $h5, lease => $l5, holder => 'a', seq => $seq,
                       money => [$seq == 1 ? 0 : 100, 0, 0, 0, 0]);
        push @alerts, @x[12 .. $#x];
    }
    is(redis_cmd('HGET', $h5, 'used'), 1100, 'script: 11 spends of 100');
    is(scalar(grep { /"alert":"quota"/ } @alerts), 2, 'script: two quota alerts (80%, 100%)');
    like((grep { /"threshold":80/ } @alerts)[0] // '', qr/"used":800\b/, 'script: 80% at 800');
    like((grep { /"threshold":100,/ && /"alert":"quota"/ } @alerts)[0] // '', qr/"used":1000\b/,
         'script: 100% at 1000');
    my ($budget) = grep { /"alert":"hourly_budget"/ } @alerts;
    ok($budget, 'script: one hourly budget alert') or diag explain \@alerts;
    like($budget // '', qr/"used":400\b/, 'script: when the hour\'s spend passed 300');
    like($budget // '', qr/"key_id":"key_s5"/, 'script: alerts name the key');
    like($budget // '', qr/"owner":"bob"/, 'script: and its owner');
}

# ---- the gateway ----

my $Chunk = sub {
    my ($delta, $finish, $usage) = @_;
    return chat_chunk(id => 'chatcmpl-AIGWbill0001', created => 1733000020, model => 'gpt-4o-2024-08-06',
                      delta => $delta || undef, finish => $finish, usage => $usage);
};
my $StreamUsage = '{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,'
                . '"prompt_tokens_details":{"cached_tokens":0},'
                . '"completion_tokens_details":{"reasoning_tokens":0}}';
my @Sse = ($Chunk->('{"role":"assistant","content":"Hello"}', 'null'),
           $Chunk->('{"content":" there"}', 'null'),
           $Chunk->('{}', '"stop"'),
           $Chunk->('', 'null', $StreamUsage));
# 1000 prompt tokens (200 cached), 500 completion: at input 2.5, cached 1.25, output 10 per 1M
# tokens that is 800 * 2.5 + 200 * 1.25 + 500 * 10 = 7250 micro-USD.
my $JsonUsage = '{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500,'
              . '"prompt_tokens_details":{"cached_tokens":200,"audio_tokens":0},'
              . '"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0}}';
my $Json = '{"id":"chatcmpl-AIGWbill0002","object":"chat.completion","created":1733000021,'
         . '"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant",'
         . '"content":"Hi there!","refusal":null},"logprobs":null,"finish_reason":"stop"}],'
         . qq("usage":$JsonUsage,"system_fingerprint":"fp_aigwmock01"});
my $JsonCost = 7250;
# A short answer: 8 prompt tokens and 12 completion tokens, 8 * 2.5 + 12 * 10 = 140 micro-USD.
my $ShortJson = '{"id":"chatcmpl-AIGWbill0003","object":"chat.completion","created":1733000022,'
              . '"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant",'
              . '"content":"Hi!"},"logprobs":null,"finish_reason":"stop"}],'
              . '"usage":{"prompt_tokens":8,"completion_tokens":12,"total_tokens":20}}';
my $ShortCost = 140;
my $StreamCost = 100 * 2.5 + 20 * 10;   # 450

sub gateway_conf {
    my (%o) = @_;
    my $fail = $o{fail} ? "aigw_redis_fail $o{fail};" : '';
    my $billing = $o{billing} // 'aigw_billing on flush=100ms lease=2s;';
    my $reserve = $o{reserve} // '';
    my $ttl = $o{key_ttl} // '100ms';
    my $sse = join '', map { "            echo 'data: $_';\n            echo;\n" } @Sse;
    return <<"_EOC_";
    aigw_redis 127.0.0.1:$RedisPort timeout=300ms;
    $fail
    aigw_key_cache zone=keys:1m ttl=$ttl;
    $billing
    $reserve
    aigw_rpm $o{rpm};
    aigw_price gpt-4o* input=2.5 output=10 cached_input=1.25;
    aigw_price per-request request=0.01;
    aigw_price_refresh 200ms;
    aigw_channel ok location=/_ok;
    aigw_channel bad location=/_bad;
    aigw_channel sse location=/_sse;
    aigw_channel cut location=/_cut;
    aigw_channel short location=/_short;

    server {
        listen 127.0.0.1:$GwPort;
        location /v1/ {
            aigw on;
            aigw_model gpt-4o ok;
            aigw_model gpt-4o-stream sse;
            aigw_model gpt-4o-cut cut;
            aigw_model gpt-4o-fallback bad ok;
            aigw_model per-request ok;
            aigw_model gpt-4o-short short;
        }
        location /_ok/ { internal; proxy_pass http://127.0.0.1:$MockPort/ok/; }
        location /_bad/ { internal; proxy_pass http://127.0.0.1:$MockPort/bad/; }
        location /_sse/ { internal; proxy_pass http://127.0.0.1:$MockPort/sse/; }
        location /_cut/ { internal; proxy_pass http://127.0.0.1:$CutPort/; proxy_read_timeout 5s; }
        location /_short/ { internal; proxy_pass http://127.0.0.1:$MockPort/short/; }
    }

    server {
        listen 127.0.0.1:$MockPort;
        default_type application/json;
        location /ok/ {
            add_header x-ratelimit-limit-requests 5000;
            return 200 '$Json';
        }
        location /bad/ {
            return 500 '{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}';
        }
        # A short answer that takes a while, so a burst of requests is in flight at once.
        location /short/ {
            echo_read_request_body;
            echo_sleep 0.5;
            echo '$ShortJson';
        }
        location /sse/ {
            echo_read_request_body;
            default_type text/event-stream;
$sse            echo 'data: [DONE]';
            echo;
        }
    }
_EOC_
}

# NGINX with this file's configuration (a master and one worker with `master`), once its worker
# is connected to Redis.
sub start_gateway {
    my (%o) = @_;
    $o{rpm} //= 0;
    aigw_nginx_start(gateway_conf(%o), port => $GwPort, log_level => 'info', workers => $o{master} ? 1 : 0,
                     wait_redis => 1);
}

my $KeyN = 0;
# A fresh key (its own account) with the given hash fields; returns (raw key, key id).
sub make_key {
    my (%f) = @_;
    $KeyN++;
    my $raw = sprintf 'sk-aigw-Bill%036d', $KeyN;
    my $id = sprintf 'key_bill%08d', $KeyN;
    redis_cmd('HSET', aigw_key_hash($raw), id => $id, status => 'active',
              models => '*', owner => 'team-billing', group => $f{group} // '', %f{grep { $_ ne 'group' } keys %f});
    return ($raw, $id);
}

sub key_field { redis_cmd('HGET', aigw_key_hash($_[0]), $_[1]) // '' }

sub chat {
    my ($key, $model, %o) = @_;
    my $body = $o{body} // qq({"model":"$model","messages":[{"role":"user","content":"Hi"}])
                         . ($o{max_tokens} ? qq(,"max_tokens":$o{max_tokens}) : '')
                         . ($o{stream} ? ',"stream":true' : '') . '}';
    return $Http->post("http://127.0.0.1:$GwPort/v1/chat/completions", {
        headers => {'Authorization' => "Bearer $key", 'Content-Type' => 'application/json'},
        content => $body,
    });
}

# Waits until the field reaches `want` (settlements run every 100 ms); returns the last value.
sub wait_field {
    my ($key, $field, $want, $secs) = @_;
    my $deadline = time + ($secs // 5);
    my $v = key_field($key, $field);
    while ($v ne $want && time < $deadline) {
        sleep 0.05;
        $v = key_field($key, $field);
    }
    return $v;
}

# The usage records of one key id: a list of hashes. `want`: wait until there are that many
# (records go to Redis in batches, a few milliseconds after the response).
sub records_of {
    my ($id, $want) = @_;
    if ($want) {
        my $deadline = time + 5;
        while (time < $deadline) {
            last if records_of($id) >= $want;
            sleep 0.05;
        }
    }
    return grep { ($_->{key_id} // '') eq $id } usage_records();
}

sub sum_cost { my $s = 0; $s += $_->{cost} for @_; return $s }

sub error_code { ($_[0]{content} =~ /"code":"([^"]*)"/)[0] // '' }

# ---- the cut-stream mock: headers and one chunk, then the connection closes ----

my $CutPid = tcp_server_fork($CutPort, sub {
    my ($c) = @_;
    read_http_request($c);
    # Chunked, and the connection closes before the last chunk: a cut, not an end.
    my $part = "data: $Sse[0]\n\n";
    syswrite($c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
               . "Transfer-Encoding: chunked\r\n\r\n" . sprintf('%x', length $part)
               . "\r\n$part\r\n");
    sleep 0.1;
}, backlog => 16);
END { tcp_server_stop($CutPid) if $$ == $Owner }

start_gateway();

# 1. Every kind of response is charged once, exactly what its record says.
{
    my ($k, $id) = make_key(quota => 100_000_000);
    my $r = chat($k, 'gpt-4o');
    is($r->{status}, 200, 'JSON: 200');
    is(wait_field($k, 'used', $JsonCost), $JsonCost, 'JSON: used is the cost of its usage (cached tokens at their price)');
    $r = chat($k, 'gpt-4o-stream', stream => 1);
    is($r->{status}, 200, 'stream: 200');
    unlike($r->{content}, qr/"usage":\{/, 'stream: the usage chunk the client did not ask for is not sent');
    is(wait_field($k, 'used', $JsonCost + $StreamCost), $JsonCost + $StreamCost, 'stream: charged from the usage chunk');
    $r = chat($k, 'gpt-4o-fallback');
    is($r->{status}, 200, 'fallback: 200 from the second channel');
    my $want = 2 * $JsonCost + $StreamCost;
    is(wait_field($k, 'used', $want), $want, 'fallback: charged once, for the attempt that answered');
    $r = chat($k, 'per-request');
    $want += 10000;
    is(wait_field($k, 'used', $want), $want, 'per-request price: 0.01 USD');
    $r = chat($k, 'gpt-4o-cut', stream => 1);
    is($r->{status}, 200, 'cut stream: the stream had started');
    my @recs = records_of($id, 5);
    is(scalar @recs, 5, 'five records');
    my ($cut) = grep { $_->{model} eq 'gpt-4o-cut' } @recs;
    is($cut->{status}, 'upstream_cut', 'cut stream: recorded as cut');
    cmp_ok($cut->{cost}, '>', 0, 'cut stream: estimated tokens are charged');
    is($cut->{charged}, 1, 'cut stream: charged');
    my ($fb) = grep { $_->{model} eq 'gpt-4o-fallback' } @recs;
    is($fb->{attempts}, 2, 'fallback: two attempts, one record');
    $want += $cut->{cost};
    is(wait_field($k, 'used', $want), $want, 'used == the sum of the records\' costs');
    is(sum_cost(@recs), $want, 'records sum to used');
}

# 2. Quota: 402 before the upstream, reservations from max_tokens, actual cost settled.
{
    my ($k, $id) = make_key(quota => 8000);
    my $r = chat($k, 'gpt-4o', max_tokens => 100000);
    is($r->{status}, 402, 'reservation: 100000 output tokens at 10 USD/1M do not fit 0.008 USD');
    is(error_code($r), 'insufficient_quota', 'reservation: code insufficient_quota');
    like($r->{content}, qr/^\{"error":\{"message":"[^"]+","type":"insufficient_quota","param":null,"code":"insufficient_quota"\}\}$/,
         'reservation: the OpenAI error shape');
    like($r->{headers}{'x-request-id'} // '', qr/^req_/, 'reservation: with a request id');
    is($r->{headers}{'retry-after'}, undef, 'reservation: no Retry-After on a 402');
    $r = chat($k, 'gpt-4o', max_tokens => 600);
    is($r->{status}, 200, 'reservation: 600 output tokens fit');
    is(wait_field($k, 'used', $JsonCost), $JsonCost, 'settled to the actual cost (more than reserved: charged in full)');
    $r = chat($k, 'gpt-4o', max_tokens => 100);
    is($r->{status}, 402, 'what is left (750) does not cover 100 output tokens (1000)');
    my @recs = records_of($id, 3);
    is(scalar @recs, 3, 'refused requests leave records too');
    is(join(',', map { "$_->{http_status}:$_->{cost}:$_->{charged}" } @recs),
       "402:0:0,200:$JsonCost:1,402:0:0", 'records: the refused cost nothing');
    is(join(',', map { $_->{error_code} } @recs), 'insufficient_quota,,insufficient_quota',
       'records: refusals carry their code');
    is(sum_cost(@recs), key_field($k, 'used'), 'used == the sum of the records');
}

# 2b. Reservations without max_tokens are sized by what the model answered lately, not by
# aigw_reserve_tokens: 40 concurrent requests on a quota of 20000 micro-USD. Reserving 1024
# output tokens (10240 micro-USD) each, at most one would fit at a time; the model answers in
# 12 tokens, so each now reserves the floor of 16 (160 plus the prompt) and all fit.
{
    my ($warm) = make_key();
    is(chat($warm, 'gpt-4o-short')->{status}, 200, 'reserve: a first answer of the model (12 tokens)');
    my ($k, $id) = make_key(quota => 20000);
    my $n = 40;
    my @pids;
    for my $i (1 .. $n) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my $r = chat($k, 'gpt-4o-short');
            POSIX::_exit($r->{status} == 200 ? 0 : $r->{status} == 402 ? 2 : 3);
        }
        push @pids, $pid;
    }
    my %by;
    for my $pid (@pids) {
        waitpid $pid, 0;
        $by{ $? >> 8 }++;
    }
    note("reserve: " . ($by{0} // 0) . " of $n admitted, " . ($by{2} // 0) . ' refused with 402');
    is($by{0} // 0, $n, "reserve: all $n concurrent requests admitted (each reserves about 180, not 10260)");
    my $want = $n * $ShortCost;
    is(wait_field($k, 'used', $want), $want, "reserve: used is $n x $ShortCost, what they cost");
    my @recs = records_of($id, $n);
    is(scalar @recs, $n, 'reserve: one record each');
    is(sum_cost(@recs), key_field($k, 'used'), 'reserve: used == the sum of the records\' costs');
}

# 3. A group's quota binds its keys; the key's own stays untouched where it has none.
{
    redis_cmd('HSET', 'aigw:group:{gq}', 'quota', 20000);
    my ($k1) = make_key(group => 'gq');
    my ($k2) = make_key(group => 'gq');
    is(chat($k1, 'per-request')->{status}, 200, 'group: first key, first request');
    is(chat($k2, 'per-request')->{status}, 200, 'group: second key, second request');
    my $r = chat($k1, 'per-request');
    is($r->{status}, 402, 'group: the third is over the group quota');
    like($r->{content}, qr/the key's group/, 'group: the message says whose quota');
    my $deadline = time + 5;
    sleep 0.05 while redis_cmd('HGET', 'aigw:group:{gq}', 'used') ne '20000' && time < $deadline;
    is(redis_cmd('HGET', 'aigw:group:{gq}', 'used'), 20000, 'group: used settled on the group');
    is(wait_field($k1, 'used', 10000), 10000, 'group: and on the key');
}

# 4. Rate limits: rpm with headers, Retry-After, and the upstream's own headers replaced.
{
    my ($k) = make_key(rpm => 3);
    my @remaining;
    for (1 .. 3) {
        my $r = chat($k, 'gpt-4o');
        is($r->{status}, 200, "rpm 3: request $_ admitted");
        is($r->{headers}{'x-ratelimit-limit-requests'}, 3, "rpm 3: request $_ says the limit (not the upstream's)");
        push @remaining, $r->{headers}{'x-ratelimit-remaining-requests'};
        like($r->{headers}{'x-ratelimit-reset-requests'} // '', qr/^(?:\d+ms|\d+(?:\.\d+)?s|\d+m\d+(?:\.\d+)?s)$/,
             "rpm 3: request $_ has a reset time");
    }
    is("@remaining", '2 1 0', 'rpm 3: remaining counts down');
    my $r = chat($k, 'gpt-4o');
    is($r->{status}, 429, 'rpm 3: the fourth is refused');
    is(error_code($r), 'rate_limit_exceeded', 'rpm: code rate_limit_exceeded');
    like($r->{content}, qr/"type":"requests"/, 'rpm: type requests');
    like($r->{headers}{'retry-after'} // '', qr/^\d+$/, 'rpm: Retry-After in seconds');
    cmp_ok($r->{headers}{'retry-after'} // 0, '>=', 1, 'rpm: at least a second');
    cmp_ok($r->{headers}{'retry-after'} // 99, '<=', 60, 'rpm: at most the window');
    is($r->{headers}{'x-ratelimit-remaining-requests'}, 0, 'rpm: the 429 says none remain');

    my ($t) = make_key(tpm => 100);
    $r = chat($t, 'gpt-4o', max_tokens => 500);
    is($r->{status}, 429, 'tpm 100: 500 output tokens are over');
    like($r->{content}, qr/"type":"tokens"/, 'tpm: type tokens');
    is($r->{headers}{'x-ratelimit-limit-tokens'}, 100, 'tpm: x-ratelimit-limit-tokens');

    my ($free) = make_key();
    $r = chat($free, 'gpt-4o');
    is($r->{headers}{'x-ratelimit-limit-requests'}, 5000, 'no limit: the upstream\'s headers pass through');
}

# 5. Alerts: one message per threshold crossing, one warn line each.
{
    my $subfile = "$Tmp/alerts.txt";
    my $sub = fork // die "fork: $!";
    if (!$sub) {
        # A raw RESP subscriber that writes what it reads at once.
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $RedisPort)
            or POSIX::_exit(2);
        open my $out, '>', $subfile or POSIX::_exit(2);
        syswrite($s, "SUBSCRIBE aigw:alerts\r\n");
        while (sysread($s, my $buf, 65536)) { syswrite($out, $buf) }
        POSIX::_exit(0);
    }
    sleep 0.3;
    my ($k, $id) = make_key(quota => 100000);
    my @status = map { chat($k, 'per-request')->{status} } 1 .. 11;
    is("@status", join(' ', (200) x 10, 402), 'alerts: ten requests fit the quota');
    is(wait_field($k, 'used', 100000), 100000, 'alerts: all spent');
    sleep 0.3;
    kill 'TERM', $sub;
    waitpid($sub, 0);
    my @msgs = grep { /^\{/ && /"key_id":"\Q$id\E"/ } split /\n/, slurp($subfile);
    is(scalar @msgs, 2, 'alerts: two messages on aigw:alerts') or diag explain \@msgs;
    like($msgs[0] // '', qr/"threshold":80\b/, 'alerts: 80% first');
    like($msgs[1] // '', qr/"threshold":100\b/, 'alerts: then 100%');
    like($msgs[1] // '', qr/"used":100000\b/, 'alerts: with used');
    like($msgs[1] // '', qr/"quota":100000\b/, 'alerts: and quota');
    like($msgs[1] // '', qr/"owner":"team-billing"/, 'alerts: and the owner');
    my @warn = grep { /\[warn\].*aigw: alert: .*"key_id":"\Q$id\E"/ } split /\n/, slurp($ErrorLog);
    is(scalar @warn, 2, 'alerts: one warn line per crossing');
}

# 6. Prices from Redis override aigw_price without a reload; a bad one is ignored, logged.
{
    my ($k, $id) = make_key();
    redis_cmd('HSET', 'aigw:price:{per-request}', 'request', '0.02');
    sleep 0.5;
    chat($k, 'per-request');
    redis_cmd('HSET', 'aigw:price:{per-request}', 'request', 'two cents');
    sleep 0.5;
    chat($k, 'per-request');
    redis_cmd('DEL', 'aigw:price:{per-request}');
    sleep 0.5;
    chat($k, 'per-request');
    is(join(',', map { $_->{cost} } records_of($id, 3)), '20000,10000,10000',
       'prices: Redis\'s, then the config\'s for a bad hash, then the config\'s again');
    like(slurp($ErrorLog), qr/redis price of "per-request" is ignored \(invalid request "two cents"/,
         'prices: the bad hash is logged');

    # A hash with cache_write is read like the rest (OpenAI reports no cache writes, so the
    # other prices show it): 800 x 5 + 200 x 2.5 + 500 x 20 micro-USD for $Json's usage,
    # where the configured gpt-4o* price makes it $JsonCost. A bad cache_write makes the whole
    # hash ignored (its line is not asked for: that log speaks once a minute, and spoke above).
    my ($k2, $id2) = make_key();
    redis_cmd('HSET', 'aigw:price:{gpt-4o}', 'input', '5', 'output', '20', 'cached_input', '2.5',
              'cache_write', '6.25');
    sleep 0.5;
    chat($k2, 'gpt-4o');
    redis_cmd('HSET', 'aigw:price:{gpt-4o}', 'cache_write', '6.25.0');
    sleep 0.5;
    chat($k2, 'gpt-4o');
    redis_cmd('DEL', 'aigw:price:{gpt-4o}');
    is(join(',', map { $_->{cost} } records_of($id2, 2)), join(',', 14500, $JsonCost),
       'prices: a Redis hash with cache_write is read; with a bad one, the config\'s applies');
    is(join(',', map { $_->{cache_write_tokens} } records_of($id2, 2)), '0,0',
       'prices: the records say no cache writes');

    # Media prices are read the same way. Token prices beside per-image and per-second ones
    # (gpt-image-1's kind) are read, so a chat request costs its tokens at the hash's prices;
    # an image_hd without image makes the whole hash ignored, and the config's price applies.
    my ($k3, $id3) = make_key();
    redis_cmd('HSET', 'aigw:price:{gpt-4o}', 'input', '5', 'output', '20', 'cached_input', '2.5',
              'image', '0.04', 'image_hd', '0.08', 'video_second', '0.1',
              'video_second_large', '0.5');
    sleep 0.5;
    chat($k3, 'gpt-4o');
    redis_cmd('HDEL', 'aigw:price:{gpt-4o}', 'image');
    sleep 0.5;
    chat($k3, 'gpt-4o');
    redis_cmd('DEL', 'aigw:price:{gpt-4o}');
    is(join(',', map { $_->{cost} } records_of($id3, 2)), join(',', 14500, $JsonCost),
       'prices: a Redis hash with image and video prices is read; image_hd without image, ignored');
}

my $log = aigw_nginx_stop_clean('billing');

# 7. Redis away, aigw_redis_fail cached: a known key keeps working; its spend is settled once
#    Redis is back (here an empty Redis, refilled with the key).
{
    start_gateway(key_ttl => '60s');
    my ($k, $id) = make_key(quota => 10_000_000);
    is(chat($k, 'per-request')->{status}, 200, 'redis away: a request while it is up');
    is(wait_field($k, 'used', 10000), 10000, 'redis away: settled');
    redis_cmd('SAVE');  # the Redis that comes back loads this snapshot
    redis_server_down();
    my @s = map { chat($k, 'per-request')->{status} } 1 .. 3;
    is("@s", '200 200 200', 'redis away: served from the lease in memory');
    redis_server_up();
    is(wait_field($k, 'used', 40000), 40000, 'redis back: what was spent meanwhile is settled');
    like(slurp($ErrorLog), qr/\[warn\].*billing settlement failed/, 'redis away: the failed settlements are logged');
    aigw_nginx_stop_clean('redis away (cached)');
}

# 8. Redis away, aigw_redis_fail closed: an account not known now gets 503.
{
    start_gateway(fail => 'closed', key_ttl => '60s');
    my ($k) = make_key(quota => 10_000_000);
    is(chat($k, 'per-request')->{status}, 200, 'closed: a request while Redis is up');
    redis_server_down();
    sleep 2;  # a lease (lease=2s) is trusted for three quarters of its life
    my $r = chat($k, 'per-request');
    is($r->{status}, 503, 'closed: 503 once the lease is no longer trusted');
    like($r->{content}, qr/cannot check this key's quota/, 'closed: says why');
    redis_server_up();
    aigw_nginx_stop_clean('redis away (closed)');
}

# 9. A worker that exits settles what it spent (the flush interval is longer than the test).
{
    start_gateway(master => 1, billing => 'aigw_billing on flush=30s lease=120s;');
    my ($k) = make_key(quota => 10_000_000);
    is(chat($k, 'per-request')->{status}, 200, 'exit: first request');
    is(chat($k, 'per-request')->{status}, 200, 'exit: second request');
    sleep 0.3;
    # The second request found the lease spent and settled the first; its own spend waits
    # for the flush interval.
    is(key_field($k, 'used'), 10000, 'exit: the last spend is not settled yet');
    my $lease = 'aigw:lease:{' . sha256_hex($k) . '}';
    like(join(',', split /\n/, redis_cmd('HKEYS', $lease)), qr/(?:^|,)m:/, 'exit: the worker holds a lease');
    aigw_nginx_stop_clean('exit');
    is(key_field($k, 'used'), 20000, 'exit: the exiting worker settled its spend');
    unlike(join(',', split /\n/, redis_cmd('HKEYS', $lease)), qr/(?:^|,)m:/, 'exit: and gave its lease back');
}

done_testing();
