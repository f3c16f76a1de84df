# Gemini through the gateway (issue #14): provider=gemini channels and the native ingress at
# /v1beta/models/{model}:generateContent, :streamGenerateContent?alt=sse and :countTokens.
# Same dialect on both sides passes byte for byte but the path's model (the upstream's); OpenAI
# clients of a Gemini channel, and Gemini clients of OpenAI and Anthropic channels, go through
# the pivot both ways: the request, the JSON answer, the stream chunk by chunk (split into
# packets anywhere), and the errors, each in the client's own shape; fallback on Google's 429
# RESOURCE_EXHAUSTED and 503 UNAVAILABLE; a blocked prompt answered as OpenAI answers a filtered
# one; countTokens and the model list in Gemini's shape.
#
# Ports (loopback, fixed): the gateway on $TEST_NGINX_PORT; 2072 the mock Gemini upstream
# (Test::AIGW::Mock::Gemini, a Perl server forked here, which records what reached it); 2073
# the OpenAI and Anthropic mock upstreams (NGINX + echo, same NGINX); 2074 the runner's raw TCP
# mock.

use lib 't/lib';
use Test::AIGW;
use Test::AIGW::HTTP qw(tcp_server_stop);
use Test::AIGW::Mock::OpenAI qw(q_ngx echo_sse $ChatJson $StreamWithUsage);
use Test::AIGW::Mock::Anthropic qw($MessageJson $TextStream);
use Test::AIGW::Mock::Gemini qw(gemini_mock_start gemini_mock_log gemini_tcp_reply gemini_reply
                                 $ApiKey $ResponseId);
use File::Temp ();
use JSON::PP ();

repeat_each(1);
no_shuffle();
no_long_string();
check_accum_error_log();

our $Dir = File::Temp->newdir('aigw-gemini-XXXXXX', TMPDIR => 1);
our $Log = "$Dir/requests.jsonl";
our $MockPid = gemini_mock_start(2072, log => $Log);
END { tcp_server_stop($MockPid) if $MockPid }

# The last request the mock Gemini upstream received, once the block's request is answered.
sub last_upstream {
    my @got = gemini_mock_log($Log);
    return $got[-1];
}

