# Billing across a fleet: two NGINX gateways (two masters, two workers each) sharing one Redis,
# every worker spending leases of quota and rate limits in memory and settling them with Redis:
#   1. one node, 200 concurrent requests on a key whose quota covers 100: exactly 100 admitted,
#      every other one a 402 insufficient_quota; once settled `used` is exactly the admitted
#      requests' cost, never above the quota, and the usage records add up to it; once the
#      leases are given back what is left of the quota is usable, and nothing beyond it;
#   2. the same with 100 requests to each node at once;
#   3. a group's quota shared by two unlimited keys on both nodes;
#   4. rpm on both nodes for one whole 60 s window of Redis time, at twice the limit: admitted
#      within 2% of the limit and never above it; x-ratelimit-*-requests on every answer that
#      agree with the window; 429s with a Retry-After that ends with the window and OpenAI's
#      rate-limit error (type "requests");
#   5. tpm the same way, in the same window, on another key (type "tokens"); both window keys
#      are charged for every request they were admitted;
#   6. a graceful stop (QUIT) of both gateways right after requests settles what they spent.
#
#     prove -I t/lib t/083-billing-fleet.t
#
# Plain Test::More, 70 to 135 s: the window tests wait for a minute boundary of Redis time
# (up to 65 s; tests 1-3 run meanwhile), then drive load for that minute. A redis-server of our
# own on a free loopback port; three NGINX, each in its own servroot under a temp dir. Fixed
# loopback ports:
#   23980  gateway A (master, 2 workers)
#   23981  gateway B (master, 2 workers)
#   23982  the mock upstream (an NGINX of its own): one fixed chat.completion whose usage is
#          8 prompt + 192 completion tokens

use strict;
use warnings;

use lib 't/lib';
use Test::AIGW qw(plain redis);
use Test::AIGW::Fleet;

use Errno qw(EAGAIN EINTR EWOULDBLOCK);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use List::Util qw(max min sum0);
use POSIX qw(floor);
use Time::HiRes qw(sleep time);

my ($PortA, $PortB, $MockPort) = (23980, 23981, 23982);
my @Nodes = ($PortA, $PortB);
my $Owner = $$;
my $Tmp = tempdir('aigw-fleet-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my %Root = (A => "$Tmp/a", B => "$Tmp/b", mock => "$Tmp/mock");
my $Json = JSON::PP->new->canonical;

my $Cost = 10000;            # aigw_price gpt-4o request=0.01: micro-USD per request
my ($Prompt, $Completion) = (8, 192);    # the mock's usage
my $Rpm = 600;
my $Tpm = 60000;
my $WindowMs = 60000;

# The chat request of tests 1-4 (no max_tokens: 1024 output tokens reserved, no tpm applies).
my $ChatBody = '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}';
# Test 5's: the gateway's prompt estimate of it is 3 per message + 1 ("user") + 1 ("hi") + 3 for
# the reply's priming = 8, the mock's prompt_tokens; max_tokens is the mock's completion_tokens.
# So the reservation (estimate + max_tokens) equals what each request really uses; the test
# still takes the per-request count from the records rather than from this reasoning.
my $TpmBody = qq({"model":"gpt-4o","max_tokens":$Completion,"messages":[{"role":"user","content":"hi"}]});

# ---- the window drivers (tests 4 and 5) ----

# Sends requests on `key` at `rate` per second, alternating the nodes, from `from` to `to`
# (local seconds), each on its own connection; writes one JSON line per answer to `out`:
# request id, when it was sent, the node, the status and the headers that matter.
sub drive {
    my (%o) = @_;
    open my $out, '>', $o{out} or die "$o{out}: $!";
    my $sel = IO::Select->new;
    my %conn;
    my $i = 0;
    sleep 0.005 while time < $o{from};
    while (1) {
        my $now = time;
        while ($o{from} + $i / $o{rate} <= $now && $o{from} + $i / $o{rate} < $o{to}) {
            my $port = $Nodes[ $i % 2 ];
            my $rid = "$o{prefix}-$i";
            $i++;
            my $t = time;
            my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp',
                                          Timeout => 5);
            if (!$s) {
                print {$out} $Json->encode({ rid => $rid, t => $t, port => $port, status => 0 }), "\n";
                next;
            }
            syswrite $s, request_text($o{key}, $rid, $o{body});
            $s->blocking(0);
            $conn{ fileno $s } = { sock => $s, rid => $rid, t => $t, port => $port, buf => '' };
            $sel->add($s);
        }
        last if !%conn && $o{from} + $i / $o{rate} >= $o{to};
        my $next = $o{from} + $i / $o{rate};
        my $wait = $next < $o{to} ? max(0, min($next - time, 0.2)) : 0.2;
        if (!$sel->count) {   # can_read returns at once with nothing to wait on
            sleep $wait;
            next;
        }
        for my $s ($sel->can_read($wait)) {
            my $c = $conn{ fileno $s };
            my $n = sysread($s, my $chunk, 65536);
            next if !defined $n && ($! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR);
            if ($n) { $c->{buf} .= $chunk; next }
            $sel->remove($s);
            delete $conn{ fileno $s };
            close $s;
            my $r = http_parse($c->{buf});
            my $e = ref $r->{json} eq 'HASH' && ref $r->{json}{error} eq 'HASH' ? $r->{json}{error} : {};
            print {$out} $Json->encode({
                rid => $c->{rid}, t => $c->{t}, port => $c->{port}, status => $r->{status},
                (map { $_ => $r->{h}{$_} } grep { defined $r->{h}{$_} }
                     qw(retry-after content-type x-ratelimit-limit-requests x-ratelimit-remaining-requests
                        x-ratelimit-reset-requests x-ratelimit-limit-tokens x-ratelimit-remaining-tokens
                        x-ratelimit-reset-tokens)),
                error => $e,
                usage => ref $r->{json} eq 'HASH' ? $r->{json}{usage} : undef,
            }), "\n";
        }
        for my $c (values %conn) {   # no answer in 20 s: recorded as status 0
            next if time - $c->{t} < 20;
            $sel->remove($c->{sock});
            delete $conn{ fileno $c->{sock} };
            close $c->{sock};
            print {$out} $Json->encode({ rid => $c->{rid}, t => $c->{t}, port => $c->{port}, status => 0 }), "\n";
        }
    }
    close $out;
}

