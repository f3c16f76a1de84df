# scripts/aigw-keys, the admin CLI, against a private redis-server: what each command writes,
# that the raw key never reaches Redis, the invalidation messages, the billing commands
# (quotas, limits, groups, and usage summed from the stream), and the exit codes (0 done,
# 1 failed, 2 bad usage).
#
#     prove -I t/lib t/050-aigw-keys.t
#
# Plain Test::More (not the data format): nothing here runs NGINX. AIGW_BUILD picks where the
# wrapper builds the CLI (default build/).

use strict;
use warnings;

use Cwd qw(abs_path);
use Digest::SHA qw(sha256_hex);
use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempdir);
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

use lib 't/lib';
use Test::AIGW::Host qw(free_port slurp which run_program);
use Test::AIGW::Redis qw(redis_start);

my $Root = abs_path(File::Spec->catdir(dirname(abs_path(__FILE__)), '..'));
my $Cli  = "$Root/scripts/aigw-keys";

my $RedisServer = which('redis-server');
my $RedisCli    = which('redis-cli');
plan skip_all => 'redis-server and redis-cli are needed (apt-get install redis-server)'
    unless $RedisServer && $RedisCli;

# The CLI must see only what each test gives it.
delete @ENV{qw(AIGW_REDIS AIGW_REDIS_PASSWORD)};

my $Owner = $$;     # a forked child must not stop what this process started
my @Children;
my $Tmp = tempdir('aigw-keys-t-XXXXXX', TMPDIR => 1, CLEANUP => 1);

END {
    local $?;       # keep the test's own exit status
    if ($$ == $Owner) {
        kill 'TERM', @Children;
        waitpid($_, 0) for @Children;
    }
}

# Starts a program in the background with stdout and stderr in $file.
sub spawn {
    my ($file, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $file or die;
        open STDERR, '>&', \*STDOUT or die;
        exec @cmd or POSIX::_exit(127);
    }
    push @Children, $pid;
    return $pid;
}

my $Port = redis_start();    # a private redis-server, stopped when the test ends

