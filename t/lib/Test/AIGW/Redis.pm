package Test::AIGW::Redis;

# A test's private redis-server and what the tests ask of it: started on a free loopback port
# ($ENV{TEST_NGINX_REDIS_PORT}), stopped and started again on that port, commands in RESP or
# through redis-cli, INFO fields, the clients NGINX connected, aigw's client-key hashes and
# its usage stream. Stopped when the test process ends.
#
#     use Test::AIGW::Redis qw(redis_start redis_q);
#     redis_start();                      # or redis_start(debug => 1): DEBUG enabled
#     redis_q('HSET', aigw_key_hash($raw), status => 'active');
#
# Test::AIGW starts it for `use Test::AIGW 'redis'` and exports these functions.

use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use Exporter 'import';
use File::Temp ();
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

use Test::AIGW::Host qw(free_port slurp which);

our @EXPORT_OK = qw(redis_start redis_port redis_password redis_query redis_q redis_cmd redis_server_down
                    redis_server_up redis_ping redis_stat redis_client_names redis_wait_clients
                    aigw_key_hash usage_wait_xlen usage_records usage_take);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

our $Port;          # the private Redis's port, once started
my $Password;       # once a test set requirepass
my $Owner = $$;     # forked children must not stop what this process started
my ($Pid, $Dir);
my @ExtraArgs;

my $DefaultRedisServer = '/usr/bin/redis-server';

sub redis_port { return $Port }

# The password redis_query and redis_cmd authenticate with from now on (undef: none), for a
# test that sets requirepass.
sub redis_password { $Password = shift; return }

# Whether the Redis on $port answers PING within $wait seconds (default 1).
sub redis_ping {
    my ($port, $wait) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port // $Port,
                                  Proto => 'tcp', Timeout => 0.5) or return 0;
    $s->autoflush(1);
    print {$s} "PING\r\n";
    my $sel = IO::Select->new($s);
    my $reply = '';
    if ($sel->can_read($wait // 1)) { sysread($s, $reply, 64) }
    close $s;
    return $reply =~ /^\+PONG/ ? 1 : 0;
}

sub _spawn {
    my ($bin, $port) = @_;
    my $pid = fork;
    die "Test::AIGW::Redis: fork failed: $!\n" unless defined $pid;
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$Dir/redis.log";
        open STDERR, '>&', \*STDOUT;
        { no warnings 'exec';
          exec $bin, '--port', $port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
                     '--dir', $Dir, '--daemonize', 'no', @ExtraArgs; }
        print STDERR "cannot run $bin: $!\n";
        POSIX::_exit(127);
    }
    my $deadline = time + 10;
    while (time < $deadline) {
        return $pid if redis_ping($port);
        last if waitpid($pid, WNOHANG) == $pid;
        sleep 0.05;
    }
    if (kill 0, $pid) { kill 'KILL', $pid; waitpid($pid, 0) }
    return;
}

sub _bin {
    my $bin = -x $DefaultRedisServer ? $DefaultRedisServer : which('redis-server');
    die "Test::AIGW::Redis: redis-server not found (install the redis-server package)\n" unless $bin;
    return $bin;
}

# Starts the private redis-server (`debug => 1`: with DEBUG enabled, for DEBUG SLEEP) and
# returns its port: `port => N` (a file that keeps to fixed ports), else a free one.
sub redis_start {
    my (%o) = @_;
    my $bin = _bin();
    @ExtraArgs = ('--enable-debug-command', 'local') if $o{debug};
    $Dir = File::Temp::tempdir('aigw-redis-XXXXXX', TMPDIR => 1, CLEANUP => 1);

    # The port is free when chosen but could be taken before redis binds it,
    # hence a few attempts.
    for my $attempt (1 .. 3) {
        my $port = $o{port} || free_port();
        my $pid = _spawn($bin, $port) or next;
        ($Pid, $Port) = ($pid, $port);
        $ENV{TEST_NGINX_REDIS_PORT} = $port;
        return $port;
    }
    die "Test::AIGW::Redis: redis-server did not answer PING\n" . slurp("$Dir/redis.log");
}

# One command to the Redis on 127.0.0.1:$port over a connection of its own, RESP both ways
# (exact bytes, no redis-cli parsing): a status or integer as a string, a bulk string, undef
# for nil, an array as an array ref. Dies on an error reply or when Redis does not answer.
sub redis_query {
    my ($port, @args) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp',
                                  Timeout => 3)
        or die "cannot connect to redis on port $port: $!\n";
    binmode $s;
    my $resp = sub { '*' . scalar(@_) . "\r\n" . join('', map { '$' . length($_) . "\r\n$_\r\n" } @_) };
    print {$s} $resp->('AUTH', $Password) if defined $Password;
    print {$s} $resp->(@args);
    _resp_read($s) if defined $Password;
    my $reply = _resp_read($s);
    close $s;
    return $reply;
}

sub _resp_read {
    my ($s) = @_;
    my $line = do { local $/ = "\r\n"; <$s> };
    die "redis: connection closed\n" unless defined $line;
    $line =~ s/\r\n\z//;
    my ($t, $v) = (substr($line, 0, 1), substr($line, 1));
    return $v if $t eq '+' || $t eq ':';
    die "redis error: $v\n" if $t eq '-';
    if ($t eq '$') {
        return undef if $v < 0;
        my $data = '';
        while (length $data < $v + 2) {
            my $n = read($s, $data, $v + 2 - length $data, length $data);
            die "redis: short read\n" unless $n;
        }
        return substr($data, 0, $v);
    }
    if ($t eq '*') {
        return undef if $v < 0;
        return [map { _resp_read($s) } 1 .. $v];
    }
    die "redis: unexpected reply '$line'\n";
}

