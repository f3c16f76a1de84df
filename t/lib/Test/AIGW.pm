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
#                                  # $TEST_NGINX_REDIS_PORT and Test::AIGW::Redis
#     use Test::AIGW 'plain';      # no data-format runner: plain Test::More,
#                                  # with Test::AIGW::Gateway's aigw_nginx_start()
#                                  # and aigw_nginx_stop() (several NGINX at once,
#                                  # one per servroot)
#
# Either way the file also gets the public helpers of Test::AIGW::Host (files, ports,
# programs), ::Redis, ::Gateway and ::HTTP, and block_section(). They never depend on which
# runner runs the blocks.
#
# Environment: TEST_NGINX_AIGW_MODULE (required, the built module),
# TEST_NGINX_ECHO_MODULE (default: Debian's echo module; empty: not loaded),
# TEST_NGINX_BINARY (default /usr/sbin/nginx), and Test::Nginx's TEST_NGINX_*.

use strict;
use warnings;

use File::Spec;

use Test::AIGW::Host ();
use Test::AIGW::Redis ();
use Test::AIGW::Gateway ();
use Test::AIGW::HTTP ();

our $VERSION = '0.01';
our $Runner;        # the data-format runner in use, once chosen

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

    Test::AIGW::Gateway::aigw_load_modules();    # a missing module fails the file now, clearly
    # redis-debug: the same, with DEBUG enabled (DEBUG SLEEP stalls it for timeout tests).
    Test::AIGW::Redis::redis_start(debug => $opt{'redis-debug'})
        if $opt{redis} || $opt{'redis-debug'};

    if ($opt{plain}) {
        _eval_in($caller, 'use Test::More;');
    } else {
        $Runner = choose_runner();
        # `no_plan`: test counts differ between the two runners.
        _eval_in($caller, "use $Runner 'no_plan';");
        $Runner->can('add_block_preprocessor')->(\&preprocess_block);
    }

    for my $module (qw(Host Redis Gateway HTTP)) {
        _eval_in($caller, "Test::AIGW::${module}->import(':all');");
    }
    no strict 'refs';
    *{"${caller}::block_section"} = \&block_section;
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

# A section of a block, undef when the block has none, in a way both runners' block objects
# answer: Test::Base has no accessor for a section no block of the file uses.
sub block_section {
    my ($block, $name) = @_;
    my $v = eval { scalar $block->$name };
    return $v;
}

sub preprocess_block {
    my ($block) = @_;
    my $main = block_section($block, 'main_config');
    $block->set_value(main_config => Test::AIGW::Gateway::aigw_load_modules() . (defined $main ? $main : ''));

    return if defined block_section($block, 'no_error_log');
    my @deny = defined block_section($block, 'error_log') ? ('[alert]', '[emerg]')
                                                          : ('[error]', '[alert]', '[emerg]');
    # A block that expects nginx to refuse its config expects an [emerg].
    @deny = grep { $_ ne '[emerg]' } @deny if defined block_section($block, 'must_die');
    $block->set_value(no_error_log => join('', map { "$_\n" } @deny));
    return;
}

1;
