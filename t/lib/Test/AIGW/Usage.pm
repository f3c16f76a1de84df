package Test::AIGW::Usage;

# The usage record a request leaves in aigw:usage, checked from a block after each request:
#
#     --- usage eval           the expected record: a hash of fields (strings exact, qr//
#     ::rec(model => 'o1')     matched, a sub called with the value and the record), an array
#                              of those per request, or 'none'; rec() fills in a successful
#                              chat completion's fields
#     --- raw_key              a client key that must be nowhere in Redis
#     --- log_cost             the exact $aigw_cost of the access log (USD; empty without a price)
#     --- usage_null           stripped | kept: the client's chunks without a top-level "usage",
#                              or each chunk with choices with "usage":null, as OpenAI sends them
#
# The check waits (records are flushed about 10 ms after the log phase) until the stream holds
# one, takes everything (the stream is deleted) and compares it, and compares the $aigw_*
# variables of the access log's last line (logs/usage.log in $LogFormat, usage_json) with it.
# A .t file registers the checks with the runner:
#
#     use Test::AIGW 'redis';
#     use Test::AIGW::Usage qw(:all);
#     add_response_body_check(\&usage_record_check);
#     add_response_body_check(\&usage_null_check);

use strict;
use warnings;

use Exporter 'import';
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp ();
use JSON::PP ();
use Test::More;
use Time::HiRes qw(sleep time);

use Test::AIGW ();
use Test::AIGW::Host qw(run_program);
use Test::AIGW::Redis qw(redis_q usage_take);

my $Root = abs_path(dirname(abs_path(__FILE__)) . '/../../../..');

our @EXPORT_OK = qw(@Fields $LogFormat rec est est_chat tokens usd_to_micro redis_dump
                    usage_record_check usage_null_check);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

our $Json = JSON::PP->new->utf8(0);

# The access log line the checks compare with the record.
our $LogFormat = <<'_EOC_';
    log_format usage_json escape=json '{"request_id":"$aigw_request_id","key_id":"$aigw_key_id",'
        '"owner":"$aigw_owner","group":"$aigw_group","model":"$aigw_model",'
        '"upstream_model":"$aigw_upstream_model","channel":"$aigw_channel",'
        '"attempts":"$aigw_attempts","prompt_tokens":"$aigw_prompt_tokens",'
        '"completion_tokens":"$aigw_completion_tokens","total_tokens":"$aigw_total_tokens",'
        '"cached_tokens":"$aigw_cached_tokens","cache_write_tokens":"$aigw_cache_write_tokens",'
        '"reasoning_tokens":"$aigw_reasoning_tokens",'
        '"estimated":"$aigw_usage_estimated","counted_by":"$aigw_usage_counted_by",'
        '"ttft_ms":"$aigw_ttft","latency_ms":"$aigw_latency",'
        '"stream":"$aigw_stream","cost":"$aigw_cost","status":"$status"}';
_EOC_

# ---- the record ----

our @Fields = qw(ts request_id record_id key_id owner group endpoint model upstream_model channel
                 status http_status error_code stream prompt_tokens completion_tokens total_tokens
                 cached_tokens cache_write_tokens reasoning_tokens estimated counted_by ttft_ms
                 latency_ms attempts tries cost charged);

# An expected record: a successful chat completion through aigw_pass, no key, unless told.
# cache_write_tokens is 0: OpenAI reports no cache writes, and neither does any mock here.
# counted_by is upstream (and estimated 0): a record the gateway counted says so itself.
sub rec {
    my (%o) = @_;
    # record_id: the gateway's request id when it made one, else (the client sent its own) a
    # fresh id of the same shape.
    my $record_id = sub {
        my ($id, $r) = @_;
        return $id =~ /^req_[0-9a-f]{32}$/
            && ($r->{request_id} !~ /^req_[0-9a-f]{32}$/ || $id eq $r->{request_id});
    };
    return { ts => qr/^\d{13}$/, record_id => $record_id, key_id => '', owner => '', group => '',
             endpoint => '/v1/chat/completions', model => 'gpt-4o', upstream_model => 'gpt-4o',
             channel => '', status => 'ok', http_status => 200, error_code => '', stream => 0,
             prompt_tokens => 0, completion_tokens => 0, total_tokens => 0, cached_tokens => 0,
             cache_write_tokens => 0, reasoning_tokens => 0, estimated => 0, counted_by => 'upstream',
             ttft_ms => qr/^\d+$/, latency_ms => qr/^\d+$/,
             attempts => 1, cost => 0, charged => 0, %o };
}

# OpenAI's token estimate as the gateway documents it (token_estimate.hpp), for ASCII text: a
# quarter token a byte, rounded up, at least 1 for non-empty text.
sub est { my ($text) = @_; return length $text ? int((length($text) + 3) / 4) : 0 }
# A chat prompt: 3 per message + role + content, and 3 for the reply's priming.
sub est_chat { my $t = 3; while (my ($role, $content) = splice @_, 0, 2) { $t += 3 + est($role) + est($content) } return $t }

