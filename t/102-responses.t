# The Responses API (issue #13) on every kind of channel: passed through to an upstream that
# serves it (responses=on), byte for byte but the spliced model, its stream split into packets
# anywhere; translated to Chat Completions for one that does not (the request, the JSON answer,
# the event sequence for text, parallel function calls, a length cut-off and an upstream error
# mid-stream); Codex's WebSocket try answered 426; what a translated channel cannot do
# (previous_response_id, compaction) refused in OpenAI's words; stored responses asked of the
# channel that keeps them.
#
# Ports (loopback, fixed): the gateway on $TEST_NGINX_PORT; 2050 the mock Responses upstream
# (Test::AIGW::Mock::Responses); 2051 the mock chat upstreams (NGINX + echo, one path prefix
# per behaviour); 2052 the runner's raw TCP mock.

use lib 't/lib';
use Test::AIGW;
use JSON::PP ();
use Test::AIGW::Mock::OpenAI qw(chunked_reply q_ngx echo_sse chat_chunk $ChatJson $StreamWithUsage $UsageChunk);
use Test::AIGW::Mock::Responses qw(:all);

repeat_each(1);
no_shuffle();
no_long_string();
check_accum_error_log();

our $Json = JSON::PP->new->utf8->canonical;

sub chunk { chat_chunk(id => 'chatcmpl-R1', created => 1733000009, model => 'gpt-4o-mini-2024-07-18', @_) }

# Chat streams the chat-only channel answers with: two parallel tool calls; a length cut-off;
# an error after the first text.
our $ToolChat = join('', map { "data: $_\n\n" }
    chunk(delta => '{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_A","type":"function","function":{"name":"get_weather","arguments":""}}]}'),
    chunk(delta => '{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Paris\"}"}}]}'),
    chunk(delta => '{"tool_calls":[{"index":1,"id":"call_B","type":"function","function":{"name":"get_weather","arguments":""}}]}'),
    chunk(delta => '{"tool_calls":[{"index":1,"function":{"arguments":"{\"city\":\"Tokyo\"}"}}]}'),
    chunk(delta => '{}', finish => '"tool_calls"'),
    chunk(usage => '{"prompt_tokens":30,"completion_tokens":20,"total_tokens":50}')) . "data: [DONE]\n\n";
$ToolChat =~ s/"choices":\[\],"usage"/"choices":[],"usage"/;
our $LengthChat = join('', map { "data: $_\n\n" }
    chunk(delta => '{"role":"assistant","content":""}'),
    chunk(delta => '{"content":"Once upon a"}'),
    chunk(delta => '{}', finish => '"length"'),
    chunk(usage => '{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}')) . "data: [DONE]\n\n";
our $ErrorChat = join('', map { "data: $_\n\n" }
    chunk(delta => '{"role":"assistant","content":""}'),
    chunk(delta => '{"content":"Hel"}'),
    '{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}');

our $Mocks = responses_mock_server(2050)
  . "    server {\n        listen 127.0.0.1:2051;\n        client_body_buffer_size 1m;\n"
  . "        underscores_in_headers on;\n"
  . "        default_type application/json;\n"
  . "        location /c_json/ { echo_read_request_body; echo -n " . q_ngx($ChatJson) . "; }\n"
  . "        location /c_stream/ {\n" . echo_sse($StreamWithUsage) . "        }\n"
  . "        location /c_tools/ {\n" . echo_sse($ToolChat) . "        }\n"
  . "        location /c_length/ {\n" . echo_sse($LengthChat) . "        }\n"
  . "        location /c_error/ {\n" . echo_sse($ErrorChat) . "        }\n"
  . "        location /c_echo/ {\n            echo_read_request_body;\n"
  . "            add_header X-Mock-Uri \$request_uri;\n            add_header X-Mock-Body \$request_body;\n"
  . "            echo -n " . q_ngx($ChatJson) . ";\n        }\n"
  . "        location /r_echo/ {\n            echo_read_request_body;\n"
  . "            add_header X-Mock-Uri \$request_uri;\n            add_header X-Mock-Body \$request_body;\n"
  . "            add_header X-Mock-Session \$http_session_id;\n"
  . "            add_header X-Mock-Originator \$http_originator;\n"
  . "            echo -n " . q_ngx($ResponseJson) . ";\n        }\n"
  . "    }\n";