# redis-cli against our server; a list of output lines (raw replies, one per line).
sub rcli {
    my (@args) = @_;
    my ($db, @rest) = ($args[0] =~ /^-n$/) ? ($args[1], @args[2 .. $#args]) : (0, @args);
    my ($rc, $out) = run_program($RedisCli, '-h', '127.0.0.1', '-p', $Port, '-n', $db, @rest);
    die "redis-cli @rest failed ($rc)" if $rc != 0;
    my @lines = split /\n/, $out, -1;    # keep empty values (ip_allow "")
    pop @lines if @lines && $lines[-1] eq '';
    return wantarray ? @lines : $lines[0];
}

my @Redis = ('--redis', "127.0.0.1:$Port");

sub cli { return run_program($Cli, @_) }

# Every key name and every value in a database, as one string.
sub dump_db {
    my ($db) = @_;
    my @out;
    for my $k (rcli('-n', $db, '--scan')) {
        push @out, "key $k";
        my $type = rcli('-n', $db, 'TYPE', $k);
        push @out, $type eq 'hash'   ? rcli('-n', $db, 'HGETALL', $k)
                 : $type eq 'string' ? rcli('-n', $db, 'GET', $k)
                 : $type eq 'set'    ? rcli('-n', $db, 'SMEMBERS', $k)
                 : "unexpected type $type";
    }
    return join "\n", @out;
}

sub hash_of {
    my ($key, $db) = @_;
    my @kv = rcli('-n', $db // 0, 'HGETALL', $key);
    return {@kv};
}

sub key_hash_name { "aigw:key:{$_[0]}" }

# A `redis-cli SUBSCRIBE` on the invalidation channel, ready before it returns.
my $SubFile = "$Tmp/subscribe.out";
sub start_subscriber {
    spawn($SubFile, $RedisCli, '-h', '127.0.0.1', '-p', $Port, 'SUBSCRIBE', 'aigw:keys:invalidate');
    my $deadline = time + 10;
    until ((rcli('PUBSUB', 'NUMSUB', 'aigw:keys:invalidate'))[1] // 0) {
        die "subscriber did not subscribe" if time > $deadline;
        sleep 0.05;
    }
}

# The payloads received so far, in order.
sub messages {
    my @l = split /\n/, slurp($SubFile);
    my @m;
    for my $i (0 .. $#l - 2) {
        push @m, $l[$i + 2] if $l[$i] eq 'message' && $l[$i + 1] eq 'aigw:keys:invalidate';
    }
    return @m;
}

sub wait_for_message {
    my ($payload, $count) = @_;
    my $deadline = time + 5;
    while (time < $deadline) {
        return 1 if (grep { $_ eq $payload } messages()) >= $count;
        sleep 0.05;
    }
    return 0;
}

# ---- help, and the first build ----

{
    my ($rc, $out, $err) = cli('--help');
    is($rc, 0, 'help: exit 0') or diag($err);
    like($out, qr/^usage: aigw-keys /, 'help: usage on stdout');
    like($out, qr/^\s+rotate ID/m, 'help: lists the commands');
    like($out, qr/^\s+set-quota ID USD\|unlimited$/m, 'help: lists the billing commands');
    like($out, qr/^\s+group set NAME /m, 'help: lists the group commands');
    like($out, qr/^\s+\[--models m1,m2,prefix\*\] \[--endpoints FAMILY,\.\.\.\]/m,
         'help: create takes --endpoints');
    like($out, qr/^\s+set-endpoints ID FAMILY,\.\.\.\|\*$/m, 'help: lists set-endpoints');
    like($out, qr/Endpoint families: chat, completions, embeddings,\s+models, messages, responses, gemini, images, videos;/,
         'help: names the endpoint families');
}

# ---- create ----

my $monitor_file = "$Tmp/monitor.out";
my $monitor = spawn($monitor_file, $RedisCli, '-h', '127.0.0.1', '-p', $Port, 'MONITOR');
sleep 0.3;

my $t0 = time;
my ($rc, $out, $err) = cli(@Redis, 'create', '--name', 'ci runner', '--owner', 'ops@example.com',
                           '--group', 'team-a', '--models', 'gpt-4o, gpt-4o-mini,claude-*',
                           '--expires', '30d', '--ip-allow', '10.1.2.3/8, 2001:db8::/32');
is($rc, 0, 'create: exit 0') or diag($err);
my ($id)  = $out =~ /^id:\s+(\S+)$/m;
my ($key) = $out =~ /^key:\s+(\S+)$/m;
like($id // '', qr/^key_[A-Za-z0-9]{16}$/, 'create: id shape');
like($key // '', qr/^sk-aigw-[A-Za-z0-9]{48}$/, 'create: key format (sk-aigw- + 48 base62)');
like($err, qr/shown this once/, 'create: warns the key is shown once');
$key //= 'missing';
$id  //= 'missing';
my $sha = sha256_hex($key);
my $random = substr($key, 8);

{
    my $h = hash_of(key_hash_name($sha));
    is_deeply([sort keys %$h],
              [sort qw(id name owner group status expires_at models ip_allow created_at last4)],
              'create: hash under sha256 of the printed key has every field, no others');
    is($h->{id}, $id, 'create: record id');
    is($h->{name}, 'ci runner', 'create: name');
    is($h->{owner}, 'ops@example.com', 'create: owner');
    is($h->{group}, 'team-a', 'create: group');
    is($h->{status}, 'active', 'create: status active');
    is($h->{models}, 'gpt-4o,gpt-4o-mini,claude-*', 'create: models, canonical');
    is($h->{ip_allow}, '10.0.0.0/8,2001:db8::/32', 'create: ip_allow, canonical');
    is($h->{last4}, substr($key, -4), 'create: last4');
    ok(abs($h->{created_at} - $t0) < 60, 'create: created_at is now');
    ok(abs($h->{expires_at} - ($h->{created_at} + 30 * 86400)) < 2, 'create: expires in 30 days');
    is(rcli('GET', "aigw:keyid:$id"), $sha, 'create: id index holds the sha256');
    is(rcli('SISMEMBER', 'aigw:keys', $id), 1, 'create: id in the key set');
}

my ($rc2, $out2, $err2) = cli(@Redis, 'create', '--name=plain', '--owner=o', '--group=g');
is($rc2, 0, 'create with defaults: exit 0') or diag($err2);
my ($id2)  = $out2 =~ /^id:\s+(\S+)$/m;
my ($key2) = $out2 =~ /^key:\s+(\S+)$/m;
$id2 //= 'missing';
$key2 //= 'missing';
{
    my $h = hash_of(key_hash_name(sha256_hex($key2)));
    is($h->{models}, '*', 'create defaults: any model');
    is($h->{expires_at}, '0', 'create defaults: never expires');
    is($h->{ip_allow}, '', 'create defaults: any address');
    isnt($id2, $id, 'create: ids differ');
    isnt($key2, $key, 'create: keys differ');
    ok(!exists $h->{endpoints}, 'create defaults: no endpoints field (every endpoint)');
}

# A key for chats and embeddings only.
my ($rc_e, $out_e, $err_e) = cli(@Redis, 'create', '--name', 'chatbot', '--owner', 'o', '--group', 'g',
                                 '--endpoints', ' chat, embeddings,');
is($rc_e, 0, 'create --endpoints: exit 0') or diag($err_e);
my ($id_e)  = $out_e =~ /^id:\s+(\S+)$/m;
my ($key_e) = $out_e =~ /^key:\s+(\S+)$/m;
$id_e //= 'missing';
my $sha_e = sha256_hex($key_e // 'missing');
is(hash_of(key_hash_name($sha_e))->{endpoints}, 'chat,embeddings', 'create --endpoints: canonical list');
for my $case (['imagez', "bad --endpoints: unknown endpoint family 'imagez' (known: chat, completions, embeddings, models, messages, responses, gemini, images, videos, or * for every endpoint)"],
              ['chat,Images', "bad --endpoints: unknown endpoint family 'Images'"],
              ['chat,*', 'bad --endpoints: * (every endpoint) cannot stand beside endpoint families'],
              [' , ', 'bad --endpoints: no endpoints (write * for every endpoint)'],
              ["chat\x01", "bad --endpoints: bad endpoint family 'chat?': control character"]) {
    my ($list, $why) = @$case;
    my $size = rcli('DBSIZE');
    my ($rc, $out, $err) = cli(@Redis, 'create', '--name', 'n', '--owner', 'o', '--group', 'g',
                               '--endpoints', $list);
    (my $shown = $list) =~ s/[^ -~]/?/g;
    is($rc, 2, "create --endpoints '$shown': exit 2");
    like($err, qr/^aigw-keys: \Q$why\E/, "create --endpoints '$shown': says why");
    is($out, '', "create --endpoints '$shown': no key printed");
    is(rcli('DBSIZE'), $size, "create --endpoints '$shown': nothing written");
}

{
    my $all = dump_db(0);
    my $monitored = slurp($monitor_file);
    like($monitored, qr/\Q$sha\E/, 'monitor saw the commands');
    for my $secret ($key, $random, substr($random, 0, 20), $key2, substr($key2, 8)) {
        unlike($all, qr/\Q$secret\E/, 'raw key nowhere in Redis keys or values');
        unlike($monitored, qr/\Q$secret\E/, 'raw key never sent to Redis');
    }
    kill 'TERM', $monitor;
}

# ---- list, show ----

my $masked = "sk-aigw-\xE2\x80\xA6" . substr($key, -4);
{
    my ($rc, $out, $err) = cli(@Redis, 'list');
    is($rc, 0, 'list: exit 0') or diag($err);
    like($out, qr/^ID\s+NAME\s+OWNER\s+GROUP\s+KEY\s+STATUS\s+EXPIRES\s+ENDPOINTS$/m, 'list: header');
    my ($row) = grep { /^\Q$id\E / } split /\n/, $out;
    ok($row, 'list: row for the first key');
    $row //= '';
    like($row, qr/ci runner\s+ops\@example\.com\s+team-a\s+\Q$masked\E\s+active\s+\d{4}-\d\d-\d\d /,
         'list: fields and masked key');
    my ($row2) = grep { /^\Q$id2\E / } split /\n/, $out;
    like($row2 // '', qr/\s+active\s+never\s+\*$/, 'list: never expires, every endpoint');
    my ($row_e) = grep { /^\Q$id_e\E / } split /\n/, $out;
    like($row_e // '', qr/\s+active\s+never\s+chat,embeddings$/, 'list: the endpoints of a key that names some');
    unlike($out, qr/\Q$random\E|\Q@{[substr($key, -5)]}\E|\Q@{[substr($key2, 8)]}\E/,
           'list: masked only');
}
{
    my ($rc, $out, $err) = cli(@Redis, 'show', $id);
    is($rc, 0, 'show: exit 0') or diag($err);
    like($out, qr/^id:\s+\Q$id\E$/m, 'show: id');
    like($out, qr/^key:\s+\Q$masked\E$/m, 'show: masked key');
    like($out, qr/^status:\s+active$/m, 'show: status');
    like($out, qr/^models:\s+gpt-4o,gpt-4o-mini,claude-\*$/m, 'show: models');
    like($out, qr/^ip_allow:\s+10\.0\.0\.0\/8,2001:db8::\/32$/m, 'show: ip_allow');
    unlike($out, qr/\Q@{[substr($key, -5)]}\E/, 'show: masked only');
    like($out, qr/^quota:\s+unlimited$/m, 'show: no quota is unlimited');
    like($out, qr/^used:\s+0$/m, 'show: nothing used');
    like($out, qr/^remaining:\s+unlimited$/m, 'show: remaining unlimited');
    like($out, qr/^rpm:\s+default$/m, 'show: rpm default');
    like($out, qr/^tpm:\s+default$/m, 'show: tpm default');
    like($out, qr/^budget_hourly:\s+none$/m, 'show: no hourly budget');
    ($rc, $out, $err) = cli(@Redis, 'show', $id2);
    like($out, qr/^ip_allow:\s+any$/m, 'show: empty ip_allow is any');
    like($out, qr/^endpoints:\s+\*$/m, 'show: no endpoints field is *');
    ($rc, $out, $err) = cli(@Redis, 'show', $id_e);
    is($rc, 0, 'show a key with endpoints: exit 0') or diag($err);
    like($out, qr/^models:\s+\*\nendpoints:\s+chat,embeddings\nip_allow:/m, 'show: endpoints after models');
    ($rc, $out, $err) = cli(@Redis, 'show', 'key_doesnotexist0000');
    is($rc, 1, 'show unknown id: exit 1');
    like($err, qr/no key with id key_doesnotexist0000/, 'show unknown id: says so');
}

# ---- disable, enable ----

start_subscriber();
{
    my ($rc, $out, $err) = cli(@Redis, 'disable', $id);
    is($rc, 0, 'disable: exit 0') or diag($err);
    like($out, qr/disabled \(invalidation sent to 1 subscriber\)/, 'disable: reports the publish');
    is(hash_of(key_hash_name($sha))->{status}, 'disabled', 'disable: status in Redis');
    ok(wait_for_message($sha, 1), 'disable: sha256 published on aigw:keys:invalidate')
        or diag(slurp($SubFile));
    ($rc, $out) = cli(@Redis, 'list');
    like($out, qr/^\Q$id\E .*\s+disabled\s+/m, 'list shows disabled');

    ($rc, $out, $err) = cli(@Redis, 'enable', $id);
    is($rc, 0, 'enable: exit 0') or diag($err);
    is(hash_of(key_hash_name($sha))->{status}, 'active', 'enable: status in Redis');
    ok(wait_for_message($sha, 2), 'enable: invalidation published too');

    ($rc, $out, $err) = cli(@Redis, 'disable', 'key_doesnotexist0000');
    is($rc, 1, 'disable unknown id: exit 1');
    like($err, qr/no key with id/, 'disable unknown id: says so');
}

# ---- set-endpoints ----

{
    my $hash_e = key_hash_name($sha_e);
    my ($rc, $out, $err) = cli(@Redis, 'set-endpoints', $id_e, 'images, videos');
    is($rc, 0, 'set-endpoints: exit 0') or diag($err);
    is($out, "$id_e endpoints: images,videos\n", 'set-endpoints: says the list');
    is(rcli('HGET', $hash_e, 'endpoints'), 'images,videos', 'set-endpoints: canonical list in Redis');
    ok(wait_for_message($sha_e, 1), 'set-endpoints: invalidation published') or diag(slurp($SubFile));
    ($rc, $out) = cli(@Redis, 'show', $id_e);
    like($out, qr/^endpoints:\s+images,videos$/m, 'set-endpoints: show prints the new list');

    for my $bad (['imagez', "bad endpoints: unknown endpoint family 'imagez'"],
                 ['', 'bad endpoints: no endpoints'],
                 ['videos,*', 'bad endpoints: * (every endpoint) cannot stand beside']) {
        ($rc, $out, $err) = cli(@Redis, 'set-endpoints', $id_e, $bad->[0]);
        is($rc, 2, "set-endpoints '$bad->[0]': exit 2");
        like($err, qr/^aigw-keys: \Q$bad->[1]\E.*\n\nusage: aigw-keys/s, "set-endpoints '$bad->[0]': says why, then usage");
        is(rcli('HGET', $hash_e, 'endpoints'), 'images,videos', "set-endpoints '$bad->[0]': list unchanged");
    }
    ($rc, $out, $err) = cli(@Redis, 'set-endpoints', 'key_doesnotexist0000', 'chat');
    is($rc, 1, 'set-endpoints unknown id: exit 1');
    like($err, qr/no key with id key_doesnotexist0000/, 'set-endpoints unknown id: says so');
    ($rc, $out, $err) = cli(@Redis, 'set-endpoints', $id_e);
    is($rc, 2, 'set-endpoints without a list: exit 2');
    like($err, qr/set-endpoints needs a key id and endpoint families \(or \*\)/, 'set-endpoints without a list: says so');

    ($rc, $out, $err) = cli(@Redis, 'set-endpoints', $id_e, '*');
    is($rc, 0, 'set-endpoints *: exit 0') or diag($err);
    is($out, "$id_e endpoints: *\n", 'set-endpoints *: says so');
    is(rcli('HEXISTS', $hash_e, 'endpoints'), 0, 'set-endpoints *: field removed, as a key made without one');
    ok(wait_for_message($sha_e, 2), 'set-endpoints *: invalidation published');
    is(hash_of($hash_e)->{status}, 'active', 'set-endpoints: the rest of the record untouched');
}

# ---- rotate ----

my ($key3, $sha3);
{
    my $before = hash_of(key_hash_name($sha));
    my ($rc, $out, $err) = cli(@Redis, 'rotate', $id);
    is($rc, 0, 'rotate: exit 0') or diag($err);
    my ($rid) = $out =~ /^id:\s+(\S+)$/m;
    ($key3) = $out =~ /^key:\s+(\S+)$/m;
    is($rid, $id, 'rotate: same id');
    like($key3 // '', qr/^sk-aigw-[A-Za-z0-9]{48}$/, 'rotate: new key format');
    $key3 //= 'missing';
    isnt($key3, $key, 'rotate: new secret');
    $sha3 = sha256_hex($key3);
    is(rcli('EXISTS', key_hash_name($sha)), 0, 'rotate: old hash gone');
    is(rcli('EXISTS', key_hash_name($sha3)), 1, 'rotate: new hash exists');
    my $after = hash_of(key_hash_name($sha3));
    is($after->{last4}, substr($key3, -4), 'rotate: new last4');
    delete $before->{last4};
    delete $after->{last4};
    is_deeply($after, $before, 'rotate: rest of the record unchanged');
    is(rcli('GET', "aigw:keyid:$id"), $sha3, 'rotate: id index follows');
    is(rcli('SISMEMBER', 'aigw:keys', $id), 1, 'rotate: still in the set');
    ok(wait_for_message($sha, 3), 'rotate: old sha256 published');
    unlike(dump_db(0), qr/\Q@{[substr($key3, 8)]}\E/, 'rotate: new raw key nowhere in Redis');
}

# ---- delete ----

{
    # As a gateway would hold a lease on the key's quota.
    rcli('HSET', "aigw:lease:{$sha3}", 'w1', '5000');
    my ($rc, $out, $err) = cli(@Redis, 'delete', $id);
    is($rc, 0, 'delete: exit 0') or diag($err);
    is(rcli('EXISTS', key_hash_name($sha3)), 0, 'delete: hash gone');
    is(rcli('EXISTS', "aigw:lease:{$sha3}"), 0, 'delete: lease hash gone');
    is(rcli('EXISTS', "aigw:keyid:$id"), 0, 'delete: id index gone');
    is(rcli('SISMEMBER', 'aigw:keys', $id), 0, 'delete: set member gone');
    ok(wait_for_message($sha3, 1), 'delete: sha256 published');
    ($rc, $out, $err) = cli(@Redis, 'show', $id);
    is($rc, 1, 'show after delete: exit 1');
    ($rc, $out, $err) = cli(@Redis, 'delete', $id);
    is($rc, 1, 'delete twice: exit 1');
    like($err, qr/no key with id/, 'delete twice: says so');
    is(rcli('EXISTS', key_hash_name(sha256_hex($key2))), 1, 'delete: the other key untouched');
}

# ---- billing: set-quota, top-up, set-limits (on the second key) ----

my $sha2  = sha256_hex($key2);
my $hash2 = key_hash_name($sha2);
{
    my ($rc, $out, $err) = cli(@Redis, 'set-quota', $id2, '10');
    is($rc, 0, 'set-quota: exit 0') or diag($err);
    is($out, "$id2 quota: 10 (used so far: 0)\n", 'set-quota: says the quota');
    is(rcli('HGET', $hash2, 'quota'), '10000000', 'set-quota: micro-USD in Redis');
    ok(wait_for_message($sha2, 1), 'set-quota: invalidation published');

    # A gateway settled some spend meanwhile: nothing below may overwrite it.
    rcli('HINCRBY', $hash2, 'used', 2500000);
    ($rc, $out, $err) = cli(@Redis, 'set-quota', $id2, '12.000001');
    is($rc, 0, 'set-quota with decimals: exit 0') or diag($err);
    is($out, "$id2 quota: 12.000001 (used so far: 2.5)\n", 'set-quota: shows what is used');
    is(rcli('HGET', $hash2, 'quota'), '12000001', 'set-quota: 6 decimals kept exactly');

    ($rc, $out, $err) = cli(@Redis, 'top-up', $id2, '0.5');
    is($rc, 0, 'top-up: exit 0') or diag($err);
    is($out, "$id2 quota: 12.500001 (raised by 0.5; used so far: 2.5)\n",
       'top-up: new quota in USD');
    is(rcli('HGET', $hash2, 'quota'), '12500001', 'top-up: raised in Redis');
    is(rcli('HGET', $hash2, 'used'), '2500000', 'top-up: used untouched');

    ($rc, $out, $err) = cli(@Redis, 'set-limits', $id2, '--rpm', '60', '--tpm=100000',
                            '--budget-hourly', '1.25');
    is($rc, 0, 'set-limits: exit 0') or diag($err);
    is($out, "$id2 limits: rpm=60 tpm=100000 budget_hourly=1.25\n", 'set-limits: says what it set');
    my $h = hash_of($hash2);
    is($h->{rpm}, '60', 'set-limits: rpm');
    is($h->{tpm}, '100000', 'set-limits: tpm');
    is($h->{budget_hourly}, '1250000', 'set-limits: budget_hourly in micro-USD');
    is($h->{used}, '2500000', 'set-limits: used untouched');
    is($h->{quota}, '12500001', 'set-limits: quota untouched');
    is($h->{status}, 'active', 'set-limits: record untouched');

    ($rc, $out, $err) = cli(@Redis, 'show', $id2);
    is($rc, 0, 'show with billing fields: exit 0') or diag($err);
    like($out, qr/^quota:\s+12\.500001$/m, 'show: quota in USD');
    like($out, qr/^used:\s+2\.5$/m, 'show: used in USD');
    like($out, qr/^remaining:\s+10\.000001$/m, 'show: remaining in USD');
    like($out, qr/^rpm:\s+60$/m, 'show: rpm');
    like($out, qr/^tpm:\s+100000$/m, 'show: tpm');
    like($out, qr/^budget_hourly:\s+1\.25$/m, 'show: budget_hourly in USD');
    like($out, qr/^status:\s+active$/m, 'show: the record still decodes');

    ($rc, $out, $err) = cli(@Redis, 'set-limits', $id2, '--rpm', 'default',
                            '--budget-hourly', 'none');
    is($rc, 0, 'set-limits back to defaults: exit 0') or diag($err);
    is($out, "$id2 limits: rpm=default budget_hourly=none\n", 'set-limits default: says so');
    $h = hash_of($hash2);
    ok(!exists $h->{rpm}, 'set-limits default: rpm removed');
    ok(!exists $h->{budget_hourly}, 'set-limits none: budget_hourly removed');
    is($h->{tpm}, '100000', 'set-limits: the flag not given is left alone');

    ($rc, $out, $err) = cli(@Redis, 'set-quota', $id2, 'unlimited');
    is($rc, 0, 'set-quota unlimited: exit 0') or diag($err);
    is($out, "$id2 quota: unlimited (used so far: 2.5)\n", 'set-quota unlimited: says so');
    is(rcli('HEXISTS', $hash2, 'quota'), 0, 'set-quota unlimited: quota removed');
    is(rcli('HGET', $hash2, 'used'), '2500000', 'set-quota unlimited: used kept');

    ($rc, $out, $err) = cli(@Redis, 'top-up', $id2, '5');
    is($rc, 1, 'top-up without a quota: exit 1');
    like($err, qr/has no quota \(it is unlimited\)/, 'top-up without a quota: says why');
    unlike($err, qr/usage:/, 'top-up without a quota: no usage text');
    is(rcli('HEXISTS', $hash2, 'quota'), 0, 'top-up without a quota: still unlimited');

    ($rc, $out, $err) = cli(@Redis, 'set-quota', $id2, '0');
    is($rc, 0, 'set-quota 0: exit 0 (spend nothing more)') or diag($err);
    is(rcli('HGET', $hash2, 'quota'), '0', 'set-quota 0: stored');
    ($rc, $out) = cli(@Redis, 'show', $id2);
    like($out, qr/^remaining:\s+0 \(over by 2\.5\)$/m, 'show: overspent quota');

    for my $cmd (['set-quota', 'key_doesnotexist0000', '5'],
                 ['top-up', 'key_doesnotexist0000', '5'],
                 ['set-limits', 'key_doesnotexist0000', '--rpm', '5'],
                 ['usage', 'key_doesnotexist0000']) {
        my $size = rcli('DBSIZE');
        ($rc, $out, $err) = cli(@Redis, @$cmd);
        is($rc, 1, "$cmd->[0] unknown id: exit 1");
        like($err, qr/no key with id key_doesnotexist0000/, "$cmd->[0] unknown id: says so");
        is(rcli('DBSIZE'), $size, "$cmd->[0] unknown id: nothing written");
    }
}

# Settlements (HINCRBY on used) run all through a series of billing commands: none is lost,
# and no command gives up because the hash keeps changing.
{
    rcli('HSET', $hash2, 'quota', '1000000', 'used', '0');
    my $n = 20000;
    my $pid = spawn("$Tmp/hincrby.out", $RedisCli, '-h', '127.0.0.1', '-p', $Port, '-r', $n,
                    'HINCRBY', $hash2, 'used', '1');
    my @rcs;
    for my $i (1 .. 4) {
        push @rcs, (cli(@Redis, 'top-up', $id2, '1'))[0];
        push @rcs, (cli(@Redis, 'set-limits', $id2, '--rpm', 10 + $i))[0];
    }
    push @rcs, (cli(@Redis, 'set-quota', $id2, '7'))[0];
    push @rcs, (cli(@Redis, 'top-up', $id2, '0.000001'))[0];
    waitpid($pid, 0);
    @Children = grep { $_ != $pid } @Children;
    is_deeply(\@rcs, [(0) x 10], 'commands during settlements: all exit 0');
    is(rcli('HGET', $hash2, 'used'), $n, 'commands during settlements: no settlement lost');
    is(rcli('HGET', $hash2, 'quota'), '7000001', 'commands during settlements: quota as set');
    is(rcli('HGET', $hash2, 'rpm'), '14', 'commands during settlements: rpm as set');
}

# ---- groups ----

{
    my $gh = 'aigw:group:{team-b}';
    my ($rc, $out, $err) = cli(@Redis, 'group', 'set', 'team-b', '--quota', '50', '--rpm', '10',
                               '--tpm', '2000', '--budget-hourly', '2.5');
    is($rc, 0, 'group set: exit 0') or diag($err);
    is($out, "group team-b: quota=50 rpm=10 tpm=2000 budget_hourly=2.5\n",
       'group set: says what it set');
    is_deeply(hash_of($gh),
              {quota => '50000000', rpm => '10', tpm => '2000', budget_hourly => '2500000'},
              'group set: the hash');
    is(rcli('SISMEMBER', 'aigw:groups', 'team-b'), 1, 'group set: in the group set');

    rcli('HINCRBY', $gh, 'used', 1000000);     # a settlement
    ($rc, $out, $err) = cli(@Redis, 'group', 'set', 'team-b', '--rpm', 'default', '--tpm', '3000');
    is($rc, 0, 'group set again: exit 0') or diag($err);
    is_deeply(hash_of($gh), {quota => '50000000', tpm => '3000', budget_hourly => '2500000',
                             used => '1000000'},
              'group set again: changes only the flags given, used kept');

    ($rc, $out, $err) = cli(@Redis, 'group', 'show', 'team-b');
    is($rc, 0, 'group show: exit 0') or diag($err);
    like($out, qr/^group:\s+team-b$/m, 'group show: name');
    like($out, qr/^quota:\s+50$/m, 'group show: quota');
    like($out, qr/^used:\s+1$/m, 'group show: used');
    like($out, qr/^remaining:\s+49$/m, 'group show: remaining');
    like($out, qr/^rpm:\s+default$/m, 'group show: rpm default');
    like($out, qr/^tpm:\s+3000$/m, 'group show: tpm');
    like($out, qr/^budget_hourly:\s+2\.5$/m, 'group show: budget_hourly');

    ($rc, $out, $err) = cli(@Redis, 'group', 'top-up', 'team-b', '0.25');
    is($rc, 0, 'group top-up: exit 0') or diag($err);
    is($out, "group team-b quota: 50.25 (raised by 0.25; used so far: 1)\n",
       'group top-up: new quota');
    is(rcli('HGET', $gh, 'quota'), '50250000', 'group top-up: in Redis');
    is(rcli('HGET', $gh, 'used'), '1000000', 'group top-up: used untouched');

    ($rc, $out, $err) = cli(@Redis, 'group', 'set', 'team-c', '--rpm', '5');
    is($rc, 0, 'group set, second group: exit 0') or diag($err);
    ($rc, $out, $err) = cli(@Redis, 'group', 'top-up', 'team-c', '1');
    is($rc, 1, 'group top-up without a quota: exit 1');
    like($err, qr/group team-c has no quota \(it is unlimited\)/,
         'group top-up without a quota: says why');
    is(rcli('HEXISTS', 'aigw:group:{team-c}', 'quota'), 0,
       'group top-up without a quota: none made');

    ($rc, $out, $err) = cli(@Redis, 'group', 'set', 'team-d', '--quota', 'unlimited');
    is($rc, 0, 'group set with nothing to store: exit 0') or diag($err);
    is(rcli('SISMEMBER', 'aigw:groups', 'team-d'), 1, 'group set: listed even without a hash');
    ($rc, $out, $err) = cli(@Redis, 'group', 'show', 'team-d');
    is($rc, 0, 'group show without a hash: exit 0') or diag($err);
    like($out, qr/^quota:\s+unlimited$/m, 'group show without a hash: unlimited');
    ($rc, $out, $err) = cli(@Redis, 'group', 'top-up', 'team-d', '1');
    is($rc, 1, 'group top-up, group without a hash: exit 1');
    like($err, qr/has no quota/, 'group top-up, group without a hash: no quota');

    ($rc, $out, $err) = cli(@Redis, 'group', 'list');
    is($rc, 0, 'group list: exit 0') or diag($err);
    my @lines = split /\n/, $out;
    like($lines[0] // '', qr/^NAME\s+QUOTA\s+USED\s+REMAINING\s+RPM\s+TPM\s+BUDGET_HOURLY$/,
         'group list: header');
    is(scalar(@lines), 4, 'group list: one line per group');
    like($lines[1] // '', qr/^team-b\s+50\.25\s+1\s+49\.25\s+default\s+3000\s+2\.5$/,
         'group list: team-b');
    like($lines[2] // '', qr/^team-c\s+unlimited\s+0\s+unlimited\s+5\s+default\s+none$/,
         'group list: team-c');
    like($lines[3] // '', qr/^team-d\s+unlimited/, 'group list: team-d');

    for my $cmd (['show', 'nope'], ['top-up', 'nope', '1'], ['delete', 'nope']) {
        my $size = rcli('DBSIZE');
        ($rc, $out, $err) = cli(@Redis, 'group', @$cmd);
        is($rc, 1, "group $cmd->[0] unknown group: exit 1");
        like($err, qr/no group nope/, "group $cmd->[0] unknown group: says so");
        is(rcli('DBSIZE'), $size, "group $cmd->[0] unknown group: nothing written");
    }

    rcli('HSET', 'aigw:lease:group:{team-b}', 'w1', '100');
    ($rc, $out, $err) = cli(@Redis, 'group', 'delete', 'team-b');
    is($rc, 0, 'group delete: exit 0') or diag($err);
    is($out, "group team-b deleted\n", 'group delete: says so');
    is(rcli('EXISTS', $gh), 0, 'group delete: hash gone');
    is(rcli('EXISTS', 'aigw:lease:group:{team-b}'), 0, 'group delete: lease hash gone');
    is(rcli('SISMEMBER', 'aigw:groups', 'team-b'), 0, 'group delete: out of the set');
    ($rc, $out, $err) = cli(@Redis, 'group', 'delete', 'team-b');
    is($rc, 1, 'group delete twice: exit 1');
    ($rc, $out, $err) = cli(@Redis, 'group', 'delete', 'team-d');
    is($rc, 0, 'group delete, group without a hash: exit 0') or diag($err);
    is(rcli('SISMEMBER', 'aigw:groups', 'team-d'), 0,
       'group delete, group without a hash: out of the set');
}

# ---- usage: sums from the stream ----

# Writes one usage record with an explicit stream id (its time, for --since): the id, then
# request_id, key_id, group, cost, charged, prompt, completion, total, cached and cache-write
# tokens. Without the last, the record has no cache_write_tokens, as records made before it.
sub usage_record {
    my ($stream_id, @v) = @_;
    my @names = qw(request_id key_id group cost charged prompt_tokens completion_tokens
                   total_tokens cached_tokens cache_write_tokens);
    my %r = (ts => int(time * 1000), owner => 'o', endpoint => '/v1/chat/completions',
             model => 'gpt-4o', status => 'ok');
    @r{@names[0 .. $#v]} = @v;
    rcli('XADD', 'aigw:usage', $stream_id, map { ($_, $r{$_}) } sort keys %r);
}

# What a usage command printed, as a hash.
sub usage_of {
    my (@args) = @_;
    my ($rc, $out, $err) = cli(@Redis, @args);
    is($rc, 0, "@args: exit 0") or diag($err);
    return {map { /^(\w+):\s+(.*)$/ ? ($1, $2) : () } split /\n/, $out};
}

# Pages: more records than one XRANGE page holds, requests repeated across page boundaries.
# (First: the stream takes ids in order only, and these are the oldest.)
{
    my ($rc, $out, $err) = cli(@Redis, 'create', '--name', 'pages', '--owner', 'o',
                               '--group', 'pg');
    is($rc, 0, 'create for the paging test: exit 0') or diag($err);
    my ($id4) = $out =~ /^id:\s+(\S+)$/m;
    $id4 //= 'missing';
    # 2500 records: request ids p0 .. p1999, then p0 .. p499 again; cost = the record's number.
    rcli('EVAL', q{
        for i = 0, 2499 do
            redis.call('XADD', KEYS[1], '1600000000000-' .. i, 'request_id', 'p' .. (i % 2000),
                       'key_id', ARGV[1], 'group', 'pg', 'cost', tostring(i), 'charged', '1',
                       'prompt_tokens', '1', 'completion_tokens', '2', 'total_tokens', '3',
                       'cached_tokens', '0')
        end
        return 1
    }, 1, 'aigw:usage', $id4);
    my $u = usage_of('usage', $id4);
    is_deeply([@$u{qw(requests charged prompt_tokens completion_tokens total_tokens cost
                      duplicates)}],
              [2000, 2000, 2000, 4000, 6000, '1.999', 500],
              'usage across pages: each record read once, each request counted once');
    $u = usage_of('group', 'usage', 'pg', '--since', '1600000000000-1000');
    # From record 1000: p1000 .. p1999, then p0 .. p499, whose first copies are before the start.
    is_deeply([@$u{qw(requests cost duplicates)}], [1500, '2.62425', 0],
              'group usage across pages from a stream id: each request in range once');
}

{
    my $t = 1700000000;    # the records' time, in seconds; stream ids are milliseconds
    my @records = (
        # stream id           request  key_id       group  cost     charged  tokens: p, c, t, cached, cache write
        ["${t}000-0",         'r-old', $id2,        'g',   1000000, 1,       100, 50,  150, 0,  10],
        [($t + 100).'000-0',  'r-1',   $id2,        'g',   2500,    1,       10,  20,  30,  5,  3],
        [($t + 100).'000-1',  'r-2',   'key_other', 'g',   999,     1,       1,   1,   2,   0,  1],
        [($t + 200).'000-0',  'r-1',   $id2,        'g',   2500,    1,       10,  20,  30,  5,  3],
        [($t + 300).'000-0',  'r-3',   $id2,        'g',   0,       0,       7,   0,   7,   0,  0],
        [($t + 400).'000-0',  'r-4',   $id2,        'g',   12345,   1,       100, 200, 300, 50, 20],
        [($t + 500).'000-0',  'r-5',   'key_other', 'h',   777,     1,       3,   0,   3,   0,  0],
    );    # r-1 twice: delivered twice, one request
    usage_record(@$_) for @records;

    my @all = qw(requests charged prompt_tokens completion_tokens total_tokens cached_tokens
                 cache_write_tokens cost duplicates);
    my $u = usage_of('usage', $id2);
    is_deeply([@$u{'id', 'since', @all}],
              [$id2, 'everything in the stream', 4, 3, 217, 270, 487, 55, 33, '1.014845', 1],
              'usage: sums of the key\'s records, the repeated request once');
    is($u->{quota}, '7.000001', 'usage: the key\'s quota');
    is($u->{used}, '0.02', 'usage: the key\'s used');

    $u = usage_of('usage', $id2, '--since', $t + 50);
    is_deeply([@$u{@all}], [3, 2, 117, 220, 337, 55, 23, '0.014845', 1],
              'usage --since unix seconds: older records left out');
    is($u->{since}, '2023-11-14 22:14:10 UTC', 'usage --since: the time');

    $u = usage_of('usage', $id2, '--since', ($t + 200) . '000-0');
    is_deeply([@$u{@all}], [3, 2, 117, 220, 337, 55, 23, '0.014845', 0],
              'usage --since stream id: from that record on, inclusive');
    is($u->{since}, 'stream id ' . ($t + 200) . '000-0', 'usage --since stream id: says so');

    $u = usage_of('usage', $id2, '--since', ($t + 200) . '000-1');
    is_deeply([@$u{@all}], [2, 1, 107, 200, 307, 50, 20, '0.012345', 0],
              'usage --since stream id: the id itself left out when past it');

    $u = usage_of('group', 'usage', 'g');
    is_deeply([@$u{'group', @all}], ['g', 5, 4, 218, 271, 489, 55, 34, '1.015844', 1],
              'group usage: every key of the group, the other group left out');
    is($u->{quota}, 'unlimited', 'group usage: a group without a hash is unlimited');
    $u = usage_of('group', 'usage', 'h', '--since', $t);
    is_deeply([@$u{qw(requests charged cost)}], [1, 1, '0.000777'], 'group usage: the other group');

    # Relative --since: records two hours and ten seconds ago, by this clock (Redis's too), made
    # before records had cache_write_tokens: they count as 0.
    my $now_ms = int(time * 1000);
    usage_record(($now_ms - 7200 * 1000) . '-0', 'r-2h',  $id2, 'g', 100, 1, 1, 0, 1, 0);
    usage_record(($now_ms - 10 * 1000) . '-0',   'r-10s', $id2, 'g', 20,  1, 2, 0, 2, 0);
    $u = usage_of('usage', $id2, '--since', '1h');
    is_deeply([@$u{@all}], [1, 1, 2, 0, 2, 0, 0, '0.00002', 0],
              'usage --since 1h: the last hour only');
    like($u->{since}, qr/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/, 'usage --since 1h: the time');
    $u = usage_of('usage', $id2, '--since', '3h');
    is($u->{requests}, 2, 'usage --since 3h: both');
    $u = usage_of('usage', $id2, '--since', '180m');
    is($u->{requests}, 2, 'usage --since 180m: both');
    $u = usage_of('usage', $id2, '--since', '9000s');
    is($u->{requests}, 2, 'usage --since 9000s: both');
    $u = usage_of('usage', $id2, '--since', '1d');
    is($u->{cost}, '0.00012', 'usage --since 1d: cost of both');

    # A record with a count that is not a number: counted, the count as 0, and said.
    usage_record(($now_ms - 5 * 1000) . '-0', 'r-bad', $id2, 'g', 'x', 0, -3, 0, 4, 0);
    my ($rc, $out, $err) = cli(@Redis, 'usage', $id2, '--since', '1h');
    is($rc, 0, 'usage with an unreadable record: exit 0') or diag($err);
    like($out, qr/^requests:\s+2$/m, 'usage with an unreadable record: counted');
    like($out, qr/^total_tokens:\s+6$/m, 'usage with an unreadable record: readable counts added');
    like($out, qr/^cost:\s+0\.00002$/m, 'usage with an unreadable record: its cost as 0');
    like($err, qr/1 record had a count or cost that is not a number/,
         'usage with an unreadable record: says so');
}

# Clients that send one X-Request-Id with many requests: each record has its own record_id,
# and that is what a repeat delivery is told by.
{
    my ($rc, $out, $err) = cli(@Redis, 'create', '--name', 'same-rid', '--owner', 'o',
                               '--group', 'rid');
    is($rc, 0, 'create for the record_id test: exit 0') or diag($err);
    my ($id5) = $out =~ /^id:\s+(\S+)$/m;
    $id5 //= 'missing';
    my $t = int(time * 1000);
    for my $i (0 .. 5) {
        # record ids rec-0 .. rec-4; rec-4 delivered twice
        my $rec = 'rec-' . ($i < 5 ? $i : 4);
        rcli('XADD', 'aigw:usage', '*', request_id => 'client-id', record_id => $rec,
             key_id => $id5, cost => 100, charged => 1, total_tokens => 3, ts => $t);
    }
    my $u = usage_of('usage', $id5);
    is_deeply([@$u{qw(requests cost duplicates)}], [5, '0.0005', 1],
              'usage: one client request id on five requests counts five; a repeated record_id once');
}

# Who counted the tokens: the upstream, the gateway's tokenizer, its estimate; a record made
# before counted_by tells by its estimated field. A repeated record counts once.
{
    my ($rc, $out, $err) = cli(@Redis, 'create', '--name', 'counted', '--owner', 'o',
                               '--group', 'cnt');
    is($rc, 0, 'create for the counted_by test: exit 0') or diag($err);
    my ($id6) = $out =~ /^id:\s+(\S+)$/m;
    $id6 //= 'missing';
    my @records = (['c-1', counted_by => 'upstream', estimated => 0],
                   ['c-2', counted_by => 'tokenizer', estimated => 1],
                   ['c-3', counted_by => 'tokenizer', estimated => 1],
                   ['c-3', counted_by => 'tokenizer', estimated => 1],
                   ['c-4', counted_by => 'estimate', estimated => 1],
                   ['c-5', estimated => 1],
                   ['c-6', estimated => 0]);
    for my $r (@records) {
        my ($rec, %f) = @$r;
        rcli('XADD', 'aigw:usage', '*', record_id => $rec, key_id => $id6, cost => 1, charged => 1,
             total_tokens => 3, %f);
    }
    my $u = usage_of('usage', $id6);
    is_deeply([@$u{qw(requests duplicates counted_by)}], [6, 1, 'upstream 2, tokenizer 2, estimate 2'],
              'usage: counted_by, each request once; older records by their estimated field');
}

# ---- bad arguments: exit 2 with usage, and nothing written ----

{
    my $size = rcli('DBSIZE');
    my @bad = (
        [[], 'no command'],
        [['frobnicate'], 'unknown command'],
        [['create', '--owner', 'o', '--group', 'g'], '--name is required'],
        [['create', '--name', 'n', '--group', 'g'], '--owner is required'],
        [['create', '--name', 'n', '--owner', 'o'], '--group is required'],
        [['create', '--name', 'n', '--owner', 'o', '--group', 'g', '--expires', '30x'], 'bad --expires'],
        [['create', '--name', 'n', '--owner', 'o', '--group', 'g', '--expires', '30'], 'bad --expires'],
        [['create', '--name', 'n', '--owner', 'o', '--group', 'g', '--expires', '-5d'], 'bad --expires'],
        [['create', '--name', 'n', '--owner', 'o', '--group', 'g', '--expires', 'd'], 'bad --expires'],
        [['create', '--name', 'n', '--owner', 'o', '--group', 'g', '--expires', '99999999d'], 'bad --expires'],
        [['create', '--name', 'n', '--owner', 'o', '--group', 'g', '--ip-allow', '10.0.0.0/33'], 'bad --ip-allow'],
        [['create', '--name', 'n', '--owner', 'o', '--group', 'g', '--ip-allow', '10.0.0.0/8,nope'], 'bad --ip-allow'],
        [['create', '--name', 'n', '--owner', 'o', '--group', 'g', '--models', 'gpt-*-mini'], 'bad --models'],
        [['create', '--name', 'n', '--owner', 'o', '--group', 'g', '--models', ','], 'bad --models'],
        [['create', '--name', 'n', '--owner', 'o', '--group', 'bad group'], 'bad --group'],
        [['create', '--name', "a\nb", '--owner', 'o', '--group', 'g'], 'control character'],
        [['create', '--name', 'n', '--name', 'm', '--owner', 'o', '--group', 'g'], 'given twice'],
        [['create', '--name'], 'needs a value'],
        [['create', '--bogus', 'x'], 'unknown option --bogus'],
        [['list', '--name', 'x'], 'does not apply to list'],
        [['list', 'extra'], 'unexpected argument'],
        [['show'], 'needs a key id'],
        [['show', 'a', 'b'], 'unexpected argument'],
        [['disable'], 'needs a key id'],
        [['rotate', '../etc'], 'bad key id'],
        [['delete', 'key x'], 'bad key id'],
        [['--db', 'abc', 'list'], 'bad --db'],
        [['--db', '-1', 'list'], 'bad --db'],
        [['set-quota'], 'set-quota needs a key id and an amount'],
        [['set-quota', $id2], 'set-quota needs a key id and an amount'],
        [['set-quota', $id2, '1.2345678'], "bad quota '1.2345678'"],
        [['set-quota', $id2, '-1'], "bad quota '-1'"],
        [['set-quota', $id2, '+1'], "bad quota '+1'"],
        [['set-quota', $id2, '1e3'], "bad quota '1e3'"],
        [['set-quota', $id2, '1.2.3'], "bad quota '1.2.3'"],
        [['set-quota', $id2, ''], "bad quota ''"],
        [['set-quota', $id2, '2000000000000'], "bad quota '2000000000000'"],
        [['set-quota', $id2, '5', 'extra'], 'unexpected argument'],
        [['set-quota', 'key x', '5'], 'bad key id'],
        [['top-up', $id2], 'top-up needs a key id and an amount'],
        [['top-up', $id2, '0'], "bad amount '0'"],
        [['top-up', $id2, '-5'], "bad amount '-5'"],
        [['top-up', $id2, '1.2345678'], "bad amount '1.2345678'"],
        [['top-up', $id2, 'unlimited'], "bad amount 'unlimited'"],
        [['set-limits', $id2], 'needs at least one of --rpm'],
        [['set-limits'], 'set-limits needs a key id'],
        [['set-limits', $id2, '--rpm', '0'], "bad --rpm '0'"],
        [['set-limits', $id2, '--rpm', '-3'], "bad --rpm '-3'"],
        [['set-limits', $id2, '--rpm', '99999999999999'], "bad --rpm '99999999999999'"],
        [['set-limits', $id2, '--tpm', '1.5'], "bad --tpm '1.5'"],
        [['set-limits', $id2, '--tpm', 'none'], "bad --tpm 'none'"],
        [['set-limits', $id2, '--budget-hourly', '0'], 'use none for no budget'],
        [['set-limits', $id2, '--budget-hourly', '1.2345678'], "bad --budget-hourly '1.2345678'"],
        [['set-limits', $id2, '--budget-hourly', '-1'], "bad --budget-hourly '-1'"],
        [['set-limits', $id2, '--quota', '5'], '--quota does not apply to set-limits'],
        [['set-limits', $id2, '--rpm'], '--rpm needs a value'],
        [['usage'], 'usage needs a key id'],
        [['usage', $id2, '--since', 'yesterday'], "bad --since 'yesterday'"],
        [['usage', $id2, '--since', '-5'], "bad --since '-5'"],
        [['usage', $id2, '--since', '12-ab'], "bad --since '12-ab'"],
        [['usage', $id2, '--since', '0d'], "bad --since '0d'"],
        [['usage', $id2, '--rpm', '5'], '--rpm does not apply to usage'],
        [['group'], 'group needs a subcommand'],
        [['group', 'frob'], "unknown group subcommand 'frob'"],
        [['group', 'set'], 'group set needs a group name'],
        [['group', 'set', 'x'], 'group set needs at least one of --quota'],
        [['group', 'set', 'bad name', '--quota', '1'], "bad group name 'bad name'"],
        [['group', 'set', '{x}', '--quota', '1'], "bad group name '{x}'"],
        [['group', 'set', 'x', '--quota', '-1'], "bad --quota '-1'"],
        [['group', 'set', 'x', '--quota', '1.2345678'], "bad --quota '1.2345678'"],
        [['group', 'set', 'x', '--rpm', '0'], "bad --rpm '0'"],
        [['group', 'set', 'x', '--since', '1h'], '--since does not apply to group set'],
        [['group', 'show'], 'group show needs a group name'],
        [['group', 'show', 'a', 'b'], 'unexpected argument'],
        [['group', 'list', 'extra'], 'unexpected argument'],
        [['group', 'top-up', 'x'], 'group top-up needs a group name and an amount'],
        [['group', 'top-up', 'x', '-1'], "bad amount '-1'"],
        [['group', 'top-up', 'x', '1.2345678'], "bad amount '1.2345678'"],
        [['group', 'usage', 'x', '--since', '5x'], "bad --since '5x'"],
        [['group', 'delete', '../x'], "bad group name '../x'"],
    );
    for my $case (@bad) {
        my ($args, $why) = @$case;
        my ($rc, $out, $err) = cli(@Redis, @$args);
        is($rc, 2, "usage error (@$args): exit 2");
        like($err, qr/\Q$why\E.*\n\nusage: aigw-keys/s, "usage error (@$args): says '$why', then usage");
    }
    for my $addr ('127.0.0.1:notaport', '127.0.0.1:0', '127.0.0.1:70000', 'a:b:c', '[::1', ':6379') {
        my ($rc, $out, $err) = cli('--redis', $addr, 'list');
        is($rc, 2, "bad --redis $addr: exit 2");
        like($err, qr/bad --redis/, "bad --redis $addr: says so");
    }
    is(rcli('DBSIZE'), $size, 'usage errors wrote nothing');
}

# ---- unreachable Redis: exit 1, a clear message ----

{
    my $dead = free_port();
    my $t = time;
    my ($rc, $out, $err) = cli('--redis', "127.0.0.1:$dead", 'list');
    is($rc, 1, 'unreachable Redis: exit 1');
    like($err, qr/^aigw-keys: cannot connect to Redis at 127\.0\.0\.1:$dead: /,
         'unreachable Redis: clear message');
    unlike($err, qr/usage:/, 'unreachable Redis: no usage text');
    is($out, '', 'unreachable Redis: nothing on stdout');
    ($rc, $out, $err) = cli('--redis', "127.0.0.1:$dead", 'create', '--name', 'n',
                            '--owner', 'o', '--group', 'g');
    is($rc, 1, 'unreachable Redis on create: exit 1');
    unlike($out, qr/sk-aigw-/, 'unreachable Redis on create: no key printed');
    ok(time - $t < 10, 'unreachable Redis: fails fast');
}

# ---- where Redis is: AIGW_REDIS, --db, --password ----

{
    local $ENV{AIGW_REDIS} = "127.0.0.1:$Port";
    my ($rc, $out, $err) = cli('list');
    is($rc, 0, 'AIGW_REDIS sets the default address') or diag($err);
    like($out, qr/^\Q$id2\E /m, 'AIGW_REDIS: same data');
}
{
    my ($rc, $out, $err) = cli(@Redis, '--db', '3', 'create', '--name', 'db3', '--owner', 'o',
                               '--group', 'g');
    is($rc, 0, '--db: create in db 3') or diag($err);
    my ($k) = $out =~ /^key:\s+(\S+)$/m;
    my $name = key_hash_name(sha256_hex($k // ''));
    is(rcli('-n', 3, 'EXISTS', $name), 1, '--db: record in db 3');
    is(rcli('EXISTS', $name), 0, '--db: not in db 0');
    ($rc, $out) = cli(@Redis, 'list', '--db=3');
    like($out, qr/\sdb3\s/, '--db after the command works too');
    unlike($out, qr/\Q$id2\E/, '--db: list sees db 3 only');
}
{
    # This server has no password: AUTH fails, and the message does not echo the password.
    my ($rc, $out, $err) = cli(@Redis, '--password', 's3cret-pw', 'list');
    is($rc, 1, '--password refused: exit 1');
    like($err, qr/Redis refused AUTH/, '--password refused: says so');
    unlike($err, qr/s3cret-pw/, '--password refused: password not echoed');
}

done_testing();
