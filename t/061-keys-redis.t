# Client keys while Redis changes under a running gateway: revocation through the cache's ttl
# and through the CLI's pub/sub invalidation, Redis down (closed and cached modes, the error
# logged once), Redis back without a reload, Redis answering after the deadline, a client that
# leaves while its key is looked up, a load of concurrent requests over one connection, and a
# reload that keeps the key cache.
#
#     prove -I t/lib t/061-keys-redis.t
#
# Plain Test::More: Test::AIGW's redis-server (DEBUG on) on a free port, stopped and restarted on that
# same port, and NGINX (master and one worker) started per scenario with aigw_nginx_start.
# AIGW_BUILD picks where scripts/aigw-keys builds the CLI (default build/).

use strict;
use warnings;

use lib 't/lib';
use Test::AIGW 'plain', 'redis-debug';

use Cwd qw(abs_path);
use Digest::SHA qw(sha256_hex);
use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);

my $Root = abs_path(File::Spec->catdir(dirname(abs_path(__FILE__)), '..'));
my $Cli  = "$Root/scripts/aigw-keys";
my $ServRoot = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
my $ErrorLog = "$ServRoot/logs/error.log";

plan skip_all => 'redis-cli is needed' unless which('redis-cli');
delete @ENV{qw(AIGW_REDIS AIGW_REDIS_PASSWORD)};

my $Tmp = tempdir('aigw-keys-redis-XXXXXX', TMPDIR => 1, CLEANUP => 1);

my $RedisPort = redis_port();   # Test::AIGW's private Redis
my $GwPort    = free_port();
my $MockPort  = free_port();
$MockPort = free_port() while $MockPort == $GwPort;

# ---- Redis ----

# DEBUG SLEEP on a connection of our own; returns once Redis is really asleep (a PING from
# another connection goes unanswered). Read the socket to learn when it wakes.
sub redis_sleep {
    my ($seconds) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $RedisPort, Timeout => 1)
        or die "cannot connect to redis: $!";
    syswrite $s, "DEBUG SLEEP $seconds\r\n";
    my $deadline = time + 1;
    while (time < $deadline) {
        return $s unless redis_ping($RedisPort, 0.05);
        sleep 0.005;
    }
    die "Redis did not go to sleep (is DEBUG enabled?)";
}

sub wait_redis_awake {
    my ($s, $bound) = @_;
    my $reply = '';
    sysread($s, $reply, 64) if IO::Select->new($s)->can_read($bound);
    close $s;
    return $reply =~ /^\+OK/ ? 1 : 0;
}

