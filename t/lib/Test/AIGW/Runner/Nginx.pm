package Test::AIGW::Runner::Nginx;

# NGINX as the runner's child: a server root laid out afresh, the nginx.conf of a block, nginx
# started in the foreground in a process group of its own and waited for until it listens,
# stopped with QUIT and then KILL, and every child the runner started killed when the test
# process ends. Test::AIGW::Gateway starts the NGINX of plain Test::More files with it too.

use strict;
use warnings;

use Exporter 'import';
use File::Path qw(make_path remove_tree);
use List::Util qw(max);
use POSIX qw(WNOHANG);
use Test::More ();
use Time::HiRes qw(sleep time);

use Test::AIGW::Host qw(slurp spew port_open);
use Test::AIGW::Runner::Settings qw(:all);

our @EXPORT_OK = qw(servroot_paths setup_servroot http_preamble write_config start_nginx
                    stop_nginx early_log_option nginx_diagnostics watch_child forget_child
                    kill_children);

my $MainPid = $$;
my %Running;                # pid => 'nginx' | 'mock', children to kill on exit

# A child to kill when the test process ends ('nginx': its whole process group).
sub watch_child { my ($pid, $kind) = @_; $Running{$pid} = $kind; return }
sub forget_child { delete $Running{ $_[0] }; return }

sub servroot_paths {
    my ($root) = @_;
    return {
        root   => $root,
        conf   => "$root/conf",
        logs   => "$root/logs",
        html   => "$root/html",
        conf_file => "$root/conf/nginx.conf",
        error_log => "$root/logs/error.log",
        access_log => "$root/logs/access.log",
        pid_file  => "$root/logs/nginx.pid",
        stderr    => "$root/logs/nginx.stderr",
    };
}

sub setup_servroot {
    my ($root) = @_;
    my $p = servroot_paths($root);
    # Only the directories we create are removed, never the whole root, in
    # case TEST_NGINX_SERVROOT points somewhere that holds other files. aigw_usage is where
    # the module's usage-record journals go by default (beside client_body_temp): a test's
    # records never reach the next test's Redis.
    remove_tree($p->{conf}, $p->{logs}, $p->{html}, glob("$root/*_temp"), glob("$root/*_cache"),
                glob("$root/aigw_usage*"));
    make_path($p->{conf}, $p->{logs}, $p->{html});
    spew("$p->{html}/index.html",
         '<html><head><title>It works!</title></head><body>It works!</body></html>');
    return $p;
}

# The http-level lines every generated config starts with. Temp paths live
# in the server root because the distribution's compiled-in ones may not exist.
sub http_preamble {
    my ($root, $http_config) = @_;
    $http_config = '' unless defined $http_config;
    my @temp;
    push @temp, "client_body_temp_path $root/client_body_temp;"
        unless $http_config =~ /\bclient_body_temp_path\b/;
    push @temp, "proxy_temp_path $root/proxy_temp;"
        unless $http_config =~ /\bproxy_temp_path\b/;
    push @temp, "fastcgi_temp_path $root/fastcgi_temp;",
                "scgi_temp_path $root/scgi_temp;",
                "uwsgi_temp_path $root/uwsgi_temp;";
    return "    access_log $root/logs/access.log;\n"
         . join('', map { "    $_\n" } @temp)
         . "\n    default_type text/plain;\n    keepalive_timeout  68;\n";
}

