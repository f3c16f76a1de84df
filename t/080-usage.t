# Usage records (issue #5): one XADD per request to the stream aigw:usage, read back from the
# test's private Redis after each request and compared field by field; token counts from
# OpenAI's JSON and SSE usage (cached and reasoning tokens included), estimates when the
# upstream reports none, include_usage spliced into stream requests (the upstream body proven
# byte-exact otherwise) and its chunk stripped unless the client asked (with the "usage":null
# OpenAI then adds to every other chunk), the outcome of upstream errors, cuts and the
# gateway's own errors, the cost aigw_price gives a response (in micro-dollars, and $aigw_cost
# in USD) and the refusal of a model without a price, the $aigw_* log_format variables (which
# must agree with the record), and no raw client key in Redis or error.log.
#
#     prove -I t/lib t/080-usage.t
#
# Ports (loopback, fixed): the gateway on $TEST_NGINX_PORT; 22985 the mock upstream (NGINX +
# echo, same NGINX); 22986 the runner's raw TCP mock; 22987 kept closed.
#
# Each request's record is checked by a response body check: it waits (records are flushed
# about 10 ms after the log phase) until the stream holds one, reads everything, deletes the
# stream and asserts that exactly the expected record is there, and that the access log's
# $aigw_* variables agree with it. A block states its records in `--- usage`: a hash of
# expected fields (strings exact, qr// matched, a sub called with the value and the record),
# an array of those per request, or 'none'; `--- log_cost` the exact $aigw_cost the access log
# shows (USD; empty when the model has no price), per request with an array.

use lib 't/lib';
use Test::AIGW 'redis';
use Digest::SHA qw(sha256_hex);
use IO::Socket::INET;
use JSON::PP ();
use Time::HiRes qw(sleep time);

repeat_each(2);
no_shuffle();
no_long_string();
# At debug NGINX logs request headers, client keys included.
log_level('info');

# The stream's entries as [id, [field, value, ...]].
sub usage_entries { return @{ redis_q('XRANGE', 'aigw:usage', '-', '+') || [] } }

# Waits until the stream holds at least $n entries (at most $bound seconds), then a little
# longer for strays, and returns all entries, deleting the stream.
sub take_records {
    my ($n, $bound) = @_;
    my $deadline = time + $bound;
    while (time < $deadline) {
        last if $n && redis_q('XLEN', 'aigw:usage') >= $n;
        sleep 0.01;
    }
    sleep 0.05;
    my @e = usage_entries();
    redis_q('DEL', 'aigw:usage');
    return @e;
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

# ---- the record ----

our @Fields = qw(ts request_id record_id key_id owner group endpoint model upstream_model channel
                 status http_status error_code stream prompt_tokens completion_tokens total_tokens
                 cached_tokens reasoning_tokens estimated ttft_ms latency_ms attempts cost charged);

# An expected record: a successful chat completion through aigw_pass, no key, unless told.
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
             reasoning_tokens => 0, estimated => 0, ttft_ms => qr/^\d+$/, latency_ms => qr/^\d+$/,
             attempts => 1, cost => 0, charged => 0, %o };
}

# OpenAI's token estimate as the gateway documents it (token_estimate.hpp), for ASCII text: a
# quarter token a byte, rounded up, at least 1 for non-empty text.
sub est { my ($text) = @_; return length $text ? int((length($text) + 3) / 4) : 0 }
# A chat prompt: 3 per message + role + content, and 3 for the reply's priming.
sub est_chat { my $t = 3; while (my ($role, $content) = splice @_, 0, 2) { $t += 3 + est($role) + est($content) } return $t }

sub section_of {
    my ($block, $name) = @_;
    return scalar eval { $block->$name };
}

our $ServRoot = $ENV{TEST_NGINX_SERVER_ROOT};
our $Json = JSON::PP->new->utf8(0);

# The last line of the gateway's JSON access log (see gw()).
sub last_access_log {
    open my $fh, '<', "$ServRoot/logs/usage.log" or return undef;
    my @lines = <$fh>;
    close $fh;
    return undef unless @lines;
    return $Json->decode($lines[-1]);
}

add_response_body_check(sub {
    my ($block, $body, $idx, $rep, $dry) = @_;
    return if $dry;
    my $want = section_of($block, 'usage');
    return unless defined $want;
    $want = $want->[$idx] if ref $want eq 'ARRAY';
    my $name = $block->name . " - usage record (round $rep, req $idx)";

    my $raw_key = section_of($block, 'raw_key');
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
        my @e = take_records(0, 0.3);
        is(scalar @e, 0, "$name: no record") or diag(explain(\@e));
        return;
    }
    my @e = take_records(1, 3);
    is(scalar @e, 1, "$name: exactly one record") or diag(explain(\@e));
    return unless @e;
    my @pairs = @{ $e[-1][1] };
    my (@names, %got);
    while (my ($k, $v) = splice @pairs, 0, 2) { push @names, $k; $got{$k} = $v }
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
                  total_tokens cached_tokens reasoning_tokens estimated ttft_ms latency_ms stream
                  attempts status)) {
        my $g = $f eq 'status' ? $got{http_status} : $got{$f};
        my $l = $log->{$f};
        # $aigw_attempts is empty, not 0, before any attempt.
        $l = 0 if $f eq 'attempts' && $l eq '';
        # Token counts are variables of the endpoints with a JSON body only, $aigw_stream of
        # a known endpoint.
        $l = 0 if $l eq '' && $f =~ /tokens|estimated/ && $got{endpoint} =~ m{^(?:/v1/models|\z)};
        $l = 0 if $l eq '' && $f eq 'stream' && $got{endpoint} eq '';
        push @bad, "$f: log '$l', record '$g'" unless $l eq $g;
    }
    # $aigw_cost: USD, the record's micro-dollars; empty when the model has no price (cost 0).
    my $lc = $log->{cost} // '(none)';
    push @bad, "cost: log '$lc', record '" . ($got{cost} // '(none)') . "'"
        unless $lc eq '' ? ($got{cost} // '') eq '0' : (usd_to_micro($lc) // '') eq ($got{cost} // '');
    ok(!@bad, "$name: the \$aigw_* variables in the access log agree with the record")
        or diag(join "\n", @bad);
    my $want_log_cost = section_of($block, 'log_cost');
    if (defined $want_log_cost) {
        $want_log_cost = $want_log_cost->[$idx] if ref $want_log_cost eq 'ARRAY';
        $want_log_cost =~ s/\s+\z//;
        is($log->{cost}, $want_log_cost, "$name: \$aigw_cost in the access log is '$want_log_cost'");
    }
});

# "0.000106" (USD, as $aigw_cost writes it) -> 106 (micro-dollars); undef if it is not that form.
sub usd_to_micro {
    my ($usd) = @_;
    my ($whole, $frac) = $usd =~ /\A(0|[1-9]\d*)(?:\.(\d{1,6}))?\z/ or return undef;
    $frac //= '';
    return undef if length $frac && $frac =~ /0\z/;    # the shortest form: no trailing zero
    return $whole * 1_000_000 + ($frac . '0' x (6 - length $frac));
}

# `--- usage_null: stripped` (the client did not ask for usage): no chunk the client gets has a
# top-level "usage" member; `kept` (it asked): every chunk with choices has "usage":null, as
# OpenAI sends it. Per request with an array.
add_response_body_check(sub {
    my ($block, $body, $idx, $rep, $dry) = @_;
    return if $dry;
    my $want = section_of($block, 'usage_null');
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
});

# ---- fixture key (aigw_keys on) ----

our $RawKey = 'sk-aigw-UsageFixtureKey000000000000000000000000000000USE1';
{
    my %record = (id => 'key_usageAAAAAAAAAAA', name => 'usage fixture', owner => 'carol@example.com',
                  group => 'team-u', status => 'active', expires_at => 0, models => '*',
                  ip_allow => '', created_at => int(time), last4 => substr($RawKey, -4));
    my $hash = 'aigw:key:{' . sha256_hex($RawKey) . '}';
    redis_q('DEL', $hash);
    redis_q('HSET', $hash, map { ($_, $record{$_}) } sort keys %record);
}