# --- upstream_request: what the Gemini upstream must have received for the block's request
# (an array: one a request): {path, query, body (exact bytes) or json (a structure to compare), header =>
# {name => value, or undef for absent}}.
add_response_body_check(sub {
    my ($block, $body, $idx, $rep, $dry) = @_;
    return if $dry;
    my $want = Test::AIGW::block_section($block, 'upstream_request');
    return unless defined $want;
    $want = eval $want if !ref $want;
    die $@ if $@;
    $want = $want->[$idx] if ref $want eq 'ARRAY';  # one a request
    my $got = last_upstream() // {};
    my $name = $block->name . ' - the Gemini upstream got';
    for my $f (qw(path query body)) {
        is($got->{$f}, $want->{$f}, "$name: $f") if exists $want->{$f};
    }
    if (exists $want->{json}) {
        my $json = eval { JSON::PP->new->decode($got->{body}) };
        is_deeply($json, $want->{json}, "$name: the body") or diag($got->{body});
    }
    for my $h (sort keys %{ $want->{header} // {} }) {
        is($got->{header}{$h}, $want->{header}{$h}, "$name: header $h");
    }
});

our $OpenAIMocks = "    server {\n        listen 127.0.0.1:2073;\n        client_body_buffer_size 1m;\n"
  . "        default_type application/json;\n"
  . "        location /o_echo/ {\n            echo_read_request_body;\n"
  . "            add_header X-Mock-Uri \$request_uri;\n            add_header X-Mock-Body \$request_body;\n"
  . "            echo -n " . q_ngx($ChatJson) . ";\n        }\n"
  . "        location /o_stream/ {\n" . echo_sse($StreamWithUsage) . "        }\n"
  . "        location /a_stream/ {\n" . echo_sse($TextStream) . "        }\n"
  . "        location /a_echo/ {\n            echo_read_request_body;\n"
  . "            add_header X-Mock-Uri \$request_uri;\n            add_header X-Mock-Body \$request_body;\n"
  . "            echo -n " . q_ngx($MessageJson) . ";\n        }\n"
  . "    }\n";

our $Http = $OpenAIMocks
  . "    aigw_channel gem     location=/_aigw/gem     provider=gemini;\n"
  . "    aigw_channel gem_b   location=/_aigw/gem     provider=gemini priority=1;\n"
  . "    aigw_channel gem_503 location=/_aigw/gem     provider=gemini;\n"
  . "    aigw_channel gem_429 location=/_aigw/gem     provider=gemini;\n"
  . "    aigw_channel gem_tcp location=/_aigw/gem_tcp provider=gemini;\n"
  . "    aigw_channel o_echo  location=/_aigw/o_echo  provider=openai;\n"
  . "    aigw_channel o_stream location=/_aigw/o_stream provider=openai;\n"
  . "    aigw_channel a_echo  location=/_aigw/a_echo  provider=anthropic;\n"
  . "    aigw_channel a_stream location=/_aigw/a_stream provider=anthropic;\n";

# The model table serves both the OpenAI paths and Gemini's.
our $Server = <<"_EOC_";
    aigw_model gem-public      gem:gemini-2.5-flash;
    aigw_model gem-fallback-429 gem:gemini-mock-429 gem_b:gemini-2.5-flash;
    aigw_model gem-fallback-503 gem_503:gemini-mock-503 gem_b:gemini-2.5-flash;
    aigw_model gem-tcp         gem_tcp:gemini-2.5-flash;
    aigw_model gem-only-429    gem_429:gemini-mock-429;
    aigw_model gemini-*        gem;
    aigw_model gpt-echo        o_echo:gpt-4o-mini;
    aigw_model gpt-stream      o_stream;
    aigw_model claude-echo     a_echo:claude-sonnet-4-5;
    aigw_model claude-stream   a_stream;
    location /v1/ {
        aigw on;
    }
    location /v1beta/ {
        aigw on;
    }
    location /_aigw/gem/ {
        internal;
        proxy_pass http://127.0.0.1:2072/;
        proxy_set_header x-goog-api-key $ApiKey;
    }
    location /_aigw/gem_tcp/ {
        internal;
        proxy_pass http://127.0.0.1:2074/;
        proxy_read_timeout 3s;
    }
    location /_aigw/o_echo/ { internal; proxy_pass http://127.0.0.1:2073/o_echo/; }
    location /_aigw/o_stream/ { internal; proxy_pass http://127.0.0.1:2073/o_stream/; }
    location /_aigw/a_echo/ { internal; proxy_pass http://127.0.0.1:2073/a_echo/; }
    location /_aigw/a_stream/ { internal; proxy_pass http://127.0.0.1:2073/a_stream/; }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $::Http . ($block->http_config // ''));
    $block->set_value('config', $::Server . ($block->config // ''));
});

# The mock's text answer for `model`, as a JSON string's content (UTF-8 bytes, quotes and the
# newline escaped).
sub mock_text {
    my ($model) = @_;
    return qq(Hello, \\"w\xc3\xb6rld\\" \xe2\x9c\x93\\nmodel=$model key=$ApiKey via=x-goog-api-key);
}

run_tests();

__DATA__

=== TEST 1: OpenAI chat to a Gemini channel: a chat.completion, usage as OpenAI counts it
--- request
POST /v1/chat/completions
{"model":"gem-public","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]}
--- response_headers
Content-Type: application/json
--- response_body_like eval
my $t = ::mock_text('gemini-2.5-flash');
qr/\A\{"id":"[^"]*aigwMockGeminiResp0001-text","object":"chat\.completion","created":\d{10},"model":"gem-public","choices":\[\{"index":0,"message":\{"role":"assistant","content":"\Q$t\E","refusal":null\},"logprobs":null,"finish_reason":"stop"\}\],"usage":\{"prompt_tokens":9,"completion_tokens":21,"total_tokens":30,"prompt_tokens_details":\{"cached_tokens":0\},"completion_tokens_details":\{"reasoning_tokens":0\}\}\}\z/
--- upstream_request
{ path => '/v1beta/models/gemini-2.5-flash:generateContent', query => '',
  json => { systemInstruction => { parts => [{ text => 'Be brief.' }] },
            contents => [{ role => 'user', parts => [{ text => 'hi' }] }] },
  header => { 'x-goog-api-key' => $::ApiKey, authorization => undef } }
--- no_error_log
[error]



=== TEST 2: an OpenAI stream from a Gemini channel: :streamGenerateContent?alt=sse upstream, chat.completion.chunks back (no stray line of Gemini's CRLF framing between them), the usage chunk when asked, [DONE]
--- request
POST /v1/chat/completions
{"model":"gem-public","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}
--- response_headers
Content-Type: text/event-stream
!Content-Disposition
--- response_body_like eval
my $id = '"id":"aigwMockGeminiResp0001-text","object":"chat.completion.chunk","created":CREATED,"model":"gem-public"';
my $chunk = sub { qq(data: {$id,"choices":[{"index":0,"delta":$_[0],"logprobs":null,"finish_reason":$_[1]}],"usage":null}\n\n) };
my $want = $chunk->('{"role":"assistant","content":"","refusal":null}', 'null')
  . $chunk->(qq({"content":"Hello, \\"w\xc3\xb6"}), 'null')
  . $chunk->(qq({"content":"rld\\" \xe2\x9c\x93\\n"}), 'null')
  . $chunk->(qq({"content":"model=gemini-2.5-flash key=$::ApiKey via=x-goog-api-key"}), 'null')
  . $chunk->('{}', '"stop"')
  . qq(data: {$id,"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":21,"total_tokens":30,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}\n\ndata: [DONE]\n\n);
my $re = join '\d{10}', map { quotemeta } split /CREATED/, $want, -1;
qr/\A$re\z/
--- upstream_request
{ path => '/v1beta/models/gemini-2.5-flash:streamGenerateContent', query => 'alt=sse' }
--- no_error_log
[error]



=== TEST 3: a Gemini stream split inside JSON, between \r and \n and inside UTF-8 characters translates the same
--- tcp_listen: 2074
--- tcp_reply eval
::gemini_reply("POST /v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse HTTP/1.1\r\nx-goog-api-key: $::ApiKey\r\n\r\n" . '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}')->{packets}
--- request
POST /v1/chat/completions
{"model":"gem-tcp","stream":true,"messages":[{"role":"user","content":"hi"}]}
--- response_body_like eval
qr/"content":"Hello, \\"w\xc3\xb6"\}.*"content":"rld\\" \xe2\x9c\x93\\n"\}.*"finish_reason":"stop".*\n\ndata: \[DONE\]\n\n\z/s
--- no_error_log
[error]



=== TEST 4: a Gemini function call to an OpenAI client: tool_calls with the arguments, finish_reason tool_calls, the tool declared as functionDeclarations
--- request
POST /v1/chat/completions
{"model":"gemini-mock-function","messages":[{"role":"user","content":"Weather in Paris?"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather now","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],"tool_choice":"required"}
--- response_body_like eval
qr/"message":\{"role":"assistant","content":null,"refusal":null,"tool_calls":\[\{"id":"[^"]+","type":"function","function":\{"name":"get_weather","arguments":"\{\\"city\\":\\"Paris\\",\\"unit\\":\\"celsius\\"\}"\}\}\]\},"logprobs":null,"finish_reason":"tool_calls"\}\],"usage":\{"prompt_tokens":64,"completion_tokens":59,"total_tokens":123,"prompt_tokens_details":\{"cached_tokens":0\},"completion_tokens_details":\{"reasoning_tokens":41\}\}/
--- upstream_request
{ path => '/v1beta/models/gemini-mock-function:generateContent',
  json => { contents => [{ role => 'user', parts => [{ text => 'Weather in Paris?' }] }],
            tools => [{ functionDeclarations => [{ name => 'get_weather', description => 'Weather now',
                        parametersJsonSchema => { type => 'object', properties => { city => { type => 'string' } }, required => ['city'] } }] }],
            toolConfig => { functionCallingConfig => { mode => 'ANY' } } } }



=== TEST 5: thinking: reasoning_effort becomes a thinking budget with the thoughts included; thoughts come back as reasoning_content, billed as output
--- request
POST /v1/chat/completions
{"model":"gemini-mock-thinking","reasoning_effort":"low","max_tokens":500,"messages":[{"role":"user","content":"hi"}]}
--- response_body_like eval
qr/"message":\{"role":"assistant","content":"Hi! How can I help\?","reasoning_content":"\*\*Greeting the user\*\*\\n\\nThe user wants a short hello\. I will keep it brief\.","refusal":null\},"logprobs":null,"finish_reason":"stop"\}\],"usage":\{"prompt_tokens":9,"completion_tokens":319,"total_tokens":328,"prompt_tokens_details":\{"cached_tokens":0\},"completion_tokens_details":\{"reasoning_tokens":312\}\}/
--- upstream_request
{ json => { contents => [{ role => 'user', parts => [{ text => 'hi' }] }],
            generationConfig => { maxOutputTokens => 500, thinkingConfig => { thinkingBudget => 1024, includeThoughts => JSON::PP::true } } } }



=== TEST 6: Google's 400 INVALID_ARGUMENT to an OpenAI client: OpenAI's shape, the same status, Google's message, its status word as the code
--- request
POST /v1/chat/completions
{"model":"gemini-mock-400","messages":[{"role":"user","content":"hi"}]}
--- error_code: 400
--- response_body_like chomp
\A\{"error":\{"message":"[^"]+","type":"invalid_request_error","param":null,"code":"invalid_argument"\}\}\z



=== TEST 7: RESOURCE_EXHAUSTED (429) falls back to the next channel
--- request
POST /v1/chat/completions
{"model":"gem-fallback-429","messages":[{"role":"user","content":"hi"}]}
--- error_code: 200
--- response_body_like: "content":"Hello, .*model=gemini-2\.5-flash 
--- error_log
channel "gem" answered HTTP 429 for model "gem-fallback-429"



=== TEST 8: UNAVAILABLE (503) falls back to the next channel
--- request
POST /v1/chat/completions
{"model":"gem-fallback-503","messages":[{"role":"user","content":"hi"}]}
--- error_code: 200
--- response_body_like: "content":"Hello, .*model=gemini-2\.5-flash 
--- error_log
channel "gem_503" answered HTTP 503 for model "gem-fallback-503"



=== TEST 9: a prompt Gemini blocks: 400 content_filter (param prompt) as OpenAI answers a filtered request, and in a stream the error event
--- request eval
["POST /v1/chat/completions\n" . '{"model":"gemini-mock-blocked","messages":[{"role":"user","content":"hi"}]}',
 "POST /v1/chat/completions\n" . '{"model":"gemini-mock-blocked","stream":true,"messages":[{"role":"user","content":"hi"}]}']
--- error_code eval
[400, 200]
--- response_body eval
['{"error":{"message":"The prompt was blocked by the upstream\'s content filter (SAFETY).","type":"invalid_request_error","param":"prompt","code":"content_filter"}}',
 qq(event: error\ndata: {"error":{"message":"The prompt was blocked by the upstream's content filter (SAFETY).","type":"invalid_request_error","param":"prompt","code":"content_filter"}}\n\n)]



=== TEST 10: MAX_TOKENS is finish_reason length, SAFETY content_filter
--- request eval
["POST /v1/chat/completions\n" . '{"model":"gemini-mock-max-tokens","messages":[{"role":"user","content":"hi"}]}',
 "POST /v1/chat/completions\n" . '{"model":"gemini-mock-safety","messages":[{"role":"user","content":"hi"}]}']
--- response_body_like eval
[qr/"content":"Once upon a","refusal":null\},"logprobs":null,"finish_reason":"length"/,
 qr/"finish_reason":"content_filter"/]



=== TEST 11: the native ingress to a Gemini channel: the body byte for byte, the path naming the upstream model, the client's key neither in the query nor in a header upstream, the answer as Gemini wrote it but modelVersion
--- more_headers
x-goog-api-client: google-genai-sdk/2.32.0 gl-node/v20.20.2
--- request eval
"POST /v1beta/models/gem-public:generateContent?key=sk-aigw-ClientKeyNeverUpstream000000000000000000KEY1\n"
. qq({"contents": [{"role": "user", "parts": [{"text": "hi \\u00e9"}]}],\n "generationConfig": {"temperature": 0.2, "thinkingConfig": {"thinkingBudget": 0}}, "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]})
--- response_headers
Content-Type: application/json; charset=UTF-8
--- response_body_like eval
qr/\A\{\n  "candidates": \[\n.*"text": "Hello, \\"w\xc3\xb6rld\\" \xe2\x9c\x93\\nmodel=gemini-2\.5-flash key=\Q$::ApiKey\E via=x-goog-api-key".*"modelVersion": "gem-public",\n  "responseId": "aigwMockGeminiResp0001-text"\n\}\z/s
--- upstream_request
{ path => '/v1beta/models/gemini-2.5-flash:generateContent', query => '',
  body => qq({"contents": [{"role": "user", "parts": [{"text": "hi \\u00e9"}]}],\n "generationConfig": {"temperature": 0.2, "thinkingConfig": {"thinkingBudget": 0}}, "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]}),
  header => { 'x-goog-api-key' => $::ApiKey, 'x-goog-api-client' => 'google-genai-sdk/2.32.0 gl-node/v20.20.2' } }
--- no_error_log
[error]



=== TEST 12: a native stream passed through: Gemini's chunks as sent (\r\n\r\n, no [DONE]) but modelVersion, alt=sse kept
--- request
POST /v1beta/models/gem-public:streamGenerateContent?alt=sse
{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}
--- response_headers
Content-Type: text/event-stream
Content-Disposition: attachment
--- response_body_like eval
qr/\Adata: \{"candidates": \[\{"content": \{"parts": \[\{"text": "Hello, \\"w\xc3\xb6"\}\],"role": "model"\},"index": 0\}\],"usageMetadata": \{"promptTokenCount": 9,.*"modelVersion": "gem-public","responseId": "aigwMockGeminiResp0001-text"\}\r\n\r\n.*"finishReason": "STOP".*\}\r\n\r\n\z/s
--- upstream_request
{ path => '/v1beta/models/gemini-2.5-flash:streamGenerateContent', query => 'alt=sse' }
--- no_error_log
[error]



=== TEST 13: streamGenerateContent without alt=sse: a 400 in Google's shape that says to add it
--- request
POST /v1beta/models/gem-public:streamGenerateContent
{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}
--- error_code: 400
--- response_body chomp
{"error":{"code":400,"message":"streamGenerateContent is served as Server-Sent Events only: add alt=sse to the query.","status":"INVALID_ARGUMENT"}}



=== TEST 14: the native ingress to an OpenAI channel: contents, systemInstruction and generationConfig as a chat request; the answer a GenerateContentResponse
--- request
POST /v1beta/models/gpt-echo:generateContent
{"systemInstruction":{"parts":[{"text":"Be brief."}]},"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":64,"temperature":0.5,"stopSequences":["END"]}}
--- response_headers
X-Mock-Uri: /o_echo/v1/chat/completions
Content-Type: application/json
--- response_headers_like
X-Mock-Body: ^\{"model":"gpt-4o-mini","messages":\[\{"role":"system","content":"Be brief\."\},\{"role":"user","content":"hi"\}\],"max_tokens":64,"temperature":0\.5,"stop":\["END"\]\}$
--- response_body_like eval
qr/\A\{"candidates":\[\{"content":\{"parts":\[\{"text":"Hello! How can I help you today\?"\}\],"role":"model"\},"finishReason":"STOP","index":0\}\],"usageMetadata":\{"promptTokenCount":2006,"candidatesTokenCount":108,"totalTokenCount":2306,"cachedContentTokenCount":1920,"thoughtsTokenCount":192\},"modelVersion":"gpt-echo","responseId":"chatcmpl-AIGWusage0001"\}\z/



=== TEST 15: a native stream from an OpenAI channel: Gemini's chunks, \r\n\r\n, no [DONE], the usage in the last one with the finishReason
--- request
POST /v1beta/models/gpt-stream:streamGenerateContent?alt=sse
{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}
--- response_headers
Content-Type: text/event-stream
--- response_body_like eval
my $tail = '"modelVersion":"gpt-4o-mini-2024-07-18","responseId":"chatcmpl-AIGWstream0001"}' . "\r\n\r\n";
my $c = sub { 'data: {"candidates":[{"content":{"parts":[{"text":"' . $_[0] . '"}],"role":"model"},' . $_[1] . '"index":0}],' };
qr/\A\Q${\ $c->('Hello', '')}$tail${\ $c->(', world', '')}$tail${\ $c->('! Bye.', '')}$tail${\ $c->('', '"finishReason":"STOP",')}"usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":4,"totalTokenCount":19,"cachedContentTokenCount":4,"thoughtsTokenCount":3},$tail\E\z/
--- no_error_log
[error]



=== TEST 16: the native ingress to an Anthropic channel: a Messages request, the answer a GenerateContentResponse
--- request
POST /v1beta/models/claude-echo:generateContent
{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}
--- response_headers
X-Mock-Uri: /a_echo/v1/messages
--- response_headers_like
X-Mock-Body: ^\{"model":"claude-sonnet-4-5","max_tokens":4096,"messages":\[\{"role":"user","content":"hi"\}\]\}$
--- response_body_like eval
qr/\A\{"candidates":\[\{"content":\{"parts":\[\{"text":"Hello, \\"w\xc3\xb6rld\\"! \xe2\x9c\x93\\nBye\."\}\],"role":"model"\},"finishReason":"STOP","index":0\}\],"usageMetadata":\{"promptTokenCount":4645,"candidatesTokenCount":12,"totalTokenCount":4657,"cachedContentTokenCount":3072\},"modelVersion":"claude-echo","responseId":"msg_01AigwMockTextAnswer0001"\}\z/



=== TEST 17: countTokens: passed on to a Gemini channel (the upstream's count), answered by the gateway for a model no Gemini channel serves; never a token billed
--- request eval
["POST /v1beta/models/gem-public:countTokens\n" . '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}',
 "POST /v1beta/models/gpt-echo:countTokens\n" . '{"contents":[{"role":"user","parts":[{"text":"How many tokens is this?"}]}]}']
--- response_body_like eval
[qr/\A\{\n  "totalTokens": 9,/, qr/\A\{"totalTokens":\d+\}\z/]



=== TEST 18: the model list and one model, in Gemini's shape, from the model table; an unknown one is Google's 404
--- request eval
["GET /v1beta/models", "GET /v1beta/models/gem-public", "GET /v1beta/models/nope"]
--- error_code eval
[200, 200, 404]
--- response_body_like eval
[qr/\A\{"models":\[\{"name":"models\/gem-public",.*"name":"models\/claude-echo",/,
 qr/\A\{"name":"models\/gem-public",/,
 qr/\A\{"error":\{"code":404,"message":"[^"]*nope[^"]*","status":"NOT_FOUND"\}\}\z/]



=== TEST 19: errors on the native ingress are Google's: malformed JSON, an unknown method, an unknown model, Google's 400 passed on as it came
--- request eval
["POST /v1beta/models/gem-public:generateContent\n{\"contents\":[",
 "POST /v1beta/models/gem-public:embedContent\n{}",
 "POST /v1beta/models/nope-model:generateContent\n{\"contents\":[]}",
 "POST /v1beta/models/gemini-mock-400:generateContent\n{\"contents\":[{\"parts\":[{\"text\":\"hi\"}]}]}"]
--- error_code eval
[400, 404, 404, 400]
--- response_body_like eval
[qr/\A\{"error":\{"code":400,"message":"[^"]+","status":"INVALID_ARGUMENT"\}\}\z/,
 qr/\A\{"error":\{"code":404,"message":"[^"]+","status":"NOT_FOUND"\}\}\z/,
 qr/\A\{"error":\{"code":404,"message":"[^"]*nope-model[^"]*","status":"NOT_FOUND"\}\}\z/,
 qr/\A\{\n  "error": \{\n    "code": 400,/]



=== TEST 20: an upstream reset mid-stream on the native ingress: the chunks so far, then an error chunk the Gemini SDKs throw on
--- request
POST /v1beta/models/gemini-mock-reset:streamGenerateContent?alt=sse
{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}
--- response_body_like eval
qr/\Adata: \{"candidates".*\r\n\r\ndata: \{"error":\{"code":502,"message":"[^"]+","status":"[A-Z_]+"\}\}\r\n\r\n\z/s
--- error_log
aigw:



=== TEST 21: what an OpenAI request becomes for Gemini: images as inlineData and fileData, a JSON schema as responseMimeType and responseJsonSchema, stop, seed, top_p, the tool exchange as functionCall and functionResponse
--- request
POST /v1/chat/completions
{"model":"gem-public","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"cat\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"{\"found\":true}"}],"response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object","properties":{"a":{"type":"string"}}}}},"stop":["END"],"seed":7,"top_p":0.9,"temperature":0.3}
--- response_body_like: "object":"chat\.completion"
--- upstream_request
{ path => '/v1beta/models/gemini-2.5-flash:generateContent',
  json => { contents => [
              { role => 'user', parts => [{ text => 'What is this?' },
                                          { inlineData => { mimeType => 'image/png', data => 'iVBORw0KGgo=' } },
                                          { fileData => { mimeType => 'image/jpeg', fileUri => 'https://example.com/cat.jpg' } }] },
              { role => 'model', parts => [{ functionCall => { name => 'lookup', args => { q => 'cat' } },
                                             thoughtSignature => 'skip_thought_signature_validator' }] },
              { role => 'user', parts => [{ functionResponse => { name => 'lookup', response => { found => JSON::PP::true } } }] }],
            generationConfig => { temperature => 0.3, topP => 0.9, seed => 7, stopSequences => ['END'],
                                  responseMimeType => 'application/json',
                                  responseJsonSchema => { type => 'object', properties => { a => { type => 'string' } } } } } }



=== TEST 22: an Anthropic Messages client of a Gemini channel: a Message back, and Anthropic's event sequence for a stream
--- request eval
["POST /v1/messages\n" . '{"model":"gem-public","max_tokens":100,"system":"Be brief.","messages":[{"role":"user","content":"hi"}]}',
 "POST /v1/messages\n" . '{"model":"gem-public","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}']
--- response_body_like eval
[qr/\A\{"id":"msg_[^"]*aigwMockGeminiResp0001-text","type":"message","role":"assistant","model":"gem-public","content":\[\{"type":"text","text":"Hello, .*model=gemini-2\.5-flash .*"\}\],"stop_reason":"end_turn","stop_sequence":null,"usage":\{"input_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":21\}\}\z/,
 qr/\Aevent: message_start\ndata: .*event: content_block_delta\ndata: \{"type":"content_block_delta","index":0,"delta":\{"type":"text_delta","text":"Hello, \\"w\xc3\xb6"\}\}.*event: message_delta\ndata: \{"type":"message_delta","delta":\{"stop_reason":"end_turn","stop_sequence":null\},"usage":\{"input_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":21\}\}\n\nevent: message_stop\ndata: \{"type":"message_stop"\}\n\n\z/s]
--- upstream_request
[{ path => '/v1beta/models/gemini-2.5-flash:generateContent', query => '',
   json => { systemInstruction => { parts => [{ text => 'Be brief.' }] },
             contents => [{ role => 'user', parts => [{ text => 'hi' }] }], generationConfig => { maxOutputTokens => 100 } } },
 { path => '/v1beta/models/gemini-2.5-flash:streamGenerateContent', query => 'alt=sse',
   json => { contents => [{ role => 'user', parts => [{ text => 'hi' }] }], generationConfig => { maxOutputTokens => 100 } } }]



=== TEST 23: a Responses API client of a Gemini channel: the Responses event sequence, ending in response.completed with the usage
--- request
POST /v1/responses
{"model":"gem-public","stream":true,"input":"hi","instructions":"Be brief."}
--- response_body_like eval
qr/\Aevent: response\.created\n.*event: response\.output_text\.delta\n.*"delta":"Hello, \\"w\xc3\xb6".*event: response\.completed\ndata: \{"type":"response\.completed",.*"usage":\{"input_tokens":9,"input_tokens_details":\{"cached_tokens":0\},"output_tokens":21,"output_tokens_details":\{"reasoning_tokens":0\},"total_tokens":30\}.*\n\n\z/s
--- upstream_request
{ path => '/v1beta/models/gemini-2.5-flash:streamGenerateContent', query => 'alt=sse',
  json => { systemInstruction => { parts => [{ text => 'Be brief.' }] }, contents => [{ role => 'user', parts => [{ text => 'hi' }] }] } }



=== TEST 24: a native Gemini stream from an Anthropic channel: Gemini's chunks from Anthropic's events
--- request
POST /v1beta/models/claude-stream:streamGenerateContent?alt=sse
{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":50}}
--- response_body_like eval
my $tail = '"modelVersion":"claude-sonnet-4-5-20250929","responseId":"msg_01AigwMockTextStream0001"}' . "\r\n\r\n";
my $c = sub { 'data: {"candidates":[{"content":{"parts":[{"text":"' . $_[0] . '"}],"role":"model"},' . $_[1] . '"index":0}],' };
qr/\A\Q${\ $c->('Hello', '')}$tail${\ $c->(", \\\"w\xc3\xb6", '')}$tail${\ $c->("rld\\\"! \xe2\x9c\x93", '')}$tail${\ $c->('\\nBye.', '')}$tail${\ $c->('', '"finishReason":"STOP",')}"usageMetadata":{"promptTokenCount":4645,"candidatesTokenCount":12,"totalTokenCount":4657,"cachedContentTokenCount":3072},$tail\E\z/



=== TEST 25: Google's 429 with no channel left: the client's 429 says how long to wait, from the RetryInfo in Google's body (Google sends no Retry-After)
--- request eval
["POST /v1/chat/completions\n" . '{"model":"gem-only-429","messages":[{"role":"user","content":"hi"}]}',
 "POST /v1beta/models/gem-only-429:generateContent\n" . '{"contents":[{"parts":[{"text":"hi"}]}]}']
--- error_code eval
[429, 429]
--- response_headers eval
["Retry-After: 21", "Retry-After: 21"]
--- response_body_like eval
[qr/\A\{"error":\{"message":"The upstream channel tried for model `gem-only-429` failed; the last answered HTTP 429\.","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"\}\}\z/,
 qr/\A\{"error":\{"code":429,"message":"The upstream channel tried for model `gem-only-429` failed; the last answered HTTP 429\.","status":"RESOURCE_EXHAUSTED"\}\}\z/]
--- error_log
channel "gem_429" answered HTTP 429 for model "gem-only-429" (attempt 1, retry after 21000ms)