sub write_config {
    my ($block, $p) = @_;
    my $name = $block->name;
    my $main_config = expand_env($block->main_config // '', $name);
    my $http_config = expand_env($block->http_config // '', $name);
    my $config      = expand_env($block->config // '', $name);
    my $post_main   = expand_env($block->post_main_config // '', $name);
    my $level       = $block->log_level || $LogLevel;
    my $server_name = defined $block->server_name ? $block->server_name : $ServerName;
    $server_name =~ s/\\/\\\\/g;
    $server_name =~ s/'/\\'/g;

    my $conf = <<"_EOC_";
worker_processes  $Workers;
# The runner keeps nginx in the foreground as its own child so that it can
# always reap and kill it.
daemon off;
master_process $MasterProcess;
error_log $p->{error_log} $level;
pid       $p->{pid_file};
_EOC_
    for my $v (@EnvToNginx) {
        $conf .= $v =~ /\s/ ? "env '$v';\n" : "env $v;\n";
    }
    $conf .= "\n$main_config\n\nhttp {\n" . http_preamble($p->{root}, $http_config)
           . "\n$http_config\n"
           . "    server {\n"
           . "        listen          $ServerPort;\n"
           . "        server_name     '$server_name';\n\n"
           . "        client_max_body_size 30M;\n\n"
           . "        # Begin test case config...\n$config\n        # End test case config.\n";
    unless ($NoRootLocation) {
        $conf .= "\n        location / {\n            root $p->{html};\n"
               . "            index index.html index.htm;\n        }\n";
    }
    $conf .= "    }\n}\n\n$post_main\n\nevents {\n    accept_mutex off;\n"
           . "    worker_connections  $WorkerConnections;\n}\n";
    # Workers of a root master would run as nobody and lose access to the
    # server root; Test::Nginx makes the same choice.
    $conf .= "user root;\n" if $> == 0 && $MasterProcess eq 'on';
    spew($p->{conf_file}, $conf);
    return $conf;
}

# Starts nginx in the foreground as our child, in its own process group, and
# waits until it listens on $port. Returns the pid, or (undef, why) with the
# tail of its stderr and error.log when it exited or never listened.
sub start_nginx {
    my (%a) = @_;
    my $root = $a{root};
    my $p = servroot_paths($root);
    my $binary = $a{binary} || $NginxBinary;
    my $port = $a{port};

    if (defined $port && port_open($port)) {
        return (undef, "port $port is already in use before nginx started"
                     . " (a leftover nginx from an earlier run? stop it first)");
    }
    my $pid = fork;
    die "fork failed: $!\n" unless defined $pid;
    if (!$pid) {
        setpgrp(0, 0);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $p->{stderr};
        open STDERR, '>&', \*STDOUT;
        my @early = early_log_option($binary) ? ('-e', $p->{error_log}) : ();
        { no warnings 'exec'; exec { $binary } $binary, @early, '-p', "$root/", '-c', 'conf/nginx.conf'; }
        print STDERR "cannot run $binary: $!\n";
        POSIX::_exit(127);
    }
    watch_child($pid, 'nginx');

    my $deadline = time + ($a{startup_bound} || $StartupBound);
    while (time < $deadline) {
        my $r = waitpid($pid, WNOHANG);
        if ($r == $pid) {
            my $status = $?;
            forget_child($pid);
            return (undef, sprintf("nginx exited during startup (exit code %d%s)\n%s",
                                   $status >> 8, ($status & 127) ? ", signal " . ($status & 127) : '',
                                   nginx_diagnostics($root)), $status);
        }
        return ($pid) if !defined $port || port_open($port);
        sleep 0.02;
    }
    stop_nginx($pid, 1);
    return (undef, "nginx did not listen on port $port within ${StartupBound}s\n"
                 . nginx_diagnostics($root));
}

# nginx 1.19.5+ takes `-e file` for the messages it logs before its config
# is read, so configuration errors land in error.log too (as with Test::Nginx).
my %EarlyLog;
sub early_log_option {
    my ($binary) = @_;
    $binary //= $NginxBinary;
    $EarlyLog{$binary} //= (`"$binary" -h 2>&1` =~ /^\s*-e filename/m) ? 1 : 0;
    return $EarlyLog{$binary};
}

sub _tail_lines {
    my ($text, $n) = @_;
    my @l = split /\n/, $text;
    @l = @l[-$n .. -1] if @l > $n;
    return join("\n", @l) . (@l ? "\n" : '');
}

sub nginx_diagnostics {
    my ($root) = @_;
    my $p = servroot_paths($root);
    my $stderr = slurp($p->{stderr});
    my $log = _tail_lines(join('', grep { !/\[debug\]/ } split /^/m, slurp($p->{error_log})), 30);
    my $out = '';
    $out .= "--- nginx stderr:\n$stderr" if length $stderr;
    $out .= "--- error.log (last lines, debug lines left out):\n$log" if length $log;
    $out .= "--- config: $p->{conf_file}\n";
    return $out;
}

# QUIT, then KILL of the whole process group after a bound; always reaps.
sub stop_nginx {
    my ($pid, $quick) = @_;
    return unless $pid;
    kill 'QUIT', $pid unless $quick;
    my $deadline = time + ($quick ? 0 : max($Timeout, 3));
    while (time < $deadline) {
        if (waitpid($pid, WNOHANG) == $pid) {
            # Workers of a master may linger a moment after it; they are in
            # its group.
            kill 'KILL', -$pid;
            forget_child($pid);
            return 1;
        }
        sleep 0.02;
    }
    Test::More::diag("nginx (pid $pid) did not exit after QUIT; killing it") unless $quick;
    kill 'KILL', -$pid;
    kill 'KILL', $pid;
    for (1 .. 250) {
        last if waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }
    forget_child($pid);
    return 0;
}

sub kill_children {
    return unless $$ == $MainPid;
    for my $pid (keys %Running) {
        kill 'KILL', ($Running{$pid} eq 'nginx' ? -$pid : $pid);
        kill 'KILL', $pid;
        waitpid($pid, 0);
        delete $Running{$pid};
    }
    return;
}

END {
    local $?;    # reaping children must not change the script's exit code
    kill_children();
}

1;
