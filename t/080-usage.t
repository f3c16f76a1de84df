# Usage records (issue #5): one XADD per request to the stream aigw:usage, read back from the
# test's private Redis after each request and compared field by field; token counts from
# OpenAI's JSON and SSE usage (cached and reasoning tokens included, cache writes 0: OpenAI
# reports none), the gateway's own counts when the upstream reports none (exact, tiktoken's,
# for an OpenAI model; estimated for others: counted_by), include_usage spliced into stream
# requests (the upstream body proven byte-exact otherwise) and its chunk stripped unless the
# client asked (with the "usage":null OpenAI then adds to every other chunk), the outcome of
# upstream errors, cuts and the gateway's own errors, the cost aigw_price gives a response (in
# micro-dollars, and $aigw_cost in USD) and the refusal of a model without a price, the $aigw_*
# log_format variables (which must agree with the record), and no raw client key in Redis or
# error.log. What nginx -t says about aigw_usage_log and the prices is t/043-config-usage.t.
#
#     prove -I t/lib t/080-usage.t
#
# Ports (loopback, fixed): the gateway on $TEST_NGINX_PORT; 22985 the mock upstream (NGINX +
# echo, same NGINX); 22986 the runner's raw TCP mock; 22987 kept closed.
#
# Each request's record is checked by Test::AIGW::Usage's response body checks: they wait
# (records are flushed about 10 ms after the log phase) until the stream holds one, read
# everything, delete the stream and assert that exactly the expected record is there, and that
# the access log's $aigw_* variables agree with it. A block states its records in `--- usage`:
# a hash of expected fields (strings exact, qr// matched, a sub called with the value and the
# record; ::rec() fills in the rest), an array of those per request, or 'none'; `--- log_cost`
# the exact $aigw_cost the access log shows (USD; empty when the model has no price), per
# request with an array. The upstream's answers are Test::AIGW::Mock::OpenAI's fixtures.

use lib 't/lib';
use Test::AIGW 'redis';
use Test::AIGW::Mock::OpenAI qw(:all);
use Test::AIGW::Usage qw(:all);

repeat_each(2);
no_shuffle();
no_long_string();
# At debug NGINX logs request headers, client keys included.
log_level('info');

add_response_body_check(\&usage_record_check);
add_response_body_check(\&usage_null_check);

our $ServRoot = $ENV{TEST_NGINX_SERVER_ROOT};

# ---- fixture key (aigw_keys on) ----

our $RawKey = 'sk-aigw-UsageFixtureKey000000000000000000000000000000USE1';
{
    my %record = (id => 'key_usageAAAAAAAAAAA', name => 'usage fixture', owner => 'carol@example.com',
                  group => 'team-u', status => 'active', expires_at => 0, models => '*',
                  ip_allow => '', created_at => int(time), last4 => substr($RawKey, -4));
    my $hash = aigw_key_hash($RawKey);
    redis_q('DEL', $hash);
    redis_q('HSET', $hash, map { ($_, $record{$_}) } sort keys %record);
}

# ---- the mock upstream: OpenAI's wire format (Test::AIGW::Mock::OpenAI's fixtures) ----

our $Mock = openai_mock_server(22985);

our $Http = "    aigw_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;\n    aigw_keys off;\n" . $LogFormat . $Mock;

# Prices (USD per million tokens, per request). Costs are integer micro-dollars: tokens times
# the price per million is micro-dollars, the token part rounded up once, then the request price.
# o1's cache_write never applies: OpenAI reports no cache writes.
our $Prices = <<'_EOC_';
    aigw_price o1 input=15 output=60 cached_input=7.5 cache_write=18.75 request=0.001;
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

# A gpt-4o stream cut after "Hello": its counts, by o200k_base, and their price at gpt-4o*'s
# (micro-dollars, rounded up once).
our $CutPrompt = tokens('{"messages":[{"role":"user","content":"Say hello"}]}', prompt => 1);
our $CutCompletion = tokens('Hello');
our $CutCost = int(($CutPrompt * 25 + $CutCompletion * 100 + 9) / 10);

