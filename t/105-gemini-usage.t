# Usage, cost and keys of Gemini (issue #14): one record per request from Gemini's usageMetadata,
# as OpenAI counts (prompt_tokens = promptTokenCount, cached content included, +
# toolUsePromptTokenCount; completion_tokens = candidatesTokenCount + thoughtsTokenCount, the
# thoughts billed at the output price and counted as reasoning_tokens), for the native ingress
# passed through and for an OpenAI client translated; a stream's counts are its last chunk's
# (every chunk carries the counts so far), never their sum; a stream cut mid-way is charged the
# output it produced, estimated; countTokens is never billed. Keys on Gemini's ingress come as
# x-goog-api-key or ?key=, and their refusals are Google's errors. The records are checked as
# t/080-usage.t checks them (Test::AIGW::Usage).
#
# Ports (loopback, fixed): the gateway on $TEST_NGINX_PORT; 2099 the mock Gemini upstream
# (Test::AIGW::Mock::Gemini, a Perl server forked here).

use lib 't/lib';
use Test::AIGW 'redis';
use Test::AIGW::HTTP qw(tcp_server_stop);
use Test::AIGW::Mock::Gemini qw(gemini_mock_start gemini_mock_log $ApiKey);
use Test::AIGW::Usage qw(:all);
use File::Temp ();

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');

add_response_body_check(\&usage_record_check);

# --- upstream_query: the query of the last request the mock Gemini upstream got; and no request
# it ever got holds a gateway key.
add_response_body_check(sub {
    my ($block, $body, $idx, $rep, $dry) = @_;
    return if $dry;
    my $want = Test::AIGW::block_section($block, 'upstream_query');
    return unless defined $want;
    $want =~ s/\s+\z//;
    my @got = gemini_mock_log($::MockLog);
    is($got[-1]{query}, $want, $block->name . ' - the upstream query is the client\'s without its key');
    unlike(join("\n", map { my $r = $_; $r->{query} . ' ' . join(' ', map { "@$_" } @{ $r->{headers} }) } @got),
           qr/Fixture/, $block->name . ' - no request the upstream got holds a gateway key');
});

our $ServRoot = $ENV{TEST_NGINX_SERVER_ROOT};
our $Dir = File::Temp->newdir('aigw-gemini-usage-XXXXXX', TMPDIR => 1);
our $MockLog = "$Dir/requests.jsonl";
our $MockPid = gemini_mock_start(2099, log => $MockLog);
END { tcp_server_stop($MockPid) if $MockPid }

# A gateway key, written straight into the test's Redis as t/060-keys.t does; its raw form holds
# "Fixture", which no log may show.
our $Key = 'sk-aigw-FixtureGeminiKey00000000000000000000000000GEM1';
our $FlashOnly = 'sk-aigw-FixtureGeminiFlashOnly0000000000000000000GFO1';
{
    my $now = time;
    for ([$Key, 'key_geminiAAAAAAAAAA', '*'], [$FlashOnly, 'key_flashonlyAAAAAAA', 'gemini-2.5-flash']) {
        my ($raw, $id, $models) = @$_;
        my %record = (id => $id, name => 'fixture', owner => 'gem@example.com', group => 'team-g',
                      status => 'active', expires_at => 0, models => $models, ip_allow => '',
                      created_at => $now, last4 => substr($raw, -4));
        redis_cmd('DEL', aigw_key_hash($raw));
        redis_cmd('HSET', aigw_key_hash($raw), map { ($_, $record{$_}) } sort keys %record);
    }
}

# USD per million tokens.
our $Http = "    aigw_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;\n    aigw_keys off;\n" . $LogFormat
  . "    aigw_channel gem location=/_aigw/gem provider=gemini;\n"
  . "    aigw_price gemini-* input=0.30 output=2.50 cached_input=0.075;\n";

our $Gateway = <<"_EOC_";
    aigw_model gemini-flash gem:gemini-2.5-flash;
    aigw_model gemini-* gem;
    location /v1/ {
        aigw on;
        access_log logs/usage.log usage_json;
    }
    location /v1beta/ {
        aigw on;
        access_log logs/usage.log usage_json;
    }
    location /keyed/ {
        aigw on;
        aigw_keys on;
        access_log logs/usage.log usage_json;
    }
    location /_aigw/gem/ {
        internal;
        proxy_pass http://127.0.0.1:2099/;
        proxy_set_header x-goog-api-key $ApiKey;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Http);
    $block->set_value('config', $Gateway);
    redis_q('DEL', 'aigw:usage');
    unlink "$ServRoot/logs/usage.log";
});

