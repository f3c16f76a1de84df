# Usage and cost of the Responses API (issue #13): one record per request, the counts the
# upstream reported: from a passed-through response's usage (JSON) or its response.completed
# event (stream), cached and reasoning tokens included; and from the chat upstream behind a
# translated one, which costs the same as the chat request would. Checked as t/080-usage.t
# checks records (Test::AIGW::Usage).
#
# Ports (loopback, fixed): the gateway on $TEST_NGINX_PORT; 2053 the mock Responses upstream;
# 2054 the mock chat upstream (same NGINX).

use lib 't/lib';
use Test::AIGW 'redis';
use Test::AIGW::Mock::OpenAI qw(openai_mock_server);
use Test::AIGW::Mock::Responses qw(responses_mock_server);
use Test::AIGW::Usage qw(:all);

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');

add_response_body_check(\&usage_record_check);

our $ServRoot = $ENV{TEST_NGINX_SERVER_ROOT};

# USD per million tokens. Passed through: (2048 - 1920) x 2 + 1920 x 0.5 + 12 x 8 = 256 + 960 +
# 96 = 1312 micro-dollars. Translated (the chat mock's stream: 12 prompt, 4 cached, 7 out):
# 8 x 2 + 4 x 0.5 + 7 x 8 = 16 + 2 + 56 = 74.
our $Http = "    aigw_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;\n    aigw_keys off;\n" . $LogFormat
  . responses_mock_server(2053) . openai_mock_server(2054)
  . "    aigw_channel oai location=/_aigw/oai responses=on;\n"
  . "    aigw_channel chat location=/_aigw/chat;\n"
  . "    aigw_price resp-* input=2 output=8 cached_input=0.5;\n"
  . "    aigw_price gpt-* input=2 output=8 cached_input=0.5;\n";

our $Gateway = <<'_EOC_';
    location /v1/ {
        aigw on;
        aigw_model resp-* oai;
        aigw_model gpt-* chat;
        access_log logs/usage.log usage_json;
    }
    location /_aigw/oai/ {
        internal;
        proxy_pass http://127.0.0.1:2053/;
    }
    location /_aigw/chat/ {
        internal;
        proxy_pass http://127.0.0.1:2054/stream/;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Http);
    $block->set_value('config', $Gateway);
    redis_q('DEL', 'aigw:usage');
    unlink "$ServRoot/logs/usage.log";
});

run_tests();

__DATA__

=== TEST 1: a passed-through JSON response: its usage, cached tokens apart
--- request
POST /v1/responses
{"model":"resp-text","input":"hi"}
--- more_headers
X-Request-Id: resp-u1
--- response_body_like: "object": "response"
--- usage eval
::rec(request_id => 'resp-u1', endpoint => '/v1/responses', model => 'resp-text', upstream_model => 'resp-text',
      channel => 'oai', prompt_tokens => 2048, completion_tokens => 12, total_tokens => 2060,
      cached_tokens => 1920, cost => 1312, charged => 1)
--- log_cost: 0.001312



=== TEST 2: a passed-through stream: the usage of response.completed
--- request
POST /v1/responses
{"model":"resp-text","stream":true,"input":"hi"}
--- more_headers
X-Request-Id: resp-u2
--- response_body_like: event: response\.completed
--- usage eval
::rec(request_id => 'resp-u2', endpoint => '/v1/responses', model => 'resp-text', upstream_model => 'resp-text',
      channel => 'oai', stream => 1, prompt_tokens => 2048, completion_tokens => 12, total_tokens => 2060,
      cached_tokens => 1920, cost => 1312, charged => 1)



=== TEST 3: a stream translated from a chat-only channel: the chat upstream's counts, in the record and in response.completed
--- request
POST /v1/responses
{"model":"gpt-4o-mini","stream":true,"input":"hi"}
--- more_headers
X-Request-Id: resp-u3
--- response_body_like: "usage":\{"input_tokens":12,"input_tokens_details":\{"cached_tokens":4\},"output_tokens":7,"output_tokens_details":\{"reasoning_tokens":3\},"total_tokens":19\}
--- usage eval
::rec(request_id => 'resp-u3', endpoint => '/v1/responses', model => 'gpt-4o-mini', upstream_model => 'gpt-4o-mini',
      channel => 'chat', stream => 1, prompt_tokens => 12, completion_tokens => 7, total_tokens => 19,
      cached_tokens => 4, reasoning_tokens => 3, cost => 74, charged => 1)
