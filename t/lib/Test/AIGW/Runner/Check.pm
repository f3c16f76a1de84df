package Test::AIGW::Runner::Check;

# The checks of a block, as Test::Nginx names and counts them: the response (status, headers,
# body, the .t file's add_response_body_check subs), the error.log lines of a round
# (error_log, no_error_log, grep_error_log), and what the TCP mock was sent (tcp_query,
# tcp_query_len). Strings that differ are shown where they differ.

use strict;
use warnings;

use Exporter 'import';
use List::Util qw(max min);
use Test::Builder;
use Test::More ();

use Test::AIGW::Runner::Mock qw(mock_new_queries);
use Test::AIGW::Runner::Settings qw($NoLongString $CheckAccumErrLog $ClientPort $ServerPort
                                    @ResponseBodyChecks expand_env);

our @EXPORT_OK = qw(fmt_str is_str describe_difference check_response check_error_log
                    check_mock_queries);

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
# The response.

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
    for my $line (split /\n/, $spec // '') {
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
        (my $summary = $content // '') =~ s/^\s+|\s+$//g;
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

# ---------------------------------------------------------------------------
# error.log.

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

# ---------------------------------------------------------------------------
# The TCP mock.

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

1;
