package Test::AIGW::Runner::Settings;

# The runner's settings: the environment variables Test::Nginx documents, and what a .t file
# sets with repeat_each(), workers(), log_level() and the like (Test::AIGW::Socket's setters
# write them here). Also the expansion of $TEST_NGINX_* in block sections.

use strict;
use warnings;

use Exporter 'import';
use File::Spec;

use Test::AIGW::Host qw(free_port);

our @EXPORT_OK = qw(
    $NginxBinary $ServerPort $ClientPort $ServerAddr $ServRoot $Sleep $Timeout $LogLevel
    $MasterProcess $NoShuffle $CheckAccumErrLog $Verbose $RepeatEach $Workers
    $WorkerConnections $NoLongString $NoRootLocation $ServerName @EnvToNginx
    @BlockPreprocessors @CleanupHandlers @ResponseBodyChecks $StartupBound
    parse_time expand_env forget_rand_ports
);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

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

my %RandPorts;              # TEST_NGINX_RAND_PORT_N => port, per block

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

# A block is over: its $TEST_NGINX_RAND_PORT_N are chosen anew for the next.
sub forget_rand_ports {
    %RandPorts = ();
    return;
}

1;
