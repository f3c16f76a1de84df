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
#
# The work is split by job under Test::AIGW::Runner: Settings (the environment and the
# setters' values), Blocks (parsing __DATA__), Nginx (server root, nginx.conf, the process),
# Mock (the TCP mock), Client (requests and responses) and Check (the checks). This module is
# the front a .t file loads: the functions Test::Nginx::Socket exports, and the run of a block.

use strict;
use warnings;

use File::Path qw(make_path);
use List::Util qw(shuffle);
use Test::More ();

use Test::AIGW::Host qw(slurp spew);
use Test::AIGW::Runner::Blocks qw(blocks set_data_package eval_in_main);
use Test::AIGW::Runner::Check qw(is_str fmt_str check_response check_error_log check_mock_queries);
use Test::AIGW::Runner::Client qw(requests_of send_request parse_response);
use Test::AIGW::Runner::Mock qw(start_mock stop_mock);
use Test::AIGW::Runner::Nginx qw(setup_servroot write_config start_nginx stop_nginx
                                 early_log_option kill_children);
use Test::AIGW::Runner::Settings qw(:all);

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
# Exported configuration functions.

sub import {
    my ($class, @args) = @_;
    my $caller = caller;
    set_data_package($caller);
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
        return "skip_eval: $code" if eval_in_main($code, $block->name . ' --- skip_eval');
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
        spew($path, expand_env(defined $body ? $body : "", $block->name));
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
    forget_rand_ports();
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
        eval_in_main($init, "$name --- init");
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
