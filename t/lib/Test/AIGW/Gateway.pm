package Test::AIGW::Gateway;

# NGINX with the aigw module for the plain Test::More files: started from a configuration
# (several at once, one per servroot), reloaded, stopped with its error.log returned, and its
# worker processes found. Also the load_module lines every configuration starts with.
#
#     use Test::AIGW::Gateway qw(aigw_nginx_start aigw_nginx_stop_clean);
#     aigw_nginx_start($http_conf, port => 22990, workers => 2, log_level => 'info');
#
# Environment: TEST_NGINX_AIGW_MODULE (required, the built module), TEST_NGINX_ECHO_MODULE
# (default: Debian's echo module; empty: not loaded), TEST_NGINX_BINARY (default
# /usr/sbin/nginx), TEST_NGINX_SERVROOT (default t/servroot).

use strict;
use warnings;

use Exporter 'import';
use File::Spec;
use Test::More ();
use Time::HiRes qw(sleep time);

use Test::AIGW::Host qw(slurp spew run_program tail_reset);
use Test::AIGW::Redis qw(redis_wait_clients);
use Test::AIGW::Runner::Nginx qw(setup_servroot http_preamble start_nginx stop_nginx
                                 early_log_option);
use Test::AIGW::Runner::Settings qw(expand_env);

our @EXPORT_OK = qw(aigw_load_modules aigw_nginx_start aigw_nginx_stop aigw_nginx_stop_clean
                    aigw_nginx_quit aigw_nginx_reload aigw_worker_pids);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

my $Owner = $$;     # forked children must not stop what this process started
my $DefaultEchoModule = '/usr/lib/nginx/modules/ngx_http_echo_module.so';

# The NGINX instances aigw_nginx_start started and that still run: servroot => pid, and the
# servroots in the order they started.
my (%Standalone, @StandaloneOrder);

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

sub _root {
    my ($servroot) = @_;
    return File::Spec->rel2abs($servroot || $ENV{TEST_NGINX_SERVROOT} || 't/servroot');
}

