package Test::AIGW::Fleet;

# What the plain Test::More billing files (several gateways sharing one Redis) use: the mock
# upstream and the gateways of a fleet, keys written straight into Redis, requests sent all at
# once on their own connections, the usage stream read incrementally, and waiting until the
# gateways have settled.
#
#     use Test::AIGW qw(plain redis);
#     use Test::AIGW::Fleet;
#
# Redis is Test::AIGW's (Test::AIGW::Redis).

use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use Exporter 'import';
use Time::HiRes qw(sleep time);

use Test::AIGW::Gateway qw(aigw_nginx_start);
use Test::AIGW::HTTP qw(http_request_text http_run http_parse);
use Test::AIGW::Redis qw(redis_q redis_port);

our @EXPORT = qw(hgetall redis_ms records new_key request_text burst
                 one_request statuses error_shape_ok settle key_records
                 fleet_chat_json fleet_mock_start fleet_gateway_start);

# ---- Redis ----

sub hgetall {
    my ($key) = @_;
    my %h = @{ redis_q('HGETALL', $key) || [] };
    return \%h;
}

# Redis TIME in milliseconds.
sub redis_ms {
    my $t = redis_q('TIME');
    return $t->[0] * 1000 + int($t->[1] / 1000);
}

# Every usage record so far, as hashes (read once each: the stream is long by the end).
my (@Records, $LastId);
sub records {
    my $entries = redis_q('XRANGE', 'aigw:usage', defined $LastId ? "($LastId" : '-', '+') || [];
    for my $e (@$entries) {
        push @Records, { @{ $e->[1] } };
        $LastId = $e->[0];
    }
    return @Records;
}

# ---- NGINX ----