# ---- what the mock upstream answers: OpenAI's wire format ----

our $ChatJson = '{"id":"chatcmpl-AIGWusage0001","object":"chat.completion","created":1733000001,"model":"o1-2024-12-17","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":192,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_aigwmock01"}';

our $ChatJsonNoUsage = '{"id":"chatcmpl-AIGWusage0002","object":"chat.completion","created":1733000001,"model":"local-llama","choices":[{"index":0,"message":{"role":"assistant","content":"Hello, world! This is a test."},"finish_reason":"stop"}]}';

# An OpenAI-compatible server's shapes: no total_tokens (the record sums it), null details.
our $ChatJsonNoTotal = '{"id":"chatcmpl-AIGWusage0004","object":"chat.completion","created":1733000001,"model":"local-llama","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":15,"completion_tokens":4,"prompt_tokens_details":null,"completion_tokens_details":null}}';

# An answer the upstream counts as no tokens at all.
our $ChatJsonZero = '{"id":"chatcmpl-AIGWusage0005","object":"chat.completion","created":1733000001,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"stop"}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}';

our $EmbeddingsJson = '{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0023064255,-0.009327292,-0.0028842222]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}';

our $CompletionJson = '{"id":"cmpl-AIGWusage0003","object":"text_completion","created":1733000003,"model":"gpt-3.5-turbo-instruct","choices":[{"text":"\n\nThis is indeed a test","index":0,"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}';

our $Err500 = '{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}';
our $Err400 = q({"error":{"message":"Invalid value for 'temperature': must be between 0 and 2.","type":"invalid_request_error","param":"temperature","code":"invalid_value"}});

sub chunk {
    my ($delta, %o) = @_;
    my $finish = defined $o{finish} ? qq("$o{finish}") : 'null';
    return '{"id":"chatcmpl-AIGWstream0001","object":"chat.completion.chunk","created":1733000002,'
         . '"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_aigwmock01","choices":[{"index":0,'
         . qq("delta":$delta,"logprobs":null,"finish_reason":$finish}],"usage":null});
}
our $UsageChunk = '{"id":"chatcmpl-AIGWstream0001","object":"chat.completion.chunk","created":1733000002,'
    . '"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_aigwmock01","choices":[],'
    . '"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19,'
    . '"prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},'
    . '"completion_tokens_details":{"reasoning_tokens":3,"audio_tokens":0,'
    . '"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}';
# The streamed text: "Hello, world! Bye." (18 ASCII bytes: 5 estimated tokens).
our @Content = ('Hello', ', world', '! Bye.');
our @Events = (chunk('{"role":"assistant","content":"","refusal":null}'),
               (map { chunk(qq({"content":"$_"})) } @Content),
               chunk('{}', finish => 'stop'));
our $StreamBody = join '', map { "data: $_\n\n" } @Events;
our $StreamWithUsage = $StreamBody . "data: $UsageChunk\n\ndata: [DONE]\n\n";
our $StreamNoUsage = $StreamBody . "data: [DONE]\n\n";
# What a client that did not ask for usage gets: the chunks as OpenAI sends them without
# include_usage, that is without the "usage":null it adds to every chunk when it is set.
sub unasked { (my $s = $_[0]) =~ s/,"usage":null\}/}/g; return $s }
our $ClientStream = unasked($StreamNoUsage);

# A stream that produces no text: the role chunk and the finish chunk only.
our $EmptyStream = join '', map { "data: $_\n\n" } $Events[0], $Events[-1],
    '{"id":"chatcmpl-AIGWstream0001","object":"chat.completion.chunk","created":1733000002,'
    . '"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_aigwmock01","choices":[],'
    . '"usage":{"prompt_tokens":12,"completion_tokens":0,"total_tokens":12}}', '[DONE]';

# Legacy completions, streamed.
sub cchunk {
    my ($text, $finish) = @_;
    return '{"id":"cmpl-AIGWstream0002","object":"text_completion","created":1733000004,'
         . qq("choices":[{"text":"$text","index":0,"logprobs":null,"finish_reason":$finish}],)
         . '"model":"gpt-3.5-turbo-instruct","system_fingerprint":null,"usage":null}';
}
our $CompletionStream = join '', map { "data: $_\n\n" } cchunk('This', 'null'), cchunk(' is a test', 'null'),
    cchunk('', '"length"'),
    '{"id":"cmpl-AIGWstream0002","object":"text_completion","created":1733000004,"choices":[],'
    . '"model":"gpt-3.5-turbo-instruct","system_fingerprint":null,'
    . '"usage":{"prompt_tokens":4,"completion_tokens":5,"total_tokens":9}}',
    '[DONE]';

# "usage":null where OpenAI does not put it, as [what the upstream sends, what a client that did
# not ask for usage gets]: the first member; in the middle; after white space; and inside a
# choice as well as at the top (only the top-level one goes).
our $OddHead = '"id":"chatcmpl-AIGWodd0001","object":"chat.completion.chunk","created":1733000005,'
    . '"model":"gpt-4o-mini-2024-07-18"';
our @OddEvents = (
    ['{"usage":null,' . $OddHead . ',"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
     '{' . $OddHead . ',"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}'],
    ['{' . $OddHead . ',"usage":null,"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}',
     '{' . $OddHead . ',"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}'],
    ['{' . $OddHead . ', "choices":[{"index":0,"delta":{"content":" there"},"finish_reason":null}], "usage": null}',
     '{' . $OddHead . ', "choices":[{"index":0,"delta":{"content":" there"},"finish_reason":null}]}'],
    ['{' . $OddHead . ',"choices":[{"index":0,"delta":{},"finish_reason":"stop","usage":null}],"usage":null}',
     '{' . $OddHead . ',"choices":[{"index":0,"delta":{},"finish_reason":"stop","usage":null}]}'],
);
our $OddStream = join('', map { "data: $_->[0]\n\n" } @OddEvents) . "data: $UsageChunk\n\ndata: [DONE]\n\n";
our $OddClient = join('', map { "data: $_->[1]\n\n" } @OddEvents) . "data: [DONE]\n\n";

# An NGINX single-quoted string.
sub q_ngx { my ($s) = @_; $s =~ s/\\/\\\\/g; $s =~ s/'/\\'/g; return "'$s'" }

# echo directives writing $text event by event, one flush each.
sub echo_events {
    my ($text) = @_;
    my $out = '';
    for my $ev ($text =~ /(.*?\n\n)/gs) {
        (my $line = $ev) =~ s/\n\n\z//;
        $out .= "            echo " . q_ngx($line) . ";\n            echo;\n            echo_flush;\n";
    }
    return $out;
}
sub echo_sse {
    my ($text) = @_;
    return "            echo_read_request_body;\n            default_type text/event-stream;\n"
         . echo_events($text);
}

