package Test::AIGW::HTTP;

# HTTP on loopback for the plain Test::More files: requests to a gateway (one at a time or
# many at once) and their responses parsed, and small servers of the test's own (mock
# upstreams, proxies) forked from the test process.
#
#     use Test::AIGW::HTTP qw(http_request http_run http_parse);
#     my $r = http_request($port, path => '/v1/chat/completions', body => $json,
#                          headers => { Authorization => "Bearer $key" });
#     is($r->{status}, 200);    # also $r->{h}{'content-type'}, $r->{body}, $r->{json}

use strict;
use warnings;

use Errno qw(EAGAIN EINTR EWOULDBLOCK);
use Exporter 'import';
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(http_request_text http_raw http_parse http_request http_run http_dechunk
                    read_http_request tcp_server_fork tcp_server_stop);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# The text of one request: `method` (POST with a body, else GET) and `path` (default
# /v1/chat/completions), Host and `Connection: close`, then `headers` (a hash: in name order;
# an array of [name, value]: in that order, names may repeat), then for a `body` a JSON
# Content-Type (unless one is given) and its Content-Length.
sub http_request_text {
    my (%o) = @_;
    my $body = $o{body};
    my $method = $o{method} // (defined $body ? 'POST' : 'GET');
    my @h = ref $o{headers} eq 'ARRAY' ? @{ $o{headers} }
          : map { [$_, $o{headers}{$_}] } sort keys %{ $o{headers} || {} };
    my $text = "$method " . ($o{path} // '/v1/chat/completions') . " HTTP/1.1\r\n"
             . "Host: localhost\r\nConnection: close\r\n"
             . join('', map { "$_->[0]: $_->[1]\r\n" } @h);
    if (defined $body) {
        $text .= "Content-Type: application/json\r\n" unless grep { lc $_->[0] eq 'content-type' } @h;
        $text .= "Content-Length: " . length($body) . "\r\n";
    }
    return $text . "\r\n" . ($body // '');
}

# Sends a request's bytes to 127.0.0.1:$port on a connection of its own and reads until the
# server closes it, or `timeout` (default 10) seconds have passed. Returns (the response
# bytes, seconds taken, undef), or ('', seconds, why) when it could not connect.
sub http_raw {
    my ($port, $text, %o) = @_;
    my $t0 = time;
    local $SIG{PIPE} = 'IGNORE';
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp',
                                  Timeout => 5)
        or return ('', time - $t0, "connect failed: $!");
    binmode $s;
    my $off = 0;
    while ($off < length $text) {
        my $n = syswrite($s, $text, 1 << 20, $off);
        last unless defined $n;
        $off += $n;
    }
    my ($resp, $sel) = ('', IO::Select->new($s));
    my $deadline = time + ($o{timeout} // 10);
    while (time < $deadline) {
        last unless $sel->can_read($deadline - time);
        my $n = sysread($s, $resp, 65536, length $resp);
        last unless $n;
    }
    close $s;
    return ($resp, time - $t0, undef);
}

# A whole response: {status (0 for none), h => {lowercase name => value}, head (the status
# line and headers), body (without a chunked framing), json (the body decoded, or undef)}.
sub http_parse {
    my ($raw) = @_;
    my ($head, $rest) = split /\r\n\r\n/, $raw // '', 2;
    $head //= '';
    my ($status) = $head =~ m{^HTTP/1\.[01] (\d{3})};
    my %h;
    for my $line (split /\r\n/, $head) {
        $h{ lc $1 } = $2 if $line =~ /^([^:\s]+):[ \t]*(.*?)[ \t]*$/;
    }
    $rest //= '';
    $rest = http_dechunk($rest) if ($h{'transfer-encoding'} // '') =~ /chunked/i;
    my $json = eval { JSON::PP::decode_json($rest) };
    return { status => $status // 0, h => \%h, head => $head, body => $rest, json => $json };
}

# One request (http_request_text's options, and http_raw's timeout) to 127.0.0.1:$port:
# http_parse's hash, with `took` (seconds) and `raw`; when it could not connect, status 0 and
# the reason as the body.
sub http_request {
    my ($port, %o) = @_;
    my ($raw, $took, $err) = http_raw($port, http_request_text(%o), timeout => $o{timeout});
    my $r = http_parse($raw);
    $r->{body} = $err if defined $err;
    @$r{qw(took raw)} = ($took, $raw);
    return $r;
}

# Many requests, each on its own connection: @$reqs are [port, request text]. `concurrency`
# of them at a time (default all: every connection made, then every request written, then
# the answers read), for at most `bound` seconds (default 60). Returns the response bytes in
# the same order: '' for a request that could not connect, undef for one unanswered at the
# bound.
sub http_run {
    my ($reqs, %o) = @_;
    my $concurrency = $o{concurrency} // scalar @$reqs;
    my @resp = (undef) x @$reqs;
    my (%inflight, $next, $done);
    my $sel = IO::Select->new;
    ($next, $done) = (0, 0);
    local $SIG{PIPE} = 'IGNORE';
    my $open = sub {
        my ($i) = @_;
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $reqs->[$i][0],
                                      Proto => 'tcp', Timeout => 5);
        if (!$s) { $resp[$i] = ''; $done++; return undef }
        return $s;
    };
    my $start = sub {
        my ($s, $i) = @_;
        syswrite $s, $reqs->[$i][1];
        $s->blocking(0);
        $resp[$i] = '';
        $inflight{ fileno $s } = { sock => $s, i => $i };
        $sel->add($s);
    };
    if ($concurrency >= @$reqs) {
        my @socks = map { $open->($_) } 0 .. $#$reqs;
        for my $i (0 .. $#$reqs) { $start->($socks[$i], $i) if $socks[$i] }
        $next = @$reqs;
    }
    my $deadline = time + ($o{bound} // 60);
    while ($done < @$reqs && time < $deadline) {
        while ($next < @$reqs && keys %inflight < $concurrency) {
            my $i = $next++;
            my $s = $open->($i) or next;
            $start->($s, $i);
        }
        for my $s ($sel->can_read(1)) {
            my $st = $inflight{ fileno $s };
            my $n = sysread($s, my $chunk, 65536);
            next if !defined $n && ($! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR);
            if ($n) { $resp[ $st->{i} ] .= $chunk; next }
            $sel->remove($s);
            delete $inflight{ fileno $s };
            close $s;
            $done++;
        }
    }
    for my $st (values %inflight) {
        close $st->{sock};
        $resp[ $st->{i} ] = undef;
    }
    return @resp;
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

# What a client sent on $sock: its head and as much body as its Content-Length says, read for
# at most $bound seconds (default 5).
sub read_http_request {
    my ($sock, $bound) = @_;
    my $sel = IO::Select->new($sock);
    my $buf = '';
    my $deadline = time + ($bound // 5);
    while (time < $deadline) {
        if ((my $end = index($buf, "\r\n\r\n")) >= 0) {
            my ($len) = substr($buf, 0, $end) =~ /^Content-Length:\s*(\d+)/mi;
            return $buf if length($buf) >= $end + 4 + ($len || 0);
        }
        last unless $sel->can_read($deadline - time);
        my $n = sysread $sock, $buf, 65536, length $buf;
        last unless $n;
    }
    return $buf;
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

# Stops a server tcp_server_fork started (TERM, then KILL after 2 s) and reaps it.
sub tcp_server_stop {
    my ($pid) = @_;
    return unless $pid;
    kill 'TERM', $pid;
    for (1 .. 100) {
        return if waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }
    kill 'KILL', $pid;
    waitpid($pid, 0);
    return;
}

1;