# $conf is either http-level text (upstreams, servers: it is wrapped in the
# same http block the data-format runner writes) or a whole configuration
# with its own `http {}` (then only what it lacks is added). $TEST_NGINX_*
# variables are expanded. Returns the port it waited on: $opt{port}, else the
# first `listen` port in $conf, else TEST_NGINX_SERVER_PORT.
#
# Options: port; servroot; log_level (default debug); workers => N (a master and N worker
# processes, default: one process, no master); worker_connections (default 1024);
# wait_redis => 1: return once every worker has its connection to the test's Redis
# (Test::AIGW::Redis), or after 5 s.
#
# Several instances may run at once, each in its own servroot ($opt{servroot},
# else TEST_NGINX_SERVROOT, else t/servroot) with its own ports, e.g. a fleet of
# gateways sharing one Redis. Starting one in a servroot where one still runs
# stops that one first.
sub aigw_nginx_start {
    my ($conf, %opt) = @_;
    my $root = _root($opt{servroot});
    aigw_nginx_stop(servroot => $root) if $Standalone{$root};
    my $p = setup_servroot($root);
    tail_reset($p->{error_log});
    $conf = expand_env($conf, 'aigw_nginx_start');

    my $has = sub { $conf =~ /^\s*$_[0]\b/m };
    my $head = '';
    # Kept in the foreground as our child so it can always be stopped.
    $head .= "daemon off;\n" unless $has->('daemon');
    if ($opt{workers}) {
        $head .= "master_process on;\nworker_processes $opt{workers};\n";
        # Workers of a root master would run as nobody and lose access to the server root.
        $head .= "user root;\n" if $> == 0 && !$has->('user');
    } else {
        $head .= "master_process off;\n" unless $has->('master_process');
        $head .= "worker_processes 1;\n" unless $has->('worker_processes');
    }
    $head .= "error_log $p->{error_log} " . ($opt{log_level} || 'debug') . ";\n" unless $has->('error_log');
    $head .= "pid $p->{pid_file};\n" unless $has->('pid');
    $head .= aigw_load_modules();
    my $events = "\nevents {\n    worker_connections " . ($opt{worker_connections} || 1024) . ";\n}\n";

    my $text;
    if ($conf =~ /^\s*http\s*\{/m) {
        $text = "$head\n$conf\n";
        $text .= $events unless $conf =~ /^\s*events\s*\{/m;
    } else {
        $text = "$head\nhttp {\n" . http_preamble($root, $conf) . "\n$conf\n}\n$events";
    }
    spew($p->{conf_file}, $text);

    my $port = $opt{port};
    ($port) = $conf =~ /^\s*listen\s+(?:\S+:)?(\d+)\b/m unless $port;
    $port ||= $ENV{TEST_NGINX_SERVER_PORT} || 1984;
    my ($pid, $why) = start_nginx(root => $root, port => $port, binary => $ENV{TEST_NGINX_BINARY});
    die "aigw_nginx_start: $why" unless $pid;
    $Standalone{$root} = $pid;
    push @StandaloneOrder, $root;
    # Each worker names its command connection `aigw` once it has one.
    redis_wait_clients(aigw => $opt{workers} || 1) if $opt{wait_redis};
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
        stop_nginx(delete $Standalone{$root});
        @StandaloneOrder = grep { $_ ne $root } @StandaloneOrder;
        $log .= slurp("$root/logs/error.log");
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

# A graceful stop (QUIT to the master of the gateway in $servroot), waited for up to 15 s,
# however long its workers take to finish (a worker keeps trying to deliver usage records for
# a few seconds); returns the seconds it took. aigw_nginx_stop or aigw_nginx_stop_clean then
# collects the error.log.
sub aigw_nginx_quit {
    my ($servroot) = @_;
    my $pid = slurp(_root($servroot) . '/logs/nginx.pid');
    $pid =~ s/\s+//g;
    kill 'QUIT', $pid;
    my $t0 = time;
    my $deadline = $t0 + 15;
    while (time < $deadline) {
        my $stat = slurp("/proc/$pid/stat");
        last if !length $stat || $stat =~ /^\d+ \(.*\) Z /;
        sleep 0.05;
    }
    return time - $t0;
}

# `nginx -s reload` of the gateway in $servroot (default TEST_NGINX_SERVROOT, else
# t/servroot), then a wait (at most 10 s) until as many new workers as there were have
# replaced the old ones. Returns (nginx's exit code, its output, [old worker pids], [worker
# pids now]).
sub aigw_nginx_reload {
    my ($servroot) = @_;
    my $root = _root($servroot);
    my @old = aigw_worker_pids($root);
    my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
    my @early = early_log_option($nginx) ? ('-e', "$root/logs/error.log") : ();
    my ($rc, $out) = run_program({ timeout => 20, merge => 1 },
                                 $nginx, @early, '-p', "$root/", '-c', 'conf/nginx.conf', '-s', 'reload');
    my %old = map { $_ => 1 } @old;
    my $deadline = time + 10;
    my @new;
    while (time < $deadline) {
        @new = aigw_worker_pids($root);
        last if @new == @old && !grep { $old{$_} } @new;
        sleep 0.05;
    }
    return ($rc, $out, \@old, \@new);
}

# The worker processes of the NGINX master whose pid file is in $servroot/logs, sorted
# (found in /proc by their parent); () when it is not running.
sub aigw_worker_pids {
    my ($servroot) = @_;
    my $master = slurp("$servroot/logs/nginx.pid");
    $master =~ s/\s+//g;
    return () unless $master;
    my @w;
    for my $stat (glob '/proc/[0-9]*/stat') {
        my $s = slurp($stat);
        push @w, $1 if $s =~ /^(\d+) \(.*\) \S+ (\d+) / && $2 == $master;
    }
    return sort @w;
}

END {
    if ($$ == $Owner && @StandaloneOrder) {
        local $?;
        aigw_nginx_stop();
    }
}

1;