# The exact count of `$text` (bytes) as scripts/aigw-tokens gives it, with the tokenizer the
# gateway uses: tiktoken's, for `encoding => 'o200k_base'` (the default), 'cl100k_base', or
# the estimate ('estimate'). With `prompt => 1`, $text is an OpenAI request body and the count
# is its prompt's, as the gateway counts a prompt (messages, their framing, tools). Memoized.
my %Counted;
sub tokens {
    my ($text, %o) = @_;
    my @args = ('--encoding', $o{encoding} // 'o200k_base', $o{prompt} ? '--prompt' : ());
    my $key = join("\0", @args, $text);
    return $Counted{$key} if exists $Counted{$key};
    my $in = File::Temp->new(TMPDIR => 1);
    binmode $in;
    print $in $text;
    close $in;
    my ($rc, $out, $err) = run_program({ stdin => $in->filename }, "$Root/scripts/aigw-tokens", @args);
    die "scripts/aigw-tokens @args failed ($rc): $err" if $rc || $out !~ /\A(\d+)\n\z/;
    return $Counted{$key} = $1;
}

# "0.000106" (USD, as $aigw_cost writes it) -> 106 (micro-dollars); undef if it is not that form.
sub usd_to_micro {
    my ($usd) = @_;
    my ($whole, $frac) = $usd =~ /\A(0|[1-9]\d*)(?:\.(\d{1,6}))?\z/ or return undef;
    $frac //= '';
    return undef if length $frac && $frac =~ /0\z/;    # the shortest form: no trailing zero
    return $whole * 1_000_000 + ($frac . '0' x (6 - length $frac));
}

# Everything Redis holds, as one string, for "no raw key" checks.
sub redis_dump {
    my $out = '';
    my $cursor = 0;
    do {
        my $r = redis_q('SCAN', $cursor, 'COUNT', 1000);
        $cursor = $r->[0];
        for my $k (@{ $r->[1] }) {
            my $type = redis_q('TYPE', $k);
            my $v = $type eq 'string' ? [redis_q('GET', $k)]
                  : $type eq 'hash'   ? redis_q('HGETALL', $k)
                  : $type eq 'set'    ? redis_q('SMEMBERS', $k)
                  : $type eq 'list'   ? redis_q('LRANGE', $k, 0, -1)
                  : $type eq 'zset'   ? redis_q('ZRANGE', $k, 0, -1)
                  : $type eq 'stream' ? [map { ($_->[0], @{ $_->[1] }) } @{ redis_q('XRANGE', $k, '-', '+') }]
                  : [];
            $out .= "$k ($type): " . join("\x00", map { defined $_ ? $_ : '' } @$v) . "\n";
        }
    } while ($cursor ne '0');
    return $out;
}

# ---- the checks ----

# The last line of the access log the gateway writes in $LogFormat (logs/usage.log).
sub last_access_log {
    open my $fh, '<', "$ENV{TEST_NGINX_SERVER_ROOT}/logs/usage.log" or return undef;
    my @lines = <$fh>;
    close $fh;
    return undef unless @lines;
    return $Json->decode($lines[-1]);
}

# `--- usage`, `--- raw_key`, `--- log_cost`.
sub usage_record_check {
    my ($block, $body, $idx, $rep, $dry) = @_;
    return if $dry;
    my $want = Test::AIGW::block_section($block, 'usage');
    return unless defined $want;
    $want = $want->[$idx] if ref $want eq 'ARRAY';
    my $name = $block->name . " - usage record (round $rep, req $idx)";

    my $raw_key = Test::AIGW::block_section($block, 'raw_key');
    if (defined $raw_key) {
        # Before the records are taken: everything in Redis, the new record included.
        my $deadline = time + 2;
        sleep 0.01 while time < $deadline && !redis_q('XLEN', 'aigw:usage');
        my $dump = redis_dump();
        $raw_key =~ s/\s+\z//;
        (my $secret = $raw_key) =~ s/^sk-aigw-//;
        ok(index($dump, $secret) < 0, "$name: the raw key is nowhere in Redis")
            or diag($dump);
        like($dump, qr/^aigw:usage \(stream\): /m, "$name: ... whose dump holds the usage stream");
    }

    if (!ref $want && $want eq 'none') {
        my @e = usage_take(wait => 0, bound => 0.3);
        is(scalar @e, 0, "$name: no record") or diag(explain(\@e));
        return;
    }
    my @e = usage_take(wait => 1, bound => 3);
    is(scalar @e, 1, "$name: exactly one record") or diag(explain(\@e));
    return unless @e;
    my @names = @{ $e[-1]{_order} };
    my %got = map { $_ => $e[-1]{$_} } @names;
    is(join(' ', @names), join(' ', @Fields), "$name: the fields, in order");
    my @bad;
    for my $f (@Fields) {
        next unless exists $want->{$f};
        my ($w, $g) = ($want->{$f}, $got{$f});
        my $ok = !defined $g ? 0 : ref $w eq 'Regexp' ? $g =~ $w : ref $w eq 'CODE' ? $w->($g, \%got)
               : $g eq $w;
        push @bad, sprintf("%s: got '%s', expected %s", $f, $g // '(none)',
                           ref $w eq 'CODE' ? 'otherwise' : ref $w ? "like $w" : "'$w'")
            unless $ok;
    }
    ok(!@bad, "$name: fields as expected") or diag(join "\n", @bad);
    if (defined $got{ts} && $got{ts} =~ /^\d+$/) {
        my $skew = abs($got{ts} - int(time * 1000));
        ok($skew < 10_000, "$name: ts is now ($skew ms off)");
    }
    if (defined $got{ttft_ms} && length $got{ttft_ms} && defined $got{latency_ms}) {
        cmp_ok($got{ttft_ms}, '<=', $got{latency_ms}, "$name: ttft_ms <= latency_ms");
    }

    # The access log's $aigw_* variables tell the same story as the record.
    my $log = last_access_log();
    if (!$log || ($log->{request_id} // '') ne ($got{request_id} // '')) {
        fail("$name: the access log's last line is this request's");
        diag(explain($log));
        return;
    }
    @bad = ();
    for my $f (qw(key_id owner group model upstream_model channel prompt_tokens completion_tokens
                  total_tokens cached_tokens cache_write_tokens reasoning_tokens estimated
                  counted_by ttft_ms latency_ms stream attempts status)) {
        my $g = $f eq 'status' ? $got{http_status} : $got{$f};
        my $l = $log->{$f};
        # $aigw_attempts is empty, not 0, before any attempt.
        $l = 0 if $f eq 'attempts' && $l eq '';
        # Token counts are variables of the billed endpoints only (not the model lists, not
        # count_tokens or countTokens), $aigw_stream of a known endpoint.
        my $uncounted = $got{endpoint} =~ m{^(?:/v1/models|\z)|count_?[tT]okens\z};
        $l = 0 if $l eq '' && $f =~ /tokens|estimated/ && $uncounted;
        $l = 'upstream' if $l eq '' && $f eq 'counted_by' && $uncounted;
        $l = 0 if $l eq '' && $f eq 'stream' && $got{endpoint} eq '';
        push @bad, "$f: log '$l', record '$g'" unless $l eq $g;
    }
    # $aigw_cost: USD, the record's micro-dollars; empty when the model has no price (cost 0).
    my $lc = $log->{cost} // '(none)';
    push @bad, "cost: log '$lc', record '" . ($got{cost} // '(none)') . "'"
        unless $lc eq '' ? ($got{cost} // '') eq '0' : (usd_to_micro($lc) // '') eq ($got{cost} // '');
    ok(!@bad, "$name: the \$aigw_* variables in the access log agree with the record")
        or diag(join "\n", @bad);
    my $want_log_cost = Test::AIGW::block_section($block, 'log_cost');
    if (defined $want_log_cost) {
        $want_log_cost = $want_log_cost->[$idx] if ref $want_log_cost eq 'ARRAY';
        $want_log_cost =~ s/\s+\z//;
        is($log->{cost}, $want_log_cost, "$name: \$aigw_cost in the access log is '$want_log_cost'");
    }
}

# `--- usage_null: stripped` (the client did not ask for usage): no chunk the client gets has a
# top-level "usage" member; `kept` (it asked): every chunk with choices has "usage":null, as
# OpenAI sends it. Per request with an array.
sub usage_null_check {
    my ($block, $body, $idx, $rep, $dry) = @_;
    return if $dry;
    my $want = Test::AIGW::block_section($block, 'usage_null');
    return unless defined $want;
    $want = $want->[$idx] if ref $want eq 'ARRAY';
    return unless defined $want;
    $want =~ s/\s+\z//;
    die "usage_null: 'stripped' or 'kept', not '$want'\n" unless $want =~ /^(?:stripped|kept)$/;
    my $name = $block->name . " - usage_null $want (round $rep, req $idx)";
    my (@chunks, @bad);
    for my $data (($body // '') =~ /^data: (\{.*)$/mg) {
        my $obj = eval { JSON::PP->new->utf8->decode($data) };
        if (ref $obj ne 'HASH') { push @bad, "not a JSON object: $data"; next }
        push @chunks, $obj;
        if ($want eq 'stripped') {
            push @bad, "has a usage member: $data" if exists $obj->{usage};
        } elsif (@{ $obj->{choices} || [] }) {
            push @bad, "no \"usage\":null: $data" unless exists $obj->{usage} && !defined $obj->{usage};
        }
    }
    ok(@chunks >= 2, "$name: the client got chunks (" . scalar(@chunks) . ")");
    ok(!@bad, $want eq 'stripped' ? "$name: no chunk has a top-level usage member"
                                  : "$name: every chunk with choices has \"usage\":null")
        or diag(join "\n", @bad);
}

1;