sub start_driver {
    my (%o) = @_;
    my $pid = fork // die "fork: $!";
    return $pid if $pid;
    my $ok = eval { drive(%o); 1 };
    print STDERR "driver $o{prefix}: $@" unless $ok;
    POSIX::_exit($ok ? 0 : 1);
}

my @Drivers;
END {
    if ($$ == $Owner) {
        local $?;
        kill 'KILL', $_ for @Drivers;
        waitpid($_, 0) for @Drivers;
        aigw_nginx_stop();
    }
}

# "250ms", "1s", "12.5s", "1m0s" (Go's durations, as OpenAI spells x-ratelimit-reset-*) in ms;
# undef if it is not one.
sub reset_ms {
    my ($v) = @_;
    return undef unless defined $v;
    return $1 if $v =~ /^(\d+)ms$/;
    return undef unless $v =~ /^(?:(\d+)h)?(?:(\d+)m)?(\d+(?:\.\d{1,3})?)s$/;
    return (($1 // 0) * 3600 + ($2 // 0) * 60 + $3) * 1000;
}

# ===========================================================================

fleet_mock_start(root => $Root{mock}, port => $MockPort, json => fleet_chat_json($Prompt, $Completion),
                 log_level => 'notice');
for my $n (qw(A B)) {
    fleet_gateway_start(root => $Root{$n}, port => $n eq 'A' ? $PortA : $PortB, mock_port => $MockPort,
                        price => 'gpt-4o request=0.01', log_level => 'notice');
}
{
    # Each worker names its Redis connection once it has one.
    my $deadline = time + 10;
    my $n = 0;
    while (time < $deadline) {
        $n = () = redis_q('CLIENT', 'LIST') =~ /\bname=aigw /g;
        last if $n >= 4;
        sleep 0.05;
    }
    is($n, 4, 'two gateways of two workers each are connected to the one Redis');
}
my $t_start = time;

# ---- the window of tests 4 and 5: the next minute of Redis time at least 5 s away ----
# Redis and this process read the same clock, but the offset is measured, not assumed.
my ($Offset, $Boundary, %WinKey, %WinOut);
{
    my $t0 = time;
    my $r = redis_ms();
    my $t1 = time;
    $Offset = $r - ($t0 + $t1) / 2 * 1000;    # redis ms = local ms + offset
    $Boundary = (floor($r / $WindowMs) + 1) * $WindowMs;
    $Boundary += $WindowMs if $Boundary - $r < 5000;
    my $local = sub { ($_[0] - $Offset) / 1000 };
    note(sprintf('window tests: the window starts in %.1fs', ($Boundary - $r) / 1000));

    $WinKey{rpm} = new_key(rpm => $Rpm);
    $WinKey{tpm} = new_key(tpm => $Tpm);
    %WinOut = (rpm => "$Tmp/rpm.jsonl", tpm => "$Tmp/tpm.jsonl");
    # Twice the limit, spread evenly over both nodes, from 2 s before the window to 1 s after.
    push @Drivers, start_driver(key => $WinKey{rpm}, body => $ChatBody, rate => 2 * $Rpm / 60,
                                from => $local->($Boundary - 2000), to => $local->($Boundary + $WindowMs + 1000),
                                prefix => 'rpm', out => $WinOut{rpm});
    my $per = $Prompt + $Completion;
    push @Drivers, start_driver(key => $WinKey{tpm}, body => $TpmBody, rate => 2 * $Tpm / $per / 60,
                                from => $local->($Boundary - 2000), to => $local->($Boundary + $WindowMs + 1000),
                                prefix => 'tpm', out => $WinOut{tpm});
}

# ---- 1-3: a quota under 200 concurrent requests ----

# Runs one burst and checks it: $quota_n requests' worth of quota on $account (a key or a
# group); @plan: [port, key] per request. Returns the number admitted.
sub quota_burst {
    my (%o) = @_;
    my ($what, $account, $keys, $plan) = @o{qw(what account keys plan)};
    my $quota = $o{quota_n} * $Cost;
    my @rids = map { "$o{prefix}-$_" } 0 .. $#$plan;
    my @resp = burst(map { [$plan->[$_][0], request_text($plan->[$_][1], $rids[$_], $ChatBody)] } 0 .. $#$plan);
    my @ok = grep { $_->{status} == 200 } @resp;
    my @refused = grep { $_->{status} != 200 } @resp;
    my $admitted = @ok;
    note("$what: $admitted of " . scalar(@resp) . " admitted (quota: $o{quota_n} requests)");

    cmp_ok($admitted, '<=', $o{quota_n}, "$what: at most $o{quota_n} of " . scalar(@resp) . ' admitted')
        or diag(statuses(@resp));
    # And none of it is refused: a request that finds the rest of the quota held as other
    # workers' headroom waits for it (they give it back, and a starved worker its own) rather
    # than get a 402 with money left.
    is($admitted, $o{quota_n}, "$what: all of the quota is admitted, not less");
    my @bad = grep { $_->{status} != 402 || !error_shape_ok($_, 'insufficient_quota', 'insufficient_quota') } @refused;
    is(scalar @bad, 0, "$what: every other one is a 402 with OpenAI's insufficient_quota error")
        or diag(statuses(@resp) . "\n" . ($bad[0]{body} // ''));
    if ($o{group}) {
        my @g = grep { ($_->{json}{error}{message} // '') !~ /group/ } @refused;
        is(scalar @g, 0, "$what: ... whose message says it is the group's quota")
            or diag($g[0]{body});
    }
    ok(!grep({ ($_->{json}{usage}{total_tokens} // 0) != $Prompt + $Completion } @ok),
       "$what: the 200s are the mock's answer");

    my @ids = map { $_->{id} } @$keys;
    ok(settle([$account, @$keys], scalar @resp, \@ids), "$what: settled (leases given back, records in)");
    my $used = redis_q('HGET', $account->{hash}, 'used') // 0;
    cmp_ok($used, '<=', $quota, "$what: used ($used) <= quota ($quota)");
    is($used, $Cost * $admitted, "$what: used == $Cost x admitted");
    my @recs = key_records(@ids);
    my %mine = map { $_ => 1 } @rids;
    is(scalar(grep { $mine{ $_->{request_id} } } @recs), scalar @resp, "$what: one usage record per request");
    is(sum0(map { $_->{cost} } @recs), $used, "$what: the records' costs add up to used");
    is(scalar(grep { $_->{http_status} eq '200' } @recs), $admitted, "$what: records with http_status 200 == admitted");
    is(scalar(grep { $_->{http_status} eq '200' && $_->{cost} == $Cost && $_->{charged} eq '1' && $_->{status} eq 'ok' } @recs),
       $admitted, "$what: each admitted request's record: ok, charged, cost $Cost");
    my @rbad = grep { $_->{http_status} ne '200' && ($_->{http_status} ne '402' || $_->{cost} != 0 || $_->{charged} ne '0') } @recs;
    is(scalar @rbad, 0, "$what: each refused request's record: 402, cost 0, not charged")
        or diag($Json->encode($rbad[0]));
    if ($o{group}) {
        my $keys_used = sum0(map { redis_q('HGET', $_->{hash}, 'used') // 0 } @$keys);
        is($keys_used, $used, "$what: the keys' used add up to the group's");
    }

    # Once the leases are back, what is left of the quota is Redis's to give: one more request
    # fits if one did not before, and none does once used == quota.
    my $port = $plan->[0][0];
    my $r = one_request($port, $plan->[0][1], "$o{prefix}-after", $ChatBody);
    my $fits = $quota - $used >= $Cost;
    is($r->{status}, $fits ? 200 : 402,
       "$what: afterwards one more request " . ($fits ? 'fits in what is left' : 'is refused: nothing left'));
    if ($fits) {
        ok(settle([$account, @$keys], scalar(@resp) + 1, \@ids), "$what: settled again");
        is(redis_q('HGET', $account->{hash}, 'used'), $used + $Cost, "$what: ... and is charged");
    }
    return $admitted;
}

# 1. One node.
{
    my $k = new_key(quota => 100 * $Cost);
    quota_burst(what => 'one node', prefix => 't1', account => $k, keys => [$k], quota_n => 100,
                plan => [map { [$PortA, $k] } 1 .. 200]);
}

# 2. Two nodes, 100 requests each, at once.
{
    my $k = new_key(quota => 100 * $Cost);
    quota_burst(what => 'two nodes', prefix => 't2', account => $k, keys => [$k], quota_n => 100,
                plan => [map { [$Nodes[ $_ % 2 ], $k] } 1 .. 200]);
}

# 3. A group's quota, two unlimited keys, both nodes.
{
    my $g = 'fleet-g3';
    redis_q('HSET', "aigw:group:{$g}", quota => 50 * $Cost);
    my $group = { hash => "aigw:group:{$g}", lease => "aigw:lease:group:{$g}" };
    my @k = map { new_key(group => $g) } 1 .. 2;
    quota_burst(what => 'group', prefix => 't3', account => $group, keys => \@k, quota_n => 50, group => 1,
                plan => [map { [$Nodes[ $_ % 2 ], $k[ int($_ / 2) % 2 ]] } 0 .. 199]);
}

# ---- 4 and 5: one window of Redis time ----

for my $pid (@Drivers) {
    waitpid($pid, 0);
    is($? >> 8, 0, "window driver $pid finished");
}
@Drivers = ();

sub load_lines {
    my ($file) = @_;
    open my $fh, '<', $file or return ();
    return map { $Json->decode($_) } grep { /\S/ } <$fh>;
}

# Checks one window test; $c is 'requests' or 'tokens'.
sub window_test {
    my (%o) = @_;
    my ($what, $c, $limit) = @o{qw(what counter limit)};
    my @resp = load_lines($WinOut{ $o{name} });
    my $wstart = $Boundary;
    my $wend = $Boundary + $WindowMs;
    my $to_redis = sub { $_[0] * 1000 + $Offset };
    # The window a request counted in, from its send time and what the gateway said: a 200's
    # x-ratelimit-reset-* is the time left in the window its lease was for; a 429's Retry-After
    # the time to that window's end, rounded up to seconds.
    my (@ok, @limited, @other, @hdr_bad, @att_bad);
    for my $r (@resp) {
        my $sent = $to_redis->($r->{t});
        if ($r->{status} == 200) {
            my $rs = reset_ms($r->{"x-ratelimit-reset-$c"});
            my $rem = $r->{"x-ratelimit-remaining-$c"};
            push @hdr_bad, $r unless ($r->{"x-ratelimit-limit-$c"} // '') eq $limit && defined $rem
                && $rem =~ /^\d+$/ && $rem <= $limit && defined $rs && $rs > 0 && $rs <= $WindowMs;
            next unless defined $rs;
            my $end = $sent + $rs;
            my $b = floor($end / $WindowMs + 0.5) * $WindowMs;
            push @att_bad, $r if abs($end - $b) > 3000;
            $r->{window_end} = $b;
            push @ok, $r;
        } elsif ($r->{status} == 429) {
            my $ra = $r->{'retry-after'};
            push @hdr_bad, $r unless defined $ra && $ra =~ /^\d+$/ && $ra >= 1 && $ra <= 60
                && ($r->{error}{type} // '') eq $c && ($r->{error}{code} // '') eq 'rate_limit_exceeded'
                && length($r->{error}{message} // '') && ($r->{'content-type'} // '') =~ m{^application/json}
                && ($r->{"x-ratelimit-limit-$c"} // '') eq $limit
                && ($r->{"x-ratelimit-remaining-$c"} // '') =~ /^\d+$/;
            next unless defined $ra && $ra =~ /^\d+$/;
            # Rounded up to whole seconds: up to 1 s past the boundary.
            my $end = $sent + $ra * 1000;
            my $b = floor($end / $WindowMs + 0.5) * $WindowMs;
            push @att_bad, $r if $end - $b > 1500 || $b - $end > 3000;
            $r->{window_end} = $b;
            push @limited, $r;
        } else {
            push @other, $r;
        }
    }
    is(scalar @other, 0, "$what: every answer is a 200 or a 429") or diag(statuses(@other));
    is(scalar @hdr_bad, 0, "$what: x-ratelimit-*-$c on every answer (limit $limit, remaining 0..$limit,"
       . " reset a duration within the window); 429s with Retry-After >= 1 and OpenAI's error, type '$c'")
        or diag($Json->encode($hdr_bad[0]));
    is(scalar @att_bad, 0, "$what: reset and Retry-After point at a minute boundary of Redis time")
        or diag(join "\n", map { $Json->encode($_) } @att_bad[0 .. min(2, $#att_bad)]);

    # Sent inside the window, by send time alone.
    my @in_window = grep { my $s = $to_redis->($_->{t}); $s >= $wstart && $s < $wend } @resp;
    my @ok_in = grep { $_->{window_end} == $wend } @ok;
    my @lim_in = grep { $_->{window_end} == $wend } @limited;
    # For the report only: a request sent just before a boundary may be served just after it.
    note(sprintf("$what: %d admitted by the headers' window, %d of the 200s sent inside it",
                 scalar @ok_in, scalar(grep { $_->{status} == 200 } @in_window)));
    return (\@ok_in, \@lim_in, \@in_window, \@ok);
}

# Every answer's usage record is in once the window keys have settled.
my @WinAll = map { load_lines($WinOut{$_}) } qw(rpm tpm);
ok(settle([@WinKey{qw(rpm tpm)}], scalar @WinAll, [map { $_->{id} } @WinKey{qw(rpm tpm)}]),
   'window keys: settled (records in, used steady)');
my %WinRecords = map { $_->{request_id} => $_ } key_records(map { $_->{id} } @WinKey{qw(rpm tpm)});

# 4. rpm.
{
    my $what = 'rpm';
    my ($ok, $lim, $sent) = window_test(what => $what, name => 'rpm', counter => 'requests', limit => $Rpm);
    my $n = @$ok;
    my $ratio = $n / $Rpm;
    note(sprintf("$what: %d admitted in the window (limit %d, %+.2f%%), %d refused (429), %d sent in it",
                 $n, $Rpm, 100 * ($ratio - 1), scalar @$lim, scalar @$sent));
    cmp_ok(scalar @$sent, '>=', 1.8 * $Rpm, "$what: about twice the limit was sent in the window");
    cmp_ok($n, '<=', $Rpm, "$what: admitted in the window ($n) never above the limit ($Rpm)");
    cmp_ok($n, '>=', 0.98 * $Rpm, "$what: ... and within 2% of it");
    cmp_ok(scalar @$lim, '>', 0, "$what: the rest of the window is refused with 429s");
    my @rec = grep { defined } map { $WinRecords{ $_->{rid} } } @$ok;
    is(scalar @rec, $n, "$what: a usage record for each admitted request");
}

# 5. tpm. Each request reserves the gateway's prompt estimate plus max_tokens, which here is
# exactly what the mock reports (see $TpmBody), so the fleet can fill the window to the token;
# a request that used less or more than it reserved would be trued up at the next settlement.
{
    my $what = 'tpm';
    my ($ok, $lim, $sent) = window_test(what => $what, name => 'tpm', counter => 'tokens', limit => $Tpm);
    my @rec = grep { defined } map { $WinRecords{ $_->{rid} } } @$ok;
    is(scalar @rec, scalar @$ok, "$what: a usage record for each admitted request");
    my %per = map { $_->{total_tokens} => 1 } @rec;
    is_deeply([keys %per], [$Prompt + $Completion], "$what: each admitted request used the mock's "
              . ($Prompt + $Completion) . ' tokens');
    my $tokens = sum0(map { $_->{total_tokens} } @rec);
    my $ratio = $tokens / $Tpm;
    note(sprintf("$what: %d requests, %d tokens admitted in the window (limit %d, %+.2f%%), %d refused (429), %d sent in it",
                 scalar @$ok, $tokens, $Tpm, 100 * ($ratio - 1), scalar @$lim, scalar @$sent));
    cmp_ok(scalar @$sent, '>=', 1.8 * $Tpm / ($Prompt + $Completion), "$what: about twice the limit was sent in the window");
    cmp_ok($tokens, '<=', $Tpm, "$what: tokens admitted in the window ($tokens) never above the limit ($Tpm)");
    cmp_ok($tokens, '>=', 0.98 * $Tpm, "$what: ... and within 2% of it");
    cmp_ok(scalar @$lim, '>', 0, "$what: the rest of the window is refused with 429s");
}

# The window keys have no quota, but each request still costs: all of it is in `used`.
{
    my $what = 'window keys';
    my @keys = @WinKey{qw(rpm tpm)};
    my $admitted = grep { $_->{status} == 200 } @WinAll;
    my $used = sum0(map { redis_q('HGET', $_->{hash}, 'used') // 0 } @keys);
    is($used, $Cost * $admitted, "$what: used == $Cost x the $admitted admitted over the whole run");
    is(sum0(map { $_->{cost} } key_records(map { $_->{id} } @keys)), $used, "$what: the records' costs add up to used");
}

# ---- 6. a graceful stop (QUIT) settles what the workers spent since their last settlement ----
{
    my $what = 'graceful stop';
    my $k = new_key(quota => 100 * $Cost);
    my $n = 10;
    my @resp = map { one_request($Nodes[ $_ % 2 ], $k, "t6-$_", $ChatBody) } 1 .. $n;
    is(scalar(grep { $_->{status} == 200 } @resp), $n, "$what: $n requests admitted on both nodes");
    # Both masters get QUIT at once, right after the last answer: within a flush interval.
    kill 'QUIT', map { my $p = slurp("$Root{$_}/logs/nginx.pid"); $p =~ s/\s+//g; $p } qw(A B);
    my $log = '';
    $log .= aigw_nginx_stop(servroot => $Root{$_}) for qw(A B);
    is(redis_q('HGET', $k->{hash}, 'used') // 0, $n * $Cost, "$what: used == $Cost x $n once both have exited");
    is(sum0(map { $_->{cost} } key_records($k->{id})), $n * $Cost, "$what: the records (delivered before exit) say the same");
    my @lost = grep { /spend redis did not take/ } split /^/m, $log;
    is(scalar @lost, 0, "$what: no worker exits with spend Redis did not take") or diag(@lost);

    my @bad = grep { /\[(?:alert|crit|emerg)\]|exited on signal/ } split /^/m, $log;
    is(scalar @bad, 0, 'no [alert], [crit], [emerg] or crashed worker') or diag(@bad[0 .. min(9, $#bad)]);
    my @errors = grep { /\[error\]/ && !/spend redis did not take/ } split /^/m, $log;
    is(scalar @errors, 0, 'no other [error] in either gateway\'s error.log')
        or diag(@errors[0 .. min(9, $#errors)]);
    aigw_nginx_stop();
}
note(sprintf('took %.1fs', time - $t_start));

done_testing();
