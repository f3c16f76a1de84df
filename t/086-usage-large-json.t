# Usage of JSON answers larger than the 16 MiB the gateway keeps whole (issue #20): a chat
# completion of 17 MB and one of 100 MB (logprobs with top_logprobs make them), usage at the end
# or at the start, reach the client whole and are billed exactly: the upstream's prompt and
# completion tokens, estimated 0, the cost aigw_price gives them. A renamed model over the bound
# goes on unrenamed with a warning, still billed exactly. Without a usage, such an answer is
# estimated on its prompt alone (its text is not collected past the bound).
#
#     prove -I t/lib t/086-usage-large-json.t
#
# Ports (loopback, fixed): the gateway on $TEST_NGINX_PORT; 22984 the mock upstream (the same
# NGINX), which serves the bodies from files this script writes in a temporary directory.

use lib 't/lib';
use Test::AIGW 'redis';
use Test::AIGW::Usage qw(tokens);
use Digest::SHA qw(sha256_hex);
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep time);

repeat_each(2);
no_shuffle();
no_long_string();
log_level('info');

# ---- the bodies: OpenAI's chat completion with logprobs, usage last or first ----

our $Tmp = tempdir('aigw-large-json-XXXXXX', TMPDIR => 1, CLEANUP => 1);  # not in the servroot
chmod 0755, $Tmp;

our $Usage = '"usage":{"prompt_tokens":12,"completion_tokens":20000,"total_tokens":20012,'
           . '"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},'
           . '"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0}}';
# One token's logprobs, with the traps of the scan: a "usage" and a backslash in strings.
our $Entry = '{"token":" the","logprob":-0.0001,"bytes":[32,116,104,101],"top_logprobs":['
           . join(',', ('{"token":" the","logprob":-0.0001,"bytes":[32,116,104,101]}') x 18,
                  '{"token":"\"usage\":{","logprob":-9.5,"bytes":[34,117,115,97,103,101,34,58,123]}',
                  '{"token":"\\\\","logprob":-12.25,"bytes":[92]}') . ']}';

# $where: 'first', 'last' or 'none'.
sub chat_body {
    my ($size, $where) = @_;
    my $usage_first = $where eq 'first';
    my $head = '{"id":"chatcmpl-AIGWlarge0001","object":"chat.completion","created":1733000001,'
             . '"model":"gpt-4o-2024-08-06",' . ($usage_first ? "$Usage," : '')
             . '"choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null},'
             . '"usage":{"prompt_tokens":1,"completion_tokens":1},"logprobs":{"content":[';
    my $tail = ']},"finish_reason":"stop"}]' . ($where eq 'last' ? ",$Usage" : '')
             . ',"service_tier":"default","system_fingerprint":"fp_aigwmock01"}';
    my $n = int(($size - length($head) - length($tail)) / (length($Entry) + 1)) + 1;
    return $head . join(',', ($Entry) x $n) . $tail;
}

our %Body;    # name => [length, sha256]
for my $b (['last17', 17_000_000, 'last'], ['first17', 17_000_000, 'first'],
           ['last100', 100_000_000, 'last'], ['none17', 17_000_000, 'none']) {
    my ($name, $size, $where) = @$b;
    my $body = chat_body($size, $where);
    open my $fh, '>', "$Tmp/$name.json" or die "$Tmp/$name.json: $!";
    print {$fh} $body;
    close $fh or die $!;
    $Body{$name} = [length $body, sha256_hex($body)];
}
die "the 17 MB body is not over the 16 MiB the gateway keeps" unless $Body{last17}[0] > 16 * 1024 * 1024;

# ---- checks ----