# Micro-dollars as $aigw_cost writes them: "0.000033".
sub usd { (my $u = sprintf('%.6f', $_[0] / 1e6)) =~ s/\.?0+\z//; return $u }

our $Channels = "    aigw_channel openai location=/_aigw/openai;\n    aigw_channel dead location=/_aigw/dead;\n"
              . "    aigw_channel flaky location=/_aigw/flaky;\n";

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Http) unless defined block_section($block, 'http_config');
    redis_q('DEL', 'aigw:usage');
    unlink "$ServRoot/logs/usage.log";
});

run_tests();

__DATA__

=== TEST 1: non-streaming: the usage exactly as the upstream reported it, cached and reasoning tokens included, no cache writes (OpenAI reports none)
--- config eval: ::gw('/json')
--- request
POST /v1/chat/completions
{"model":"o1","messages":[{"role":"user","content":"Say hello"}]}
--- more_headers
X-Request-Id: usage-t1
--- response_body eval: $::ChatJson
--- usage eval
::rec(request_id => 'usage-t1', model => 'o1', upstream_model => 'o1', prompt_tokens => 2006,
      completion_tokens => 300, total_tokens => 2306, cached_tokens => 1920, cache_write_tokens => 0,
      reasoning_tokens => 192, charged => 1)



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
      cache_write_tokens => 0, reasoning_tokens => 3, charged => 1)



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
--- tcp_reply eval: \&::openai_tcp_reply
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
--- tcp_reply eval: \&::openai_tcp_reply
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
--- tcp_reply eval: \&::openai_tcp_reply
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
--- tcp_reply eval: \&::openai_tcp_reply
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
--- tcp_reply eval: \&::openai_tcp_reply
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
--- tcp_reply eval: \&::openai_tcp_reply
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
--- tcp_reply eval: \&::openai_tcp_reply
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
--- tcp_reply eval: \&::openai_tcp_reply
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



=== TEST 8: an upstream that reports no usage: estimated=1, counted_by=estimate (a model of no known encoding), prompt from the messages, completion from the answer
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
      counted_by => 'estimate', charged => 1)



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
      estimated => 1, counted_by => 'estimate', charged => 1)



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



=== TEST 18: an upstream that cuts the stream after the header: upstream_cut, the tokens produced so far (counted by gpt-4o's tokenizer), the error event at the client
--- config eval: ::gw('', target => '127.0.0.1:22986')
--- tcp_listen: 22986
--- tcp_reply eval
# The role chunk and "Hello", then the connection closes without the last chunk.
my @ev = $::StreamWithUsage =~ /(.*?\n\n)/gs;
::chunked_reply(join('', @ev[0, 1]), cuts => [length $ev[0]], cut => 1)
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
my $prompt = ::tokens('{"messages":[{"role":"user","content":"Say hello"}]}', prompt => 1);
::rec(request_id => 'usage-t17', status => 'upstream_cut', http_status => 200,
      error_code => 'upstream_interrupted', stream => 1, prompt_tokens => $prompt,
      completion_tokens => ::tokens('Hello'), total_tokens => $prompt + ::tokens('Hello'),
      estimated => 1, counted_by => 'tokenizer', charged => 1)
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



=== TEST 30: priced JSON answer: uncached prompt, cached prompt and completion tokens at their own prices, plus the request price (no cache writes, so no cache_write price); $aigw_cost in USD
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
      completion_tokens => 300, total_tokens => 2306, cached_tokens => 1920, cache_write_tokens => 0,
      reasoning_tokens => 192, cost => 34690, charged => 1)
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



=== TEST 35: priced, an upstream that cuts the stream: the tokens the client got (counted by gpt-4o's tokenizer) are priced
--- http_config eval: $::Prices . $::Http
--- config eval: ::gw('', target => '127.0.0.1:22986')
--- tcp_listen: 22986
--- tcp_reply eval
my @ev = $::StreamWithUsage =~ /(.*?\n\n)/gs;
::chunked_reply(join('', @ev[0, 1]), cuts => [length $ev[0]], cut => 1)
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
# prompt x 2.5 + completion x 10 micro-dollars, rounded up
::rec(request_id => 'usage-p5', status => 'upstream_cut', http_status => 200,
      error_code => 'upstream_interrupted', stream => 1, prompt_tokens => $::CutPrompt,
      completion_tokens => $::CutCompletion, total_tokens => $::CutPrompt + $::CutCompletion,
      estimated => 1, counted_by => 'tokenizer', cost => $::CutCost, charged => 1)
--- log_cost eval: ::usd($::CutCost)
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
