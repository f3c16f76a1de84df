# scripts/demo, as a new user meets it: started in a private folder on free ports, its banner's
# commands pasted as printed (from the repo root, in a shell without AIGW_* variables), the
# client key still working after a stop and a second start (Redis keeps its data in the demo
# folder), one error log for the gateway, and a stop that does not make the user wait.
#
#     prove -I t/lib t/007-demo.t
#
# Plain Test::More: scripts/demo runs NGINX itself. TEST_NGINX_AIGW_MODULE (default the build's
# module) and TEST_NGINX_BINARY (default /usr/sbin/nginx) pick what it runs. It never touches
# a demo the user runs: AIGW_DEMO_DIR and the AIGW_DEMO_*PORT variables point it elsewhere.
# AIGW_BUILD, if set, picks where scripts/aigw-keys builds the CLI (default build/).

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use File::Spec;
use File::Temp qw(tempdir);
use Test::More;

use lib 't/lib';
use Test::AIGW::Host qw(free_port slurp which run_program);

my $Root   = abs_path(File::Spec->catdir(dirname(abs_path(__FILE__)), '..'));
my $Demo   = "$Root/scripts/demo";
my $Module = $ENV{TEST_NGINX_AIGW_MODULE} || "$Root/build/nginx/objs/ngx_http_aigw_module.so";
my $Nginx  = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my $Echo   = '/usr/lib/nginx/modules/ngx_http_echo_module.so';

plan skip_all => "no module at $Module (make module)" unless -f $Module;
plan skip_all => "no nginx at $Nginx" unless -x $Nginx;
plan skip_all => "no echo module at $Echo (libnginx-mod-http-echo)" unless -f $Echo;
plan skip_all => 'redis-server and curl are needed' unless which('redis-server') && which('curl');