our @Chat = qw(c_json c_stream c_tools c_length c_error c_echo);
our $Channels = join('', map { "    aigw_channel $_ location=/_aigw/$_;\n" } @Chat)
  . "    aigw_channel r_up location=/_aigw/r_up responses=on;\n"
  . "    aigw_channel r_echo location=/_aigw/r_echo responses=on;\n"
  . "    aigw_channel r_tcp location=/_aigw/r_tcp responses=on;\n"
  . "    aigw_channel c_tcp location=/_aigw/r_tcp;\n";

our $Locations = join('', map {
    "    location /_aigw/$_/ {\n        internal;\n        proxy_pass http://127.0.0.1:2051/$_/;\n    }\n" } @Chat, 'r_echo')
  . "    location /_aigw/r_up/ {\n        internal;\n        proxy_pass http://127.0.0.1:2050/;\n    }\n"
  . "    location /_aigw/r_tcp/ {\n        internal;\n        proxy_pass http://127.0.0.1:2052/;\n"
  . "        proxy_read_timeout 3s;\n    }\n";

add_block_preprocessor(sub {
    my $block = shift;
    # A block that declares channels of its own gets only those.
    my $own = $block->http_config // '';
    $block->set_value('http_config', $::Mocks . ($own =~ /aigw_channel/ ? $own : $::Channels . $own));
    $block->set_value('config', ($block->config // $::Gateway) . $::Locations);
});

our $Gateway = <<'_EOC_';
    location /v1/ {
        aigw on;
        aigw_model gpt-json    c_json:gpt-4o-mini;
        aigw_model gpt-stream  c_stream;
        aigw_model gpt-tools   c_tools;
        aigw_model gpt-length  c_length;
        aigw_model gpt-error   c_error;
        aigw_model gpt-echo    c_echo;
        aigw_model resp-echo   r_echo:gpt-4.1-mini-2025-04-14;
        aigw_model resp-tcp    r_tcp:gpt-4.1-mini-2025-04-14;
        aigw_model gpt-tcp     c_tcp;
        aigw_model resp-*      r_up;
    }
_EOC_

# The events of a Responses stream as [type, data] pairs, each data decoded; dies unless every
# event is "event: TYPE\ndata: JSON" with data.type TYPE and sequence numbers 0, 1, 2, ...
sub events_of {
    my ($body) = @_;
    my @out;
    for my $ev (split /\n\n/, $body) {
        my ($type, $data) = $ev =~ /\Aevent: (\S+)\ndata: (.*)\z/s or die "not an event: $ev\n";
        my $d = $Json->decode($data);
        die "type $d->{type} under event: $type\n" unless $d->{type} eq $type;
        die "sequence_number $d->{sequence_number}, expected " . scalar(@out) . "\n"
            unless defined $d->{sequence_number} && $d->{sequence_number} == @out;
        push @out, [$type, $d];
    }
    return @out;
}

# One line per event of a Responses stream, saying what a client reads of it: the type, the
# output index, the item's kind (and a call's name and id) or the delta, a final response's
# status, incomplete reason, error code and usage (input/cached/output/reasoning).
sub summary {
    my ($type, $d) = @_;
    my @f = ($type);
    push @f, "out=$d->{output_index}" if defined $d->{output_index};
    if (my $i = $d->{item}) {
        push @f, $i->{type};
        push @f, "$i->{name}($i->{call_id})" if $i->{type} eq 'function_call';
        push @f, "args=$i->{arguments}" if $i->{type} eq 'function_call' && $type =~ /done$/;
    }
    push @f, "delta=$d->{delta}" if defined $d->{delta};
    push @f, "text=$d->{text}" if defined $d->{text} && $type !~ /content_part/;
    push @f, "args=$d->{arguments}" if defined $d->{arguments};
    if (my $r = $d->{response}) {
        push @f, "status=$r->{status}";
        push @f, "reason=$r->{incomplete_details}{reason}" if $r->{incomplete_details};
        push @f, "error=$r->{error}{code}" if $r->{error};
        if (my $u = $r->{usage}) {
            push @f, sprintf 'usage=%d/%d/%d/%d', $u->{input_tokens}, $u->{input_tokens_details}{cached_tokens} // 0,
                $u->{output_tokens}, $u->{output_tokens_details}{reasoning_tokens} // 0;
        }
    }
    push @f, "code=$d->{code}" if $type eq 'error';
    return join ' ', @f;
}

# --- events: the summary lines (above) the stream must give, one per event, in order.
add_response_body_check(sub {
    my ($block, $body, $idx, $rep, $dry) = @_;
    return if $dry;
    my $want = Test::AIGW::block_section($block, 'events');
    return unless defined $want;
    my $name = $block->name . " - the events (req $idx)";
    my @got = eval { map { summary(@$_) } events_of($body // '') };
    if ($@) {
        Test::More::fail($name);
        Test::More::diag("$@in: $body");
        return;
    }
    Test::More::is(join("\n", @got) . "\n", $want, $name);
});

run_tests();

__DATA__

=== TEST 1: a chat-only channel's stream as the Responses event sequence: created, in_progress, the message item and its text part, deltas, the .done events, completed with usage
--- request
POST /v1/responses
{"model":"gpt-stream","stream":true,"input":"hi"}
--- response_headers
Content-Type: text/event-stream
X-Accel-Buffering: no
--- events
response.created status=in_progress
response.in_progress status=in_progress
response.output_item.added out=0 message
response.content_part.added out=0
response.output_text.delta out=0 delta=Hello
response.output_text.delta out=0 delta=, world
response.output_text.delta out=0 delta=! Bye.
response.output_text.done out=0 text=Hello, world! Bye.
response.content_part.done out=0
response.output_item.done out=0 message
response.completed status=completed usage=12/4/7/3
--- no_error_log
[error]



=== TEST 2: two parallel tool calls: one function_call item each, its arguments in deltas, then done with the whole arguments
--- request
POST /v1/responses
{"model":"gpt-tools","stream":true,"input":"Weather in Paris and Tokyo?","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]}
--- events
response.created status=in_progress
response.in_progress status=in_progress
response.output_item.added out=0 function_call get_weather(call_A)
response.function_call_arguments.delta out=0 delta={"city":"Paris"}
response.function_call_arguments.done out=0 args={"city":"Paris"}
response.output_item.done out=0 function_call get_weather(call_A) args={"city":"Paris"}
response.output_item.added out=1 function_call get_weather(call_B)
response.function_call_arguments.delta out=1 delta={"city":"Tokyo"}
response.function_call_arguments.done out=1 args={"city":"Tokyo"}
response.output_item.done out=1 function_call get_weather(call_B) args={"city":"Tokyo"}
response.completed status=completed usage=30/0/20/0



=== TEST 3: a length cut-off ends in response.incomplete, reason max_output_tokens
--- request
POST /v1/responses
{"model":"gpt-length","stream":true,"input":"A story","max_output_tokens":3}
--- events
response.created status=in_progress
response.in_progress status=in_progress
response.output_item.added out=0 message
response.content_part.added out=0
response.output_text.delta out=0 delta=Once upon a
response.output_text.done out=0 text=Once upon a
response.content_part.done out=0
response.output_item.done out=0 message
response.incomplete status=incomplete reason=max_output_tokens usage=9/0/3/0



=== TEST 4: an upstream error mid-stream: the text so far, then the stream fails in the Responses API's words
--- request
POST /v1/responses
{"model":"gpt-error","stream":true,"input":"hi"}
--- events
response.created status=in_progress
response.in_progress status=in_progress
response.output_item.added out=0 message
response.content_part.added out=0
response.output_text.delta out=0 delta=Hel
error code=
response.failed status=failed error=server_error



=== TEST 5: a JSON answer from a chat-only channel: a response object, the request it got a chat completion
--- request
POST /v1/responses
{"model":"gpt-echo","instructions":"Be brief.","input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}],"max_output_tokens":50,"store":false,"include":["reasoning.encrypted_content"],"prompt_cache_key":"k1","reasoning":{"effort":"low","summary":"auto"}}
--- response_headers
X-Mock-Uri: /c_echo/v1/chat/completions
X-Mock-Body: {"model":"gpt-echo","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}],"max_tokens":50,"reasoning_effort":"low"}
--- response_body_like chomp
\A\{"id":"resp_chatcmpl-AIGWusage0001","object":"response","created_at":1733000001,"status":"completed",.*"output":\[\{"id":"msg_chatcmpl-AIGWusage0001_0","type":"message","status":"completed","content":\[\{"type":"output_text","annotations":\[\],"logprobs":\[\],"text":"Hello! How can I help you today\?"\}\],"role":"assistant"\}\],.*"usage":\{"input_tokens":2006,"input_tokens_details":\{"cached_tokens":1920\},"output_tokens":300,"output_tokens_details":\{"reasoning_tokens":192\},"total_tokens":2306\}



=== TEST 6: passed through to an upstream that serves the Responses API: the body byte for byte but the model, everything a translation would drop kept, Codex's headers (underscored ones with underscores_in_headers on)
--- config eval: "    underscores_in_headers on;\n" . $::Gateway
--- more_headers
session_id: 0199a1b2-c3d4
originator: codex_exec
--- request
POST /v1/responses
{"model":"resp-echo","input":[{"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"gAAAAB"},{"type":"compaction_trigger"}],"previous_response_id":"resp_prev","store":false,"include":["reasoning.encrypted_content"],"prompt_cache_key":"k1","tools":[{"type":"web_search"}]}
--- response_headers
X-Mock-Uri: /r_echo/v1/responses
X-Mock-Session: 0199a1b2-c3d4
X-Mock-Originator: codex_exec
X-Mock-Body: {"model":"gpt-4.1-mini-2025-04-14","input":[{"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"gAAAAB"},{"type":"compaction_trigger"}],"previous_response_id":"resp_prev","store":false,"include":["reasoning.encrypted_content"],"prompt_cache_key":"k1","tools":[{"type":"web_search"}]}
--- response_body_like: "model": "resp-echo"
--- no_error_log
[error]



=== TEST 7: a passed-through stream split every 9 bytes arrives byte for byte, but the public model in the response objects
--- tcp_listen: 2052
--- tcp_reply eval
my @cuts;
for (my $c = 9; $c < length $::TextStream; $c += 9) { push @cuts, $c }
::chunked_reply($::TextStream, cuts => \@cuts)
--- request
POST /v1/responses
{"model":"resp-tcp","stream":true,"input":"hi"}
--- response_body eval
(my $s = $::TextStream) =~ s/"model":"\Q$::Model\E"/"model":"resp-tcp"/g;
die "no model renamed" unless $s =~ /"model":"resp-tcp"/;
$s



=== TEST 8: what a chat-only channel cannot do is refused before anything goes upstream: previous_response_id, compaction
--- request eval
["POST /v1/responses\n" . '{"model":"gpt-json","input":"again","previous_response_id":"resp_abc"}',
 "POST /v1/responses/compact\n" . '{"model":"gpt-json","input":[{"role":"user","content":"hi"}]}']
--- error_code eval
[400, 400]
--- response_body_like eval
['"param":"previous_response_id"', '"code":"unsupported_endpoint"']



=== TEST 9: compaction and stored responses go to the channel that serves the Responses API
--- request eval
["POST /v1/responses/compact\n" . '{"model":"resp-x","input":[{"role":"user","content":"hi"}]}',
 "GET /v1/responses/$::ResponseId",
 "DELETE /v1/responses/$::ResponseId",
 "GET /v1/responses/$::ResponseId/input_items"]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
['"object": "response.compaction"', '"object": "response"', '"deleted": true', '"object": "list"']



=== TEST 10: Codex's WebSocket try is 426, which sends it to HTTP at once; a plain GET is 405 with Allow
--- request eval
["GET /v1/responses", "GET /v1/responses"]
--- more_headers eval
["Upgrade: websocket\nSec-WebSocket-Version: 13\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", ""]
--- error_code eval
[426, 405]
--- response_body eval
['{"error":{"message":"This gateway serves the Responses API over HTTP, not WebSocket: send POST /v1/responses.","type":"invalid_request_error","param":null,"code":"upgrade_required"}}',
 '{"error":{"message":"Method GET is not allowed for /v1/responses.","type":"invalid_request_error","param":null,"code":"method_not_allowed"}}']



=== TEST 11: no channel serves the Responses API: stored responses are a 404 in OpenAI's shape
--- http_config
    aigw_channel c_json location=/_aigw/c_json;
--- config
    location /v1/ {
        aigw on;
        aigw_model gpt-json c_json;
    }
--- request
GET /v1/responses/resp_123
--- error_code: 404
--- response_body chomp
{"error":{"message":"No response is stored for /v1/responses/resp_123: this gateway keeps none, and no upstream that serves the Responses API is configured.","type":"invalid_request_error","param":null,"code":"not_found"}}



=== TEST 12: a chat upstream that cuts the stream: the Responses client's stream ends in response.failed, numbered on
--- tcp_listen: 2052
--- tcp_reply eval
my @ev = $::StreamWithUsage =~ /(.*?\n\n)/gs;
::chunked_reply(join('', @ev[0, 1]), cuts => [length $ev[0]], cut => 1)
--- tcp_reply_delay: 20ms
--- request
POST /v1/responses
{"model":"gpt-tcp","stream":true,"input":"hi"}
--- events
response.created status=in_progress
response.in_progress status=in_progress
response.output_item.added out=0 message
response.content_part.added out=0
response.output_text.delta out=0 delta=Hello
error code=upstream_interrupted
response.failed status=failed error=upstream_interrupted
--- error_log
upstream prematurely closed connection