# The client got the mock's file exactly: `--- body_of: name`.
add_response_body_check(sub {
    my ($block, $body, $idx, $rep, $dry) = @_;
    return if $dry;
    my $name = eval { $block->body_of };
    return unless defined $name;
    $name =~ s/\s+\z//;
    my $label = $block->name . " (round $rep)";
    is(length($body // ''), $Body{$name}[0], "$label: the client got all $Body{$name}[0] bytes");
    is(sha256_hex($body // ''), $Body{$name}[1], "$label: ... exactly the upstream's");
});

# The one usage record of the request has these fields: `--- record eval: ::exact(field => value)`.
add_response_body_check(sub {
    my ($block, $body, $idx, $rep, $dry) = @_;
    return if $dry;
    my $want = eval { $block->record };
    return unless defined $want;
    die $block->name . ": --- record is not a hash of fields\n" unless ref $want eq 'HASH';
    my $label = $block->name . " (round $rep)";
    my $deadline = time + 3;
    sleep 0.01 while time < $deadline && !redis_q('XLEN', 'aigw:usage');
    my @e = @{ redis_q('XRANGE', 'aigw:usage', '-', '+') || [] };
    redis_q('DEL', 'aigw:usage');
    is(scalar @e, 1, "$label: one usage record");
    return unless @e;
    my %got = @{ $e[0][1] };
    my @bad = map { "$_: got '" . ($got{$_} // '(none)') . "', expected '$want->{$_}'" }
              grep { ($got{$_} // '') ne $want->{$_} } sort keys %$want;
    ok(!@bad, "$label: the record's fields") or diag(join "\n", @bad);
});

# ---- configuration ----

our $Http = <<"_EOC_";
    aigw_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;
    aigw_keys off;
    aigw_price gpt-4o input=2.5 output=10;
    aigw_channel openai location=/_aigw/openai;

    server {
        listen 127.0.0.1:22984;
        default_type application/json;
        # The client's POST becomes a GET of the file (error_page redirects with GET).
        location ~ ^/(\\w+)/v1/chat/completions\$ {
            error_page 405 =200 /files/\$1.json;
            return 405;
        }
        location /files/ {
            internal;
            alias $Tmp/;
        }
    }
_EOC_

sub gw {
    my ($name) = @_;
    return <<"_EOC_";
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:22984/$name/;
    }
_EOC_
}

# The public model gpt-4o is gpt-4o-2024-08-06 upstream: the answer would be renamed back.
sub routed {
    my ($name) = @_;
    return <<"_EOC_";
    location /v1/ {
        aigw on;
        aigw_model gpt-4o openai:gpt-4o-2024-08-06;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:22984/$name/;
    }
_EOC_
}

# 12 prompt tokens at 2.5 and 20000 completion tokens at 10 USD per million: 30 + 200000.
sub exact {
    return { status => 'ok', http_status => 200, prompt_tokens => 12, completion_tokens => 20000,
             total_tokens => 20012, estimated => 0, counted_by => 'upstream', cost => 200030,
             charged => 1, @_ };
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Http) unless defined eval { $block->http_config };
    $block->set_value('timeout', 30) unless defined eval { $block->timeout };
    redis_q('DEL', 'aigw:usage');
});

run_tests();

__DATA__

=== TEST 1: 17 MB, usage at the end: the whole body, and the exact usage and cost
--- config eval: ::gw('last17')
--- request
POST /v1/chat/completions
{"model":"gpt-4o","logprobs":true,"top_logprobs":20,"messages":[{"role":"user","content":"Say hello"}]}
--- body_of: last17
--- record eval: ::exact(model => 'gpt-4o', upstream_model => 'gpt-4o', channel => '')



=== TEST 2: 17 MB, usage first: the same
--- config eval: ::gw('first17')
--- request
POST /v1/chat/completions
{"model":"gpt-4o","logprobs":true,"top_logprobs":20,"messages":[{"role":"user","content":"Say hello"}]}
--- body_of: first17
--- record eval: ::exact(model => 'gpt-4o', upstream_model => 'gpt-4o', channel => '')



=== TEST 3: 100 MB, usage at the end: the same
--- config eval: ::gw('last100')
--- request
POST /v1/chat/completions
{"model":"gpt-4o","logprobs":true,"top_logprobs":20,"messages":[{"role":"user","content":"Say hello"}]}
--- body_of: last100
--- record eval: ::exact(model => 'gpt-4o', upstream_model => 'gpt-4o', channel => '')



=== TEST 4: 17 MB with the model renamed: too large to hold, it goes on unrenamed (a warning), billed exactly
--- config eval: ::routed('last17')
--- request
POST /v1/chat/completions
{"model":"gpt-4o","logprobs":true,"top_logprobs":20,"messages":[{"role":"user","content":"Say hello"}]}
--- body_of: last17
--- record eval: ::exact(model => 'gpt-4o', upstream_model => 'gpt-4o-2024-08-06', channel => 'openai')
--- error_log
is larger than 16777216 bytes: its model is not renamed
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 5: 17 MB without a usage (only the one inside its choice): the prompt counted (gpt-4o's tokenizer), no completion text collected past the bound, as documented
--- config eval: ::gw('none17')
--- request
POST /v1/chat/completions
{"model":"gpt-4o","logprobs":true,"top_logprobs":20,"messages":[{"role":"user","content":"Say hello"}]}
--- body_of: none17
--- record eval
# The prompt, counted by o200k_base; at 2.5 USD per million, rounded up.
my $prompt = ::tokens('{"messages":[{"role":"user","content":"Say hello"}]}', prompt => 1);
::exact(model => 'gpt-4o', prompt_tokens => $prompt, completion_tokens => 0, total_tokens => $prompt,
        estimated => 1, counted_by => 'tokenizer', cost => int(($prompt * 25 + 9) / 10))
