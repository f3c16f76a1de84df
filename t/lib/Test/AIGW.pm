package Test::AIGW;

# What every aigw integration test uses:
#
#     use lib 't/lib';
#     use Test::AIGW;              # or: use Test::AIGW 'redis';
#     repeat_each(2);
#     run_tests();
#     __DATA__
#     === TEST 1: ...
#
# It runs the blocks with the real Test::Nginx::Socket when that is installed
# (unless AIGW_OWN_RUNNER is set), else with our Test::AIGW::Socket, and
# exports the same functions either way. A block preprocessor loads the aigw
# and echo modules into every block and makes every block assert a clean
# error.log unless it says otherwise.
#
#     use Test::AIGW 'redis';      # a private redis-server for this file
#                                  # ('redis-debug': with DEBUG enabled);
#                                  # $TEST_NGINX_REDIS_PORT and redis_cmd();
#                                  # redis_server_down()/redis_server_up() stop
#                                  # it and start it again on the same port
#     use Test::AIGW 'plain';      # no data-format runner: plain Test::More,
#                                  # with aigw_nginx_start()/aigw_nginx_stop()
#                                  # (several NGINX at once, one per servroot)
#
# Environment: TEST_NGINX_AIGW_MODULE (required, the built module),
# TEST_NGINX_ECHO_MODULE (default: Debian's echo module; empty: not loaded),
# TEST_NGINX_BINARY (default /usr/sbin/nginx), and Test::Nginx's TEST_NGINX_*.

use strict;
use warnings;

use File::Spec;
use File::Temp ();
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

our $VERSION = '0.01';
our $Runner;        # the data-format runner in use, once chosen
our $RedisPort;

my $Owner = $$;     # forked children must not stop what this process started
my ($RedisPid, $RedisDir);
my @RedisExtraArgs;
# The NGINX instances aigw_nginx_start started and that still run: servroot => pid, and the
# servroots in the order they started.
my (%Standalone, @StandaloneOrder);

my $DefaultEchoModule = '/usr/lib/nginx/modules/ngx_http_echo_module.so';
my $DefaultRedisServer = '/usr/bin/redis-server';

our @EXPORT_HELPERS = qw(redis_cmd redis_query redis_server_down redis_server_up
                         aigw_nginx_start aigw_nginx_stop aigw_nginx_stop_clean
                         aigw_load_modules http_dechunk aigw_worker_pids usage_wait_xlen
                         tcp_server_fork redis_q slurp);

sub import {
    my ($class, @opts) = @_;
    my $caller = caller;
    my %opt;
    for my $o (@opts) {
        die "Test::AIGW: unknown option '$o' (known: redis, redis-debug, plain)\n"
            unless $o =~ /^(?:redis|redis-debug|plain)$/;
        $opt{$o} = 1;
    }

    # Test::Nginx reads these when it loads, so they are settled first.
    $ENV{TEST_NGINX_BINARY} ||= '/usr/sbin/nginx';
    $ENV{TEST_NGINX_SERVER_PORT} ||= $ENV{TEST_NGINX_PORT} || 1984;
    my $root = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
    $ENV{TEST_NGINX_SERVER_ROOT} = $root;
    $ENV{TEST_NGINX_HTML_DIR} = "$root/html" unless defined $ENV{TEST_NGINX_HTML_DIR};

    aigw_load_modules();    # a missing module fails the file now, clearly
    # redis-debug: the same, with DEBUG enabled (DEBUG SLEEP stalls it for timeout tests).
    @RedisExtraArgs = ('--enable-debug-command', 'local') if $opt{'redis-debug'};
    start_redis() if $opt{redis} || $opt{'redis-debug'};

    if ($opt{plain}) {
        _eval_in($caller, 'use Test::More;');
    } else {
        $Runner = choose_runner();
        # `no_plan`: test counts differ between the two runners.
        _eval_in($caller, "use $Runner 'no_plan';");
        $Runner->can('add_block_preprocessor')->(\&preprocess_block);
    }

    no strict 'refs';
    *{"${caller}::$_"} = \&{"Test::AIGW::$_"} for @EXPORT_HELPERS;
    return;
}

sub _eval_in {
    my ($package, $code) = @_;
    ## no critic (ProhibitStringyEval)
    eval "package $package; $code 1" or die $@;
    return;
}

sub choose_runner {
    if (!$ENV{AIGW_OWN_RUNNER} && eval { require Test::Nginx::Socket; 1 }) {
        return 'Test::Nginx::Socket';
    }
    require Test::AIGW::Socket;
    return 'Test::AIGW::Socket';
}