my $Tmp = tempdir('aigw-demo-t-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $Dir = "$Tmp/demo";

my %Ports;
$Ports{$_} = free_port() for qw(gateway upstream redis);
my @seen = sort values %Ports;
BAIL_OUT('free_port gave the same port twice') if grep { $seen[$_] == $seen[$_ - 1] } 1 .. $#seen;

# What the demo is run with; the banner's commands get none of it (a fresh shell).
my $Build = $ENV{AIGW_BUILD};
delete @ENV{grep { /^(AIGW_|OPENAI_)/ } keys %ENV};
my %DemoEnv = (
    AIGW_MODULE             => $Module,
    AIGW_NGINX              => $Nginx,
    AIGW_DEMO_DIR           => $Dir,
    AIGW_DEMO_PORT          => $Ports{gateway},
    AIGW_DEMO_UPSTREAM_PORT => $Ports{upstream},
    AIGW_DEMO_REDIS_PORT    => $Ports{redis},
);
$DemoEnv{AIGW_BUILD} = $Build if $Build;    # the banner then exports it for its commands

# The demo run from the repo root with its environment (killed after 60 s); returns (exit
# code, stdout, stderr, seconds taken).
sub demo { return run_program({ env => \%DemoEnv, timeout => 60, dir => $Root }, $Demo, @_) }

# A command as a user pastes it: bash, from the repo root, without the demo's environment.
sub pasted { return run_program({ timeout => 30, dir => $Root }, 'bash', '-c', $_[0]) }

my $Started = 0;
END {
    local $?;    # keep the test's own exit status
    if ($Started) {
        demo('stop');
        # Whatever the stop left (it failed?) goes now, so no process outlives the test.
        for my $f (glob "$Dir/*.pid") {
            my ($pid) = slurp($f) =~ /(\d+)/ or next;
            kill 'KILL', $pid if $pid && slurp("/proc/$pid/cmdline") =~ /\Q$Dir\E|redis-server/;
        }
    }
}

# The parts of a banner a test uses.
sub banner {
    my ($out) = @_;
    my %b = (text => $out);
    ($b{key}) = $out =~ /^\s*client key\s+(sk-aigw-\S+)/m;
    $b{exports} = [$out =~ /^\s+(export AIGW_\w+=\S+)\s*$/mg];
    $b{keys_cmds} = [$out =~ m{^\s+(scripts/aigw-keys\b.*?)\s*$}mg];
    ($b{curl}) = $out =~ m{^\$ (curl -i \S+/v1/chat/completions .*?\n(?:.*\\\n)*.*)$}m;
    ($b{node}) = $out =~ m{^(\s+\(cd t/sdk .*?\n\s*'\))\s*$}ms;
    return \%b;
}

sub chat_status {
    my ($key) = @_;
    my ($rc, $out) = run_program({ timeout => 20, dir => $Root },
        'curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}',
        "http://127.0.0.1:$Ports{gateway}/v1/chat/completions",
        '-H', "Authorization: Bearer $key", '-H', 'Content-Type: application/json',
        '-d', '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}');
    return $rc == 0 ? $out : "curl failed ($rc)";
}

# ---- first start ----

$Started = 1;
my ($rc, $out, $err) = demo();
is($rc, 0, 'demo starts') or diag("stdout:\n$out\nstderr:\n$err");
BAIL_OUT('the demo did not start') if $rc != 0;
my $b1 = banner($out);

like($b1->{key}, qr/^sk-aigw-\w+$/, 'banner: shows the client key');
is(slurp("$Dir/client-key") =~ s/\s+$//r, $b1->{key}, 'the key is in the demo folder');
is((stat "$Dir/client-key")[2] & 07777, 0600, 'the key file is readable by its owner only');
like($out, qr/client-key.*0600|0600.*client-key/, 'banner: says the key file is private (0600)');
unlike($out, qr/pip install/, 'banner: no pip install (refused on Debian 12, PEP 668)');
unlike($out, qr/aigw-keys \.\.\./, 'banner: no elided aigw-keys options');

# The key commands, pasted after the printed export line(s).
ok(scalar(grep { /^export AIGW_REDIS=127\.0\.0\.1:$Ports{redis}$/ } @{$b1->{exports}}),
   'banner: export AIGW_REDIS= for the demo Redis') or diag($out);
my $exports = join '', map { "$_\n" } @{$b1->{exports}};
my @cmds = @{$b1->{keys_cmds}};
ok(scalar(grep { /^scripts\/aigw-keys (show|usage) key_\w+$/ } @cmds), 'banner: show/usage with the id');
ok(scalar(grep { /^scripts\/aigw-keys trace [\w-]+$/ } @cmds),
   'banner: trace with the first request\'s id (pasted below: exit 0 means its record was found)');
my ($create) = grep { /^scripts\/aigw-keys create / } @cmds;
like($create // '', qr/--name \S+ --owner \S+ --group \S+/, 'banner: create with --name --owner --group');
for my $cmd (@cmds) {
    my ($crc, $cout, $cerr) = pasted("$exports$cmd");
    is($crc, 0, "pasted as printed: $cmd") or diag("stdout:\n$cout\nstderr:\n$cerr");
}

# The printed curl, pasted.
ok($b1->{curl}, 'banner: a curl example') or diag($out);
if ($b1->{curl}) {
    my ($crc, $cout, $cerr) = pasted($b1->{curl});
    like($cout, qr{^HTTP/1\.1 200}, 'pasted curl: 200') or diag("$b1->{curl}\n$cout\n$cerr");
}

# The printed SDK example, pasted (with the openai package scripts/install-deps puts in t/sdk).
ok($b1->{node}, 'banner: an openai SDK example (node, t/sdk)') or diag($out);
SKIP: {
    skip 'node or t/sdk/node_modules/openai missing (scripts/install-deps)', 1
        unless $b1->{node} && which('node') && -d "$Root/t/sdk/node_modules/openai";
    my ($nrc, $nout, $nerr) = pasted($b1->{node});
    ok($nrc == 0 && $nout =~ /came from the mock upstream/, 'pasted SDK example: answers')
        or diag("$b1->{node}\nrc $nrc\n$nout\n$nerr");
}

is(chat_status($b1->{key}), '200', 'a chat completion with the banner key: 200');

# ---- stop: quick, and nothing left running ----

my %pids = map { basename($_) => (slurp($_) =~ /(\d+)/)[0] } glob "$Dir/*.pid";
is(scalar(keys %pids), 3, 'three processes: gateway, mock, redis') or diag(explain(\%pids));
my ($src, $sout, $serr, $took) = demo('stop');
is($src, 0, 'demo stop') or diag("$sout\n$serr");
cmp_ok($took, '<', 3, 'demo stop returns in well under the old 6 s') or diag($sout . $serr);
for my $f (sort keys %pids) {
    my $state = (slurp("/proc/$pids{$f}/stat") =~ /^\d+ \(.*\) (\S)/)[0] // 'gone';
    ok($state eq 'gone' || $state eq 'Z', "after stop: $f ($pids{$f}) is not running ($state)");
}

# ---- second start: the same key ----

($rc, $out, $err) = demo();
is($rc, 0, 'demo starts again') or diag("stdout:\n$out\nstderr:\n$err");
my $b2 = banner($out);
is($b2->{key}, $b1->{key}, 'the second start shows the same key');
is(chat_status($b1->{key}), '200', 'the first key still answers 200 after a restart');

# The first run's usage records were kept too (the gateway flushed them before it stopped).
{
    my ($id) = join("\n", @cmds) =~ /\b(key_\w+)\b/;
    my ($urc, $uout, $uerr) = pasted("${exports}scripts/aigw-keys usage $id");
    my ($requests) = $uout =~ /^requests:?\s+(\d+)/m;
    cmp_ok($requests // 0, '>=', 4, 'the first run\'s usage records survived the restart')
        or diag("$uout\n$uerr");
}

# A running demo, started again: the same key.
($rc, $out, $err) = demo();
is($rc, 0, 'demo starts while running') or diag("stdout:\n$out\nstderr:\n$err");
is(banner($out)->{key}, $b1->{key}, 'a start while running shows the same key');

($src, $sout, $serr, $took) = demo('stop');
is($src, 0, 'demo stop again');
cmp_ok($took, '<', 3, 'demo stop again: quick');

# ---- logs ----

my @error_logs = sort map { basename($_) } glob "$Dir/*error*.log";
is_deeply(\@error_logs, ['error.log', 'mock-error.log'],
          'one error log for the gateway (and one for the mock)');
my $errors = join '', grep { /\[(error|alert|crit|emerg)\]/ } split /^/, slurp("$Dir/error.log");
is($errors, '', 'gateway error.log: no [error] or worse over starts and stops');

done_testing();
