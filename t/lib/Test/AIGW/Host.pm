package Test::AIGW::Host;

# What the tests use of the machine they run on: files, loopback ports, programs and log
# files that grow. Core Perl only, and nothing of the runner, so that any .t file can use it
# whichever Test::Nginx runs the blocks.
#
#     use Test::AIGW::Host qw(slurp free_port run_program);

use strict;
use warnings;

use Exporter 'import';
use File::Temp ();
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(slurp spew free_port port_open which run_program tail_new tail_reset);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# A whole file's bytes; '' when it cannot be read.
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

# A loopback port nothing listens on now (something may take it before the caller binds it).
sub free_port {
    my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                     Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or die "cannot find a free port: $!\n";
    my $port = $sock->sockport;
    close $sock;
    return $port;
}

# Whether something accepts connections on $port (of 127.0.0.1 unless $addr).
sub port_open {
    my ($port, $addr) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => $addr || '127.0.0.1', PeerPort => $port,
                                     Proto => 'tcp', Timeout => 0.5);
    return 0 unless $sock;
    close $sock;
    return 1;
}

# The program's path in $PATH, or undef.
sub which {
    my ($name) = @_;
    for my $dir (split /:/, $ENV{PATH} // '') {
        return "$dir/$name" if -x "$dir/$name";
    }
    return;
}

# Runs a program and waits for it; returns (exit code, stdout, stderr, seconds taken). The
# exit code is 128 + the signal when a signal ended it, and -1 when it was killed at the
# bound. A leading hash of options:
#   timeout => seconds    kill it (and its process group) after this long (default: none)
#   env => {NAME => v}    set in its environment
#   dir => path           run it there
#   stdin => file         its stdin (default /dev/null)
#   merge => 1            stderr goes to stdout (stderr comes back '')
sub run_program {
    my (@cmd) = @_;
    my $o = ref $cmd[0] eq 'HASH' ? shift @cmd : {};
    my $tmp = File::Temp->newdir('aigw-run-XXXXXX', TMPDIR => 1);
    my ($out, $err) = ("$tmp/out", "$tmp/err");
    my $t0 = time;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        if (defined $o->{dir}) { chdir $o->{dir} or POSIX::_exit(126) }
        @ENV{ keys %{ $o->{env} } } = values %{ $o->{env} } if $o->{env};
        setpgrp(0, 0) if $o->{timeout};
        open STDIN, '<', $o->{stdin} // '/dev/null' or POSIX::_exit(126);
        open STDOUT, '>', $out or POSIX::_exit(126);
        if ($o->{merge}) { open STDERR, '>&', \*STDOUT or POSIX::_exit(126) }
        else { open STDERR, '>', $err or POSIX::_exit(126) }
        { no warnings 'exec'; exec { $cmd[0] } @cmd; }
        print STDERR "cannot run $cmd[0]: $!\n";
        POSIX::_exit(127);
    }
    my $code = sub { ($? & 127) ? 128 + ($? & 127) : $? >> 8 };
    if (!$o->{timeout}) {
        waitpid($pid, 0);
        return ($code->(), slurp($out), slurp($err), time - $t0);
    }
    my $deadline = $t0 + $o->{timeout};
    while (waitpid($pid, WNOHANG) == 0) {
        if (time > $deadline) {
            kill 'KILL', -$pid;
            kill 'KILL', $pid;
            waitpid($pid, 0);
            return (-1, slurp($out), slurp($err) . "\n(killed after $o->{timeout}s)", time - $t0);
        }
        sleep 0.01;
    }
    return ($code->(), slurp($out), slurp($err), time - $t0);
}

# What a growing file (a log) got since the previous call for it: all of it the first time
# and after tail_reset, and all of it again when it was started anew (it got shorter).
my %Seen;
sub tail_new {
    my ($file) = @_;
    my $text = slurp($file);
    $Seen{$file} = 0 if length $text < ($Seen{$file} // 0);
    my $new = substr($text, $Seen{$file} // 0);
    $Seen{$file} = length $text;
    return $new;
}

sub tail_reset {
    my ($file) = @_;
    delete $Seen{$file};
    return;
}

1;
