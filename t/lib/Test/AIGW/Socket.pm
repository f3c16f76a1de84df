package Test::AIGW::Socket;

# A runner for test files in the Test::Nginx::Socket data format
# (`=== TEST n: title` blocks made of `--- section` values), written from that
# format's documentation with core Perl only, for machines without CPAN.
# Test::AIGW picks the real Test::Nginx::Socket when it is installed, so every
# behaviour here follows the documented semantics of the original.
#
# Per block: a fresh server root, a generated nginx.conf, one nginx started
# as our direct child (so it can always be reaped and killed), an optional raw
# TCP mock upstream in a forked child, then `repeat_each` rounds of requests,
# each round followed by its error.log checks; nginx and the mock are stopped
# whatever happens.
#
# Sections: main_config, http_config, config, post_main_config, server_name,
# log_level, user_files, init, request (string, or eval array of requests,
# each a string or an array of packets / {value, delay_before}),
# raw_request, pipelined_requests, more_headers, raw_request_middle_delay,
# shutdown, timeout, abort, wait, ignore_response, error_code(_like),
# response_headers (`Name: value`, `!Name`), response_headers_like,
# raw_response_headers_(un)like, response_body (string or qr//),
# response_body_like, response_body_unlike, error_log, no_error_log,
# grep_error_log(_out), must_die, skip_nginx, skip_eval, tcp_listen,
# tcp_reply (string, array of packets, or sub), tcp_reply_delay, tcp_query,
# tcp_query_len, tcp_query_auto_timeout, tcp_no_close, tcp_shutdown; meta
# sections ONLY, SKIP, LAST; filters eval, chomp, chop, lines, trim, norm.
#
# Where this runner knowingly differs from Test::Nginx::Socket:
# - A block whose nginx does not start fails that block, not the whole run.
# - The TCP mock runs for the whole block and answers every connection in
#   turn (Test::Nginx starts one per repeated request, for one connection).
# - Without tcp_query_len/tcp_query the mock reads a whole HTTP request
#   (Test::Nginx reads once, up to 4 KB): a test relying on this for large
#   bodies passes here only, so give tcp_query_len for those.
# - tcp_reply_delay is slept before each packet of an array reply, so the
#   packets really arrive apart (Test::Nginx sleeps once before the reply).
# - A truncated chunked body after an `abort` timeout fails the block in
#   both runners: add `--- ignore_response`, or request with HTTP/1.0.
# - Blocks run in one process, one at a time; like Test::Nginx without
#   TEST_NGINX_RANDOMIZE, .t files must not run in parallel (`prove -j`).

use strict;
use warnings;

use Carp ();
use Errno qw(EAGAIN EINTR EWOULDBLOCK EINPROGRESS);
use File::Path qw(make_path remove_tree);
use File::Spec;
use File::Temp ();
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use List::Util qw(shuffle max min);
use POSIX qw(WNOHANG);
use Socket qw(SOCK_STREAM);
use Test::Builder;
use Test::More ();
use Time::HiRes qw(sleep time);

our $VERSION = '0.01';

# Functions a .t file gets, the same names as Test::Nginx::Socket's.
our @EXPORT_RUNNER = qw(
    run_tests blocks repeat_each no_shuffle add_block_preprocessor log_level
    no_long_string workers master_on master_off env_to_nginx worker_connections
    no_root_location timeout server_port server_port_for_client server_root
    html_dir is_str check_accum_error_log bail_out add_cleanup_handler
    add_response_body_check server_name
);

# Test::Base (the parent of Test::Nginx::Socket) re-exports Test::More.
our @EXPORT_TEST_MORE = qw(
    ok is isnt like unlike is_deeply cmp_ok pass fail diag note explain plan
    done_testing skip BAIL_OUT subtest can_ok isa_ok new_ok todo_skip
);

# ---------------------------------------------------------------------------
# Settings, from the environment variables Test::Nginx documents.

our $NginxBinary = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
our $ServerPort  = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
our $ClientPort  = $ENV{TEST_NGINX_CLIENT_PORT} || $ENV{TEST_NGINX_PORT} || $ServerPort;
our $ServerAddr  = '127.0.0.1';
our $ServRoot    = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
our $Sleep       = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $Timeout     = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $LogLevel    = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcess = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $NoShuffle   = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $CheckAccumErrLog = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG} || 0;
our $Verbose     = $ENV{TEST_NGINX_VERBOSE} || 0;
our $RepeatEach  = 1;
our $Workers     = 1;
our $WorkerConnections = 64;
our $NoLongString = 0;
our $NoRootLocation = 0;
our $ServerName  = 'localhost';
our @EnvToNginx;
our @BlockPreprocessors;
our @CleanupHandlers;
our @ResponseBodyChecks;

# How long nginx may take to listen, and to exit after QUIT, before we give up.
our $StartupBound = 10;

my $MainPid = $$;
my $Caller = 'main';        # the package whose __DATA__ holds the blocks
my $Blocks;                 # parsed, selected and filtered blocks (cached)
my %Running;                # pid => 'nginx' | 'mock', children to kill on exit
my %RandPorts;              # TEST_NGINX_RAND_PORT_N => port, per block

sub _servroot_paths {
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

# ---------------------------------------------------------------------------
# Exported configuration functions.

sub import {
    my ($class, @args) = @_;
    my $caller = caller;
    $Caller = $caller;
    no strict 'refs';
    for my $name (@EXPORT_RUNNER) {
        *{"${caller}::$name"} = \&{"Test::AIGW::Socket::$name"};
    }
    for my $name (@EXPORT_TEST_MORE) {
        *{"${caller}::$name"} = \&{"Test::More::$name"};
    }
    # 'no_plan' and friends are accepted for compatibility: run_tests ends
    # with done_testing, so the count never has to be written down.
    my %args = @args % 2 ? (map { $_ => 1 } @args) : @args;
    if (defined $args{tests} && $args{tests} =~ /^\d+$/) {
        Test::More::plan(tests => $args{tests});
    } elsif ($args{skip_all}) {
        Test::More::plan(skip_all => $args{skip_all});
    }
    return;
}

sub repeat_each { $RepeatEach = shift if @_; return $RepeatEach }
sub no_shuffle () { $NoShuffle = 1 }
sub no_long_string () { $NoLongString = 1 }
sub workers { $Workers = shift if @_; return $Workers }
sub worker_connections { $WorkerConnections = shift if @_; return $WorkerConnections }
sub master_on () { $MasterProcess = 'on' }
sub master_off () { $MasterProcess = 'off' }
sub log_level { $LogLevel = shift if @_; return $LogLevel }
sub no_root_location () { $NoRootLocation = 1 }
sub timeout { $Timeout = shift if @_; return $Timeout }
sub server_port { $ServerPort = shift if @_; return $ServerPort }
sub server_port_for_client { $ClientPort = shift if @_; return $ClientPort }
sub server_name { $ServerName = shift if @_; return $ServerName }
sub server_root () { return $ServRoot }
sub html_dir () { return "$ServRoot/html" }
sub check_accum_error_log () { $CheckAccumErrLog = 1 }
sub env_to_nginx { push @EnvToNginx, @_ }
sub add_cleanup_handler { push @CleanupHandlers, shift }
sub add_response_body_check { push @ResponseBodyChecks, shift }

# The latest preprocessor runs first, as in Test::Nginx: a .t file's own
# preprocessor (added after `use Test::AIGW`) sees the block before the
# wrapper's defaults are filled in.
sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }

