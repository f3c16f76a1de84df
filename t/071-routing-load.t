# Routing under a stream of requests, on NGINX with two workers sharing the router's state:
#   1. weights 1:3 over 1,000 requests;
#   2. priority tiers: the lower tier only while the upper one fails, back once it recovers;
#   3. a channel whose connections are refused is skipped for fail_timeout, then readmitted by
#      one probe once it is healthy; one probe at a time; max_fails counts the failures within
#      fail_timeout only;
#   4. a 429 with Retry-After: 1 sets a channel aside for about a second, with max_fails=0 and
#      with the channel's defaults (a 429 is not a failure toward max_fails);
#   5. a reload keeps a channel that is set aside aside.
#
#     prove -I t/lib t/071-routing-load.t
#
# Plain Test::More. The gateway listens on TEST_NGINX_PORT (default 1984); its mock upstreams
# are an NGINX server of the same instance on 21985, whose answers name the channel and whose
# failures are switched by flag files, and a Perl server on 21990 that the test starts and
# stops to refuse connections.

use strict;
use warnings;

use lib 't/lib';
use Test::AIGW 'plain';

use File::Spec;
use Time::HiRes qw(sleep time);

my $ServRoot = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
my $GwPort   = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
my $MockPort = 21985;    # the NGINX mock
my $PerlPort = 21990;    # the Perl mock of channel c1
my $Flags    = "$ServRoot/html";    # flag files the NGINX mock checks
my $PerlPid;

sub flag_on  { my $f = "$Flags/$_[0]"; open my $fh, '>', $f or die "$f: $!"; close $fh }
sub flag_off { unlink "$Flags/$_[0]" }

# ---- the Perl mock: answers {"ch":"c1"} while it runs; refused once it is stopped ----

sub start_perl_mock {
    die 'the Perl mock is already running' if $PerlPid;
    $PerlPid = tcp_server_fork($PerlPort, sub {
        my ($c) = @_;
        return unless length read_http_request($c, 2);
        my $b = '{"ch":"c1"}';
        syswrite $c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                   . "Content-Length: " . length($b) . "\r\nConnection: close\r\n\r\n$b";
    }, backlog => 64);
    my $deadline = time + 5;
    until (port_open($PerlPort)) {
        die "the Perl mock did not listen on $PerlPort" if time > $deadline;
        sleep 0.01;
    }
}

sub stop_perl_mock {
    return unless $PerlPid;
    kill 'TERM', $PerlPid;
    waitpid($PerlPid, 0);
    undef $PerlPid;
    my $deadline = time + 5;
    sleep 0.01 while port_open($PerlPort) && time < $deadline;
}

END { local $?; stop_perl_mock() }

# ---- HTTP ----

sub chat_body { return qq({"model":"$_[0]","messages":[{"role":"user","content":"hi"}]}) }

# The channel that answered one request ('' for anything but a 200 naming one).
sub channel_of {
    my ($model) = @_;
    my $r = http_request($GwPort, body => chat_body($model));
    return $r->{status} == 200 && $r->{body} =~ /\A\{"ch":"([a-z0-9]+)"\}\z/ ? $1 : "HTTP $r->{status}: $r->{body}";
}

# Channels of $n requests, counted.
sub spread {
    my ($model, $n) = @_;
    my %count;
    $count{ channel_of($model) }++ for 1 .. $n;
    return \%count;
}

# Requests until one is answered by $channel, for at most $bound seconds; returns the
# channels seen before it, or undef when it never answered.
sub until_channel {
    my ($model, $channel, $bound) = @_;
    my @seen;
    my $deadline = time + $bound;
    while (time < $deadline) {
        my $ch = channel_of($model);
        return \@seen if $ch eq $channel;
        push @seen, $ch;
        sleep 0.01;
    }
    return;
}

# Requests for $seconds; returns the channels that answered, counted.
sub spread_for {
    my ($model, $seconds) = @_;
    my %count;
    my $end = time + $seconds;
    while (time < $end) {
        $count{ channel_of($model) }++;
        sleep 0.005;
    }
    return \%count;
}

# $n requests at once, each on its own connection; returns the channels that answered, counted.
sub concurrent {
    my ($model, $n) = @_;
    my %count;
    for my $raw (http_run([map { [$GwPort, http_request_text(body => chat_body($model))] } 1 .. $n], bound => 10)) {
        if (!defined $raw) { $count{unfinished}++; next }
        if (!length $raw) { $count{'connect failed'}++; next }
        my $r = http_parse($raw);
        my ($ch) = $r->{body} =~ /\A\{"ch":"([a-z0-9]+)"\}/;
        $count{ $r->{status} == 200 && $ch ? $ch : 'HTTP ' . ($r->{status} || 'none') }++;
    }
    return \%count;
}