# The load_module lines every configuration starts with.
sub aigw_load_modules {
    my $aigw = $ENV{TEST_NGINX_AIGW_MODULE};
    if (!defined $aigw || !length $aigw) {
        die "Test::AIGW: TEST_NGINX_AIGW_MODULE is not set; point it at the built"
          . " ngx_http_aigw_module.so (`make integration` does this)\n";
    }
    # nginx resolves relative paths against its prefix, the server root.
    $aigw = File::Spec->rel2abs($aigw);
    die "Test::AIGW: TEST_NGINX_AIGW_MODULE=$aigw does not exist (build it with `make module`)\n"
        unless -f $aigw;
    my $lines = "load_module $aigw;\n";

    my $echo = exists $ENV{TEST_NGINX_ECHO_MODULE} ? $ENV{TEST_NGINX_ECHO_MODULE} : $DefaultEchoModule;
    if (defined $echo && length $echo) {
        $echo = File::Spec->rel2abs($echo);
        die "Test::AIGW: the echo module $echo does not exist (install libnginx-mod-http-echo,"
          . " or set TEST_NGINX_ECHO_MODULE)\n" unless -f $echo;
        $lines .= "load_module $echo;\n";
    }
    return $lines;
}

# Reads a section in a way both runners' block objects answer: Test::Base
# has no accessor for a section no block of the file uses.
sub _section {
    my ($block, $name) = @_;
    my $v = eval { scalar $block->$name };
    return $v;
}

sub preprocess_block {
    my ($block) = @_;
    my $main = _section($block, 'main_config');
    $block->set_value(main_config => aigw_load_modules() . (defined $main ? $main : ''));

    return if defined _section($block, 'no_error_log');
    my @deny = defined _section($block, 'error_log') ? ('[alert]', '[emerg]')
                                                     : ('[error]', '[alert]', '[emerg]');
    # A block that expects nginx to refuse its config expects an [emerg].
    @deny = grep { $_ ne '[emerg]' } @deny if defined _section($block, 'must_die');
    $block->set_value(no_error_log => join('', map { "$_\n" } @deny));
    return;
}

# ---------------------------------------------------------------------------
# Redis.

sub _free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
                                  Listen => 1, ReuseAddr => 1)
        or die "Test::AIGW: cannot find a free port: $!\n";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub _redis_ping {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp',
                                  Timeout => 0.5) or return 0;
    $s->autoflush(1);
    print {$s} "PING\r\n";
    my $sel = IO::Select->new($s);
    my $reply = '';
    if ($sel->can_read(1)) { sysread($s, $reply, 64) }
    close $s;
    return $reply =~ /^\+PONG/ ? 1 : 0;
}

sub _spawn_redis {
    my ($bin, $port) = @_;
    my $pid = fork;
    die "Test::AIGW: fork failed: $!\n" unless defined $pid;
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$RedisDir/redis.log";
        open STDERR, '>&', \*STDOUT;
        { no warnings 'exec';
          exec $bin, '--port', $port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
                     '--dir', $RedisDir, '--daemonize', 'no', @RedisExtraArgs; }
        print STDERR "cannot run $bin: $!\n";
        POSIX::_exit(127);
    }
    my $deadline = time + 10;
    while (time < $deadline) {
        return $pid if _redis_ping($port);
        last if waitpid($pid, WNOHANG) == $pid;
        sleep 0.05;
    }
    if (kill 0, $pid) { kill 'KILL', $pid; waitpid($pid, 0) }
    return;
}

sub _redis_bin {
    my $bin = -x $DefaultRedisServer ? $DefaultRedisServer
            : (grep { -x } map { "$_/redis-server" } split /:/, $ENV{PATH} || '')[0];
    die "Test::AIGW: redis-server not found (install the redis-server package)\n" unless $bin;
    return $bin;
}