# The record of a Gemini answer through the native ingress.
sub gem_rec {
    my (%o) = @_;
    return ::rec(endpoint => '/v1beta/models/{model}:generateContent', model => 'gemini-flash',
                 upstream_model => 'gemini-2.5-flash', channel => 'gem', %o);
}

our $Contents = '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}';

run_tests();

__DATA__

=== TEST 1: generateContent passed through: promptTokenCount and candidatesTokenCount at their prices
--- request eval
"POST /v1beta/models/gemini-flash:generateContent\n$::Contents"
--- more_headers
X-Request-Id: gem-u1
--- response_body_like: "modelVersion": "gemini-flash"
--- usage eval
# 9 x 0.30 + 21 x 2.50 = 55.2, rounded up once.
::gem_rec(request_id => 'gem-u1', prompt_tokens => 9, completion_tokens => 21, total_tokens => 30,
          cost => 56, charged => 1)
--- log_cost: 0.000056



=== TEST 2: a stream passed through: the last chunk's counts, not the sum of the chunks' (each repeats the prompt)
--- request eval
"POST /v1beta/models/gemini-flash:streamGenerateContent?alt=sse\n$::Contents"
--- more_headers
X-Request-Id: gem-u2
--- response_body_like: "finishReason": "STOP"
--- usage eval
::gem_rec(request_id => 'gem-u2', endpoint => '/v1beta/models/{model}:streamGenerateContent', stream => 1,
          prompt_tokens => 9, completion_tokens => 21, total_tokens => 30, cost => 56, charged => 1,
          ttft_ms => qr/^\d+$/)



=== TEST 3: thinking: thoughtsTokenCount is output (at the output price) and reasoning
--- request
POST /v1beta/models/gemini-mock-thinking:generateContent
{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"includeThoughts":true}}}
--- more_headers
X-Request-Id: gem-u3
--- response_body_like: "thoughtsTokenCount": 312
--- usage eval
# 9 x 0.30 + 319 x 2.50 = 800.2.
::gem_rec(request_id => 'gem-u3', model => 'gemini-mock-thinking', upstream_model => 'gemini-mock-thinking',
          prompt_tokens => 9, completion_tokens => 319, total_tokens => 328, reasoning_tokens => 312,
          cost => 801, charged => 1)



=== TEST 4: cached content: inside the prompt, at the cached price
--- request
POST /v1beta/models/gemini-mock-cached:generateContent
{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}
--- more_headers
X-Request-Id: gem-u4
--- response_body_like: "cachedContentTokenCount": 2048
--- usage eval
# 2048 x 0.075 + 52 x 0.30 + 21 x 2.50 = 153.6 + 15.6 + 52.5 = 221.7.
::gem_rec(request_id => 'gem-u4', model => 'gemini-mock-cached', upstream_model => 'gemini-mock-cached',
          prompt_tokens => 2100, cached_tokens => 2048, completion_tokens => 21, total_tokens => 2121,
          cost => 222, charged => 1)



=== TEST 5: tool-use prompt tokens are input
--- request
POST /v1beta/models/gemini-mock-tool-use:generateContent
{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}
--- more_headers
X-Request-Id: gem-u5
--- response_body_like: "toolUsePromptTokenCount": 120
--- usage eval
# 129 x 0.30 + 21 x 2.50 = 38.7 + 52.5 = 91.2.
::gem_rec(request_id => 'gem-u5', model => 'gemini-mock-tool-use', upstream_model => 'gemini-mock-tool-use',
          prompt_tokens => 129, completion_tokens => 21, total_tokens => 150, cost => 92, charged => 1)



=== TEST 6: an OpenAI client's stream translated: the same counts, the same cost; its usage chunk says them
--- request
POST /v1/chat/completions
{"model":"gemini-mock-thinking","stream":true,"stream_options":{"include_usage":true},"reasoning_effort":"low","messages":[{"role":"user","content":"hi"}]}
--- more_headers
X-Request-Id: gem-u6
--- response_body_like: "usage":\{"prompt_tokens":9,"completion_tokens":319,"total_tokens":328,"prompt_tokens_details":\{"cached_tokens":0\},"completion_tokens_details":\{"reasoning_tokens":312\}\}
--- usage eval
::rec(request_id => 'gem-u6', model => 'gemini-mock-thinking', upstream_model => 'gemini-mock-thinking',
      channel => 'gem', stream => 1, prompt_tokens => 9, completion_tokens => 319, total_tokens => 328,
      reasoning_tokens => 312, cost => 801, charged => 1)