# error.log lines since the start matching a pattern, counted.
sub log_count {
    my ($re) = @_;
    my $n = () = slurp("$ServRoot/logs/error.log") =~ /$re/g;
    return $n;
}

# How many requests the NGINX mock logged for a channel with a status, so far.
sub mock_hits {
    my ($channel, $status) = @_;
    my $n = () = slurp("$ServRoot/logs/mock.log") =~ m{^/\Q$channel\E/v1/chat/completions \Q$status\E$}mg;
    return $n;
}

# mock_hits once it counts at least $want more than $before, or after 2 s: the mock's request
# writes its log line when it ends, which on a loaded machine can come after the client had
# its answer. The caller still compares the count exactly.
sub mock_hits_after {
    my ($channel, $status, $before, $want) = @_;
    my $deadline = time + 2;
    my $n = mock_hits($channel, $status);
    while ($n - $before < $want && time < $deadline) {
        sleep 0.05;
        $n = mock_hits($channel, $status);
    }
    return $n;
}

# ---- NGINX ----

sub gateway_conf {
    my $ok = sub { my ($ch) = @_; qq(return 200 '{"ch":"$ch"}';) };
    return <<"_EOC_";
    log_format gw '\$pid \$aigw_model \$aigw_channel \$aigw_attempts \$status';
    log_format mock '\$uri \$status';

    aigw_channel w1 location=/_aigw/w1 weight=1;
    aigw_channel w3 location=/_aigw/w3 weight=3;
    aigw_channel p0 location=/_aigw/p0 priority=0 max_fails=1 fail_timeout=1s;
    aigw_channel p1 location=/_aigw/p1 priority=1;
    aigw_channel c1 location=/_aigw/c1 max_fails=1 fail_timeout=1s;
    aigw_channel c2 location=/_aigw/c2;
    # r1 has max_fails=0, q1 the defaults (max_fails=1 fail_timeout=30s): either way only the
    # 429's Retry-After sets it aside.
    aigw_channel r1 location=/_aigw/r1 max_fails=0;
    aigw_channel r2 location=/_aigw/r2;
    aigw_channel q1 location=/_aigw/q1;
    aigw_channel q2 location=/_aigw/q2;
    aigw_channel h1 location=/_aigw/h1 max_fails=1 fail_timeout=1s;
    aigw_channel h2 location=/_aigw/h2;
    aigw_channel f1 location=/_aigw/f1 max_fails=2 fail_timeout=1s;
    aigw_channel f2 location=/_aigw/f2 priority=1;
    aigw_channel s1 location=/_aigw/s1 max_fails=1 fail_timeout=60s;
    aigw_channel s2 location=/_aigw/s2;

    aigw_model weighted w1 w3;
    aigw_model tiered p1 p0;
    aigw_model flaky c1 c2;
    aigw_model limited r1 r2;
    aigw_model probe h1 h2;
    aigw_model window f1 f2;
    aigw_model sticky s1 s2;
    aigw_model limited-defaults q1 q2;

    server {
        listen 127.0.0.1:$GwPort;
        location /v1/ {
            aigw on;
            access_log logs/gateway.log gw;
        }
        location /_aigw/ {
            internal;
            proxy_pass http://127.0.0.1:$MockPort/;
        }
        location /_aigw/h1/ {
            internal;
            proxy_pass http://127.0.0.1:$MockPort/h1/;
            proxy_read_timeout 300ms;
        }
        location /_aigw/c1/ {
            internal;
            proxy_pass http://127.0.0.1:$PerlPort/;
        }
    }

    server {
        listen 127.0.0.1:$MockPort;
        access_log logs/mock.log mock;
        default_type application/json;
        location /w1/ { @{[ $ok->('w1') ]} }
        location /w3/ { @{[ $ok->('w3') ]} }
        location /p0/ {
            if (-f $Flags/p0.down) {
                return 503 '{"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}';
            }
            @{[ $ok->('p0') ]}
        }
        location /p1/ { @{[ $ok->('p1') ]} }
        location /c2/ { @{[ $ok->('c2') ]} }
        location /r1/ {
            if (-f $Flags/r1.limited) {
                add_header Retry-After 1 always;
                return 429 '{"error":{"message":"Rate limit reached.","type":"requests","param":null,"code":"rate_limit_exceeded"}}';
            }
            @{[ $ok->('r1') ]}
        }
        location /r2/ { @{[ $ok->('r2') ]} }
        location /q1/ {
            if (-f $Flags/q1.limited) {
                add_header Retry-After 1 always;
                return 429 '{"error":{"message":"Rate limit reached.","type":"requests","param":null,"code":"rate_limit_exceeded"}}';
            }
            @{[ $ok->('q1') ]}
        }
        location /q2/ { @{[ $ok->('q2') ]} }
        location /s1/ {
            if (-f $Flags/s1.down) {
                return 500 '{"error":{"message":"boom","type":"server_error","param":null,"code":null}}';
            }
            @{[ $ok->('s1') ]}
        }
        location /s2/ { @{[ $ok->('s2') ]} }
        location /h1/ {
            if (-f $Flags/h1.hang) {
                rewrite ^ /hang last;
            }
            @{[ $ok->('h1') ]}
        }
        location /h2/ { @{[ $ok->('h2') ]} }
        location = /hang {
            echo_read_request_body;
            echo_sleep 2;
            echo '{}';
        }
        location /f1/ {
            if (-f $Flags/f1.down) {
                return 503 '{"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}';
            }
            @{[ $ok->('f1') ]}
        }
        location /f2/ { @{[ $ok->('f2') ]} }
    }
_EOC_
}