our $Mock = "    server {\n        listen 127.0.0.1:22985;\n        default_type application/json;\n"
  . "        location = /json/v1/chat/completions { return 200 " . q_ngx($ChatJson) . "; }\n"
  . "        location = /nousage/v1/chat/completions { return 200 " . q_ngx($ChatJsonNoUsage) . "; }\n"
  . "        location = /nototal/v1/chat/completions { return 200 " . q_ngx($ChatJsonNoTotal) . "; }\n"
  . "        location = /zero/v1/chat/completions { return 200 " . q_ngx($ChatJsonZero) . "; }\n"
  . "        location = /json/v1/embeddings { return 200 " . q_ngx($EmbeddingsJson) . "; }\n"
  . "        location = /json/v1/completions { return 200 " . q_ngx($CompletionJson) . "; }\n"
  . "        location = /json/v1/models { return 200 '{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o\",\"object\":\"model\",\"created\":1715367049,\"owned_by\":\"system\"}]}'; }\n"
  . "        location /e500/ { return 500 " . q_ngx($Err500) . "; }\n"
  . "        location /e400/ { return 400 " . q_ngx($Err400) . "; }\n"
  . "        location = /stream/v1/chat/completions {\n" . echo_sse($StreamWithUsage) . "        }\n"
  . "        location = /nousage-stream/v1/chat/completions {\n" . echo_sse($ClientStream) . "        }\n"
  . "        location = /stream/v1/completions {\n" . echo_sse($CompletionStream) . "        }\n"
  . "        location = /empty-stream/v1/chat/completions {\n" . echo_sse($EmptyStream) . "        }\n"
  . "        location = /oddnull-stream/v1/chat/completions {\n" . echo_sse($OddStream) . "        }\n"
  . "        location = /slow-stream/v1/chat/completions {\n"
  . echo_sse("data: $Events[0]\n\n") . "            echo_sleep 0.3;\n"
  . echo_events(join '', map { "data: $_\n\n" } @Events[1 .. $#Events]) . "            echo_sleep 0.2;\n"
  . echo_events("data: $UsageChunk\n\ndata: [DONE]\n\n") . "        }\n"
  . "    }\n";

our $LogFormat = <<'_EOC_';
    log_format usage_json escape=json '{"request_id":"$aigw_request_id","key_id":"$aigw_key_id",'
        '"owner":"$aigw_owner","group":"$aigw_group","model":"$aigw_model",'
        '"upstream_model":"$aigw_upstream_model","channel":"$aigw_channel",'
        '"attempts":"$aigw_attempts","prompt_tokens":"$aigw_prompt_tokens",'
        '"completion_tokens":"$aigw_completion_tokens","total_tokens":"$aigw_total_tokens",'
        '"cached_tokens":"$aigw_cached_tokens","reasoning_tokens":"$aigw_reasoning_tokens",'
        '"estimated":"$aigw_usage_estimated","ttft_ms":"$aigw_ttft","latency_ms":"$aigw_latency",'
        '"stream":"$aigw_stream","cost":"$aigw_cost","status":"$status"}';
_EOC_

our $Http = "    aigw_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;\n    aigw_keys off;\n" . $LogFormat . $Mock;

# Prices (USD per million tokens, per request). Costs are integer micro-dollars: tokens times
# the price per million is micro-dollars, the token part rounded up once, then the request price.
our $Prices = <<'_EOC_';
    aigw_price o1 input=15 output=60 cached_input=7.5 request=0.001;
    aigw_price gpt-4o-mini input=0.15 output=0.6 cached_input=0.075 request=0.0001;
    aigw_price gpt-4o* input=2.5 output=10;
    aigw_price text-embedding-3-small request=0.00002;
    aigw_price per-call input=0 output=0 request=0.0005;
_EOC_

# The gateway's location with aigw_pass to the mock's $prefix (e.g. "/json"), or to $target
# ("host:port/prefix").
sub gw {
    my ($prefix, %o) = @_;
    my $target = $o{target} // "127.0.0.1:22985$prefix";
    return <<"_EOC_";
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
        access_log logs/usage.log usage_json;
@{[ $o{extra} // '' ]}
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://$target/;
        proxy_read_timeout 3s;
    }
_EOC_
}

# A model table: channel "openai" (the mock's $prefix), "dead" (nothing listens), "flaky" (a
# 500 with a JSON body).
sub routed {
    my ($prefix, %o) = @_;
    return <<"_EOC_";
    location /v1/ {
        aigw on;
        aigw_model gpt-4o openai:gpt-4o-2024-08-06;
        aigw_model gpt-4o-mini openai;
        aigw_model dead-model dead;
        aigw_model flaky-model flaky;
        access_log logs/usage.log usage_json;
@{[ $o{extra} // '' ]}
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:22985$prefix/;
    }
    location /_aigw/dead/ {
        internal;
        proxy_pass http://127.0.0.1:22987/;
        proxy_connect_timeout 1s;
    }
    location /_aigw/flaky/ {
        internal;
        proxy_pass http://127.0.0.1:22985/e500/;
    }
_EOC_
}

our $Channels = "    aigw_channel openai location=/_aigw/openai;\n    aigw_channel dead location=/_aigw/dead;\n"
              . "    aigw_channel flaky location=/_aigw/flaky;\n";

# The upstream reply as chunked HTTP, cut into packets at the given body offsets; without
# the last chunk when $cut (the upstream closes mid-stream).
sub sse_reply {
    my ($body, %o) = @_;
    my $head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
             . join('', map { "$_: $o{headers}{$_}\r\n" } sort keys %{ $o{headers} || {} })
             . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    my @packets = ($head);
    my $pos = 0;
    for my $at (@{ $o{cuts} || [] }, length $body) {
        push @packets, sprintf("%x\r\n%s\r\n", $at - $pos, substr($body, $pos, $at - $pos));
        $pos = $at;
    }
    $packets[-1] .= "0\r\n\r\n" unless $o{cut};
    return \@packets;
}

# The TCP mock's reply (tcp_reply): embeddings for /v1/embeddings, the stream for a body with
# "stream":true, else the chat completion; the request body it got, as hex, in X-Mock-Body-Hex.
sub mock_reply {
    my ($query) = @_;
    my ($line) = $query =~ /\A(\S+ \S+)/;
    my ($got) = $query =~ /\r\n\r\n(.*)\z/s;
    $got //= '';
    my %h = ('X-Mock-Body-Hex' => unpack('H*', $got));
    return join '', @{ sse_reply($StreamWithUsage, headers => \%h) }
        if $line !~ m{/v1/embeddings$} && $got =~ /"stream"\s*:\s*true/;
    my $json = $line =~ m{/v1/embeddings$} ? $EmbeddingsJson : $ChatJson;
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Mock-Body-Hex: $h{'X-Mock-Body-Hex'}\r\n"
         . "Content-Length: " . length($json) . "\r\nConnection: close\r\n\r\n$json";
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Http) unless defined section_of($block, 'http_config');
    redis_q('DEL', 'aigw:usage');
    unlink "$ServRoot/logs/usage.log";
});

run_tests();

__DATA__

=== TEST 1: non-streaming: the usage exactly as the upstream reported it, cached and reasoning tokens included
--- config eval: ::gw('/json')
--- request
POST /v1/chat/completions
{"model":"o1","messages":[{"role":"user","content":"Say hello"}]}
--- more_headers
X-Request-Id: usage-t1
--- response_body eval: $::ChatJson
--- usage eval
::rec(request_id => 'usage-t1', model => 'o1', upstream_model => 'o1', prompt_tokens => 2006,
      completion_tokens => 300, total_tokens => 2306, cached_tokens => 1920, reasoning_tokens => 192,
      charged => 1)



=== TEST 2: streaming: usage from the final chunk, exactly; the chunk is stripped since the client did not ask
--- config eval: ::gw('/stream')
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Say hello"}]}
--- more_headers
X-Request-Id: usage-t2
--- response_body eval: $::ClientStream
--- usage_null: stripped
--- response_headers
Content-Type: text/event-stream
--- usage eval
::rec(request_id => 'usage-t2', model => 'gpt-4o-mini', upstream_model => 'gpt-4o-mini', stream => 1,
      prompt_tokens => 12, completion_tokens => 7, total_tokens => 19, cached_tokens => 4,
      reasoning_tokens => 3, charged => 1)



=== TEST 3: streaming, the client asked for usage itself: the stream passes byte-exact, usage chunk included
--- config eval: ::gw('/stream')
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Say hello"}]}
--- more_headers
X-Request-Id: usage-t3
--- response_body eval: $::StreamWithUsage
--- usage_null: kept
--- usage eval
::rec(request_id => 'usage-t3', model => 'gpt-4o-mini', upstream_model => 'gpt-4o-mini', stream => 1,
      prompt_tokens => 12, completion_tokens => 7, total_tokens => 19, cached_tokens => 4,
      reasoning_tokens => 3, charged => 1)



=== TEST 4: include_usage is spliced in before the last brace; every other byte reaches the upstream as sent
--- config eval: ::gw('', target => '127.0.0.1:22986')
--- tcp_listen: 22986
--- tcp_reply eval: \&::mock_reply
--- request
POST /v1/chat/completions
{ "model" : "gpt-4o",	"stream":true , "messages":[{"role":"user","content":"caf\u00e9 \"q\" ✓ {}"}], "temperature" : 0.5 }
--- more_headers
X-Request-Id: usage-t4
--- response_body eval: $::ClientStream
--- response_headers eval
"X-Mock-Body-Hex: " . unpack('H*', qq({ "model" : "gpt-4o",\t"stream":true , "messages":[{"role":"user","content":"caf\\u00e9 \\"q\\" \xe2\x9c\x93 {}"}], "temperature" : 0.5 ,"stream_options":{"include_usage":true}}))
--- usage eval
::rec(request_id => 'usage-t4', stream => 1, prompt_tokens => 12, completion_tokens => 7,
      total_tokens => 19, cached_tokens => 4, reasoning_tokens => 3, charged => 1)



=== TEST 5: an existing stream_options object gets include_usage added; the usage chunk is stripped
--- config eval: ::gw('', target => '127.0.0.1:22986')
--- tcp_listen: 22986
--- tcp_reply eval: \&::mock_reply
--- request eval
"POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"stream_options\": { \"include_obfuscation\" : false },\"stream\":true}"
--- more_headers
X-Request-Id: usage-t5a
--- response_body eval
$::ClientStream
--- usage_null: stripped
--- response_headers eval
"X-Mock-Body-Hex: " . unpack('H*', q({"model":"gpt-4o","stream_options": { "include_obfuscation" : false ,"include_usage":true},"stream":true}))
--- usage eval
::rec(request_id => 'usage-t5a', stream => 1, prompt_tokens => 12, completion_tokens => 7,
      total_tokens => 19, cached_tokens => 4, reasoning_tokens => 3, charged => 1)



=== TEST 5b: include_usage false is set to true; the usage chunk is stripped
--- config eval: ::gw('', target => '127.0.0.1:22986')
--- tcp_listen: 22986
--- tcp_reply eval: \&::mock_reply
--- request eval
"POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"stream_options\":{\"include_usage\": false},\"stream\":true}"
--- more_headers
X-Request-Id: usage-t5b
--- response_body eval
$::ClientStream
--- usage_null: stripped
--- response_headers eval
"X-Mock-Body-Hex: " . unpack('H*', q({"model":"gpt-4o","stream_options":{"include_usage": true},"stream":true}))
--- usage eval
::rec(request_id => 'usage-t5b', stream => 1, prompt_tokens => 12, completion_tokens => 7,
      total_tokens => 19, cached_tokens => 4, reasoning_tokens => 3, charged => 1)



=== TEST 5c: stream_options null is replaced; the usage chunk is stripped
--- config eval: ::gw('', target => '127.0.0.1:22986')
--- tcp_listen: 22986
--- tcp_reply eval: \&::mock_reply
--- request eval
"POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"stream_options\":null,\"stream\":true}"
--- more_headers
X-Request-Id: usage-t5c
--- response_body eval
$::ClientStream
--- usage_null: stripped
--- response_headers eval
"X-Mock-Body-Hex: " . unpack('H*', q({"model":"gpt-4o","stream_options":{"include_usage":true},"stream":true}))
--- usage eval
::rec(request_id => 'usage-t5c', stream => 1, prompt_tokens => 12, completion_tokens => 7,
      total_tokens => 19, cached_tokens => 4, reasoning_tokens => 3, charged => 1)



=== TEST 5d: /v1/completions gets include_usage too; the usage chunk is stripped
--- config eval: ::gw('', target => '127.0.0.1:22986')
--- tcp_listen: 22986
--- tcp_reply eval: \&::mock_reply
--- request eval
"POST /v1/completions\n{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":[\"Say this\",\"is a test\"],\"stream\":true}"
--- more_headers
X-Request-Id: usage-t5d
--- response_body eval
$::ClientStream
--- usage_null: stripped
--- response_headers eval
"X-Mock-Body-Hex: " . unpack('H*', q({"model":"gpt-3.5-turbo-instruct","prompt":["Say this","is a test"],"stream":true,"stream_options":{"include_usage":true}}))
--- usage eval
::rec(request_id => 'usage-t5d', endpoint => '/v1/completions', model => 'gpt-3.5-turbo-instruct',
      upstream_model => 'gpt-3.5-turbo-instruct', stream => 1, prompt_tokens => 12, completion_tokens => 7,
      total_tokens => 19, cached_tokens => 4, reasoning_tokens => 3, charged => 1)



=== TEST 6: the client's own include_usage:true reaches the upstream unchanged and the stream passes byte-exact
--- config eval: ::gw('', target => '127.0.0.1:22986')
--- tcp_listen: 22986
--- tcp_reply eval: \&::mock_reply
--- request eval
"POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{ \"include_usage\" : true }}"
--- more_headers
X-Request-Id: usage-t6a
--- response_body eval
$::StreamWithUsage
--- usage_null: kept
--- response_headers eval
"X-Mock-Body-Hex: " . unpack('H*', q({"model":"gpt-4o","stream":true,"stream_options":{ "include_usage" : true }}))
--- usage eval
::rec(request_id => 'usage-t6a', stream => 1, prompt_tokens => 12, completion_tokens => 7,
      total_tokens => 19, cached_tokens => 4, reasoning_tokens => 3, charged => 1)



=== TEST 6b: a non-stream request reaches the upstream unchanged
--- config eval: ::gw('', target => '127.0.0.1:22986')
--- tcp_listen: 22986
--- tcp_reply eval: \&::mock_reply
--- request eval
"POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"stream\":false}"
--- more_headers
X-Request-Id: usage-t6b
--- response_body eval
$::ChatJson
--- response_headers eval
"X-Mock-Body-Hex: " . unpack('H*', q({"model":"gpt-4o","stream":false}))
--- usage eval
::rec(request_id => 'usage-t6b', prompt_tokens => 2006, completion_tokens => 300, total_tokens => 2306,
      cached_tokens => 1920, reasoning_tokens => 192, charged => 1)



=== TEST 6c: embeddings with stream:true reach the upstream unchanged (not a streamable endpoint)
--- config eval: ::gw('', target => '127.0.0.1:22986')
--- tcp_listen: 22986
--- tcp_reply eval: \&::mock_reply
--- request eval
"POST /v1/embeddings\n{\"model\":\"text-embedding-3-small\",\"input\":\"The food was delicious and the waiter...\",\"stream\":true}"
--- more_headers
X-Request-Id: usage-t6c
--- response_body eval
$::EmbeddingsJson
--- response_headers eval
"X-Mock-Body-Hex: " . unpack('H*', q({"model":"text-embedding-3-small","input":"The food was delicious and the waiter...","stream":true}))
--- usage eval
::rec(request_id => 'usage-t6c', endpoint => '/v1/embeddings', model => 'text-embedding-3-small',
      upstream_model => 'text-embedding-3-small', prompt_tokens => 8, total_tokens => 8,
      ttft_ms => '', charged => 1)



=== TEST 7: "usage":null anywhere at the top level goes when the client did not ask, and only there; a client that asked gets every byte
--- config eval: ::gw('/oddnull-stream')
--- request eval
["POST /v1/chat/completions\n{\"model\":\"gpt-4o-mini\",\"stream\":true}",
 "POST /v1/chat/completions\n{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"]
--- more_headers eval
["X-Request-Id: usage-t6b1\n", "X-Request-Id: usage-t6b2\n"]
--- response_body eval
[$::OddClient, $::OddStream]
--- usage_null eval
['stripped', 'kept']
--- usage eval
[::rec(request_id => 'usage-t6b1', model => 'gpt-4o-mini', upstream_model => 'gpt-4o-mini', stream => 1,
       prompt_tokens => 12, completion_tokens => 7, total_tokens => 19, cached_tokens => 4,
       reasoning_tokens => 3, charged => 1),
 ::rec(request_id => 'usage-t6b2', model => 'gpt-4o-mini', upstream_model => 'gpt-4o-mini', stream => 1,
       prompt_tokens => 12, completion_tokens => 7, total_tokens => 19, cached_tokens => 4,
       reasoning_tokens => 3, charged => 1)]



=== TEST 8: an upstream that reports no usage: estimated=1, prompt from the messages, completion from the answer
--- config eval: ::gw('/nousage')
--- request
POST /v1/chat/completions
{"model":"local-llama","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello"}]}
--- more_headers
X-Request-Id: usage-t7
--- response_body eval: $::ChatJsonNoUsage
--- usage eval
# 3 + "system" 2 + "You are terse." 4, 3 + "user" 1 + "Say hello" 3, 3 priming = 19;
# "Hello, world! This is a test." = 29 bytes = 8.
::rec(request_id => 'usage-t7', model => 'local-llama', upstream_model => 'local-llama',
      prompt_tokens => ::est_chat(system => 'You are terse.', user => 'Say hello'),
      completion_tokens => ::est('Hello, world! This is a test.'), total_tokens => 27, estimated => 1,
      charged => 1)



=== TEST 9: a stream without a usage chunk (include_usage ignored upstream): estimated from the streamed text
--- config eval: ::gw('/nousage-stream')
--- request
POST /v1/chat/completions
{"model":"local-llama","stream":true,"messages":[{"role":"user","content":"Say hello"}]}
--- more_headers
X-Request-Id: usage-t8
--- response_body eval: $::ClientStream
--- usage eval
::rec(request_id => 'usage-t8', model => 'local-llama', upstream_model => 'local-llama', stream => 1,
      prompt_tokens => 10, completion_tokens => ::est(join '', @::Content), total_tokens => 15,
      estimated => 1, charged => 1)



=== TEST 10: usage without total_tokens and with null details (an OpenAI-compatible server): the total is the sum
--- config eval: ::gw('/nototal')
--- request
POST /v1/chat/completions
{"model":"local-llama","messages":[{"role":"user","content":"Say hello"}]}
--- more_headers
X-Request-Id: usage-t9
--- response_body eval: $::ChatJsonNoTotal
--- usage eval
::rec(request_id => 'usage-t9', model => 'local-llama', upstream_model => 'local-llama', prompt_tokens => 15,
      completion_tokens => 4, total_tokens => 19, charged => 1)



=== TEST 11: time to first token is the first event with content, not the first byte
--- config eval: ::gw('/slow-stream')
--- request
POST /v1/chat/completions
{"model":"gpt-4o","stream":true}
--- more_headers
X-Request-Id: usage-t10
--- response_body eval: $::ClientStream
--- usage eval
# The role chunk comes at once, "Hello" 300 ms later, the end 200 ms after that.
::rec(request_id => 'usage-t10', stream => 1, prompt_tokens => 12, completion_tokens => 7,
      total_tokens => 19, cached_tokens => 4, reasoning_tokens => 3, charged => 1,
      ttft_ms => sub { $_[0] =~ /^\d+$/ && $_[0] >= 295 },
      latency_ms => sub { $_[0] =~ /^\d+$/ && $_[0] - $_[1]{ttft_ms} >= 195 })



=== TEST 12: a stream without any text has no time to first token
--- config eval: ::gw('/empty-stream')
--- request
POST /v1/chat/completions
{"model":"gpt-4o","stream":true}
--- more_headers
X-Request-Id: usage-t11
--- response_body eval
::unasked(join '', grep { !/"choices":\[\],/ } $::EmptyStream =~ /(.*?\n\n)/gs)
--- usage eval
::rec(request_id => 'usage-t11', stream => 1, prompt_tokens => 12, total_tokens => 12, ttft_ms => '',
      charged => 1)



=== TEST 13: legacy /v1/completions: the usage of a text_completion
--- config eval: ::gw('/json')
--- request eval
["POST /v1/completions\n{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Say this is a test\"}"]
--- more_headers
X-Request-Id: usage-t12
--- response_body eval: $::CompletionJson
--- usage eval
::rec(request_id => 'usage-t12', endpoint => '/v1/completions', model => 'gpt-3.5-turbo-instruct',
      upstream_model => 'gpt-3.5-turbo-instruct', prompt_tokens => 5, completion_tokens => 7,
      total_tokens => 12, charged => 1)



=== TEST 14: legacy /v1/completions streamed: usage from the final chunk, which the client does not see
--- config eval: ::gw('/stream')
--- request
POST /v1/completions
{"model":"gpt-3.5-turbo-instruct","prompt":"Say this is a test","stream":true}
--- more_headers
X-Request-Id: usage-t13
--- response_body eval
::unasked(join '', grep { !/"choices":\[\],/ } $::CompletionStream =~ /(.*?\n\n)/gs)
--- usage eval
::rec(request_id => 'usage-t13', endpoint => '/v1/completions', model => 'gpt-3.5-turbo-instruct',
      upstream_model => 'gpt-3.5-turbo-instruct', stream => 1, prompt_tokens => 4,
      completion_tokens => 5, total_tokens => 9, charged => 1)



=== TEST 15: embeddings: the upstream's usage, no completion, no first token
--- config eval: ::gw('/json')
--- request
POST /v1/embeddings
{"model":"text-embedding-3-small","input":"The food was delicious and the waiter...","encoding_format":"float"}
--- more_headers
X-Request-Id: usage-t14
--- response_body eval: $::EmbeddingsJson
--- usage eval
::rec(request_id => 'usage-t14', endpoint => '/v1/embeddings', model => 'text-embedding-3-small',
      upstream_model => 'text-embedding-3-small', prompt_tokens => 8, total_tokens => 8, ttft_ms => '',
      charged => 1)



=== TEST 16: an upstream 500 with a JSON body before any token, passed through (JSON and stream requests): upstream_error, nothing charged
--- config eval: ::gw('/e500')
--- request eval
["POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
 "POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"]
--- more_headers eval
["X-Request-Id: usage-t15a\n", "X-Request-Id: usage-t15b\n"]
--- error_code eval
[500, 500]
--- response_body eval
[$::Err500, $::Err500]
--- usage eval
[::rec(request_id => 'usage-t15a', status => 'upstream_error', http_status => 500, ttft_ms => ''),
 ::rec(request_id => 'usage-t15b', status => 'upstream_error', http_status => 500, ttft_ms => '', stream => 1)]



=== TEST 17: an upstream 400 with a JSON body passes through: upstream_error, nothing charged
--- config eval: ::gw('/e400')
--- request
POST /v1/chat/completions
{"model":"gpt-4o","temperature":7,"messages":[{"role":"user","content":"Say hello"}]}
--- more_headers
X-Request-Id: usage-t16
--- error_code: 400
--- response_body eval: $::Err400
--- usage eval
::rec(request_id => 'usage-t16', status => 'upstream_error', http_status => 400, ttft_ms => '')



=== TEST 18: an upstream that cuts the stream after the header: upstream_cut, the tokens produced so far (estimated), the error event at the client
--- config eval: ::gw('', target => '127.0.0.1:22986')
--- tcp_listen: 22986
--- tcp_reply eval
# The role chunk and "Hello", then the connection closes without the last chunk.
my @ev = $::StreamWithUsage =~ /(.*?\n\n)/gs;
::sse_reply(join('', @ev[0, 1]), cuts => [length $ev[0]], cut => 1)
--- tcp_reply_delay: 20ms
--- request
POST /v1/chat/completions
{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Say hello"}]}
--- more_headers
X-Request-Id: usage-t17
--- response_body eval
my @ev = $::StreamWithUsage =~ /(.*?\n\n)/gs;
::unasked(join('', @ev[0, 1]))
. qq(event: error\ndata: {"error":{"message":"The upstream connection was interrupted before the response was complete.","type":"api_error","param":null,"code":"upstream_interrupted"}}\n\n)
--- usage eval
::rec(request_id => 'usage-t17', status => 'upstream_cut', http_status => 200,
      error_code => 'upstream_interrupted', stream => 1, prompt_tokens => 10,
      completion_tokens => ::est('Hello'), total_tokens => 12, estimated => 1, charged => 1)
--- error_log
upstream prematurely closed connection
upstream response for "/v1/chat/completions" was interrupted



=== TEST 19: the gateway's own errors: invalid JSON, no model, a wrong method; status error, the error's code
--- config eval: ::gw('/json')
--- request eval
["POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[",
 "POST /v1/chat/completions\n{\"messages\":[]}",
 "GET /v1/chat/completions"]
--- more_headers eval
["X-Request-Id: usage-t18a\n", "X-Request-Id: usage-t18b\n", "X-Request-Id: usage-t18c\n"]
--- error_code eval
[400, 400, 405]
--- response_body_like eval
[qr/"code":"invalid_json"/, qr/"code":"missing_required_parameter"/, qr/"code":"method_not_allowed"/]
--- usage eval
[::rec(request_id => 'usage-t18a', model => '', upstream_model => '', status => 'error', http_status => 400,
       error_code => 'invalid_json', ttft_ms => '', attempts => 0),
 ::rec(request_id => 'usage-t18b', model => '', upstream_model => '', status => 'error', http_status => 400,
       error_code => 'missing_required_parameter', ttft_ms => '', attempts => 0),
 ::rec(request_id => 'usage-t18c', model => '', upstream_model => '', status => 'error', http_status => 405,
       error_code => 'method_not_allowed', ttft_ms => '', attempts => 0)]



=== TEST 20: GET /v1/models is recorded too: no model, no tokens
--- config eval: ::gw('/json')
--- request
GET /v1/models
--- more_headers
X-Request-Id: usage-t19
--- response_body_like: "object":"list"
--- usage eval
::rec(request_id => 'usage-t19', endpoint => '/v1/models', model => '', upstream_model => '', ttft_ms => '')



=== TEST 21: routed: the channel and the upstream model are recorded; model_not_found is an error record without a channel
--- http_config eval: $::Http . $::Channels
--- config eval: ::routed('/json')
--- request eval
["POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
 "POST /v1/chat/completions\n{\"model\":\"gpt-5-turbo\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"]
--- more_headers eval
["X-Request-Id: usage-t20a\n", "X-Request-Id: usage-t20b\n"]
--- error_code eval
[200, 404]
--- response_body eval
[do { (my $b = $::ChatJson) =~ s/"model":"o1-2024-12-17"/"model":"gpt-4o"/; $b },
 q({"error":{"message":"The model `gpt-5-turbo` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}})]
--- usage eval
[::rec(request_id => 'usage-t20a', upstream_model => 'gpt-4o-2024-08-06', channel => 'openai',
       prompt_tokens => 2006, completion_tokens => 300, total_tokens => 2306, cached_tokens => 1920,
       reasoning_tokens => 192, charged => 1),
 ::rec(request_id => 'usage-t20b', model => 'gpt-5-turbo', upstream_model => '', status => 'error',
       http_status => 404, error_code => 'model_not_found', ttft_ms => '', attempts => 0)]



=== TEST 22: routed stream with the public model name: every event renamed, the usage chunk stripped, usage exact
--- http_config eval: $::Http . $::Channels
--- config eval: ::routed('/stream')
--- request
POST /v1/chat/completions
{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Say hello"}]}
--- more_headers
X-Request-Id: usage-t21
--- response_body eval
(my $b = $::ClientStream) =~ s/"model":"gpt-4o-mini-2024-07-18"/"model":"gpt-4o"/g; $b
--- usage_null: stripped
--- usage eval
::rec(request_id => 'usage-t21', upstream_model => 'gpt-4o-2024-08-06', channel => 'openai', stream => 1,
      prompt_tokens => 12, completion_tokens => 7, total_tokens => 19, cached_tokens => 4,
      reasoning_tokens => 3, charged => 1)



=== TEST 23: routed, every channel failed before answering (unreachable; a 500): status error, all_channels_failed, nothing charged (requests over a second apart: a channel's repeated failures are logged once a second)
--- http_config eval: $::Http . $::Channels
--- config eval: ::routed('/json')
--- request eval
["POST /v1/chat/completions\n{\"model\":\"dead-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
 "POST /v1/chat/completions\n{\"model\":\"flaky-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"]
--- more_headers eval
["X-Request-Id: usage-t22a\n", "X-Request-Id: usage-t22b\n"]
--- error_code eval
[502, 502]
--- response_body_like eval
[qr/"code":"all_channels_failed"/, qr/"code":"all_channels_failed"/]
--- usage eval
[::rec(request_id => 'usage-t22a', model => 'dead-model', upstream_model => 'dead-model', channel => 'dead',
       stream => 1, status => 'error', http_status => 502, error_code => 'all_channels_failed', ttft_ms => ''),
 ::rec(request_id => 'usage-t22b', model => 'flaky-model', upstream_model => 'flaky-model',
       channel => 'flaky', status => 'error', http_status => 502, error_code => 'all_channels_failed',
       ttft_ms => '')]
--- wait: 1.1
--- error_log eval
qr/aigw: all 1 attempts for model "(?:dead|flaky)-model" failed/



=== TEST 24: with a client key: key_id, owner and group in the record and the log; the raw key nowhere in Redis or error.log
--- http_config eval
"    aigw_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;\n" . $::LogFormat . $::Mock
--- config eval: ::gw('/stream')
--- request
POST /v1/chat/completions
{"model":"gpt-4o \"x\" \\ y","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Say hello"}]}
--- more_headers eval
"Authorization: Bearer $::RawKey\nX-Request-Id: usage-t23\n"
--- response_body eval: $::StreamWithUsage
--- usage_null: kept
--- raw_key eval: $::RawKey
--- usage eval
::rec(request_id => 'usage-t23', key_id => 'key_usageAAAAAAAAAAA', owner => 'carol@example.com',
      group => 'team-u', model => 'gpt-4o "x" \ y', upstream_model => 'gpt-4o "x" \ y', stream => 1,
      prompt_tokens => 12, completion_tokens => 7, total_tokens => 19, cached_tokens => 4,
      reasoning_tokens => 3, charged => 1)
--- no_error_log
[error]
[alert]
UsageFixture



=== TEST 25: requests refused for their key in the access phase leave no record
--- http_config eval
"    aigw_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;\n" . $::LogFormat . $::Mock
--- config eval: ::gw('/json')
--- request eval
["POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[]}",
 "POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[]}"]
--- more_headers eval
["X-Request-Id: usage-t24a\n",
 "Authorization: Bearer sk-aigw-UsageFixtureUnknown000000000000000000000000UNK1\nX-Request-Id: usage-t24b\n"]
--- error_code eval
[401, 401]
--- response_body_like eval
[qr/"code":"missing_api_key"/, qr/"code":"invalid_api_key"/]
--- usage eval
['none', 'none']
--- no_error_log
[error]
[alert]
UsageFixture



=== TEST 26: a body over client_max_body_size (by its Content-Length) is refused before the content phase: no record
--- config eval: ::gw('/json', extra => '        client_max_body_size 100;')
--- request eval
"POST /v1/chat/completions\n{\"model\":\"o1\",\"messages\":[{\"role\":\"user\",\"content\":\"" . ('x' x 200) . "\"}]}"
--- error_code: 413
--- response_body_like: "code":"request_too_large"
--- usage: none
--- error_log
client intended to send too large body



=== TEST 27: an unknown path under the gateway reaches the content phase: an error record, no endpoint, no model
--- config eval: ::gw('/json')
--- request eval
["POST /v1/chat/completion\n{\"model\":\"gpt-4o\",\"messages\":[]}",
 "GET /v1/nothing-here"]
--- more_headers eval
["X-Request-Id: usage-t26a\n", "X-Request-Id: usage-t26b\n"]
--- error_code eval
[404, 404]
--- response_body_like eval
[qr/"code":"unknown_url"/, qr/"code":"unknown_url"/]
--- usage eval
[::rec(request_id => 'usage-t26a', endpoint => '', model => '', upstream_model => '', status => 'error',
       http_status => 404, error_code => 'unknown_url', ttft_ms => '', attempts => 0),
 ::rec(request_id => 'usage-t26b', endpoint => '', model => '', upstream_model => '', status => 'error',
       http_status => 404, error_code => 'unknown_url', ttft_ms => '', attempts => 0)]



=== TEST 28: aigw_usage_log off: no record
--- http_config eval: "    aigw_usage_log off;\n" . $::Http
--- config eval: ::gw('/json')
--- request
POST /v1/chat/completions
{"model":"o1","messages":[{"role":"user","content":"Say hello"}]}
--- response_body eval: $::ChatJson
--- usage: none



=== TEST 29: aigw_usage_log redis with maxlen= and queue=: records as usual
--- http_config eval: "    aigw_usage_log redis maxlen=100 queue=50;\n" . $::Http
--- config eval: ::gw('/json')
--- request
POST /v1/chat/completions
{"model":"o1","messages":[{"role":"user","content":"Say hello"}]}
--- more_headers
X-Request-Id: usage-t28
--- response_body eval: $::ChatJson
--- usage eval
::rec(request_id => 'usage-t28', model => 'o1', upstream_model => 'o1', prompt_tokens => 2006,
      completion_tokens => 300, total_tokens => 2306, cached_tokens => 1920, reasoning_tokens => 192,
      charged => 1)



=== TEST 30: priced JSON answer: uncached prompt, cached prompt and completion tokens at their own prices, plus the request price; $aigw_cost in USD
--- http_config eval: $::Prices . $::Http
--- config eval: ::gw('/json')
--- request
POST /v1/chat/completions
{"model":"o1","messages":[{"role":"user","content":"Say hello"}]}
--- more_headers
X-Request-Id: usage-p1
--- response_body eval: $::ChatJson
--- usage eval
# (2006 - 1920) x 15 + 1920 x 7.5 + 300 x 60 = 1290 + 14400 + 18000 = 33690, + 1000 for the request
::rec(request_id => 'usage-p1', model => 'o1', upstream_model => 'o1', prompt_tokens => 2006,
      completion_tokens => 300, total_tokens => 2306, cached_tokens => 1920, reasoning_tokens => 192,
      cost => 34690, charged => 1)
--- log_cost: 0.03469



=== TEST 31: priced stream (the client did not ask for usage; then it did): the token part is rounded up once, to the next micro-dollar
--- http_config eval: $::Prices . $::Http
--- config eval: ::gw('/stream')
--- request eval
["POST /v1/chat/completions\n{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
 "POST /v1/chat/completions\n{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"]
--- more_headers eval
["X-Request-Id: usage-p2a\n", "X-Request-Id: usage-p2b\n"]
--- response_body eval
[$::ClientStream, $::StreamWithUsage]
--- usage_null eval
['stripped', 'kept']
--- usage eval
# (12 - 4) x 0.15 + 4 x 0.075 + 7 x 0.6 = 1.2 + 0.3 + 4.2 = 5.7, rounded up to 6 (not 2 + 1 + 5),
# + 100 for the request
[::rec(request_id => 'usage-p2a', model => 'gpt-4o-mini', upstream_model => 'gpt-4o-mini', stream => 1,
       prompt_tokens => 12, completion_tokens => 7, total_tokens => 19, cached_tokens => 4,
       reasoning_tokens => 3, cost => 106, charged => 1),
 ::rec(request_id => 'usage-p2b', model => 'gpt-4o-mini', upstream_model => 'gpt-4o-mini', stream => 1,
       prompt_tokens => 12, completion_tokens => 7, total_tokens => 19, cached_tokens => 4,
       reasoning_tokens => 3, cost => 106, charged => 1)]
--- log_cost eval
['0.000106', '0.000106']



=== TEST 32: a prefix price (gpt-4o*) without cached_input prices cached tokens as input; a request-only price (embeddings)
--- http_config eval: $::Prices . $::Http
--- config eval: ::gw('/json')
--- request eval
["POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
 "POST /v1/embeddings\n{\"model\":\"text-embedding-3-small\",\"input\":\"The food was delicious and the waiter...\"}"]
--- more_headers eval
["X-Request-Id: usage-p3a\n", "X-Request-Id: usage-p3b\n"]
--- response_body eval
[$::ChatJson, $::EmbeddingsJson]
--- usage eval
# 2006 x 2.5 + 300 x 10 = 5015 + 3000; embeddings: the request price, 0.00002 USD
[::rec(request_id => 'usage-p3a', prompt_tokens => 2006, completion_tokens => 300, total_tokens => 2306,
       cached_tokens => 1920, reasoning_tokens => 192, cost => 8015, charged => 1),
 ::rec(request_id => 'usage-p3b', endpoint => '/v1/embeddings', model => 'text-embedding-3-small',
       upstream_model => 'text-embedding-3-small', prompt_tokens => 8, total_tokens => 8, ttft_ms => '',
       cost => 20, charged => 1)]
--- log_cost eval
['0.008015', '0.00002']



=== TEST 33: priced, the upstream's own error (JSON and stream): nothing the client got, cost 0
--- http_config eval: $::Prices . $::Http
--- config eval: ::gw('/e500')
--- request eval
["POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
 "POST /v1/chat/completions\n{\"model\":\"o1\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"]
--- more_headers eval
["X-Request-Id: usage-p4a\n", "X-Request-Id: usage-p4b\n"]
--- error_code eval
[500, 500]
--- response_body eval
[$::Err500, $::Err500]
--- usage eval
[::rec(request_id => 'usage-p4a', status => 'upstream_error', http_status => 500, ttft_ms => '', cost => 0),
 ::rec(request_id => 'usage-p4b', model => 'o1', upstream_model => 'o1', status => 'upstream_error',
       http_status => 500, ttft_ms => '', stream => 1, cost => 0)]
--- log_cost eval
['0', '0']



=== TEST 34: charged means tokens or a cost: no tokens but a request price is charged; no tokens at a token price is not
--- http_config eval: $::Prices . $::Http
--- config eval: ::gw('/zero')
--- request eval
["POST /v1/chat/completions\n{\"model\":\"per-call\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
 "POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"]
--- more_headers eval
["X-Request-Id: usage-p9a\n", "X-Request-Id: usage-p9b\n"]
--- response_body eval
[$::ChatJsonZero, $::ChatJsonZero]
--- usage eval
[::rec(request_id => 'usage-p9a', model => 'per-call', upstream_model => 'per-call', ttft_ms => '',
       cost => 500, charged => 1),
 ::rec(request_id => 'usage-p9b', ttft_ms => '', cost => 0, charged => 0)]
--- log_cost eval
['0.0005', '0']



=== TEST 35: priced, an upstream that cuts the stream: the tokens the client got (estimated) are priced
--- http_config eval: $::Prices . $::Http
--- config eval: ::gw('', target => '127.0.0.1:22986')
--- tcp_listen: 22986
--- tcp_reply eval
my @ev = $::StreamWithUsage =~ /(.*?\n\n)/gs;
::sse_reply(join('', @ev[0, 1]), cuts => [length $ev[0]], cut => 1)
--- tcp_reply_delay: 20ms
--- request
POST /v1/chat/completions
{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Say hello"}]}
--- more_headers
X-Request-Id: usage-p5
--- response_body eval
my @ev = $::StreamWithUsage =~ /(.*?\n\n)/gs;
::unasked(join('', @ev[0, 1]))
. qq(event: error\ndata: {"error":{"message":"The upstream connection was interrupted before the response was complete.","type":"api_error","param":null,"code":"upstream_interrupted"}}\n\n)
--- usage eval
# 10 x 2.5 + 2 x 10
::rec(request_id => 'usage-p5', status => 'upstream_cut', http_status => 200,
      error_code => 'upstream_interrupted', stream => 1, prompt_tokens => 10,
      completion_tokens => 2, total_tokens => 12, estimated => 1, cost => 45, charged => 1)
--- log_cost: 0.000045
--- error_log
upstream prematurely closed connection
upstream response for "/v1/chat/completions" was interrupted



=== TEST 36: with prices set, a model without one is refused (aigw_price_missing deny, the default), chat and embeddings: 500 model_price_missing, an error record, cost 0
--- http_config eval: $::Prices . $::Http
--- config eval: ::gw('/json')
--- request eval
["POST /v1/chat/completions\n{\"model\":\"gpt-3.5-turbo\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
 "POST /v1/embeddings\n{\"model\":\"text-embedding-3-large\",\"input\":\"hello\"}"]
--- more_headers eval
["X-Request-Id: usage-p6a\n", "X-Request-Id: usage-p6b\n"]
--- error_code eval
[500, 500]
--- response_body eval
[q({"error":{"message":"The gateway has no price for model `gpt-3.5-turbo`, so it cannot serve it. Ask the gateway's operator to set one.","type":"api_error","param":null,"code":"model_price_missing"}}),
 q({"error":{"message":"The gateway has no price for model `text-embedding-3-large`, so it cannot serve it. Ask the gateway's operator to set one.","type":"api_error","param":null,"code":"model_price_missing"}})]
--- usage eval
[::rec(request_id => 'usage-p6a', model => 'gpt-3.5-turbo', upstream_model => '', status => 'error',
       http_status => 500, error_code => 'model_price_missing', ttft_ms => '', attempts => 0, cost => 0),
 ::rec(request_id => 'usage-p6b', endpoint => '/v1/embeddings', model => 'text-embedding-3-large',
       upstream_model => '', status => 'error', http_status => 500, error_code => 'model_price_missing',
       ttft_ms => '', attempts => 0, cost => 0)]
--- log_cost eval
['', '']
--- error_log eval
qr/\[error\] .*aigw: no aigw_price for model "(?:gpt-3\.5-turbo|text-embedding-3-large)" \(aigw_price_missing deny\)/



=== TEST 37: aigw_price_missing deny, said explicitly: the same refusal
--- http_config eval: "    aigw_price_missing deny;\n" . $::Prices . $::Http
--- config eval: ::gw('/json')
--- request
POST /v1/chat/completions
{"model":"local-llama","messages":[]}
--- more_headers
X-Request-Id: usage-p7
--- error_code: 500
--- response_body_like: "code":"model_price_missing"
--- usage eval
::rec(request_id => 'usage-p7', model => 'local-llama', upstream_model => '', status => 'error',
      http_status => 500, error_code => 'model_price_missing', ttft_ms => '', attempts => 0)
--- log_cost eval: ''
--- error_log
aigw: no aigw_price for model "local-llama" (aigw_price_missing deny)



=== TEST 37b: with prices and a model table, a model no route serves is a 404 model_not_found (not a missing price), logged below error
--- http_config eval: $::Prices . $::Http . $::Channels
--- config eval: ::routed('/json')
--- request
POST /v1/chat/completions
{"model":"gpt-5-turbo","messages":[{"role":"user","content":"Say hello"}]}
--- more_headers
X-Request-Id: usage-p7a
--- error_code: 404
--- response_body chomp
{"error":{"message":"The model `gpt-5-turbo` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}
--- usage eval
::rec(request_id => 'usage-p7a', model => 'gpt-5-turbo', upstream_model => '', status => 'error',
      http_status => 404, error_code => 'model_not_found', ttft_ms => '', attempts => 0)
--- log_cost eval: ''
--- no_error_log
[error]
aigw_price_missing



=== TEST 38: with prices set, a request without a model (GET /v1/models) is served, cost 0
--- http_config eval: $::Prices . $::Http
--- config eval: ::gw('/json')
--- request
GET /v1/models
--- more_headers
X-Request-Id: usage-p7b
--- response_body_like: "object":"list"
--- usage eval
::rec(request_id => 'usage-p7b', endpoint => '/v1/models', model => '', upstream_model => '', ttft_ms => '')
--- log_cost eval: ''



=== TEST 39: aigw_price_missing free: a model without a price is served at cost 0 (still charged: it has tokens); a priced one costs as usual
--- http_config eval: "    aigw_price_missing free;\n" . $::Prices . $::Http
--- config eval: ::gw('/json')
--- request eval
["POST /v1/chat/completions\n{\"model\":\"gpt-3.5-turbo\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
 "POST /v1/chat/completions\n{\"model\":\"o1\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"]
--- more_headers eval
["X-Request-Id: usage-p8a\n", "X-Request-Id: usage-p8b\n"]
--- response_body eval
[$::ChatJson, $::ChatJson]
--- usage eval
[::rec(request_id => 'usage-p8a', model => 'gpt-3.5-turbo', upstream_model => 'gpt-3.5-turbo',
       prompt_tokens => 2006, completion_tokens => 300, total_tokens => 2306, cached_tokens => 1920,
       reasoning_tokens => 192, cost => 0, charged => 1),
 ::rec(request_id => 'usage-p8b', model => 'o1', upstream_model => 'o1', prompt_tokens => 2006,
       completion_tokens => 300, total_tokens => 2306, cached_tokens => 1920, reasoning_tokens => 192,
       cost => 34690, charged => 1)]
--- log_cost eval
['', '0.03469']



=== TEST 40: aigw_usage_log redis needs aigw_redis
--- http_config
    aigw_usage_log redis;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
"aigw_usage_log redis" needs "aigw_redis"



=== TEST 41: aigw_usage_log: an unknown target
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_usage_log file;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_usage_log" target "file": "redis" or "off"



=== TEST 42: aigw_usage_log: an unknown parameter
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_usage_log redis maxlen=10 size=5;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_usage_log" parameter "size=5"



=== TEST 43: aigw_usage_log: queue=0
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_usage_log redis queue=0;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_usage_log" value "queue=0"



=== TEST 44: aigw_usage_log: maxlen not a number
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_usage_log redis maxlen=1e6;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_usage_log" value "maxlen=1e6"



=== TEST 45: aigw_usage_log off takes no parameters
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_usage_log off maxlen=5;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
"aigw_usage_log off" takes no parameters



=== TEST 46: aigw_usage_log twice
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_usage_log redis;
    aigw_usage_log off;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
"aigw_usage_log" directive is duplicate



=== TEST 47: aigw_usage_log is an http-level directive only
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    aigw_usage_log off;
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
"aigw_usage_log" directive is not allowed here



=== TEST 48: aigw_price: more than 6 decimals (below a micro-dollar) is refused
--- http_config
    aigw_price o1 input=1.0000001 output=2;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "o1": invalid input "1.0000001"



=== TEST 49: aigw_price: a signed price is refused
--- http_config
    aigw_price o1 input=-1 output=2;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "o1": invalid input "-1"



=== TEST 50: aigw_price: output= missing
--- http_config
    aigw_price o1 input=2.5 cached_input=1.25;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "o1": needs input and output (or request)



=== TEST 51: aigw_price: the same model twice
--- http_config
    aigw_price o1 input=15 output=60;
    aigw_price o1 input=1 output=2;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price": duplicate price for model "o1"



=== TEST 52: aigw_price: an unknown parameter
--- http_config
    aigw_price o1 input=15 output=60 discount=5;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "o1": unknown field "discount"



=== TEST 53: aigw_price is an http-level directive only
--- config
    aigw_price o1 input=15 output=60;
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
"aigw_price" directive is not allowed here



=== TEST 54: aigw_price_missing: deny or free
--- http_config
    aigw_price o1 input=15 output=60;
    aigw_price_missing allow;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid value "allow"