sub bail_out {
    my $msg = join '', @_;
    kill_children();
    Test::More::BAIL_OUT($msg);
}

# ---------------------------------------------------------------------------
# Blocks: parsing the __DATA__ section.

{
    package Test::AIGW::Socket::Block;
    our $AUTOLOAD;

    sub new { my ($class, %v) = @_; return bless { %v }, $class }

    # Values are stored as lists, like Test::Base: `$block->x` gives the first
    # value in scalar context and all of them in list context.
    sub set_value {
        my ($self, $name, @values) = @_;
        $self->{$name} = [@values];
        return;
    }

    sub AUTOLOAD {
        my $self = shift;
        (my $name = $AUTOLOAD) =~ s/.*:://;
        return if $name eq 'DESTROY';
        Carp::croak("Not allowed to set values for '$name'") if @_;
        my @list = @{ $self->{$name} || [] };
        return wantarray ? @list : $list[0];
    }

    sub can {
        my ($self, $method) = @_;
        my $code = $self->SUPER::can($method);
        return $code if $code || !ref $self || !exists $self->{$method};
        return sub { my $s = shift; my @l = @{ $s->{$method} || [] }; wantarray ? @l : $l[0] };
    }
}

my %Filters = (
    norm => sub {
        map { my $t = defined $_ ? $_ : ''; $t =~ s/\015\012/\n/g; $t =~ s/\r/\n/g; $t } @_;
    },
    trim => sub {
        map { my $t = $_; if (defined $t && !ref $t) { $t =~ s/\A([ \t]*\n)+//; $t =~ s/(?<=\n)\s*\z//g } $t } @_;
    },
    chomp => sub { map { my $t = $_; chomp $t if defined $t && !ref $t; $t } @_ },
    chop  => sub { map { my $t = $_; chop $t if defined $t && !ref $t; $t } @_ },
    lines => sub { my $t = join '', @_; length $t ? ($t =~ /^(.*\n?)/gm) : () },
    eval  => sub {
        my ($code, $where) = @_;
        my @r = _eval_in_main($code, $where);
        die "$where: eval failed: $@" if $@;
        return @r;
    },
);

sub _eval_in_main {
    my ($code, $where) = @_;
    $where =~ s/"//g;
    ## no critic (ProhibitStringyEval)
    return eval "package main; no strict; no warnings;\n#line 1 \"$where\"\n$code";
}

sub _read_spec {
    no strict 'refs';
    for my $pkg ($Caller, 'main') {
        my $fh = \*{"${pkg}::DATA"};
        next unless defined fileno($fh);
        local $/;
        my $spec = <$fh>;
        return $spec if defined $spec;
    }
    die "no __DATA__ section with test blocks found in $0\n";
}

sub _make_block {
    my ($hunk) = @_;
    $hunk .= "\n" unless $hunk =~ /\n\z/;
    $hunk =~ s/\A===[ \t]*(.*)\s+// or die "bad block: $hunk";
    my $name = $1;
    $name =~ s/\s+\z//;
    my @parts = split /^---[ ]+\(?(\w+)\)?[ ]*(.*)?\n/m, $hunk;
    my $description = shift @parts;
    $description = $name unless defined $description && $description =~ /\S/;
    $description =~ s/\s*\z//;

    my $block = Test::AIGW::Socket::Block->new(
        _section_order => [], _section_filters => {});
    $block->set_value(name => $name);
    $block->set_value(description => $description);
    while (@parts) {
        my ($type, $filters, $value) = splice @parts, 0, 3;
        $value   = '' unless defined $value;
        $filters = '' unless defined $filters;
        # `--- name: value` (or `--- name filter: value`) is a one-line value.
        if ($filters =~ /:(\s|\z)/) {
            die "$name: extra lines not allowed in the one-line '$type' section\n"
                if $value =~ /\S/;
            ($filters, $value) = split /\s*:(?:\s+|\z)/, $filters, 2;
            $value = '' unless defined $value;
            $value =~ s/^\s*(.*?)\s*$/$1/;
        }
        push @{ $block->{_section_order} }, $type;
        $block->{_section_filters}{$type} = $filters;
        $block->set_value($type, $value);
    }
    return $block;
}

sub _run_filters {
    my ($block) = @_;
    my $name = $block->name;
    for my $type (@{ $block->{_section_order} }) {
        my @filters = ('norm', 'trim');
        my @append;
        for my $f (split ' ', $block->{_section_filters}{$type}) {
            if ($f =~ s/^-//) { @filters = grep { $_ ne $f } @filters }
            elsif ($f =~ s/^\+//) { push @append, $f }
            else { push @filters, $f }
        }
        my @value = @{ $block->{$type} };
        for my $f (@filters, @append) {
            my $code = $Filters{$f}
                or die "$name: unknown filter '$f' in section '$type'"
                     . " (supported: " . join(', ', sort keys %Filters) . ")\n";
            @value = $f eq 'eval' ? $code->(join('', @value), "$name --- $type")
                                  : $code->(@value);
        }
        $block->set_value($type, @value);
    }
    return;
}

# All the blocks run_tests will run, after ONLY / SKIP / LAST selection.
sub blocks {
    return @$Blocks if $Blocks;
    my $spec = _read_spec();
    my @hunks = ($spec =~ /^(===.*?(?=^===|\z))/msg);
    my @chosen;
    for my $hunk (@hunks) {
        my $block = _make_block($hunk);
        if (exists $block->{ONLY}) {
            Test::More::diag("I found ONLY: maybe you're debugging?");
            @chosen = ($block);
            last;
        }
        next if exists $block->{SKIP};
        push @chosen, $block;
        last if exists $block->{LAST};
    }
    my $seq = 0;
    for my $block (@chosen) {
        $block->{seq_num} = ++$seq;
        _run_filters($block);
    }
    $Blocks = \@chosen;
    return @chosen;
}

# ---------------------------------------------------------------------------
# Small helpers.

sub parse_time {
    my ($t) = @_;
    return undef unless defined $t;
    $t =~ s/^\s+|\s+$//g;
    return $1 / 1000 if $t =~ /^([\d.]+)ms$/;
    return $1 if $t =~ /^([\d.]+)s?$/;
    die "bad time value '$t' (use e.g. 1, 1.5s or 500ms)\n";
}

# Replaces $TEST_NGINX_XXX by the environment's value, as Test::Nginx does;
# $TEST_NGINX_RAND_PORT_N becomes a free port, the same one within a block.
sub expand_env {
    my ($text, $name) = @_;
    return $text unless defined $text && !ref $text;
    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        if ($var =~ /^TEST_NGINX_RAND_PORT_\d+$/) {
            $RandPorts{$var} //= free_port();
        } else {
            die "$name - No environment $var defined.\n" unless defined $ENV{$var};
            $ENV{$var};
        }
    }ge;
    return $text;
}

sub free_port {
    my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                     Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or die "cannot find a free port: $!\n";
    my $port = $sock->sockport;
    close $sock;
    return $port;
}

sub port_open {
    my ($port, $addr) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => $addr || '127.0.0.1', PeerPort => $port,
                                     Proto => 'tcp', Timeout => 0.5);
    return 0 unless $sock;
    close $sock;
    return 1;
}

sub slurp {
    my ($file) = @_;
    open my $fh, '<', $file or return '';
    binmode $fh;
    local $/;
    my $data = <$fh>;
    return defined $data ? $data : '';
}

sub spew {
    my ($file, $data) = @_;
    open my $fh, '>', $file or die "cannot write $file: $!\n";
    binmode $fh;
    print {$fh} $data;
    close $fh or die "cannot write $file: $!\n";
    return;
}

# Shows a string with its control bytes visible, for failure messages.
sub fmt_str {
    my ($s) = @_;
    return 'undef' unless defined $s;
    $s = "$s";
    $s =~ s/\\/\\\\/g;
    $s =~ s/\n/\\n/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\t/\\t/g;
    $s =~ s/([\x00-\x1f\x7f])/sprintf('\\x%02x', ord $1)/ge;
    return $s;
}

sub _tail_lines {
    my ($text, $n) = @_;
    my @l = split /\n/, $text;
    @l = @l[-$n .. -1] if @l > $n;
    return join("\n", @l) . (@l ? "\n" : '');
}

# String equality that explains a mismatch in a few lines: where the strings
# first differ, with that neighbourhood shown escaped, instead of two walls
# of text. no_long_string() asks for Test::More's plain `is` instead.
sub is_str {
    my ($got, $expected, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    if (ref $expected && ref $expected eq 'Regexp') {
        return Test::More::like($got, $expected, $name);
    }
    if ($NoLongString || !defined $got || !defined $expected) {
        return Test::More::is($got, $expected, $name);
    }
    return Test::More::ok(1, $name) if $got eq $expected;
    Test::More::ok(0, $name);
    Test::More::diag(describe_difference($got, $expected));
    return 0;
}

sub describe_difference {
    my ($got, $expected) = @_;
    my $n = min(length $got, length $expected);
    my $i = 0;
    $i++ while $i < $n && substr($got, $i, 1) eq substr($expected, $i, 1);
    my $before = substr($got, 0, $i);
    my $line = ($before =~ tr/\n//) + 1;
    my $col = $i - (rindex($before, "\n") + 1) + 1;
    my $from = max(0, $i - 40);
    my $show = sub {
        my ($s) = @_;
        my $part = substr($s, $from, $i - $from + 60);
        return ($from > 0 ? '...' : '') . fmt_str($part)
             . ($from + length($part) < length($s) ? '...' : '');
    };
    return sprintf("strings differ at offset %d (line %d, column %d)\n"
                 . "         got (%d bytes): \"%s\"\n"
                 . "    expected (%d bytes): \"%s\"",
                   $i, $line, $col, length $got, $show->($got),
                   length $expected, $show->($expected));
}

# ---------------------------------------------------------------------------
# Server root, nginx.conf and the nginx process.

sub setup_servroot {
    my ($root) = @_;
    my $p = _servroot_paths($root);
    # Only the directories we create are removed, never the whole root, in
    # case TEST_NGINX_SERVROOT points somewhere that holds other files.
    remove_tree($p->{conf}, $p->{logs}, $p->{html}, glob("$root/*_temp"), glob("$root/*_cache"));
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
    my $main_config = expand_env(_str($block->main_config), $name);
    my $http_config = expand_env(_str($block->http_config), $name);
    my $config      = expand_env(_str($block->config), $name);
    my $post_main   = expand_env(_str($block->post_main_config), $name);
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

sub _str { my ($v) = @_; return defined $v ? $v : '' }

# Starts nginx in the foreground as our child, in its own process group, and
# waits until it listens on $port. Returns the pid, or (undef, why) with the
# tail of its stderr and error.log when it exited or never listened.
sub start_nginx {
    my (%a) = @_;
    my $root = $a{root};
    my $p = _servroot_paths($root);
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
    $Running{$pid} = 'nginx';

    my $deadline = time + ($a{startup_bound} || $StartupBound);
    while (time < $deadline) {
        my $r = waitpid($pid, WNOHANG);
        if ($r == $pid) {
            my $status = $?;
            delete $Running{$pid};
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
    $EarlyLog{$binary} //= (`"$binary" -h 2>&1` =~ /^\s*-e filename/m) ? 1 : 0;
    return $EarlyLog{$binary};
}

sub nginx_diagnostics {
    my ($root) = @_;
    my $p = _servroot_paths($root);
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
            delete $Running{$pid};
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
    delete $Running{$pid};
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

# ---------------------------------------------------------------------------
# The raw TCP mock upstream (tcp_listen and friends).

sub start_mock {
    my ($block) = @_;
    my $name = $block->name;
    my $target = expand_env($block->tcp_listen, $name);
    $target =~ s/^\s+|\s+$//g;
    my $reply = $block->tcp_reply;
    if (!defined $reply && !defined $block->tcp_shutdown) {
        die "$name - no --- tcp_reply specified but --- tcp_listen is specified\n";
    }

    # The socket is bound here, before nginx starts, so the port is ready
    # for nginx's first connection.
    my ($listen, $err);
    for (1 .. 30) {
        if ($target =~ /^\d+$/) {
            $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $target,
                                            Proto => 'tcp', ReuseAddr => 1, Listen => 128);
        } elsif ($target =~ /\.sock$/) {
            unlink $target;
            $listen = IO::Socket::UNIX->new(Local => $target, Type => SOCK_STREAM, Listen => 128);
        } else {
            die "$name - bad tcp_listen target '$target' (a port or a path ending in .sock)\n";
        }
        last if $listen;
        $err = $!;
        sleep 0.1;
    }
    die "$name - cannot listen on $target for the TCP mock: $err\n" unless $listen;

    my $qdir = File::Temp::tempdir('aigw-mock-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $parent = $$;
    my $pid = fork;
    die "fork failed: $!\n" unless defined $pid;
    if (!$pid) {
        # The child never returns into the test script: _exit skips END
        # blocks and Test::Builder's summary.
        my $ok = eval { mock_serve($block, $listen, $qdir, $parent); 1 };
        print STDERR "# TCP mock on $target: $@" unless $ok;
        POSIX::_exit($ok ? 0 : 1);
    }
    close $listen;
    $Running{$pid} = 'mock';
    return { pid => $pid, dir => $qdir, seen => 0, target => $target };
}

sub mock_serve {
    my ($block, $listen, $qdir, $parent) = @_;
    $SIG{PIPE} = 'IGNORE';
    $SIG{TERM} = sub { POSIX::_exit(0) };
    my $sel = IO::Select->new($listen);
    my @held;     # connections kept open for tcp_no_close
    my $n = 0;
    while (1) {
        # Exit on our own if the test process went away without killing us.
        POSIX::_exit(0) if getppid() != $parent;
        next unless $sel->can_read(0.5);
        my $client = $listen->accept or next;
        $n++;
        my ($no_read, $no_write);
        if (defined $block->tcp_shutdown) {
            my $how = $block->tcp_shutdown;
            $how = 1 unless length $how;
            shutdown($client, $how);
            $no_read  = 1 if $how == 0 || $how == 2;
            $no_write = 1 if $how == 1 || $how == 2;
        }
        my $query = $no_read ? '' : mock_read_query($block, $client);
        # Written atomically: the parent may look at any moment.
        spew("$qdir/tmp.$n", $query);
        rename "$qdir/tmp.$n", "$qdir/q.$n";

        my $reply = $block->tcp_reply;
        $reply = $reply->($query) if ref $reply eq 'CODE';
        my @packets = !defined $reply ? () : ref $reply eq 'ARRAY' ? @$reply : ($reply);
        my $delay = parse_time($block->tcp_reply_delay);
        unless ($no_write) {
            for my $packet (@packets) {
                sleep $delay if $delay;
                last unless _write_all($client, $packet, 10);
            }
        }
        if (defined $block->tcp_no_close) {
            push @held, $client;
        } else {
            close $client;
        }
    }
}

# Reads what nginx sends: tcp_query_len bytes (or the length of tcp_query),
# else one HTTP request (headers, then a Content-Length or chunked body), else
# whatever arrives until the line goes quiet.
sub mock_read_query {
    my ($block, $client) = @_;
    my $want = $block->tcp_query_len;
    $want = length $block->tcp_query if !defined $want && defined $block->tcp_query && !ref $block->tcp_query;
    my $quiet = defined $block->tcp_query_auto_timeout
              ? (length $block->tcp_query_auto_timeout ? $block->tcp_query_auto_timeout : 0.1)
              : undef;
    my $sel = IO::Select->new($client);
    my $buf = '';
    while (1) {
        if (defined $want) { last if length $buf >= $want }
        elsif (!defined $quiet && _http_message_complete($buf)) { last }
        my $wait = defined $quiet ? $quiet
                 : (!defined $want && length $buf && $buf !~ /^[A-Z]+ \S+ HTTP\/1/) ? 0.1
                 : $Timeout;
        last unless $sel->can_read($wait);
        my $r = sysread($client, my $chunk, 65536);
        last unless $r;
        $buf .= $chunk;
    }
    return $buf;
}

sub _http_message_complete {
    my ($buf) = @_;
    my $end = index($buf, "\r\n\r\n");
    return 0 if $end < 0;
    my $head = substr($buf, 0, $end);
    my $body = substr($buf, $end + 4);
    return 0 unless $head =~ /^[A-Z]+ \S+ HTTP\/1/;
    if ($head =~ /^Transfer-Encoding:[ \t]*chunked/mi) {
        return $body =~ /(?:^|\r\n)0[ \t]*(?:;[^\r\n]*)?\r\n(?:[^\r\n]+\r\n)*\r\n\z/ ? 1 : 0;
    }
    if ($head =~ /^Content-Length:[ \t]*(\d+)/mi) {
        return length($body) >= $1 ? 1 : 0;
    }
    return 1;
}

sub _write_all {
    my ($fh, $data, $bound) = @_;
    my $off = 0;
    my $sel = IO::Select->new($fh);
    while ($off < length $data) {
        return 0 unless $sel->can_write($bound);
        my $n = syswrite($fh, $data, length($data) - $off, $off);
        if (!defined $n) {
            next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
            return 0;
        }
        $off += $n;
    }
    return 1;
}

# The queries of the connections the mock accepted since the last call.
sub mock_new_queries {
    my ($mock) = @_;
    my @q;
    while (-e "$mock->{dir}/q." . ($mock->{seen} + 1)) {
        $mock->{seen}++;
        push @q, slurp("$mock->{dir}/q.$mock->{seen}");
    }
    return @q;
}

sub stop_mock {
    my ($mock) = @_;
    return unless $mock && $mock->{pid};
    my $pid = delete $mock->{pid};
    kill 'TERM', $pid;
    my $gone = 0;
    for (1 .. 100) {
        last if $gone = waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }
    if (!$gone) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }
    delete $Running{$pid};
    unlink $mock->{target} if $mock->{target} =~ /\.sock$/;
    return;
}

# ---------------------------------------------------------------------------
# Requests.

sub _parse_more_headers {
    my ($text) = @_;
    my ($out, $chunked) = ('', 0);
    for my $line (split /\n+/, _str($text)) {
        next if $line =~ /^\s*#/;
        $line =~ s/\r$//;
        next unless $line =~ /\S/;
        my ($key, $val) = split /:\s*/, $line, 2;
        $val = '' unless defined $val;
        $chunked = 1 if lc $key eq 'transfer-encoding' && $val eq 'chunked';
        $out .= "$key: $val\r\n";
    }
    return ($out, $chunked);
}

# Turns the `--- request` shorthand (`METHOD [/uri [HTTP/x.y]]`, then the
# body) given as packets into the packets of a full HTTP request: request
# line, Host and Connection unless given, more_headers, Content-Length for a
# body. Packet boundaries inside the body stay at the same body offsets.
sub build_request {
    my ($name, $packets, $more_headers, $conn) = @_;
    my @values = map { ref $_ eq 'HASH' ? $_->{value} : $_ } @$packets;
    my $text = join '', @values;
    $text =~ s/\A\s+//;
    my $lead = length(join '', @values) - length $text;

    my $nl = index($text, "\n");
    my $first = $nl < 0 ? $text : substr($text, 0, $nl);
    my $body = $nl < 0 ? '' : substr($text, $nl + 1);
    my $body_start = $lead + ($nl < 0 ? length $text : $nl + 1);
    $first =~ /^\s*(\S+)(?:[ \t]+(\S+))?(?:[ \t]+(\S+))?\s*$/
        or die "$name - request line is not valid: should be 'METHOD [uri [version]]'"
             . " but got \"$first\"\n";
    my ($method, $uri, $version) = ($1, defined $2 ? $2 : '/', defined $3 ? $3 : 'HTTP/1.1');

    my ($hdr, $chunked) = _parse_more_headers($more_headers);
    my $cut = 0;    # body bytes dropped at the front by the trim below
    if (!$chunked && length $body && $hdr !~ /(?:^|\n)Content-Length:/i) {
        (my $trimmed = $body) =~ s/^\s+//s;
        $cut = length($body) - length($trimmed);
        $trimmed =~ s/\s+$//s;
        $body = $trimmed;
        $hdr .= "Content-Length: " . length($body) . "\r\n";
    }
    my $head = "$method $uri $version\r\n";
    $head .= "Host: $ServerName\r\n" unless $hdr =~ /(?:^|\n)Host:/i;
    $head .= "Connection: $conn\r\n" unless $hdr =~ /(?:^|\n)Connection/i;
    $head .= "$hdr\r\n";
    my $full = $head . $body;

    my @out;
    my ($off, $prev) = (0, 0);
    for my $i (0 .. $#$packets) {
        $off += length $values[$i];
        my $at;
        if ($i == $#$packets) {
            $at = length $full;
        } elsif ($off < $body_start) {
            $at = min($off, length($head) - 2);   # a split inside the request line
        } else {
            $at = length($head) + max(0, $off - $body_start - $cut);
        }
        $at = max($prev, min($at, length $full));
        my %packet = ref $packets->[$i] eq 'HASH' ? %{ $packets->[$i] } : ();
        $packet{value} = substr($full, $prev, $at - $prev);
        push @out, \%packet;
        $prev = $at;
    }
    return \@out;
}

sub _indexed_headers {
    my ($more_headers, $i, $name) = @_;
    return $more_headers unless ref $more_headers eq 'ARRAY';
    die "$name - --- more_headers lacks data for request $i\n" unless defined $more_headers->[$i];
    return $more_headers->[$i];
}

# Returns the requests of a block: a list of {packets => [...], head => bool,
# pipelined => count}.
sub requests_of {
    my ($block) = @_;
    my $name = $block->name;
    my @reqs;
    my $more = $block->more_headers;
    $more = '' unless defined $more;

    if (defined $block->raw_request) {
        my $raw = $block->raw_request;
        my @packets = map { ref $_ eq 'HASH' ? $_ : { value => $_ } }
                      ref $raw eq 'ARRAY' ? @$raw : ($raw);
        push @reqs, { packets => \@packets };
    } elsif (defined $block->pipelined_requests) {
        my $list = $block->pipelined_requests;
        die "$name - --- pipelined_requests must be an array (use eval)\n" unless ref $list eq 'ARRAY';
        my $all = '';
        for my $i (0 .. $#$list) {
            my $text = expand_env($list->[$i], $name);
            my $pk = build_request($name, [$text], _indexed_headers($more, $i, $name),
                                   $i == $#$list ? 'close' : 'keep-alive');
            $all .= join '', map { $_->{value} } @$pk;
        }
        push @reqs, { packets => [{ value => $all }], pipelined => scalar @$list };
    } elsif (defined $block->request) {
        my $req = $block->request;
        my @list = ref $req eq 'ARRAY' ? @$req : ($req);
        for my $i (0 .. $#list) {
            my $one = $list[$i];
            if (!ref $one) {
                # Comment lines may come before the request line.
                1 while $one =~ s/^\s*#[^\n]+\s+|^\s+//gs;
                $one = [$one];
            }
            die "$name - a request must be a string or an array of packets\n"
                unless ref $one eq 'ARRAY';
            push @reqs, { packets => build_request($name, $one, _indexed_headers($more, $i, $name), 'close') };
        }
    } else {
        die "$name - the block has no --- request, --- raw_request or --- pipelined_requests\n";
    }
    for my $r (@reqs) {
        $r->{head} = (join('', map { $_->{value} } @{ $r->{packets} }) =~ /^\s*HEAD\s+/) ? 1 : 0;
    }
    return @reqs;
}

# Sends the packets and reads until the server closes, reading while writing
# so an early reply never deadlocks. Returns (response bytes, timed out?).
sub send_request {
    my ($block, $packets, $timeout) = @_;
    my $name = $block->name;
    local $SIG{PIPE} = 'IGNORE';
    my $addr = defined $block->server_addr_for_client ? $block->server_addr_for_client : $ServerAddr;
    my $sock;
    for my $try (1 .. 20) {
        $sock = IO::Socket::INET->new(PeerAddr => $addr, PeerPort => $ClientPort,
                                      Proto => 'tcp', Timeout => $timeout);
        last if $sock;
        sleep 0.05 * $try;
    }
    die "$name - cannot connect to $addr:$ClientPort: $!\n" unless $sock;
    $sock->blocking(0);

    my $middle = parse_time($block->raw_request_middle_delay);
    my @queue = @$packets;
    my ($wbuf, $woff, $first, $shut) = (undef, 0, 1, 0);
    my $resp = '';
    # Test::Nginx's timeout is between two I/O events; the overall bound only
    # stops a server that trickles bytes forever.
    my $hard_deadline = time + max(60, 20 * $timeout);
    while (1) {
        if (!defined $wbuf && @queue) {
            my $p = shift @queue;
            my $delay = $first ? 0 : defined $p->{delay_before} ? $p->{delay_before}
                      : defined $middle ? $middle : $Sleep;
            sleep $delay if $delay;
            ($wbuf, $woff, $first) = ($p->{value}, 0, 0);
            undef $wbuf unless length $wbuf;
            next;
        }
        if (!defined $wbuf && !@queue && !$shut && defined $block->shutdown) {
            my $how = $block->shutdown;
            shutdown($sock, length $how ? $how : 1);
            $shut = 1;
        }
        my $rsel = IO::Select->new($sock);
        my $wsel = defined $wbuf ? IO::Select->new($sock) : undef;
        $! = 0;
        my ($r, $w) = IO::Select->select($rsel, $wsel, undef, $timeout);
        if (!$r && !$w) {
            next if $! == EINTR;
            close $sock;
            return ($resp, 1);
        }
        if ($w && @$w && defined $wbuf) {
            my $n = syswrite($sock, $wbuf, length($wbuf) - $woff, $woff);
            if (defined $n) {
                $woff += $n;
                undef $wbuf if $woff >= length $wbuf;
            } elsif ($! != EAGAIN && $! != EWOULDBLOCK && $! != EINTR) {
                # The server closed early (e.g. 413): stop writing, read its reply.
                undef $wbuf;
                @queue = ();
            }
        }
        if ($r && @$r) {
            my $n = sysread($sock, my $chunk, 65536);
            if ($n) {
                $resp .= $chunk;
            } elsif (defined $n || ($! != EAGAIN && $! != EWOULDBLOCK && $! != EINTR)) {
                last;    # EOF, or a reset
            }
        }
        if (time > $hard_deadline) {
            close $sock;
            return ($resp, 1);
        }
    }
    close $sock;
    return ($resp, 0);
}

# ---------------------------------------------------------------------------
# Responses.

{
    package Test::AIGW::Socket::Response;

    sub new { my ($class, %v) = @_; return bless { headers => [], content => '', %v }, $class }
    sub code { $_[0]{code} }
    sub content { $_[0]{content} }

    # All values of a header, joined with ", " as HTTP allows.
    sub header {
        my ($self, $key) = @_;
        my @v = map { $_->[1] } grep { lc $_->[0] eq lc $key } @{ $self->{headers} };
        return @v ? join(', ', @v) : undef;
    }
}

# Splits one HTTP response off the front of $raw. Returns (response, raw
# header text, bytes left over after it, error or undef).
sub parse_response {
    my ($raw, $head_req) = @_;
    my $res = Test::AIGW::Socket::Response->new;
    # Interim "100 Continue" responses precede the real one.
    1 while $raw =~ s{\AHTTP/1\.[01] 100 [^\r\n]*\r\n\r\n}{};
    my ($raw_headers, $rest) = ('', '');
    my $end = index($raw, "\r\n\r\n");
    if ($end >= 0) {
        $raw_headers = substr($raw, 0, $end + 2);
        $rest = substr($raw, $end + 4);
    } else {
        $raw_headers = $raw;
    }
    my @lines = split /\r\n/, $raw_headers;
    my $status = shift @lines;
    if (defined $status && $status =~ m{^HTTP/\d+(?:\.\d+)?\s+(\d{3})\b}) {
        $res->{code} = $1;
    }
    for my $line (@lines) {
        push @{ $res->{headers} }, [$1, $2] if $line =~ /^([^:\s]+)\s*:\s*(.*?)\s*$/;
    }
    return ($res, $raw_headers, undef, undef) if $end < 0;

    my $code = $res->code;
    if ($head_req || (defined $code && ($code == 304 || $code == 204 || $code == 101 || $code < 200))) {
        return ($res, $raw_headers, length $rest ? $rest : undef, undef);
    }
    my $te = $res->header('Transfer-Encoding');
    if (defined $te && $te eq 'chunked') {
        my ($body, $pos) = ('', 0);
        while (1) {
            if (substr($rest, $pos) !~ /\A[ \t]*([0-9A-Fa-f]+)[ \t]*(?:;[^\r\n]*)?\r\n/) {
                $res->{content} = $body;
                return ($res, $raw_headers, undef, length($rest) > $pos
                    ? "invalid chunked body received: \"" . fmt_str(substr($rest, $pos, 80)) . "\""
                    : "no last chunk found (the chunked body ended early)");
            }
            my $size = hex $1;
            $pos += length $&;
            if ($size == 0) {
                # Optional trailer fields, then the empty line.
                while (substr($rest, $pos) =~ /\A([^\r\n]+)\r\n/) { $pos += length($1) + 2 }
                if (substr($rest, $pos, 2) ne "\r\n") {
                    $res->{content} = $body;
                    return ($res, $raw_headers, undef, "no CRLF after the last chunk");
                }
                $pos += 2;
                last;
            }
            if (length($rest) - $pos < $size + 2) {
                $body .= substr($rest, $pos);
                $res->{content} = $body;
                return ($res, $raw_headers, undef,
                        "invalid chunked data received (not enough octets for the data section)");
            }
            $body .= substr($rest, $pos, $size);
            $pos += $size;
            if (substr($rest, $pos, 2) ne "\r\n") {
                $res->{content} = $body;
                return ($res, $raw_headers, undef, "invalid chunked data received (expected CRLF)");
            }
            $pos += 2;
        }
        $res->{content} = $body;
        my $left = substr($rest, $pos);
        return ($res, $raw_headers, length $left ? $left : undef, undef);
    }
    my $len = $res->header('Content-Length');
    if (defined $len && $len =~ /^\d+$/) {
        if (length $rest > $len) {
            $res->{content} = substr($rest, 0, $len);
            return ($res, $raw_headers, substr($rest, $len), undef);
        }
        $res->{content} = $rest;
        return ($res, $raw_headers, undef,
                length $rest < $len ? "response body truncated: $len bytes expected, got " . length($rest)
                                    : undef);
    }
    $res->{content} = $rest;
    return ($res, $raw_headers, undef, undef);
}

# ---------------------------------------------------------------------------
# Checks.

sub indexed_value {
    my ($name, $value, $idx, $need_array) = @_;
    if (ref $value eq 'ARRAY') {
        return $value->[$need_array ? $idx : 0];
    }
    die "$name - several requests were sent, so the expected values must be arrays"
        . " (use eval [...])\n" if $need_array;
    return $value;
}

sub _expand_expected {
    my ($v, $name) = @_;
    return $v if !defined $v || ref $v;
    $v =~ s/\$ServerPortForClient\b/$ClientPort/g;
    $v =~ s/\$ServerPort\b/$ServerPort/g;
    return expand_env($v, $name);
}

sub _parse_header_spec {
    my ($spec) = @_;
    my @out;
    for my $line (split /\n/, _str($spec)) {
        $line =~ s/^\s+|\s+$//g;
        next unless length $line;
        if ($line =~ s/^!\s*//) {
            push @out, [$line, undef];
        } else {
            my ($k, $v) = split /\s*:\s*/, $line, 2;
            push @out, [$k, defined $v ? $v : ''];
        }
    }
    return @out;
}

sub check_response {
    my ($block, $res, $raw_headers, $idx, $rep, $need_array) = @_;
    my $name = $block->name;
    my $code = ($res && $res->code) || '';

    if (defined $block->error_code_like) {
        my $pat = indexed_value($name, $block->error_code_like, $idx, $need_array);
        Test::More::like($code, qr/$pat/sm, "$name - status code ok");
    } else {
        my $want = defined $block->error_code
                 ? indexed_value($name, $block->error_code, $idx, $need_array) : 200;
        Test::More::is($code, $want, "$name - status code ok");
    }

    if (defined $block->raw_response_headers_like) {
        my $pat = indexed_value($name, $block->raw_response_headers_like, $idx, $need_array);
        Test::More::like($raw_headers, qr/$pat/s, "$name - raw resp headers like");
    }
    if (defined $block->raw_response_headers_unlike) {
        my $pat = indexed_value($name, $block->raw_response_headers_unlike, $idx, $need_array);
        Test::More::unlike($raw_headers, qr/$pat/s, "$name - raw resp headers unlike");
    }

    if (defined $block->response_headers) {
        for my $h (_parse_header_spec(indexed_value($name, $block->response_headers, $idx, $need_array))) {
            my ($key, $val) = @$h;
            if (!defined $val) {
                Test::More::unlike($raw_headers, qr/^\s*\Q$key\E\s*:/mi,
                                   "$name - header $key not present in the raw headers");
                next;
            }
            my $got = $res ? $res->header($key) : undef;
            Test::More::is(defined $got ? $got : '', _expand_expected($val, $name),
                           "$name - header $key ok");
        }
    } elsif (defined $block->response_headers_like) {
        for my $h (_parse_header_spec(indexed_value($name, $block->response_headers_like, $idx, $need_array))) {
            my ($key, $val) = @$h;
            my $got = $res ? $res->header($key) : undef;
            Test::More::like(defined $got ? $got : '', qr/^$val$/, "$name - header $key like ok");
        }
    }

    my $content = $res ? $res->content : undef;
    if (defined $block->response_body) {
        my $expected = _expand_expected(indexed_value($name, $block->response_body, $idx, $need_array), $name);
        if (ref $expected) {
            Test::More::like($content, $expected,
                             "$name - response_body - like (repeated req $rep, req $idx)");
        } else {
            is_str($content, $expected,
                   "$name - response_body - response is expected (repeated req $rep, req $idx)");
        }
    } elsif (defined $block->response_body_like || defined $block->response_body_unlike) {
        my $like = defined $block->response_body_like;
        my $pat = indexed_value($name, $like ? $block->response_body_like : $block->response_body_unlike,
                                $idx, $need_array);
        $pat = _expand_expected($pat, $name);
        (my $summary = _str($content)) =~ s/^\s+|\s+$//g;
        $summary = substr($summary, 0, 200) . '...' if length $summary > 200;
        my $test = "$name - response_body_" . ($like ? 'like' : 'unlike')
                 . " - response is expected (" . fmt_str($summary) . ")";
        $like ? Test::More::like($content, qr/$pat/s, $test)
              : Test::More::unlike($content, qr/$pat/s, $test);
    }
    for my $check (@ResponseBodyChecks) {
        $check->($block, $content, $idx, $rep, 0);
    }
    return;
}

# New error.log lines since the previous call of this round (or all of them
# with check_accum_error_log).
sub error_log_lines {
    my ($state) = @_;
    open my $fh, '<', $state->{file} or return [];
    binmode $fh;
    seek $fh, ($CheckAccumErrLog ? 0 : $state->{pos}), 0;
    my @lines = <$fh>;
    $state->{pos} = tell $fh;
    close $fh;
    return \@lines;
}

sub _line_matches {
    my ($line, $pat) = @_;
    return ref $pat ? $line =~ $pat : index($line, $pat) >= 0;
}

sub _patterns {
    my ($v) = @_;
    return [] unless defined $v;
    return [$v] if ref $v eq 'Regexp';
    return [@$v] if ref $v eq 'ARRAY';
    chomp(my $s = $v);
    return [grep { length } split /\n+/, $s];
}

sub _mentions {
    my ($pats, $what) = @_;
    return grep { !ref $_ && index($_, $what) >= 0 } @$pats;
}

sub check_error_log {
    my ($block, $state, $rep, $extra_text) = @_;
    my $name = $block->name;
    my $lines = error_log_lines($state);
    push @$lines, split /^/m, $extra_text if defined $extra_text && length $extra_text;

    if (defined $block->grep_error_log) {
        my $pat = $block->grep_error_log;
        $pat = $pat->[$rep] if ref $pat eq 'ARRAY';
        my $expected = $block->grep_error_log_out;
        die "$name - --- grep_error_log needs --- grep_error_log_out\n" unless defined $expected;
        $expected = $expected->[$rep] if ref $expected eq 'ARRAY';
        $expected = _expand_expected($expected, $name);
        my $matched = '';
        for my $line (@$lines) {
            if (ref $pat ? $line =~ $pat : $line =~ /\Q$pat\E/) {
                $matched .= "$&\n" unless $& =~ /\n/;
            }
        }
        if (ref $expected eq 'Regexp') {
            Test::More::like($matched, $expected, "$name - grep_error_log_out (req $rep)");
        } else {
            is_str($matched, $expected, "$name - grep_error_log_out (req $rep)");
        }
    } elsif (defined $block->grep_error_log_out) {
        die "$name - --- grep_error_log_out needs --- grep_error_log\n";
    }

    my $want = _patterns($block->error_log);
    my $deny = _patterns($block->no_error_log);

    for my $pat (@$want) {
        my ($hit) = grep { _line_matches($_, $pat) } @$lines;
        if (defined $hit) {
            Test::More::pass("$name - pattern \"" . fmt_str($pat) . "\" matches a line in error.log (req $rep)");
        } else {
            Test::More::fail("$name - pattern \"" . fmt_str($pat) . "\" should match a line in error.log (req $rep)");
        }
    }
    for my $pat (@$deny) {
        my $i = 0;
        $i++ while $i < @$lines && !_line_matches($lines->[$i], $pat);
        if ($i < @$lines) {
            my @after = @$lines[$i + 1 .. min($i + 9, $#$lines)];
            Test::More::fail("$name - pattern \"" . fmt_str($pat) . "\" should not match any line in"
                           . " error.log but matches line \"" . fmt_str($lines->[$i]) . "\" (req $rep)");
            Test::More::diag("the lines after it:\n" . join '', @after) if @after;
        } else {
            Test::More::pass("$name - pattern \"" . fmt_str($pat) . "\" does not match a line in error.log (req $rep)");
        }
    }

    # Like Test::Nginx: severe lines nobody asked about are at least shown.
    for my $level (qw(alert crit emerg)) {
        next if _mentions($want, "[$level") || _mentions($deny, "[$level");
        next if $level eq 'emerg' && defined $block->must_die;
        for my $line (grep { /\[$level\]/ } @$lines) {
            Test::More::diag("WARNING: $name - " . fmt_str($line));
        }
    }
    return;
}

sub check_mock_queries {
    my ($block, $mock) = @_;
    return unless $mock;
    my $name = $block->name;
    my @queries = mock_new_queries($mock);
    return unless defined $block->tcp_query || defined $block->tcp_query_len;
    @queries = ('') unless @queries;    # no connection: compare against nothing
    for my $q (@queries) {
        is_str($q, $block->tcp_query, "$name - tcp_query ok") if defined $block->tcp_query;
        Test::More::is(length $q, $block->tcp_query_len, "$name - TCP query length ok")
            if defined $block->tcp_query_len;
    }
    return;
}

# ---------------------------------------------------------------------------
# Running.

sub _nginx_version {
    my $out = `"$NginxBinary" -v 2>&1`;
    return $out =~ m{nginx/(\d+)\.(\d+)\.(\d+)} ? sprintf('%d.%03d%03d', $1, $2, $3) : undef;
}

# `--- skip_nginx: 2: < 1.21.0` and `--- skip_eval: 2: <perl>`; the count is
# accepted for compatibility but the whole block is skipped.
sub _skip_reason {
    my ($block) = @_;
    if (defined(my $spec = $block->skip_nginx)) {
        my ($op, $ver) = $spec =~ /^\s*(?:\d+\s*:\s*)?([<>=!]=?)\s*(\d+\.\d+\.\d+)/
            or die $block->name . " - bad --- skip_nginx value '$spec'\n";
        my $have = _nginx_version();
        my $want = sprintf('%d.%03d%03d', split /\./, $ver);
        my %cmp = ('<' => sub { $_[0] < $_[1] }, '<=' => sub { $_[0] <= $_[1] },
                   '>' => sub { $_[0] > $_[1] }, '>=' => sub { $_[0] >= $_[1] },
                   '==' => sub { $_[0] == $_[1] }, '=' => sub { $_[0] == $_[1] },
                   '!=' => sub { $_[0] != $_[1] });
        return "nginx version $op $ver" if defined $have && $cmp{$op}->($have, $want);
    }
    if (defined(my $spec = $block->skip_eval)) {
        my ($code) = $spec =~ /^\s*(?:\d+\s*:\s*)?(.*)$/s;
        return "skip_eval: $code" if _eval_in_main($code, $block->name . ' --- skip_eval');
    }
    return undef;
}

sub write_user_files {
    my ($block, $p) = @_;
    my $files = $block->user_files;
    return unless defined $files;
    if (!ref $files) {
        my @list;
        for my $line (split /^/m, $files) {
            if ($line =~ /^>>> (\S+)/) { push @list, [$1, ''] }
            elsif (@list) { $list[-1][1] .= $line }
        }
        $files = \@list;
    }
    for my $f (@$files) {
        my ($fname, $body) = @$f;
        my $path = $fname =~ m{^/} ? $fname : "$p->{html}/$fname";
        (my $dir = $path) =~ s{/[^/]*$}{};
        make_path($dir) unless -d $dir;
        spew($path, expand_env(_str($body), $block->name));
    }
    return;
}

sub run_tests {
    my @all = blocks();
    $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort unless defined $ENV{TEST_NGINX_SERVER_PORT};
    $ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;
    $ENV{TEST_NGINX_HTML_DIR} = "$ServRoot/html" unless defined $ENV{TEST_NGINX_HTML_DIR};

    # exit, not die: a die would only end the current block's eval.
    local $SIG{INT}  = sub { kill_children(); exit 130 };
    local $SIG{TERM} = sub { kill_children(); exit 143 };
    local $SIG{PIPE} = 'IGNORE';

    if (!-x $NginxBinary) {
        Test::More::fail("nginx binary $NginxBinary is not executable (set TEST_NGINX_BINARY)");
    } else {
        for my $block ($NoShuffle ? @all : shuffle @all) {
            $_->($block) for @BlockPreprocessors;
            run_block($block);
        }
    }
    $_->() for @CleanupHandlers;
    Test::More::done_testing();
    return;
}

sub run_block {
    my ($block) = @_;
    my $name = $block->name;
    my %ctx = (block => $block);
    my $ok = eval { _run_block(\%ctx); 1 };
    my $err = $@;
    stop_mock($ctx{mock});
    stop_nginx($ctx{nginx}) if $ctx{nginx};
    if (!$ok) {
        chomp $err;
        Test::More::fail("$name - runner error");
        Test::More::diag($err);
    }
    %RandPorts = ();
    return;
}

sub _run_block {
    my ($ctx) = @_;
    my $block = $ctx->{block};
    my $name = $block->name;

    if (defined(my $why = _skip_reason($block))) {
        SKIP: { Test::More::skip("$name - $why", 1) }
        return;
    }

    my $p = setup_servroot($ServRoot);
    write_user_files($block, $p);
    write_config($block, $p);
    $ctx->{mock} = start_mock($block) if defined $block->tcp_listen;

    my $log = { file => $p->{error_log}, pos => 0 };

    if (defined $block->must_die) {
        my ($pid, $why, $status) = start_nginx(root => $ServRoot, port => $ServerPort);
        if ($pid) {
            $ctx->{nginx} = $pid;
            Test::More::fail("$name - nginx must die but it started");
        } elsif (!defined $status) {
            Test::More::fail("$name - nginx neither died nor listened: $why");
        } elsif (length $block->must_die && $block->must_die =~ /^\d+$/) {
            Test::More::is($status >> 8, $block->must_die, "$name - die with the expected exit code");
        } else {
            Test::More::isnt($status, 0, "$name - die as expected");
        }
        # Without `-e`, configuration errors only reach stderr.
        check_error_log($block, $log, 0, early_log_option($NginxBinary) ? undef : slurp($p->{stderr}));
        return;
    }

    my ($pid, $why) = start_nginx(root => $ServRoot, port => $ServerPort);
    if (!$pid) {
        Test::More::fail("$name - nginx started");
        Test::More::diag($why);
        return;
    }
    $ctx->{nginx} = $pid;

    if (defined(my $init = $block->init)) {
        _eval_in_main($init, "$name --- init");
        die "$name - --- init failed: $@" if $@;
    }

    my @reqs = requests_of($block);
    my $timeout = defined $block->timeout ? parse_time($block->timeout) : $Timeout;
    my $wait = parse_time($block->wait);

    for my $rep (0 .. $RepeatEach - 1) {
        my $need_array = @reqs > 1;
        for my $ri (0 .. $#reqs) {
            my $req = $reqs[$ri];
            Test::More::diag("$name - request:\n" . join('', map { $_->{value} } @{ $req->{packets} }))
                if $Verbose;
            my ($raw, $timed_out) = send_request($block, $req->{packets}, $timeout);
            Test::More::diag("$name - response:\n$raw") if $Verbose;
            if ($timed_out && !defined $block->abort) {
                Test::More::fail("ERROR: client socket timed out - $name");
            }

            my $count = $req->{pipelined} || 1;
            $need_array ||= $count > 1;
            for my $k (0 .. $count - 1) {
                my $idx = $req->{pipelined} ? $k : $ri;
                $raw = '' unless defined $raw;
                my ($res, $raw_headers, $left, $perr) = parse_response($raw, $req->{head});
                $raw = $left;
                unless (defined $block->ignore_response) {
                    if (defined $perr) {
                        if ($perr =~ /^response body truncated/) {
                            Test::More::diag("WARNING: $name - $perr") unless $timed_out;
                        } else {
                            Test::More::fail("$name - $perr"
                                . ($timed_out ? " (the client stopped reading at the timeout;"
                                              . " add --- ignore_response to --- abort tests"
                                              . " of streamed replies)" : ''));
                        }
                    }
                    if (defined $left && $k == $count - 1) {
                        Test::More::diag("WARNING: $name - unexpected extra bytes after the response: \""
                                         . fmt_str(substr($left, 0, 200)) . "\"");
                    }
                    check_response($block, $res, $raw_headers, $idx, $rep, $need_array);
                }
                # Between requests of one round, the log is checked for each.
                if ($k < $count - 1 || $ri < $#reqs) {
                    sleep $wait if $wait;
                    check_error_log($block, $log, $rep);
                }
            }
        }
        sleep $wait if $wait;
        check_error_log($block, $log, $rep);
        check_mock_queries($block, $ctx->{mock});
    }
    return;
}

1;
