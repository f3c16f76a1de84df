# scripts/aigw-keys, the admin CLI, against a private redis-server: what each command writes,
# that the raw key never reaches Redis, the invalidation messages, and the exit codes
# (0 done, 1 failed, 2 bad usage).
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
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);

my $Root = abs_path(File::Spec->catdir(dirname(abs_path(__FILE__)), '..'));
my $Cli  = "$Root/scripts/aigw-keys";

sub which {
    my ($name) = @_;
    for my $dir (split /:/, $ENV{PATH} // '') {
        my $p = "$dir/$name";
        return $p if -x $p;
    }
    return;
}

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

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1,
                                  ReuseAddr => 1) or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

# Runs a program with its stdout and stderr in files; returns (exit code, stdout, stderr).
sub run_program {
    my (@cmd) = @_;
    my ($out, $err) = ("$Tmp/run.out", "$Tmp/run.err");
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out or die;
        open STDERR, '>', $err or die;
        exec @cmd or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    my $rc = $? >> 8;
    return ($rc, slurp($out), slurp($err));
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

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return '';
    local $/;
    my $s = <$fh>;
    return $s // '';
}

my $Port = free_port();
spawn("$Tmp/redis.log", $RedisServer, '--port', $Port, '--bind', '127.0.0.1', '--save', '',
      '--appendonly', 'no', '--dir', $Tmp, '--daemonize', 'no');

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

{
    my $deadline = time + 10;
    until ((eval { rcli('PING') } // '') eq 'PONG') {
        BAIL_OUT("redis-server did not start: " . slurp("$Tmp/redis.log")) if time > $deadline;
        sleep 0.05;
    }
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
    like($out, qr/^ID\s+NAME\s+OWNER\s+GROUP\s+KEY\s+STATUS\s+EXPIRES$/m, 'list: header');
    my ($row) = grep { /^\Q$id\E / } split /\n/, $out;
    ok($row, 'list: row for the first key');
    $row //= '';
    like($row, qr/ci runner\s+ops\@example\.com\s+team-a\s+\Q$masked\E\s+active\s+\d{4}-\d\d-\d\d /,
         'list: fields and masked key');
    my ($row2) = grep { /^\Q$id2\E / } split /\n/, $out;
    like($row2 // '', qr/\s+active\s+never$/, 'list: never expires');
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
    ($rc, $out, $err) = cli(@Redis, 'show', $id2);
    like($out, qr/^ip_allow:\s+any$/m, 'show: empty ip_allow is any');
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
    my ($rc, $out, $err) = cli(@Redis, 'delete', $id);
    is($rc, 0, 'delete: exit 0') or diag($err);
    is(rcli('EXISTS', key_hash_name($sha3)), 0, 'delete: hash gone');
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