# One command to the private Redis; see redis_query.
sub redis_q { return redis_query($Port, @_) }

# Runs `redis-cli -p PORT @args` against the private Redis; returns its output without the
# final newline (redis-cli prints raw replies when piped).
sub redis_cmd {
    my @args = @_;
    die "redis_cmd: no test Redis; use Test::AIGW 'redis'\n" unless $Port;
    my $pid = open(my $fh, '-|') // die "redis_cmd: fork failed: $!\n";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        my @auth = defined $Password ? ('--no-auth-warning', '-a', $Password) : ();
        { no warnings 'exec'; exec 'redis-cli', '-h', '127.0.0.1', '-p', $Port, @auth, @args; }
        print "cannot run redis-cli: $!\n";
        POSIX::_exit(127);
    }
    my $out = '';
    my $ok = eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 10;
        local $/;
        $out = <$fh>;
        alarm 0;
        1;
    };
    alarm 0;
    if (!$ok) { kill 'KILL', $pid; close $fh; die "redis_cmd: redis-cli @args timed out\n" }
    close $fh;
    $out = '' unless defined $out;
    chomp $out;
    return $out;
}

# Stops the private Redis (redis_server_down: it no longer answers on its port when this
# returns) and starts it again on the same port (redis_server_up; it loads what a SAVE left),
# for tests of what the gateway does while Redis is away.
sub redis_server_down {
    _stop();
    my $deadline = time + 5;
    sleep 0.02 while $Port && redis_ping($Port) && time < $deadline;
    return;
}

sub redis_server_up {
    die "redis_server_up: no test Redis; use Test::AIGW 'redis'\n" unless $Port;
    return if $Pid;
    for my $attempt (1 .. 50) {   # the port may linger a moment after a stop
        $Pid = _spawn(_bin(), $Port) and return;
        sleep 0.1;
    }
    die "Test::AIGW::Redis: redis-server did not come back on port $Port\n" . slurp("$Dir/redis.log");
}

sub _stop {
    return unless $Pid && $$ == $Owner;
    kill 'TERM', $Pid;
    for (1 .. 100) {
        if (waitpid($Pid, WNOHANG) == $Pid) { undef $Pid; return }
        sleep 0.05;
    }
    kill 'KILL', $Pid;
    waitpid($Pid, 0);
    undef $Pid;
    return;
}

# A field of INFO $section: the first capture of $re in it (undef when it does not match).
sub redis_stat {
    my ($section, $re) = @_;
    my $info = redis_q('INFO', $section);
    return $info =~ $re ? $1 : undef;
}

# The clients connected to the private Redis, counted by their CLIENT SETNAME name (aigw's
# workers name theirs `aigw` and `aigw-sub`).
sub redis_client_names {
    my %n;
    for my $line (split /\n/, redis_q('CLIENT', 'LIST')) {
        $n{$1}++ if $line =~ /(?:^|\s)name=(\S+)/;
    }
    return \%n;
}

# Waits (at most $bound seconds, default 5) until the named connections are there, exactly
# as many as given (e.g. aigw => 1, 'aigw-sub' => 0); returns whether they were.
sub redis_wait_clients {
    my (%want) = @_;
    my $deadline = time + (delete $want{bound} // 5);
    while (time < $deadline) {
        my $n = eval { redis_client_names() } || {};
        return 1 unless grep { ($n->{$_} // 0) != $want{$_} } keys %want;
        sleep 0.02;
    }
    return 0;
}

# The Redis key of a client key's record: aigw:key:{<sha256 hex of the raw key>}.
sub aigw_key_hash { return 'aigw:key:{' . sha256_hex($_[0]) . '}' }

# Waits up to $bound seconds until the usage stream holds at least $n entries; returns its
# length.
sub usage_wait_xlen {
    my ($n, $bound) = @_;
    my $deadline = time + $bound;
    my $len = 0;
    while (time < $deadline) {
        $len = eval { redis_q('XLEN', 'aigw:usage') } // 0;
        last if $len >= $n;
        sleep 0.05;
    }
    return $len;
}

# The usage records, as hashes (_id: the stream id, _order: the field names in order).
sub usage_records {
    my $entries = redis_q('XRANGE', 'aigw:usage', '-', '+') || [];
    my @out;
    for my $e (@$entries) {
        my @pairs = @{ $e->[1] };
        my %r = (_id => $e->[0], _order => []);
        while (my ($k, $v) = splice @pairs, 0, 2) { $r{$k} = $v; push @{ $r{_order} }, $k }
        push @out, \%r;
    }
    return @out;
}

# usage_records, and the stream deleted. `wait => n`: first wait (up to `bound` seconds)
# until there are n, then a little longer for strays.
sub usage_take {
    my (%o) = @_;
    if (defined $o{wait}) {
        my $deadline = time + ($o{bound} // 3);
        while (time < $deadline) {
            last if $o{wait} && redis_q('XLEN', 'aigw:usage') >= $o{wait};
            sleep 0.01;
        }
        sleep 0.05;
    }
    my @out = usage_records();
    redis_q('DEL', 'aigw:usage');
    return @out;
}

END {
    if ($$ == $Owner) {
        local $?;
        _stop();
    }
}

1;