sub start_redis {
    my $bin = _redis_bin();
    $RedisDir = File::Temp::tempdir('aigw-redis-XXXXXX', TMPDIR => 1, CLEANUP => 1);

    # The port is free when chosen but could be taken before redis binds it,
    # hence a few attempts.
    for my $attempt (1 .. 3) {
        my $port = _free_port();
        my $pid = _spawn_redis($bin, $port) or next;
        ($RedisPid, $RedisPort) = ($pid, $port);
        $ENV{TEST_NGINX_REDIS_PORT} = $port;
        return $port;
    }
    my $log = do { local (@ARGV, $/) = ("$RedisDir/redis.log"); eval { <> } } || '';
    die "Test::AIGW: redis-server did not answer PING\n$log";
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
    print {$s} '*' . scalar(@args) . "\r\n" . join('', map { '$' . length($_) . "\r\n$_\r\n" } @args);
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

# Stops the test Redis (redis_server_down: it no longer answers on its port when this returns)
# and starts it again on the same port (redis_server_up; it loads what a SAVE left), for tests
# of what the gateway does while Redis is away.
sub redis_server_down {
    stop_redis();
    my $deadline = time + 5;
    sleep 0.02 while $RedisPort && _redis_ping($RedisPort) && time < $deadline;
    return;
}

sub redis_server_up {
    die "redis_server_up: no test Redis; use Test::AIGW 'redis'\n" unless $RedisPort;
    return if $RedisPid;
    for my $attempt (1 .. 50) {   # the port may linger a moment after a stop
        $RedisPid = _spawn_redis(_redis_bin(), $RedisPort) and return;
        sleep 0.1;
    }
    my $log = do { local (@ARGV, $/) = ("$RedisDir/redis.log"); eval { <> } } || '';
    die "Test::AIGW: redis-server did not come back on port $RedisPort\n$log";
}

sub stop_redis {
    return unless $RedisPid && $$ == $Owner;
    kill 'TERM', $RedisPid;
    for (1 .. 100) {
        if (waitpid($RedisPid, WNOHANG) == $RedisPid) { undef $RedisPid; return }
        sleep 0.05;
    }
    kill 'KILL', $RedisPid;
    waitpid($RedisPid, 0);
    undef $RedisPid;
    return;
}

# Runs `redis-cli -p $port @args` against the test Redis; returns its output
# without the final newline (redis-cli prints raw replies when piped).
sub redis_cmd {
    my @args = @_;
    die "redis_cmd: no test Redis; use Test::AIGW 'redis'\n" unless $RedisPort;
    my $pid = open(my $fh, '-|') // die "redis_cmd: fork failed: $!\n";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        { no warnings 'exec'; exec 'redis-cli', '-h', '127.0.0.1', '-p', $RedisPort, @args; }
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

# ---------------------------------------------------------------------------
# A gateway for plain Test::More files (e.g. driving an SDK from node).

# $conf is either http-level text (upstreams, servers: it is wrapped in the
# same http block the data-format runner writes) or a whole configuration
# with its own `http {}` (then only what it lacks is added). $TEST_NGINX_*
# variables are expanded. Returns the port it waited on: $opt{port}, else the
# first `listen` port in $conf, else TEST_NGINX_SERVER_PORT.
#
# Several instances may run at once, each in its own servroot ($opt{servroot},
# else TEST_NGINX_SERVROOT, else t/servroot) with its own ports, e.g. a fleet of
# gateways sharing one Redis. Starting one in a servroot where one still runs
# stops that one first.
sub aigw_nginx_start {
    my ($conf, %opt) = @_;
    require Test::AIGW::Socket;

    my $root = File::Spec->rel2abs($opt{servroot} || $ENV{TEST_NGINX_SERVROOT} || 't/servroot');
    aigw_nginx_stop(servroot => $root) if $Standalone{$root};
    my $p = Test::AIGW::Socket::setup_servroot($root);
    $conf = Test::AIGW::Socket::expand_env($conf, 'aigw_nginx_start');

    my $has = sub { $conf =~ /^\s*$_[0]\b/m };
    my $head = '';
    # Kept in the foreground as our child so it can always be stopped.
    $head .= "daemon off;\n" unless $has->('daemon');
    $head .= "master_process off;\n" unless $has->('master_process');
    $head .= "worker_processes 1;\n" unless $has->('worker_processes');
    $head .= "error_log $p->{error_log} " . ($opt{log_level} || 'debug') . ";\n" unless $has->('error_log');
    $head .= "pid $p->{pid_file};\n" unless $has->('pid');
    $head .= aigw_load_modules();

    my $text;
    if ($conf =~ /^\s*http\s*\{/m) {
        $text = "$head\n$conf\n";
        $text .= "\nevents {\n    worker_connections 1024;\n}\n" unless $conf =~ /^\s*events\s*\{/m;
    } else {
        $text = "$head\nhttp {\n" . Test::AIGW::Socket::http_preamble($root, $conf)
              . "\n$conf\n}\n\nevents {\n    worker_connections 1024;\n}\n";
    }
    Test::AIGW::Socket::spew($p->{conf_file}, $text);

    my $port = $opt{port};
    ($port) = $conf =~ /^\s*listen\s+(?:\S+:)?(\d+)\b/m unless $port;
    $port ||= $ENV{TEST_NGINX_SERVER_PORT} || 1984;
    my ($pid, $why) = Test::AIGW::Socket::start_nginx(
        root => $root, port => $port, binary => $ENV{TEST_NGINX_BINARY});
    die "aigw_nginx_start: $why" unless $pid;
    $Standalone{$root} = $pid;
    push @StandaloneOrder, $root;
    return $port;
}

# Stops a gateway aigw_nginx_start started (QUIT, so workers finish and settle
# what they hold) and returns its error.log text: the one in
# `servroot => $dir`, else every one still running, in the order they started
# (their logs joined).
sub aigw_nginx_stop {
    my (%opt) = @_;
    my @roots = @StandaloneOrder;
    if (defined $opt{servroot}) {
        my $root = File::Spec->rel2abs($opt{servroot});
        @roots = grep { $_ eq $root } @roots;
    }
    my $log = '';
    for my $root (@roots) {
        Test::AIGW::Socket::stop_nginx(delete $Standalone{$root});
        @StandaloneOrder = grep { $_ ne $root } @StandaloneOrder;
        $log .= Test::AIGW::Socket::slurp("$root/logs/error.log");
    }
    return $log;
}

# aigw_nginx_stop, then one test result: the error.log has no [alert], [crit] or [emerg] and
# no worker died on a signal. Returns the log.
sub aigw_nginx_stop_clean {
    my ($what) = @_;
    my $log = aigw_nginx_stop();
    my $bad = qr/\[(?:alert|crit|emerg)\]|exited on signal/;
    Test::More::unlike($log, $bad, "$what: no [alert], [crit], [emerg] or crash in error.log")
        or Test::More::diag(join '', grep { /$bad/ } split /^/m, $log);
    return $log;
}

# The worker processes of the NGINX master whose pid file is in $servroot/logs, sorted
# (found in /proc by their parent); () when it is not running.
sub aigw_worker_pids {
    my ($servroot) = @_;
    require Test::AIGW::Socket;
    my $master = Test::AIGW::Socket::slurp("$servroot/logs/nginx.pid");
    $master =~ s/\s+//g;
    return () unless $master;
    my @w;
    for my $stat (glob '/proc/[0-9]*/stat') {
        my $s = Test::AIGW::Socket::slurp($stat);
        push @w, $1 if $s =~ /^(\d+) \(.*\) \S+ (\d+) / && $2 == $master;
    }
    return sort @w;
}

# One command to this file's Redis (use Test::AIGW 'redis'); see redis_query.
sub redis_q { return redis_query($RedisPort, @_) }

# A whole file's bytes; '' when it cannot be read.
sub slurp {
    require Test::AIGW::Socket;
    return Test::AIGW::Socket::slurp(@_);
}

# A TCP server of the test's own (a mock upstream, a proxy) in a forked process on
# 127.0.0.1:$port: each connection is served by $serve->($socket) in a child of its own. TERM
# stops the server and every connection child (they share a process group); it also goes when
# the test process does. Returns the server's pid.
sub tcp_server_fork {
    my ($port, $serve, %o) = @_;
    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                       Listen => $o{backlog} // 128, ReuseAddr => 1, Proto => 'tcp')
        or die "cannot listen on 127.0.0.1:$port: $!\n";
    my $parent = $$;
    my $pid = fork // die "fork: $!";
    if ($pid) {
        close $listen;
        return $pid;
    }
    $SIG{CHLD} = 'IGNORE';    # connection children are reaped by the kernel
    $SIG{TERM} = sub { kill 'TERM', -$$; POSIX::_exit(0) };
    setpgrp(0, 0);
    my $sel = IO::Select->new($listen);
    while (1) {
        POSIX::_exit(0) if getppid() != $parent;
        next unless $sel->can_read(0.5);
        my $c = $listen->accept or next;
        my $kid = fork;
        if (defined $kid && $kid == 0) {
            close $listen;
            $SIG{TERM} = 'DEFAULT';
            eval { $serve->($c) };
            close $c;
            POSIX::_exit(0);
        }
        close $c;
    }
}

# Waits up to $bound seconds until the usage stream in this file's Redis holds at least $n
# entries; returns its length.
sub usage_wait_xlen {
    my ($n, $bound) = @_;
    my $deadline = time + $bound;
    my $len = 0;
    while (time < $deadline) {
        $len = eval { redis_query($RedisPort, 'XLEN', 'aigw:usage') } // 0;
        last if $len >= $n;
        sleep 0.05;
    }
    return $len;
}

# The body of a chunked HTTP/1.1 response (what follows the blank line), without its framing;
# a body cut short gives what arrived.
sub http_dechunk {
    my ($rest) = @_;
    my $out = '';
    while ($rest =~ s/\A([0-9a-fA-F]+)[^\r\n]*\r\n//) {
        my $len = hex $1;
        last if $len == 0;
        $out .= substr($rest, 0, $len, '');
        $rest =~ s/\A\r\n//;
    }
    return $out;
}

END {
    if ($$ == $Owner) {
        my $rc = $?;
        aigw_nginx_stop() if @StandaloneOrder;
        stop_redis();
        $? = $rc;
    }
}

1;