=== TEST 7: a stream cut mid-way: the prompt count the chunks so far carried, the output produced so far estimated (Gemini's tokenizer is not public)
--- request
POST /v1beta/models/gemini-mock-reset:streamGenerateContent?alt=sse
{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}
--- more_headers
X-Request-Id: gem-u7
--- response_body_like: \r\n\r\ndata: \{"error":\{"code":502,"message":"The upstream connection was interrupted before the response was complete\.","status":"INTERNAL"\}\}\r\n\r\n\z
--- usage eval
::gem_rec(request_id => 'gem-u7', endpoint => '/v1beta/models/{model}:streamGenerateContent',
          model => 'gemini-mock-reset', upstream_model => 'gemini-mock-reset', stream => 1,
          status => 'upstream_cut', http_status => 200, error_code => 'upstream_interrupted',
          prompt_tokens => 9, completion_tokens => sub { $_[0] > 1 }, total_tokens => sub { $_[0] > 10 },
          estimated => 1, counted_by => 'estimate',
          cost => sub { my ($v, $r) = @_; $v == int(2.7 + 2.5 * $r->{completion_tokens} + 0.999999) },
          charged => 1)
--- error_log
aigw: upstream response for "/v1beta/models/gemini-mock-reset:streamGenerateContent" was interrupted



=== TEST 8: countTokens is never billed
--- request eval
"POST /v1beta/models/gemini-flash:countTokens\n$::Contents"
--- more_headers
X-Request-Id: gem-u8
--- response_body_like: "totalTokens": 9
--- usage eval
::gem_rec(request_id => 'gem-u8', endpoint => '/v1beta/models/{model}:countTokens', ttft_ms => '')



=== TEST 9: a gateway key in ?key= is the client's key: the record names it, the upstream never sees it, the logs show it masked
--- request eval
"POST /keyed/v1beta/models/gemini-flash:generateContent?alt=json&key=$::Key\n$::Contents"
--- more_headers
X-Request-Id: gem-u9
--- response_body_like: model=gemini-2\.5-flash key=AIzaSyAigwMockUpstreamKey0123456789abcd via=x-goog-api-key
--- usage eval
::gem_rec(request_id => 'gem-u9', key_id => 'key_geminiAAAAAAAAAA', owner => 'gem@example.com',
          group => 'team-g', prompt_tokens => 9, completion_tokens => 21, total_tokens => 30, cost => 56,
          charged => 1)
--- no_error_log
Fixture



=== TEST 10: the upstream got alt=json but no key of the client's
--- request eval
"POST /keyed/v1beta/models/gemini-flash:countTokens?key=$::Key&alt=json\n$::Contents"
--- response_body_like: "totalTokens": 9
--- upstream_query: alt=json



=== TEST 11: refusals on Gemini's ingress are Google's errors: no key, an unknown key, a model the key may not use
--- request eval
["POST /keyed/v1beta/models/gemini-flash:generateContent\n$::Contents",
 "POST /keyed/v1beta/models/gemini-flash:generateContent?key=sk-aigw-FixtureGeminiUnknown00000000000000000000000UNK1\n$::Contents",
 "POST /keyed/v1beta/models/gemini-2.5-pro:generateContent\n$::Contents"]
--- more_headers eval
["", "", "x-goog-api-key: $::FlashOnly"]
--- error_code eval
[401, 401, 403]
--- response_body_like eval
[qr/\A\{"error":\{"code":401,"message":"[^"]+","status":"UNAUTHENTICATED"\}\}\z/,
 qr/\A\{"error":\{"code":401,"message":"[^"]*sk-aigw-\xe2\x80\xa6UNK1[^"]*","status":"UNAUTHENTICATED"\}\}\z/,
 qr/\A\{"error":\{"code":403,"message":"[^"]*gemini-2\.5-pro[^"]*","status":"PERMISSION_DENIED"\}\}\z/]
--- no_error_log
Fixture