sub hgetall_calls { redis_stat('commandstats', qr/^cmdstat_hgetall:calls=(\d+)/m) // 0 }

# ---- keys ----

# Raw key => record fields beyond an active any-model key. All raw keys contain "RedisFix".
my %Keys;
sub fixture { my ($tag) = @_; return 'sk-aigw-RedisFix' . ('0' x (40 - length $tag)) . $tag }
my $Active  = fixture('Active');
my $Revoke  = fixture('Revoke');
my $Unknown = fixture('Unknown');
my $Neg     = fixture('Neg');      # stored only once the test has seen it refused
my $Steady  = fixture('Steady');   # disabled by HSET under a long ttl: stays cached
my @Cold    = map { fixture("Cold$_") } 1 .. 8;     # each first used when not cached
my @Load    = map { fixture(sprintf 'Load%02d', $_) } 1 .. 16;
$Keys{$_} = {} for $Active, $Revoke, $Steady, @Cold, @Load;

sub record_of {
    my ($raw, %fields) = @_;
    my %record = (id => 'key_' . substr(sha256_hex($raw), 0, 16), name => 'fixture',
                  owner => 'bob@example.com', group => 'team-b', status => 'active',
                  expires_at => 0, models => '*', ip_allow => '', created_at => int(time),
                  last4 => substr($raw, -4), %fields);
    return map { ($_, $record{$_}) } sort keys %record;
}

sub store_key {
    my ($raw, %fields) = @_;
    my $n = redis_cmd('HSET', aigw_key_hash($raw), record_of($raw, %fields));
    die "storing $raw failed: $n" unless $n =~ /^\d+$/;
}

# Every fixture key in one redis-cli run (a restarted Redis starts empty).
sub seed_keys {
    my $file = "$Tmp/seed.redis";
    open my $fh, '>', $file or die "$file: $!";
    for my $raw (sort keys %Keys) {
        print {$fh} join(' ', 'HSET', aigw_key_hash($raw),
                         map { qq("$_") } record_of($raw, %{ $Keys{$raw} })), "\n";
    }
    close $fh;
    my ($rc, $out) = run_program({ timeout => 10, stdin => $file, merge => 1 },
                                 'redis-cli', '-h', '127.0.0.1', '-p', $RedisPort);
    my @n = grep { /^\(integer\) \d+$|^\d+$/ } split /\n/, $out;
    die "seeding the keys failed: $out" unless $rc == 0 && @n == keys %Keys;
}

# The admin CLI; returns (exit code, stdout and stderr).
sub cli {
    my (@args) = @_;
    return run_program({ timeout => 120, merge => 1 }, $Cli, '--redis', "127.0.0.1:$RedisPort", @args);
}

# ---- HTTP ----

# One request with this key over its own connection; returns (status, body, seconds taken).
sub http {
    my ($key, %o) = @_;
    my $method = $o{method} // 'POST';
    my $r = http_request($GwPort, method => $method, path => $o{path} // '/v1/chat/completions',
                         headers => { defined $key ? (Authorization => "Bearer $key") : () },
                         body => $method eq 'POST' ? $o{body} // '{"model":"gpt-4o","messages":[]}' : undef,
                         timeout => $o{timeout});
    return ($r->{status}, $r->{body}, $r->{took});
}

sub status_of { my ($status) = http(@_); return $status }

# Requests until one answers $want, for at most $bound seconds; returns the seconds it took,
# or undef.
sub poll_status {
    my ($key, $want, $bound, %o) = @_;
    my $t0 = time;
    while (time - $t0 < $bound) {
        return time - $t0 if status_of($key, %o) == $want;
        sleep($o{interval} // 0.01);
    }
    return;
}

my $ServiceUnavailable = '{"error":{"message":"The gateway cannot verify API keys right now.'
    . ' Please retry shortly.","type":"api_error","param":null,"code":"service_unavailable"}}';

# ---- NGINX ----

sub gateway_conf {
    my (%o) = @_;
    my $redis = "aigw_redis 127.0.0.1:$RedisPort timeout=" . ($o{timeout} // '200ms')
              . ($o{password} ? " password=$o{password}" : '') . ';';
    my $fail  = $o{fail} ? "aigw_redis_fail $o{fail};" : '';
    my $cache = $o{cache} ? "aigw_key_cache zone=aigw_keys:1m $o{cache};" : '';
    return <<"_EOC_";
    $redis
    $fail
    $cache

    server {
        listen 127.0.0.1:$GwPort;
        location /v1/ {
            aigw on;
            aigw_pass /_aigw/openai;
        }
        location /_aigw/openai/ {
            internal;
            proxy_pass http://127.0.0.1:$MockPort/;
        }
    }

    server {
        listen 127.0.0.1:$MockPort;
        default_type application/json;
        location / {
            echo_read_request_body;
            echo '{"ok":true}';
        }
    }
_EOC_
}

# NGINX (a master and `workers` workers, default 1) with this file's configuration; checks that
# its workers connected to Redis.
sub start_gateway {
    my ($what, %o) = @_;
    my $workers = $o{workers} // 1;
    aigw_nginx_start(gateway_conf(%o), port => $GwPort, log_level => 'info', workers => $workers);
    my %want = (aigw => $workers, 'aigw-sub' => $o{cache} ? 1 : 0);
    ok(redis_wait_clients(%want), "$what: the worker connected to Redis ("
       . join(', ', map { "$want{$_} $_" } sort keys %want) . ')')
        or diag(explain(redis_redis_client_names()), tail_new($ErrorLog));
}

# Stops NGINX and checks the whole error.log: nothing worse than [error], no raw key.
sub stop_gateway {
    my ($what) = @_;
    my $log = aigw_nginx_stop_clean($what);
    unlike($log, qr/RedisFix/, "$what: no raw key in error.log");
}

my $RedisErrorRe = qr/\[error\] [^\n]*aigw: redis 127\.0\.0\.1:$RedisPort \((aigw|aigw-sub) connection\) (?:connect failed|connection lost): [^\n]*/;

sub redis_errors {
    my ($log) = @_;
    my %n;
    $n{$1}++ while $log =~ /$RedisErrorRe/g;
    return \%n;
}

# ===========================================================================

seed_keys();
{
    # Builds the CLI now, so later timings measure only its run.
    my ($rc, $out) = cli('--help');
    is($rc, 0, 'the admin CLI runs') or diag($out);
}

# ---- 1. revocation through the cache's ttl; negative ttl; malformed keys skip Redis ----
{
    my $what = 'ttl=1s';
    start_gateway($what, cache => 'ttl=1s negative_ttl=1s');

    is(status_of($Revoke), 200, "$what: a valid key works");
    redis_cmd('HSET', aigw_key_hash($Revoke), 'status', 'disabled');   # no invalidation message
    is(status_of($Revoke), 200, "$what: right after a direct HSET the key is still served from the cache");
    my $took = poll_status($Revoke, 401, 3);
    ok(defined $took && $took <= 1.3, "$what: a key disabled in Redis stops working within the ttl"
       . sprintf(' (%.2fs)', $took // -1));
    my ($status, $body) = http($Revoke);
    like($body, qr/"code":"key_disabled"/, "$what: then it is key_disabled");

    redis_cmd('HSET', aigw_key_hash($Revoke), 'status', 'active');
    $took = poll_status($Revoke, 200, 3);
    ok(defined $took && $took <= 1.3, "$what: enabled again in Redis, it works again within the ttl");

    # Negative caching: refused once, then stored in Redis, still refused for negative_ttl.
    ($status, $body) = http($Neg);
    my $t0 = time;
    is($status, 401, "$what: an unknown key is refused");
    store_key($Neg);
    ($status) = http($Neg);
    SKIP: {
        skip 'too slow to see the negative entry still fresh', 1 if time - $t0 > 0.8;
        is($status, 401, "$what: once stored in Redis, it is still refused from the negative cache");
    }
    $took = poll_status($Neg, 200, 3);
    my $age = time - $t0;
    ok(defined $took && $age >= 0.9 && $age <= 1.5,
       "$what: the refusal is forgotten after negative_ttl" . sprintf(' (%.2fs)', $age));
    redis_cmd('DEL', aigw_key_hash($Neg));

    # A value that is not an aigw key never costs a Redis round trip.
    my $before = hgetall_calls();
    for my $bad ('sk-aigw-RedisFixShort', 'sk-proj-RedisFix0000000000000000000000000000000000',
                 'sk-aigw-RedisFix' . ('0' x 130), 'sk-aigw-RedisFix00000000000000000000000000000000-x') {
        is(status_of($bad), 401, "$what: '" . substr($bad, 0, 20) . "...' is refused");
    }
    is(hgetall_calls(), $before, "$what: ... without a Redis lookup");

    like(tail_new($ErrorLog), qr/\[info\] [^\n]*aigw: key sk-aigw-\x{e2}\x{80}\x{a6}voke rejected: key_disabled/,
         "$what: the rejection is logged at info with the masked key");
    stop_gateway($what);
}

# ---- 2. revocation through the CLI's invalidation message ----
{
    my $what = 'pub/sub';
    my ($rc, $out) = cli('create', '--name', 'pubsub', '--owner', 'carol@example.com',
                         '--group', 'team-c');
    is($rc, 0, "$what: CLI create") or diag($out);
    my ($id)  = $out =~ /^id:\s+(\S+)$/m;
    my ($key) = $out =~ /^key:\s+(\S+)$/m;
    $id //= 'missing';
    $key //= 'missing';

    start_gateway($what, cache => 'ttl=60s');
    my $deadline = time + 5;
    sleep 0.02 until (redis_cmd('PUBSUB', 'NUMSUB', 'aigw:keys:invalidate') =~ /\n1$/) || time > $deadline;
    is((split /\n/, redis_cmd('PUBSUB', 'NUMSUB', 'aigw:keys:invalidate'))[1], 1,
       "$what: one subscriber per node on aigw:keys:invalidate");

    is(status_of($key), 200, "$what: the CLI's key works");
    is(status_of($Steady), 200, "$what: another key works");
    redis_cmd('HSET', aigw_key_hash($Steady), 'status', 'disabled');   # no message

    ($rc, $out) = cli('disable', $id);
    my $t0 = time;
    is($rc, 0, "$what: CLI disable") or diag($out);
    like($out, qr/invalidation sent to 1 subscriber/, "$what: the CLI reached the gateway's subscriber");
    my $took = poll_status($key, 401, 3, interval => 0.005);
    ok(defined $took && $took < 0.5, "$what: the disabled key is refused at once"
       . sprintf(' (%.3fs after the CLI returned)', $took // -1));
    my (undef, $body) = http($key);
    like($body, qr/"code":"key_disabled"/, "$what: key_disabled");
    is(status_of($Steady), 200,
       "$what: a key changed in Redis without a message is still served from the cache (ttl 60s)");

    ($rc, $out) = cli('enable', $id);
    is($rc, 0, "$what: CLI enable") or diag($out);
    $took = poll_status($key, 200, 3, interval => 0.005);
    ok(defined $took && $took < 0.5, "$what: enabled again, at once");

    ($rc, $out) = cli('delete', $id);
    is($rc, 0, "$what: CLI delete") or diag($out);
    $took = poll_status($key, 401, 3, interval => 0.005);
    ok(defined $took && $took < 0.5, "$what: deleted, refused at once");
    (undef, $body) = http($key);
    like($body, qr/"code":"invalid_api_key"/, "$what: invalid_api_key once deleted");
    unlike(tail_new($ErrorLog), qr/\Q$key\E|\Q@{[substr($key, 8, 40)]}\E/, "$what: the CLI key is not in error.log");
    redis_cmd('HSET', aigw_key_hash($Steady), 'status', 'active');
    stop_gateway($what);
}

# ---- 3. Redis down, aigw_redis_fail closed; back without a reload ----
{
    my $what = 'closed';
    start_gateway($what, fail => 'closed', cache => 'ttl=1s stale=60s');
    is(status_of($Active), 200, "$what: a key works and is cached");
    tail_new($ErrorLog);

    redis_server_down();
    my $t0 = time;
    my ($status, $body) = http($Cold[0]);
    is($status, 503, "$what: Redis down: a key not in the cache is 503");
    is($body, $ServiceUnavailable, "$what: ... service_unavailable");
    my $took = poll_status($Active, 503, 3);
    ok(defined $took, "$what: a cached key is 503 too once it is not fresh (closed ignores stale entries)");
    my @codes = map { status_of($Cold[0]) } 1 .. 50;
    is(scalar(grep { $_ != 503 } @codes), 0, "$what: 50 more requests while Redis is down: all 503");
    my $log = tail_new($ErrorLog);
    my $errors = redis_errors($log);
    my $bound = 1 + int((time - $t0) / 10);
    ok(($errors->{aigw} // 0) >= 1 && ($errors->{aigw} // 0) <= $bound,
       "$what: the Redis error is logged once, not per request (aigw: " . ($errors->{aigw} // 0) . ')')
        or diag($log);
    ok(($errors->{'aigw-sub'} // 0) <= $bound, "$what: ... and once for the subscriber");
    my @other = grep { /\[error\]/ && !/$RedisErrorRe/ } split /^/m, $log;
    is(scalar @other, 0, "$what: no other [error] lines") or diag(@other);

    redis_server_up();
    my $t1 = time;
    seed_keys();
    $took = defined(poll_status($Cold[0], 200, 5, interval => 0.02)) ? time - $t1 : undef;
    ok(defined $took && $took <= 3, "$what: Redis back: keys work again without a reload"
       . sprintf(' (%.2fs)', $took // -1));
    like(tail_new($ErrorLog), qr/\[notice\] [^\n]*aigw: redis 127\.0\.0\.1:$RedisPort \(aigw connection\) is back/,
         "$what: the recovery is logged");
    ok(redis_wait_clients(aigw => 1, 'aigw-sub' => 1), "$what: one connection of each kind again");
    stop_gateway($what);
}

# ---- 4. Redis down, aigw_redis_fail cached (the default): cached keys live on up to `stale` ----
{
    my $what = 'cached';
    start_gateway($what, cache => 'ttl=1s stale=3s');
    my $t0 = time;
    is(status_of($Active), 200, "$what: a key works and is cached");
    tail_new($ErrorLog);
    my $t_stop = time;
    redis_server_down();
    is(status_of($Active), 200, "$what: Redis down: the cached key works");
    my ($status, $body) = http($Cold[1]);
    is($status, 503, "$what: a key not in the cache is 503");
    is($body, $ServiceUnavailable, "$what: ... service_unavailable");
    sleep 0.05 while time - $t0 < 1.3;
    is(status_of($Active), 200, "$what: past the ttl the cached key still works (stale)");
    my $took = poll_status($Active, 503, 5, interval => 0.05);
    my $age = time - $t0;
    ok(defined $took && $age >= 2.9 && $age < 4.5,
       "$what: past `stale` it is 503" . sprintf(' (entry age %.2fs, stale=3s)', $age));
    my $errors = redis_errors(tail_new($ErrorLog));
    ok(($errors->{aigw} // 0) == 1, "$what: the Redis error logged once over the outage");

    # Reconnects are tried 0.1, 0.3, 0.7, 1.5 and 3.1s after the loss, then every 2s (5.1s);
    # doubling without the cap would wait until 6.3s. Redis comes back at 3.5s.
    sleep 0.02 while time - $t_stop < 3.5;
    redis_server_up();
    my $t1 = time;
    seed_keys();
    $took = defined(poll_status($Cold[1], 200, 5, interval => 0.02)) ? time - $t1 : undef;
    ok(defined $took && $took <= 2.4, "$what: Redis back after a 3.5s outage: keys work again within"
       . " the 2s reconnect backoff, without a reload" . sprintf(' (%.2fs)', $took // -1));

    # Redis slower than the deadline: the cached key is answered from the cache.
    is(status_of($Active), 200, "$what: the key is cached again");
    sleep 1.1;   # past the ttl: the next request asks Redis
    my $sleeper = redis_sleep(1.5);
    my ($s2, $b2, $t2) = http($Active);
    is($s2, 200, "$what: Redis asleep, the deadline passes, the stale entry answers");
    ok($t2 >= 0.15 && $t2 < 1.0, "$what: ... after about the 200ms deadline" . sprintf(' (%.2fs)', $t2));
    ($s2, $b2, $t2) = http($Cold[2]);
    is($s2, 503, "$what: a key not in the cache is 503 while Redis is slow");
    ok(wait_redis_awake($sleeper, 3), "$what: Redis wakes up");
    $took = poll_status($Cold[2], 200, 5, interval => 0.02);
    ok(defined $took && $took <= 3, "$what: and the gateway recovers");
    like(tail_new($ErrorLog), qr/aigw: redis 127\.0\.0\.1:$RedisPort \(aigw connection\) command timed out/,
         "$what: the timeout is logged");
    ok(redis_wait_clients(aigw => 1, 'aigw-sub' => 1), "$what: one connection of each kind again");
    stop_gateway($what);
}

# ---- 5. Redis answering after the deadline, closed mode; a client leaving while it waits ----
{
    my $what = 'slow';
    start_gateway($what, fail => 'closed', cache => 'ttl=60s');
    is(status_of($Active), 200, "$what: a key works");
    my @workers = aigw_worker_pids($ServRoot);
    tail_new($ErrorLog);

    my $sleeper = redis_sleep(1);
    my ($status, $body, $took) = http($Cold[3]);
    is($status, 503, "$what: Redis asleep: a key not in the cache is 503 in closed mode");
    is($body, $ServiceUnavailable, "$what: ... service_unavailable");
    ok($took >= 0.15 && $took < 0.8, "$what: ... at the 200ms deadline" . sprintf(' (%.2fs)', $took));
    is(status_of($Active), 200, "$what: a fresh cached key is not held up by the slow Redis");
    ok(wait_redis_awake($sleeper, 3), "$what: Redis wakes up");
    my $back = poll_status($Cold[3], 200, 5, interval => 0.02);
    ok(defined $back && $back <= 3, "$what: the connection is re-opened and the key works");
    like(tail_new($ErrorLog), qr/\[error\] [^\n]*aigw: redis 127\.0\.0\.1:$RedisPort \(aigw connection\) command timed out/,
         "$what: the timed-out command is logged");

    # A client that leaves while its key is being looked up.
    $sleeper = redis_sleep(1);
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $GwPort, Timeout => 2)
        or die "connect: $!";
    my $req = qq({"model":"gpt-4o","messages":[]});
    syswrite $c, "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
               . "Authorization: Bearer $Cold[4]\r\nContent-Length: " . length($req) . "\r\n\r\n$req";
    sleep 0.1;
    close $c;
    ok(wait_redis_awake($sleeper, 3), "$what: Redis wakes up after the client left");
    $back = poll_status($Cold[4], 200, 5, interval => 0.02);
    ok(defined $back, "$what: NGINX still serves after the client left mid-lookup");
    is_deeply([aigw_worker_pids($ServRoot)], \@workers, "$what: the same worker process throughout (no crash)");
    ok(redis_wait_clients(aigw => 1, 'aigw-sub' => 1), "$what: one connection of each kind");
    stop_gateway($what);
}

# ---- 6. a client leaving before a late reply (within the deadline); then a load ----
{
    my $what = 'load';
    start_gateway($what, timeout => '2s');
    is(status_of($Active), 200, "$what: a key works (no key cache: every request asks Redis)");
    my @workers = aigw_worker_pids($ServRoot);
    is(scalar @workers, 1, "$what: one worker");
    tail_new($ErrorLog);

    my $sleeper = redis_sleep(0.5);
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $GwPort, Timeout => 2)
        or die "connect: $!";
    syswrite $c, "GET /v1/models HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer $Cold[5]\r\n\r\n";
    sleep 0.1;
    close $c;
    ok(wait_redis_awake($sleeper, 3), "$what: Redis answers after the client left");
    is(status_of($Cold[5]), 200, "$what: the late reply was dropped and the connection still works");
    my $log = tail_new($ErrorLog);
    unlike($log, qr/\[error\]/, "$what: no error (the reply came within the deadline)") or diag($log);

    # 2,000 requests, 64 at a time, 16 keys, one worker.
    my $conns_before = redis_stat('stats', qr/^total_connections_received:(\d+)/m);
    my $calls_before = hgetall_calls();
    my ($total, $concurrency) = (2000, 64);
    my $body = qq({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]});
    my @reqs = map { [$GwPort, http_request_text(headers => { Authorization => "Bearer $Load[$_ % @Load]" },
                                                 body => $body)] } 0 .. $total - 1;
    my $t0 = time;
    my @resp = http_run(\@reqs, concurrency => $concurrency, bound => 45);
    my $elapsed = time - $t0;
    my %codes;
    my $finished = 0;
    for my $raw (@resp) {
        if (!defined $raw) { $codes{unfinished}++; next }
        $finished++;
        my ($code) = $raw =~ m{^HTTP/1\.[01] (\d{3})};
        $codes{ $code // (length $raw ? 'no response' : 'connect failed') }++;
    }
    is($finished, $total, "$what: all $total requests finished" . sprintf(' (%.1fs)', $elapsed));
    is_deeply(\%codes, { 200 => $total }, "$what: every response is 200")
        or diag(explain(\%codes));
    cmp_ok(hgetall_calls() - $calls_before, '>=', $total, "$what: each request was a Redis lookup");
    my $conns = redis_stat('stats', qr/^total_connections_received:(\d+)/m) - $conns_before;
    # Our own redis-cli calls connect too: a handful, not one per request.
    cmp_ok($conns, '<', 20, "$what: no Redis connection per request ($conns new connections)");
    my $names = redis_client_names();
    is($names->{aigw} // 0, 1, "$what: CLIENT LIST shows exactly one name=aigw connection");
    is($names->{'aigw-sub'} // 0, 0, "$what: and no subscriber without a key cache");
    is_deeply([aigw_worker_pids($ServRoot)], \@workers, "$what: the same worker throughout");
    $log = tail_new($ErrorLog);
    unlike($log, qr/\[error\]/, "$what: no [error] under load") or diag(substr($log, 0, 2000));
    stop_gateway($what);
}

# ---- 7. reloads: a request waiting on Redis is answered; the key cache is kept ----

# `nginx -s reload`, and a new worker in place of the old one.
sub reload_gateway {
    my ($what) = @_;
    my ($rc, $out, $old, $new) = aigw_nginx_reload($ServRoot);
    is($rc, 0, "$what: nginx -s reload") or diag($out);
    my %old = map { $_ => 1 } @$old;
    ok(@$new == 1 && !$old{ $new->[0] }, "$what: a new worker replaced the old one");
}

{
    my $what = 'reload';
    start_gateway($what, cache => 'ttl=60s', timeout => '3s');
    is(status_of($Active), 200, "$what: a key works and is cached");
    tail_new($ErrorLog);

    # The old worker finishes what it has in hand, a Redis lookup included.
    my $sleeper = redis_sleep(1);
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $GwPort, Timeout => 2)
        or die "connect: $!";
    syswrite $c, "GET /v1/models HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
               . "Authorization: Bearer $Cold[7]\r\n\r\n";
    sleep 0.1;
    reload_gateway("$what while a lookup waits");
    my ($resp, $sel) = ('', IO::Select->new($c));
    my $deadline = time + 5;
    while (time < $deadline && $sel->can_read($deadline - time)) {
        my $n = sysread($c, my $chunk, 65536);
        last unless $n;
        $resp .= $chunk;
    }
    close $c;
    like($resp, qr{\AHTTP/1\.1 200 }, "$what: the request that waited on Redis during the reload is answered")
        or diag("response: '$resp'");
    ok(wait_redis_awake($sleeper, 3), "$what: Redis wakes up");
    my $log = tail_new($ErrorLog);
    unlike($log, qr/\[alert\]/, "$what: the old worker did not exit with a request in hand")
        or diag(join '', grep { /\[alert\]/ } split /^/m, $log);

    # Redis stopped: the new worker has only the shared cache to go by.
    is(status_of($Active), 200, "$what: the key is cached");
    redis_server_down();
    is(status_of($Active), 200, "$what: Redis stopped: the cached key works");
    reload_gateway("$what with Redis down");
    is(status_of($Active), 200, "$what: after the reload, Redis still down, the cached key works");
    my ($status, $body) = http($Cold[6]);
    is($status, 503, "$what: while a key that was not cached is 503 (Redis really is down)");

    redis_server_up();
    seed_keys();
    my $took = poll_status($Cold[6], 200, 5, interval => 0.02);
    ok(defined $took, "$what: Redis back: the new worker connects");
    ok(redis_wait_clients(aigw => 1, 'aigw-sub' => 1),
       "$what: one connection of each kind after the reloads (the old workers' are gone)");
    stop_gateway($what);
}

# ---- 8. two workers: a command connection each, one subscriber for the node ----
{
    my $what = 'two workers';
    start_gateway($what, cache => 'ttl=60s', workers => 2);
    is(scalar(my @w = aigw_worker_pids($ServRoot)), 2, "$what: two workers");
    is(status_of($Active), 200, "$what: a key works");
    stop_gateway($what);
}

# ---- 9. a Redis with a password ----
{
    my $what = 'password';
    redis_cmd('CONFIG', 'SET', 'requirepass', 's3cret-pw');
    redis_password('s3cret-pw');
    start_gateway($what, password => 's3cret-pw');
    is(status_of($Active), 200, "$what: the right password: keys work");
    stop_gateway($what);

    aigw_nginx_start(gateway_conf(password => 'wrong-pw'), port => $GwPort, log_level => 'info',
                     workers => 1);
    my $deadline = time + 5;
    sleep 0.02 until slurp($ErrorLog) =~ /AUTH failed/ || time > $deadline;
    my @codes = map { status_of($Active) } 1 .. 20;
    is_deeply([grep { $_ != 503 } @codes], [], "$what: a wrong password: 503 for every key");
    my $log = tail_new($ErrorLog);
    like($log, qr/\[error\] [^\n]*aigw: redis 127\.0\.0\.1:$RedisPort \(aigw connection\) AUTH failed: WRONGPASS/,
         "$what: the refused AUTH is logged");
    unlike($log, qr/s3cret|wrong-pw/, "$what: the password is not logged");
    my $n = () = $log =~ /\[error\]/g;
    ok($n <= 4, "$what: logged once, not once per request ($n [error] lines for 20 requests)")
        or diag($log);
    stop_gateway("$what (wrong)");
    redis_cmd('CONFIG', 'SET', 'requirepass', '');
    redis_password(undef);
}

redis_server_down();
done_testing();
