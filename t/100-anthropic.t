# Claude through the gateway (issue #12): provider=anthropic channels and the /v1/messages
# ingress. Same dialect on both sides passes byte for byte but the spliced model (thinking
# signatures and cache_control untouched); OpenAI Chat Completions clients of an Anthropic
# channel, and Anthropic Messages clients of an OpenAI channel, go through the pivot both ways:
# the request, the JSON answer, the stream event by event (split into packets anywhere), and
# the errors, each in the client's own shape; fallback on Anthropic's 529; count_tokens and
# the model list in Anthropic's shape.
#
# Ports (loopback, fixed): the gateway on $TEST_NGINX_PORT; 2030 the mock upstreams (NGINX +
# echo, same NGINX), one path prefix per behaviour; 2031 the runner's raw TCP mock.
# The echo behaviours (a_echo, o_echo) answer with a fixed message and put what they were sent
# in X-Mock-Uri and X-Mock-Body, which the gateway passes on to the client.

use lib 't/lib';
use Test::AIGW;
use Test::AIGW::Mock::OpenAI qw(chunked_reply q_ngx echo_sse $ChatJson $StreamWithUsage);

repeat_each(1);
no_shuffle();
no_long_string();
check_accum_error_log();

# ---- Anthropic's wire format ----

our $Model = 'claude-sonnet-4-5-20250929';

our $MsgJson = qq({"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"$Model","content":[{"type":"text","text":"Hello! How can I help?"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":9,"service_tier":"standard"}});

