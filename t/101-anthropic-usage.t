# Usage and cost of Claude (issue #12): one record per request from Anthropic's answers, as
# OpenAI counts (prompt_tokens = input + cache reads + cache writes; cached_tokens the reads;
# cache_write_tokens the writes), each at its own price (cached_input=, cache_write=), for the
# Messages API passed through and for an OpenAI client translated; a stream's input counts
# from message_start joined with message_delta's output; a stream cut before message_delta
# charged the output it produced so far, estimated. The records are checked as t/080-usage.t
# checks them (Test::AIGW::Usage).
#
# Ports (loopback, fixed): the gateway on $TEST_NGINX_PORT; 2032 the mock Anthropic upstream
# (Test::AIGW::Mock::Anthropic, NGINX + echo, same NGINX); 2033 the runner's raw TCP mock.

use lib 't/lib';
use Test::AIGW 'redis';
use Test::AIGW::Mock::OpenAI qw(chunked_reply);
use Test::AIGW::Mock::Anthropic qw(:all);
use Test::AIGW::Usage qw(:all);

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');

add_response_body_check(\&usage_record_check);

our $ServRoot = $ENV{TEST_NGINX_SERVER_ROOT};

# USD per million tokens: 21 uncached x 3 + 3072 read x 0.30 + 1552 written x 3.75 + 12 out x
# 15 = 63 + 921.6 + 5820 + 180 = 6984.6, rounded up once: 6985 micro-dollars.
our $Http = "    aigw_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;\n    aigw_keys off;\n" . $LogFormat
  . anthropic_mock_server(2032)
  . "    aigw_channel claude location=/_aigw/claude provider=anthropic;\n"
  . "    aigw_channel claude_tcp location=/_aigw/claude_tcp provider=anthropic;\n"
  . "    aigw_price claude-* input=3 output=15 cached_input=0.30 cache_write=3.75;\n";

our $Gateway = <<'_EOC_';
    location /v1/ {
        aigw on;
        aigw_model claude-tcp claude_tcp;
        aigw_model claude-* claude:claude-sonnet-4-5-20250929;
        access_log logs/usage.log usage_json;
    }
    location /_aigw/claude/ {
        internal;
        proxy_pass http://127.0.0.1:2032/;
        proxy_set_header anthropic-version 2023-06-01;
    }
    location /_aigw/claude_tcp/ {
        internal;
        proxy_pass http://127.0.0.1:2033/;
        proxy_read_timeout 3s;
    }
_EOC_

# The record of a Claude answer with $Usage's counts.
sub claude_rec {
    my (%o) = @_;
    return ::rec(model => 'claude-sonnet-4-5', upstream_model => 'claude-sonnet-4-5-20250929',
                 channel => 'claude', prompt_tokens => 4645, completion_tokens => 12,
                 total_tokens => 4657, cached_tokens => 3072, cache_write_tokens => 1552,
                 cost => 6985, charged => 1, %o);
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Http);
    $block->set_value('config', $Gateway);
    redis_q('DEL', 'aigw:usage');
    unlink "$ServRoot/logs/usage.log";
});

run_tests();

__DATA__

=== TEST 1: /v1/messages passed through: input, cache reads and cache writes in prompt_tokens, each at its price
--- request
POST /v1/messages
{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}
--- more_headers
X-Request-Id: claude-u1
--- response_body_like: "usage":\{"input_tokens":21,
--- usage eval
::claude_rec(request_id => 'claude-u1', endpoint => '/v1/messages')
--- log_cost: 0.006985



=== TEST 2: a /v1/messages stream passed through: message_start's input counts joined with message_delta's output
--- request
POST /v1/messages
{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}
--- more_headers
X-Request-Id: claude-u2
--- response_body_like: event: message_stop
--- usage eval
::claude_rec(request_id => 'claude-u2', endpoint => '/v1/messages', stream => 1)



=== TEST 3: an OpenAI client translated: the same record, the same cost; the client's usage chunk says the same counts
--- request
POST /v1/chat/completions
{"model":"claude-sonnet-4-5","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}
--- more_headers
X-Request-Id: claude-u3
--- response_body_like: "usage":\{"prompt_tokens":4645,"completion_tokens":12,"total_tokens":4657,"prompt_tokens_details":\{"cached_tokens":3072\}
--- usage eval
::claude_rec(request_id => 'claude-u3', stream => 1)



=== TEST 4: an OpenAI client's JSON answer translated: the same record
--- request
POST /v1/chat/completions
{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}
--- more_headers
X-Request-Id: claude-u4
--- response_body_like: "object":"chat\.completion"
--- usage eval
::claude_rec(request_id => 'claude-u4')



=== TEST 5: a stream cut after two text deltas, before message_delta: the input counts from message_start, the output produced so far estimated (Claude's tokenizer is not public)
--- tcp_listen: 2033
--- tcp_reply eval
my $cut = ::sse_events(@::TextEvents[0 .. 4]);
::chunked_reply($cut, cut => 1)
--- tcp_reply_delay: 20ms
--- request
POST /v1/messages
{"model":"claude-tcp","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}
--- more_headers
X-Request-Id: claude-u5
--- response_body_like: event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"The upstream connection was interrupted
--- usage eval
::rec(request_id => 'claude-u5', endpoint => '/v1/messages', model => 'claude-tcp', upstream_model => 'claude-tcp',
      channel => 'claude_tcp', status => 'upstream_cut', http_status => 200, error_code => 'upstream_interrupted',
      stream => 1, prompt_tokens => 4645, cached_tokens => 3072, cache_write_tokens => 1552,
      # The two deltas' text, 'Hello, "wö', estimated: more than message_start's output_tokens 1.
      completion_tokens => ::tokens(qq(Hello, "w\xc3\xb6), encoding => 'estimate'),
      total_tokens => 4645 + ::tokens(qq(Hello, "w\xc3\xb6), encoding => 'estimate'),
      estimated => 1, counted_by => 'estimate',
      cost => sub { my ($v, $r) = @_; $v == int(6804.6 + 15 * $r->{completion_tokens} + 0.999999) },
      charged => 1)
--- error_log
upstream prematurely closed connection
