package Test::AIGW::Fleet;

# What the plain Test::More billing files (several gateways sharing one Redis) use: keys written
# straight into Redis, requests sent all at once on their own connections, the usage stream
# read incrementally, and waiting until the gateways have settled.
#
#     use Test::AIGW qw(plain redis);
#     use Test::AIGW::Fleet;
#
# Redis is Test::AIGW's ($Test::AIGW::RedisPort).

use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use Errno qw(EAGAIN EINTR EWOULDBLOCK);
use Exporter 'import';
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use Time::HiRes qw(sleep time);

use Test::AIGW ();
use Test::AIGW::Socket ();

our @EXPORT = qw(hgetall redis_ms records new_key request_text parse_response burst
                 one_request statuses error_shape_ok settle key_records
                 fleet_chat_json fleet_mock_conf fleet_gateway_conf);

# ---- Redis (Test::AIGW's: redis_q) ----

sub redis_q { return Test::AIGW::redis_q(@_) }

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

# The upstream: an NGINX of its own answering every chat completion with $json.
sub fleet_mock_conf {
    my ($port, $json) = @_;
    return <<"_EOC_";
server {
    listen 127.0.0.1:$port backlog=1024;
    access_log off;
    default_type application/json;
    location = /v1/chat/completions {
        return 200 '$json';
    }
}
_EOC_
}

# A gateway (master and `workers` workers, default 2) on `port` in servroot `root`, with Redis,
# a key cache, `price` (an aigw_price line's arguments), optional `billing` (aigw_billing's
# arguments) and one channel to the mock on `mock_port` for gpt-4o.
sub fleet_gateway_conf {
    my (%o) = @_;
    my $preamble = Test::AIGW::Socket::http_preamble($o{root}, '');
    my $user = $> == 0 ? 'user root;' : '';
    my $workers = $o{workers} // 2;
    my $billing = defined $o{billing} ? "aigw_billing $o{billing};" : '';
    # A generous Redis timeout: a settlement that timed out under load would let requests in
    # without a limit (aigw_redis_fail cached), which is not what these files measure.
    return <<"_EOC_";
master_process on;
worker_processes $workers;
$user

http {
$preamble
    aigw_redis 127.0.0.1:$Test::AIGW::RedisPort timeout=2s;
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
}

events {
    worker_connections 2048;
}
_EOC_
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
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
         . "Authorization: Bearer $key->{raw}\r\nX-Request-Id: $rid\r\n"
         . "Content-Type: application/json\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
}

# {status, h => {lowercase name => value}, body, json} of a whole response.
sub parse_response {
    my ($raw) = @_;
    my ($head, $rest) = split /\r\n\r\n/, $raw // '', 2;
    $head //= '';
    my ($status) = $head =~ m{^HTTP/1\.[01] (\d{3})};
    my %h;
    for my $line (split /\r\n/, $head) {
        $h{ lc $1 } = $2 if $line =~ /^([^:\s]+):[ \t]*(.*?)[ \t]*$/;
    }
    $rest //= '';
    if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        $rest = Test::AIGW::http_dechunk($rest);
    }
    my $json = eval { JSON::PP::decode_json($rest) };
    return { status => $status // 0, h => \%h, body => $rest, json => $json };
}

# All requests at once, each on its own connection: every connection made, then every request
# written, then the answers read. @reqs: [port, request text]. Returns the parsed responses in
# the same order (status 0: no answer).
sub burst {
    my (@reqs) = @_;
    my @socks = map {
        IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $_->[0], Proto => 'tcp', Timeout => 5)
    } @reqs;
    my (%conn, @raw);
    my $sel = IO::Select->new;
    for my $i (0 .. $#reqs) {
        my $s = $socks[$i] or next;
        syswrite $s, $reqs[$i][1];
        $s->blocking(0);
        $conn{ fileno $s } = { sock => $s, i => $i };
        $sel->add($s);
    }
    my $deadline = time + 30;
    while (%conn && time < $deadline) {
        for my $s ($sel->can_read(1)) {
            my $c = $conn{ fileno $s };
            my $n = sysread($s, my $chunk, 65536);
            next if !defined $n && ($! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR);
            if ($n) { $raw[ $c->{i} ] .= $chunk; next }
            $sel->remove($s);
            delete $conn{ fileno $s };
            close $s;
        }
    }
    close $_->{sock} for values %conn;
    return map { parse_response($raw[$_]) } 0 .. $#reqs;
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