our $MsgTools = qq({"id":"msg_01Tools","type":"message","role":"assistant","model":"$Model","content":[{"type":"thinking","thinking":"The user wants weather.","signature":"EqQBCkYIARgCKkD"},{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location":"Paris"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":400,"output_tokens":60}});

sub ev { my ($type, $data) = @_; return "event: $type\ndata: $data\n\n" }

sub msg_start {
    my ($id, $in) = @_;
    return ev('message_start', qq({"type":"message_start","message":{"id":"$id","type":"message","role":"assistant","model":"$Model","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":$in,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}));
}

our $MsgStream = msg_start('msg_01Stream', 25)
    . ev('content_block_start', '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}')
    . ev('ping', '{"type": "ping"}')
    . ev('content_block_delta', '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}')
    . ev('content_block_delta', qq({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", w\xc3\xb6rld \xf0\x9f\x91\x8b"}}))
    . ev('content_block_stop', '{"type":"content_block_stop","index":0}')
    . ev('message_delta', '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":15}}')
    . ev('message_stop', '{"type":"message_stop"}');

our $ToolStream = msg_start('msg_01ToolStream', 400)
    . ev('content_block_start', '{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}')
    . ev('content_block_delta', '{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Weather, so a tool."}}')
    . ev('content_block_delta', '{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCkYIARgCKkD"}}')
    . ev('content_block_stop', '{"type":"content_block_stop","index":0}')
    . ev('content_block_start', '{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{}}}')
    . ev('content_block_delta', '{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}')
    . ev('content_block_delta', '{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}')
    . ev('content_block_delta', '{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \"Paris\"}"}}')
    . ev('content_block_stop', '{"type":"content_block_stop","index":1}')
    . ev('content_block_start', '{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01B","name":"get_time","input":{}}}')
    . ev('content_block_delta', '{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"tz\":\"CET\"}"}}')
    . ev('content_block_stop', '{"type":"content_block_stop","index":2}')
    . ev('message_delta', '{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}')
    . ev('message_stop', '{"type":"message_stop"}');

our $ErrStream = msg_start('msg_01Err', 7)
    . ev('content_block_start', '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}')
    . ev('content_block_delta', '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}')
    . ev('error', '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}');

sub anthropic_error {
    my ($type, $message) = @_;
    return qq({"type":"error","error":{"type":"$type","message":"$message"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"});
}

# ---- the mocks and the channels ----

our @Anthropic = qw(a_json a_tools a_stream a_tstream a_estream a_529 a_400 a_echo a_count);
our @OpenAI = qw(o_json o_stream o_echo);

our $Mocks = "    server {\n        listen 127.0.0.1:2030;\n        client_body_buffer_size 1m;\n"
  . "        default_type application/json;\n"
  . "        add_header request-id req_mock_0001 always;\n"
  . "        location /a_json/ { echo_read_request_body; echo -n " . q_ngx($MsgJson) . "; }\n"
  . "        location /a_tools/ { echo_read_request_body; echo -n " . q_ngx($MsgTools) . "; }\n"
  . "        location /a_stream/ {\n" . echo_sse($MsgStream) . "        }\n"
  . "        location /a_tstream/ {\n" . echo_sse($ToolStream) . "        }\n"
  . "        location /a_estream/ {\n" . echo_sse($ErrStream) . "        }\n"
  . "        location /a_529/ { return 529 " . q_ngx(anthropic_error('overloaded_error', 'Overloaded')) . "; }\n"
  . "        location /a_400/ { return 400 " . q_ngx(anthropic_error('invalid_request_error', 'max_tokens: Field required')) . "; }\n"
  . "        location /a_echo/ {\n            echo_read_request_body;\n"
  . "            add_header X-Mock-Uri \$request_uri;\n            add_header X-Mock-Body \$request_body;\n"
  . "            echo -n " . q_ngx($MsgJson) . ";\n        }\n"
  . "        location /a_count/ { echo_read_request_body; add_header X-Mock-Uri \$request_uri; echo -n '{\"input_tokens\":42}'; }\n"
  . "        location /o_json/ { echo_read_request_body; echo -n " . q_ngx($ChatJson) . "; }\n"
  . "        location /o_stream/ {\n" . echo_sse($StreamWithUsage) . "        }\n"
  . "        location /o_echo/ {\n            echo_read_request_body;\n"
  . "            add_header X-Mock-Uri \$request_uri;\n            add_header X-Mock-Body \$request_body;\n"
  . "            echo -n " . q_ngx($ChatJson) . ";\n        }\n"
  . "    }\n";

our $Channels = join('', map { "    aigw_channel $_ location=/_aigw/$_ provider=anthropic;\n" } @Anthropic)
  . join('', map { "    aigw_channel $_ location=/_aigw/$_ provider=openai;\n" } @OpenAI)
  . "    aigw_channel a_tcp location=/_aigw/a_tcp provider=anthropic;\n"
  . "    aigw_channel a_json2 location=/_aigw/a_json provider=anthropic priority=1;\n";

our $Locations = join('', map {
    "    location /_aigw/$_/ {\n        internal;\n        proxy_pass http://127.0.0.1:2030/$_/;\n"
  . "        proxy_set_header x-api-key sk-ant-upstream;\n"
  . "        proxy_set_header anthropic-version 2023-06-01;\n    }\n" } @Anthropic, @OpenAI)
  . "    location /_aigw/a_tcp/ {\n        internal;\n        proxy_pass http://127.0.0.1:2031/;\n"
  . "        proxy_read_timeout 3s;\n    }\n";

# Every block gets the mocks, the channels and their locations; it declares its models and
# its gateway location.
add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $::Mocks . $::Channels . ($block->http_config // ''));
    $block->set_value('config', ($block->config // '') . $::Locations);
});

our $Gateway = <<'_EOC_';
    location /v1/ {
        aigw on;
        aigw_model claude-json   a_json:claude-sonnet-4-5-20250929;
        aigw_model claude-tools  a_tools;
        aigw_model claude-stream a_stream;
        aigw_model claude-tools-stream a_tstream;
        aigw_model claude-err-stream a_estream;
        aigw_model claude-400    a_400;
        aigw_model claude-529    a_529;
        aigw_model claude-fallback a_529 a_json2;
        aigw_model claude-echo   a_echo:claude-upstream-name;
        aigw_model claude-count  a_count;
        aigw_model claude-tcp    a_tcp;
        aigw_model claude-*      a_json;
        aigw_model gpt-json      o_json:gpt-4o-mini;
        aigw_model gpt-stream    o_stream;
        aigw_model gpt-echo      o_echo;
        aigw_model gpt-any       o_json a_json;
    }
_EOC_


# OpenAI chunks as the gateway writes them from another dialect's stream: `id`, the model,
# then per chunk its delta (JSON text) and finish reason; `created` is the gateway's clock,
# so the pattern takes any. With `usage` (JSON text) the usage chunk before [DONE], and
# "usage":null on every other chunk, as OpenAI does with include_usage.
sub oai_stream {
    my ($id, $model, $chunks, $usage) = @_;
    my $null = defined $usage ? ',"usage":null' : '';
    my $out = '';
    for my $c (@$chunks) {
        my ($delta, $finish) = @$c;
        $out .= qq(data: {"id":"$id","object":"chat.completion.chunk","created":CREATED,"model":"$model","choices":[{"index":0,"delta":$delta,"logprobs":null,"finish_reason":) . ($finish // 'null') . "}]$null}\n\n";
    }
    $out .= qq(data: {"id":"$id","object":"chat.completion.chunk","created":CREATED,"model":"$model","choices":[],"usage":$usage}\n\n) if defined $usage;
    return $out . "data: [DONE]\n\n";
}

# A pattern for the whole text, any 10-digit time where it says CREATED.
sub created_any {
    my ($text) = @_;
    my $re = join '\d{10}', map { quotemeta } split /CREATED/, $text, -1;
    return qr/\A$re\z/;
}

our $FirstDelta = '{"role":"assistant","content":"","refusal":null}';

run_tests();

__DATA__

=== TEST 1: OpenAI chat to an Anthropic channel: the answer is a chat.completion, usage counted as OpenAI counts it (cache reads and writes inside prompt_tokens)
--- config eval: $::Gateway
--- request
POST /v1/chat/completions
{"model":"claude-json","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]}
--- response_headers
Content-Type: application/json
X-Upstream-Request-Id: req_mock_0001
!request-id
--- response_body_like chomp
\A\{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","object":"chat\.completion","created":\d{10},"model":"claude-json","choices":\[\{"index":0,"message":\{"role":"assistant","content":"Hello! How can I help\?","refusal":null\},"logprobs":null,"finish_reason":"stop"\}\],"usage":\{"prompt_tokens":2112,"completion_tokens":9,"total_tokens":2121,"prompt_tokens_details":\{"cached_tokens":2000\},"completion_tokens_details":\{"reasoning_tokens":0\}\}\}\z
--- no_error_log
[error]



=== TEST 2: the request an Anthropic channel gets: /v1/messages, system apart, max_tokens defaulted, the upstream model, no client query
--- config eval: $::Gateway
--- request
POST /v1/chat/completions?api-version=1
{"model":"claude-echo","messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"hi"}],"temperature":0.5,"stop":["END"],"user":"u-1"}
--- response_headers
X-Mock-Uri: /a_echo/v1/messages
X-Mock-Body: {"model":"claude-upstream-name","max_tokens":4096,"system":"Be brief.","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"stop_sequences":["END"],"metadata":{"user_id":"u-1"}}
--- response_body_like: "content":"Hello! How can I help\?"



=== TEST 3: tools and thinking from an Anthropic JSON answer: tool_calls with the call's id and arguments, reasoning apart, finish_reason tool_calls
--- config eval: $::Gateway
--- request
POST /v1/chat/completions
{"model":"claude-tools","messages":[{"role":"user","content":"Weather in Paris?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}}]}
--- response_body_like chomp
"message":\{"role":"assistant","content":"Checking\.","reasoning_content":"The user wants weather\.","refusal":null,"tool_calls":\[\{"id":"toolu_01A09q90qw90lq917835lq9","type":"function","function":\{"name":"get_weather","arguments":"\{\\"location\\":\\"Paris\\"\}"\}\}\]\},"logprobs":null,"finish_reason":"tool_calls"\}\],"usage":\{"prompt_tokens":400,"completion_tokens":60,"total_tokens":460



=== TEST 4: an Anthropic stream to an OpenAI client: chat.completion.chunks in order, [DONE], no usage chunk unasked
--- config eval: $::Gateway
--- request
POST /v1/chat/completions
{"model":"claude-stream","stream":true,"messages":[{"role":"user","content":"hi"}]}
--- response_headers
Content-Type: text/event-stream
X-Accel-Buffering: no
--- response_body_like eval
::created_any(::oai_stream('msg_01Stream', $::Model,
    [[$::FirstDelta], ['{"content":"Hello"}'], [qq({"content":", w\xc3\xb6rld \xf0\x9f\x91\x8b"})], ['{}', '"stop"']]))
--- no_error_log
[error]



=== TEST 5: with include_usage the client gets the usage chunk: input from message_start, output from message_delta
--- config eval: $::Gateway
--- request
POST /v1/chat/completions
{"model":"claude-stream","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}
--- response_body_like eval
::created_any(::oai_stream('msg_01Stream', $::Model,
    [[$::FirstDelta], ['{"content":"Hello"}'], [qq({"content":", w\xc3\xb6rld \xf0\x9f\x91\x8b"})], ['{}', '"stop"']],
    '{"prompt_tokens":25,"completion_tokens":15,"total_tokens":40,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}'))



=== TEST 6: a streamed tool use with thinking: one index per call, arguments in pieces, finish_reason tool_calls
--- config eval: $::Gateway
--- request
POST /v1/chat/completions
{"model":"claude-tools-stream","stream":true,"messages":[{"role":"user","content":"Weather and time?"}]}
--- response_body_like eval
::created_any(::oai_stream('msg_01ToolStream', $::Model,
    [[$::FirstDelta], ['{"reasoning_content":"Weather, so a tool."}'],
     ['{"tool_calls":[{"index":0,"id":"toolu_01A","type":"function","function":{"name":"get_weather","arguments":""}}]}'],
     ['{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]}'],
     ['{"tool_calls":[{"index":0,"function":{"arguments":" \"Paris\"}"}}]}'],
     ['{"tool_calls":[{"index":1,"id":"toolu_01B","type":"function","function":{"name":"get_time","arguments":""}}]}'],
     ['{"tool_calls":[{"index":1,"function":{"arguments":"{\"tz\":\"CET\"}"}}]}'],
     ['{}', '"tool_calls"']]))



=== TEST 7: an error event mid-stream ends the OpenAI stream with OpenAI's error event
--- config eval: $::Gateway
--- request
POST /v1/chat/completions
{"model":"claude-err-stream","stream":true,"messages":[{"role":"user","content":"hi"}]}
--- response_body_like eval
my $s = ::oai_stream('msg_01Err', $::Model, [[$::FirstDelta], ['{"content":"Hi"}']]);
$s =~ s/data: \[DONE\]\n\n\z//;
::created_any($s . qq(event: error\ndata: {"error":{"message":"Overloaded","type":"api_error","param":null,"code":"overloaded_error"}}\n\n))



=== TEST 8: an Anthropic stream split at every 7th byte translates the same
--- config eval: $::Gateway
--- tcp_listen: 2031
--- tcp_reply eval
my @cuts;
for (my $c = 7; $c < length $::MsgStream; $c += 7) { push @cuts, $c }
::chunked_reply($::MsgStream, cuts => \@cuts)
--- request
POST /v1/chat/completions
{"model":"claude-tcp","stream":true,"messages":[{"role":"user","content":"hi"}]}
--- response_body_like eval
::created_any(::oai_stream('msg_01Stream', $::Model,
    [[$::FirstDelta], ['{"content":"Hello"}'], [qq({"content":", w\xc3\xb6rld \xf0\x9f\x91\x8b"})], ['{}', '"stop"']]))



=== TEST 9: Anthropic's 400 to an OpenAI client: OpenAI's error shape, Anthropic's message, the same status
--- config eval: $::Gateway
--- request
POST /v1/chat/completions
{"model":"claude-400","messages":[{"role":"user","content":"hi"}]}
--- error_code: 400
--- response_body chomp
{"error":{"message":"max_tokens: Field required","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}



=== TEST 10: 529 overloaded falls back to the next channel
--- config eval: $::Gateway
--- request
POST /v1/chat/completions
{"model":"claude-fallback","messages":[{"role":"user","content":"hi"}]}
--- error_code: 200
--- response_body_like: "content":"Hello! How can I help\?"
--- error_log
channel "a_529" answered HTTP 529 for model "claude-fallback"



=== TEST 11: every channel overloaded: 529 to both kinds of client, each in its own shape
--- config eval: $::Gateway
--- request eval
["POST /v1/chat/completions\n" . '{"model":"claude-529","messages":[{"role":"user","content":"hi"}]}',
 "POST /v1/messages\n" . '{"model":"claude-529","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}']
--- error_code eval
[529, 529]
--- response_body eval
['{"error":{"message":"The upstream channel tried for model `claude-529` failed; the last answered HTTP 529.","type":"api_error","param":null,"code":"overloaded"}}',
 '{"type":"error","error":{"type":"overloaded_error","message":"The upstream channel tried for model `claude-529` failed; the last answered HTTP 529."}}']
--- error_log
all 1 attempts for model "claude-529" failed



=== TEST 12: /v1/messages to an Anthropic channel: the body arrives byte for byte but the model (signature and cache_control untouched), ?beta=true kept, the answer renamed
--- config eval: $::Gateway
--- more_headers
anthropic-version: 2023-06-01
anthropic-beta: interleaved-thinking-2025-05-14
--- request eval
"POST /v1/messages?beta=true\n" . q({"model":"claude-echo","max_tokens":1024,"system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],"thinking":{"type":"enabled","budget_tokens":2048},"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"thinking","thinking":"Greet back.","signature":"EqQBCkYIARgCKkD+/=="},{"type":"text","text":"Hello"}]},{"role":"user","content":[{"type":"text","text":"again","cache_control":{"type":"ephemeral","ttl":"1h"}}]}],"context_management":{"edits":[{"type":"clear_tool_uses_20250919"}]}})
--- response_headers
X-Mock-Uri: /a_echo/v1/messages?beta=true
X-Mock-Body: {"model":"claude-upstream-name","max_tokens":1024,"system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],"thinking":{"type":"enabled","budget_tokens":2048},"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"thinking","thinking":"Greet back.","signature":"EqQBCkYIARgCKkD+/=="},{"type":"text","text":"Hello"}]},{"role":"user","content":[{"type":"text","text":"again","cache_control":{"type":"ephemeral","ttl":"1h"}}]}],"context_management":{"edits":[{"type":"clear_tool_uses_20250919"}]}}
--- response_headers_like
request-id: req_[0-9a-f]{32}
X-Request-Id: req_[0-9a-f]{32}
--- response_body eval
(my $b = $::MsgJson) =~ s/"model":"[^"]*"/"model":"claude-echo"/;
$b
--- no_error_log
[error]



=== TEST 13: /v1/messages stream from an Anthropic channel: byte for byte, split at every 5th byte
--- config eval: $::Gateway
--- tcp_listen: 2031
--- tcp_reply eval
my @cuts;
for (my $c = 5; $c < length $::MsgStream; $c += 5) { push @cuts, $c }
::chunked_reply($::MsgStream, cuts => \@cuts)
--- request
POST /v1/messages
{"model":"claude-tcp","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}
--- response_body eval: $::MsgStream
--- no_error_log
[error]



=== TEST 14: /v1/messages to an OpenAI channel: the request a chat completion, the answer a Message
--- config eval: $::Gateway
--- request
POST /v1/messages?beta=true
{"model":"gpt-echo","max_tokens":300,"system":"Be brief.","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stop_sequences":["END"]}
--- response_headers
X-Mock-Uri: /o_echo/v1/chat/completions
X-Mock-Body: {"model":"gpt-echo","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}],"max_tokens":300,"stop":["END"]}
--- response_headers_like
request-id: req_[0-9a-f]{32}
--- response_body chomp
{"id":"msg_chatcmpl-AIGWusage0001","type":"message","role":"assistant","model":"o1-2024-12-17","content":[{"type":"text","text":"Hello! How can I help you today?"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":86,"cache_creation_input_tokens":0,"cache_read_input_tokens":1920,"output_tokens":300}}



=== TEST 15: an OpenAI stream to an Anthropic client: Anthropic's event sequence, usage in message_delta
--- config eval: $::Gateway
--- request
POST /v1/messages
{"model":"gpt-stream","max_tokens":300,"stream":true,"messages":[{"role":"user","content":"hi"}]}
--- response_body eval
::ev('message_start', '{"type":"message_start","message":{"id":"msg_chatcmpl-AIGWstream0001","type":"message","role":"assistant","model":"gpt-4o-mini-2024-07-18","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}}')
. ::ev('content_block_start', '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}')
. join('', map { ::ev('content_block_delta', qq({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"$_"}})) } 'Hello', ', world', '! Bye.')
. ::ev('content_block_stop', '{"type":"content_block_stop","index":0}')
. ::ev('message_delta', '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":8,"cache_creation_input_tokens":0,"cache_read_input_tokens":4,"output_tokens":7}}')
. ::ev('message_stop', '{"type":"message_stop"}')
--- no_error_log
[error]



=== TEST 16: the gateway's own errors on /v1/messages are Anthropic's, with request-id
--- config eval: $::Gateway
--- request eval
["POST /v1/messages\n" . '{"model":"nope-model","max_tokens":10,"messages":[]}',
 "POST /v1/messages\n" . '{"model":',
 "POST /v1/messages\n" . '{"max_tokens":10,"messages":[]}',
 "GET /v1/messages",
 "POST /v1/messages\n" . '{"model":"claude-400","max_tokens":10,"messages":[]}']
--- error_code eval
[404, 400, 400, 405, 400]
--- response_headers_like eval
["request-id: req_[0-9a-f]{32}", "request-id: req_[0-9a-f]{32}", "request-id: req_[0-9a-f]{32}", "request-id: req_[0-9a-f]{32}", "request-id: req_[0-9a-f]{32}"]
--- response_body eval
['{"type":"error","error":{"type":"not_found_error","message":"The model `nope-model` does not exist or you do not have access to it."}}',
 '{"type":"error","error":{"type":"invalid_request_error","message":"We could not parse the JSON body of your request. The API expects a JSON object (JSON document ended early in the middle of an object or array.)."}}',
 '{"type":"error","error":{"type":"invalid_request_error","message":"You must provide a model parameter."}}',
 '{"type":"error","error":{"type":"invalid_request_error","message":"Method GET is not allowed for /v1/messages."}}',
 '{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}']



=== TEST 17: count_tokens: passed to an Anthropic channel, answered by the gateway for an OpenAI one
--- config eval: $::Gateway
--- request eval
["POST /v1/messages/count_tokens\n" . '{"model":"claude-count","messages":[{"role":"user","content":"hello there"}]}',
 "POST /v1/messages/count_tokens\n" . '{"model":"gpt-json","messages":[{"role":"user","content":"hello there, how are you today?"}]}']
--- response_body eval
['{"input_tokens":42}', '{"input_tokens":15}']
--- no_error_log
[error]



=== TEST 18: /v1/models with anthropic-version: Anthropic's list, ?limit= and after_id pages
--- config eval: $::Gateway
--- more_headers
anthropic-version: 2023-06-01
--- request eval
["GET /v1/models", "GET /v1/models?limit=2", "GET /v1/models?limit=2&after_id=claude-tools", "GET /v1/models/claude-json", "GET /v1/models/nope"]
--- error_code eval
[200, 200, 200, 200, 404]
--- response_body_like eval
my $m = sub { my $id = shift; qq(\\{"type":"model","id":"$id","display_name":"$id","created_at":"20\\d\\d-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"\\}) };
my @all = qw(claude-json claude-tools claude-stream claude-tools-stream claude-err-stream claude-400 claude-529 claude-fallback claude-echo claude-count claude-tcp gpt-json gpt-stream gpt-echo gpt-any);
['\A\{"data":\[' . join(',', map { $m->($_) } @all) . '\],"has_more":false,"first_id":"claude-json","last_id":"gpt-any"\}\z',
 '\A\{"data":\[' . $m->('claude-json') . ',' . $m->('claude-tools') . '\],"has_more":true,"first_id":"claude-json","last_id":"claude-tools"\}\z',
 '\A\{"data":\[' . $m->('claude-stream') . ',' . $m->('claude-tools-stream') . '\],"has_more":true,"first_id":"claude-stream","last_id":"claude-tools-stream"\}\z',
 '\A' . $m->('claude-json') . '\z',
 '\A\{"type":"error","error":\{"type":"not_found_error","message":"The model `nope` does not exist or you do not have access to it\."\}\}\z']



=== TEST 19: an endpoint that is not translated: a model only another API serves is refused; a mixed one goes to the channel that speaks it
--- config eval: $::Gateway
--- request eval
["POST /v1/embeddings\n" . '{"model":"claude-json","input":"hi"}',
 "POST /v1/completions\n" . '{"model":"gpt-any","prompt":"hi"}']
--- error_code eval
[400, 200]
--- response_body_like eval
['\A\{"error":\{"message":"The model `claude-json` is not served at /v1/embeddings by this gateway: its upstreams speak another API, and only chat requests are translated\.","type":"invalid_request_error","param":"model","code":"unsupported_endpoint"\}\}\z',
 '\A\{"id":"chatcmpl-AIGWusage0001","object":"chat\.completion"']



=== TEST 20: aigw_anthropic_max_tokens is what an Anthropic channel gets when the OpenAI client set no limit; the client's own limit wins
--- config eval: $::Gateway =~ s/aigw on;/aigw on;\n        aigw_anthropic_max_tokens 8192;/r
--- request eval
["POST /v1/chat/completions\n" . '{"model":"claude-echo","messages":[{"role":"user","content":"hi"}]}',
 "POST /v1/chat/completions\n" . '{"model":"claude-echo","max_completion_tokens":77,"messages":[{"role":"user","content":"hi"}]}']
--- response_headers eval
['X-Mock-Body: {"model":"claude-upstream-name","max_tokens":8192,"messages":[{"role":"user","content":"hi"}]}',
 'X-Mock-Body: {"model":"claude-upstream-name","max_tokens":77,"messages":[{"role":"user","content":"hi"}]}']