sub describe { my ($h) = @_; return join ', ', map { "$_=$h->{$_}" } sort keys %$h }

# ===========================================================================

start_perl_mock();
aigw_nginx_start(gateway_conf(), port => $GwPort, log_level => 'info', workers => 2);
flag_off($_) for qw(p0.down h1.hang f1.down r1.limited q1.limited s1.down);
{
    my $deadline = time + 5;
    sleep 0.02 while scalar(my @w = aigw_worker_pids($ServRoot)) < 2 && time < $deadline;
}
is(scalar(my @w = aigw_worker_pids($ServRoot)), 2, 'two workers');
my $t_start = time;

# ---- 1. weights 1:3 ----
{
    my $n = 1000;
    my $count = spread('weighted', $n);
    my ($w1, $w3) = ($count->{w1} // 0, $count->{w3} // 0);
    is($w1 + $w3, $n, "weights: all $n requests answered by w1 or w3") or diag(describe($count));
    ok(abs($w1 - 250) <= 12.5, "weights 1:3: w1 has 250 +- 5% of $n ($w1)");
    ok(abs($w3 - 750) <= 37.5, "weights 1:3: w3 has 750 +- 5% of $n ($w3)");
    my %pids;
    for my $line (split /\n/, slurp("$ServRoot/logs/gateway.log")) {
        $pids{$1}++ if $line =~ /^(\d+) weighted /;
    }
    note('requests per worker: ' . describe(\%pids));
}

# ---- 2. priority tiers ----
{
    my $count = spread('tiered', 20);
    is_deeply($count, { p0 => 20 }, 'tiers: all traffic to the priority=0 channel while it is healthy')
        or diag(describe($count));

    flag_on('p0.down');
    my $t0 = time;
    my $before = mock_hits('p0', 503);
    $count = spread('tiered', 20);
    my $took = time - $t0;
    is_deeply($count, { p1 => 20 }, 'tiers: p0 answers 503: every request is answered by p1')
        or diag(describe($count));
    SKIP: {
        skip 'the requests took longer than fail_timeout', 1 if $took > 0.9;
        is(mock_hits_after('p0', 503, $before, 1) - $before, 1, 'tiers: p0 was asked once, then set aside (max_fails=1)');
    }

    flag_off('p0.down');
    my $seen = until_channel('tiered', 'p0', 3);
    my $back = time - $t0;
    ok($seen, 'tiers: p0 healthy again: it is readmitted') or diag("took $back s");
    ok($back >= 0.9 && $back < 2, sprintf('tiers: ... after its fail_timeout of 1s (%.2fs)', $back));
    $count = spread('tiered', 20);
    is_deeply($count, { p0 => 20 }, 'tiers: and has all the traffic again') or diag(describe($count));
}

# ---- 3. a channel refusing connections: skipped for fail_timeout, then readmitted ----
{
    my $count = spread('flaky', 20);
    is_deeply($count, { c1 => 10, c2 => 10 }, 'down: both channels serve while healthy')
        or diag(describe($count));

    stop_perl_mock();
    # Round-robin: one of two requests goes to c1, is refused and falls back to c2.
    $count = spread('flaky', 2);
    my $t0 = time;
    is_deeply($count, { c2 => 2 }, 'down: c1 refuses: its requests are answered by c2')
        or diag(describe($count));
    my $refused = () = slurp("$ServRoot/logs/error.log") =~ /connect\(\) failed \(111: Connection refused\)[^\n]*127\.0\.0\.1:$PerlPort/g;
    is($refused, 1, 'down: c1 was tried once');

    # Healthy again at once, but it failed max_fails=1 times: set aside for fail_timeout=1s.
    start_perl_mock();
    SKIP: {
        my $left = 0.7 - (time - $t0);
        skip 'too slow to look inside the fail_timeout', 1 if $left < 0.1;
        $count = spread_for('flaky', $left);
        is_deeply([keys %$count], ['c2'], 'down: c1 is skipped during its fail_timeout even though it is back')
            or diag(describe($count));
    }
    my $seen = until_channel('flaky', 'c1', 3);
    my $back = time - $t0;
    ok($seen, 'down: c1 is readmitted');
    ok($back >= 0.9 && $back < 2, sprintf('down: ... after fail_timeout=1s (%.2fs)', $back));
    $count = spread('flaky', 20);
    ok(($count->{c1} // 0) >= 9 && ($count->{c2} // 0) >= 9 && ($count->{c1} // 0) + ($count->{c2} // 0) == 20,
       'down: after the probe succeeded both channels serve again (' . describe($count) . ')');

    # Down for longer: one probe per fail_timeout fails and sets it aside again.
    my $refused_before = () = slurp("$ServRoot/logs/error.log") =~ /connect\(\) failed \(111: Connection refused\)[^\n]*127\.0\.0\.1:$PerlPort/g;
    stop_perl_mock();
    $t0 = time;
    $count = spread_for('flaky', 2.2);
    my $span = time - $t0;
    is_deeply([keys %$count], ['c2'], 'down for 2.2s: every request is answered by c2')
        or diag(describe($count));
    my $refused_now = () = slurp("$ServRoot/logs/error.log") =~ /connect\(\) failed \(111: Connection refused\)[^\n]*127\.0\.0\.1:$PerlPort/g;
    my $tries = $refused_now - $refused_before;
    ok($tries >= 2 && $tries <= 3, "down for 2.2s: c1 was tried once, then once per fail_timeout"
       . sprintf(' (%d tries in %.2fs, %d requests)', $tries, $span, $count->{c2} // 0));
    start_perl_mock();
    $t0 = time;
    $seen = until_channel('flaky', 'c1', 3);
    $back = time - $t0;
    ok($seen && $back < 1.3, sprintf('down: back up, c1 is readmitted by the next probe (%.2fs)', $back));
}

# ---- 3b. one probe at a time: while a readmitted channel's probe is out, others go elsewhere ----
{
    my $timeouts = qr{upstream timed out[^\n]*upstream: "http://127\.0\.0\.1:$MockPort/h1/};
    my $count = spread('probe', 4);
    is_deeply($count, { h1 => 2, h2 => 2 }, 'probe: both channels serve') or diag(describe($count));
    flag_on('h1.hang');
    my $before = log_count($timeouts);
    $count = spread('probe', 2);
    my $t0 = time;
    is_deeply($count, { h2 => 2 }, 'probe: h1 times out (300ms), h2 answers for it') or diag(describe($count));
    is(log_count($timeouts) - $before, 1, 'probe: h1 timed out once and is set aside');

    # Past fail_timeout h1 may be tried again, by one request: 10 at once while it still hangs.
    sleep 0.02 while time - $t0 < 1.1;
    $count = concurrent('probe', 10);
    is_deeply($count, { h2 => 10 }, 'probe: 10 requests at once while h1 still hangs: all answered by h2')
        or diag(describe($count));
    is(log_count($timeouts) - $before, 2, 'probe: ... and only one of them tried h1');
    flag_off('h1.hang');
}

# ---- 3c. max_fails counts failures within fail_timeout only ----
{
    my $count = spread('window', 3);
    is_deeply($count, { f1 => 3 }, 'window: the priority=0 channel f1 serves') or diag(describe($count));
    flag_on('f1.down');
    my $before = mock_hits('f1', 503);
    my $t0 = time;
    is(channel_of('window'), 'f2', 'window: f1 fails (1 of max_fails=2), f2 answers');
    sleep 0.05 while time - $t0 < 1.2;
    is(channel_of('window'), 'f2', 'window: past fail_timeout, f1 fails again: a new window (1 of 2)');
    is(channel_of('window'), 'f2', 'window: f1 fails a second time in that window');
    SKIP: {
        skip 'the requests took longer than fail_timeout', 2 if time - $t0 > 2.1;
        is(mock_hits_after('f1', 503, $before, 3) - $before, 3, 'window: f1 was asked each time: two failures'
           . ' fail_timeout apart did not set it aside');
        $count = spread('window', 5);
        is(mock_hits('f1', 503) - $before, 3, 'window: two failures within fail_timeout set it aside'
           . ' (' . describe($count) . ')');
    }
    flag_off('f1.down');
}

# ---- 4. 429 with Retry-After: 1 ----
{
    my $count = spread('limited', 10);
    is_deeply($count, { r1 => 5, r2 => 5 }, 'retry-after: both channels serve') or diag(describe($count));

    flag_on('r1.limited');
    my $before = mock_hits('r1', 429);
    $count = spread('limited', 2);
    my $t0 = time;
    is_deeply($count, { r2 => 2 }, 'retry-after: r1 answers 429: its request is answered by r2')
        or diag(describe($count));
    is(mock_hits_after('r1', 429, $before, 1) - $before, 1, 'retry-after: r1 was asked once');
    flag_off('r1.limited');

    SKIP: {
        my $left = 0.7 - (time - $t0);
        skip 'too slow to look inside the Retry-After', 1 if $left < 0.1;
        $count = spread_for('limited', $left);
        is_deeply([keys %$count], ['r2'], 'retry-after: r1 is set aside for the second it asked for')
            or diag(describe($count));
    }
    my $seen = until_channel('limited', 'r1', 3);
    my $back = time - $t0;
    ok($seen, 'retry-after: r1 gets traffic again');
    ok($back >= 0.9 && $back < 1.8, sprintf('retry-after: ... about 1s after the 429 (%.2fs)', $back));
}

# ---- 4b. the same with the channel's defaults (max_fails=1 fail_timeout=30s) ----
{
    flag_on('q1.limited');
    my $count = spread('limited-defaults', 2);
    my $t0 = time;
    flag_off('q1.limited');
    is_deeply($count, { q2 => 2 }, 'retry-after, default max_fails: q1 answers 429, q2 answers for it')
        or diag(describe($count));
    my $seen = until_channel('limited-defaults', 'q1', 2);
    my $back = time - $t0;
    ok($seen && $back >= 0.9 && $back < 1.8,
       sprintf('retry-after, default max_fails: q1 gets traffic again about 1s after its 429 (%.2fs)',
               $back));
}

# ---- 5. a reload keeps the router's state ----
{
    my $count = spread('sticky', 4);
    is_deeply($count, { s1 => 2, s2 => 2 }, 'reload: both channels serve') or diag(describe($count));
    flag_on('s1.down');
    $count = spread('sticky', 2);
    is_deeply($count, { s2 => 2 }, 'reload: s1 answers 500, s2 answers for it') or diag(describe($count));
    flag_off('s1.down');

    my ($rc, $out, $old, $new) = aigw_nginx_reload($ServRoot);
    is($rc, 0, 'reload: nginx -s reload') or diag($out);
    my %old = map { $_ => 1 } @$old;
    my @new = @$new;
    ok(@new == 2 && !grep({ $old{$_} } @new), 'reload: two new workers replaced the old ones');

    $count = spread('sticky', 10);
    is_deeply($count, { s2 => 10 }, 'reload: s1 is still set aside (fail_timeout=60s) after the reload')
        or diag(describe($count));
}

my $log = aigw_nginx_stop();
unlike($log, qr/\[(?:alert|crit|emerg)\]|exited on signal/, 'no [alert], [crit], [emerg] or crashed worker in error.log')
    or diag(join '', grep { /\[(?:alert|crit|emerg)\]|exited on signal/ } split /^/m, $log);
my @errors = grep { /\[error\]/ && !/connect\(\) failed \(111: Connection refused\)|upstream timed out/ }
             split /^/m, $log;
is(scalar @errors, 0, 'no [error] but the refused connections and timeouts') or diag(@errors);
note(sprintf('took %.1fs', time - $t_start));

done_testing();