# OpenAI's chat.completion with this usage.
sub fleet_chat_json {
    my ($prompt, $completion) = @_;
    return '{"id":"chatcmpl-AIGWfleet0001","object":"chat.completion","created":1733000011,'
        . '"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant",'
        . '"content":"Hi there!","refusal":null},"logprobs":null,"finish_reason":"stop"}],'
        . qq("usage":{"prompt_tokens":$prompt,"completion_tokens":$completion,)
        . '"total_tokens":' . ($prompt + $completion) . '},"system_fingerprint":"fp_aigwmock01"}';
}

# The upstream: an NGINX of its own in servroot `root` on `port`, answering every chat
# completion with `json`.
sub fleet_mock_start {
    my (%o) = @_;
    my $conf = <<"_EOC_";
server {
    listen 127.0.0.1:$o{port} backlog=1024;
    access_log off;
    default_type application/json;
    location = /v1/chat/completions {
        return 200 '$o{json}';
    }
}
_EOC_
    return aigw_nginx_start($conf, servroot => $o{root}, port => $o{port}, log_level => $o{log_level});
}

# A gateway (master and `workers` workers, default 2) on `port` in servroot `root`, with Redis,
# a key cache, `price` (an aigw_price line's arguments), optional `billing` (aigw_billing's
# arguments) and one channel to the mock on `mock_port` for gpt-4o.
sub fleet_gateway_start {
    my (%o) = @_;
    my $billing = defined $o{billing} ? "aigw_billing $o{billing};" : '';
    my $redis = redis_port();
    # A generous Redis timeout: a settlement that timed out under load would let requests in
    # without a limit (aigw_redis_fail cached), which is not what these files measure.
    my $conf = <<"_EOC_";
    aigw_redis 127.0.0.1:$redis timeout=2s;
    aigw_key_cache zone=keys:1m;
    aigw_price $o{price};
    $billing
    aigw_channel up location=/_up;

    server {
        listen 127.0.0.1:$o{port} backlog=1024;
        location /v1/ {
            aigw on;
            aigw_model gpt-4o up;
        }
        location /_up/ {
            internal;
            proxy_pass http://127.0.0.1:$o{mock_port}/;
        }
    }
_EOC_
    return aigw_nginx_start($conf, servroot => $o{root}, port => $o{port}, log_level => $o{log_level},
                            workers => $o{workers} // 2, worker_connections => 2048);
}

# ---- keys ----

my @B62 = ('0' .. '9', 'A' .. 'Z', 'a' .. 'z');
sub rand62 { return join '', map { $B62[int rand 62] } 1 .. $_[0] }

# A client key written straight into Redis; extra fields (quota, rpm, tpm, group) as given.
sub new_key {
    my (%f) = @_;
    my $raw = 'sk-aigw-' . rand62(48);
    my $hex = sha256_hex($raw);
    my $id = 'key_' . rand62(16);
    redis_q('HSET', "aigw:key:{$hex}", id => $id, status => 'active', models => '*',
            owner => 'fleet-test', group => 'fleet', %f);
    redis_q('SET', "aigw:keyid:$id", $hex);   # how aigw-keys finds it by id
    return { raw => $raw, hex => $hex, id => $id, hash => "aigw:key:{$hex}",
             lease => "aigw:lease:{$hex}" };
}

# ---- HTTP ----

sub request_text {
    my ($key, $rid, $body) = @_;
    return http_request_text(headers => [[Authorization => "Bearer $key->{raw}"], ['X-Request-Id' => $rid]],
                             body => $body);
}

# All requests at once, each on its own connection: every connection made, then every request
# written, then the answers read. @reqs: [port, request text]. Returns the responses parsed
# (Test::AIGW::HTTP's http_parse) in the same order (status 0: no answer).
sub burst {
    my (@reqs) = @_;
    return map { http_parse($_) } http_run(\@reqs, bound => 30);
}

sub one_request {
    my ($port, $key, $rid, $body) = @_;
    return (burst([$port, request_text($key, $rid, $body)]))[0];
}

sub statuses {
    my %n;
    $n{ $_->{status} }++ for @_;
    return join ', ', map { "$_: $n{$_}" } sort keys %n;
}

# OpenAI's error shape, with a type and code.
sub error_shape_ok {
    my ($r, $type, $code) = @_;
    my $e = ref $r->{json} eq 'HASH' && ref $r->{json}{error} eq 'HASH' ? $r->{json}{error} : undef;
    return $e && ($e->{type} // '') eq $type && ($e->{code} // '') eq $code
        && defined $e->{message} && length $e->{message} && exists $e->{param}
        && ($r->{h}{'content-type'} // '') =~ m{^application/json};
}

# ---- settling ----

# Waits until the gateways have settled these accounts: no worker holds a money lease on any of
# them (an idle worker gives its lease back, settling what it spent in the same script), the
# stream has a record for each of the $records requests, and `used` has not moved for longer
# than $quiet seconds (default 1.5, more than a flush interval). Returns whether it did within
# $bound seconds.
sub settle {
    my ($accounts, $records, $ids, $bound, $quiet) = @_;
    my %ids = map { $_ => 1 } @$ids;
    my $deadline = time + ($bound // 15);
    $quiet //= 1.5;
    my ($last, $since) = ('', time);
    sleep 1;
    while (time < $deadline) {
        my $held = grep { /^m:/ } map { keys %{ hgetall($_->{lease}) } } @$accounts;
        my $used = join ',', map { redis_q('HGET', $_->{hash}, 'used') // 0 } @$accounts;
        my %seen;
        $seen{ $_->{record_id} // $_->{request_id} }++ for grep { $ids{ $_->{key_id} // '' } } records();
        ($last, $since) = ($used, time) if $used ne $last;
        return 1 if !$held && keys %seen >= $records && time - $since >= $quiet;
        sleep 0.25;
    }
    return 0;
}

# The records of these key ids, one per request (delivery is at least once, and a record_id
# names one request).
sub key_records {
    my (@ids) = @_;
    my %ids = map { $_ => 1 } @ids;
    my %by;
    $by{ $_->{record_id} // $_->{request_id} } //= $_ for grep { $ids{ $_->{key_id} // '' } } records();
    return values %by;
}

1;
