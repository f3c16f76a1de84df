package Test::AIGW::Runner::Client;

# The client side of a block: the requests it describes (--- request, raw_request,
# pipelined_requests, more_headers) turned into packets, sent on one connection each while
# reading (--- timeout, abort, shutdown, raw_request_middle_delay), and the responses split
# off the bytes that came back (Content-Length, chunked, none).

use strict;
use warnings;

use Errno qw(EAGAIN EINTR EWOULDBLOCK);
use Exporter 'import';
use IO::Select;
use IO::Socket::INET;
use List::Util qw(max min);
use Time::HiRes qw(sleep time);

use Test::AIGW::Runner::Check qw(fmt_str);
use Test::AIGW::Runner::Settings qw($ServerName $ServerAddr $ClientPort $Sleep parse_time
                                    expand_env);

our @EXPORT_OK = qw(requests_of build_request send_request parse_response);

sub _parse_more_headers {
    my ($text) = @_;
    my ($out, $chunked) = ('', 0);
    for my $line (split /\n+/, $text // '') {
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

{
    package Test::AIGW::Runner::Client::Response;

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
    my $res = Test::AIGW::Runner::Client::Response->new;
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

1;
