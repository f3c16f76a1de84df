package Test::AIGW::Runner::Mock;

# The raw TCP mock upstream of a block (--- tcp_listen, tcp_reply, tcp_reply_delay, tcp_query,
# tcp_query_len, tcp_query_auto_timeout, tcp_no_close, tcp_shutdown): bound before nginx
# starts, served from a forked child for the whole block, each connection's query kept in a
# file for the checks.

use strict;
use warnings;

use Errno qw(EAGAIN EINTR EWOULDBLOCK);
use Exporter 'import';
use File::Temp ();
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX qw(WNOHANG);
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(sleep time);

use Test::AIGW::Host qw(slurp spew);
use Test::AIGW::Runner::Nginx qw(watch_child forget_child);
use Test::AIGW::Runner::Settings qw($Timeout parse_time expand_env);

our @EXPORT_OK = qw(start_mock stop_mock mock_new_queries);

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
    watch_child($pid, 'mock');
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
    forget_child($pid);
    unlink $mock->{target} if $mock->{target} =~ /\.sock$/;
    return;
}

1;
