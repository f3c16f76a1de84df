# Billing across idle gaps: a worker drops the in-memory entry of an account it has not used for
# two lease lifetimes and makes it again on the account's next request. Redis remembers, per
# holder and account, the last settlement number it applied (a retry must never charge twice),
# so the new entry's settlements must be numbered above every number its worker ever sent, or
# their spend is ignored and `used` stops growing while requests go on.
#
# Two NGINX gateways (two workers each) share one Redis; short flush and lease intervals make a
# worker evict an idle account within about a second. Checked after every step:
#     used == the sum of the usage records' costs (and == requests x the price)
#   1. five rounds on one key, each a burst on both nodes and then an idle gap long enough for
#      every worker to evict the account;
#   2. a key whose quota is 0: every worker only refuses it (402) and evicts the entry at once;
#      the quota is raised and the same workers then admit, charge and settle it;
#   3. 50 requests that all carry one X-Request-Id: 50 records, and `aigw-keys usage` counts 50.
#
#     prove -I t/lib t/084-billing-evict.t
#
# Plain Test::More, about 25 s. A redis-server of our own on a free loopback port; three NGINX,
# each in its own servroot under a temp dir. Fixed loopback ports:
#   23990  gateway A (master, 2 workers)
#   23991  gateway B (master, 2 workers)
#   23992  the mock upstream: one chat.completion whose usage is 11 prompt + 8 completion tokens

use strict;
use warnings;

use lib 't/lib';
use Test::AIGW qw(plain redis);
use Test::AIGW::Fleet;

use File::Temp qw(tempdir);
use List::Util qw(sum0);
use Test::More;
use Time::HiRes qw(sleep time);

my ($PortA, $PortB, $MockPort) = (23990, 23991, 23992);
my @Nodes = ($PortA, $PortB);
my $Tmp = tempdir('aigw-evict-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my %Root = (A => "$Tmp/a", B => "$Tmp/b", mock => "$Tmp/mock");

# aigw_price gpt-4o input=2.5 output=10 (USD per million tokens) with 11 + 8 tokens:
# 11 x 2.5 + 8 x 10 = 107.5, rounded up once to 108 micro-USD a request.
my $Cost = 108;
my $Body = '{"model":"gpt-4o","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}';
my $Lease = 0.4;   # seconds: an idle entry goes after two lease lifetimes

END {
    local $?;
    aigw_nginx_stop();
}

fleet_mock_start(root => $Root{mock}, port => $MockPort, json => fleet_chat_json(11, 8), log_level => 'notice');
for my $n (qw(A B)) {
    fleet_gateway_start(root => $Root{$n}, port => $n eq 'A' ? $PortA : $PortB, mock_port => $MockPort,
                        price => 'gpt-4o input=2.5 output=10', billing => 'on flush=100ms lease=400ms',
                        log_level => 'notice');
}

# Sends $per requests to each node at once; returns how many got each status.
sub round_trip {
    my ($key, $prefix, $per) = @_;
    my @plan = map { [$Nodes[ $_ % 2 ], request_text($key, "$prefix-$_", $Body)] } 0 .. 2 * $per - 1;
    my @resp = burst(@plan);
    my %n;
    $n{ $_->{status} }++ for @resp;
    return \%n;
}

# Waits until the key is settled and idle long enough for every worker to have evicted it,
# then checks the invariant. $admitted: requests admitted so far in all.
sub check_invariant {
    my ($what, $key, $records, $admitted) = @_;
    ok(settle([$key], $records, [$key->{id}], 20, 2 * $Lease + 0.5), "$what: settled");
    my $used = redis_q('HGET', $key->{hash}, 'used') // 0;
    my @recs = key_records($key->{id});
    is(scalar @recs, $records, "$what: one usage record per request");
    is(sum0(map { $_->{cost} } @recs), $used, "$what: used ($used) == the sum of the records' costs");
    is($used, $admitted * $Cost, "$what: used == $admitted admitted x $Cost");
    return $used;
}

# ---- 1. rounds of traffic with idle gaps ----
{
    my $k = new_key(quota => 10_000_000);
    my ($sent, $admitted) = (0, 0);
    for my $round (1 .. 5) {
        my $n = round_trip($k, "r$round", 10);
        is($n->{200} // 0, 20, "round $round: 20 requests on two nodes answered 200");
        ($sent, $admitted) = ($sent + 20, $admitted + ($n->{200} // 0));
        check_invariant("round $round", $k, $sent, $admitted);
        sleep 2 * $Lease + 0.5;   # idle: every worker evicts the account
    }
}

# ---- 2. workers that first only refused the key ----
{
    my $k = new_key(quota => 0);
    my $n = round_trip($k, 'refused', 5);
    is($n->{402} // 0, 10, 'quota 0: all 10 requests refused with 402');
    check_invariant('refusals', $k, 10, 0);
    sleep 2 * $Lease + 0.5;
    redis_q('HSET', $k->{hash}, quota => 10_000_000);
    for my $round (1 .. 2) {
        $n = round_trip($k, "topped-$round", 10);
        is($n->{200} // 0, 20, "after a top-up, round $round: 20 requests answered 200");
        check_invariant("after a top-up, round $round", $k, 10 + 20 * $round, 20 * $round);
        sleep 2 * $Lease + 0.5;
    }
}

# ---- 3. clients that send the same X-Request-Id with every request ----
# The stream is deduplicated on the record's own id (delivery is at least once), not on the
# client's request id, so `aigw-keys usage` counts every request.
{
    my $k = new_key(quota => 10_000_000);
    my @plan = map { [$Nodes[ $_ % 2 ], request_text($k, 'same-id-every-time', $Body)] } 1 .. 50;
    my @resp = burst(@plan);
    is(scalar(grep { $_->{status} == 200 } @resp), 50, 'one X-Request-Id for 50 requests: all answered 200');
    is(scalar(grep { ($_->{h}{'x-request-id'} // '') eq 'same-id-every-time' } @resp), 50,
       '... each answer carries the client\'s X-Request-Id');
    ok(settle([$k], 50, [$k->{id}], 20), 'one X-Request-Id: settled');
    my @recs = key_records($k->{id});
    is(scalar @recs, 50, 'one X-Request-Id: 50 records, each with its own record_id');
    is(scalar(grep { ($_->{request_id} // '') eq 'same-id-every-time' } @recs), 50,
       '... each keeping the client\'s request_id');
    my $used = redis_q('HGET', $k->{hash}, 'used');
    is($used, 50 * $Cost, 'one X-Request-Id: used == 50 x the price');
    open my $cli, '-|', 'scripts/aigw-keys', '--redis', "127.0.0.1:" . redis_port(),
        'usage', $k->{id} or die "aigw-keys: $!";
    my %u = map { /^(\w+):\s+(.*)$/ ? ($1, $2) : () } <$cli>;
    close $cli;
    is($u{requests}, 50, 'aigw-keys usage: 50 requests, not 1');
    is($u{cost}, sprintf('%.6f', 50 * $Cost / 1e6) + 0, 'aigw-keys usage: the cost is what used rose by');
    is($u{duplicates}, 0, 'aigw-keys usage: no duplicates');
}

my $log = join '', map { aigw_nginx_stop(servroot => $Root{$_}) // '' } qw(A B);
unlike($log, qr/\[(?:error|alert|crit|emerg)\]/, 'no error in the gateways\' error logs');

done_testing();
