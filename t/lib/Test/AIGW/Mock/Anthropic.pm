package Test::AIGW::Mock::Anthropic;

# Anthropic's wire format (the Messages API, anthropic-version 2023-06-01) as the mock upstreams
# of the tests send it: Messages answers (text, tool use, thinking), their streams, errors,
# count_tokens and the model list, byte for byte in Anthropic's member order, with the NGINX
# server that serves them by model name, and the same streams cut into TCP packets at awkward
# places (for a block's --- tcp_reply, or a server of the test's own).
#
#     use Test::AIGW::Mock::Anthropic qw(anthropic_mock_server);
#     use Test::AIGW::Mock::Anthropic qw(:all);   # the fixtures too: $MessageJson, $TextStream, ...
#
# The fixtures are exported as variables, so a block's eval sections reach them as $::Name.
# Two generations of answers are here, as api.anthropic.com sends them: claude-sonnet-4-5's
# (2025: the model first, `cache_creation` and `service_tier` in usage, `message_delta` usage
# with the input and cache counts again) and claude-sonnet-5's (2026: `stop_details`,
# `output_tokens_details`, `inference_geo`, and each event's JSON but ping's padded with a varying
# run of spaces before its last brace). Text holds no `$`: NGINX would read it as a variable.

use strict;
use warnings;

use Exporter 'import';
use JSON::PP ();
use Time::HiRes qw(sleep);

use Test::AIGW::HTTP qw(read_http_request);
use Test::AIGW::Mock::OpenAI qw(chunked_reply q_ngx echo_events);

our @EXPORT_OK = qw(
    sse_event sse_events anthropic_error awkward_cuts anthropic_mock_server anthropic_tcp_reply
    anthropic_tcp_serve anthropic_mock_log
    $RequestId $Model $Model5 $Text @TextDeltas $Usage $UsageStart $UsageEnd
    $MessageJson $ToolUseJson $ThinkingJson $MaxTokensJson $MaxTokensText @MaxTokensDeltas
    $ToolText $ToolName $ToolId $ToolInput @ToolJsonPieces $Thinking $Signature $ThinkingText
    @TextEvents @ToolUseEvents @ThinkingEvents @MaxTokensEvents @StreamErrorEvents
    $TextStream $ToolUseStream $ThinkingStream $MaxTokensStream $StreamErrorStream $StreamErrorJson
    %Errors %ErrorJson $CountTokensJson $InputTokensCounted @ModelIds $ModelsJson
    %MockModel
);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# Every answer's request id: the `request-id` header and the `request_id` of error bodies.
our $RequestId = 'req_011CVaigwMockUpstream001';

# ---- the format ----

# One SSE event as Anthropic writes it: its name, its JSON data (whose `type` is the name), a
# blank line.
sub sse_event {
    my ($name, $data) = @_;
    return "event: $name\ndata: $data\n\n";
}

# The events of [name, data] pairs, as one stream.
sub sse_events { return join '', map { sse_event(@$_) } @_ }

# An error body: {"type":"error","error":{"type":...,"message":...},"request_id":...}.
sub anthropic_error {
    my ($type, $message, %o) = @_;
    my $details = $o{details} ? '"details":null,' : '';
    return qq({"type":"error","error":{$details"type":"$type","message":"$message"},"request_id":")
         . ($o{request_id} // $RequestId) . '"}';
}

# ---- fixtures ----

our $Model = 'claude-sonnet-4-5-20250929';
our $Model5 = 'claude-sonnet-5';

# The text answer: 'Hello, "wörld"! ✓', a line feed, 'Bye.' (two multi-byte characters, quotes,
# an escaped newline), and its stream's deltas (JSON string contents, as in the body).
our $Text = 'Hello, \"w' . "\xc3\xb6" . 'rld\"! ' . "\xe2\x9c\x93" . '\nBye.';
our @TextDeltas = ('Hello', ', \"w' . "\xc3\xb6", 'rld\"! ' . "\xe2\x9c\x93", '\nBye.');

# Usage with prompt caching: 21 new input tokens, 1552 written to the cache, 3072 read from it,
# 12 output tokens. $UsageStart is message_start's (output_tokens 1), $UsageEnd message_delta's
# (cumulative: the input and cache counts again, the final output count).
our $Usage = '{"input_tokens":21,"cache_creation_input_tokens":1552,"cache_read_input_tokens":3072,'
           . '"cache_creation":{"ephemeral_5m_input_tokens":1552,"ephemeral_1h_input_tokens":0},'
           . '"output_tokens":12,"service_tier":"standard"}';
(our $UsageStart = $Usage) =~ s/"output_tokens":12/"output_tokens":1/;
our $UsageEnd = '{"input_tokens":21,"cache_creation_input_tokens":1552,"cache_read_input_tokens":3072,'
              . '"output_tokens":12}';

# A Messages answer with text (claude-sonnet-4-5), usage with cache tokens.
our $MessageJson = qq({"model":"$Model","id":"msg_01AigwMockTextAnswer0001","type":"message",)
    . qq("role":"assistant","content":[{"type":"text","text":"$Text"}],"stop_reason":"end_turn",)
    . qq("stop_sequence":null,"usage":$Usage});

# Tool use: a line of text, then get_weather({"city":"Paris","unit":"celsius"}); streamed, the
# input comes as an empty piece then three pieces cut mid-string, as the model writes it.
our $ToolText = q(I'll look up the weather in Paris.);
our $ToolName = 'get_weather';
our $ToolId = 'toolu_01AigwMockGetWeatherCall';
our $ToolInput = '{"city":"Paris","unit":"celsius"}';
our @ToolJsonPieces = ('', '{\"city\": \"Par', 'is\", \"unit\": \"cel', 'sius\"}');
our $ToolUseJson = qq({"model":"$Model","id":"msg_01AigwMockToolUseAnswer1","type":"message",)
    . qq("role":"assistant","content":[{"type":"text","text":"$ToolText"},)
    . qq({"type":"tool_use","id":"$ToolId","name":"$ToolName","input":$ToolInput}],)
    . '"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":403,'
    . '"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":'
    . '{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":71,'
    . '"service_tier":"standard"}}';

# Thinking then text (claude-sonnet-5): the signature, base64 with '+', '/' and '=', must come
# back byte for byte for the next turn to be accepted.
our $Thinking = 'The user wants a greeting. Keep it short.';
our $Signature = 'z2dHslc3ROUKtpRrfoSYXNDCgWihQlEJbMRZA2O/mhVV4YaGDPYEYlROd0N4gA+988etD2iBRNCnXe4z'
    . 'FUNLeZg42JPKuWjbKizlLT+FI8E+/+7nHY0lyoquk+YvGR8QaKJJx/9MgmGAmNsoHNgLcrxRiODBUSvd07cO/m'
    . 'aVIkcTOTRldNiow+MRGAsCOe8yaX5VzTQgGimqQQ+kGBahJVba9PIYsggSsUhEfQOdeN4wA9YZyP5Lf2vq0S/HVQ==';
our $ThinkingText = 'Hi! How can I help?';
our $ThinkingJson = qq({"model":"$Model5","id":"msg_011CdAigwMockThinking001","type":"message",)
    . qq("role":"assistant","content":[{"type":"thinking","thinking":"$Thinking",)
    . qq("signature":"$Signature"},{"type":"text","text":"$ThinkingText"}],)
    . '"stop_reason":"end_turn","stop_sequence":null,"stop_details":null,"usage":{"input_tokens":47,'
    . '"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":'
    . '{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":38,'
    . '"output_tokens_details":{"thinking_tokens":14},"service_tier":"standard",'
    . '"inference_geo":"global"}}';

# The text answer streamed: message_start (input and cache counts, output_tokens 1),
# content_block_start, ping, four text_deltas, content_block_stop, message_delta (end_turn,
# cumulative usage), message_stop.
sub _start {
    my ($id, $model, $usage, $stop_details) = @_;
    return qq({"type":"message_start","message":{"model":"$model","id":"$id","type":"message",)
         . '"role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,'
         . ($stop_details ? '"stop_details":null,' : '') . qq("usage":$usage}});
}
sub _delta { qq({"type":"content_block_delta","index":$_[0],"delta":{"type":"$_[1]","$_[2]":"$_[3]"}}) }
sub _block_start { qq({"type":"content_block_start","index":$_[0],"content_block":$_[1]}) }
sub _block_stop { qq({"type":"content_block_stop","index":$_[0]}) }

our @TextEvents = (
    [message_start => _start('msg_01AigwMockTextStream0001', $Model, $UsageStart)],
    [content_block_start => _block_start(0, '{"type":"text","text":""}')],
    [ping => '{"type":"ping"}'],
    (map { [content_block_delta => _delta(0, text_delta => text => $_)] } @TextDeltas),
    [content_block_stop => _block_stop(0)],
    [message_delta => qq({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":$UsageEnd})],
    [message_stop => '{"type":"message_stop"}'],
);
our $TextStream = sse_events(@TextEvents);

# Tool use streamed: the text block, then the tool_use block with its input in
# input_json_delta pieces, stop_reason tool_use.
our @ToolUseEvents = (
    [message_start => _start('msg_01AigwMockToolUseStream1', $Model,
        '{"input_tokens":403,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,'
        . '"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},'
        . '"output_tokens":1,"service_tier":"standard"}')],
    [content_block_start => _block_start(0, '{"type":"text","text":""}')],
    [ping => '{"type":"ping"}'],
    [content_block_delta => _delta(0, text_delta => text => q(I'll look up))],
    [content_block_delta => _delta(0, text_delta => text => ' the weather in Paris.')],
    [content_block_stop => _block_stop(0)],
    [content_block_start => _block_start(1, qq({"type":"tool_use","id":"$ToolId","name":"$ToolName","input":{}}))],
    (map { [content_block_delta => _delta(1, input_json_delta => partial_json => $_)] } @ToolJsonPieces),
    [content_block_stop => _block_stop(1)],
    [message_delta => '{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},'
        . '"usage":{"input_tokens":403,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,'
        . '"output_tokens":71}}'],
    [message_stop => '{"type":"message_stop"}'],
);
our $ToolUseStream = sse_events(@ToolUseEvents);

# Thinking streamed (claude-sonnet-5, padded events): a thinking block (two thinking_deltas,
# one signature_delta), then a text block.
sub _pad { my ($json, $n) = @_; $json =~ s/\}\z/(' ' x $n) . '}'/e; return $json }
our @ThinkingEvents = (
    [message_start => _pad(_start('msg_011CdAigwMockThinkStream', $Model5,
        '{"input_tokens":47,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,'
        . '"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},'
        . '"output_tokens":2,"service_tier":"standard","inference_geo":"global"}', 1), 11)],
    [content_block_start => _pad(_block_start(0, '{"type":"thinking","thinking":"","signature":""}'), 7)],
    [ping => '{"type": "ping"}'],
    [content_block_delta => _pad(_delta(0, thinking_delta => thinking => 'The user wants a greeting.'), 10)],
    [content_block_delta => _pad(_delta(0, thinking_delta => thinking => ' Keep it short.'), 4)],
    [content_block_delta => _pad(_delta(0, signature_delta => signature => $Signature), 7)],
    [content_block_stop => _pad(_block_stop(0), 6)],
    [content_block_start => _pad(_block_start(1, '{"type":"text","text":""}'), 8)],
    [content_block_delta => _pad(_delta(1, text_delta => text => 'Hi! How'), 12)],
    [content_block_delta => _pad(_delta(1, text_delta => text => ' can I help?'), 3)],
    [content_block_stop => _pad(_block_stop(1), 2)],
    [message_delta => _pad('{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null,'
        . '"stop_details":null},"usage":{"input_tokens":47,"cache_creation_input_tokens":0,'
        . '"cache_read_input_tokens":0,"output_tokens":38,"output_tokens_details":{"thinking_tokens":14}}}', 10)],
    [message_stop => _pad('{"type":"message_stop"}', 15)],
);
our $ThinkingStream = sse_events(@ThinkingEvents);

# An answer cut by max_tokens: "Once upon a", stop_reason max_tokens; and streamed.
our $MaxTokensText = 'Once upon a';
our @MaxTokensDeltas = ('Once upon', ' a');
my $max_usage = '"input_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":0';
our $MaxTokensJson = qq({"model":"$Model","id":"msg_01AigwMockMaxTokensAnswr","type":"message",)
    . qq("role":"assistant","content":[{"type":"text","text":"$MaxTokensText"}],)
    . qq("stop_reason":"max_tokens","stop_sequence":null,"usage":{$max_usage,"cache_creation":)
    . '{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":3,'
    . '"service_tier":"standard"}}';
our @MaxTokensEvents = (
    [message_start => _start('msg_01AigwMockMaxTokensStrm', $Model, qq({$max_usage,"cache_creation":)
        . '{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":1,'
        . '"service_tier":"standard"}')],
    [content_block_start => _block_start(0, '{"type":"text","text":""}')],
    [ping => '{"type":"ping"}'],
    (map { [content_block_delta => _delta(0, text_delta => text => $_)] } @MaxTokensDeltas),
    [content_block_stop => _block_stop(0)],
    [message_delta => '{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},'
        . qq("usage":{$max_usage,"output_tokens":3}})],
    [message_stop => '{"type":"message_stop"}'],
);
our $MaxTokensStream = sse_events(@MaxTokensEvents);

# A stream that fails after its first text delta: `event: error` (overloaded_error, what a 529
# is mid-stream), then the body ends with status 200.
our $StreamErrorJson = anthropic_error(overloaded_error => 'Overloaded', details => 1);
our @StreamErrorEvents = (@TextEvents[0 .. 3], [error => $StreamErrorJson]);
our $StreamErrorStream = sse_events(@StreamErrorEvents);

# The error of each status: [type, message], and its body.
our %Errors = (
    400 => [invalid_request_error => 'max_tokens: Field required'],
    401 => [authentication_error => 'invalid x-api-key'],
    403 => [permission_error => 'Your API key does not have permission to use the specified resource.'],
    404 => [not_found_error => 'model: claude-mock-404'],
    413 => [request_too_large => 'Request exceeds the maximum allowed number of bytes.'],
    429 => [rate_limit_error => 'This request would exceed the rate limit for your organization '
        . '(0e5a2c6d-aigw-mock) of 50,000 input tokens per minute. For details, refer to: '
        . 'https://docs.claude.com/en/api/rate-limits. You can see the response headers for current '
        . 'usage. Please reduce the prompt length or the maximum tokens requested, or try again later.'],
    500 => [api_error => 'Internal server error'],
    529 => [overloaded_error => 'Overloaded'],
);
our %ErrorJson = map { $_ => anthropic_error(@{ $Errors{$_} }) } keys %Errors;

# POST /v1/messages/count_tokens.
our $InputTokensCounted = 14;
our $CountTokensJson = qq({"input_tokens":$InputTokensCounted});

# GET /v1/models: newest first, one page.
our @ModelIds = qw(claude-haiku-4-5-20251001 claude-sonnet-4-5-20250929 claude-opus-4-1-20250805);
our $ModelsJson = '{"data":['
    . '{"type":"model","id":"claude-haiku-4-5-20251001","display_name":"Claude Haiku 4.5","created_at":"2025-10-15T00:00:00Z"},'
    . '{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},'
    . '{"type":"model","id":"claude-opus-4-1-20250805","display_name":"Claude Opus 4.1","created_at":"2025-08-05T00:00:00Z"}'
    . '],"has_more":false,"first_id":"claude-haiku-4-5-20251001","last_id":"claude-opus-4-1-20250805"}';

# The model names the mock answers by (any other name: the text answer).
our %MockModel = (
    tool => 'claude-mock-tool',
    thinking => 'claude-mock-thinking',
    max_tokens => 'claude-mock-max-tokens',
    stream_error => 'claude-mock-stream-error',
    (map { ("e$_" => "claude-mock-$_") } keys %Errors),
);

# ---- packets ----

# Offsets in $stream to cut it at, in order: inside the name of the first content_block_delta's
# `event:` line, between the second one's `event:` line and its `data:` line, and inside each
# multi-byte UTF-8 character (after its first byte).
sub awkward_cuts {
    my ($stream) = @_;
    my @cuts;
    my $line = "event: content_block_delta\n";
    my $first = index $stream, $line;
    if ($first >= 0) {
        push @cuts, $first + length 'event: content_bl';
        my $second = index $stream, $line, $first + 1;
        push @cuts, $second + length $line if $second >= 0;
    }
    while ($stream =~ /[\xc2-\xf4]/g) { push @cuts, pos $stream }
    return [ sort { $a <=> $b } @cuts ];
}

# What a TCP mock answers (for --- tcp_reply): the packets of a 200 reply. For /v1/messages a
# stream when the body asks for one (the text stream, or the model's own), cut at
# awkward_cuts(), else the model's JSON answer; count_tokens and the model list as the NGINX
# mock answers them.
sub anthropic_tcp_reply {
    my ($query) = @_;
    my ($path) = $query =~ /\A\S+ (\S+)/;
    $path //= '';
    $path =~ s/\?.*//;
    my ($model) = $query =~ /"model"\s*:\s*"([^"]*)"/;
    $model //= '';
    my @h = ('request-id' => $RequestId);
    if ($path eq '/v1/messages' && $query =~ /"stream"\s*:\s*true/) {
        my $body = $model eq $MockModel{tool} ? $ToolUseStream
                 : $model eq $MockModel{thinking} ? $ThinkingStream
                 : $model eq $MockModel{max_tokens} ? $MaxTokensStream
                 : $model eq $MockModel{stream_error} ? $StreamErrorStream
                 : $TextStream;
        return chunked_reply($body, cuts => awkward_cuts($body),
                             headers => [@h, 'Cache-Control' => 'no-cache']);
    }
    my $json = $path eq '/v1/messages/count_tokens' ? $CountTokensJson
             : $path eq '/v1/models' ? $ModelsJson
             : $model eq $MockModel{tool} ? $ToolUseJson
             : $model eq $MockModel{thinking} ? $ThinkingJson
             : $model eq $MockModel{max_tokens} ? $MaxTokensJson
             : $MessageJson;
    return ["HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nrequest-id: $RequestId\r\n"
          . "Content-Length: " . length($json) . "\r\nConnection: close\r\n\r\n$json"];
}

# Serves one connection of a server of the test's own (Test::AIGW::HTTP's tcp_server_fork):
# reads the request, writes anthropic_tcp_reply's packets 20 ms apart, so that each arrives
# alone.
sub anthropic_tcp_serve {
    my ($sock) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $packets = anthropic_tcp_reply(read_http_request($sock));
    for my $p (@$packets) {
        syswrite $sock, $p or last;
        sleep 0.02;
    }
    return;
}

# ---- the mock ----

# The http-level NGINX text of a mock Anthropic upstream on 127.0.0.1:$port: two maps (the
# answer by the request's model, JSON or stream by its `stream`) and the server. Every answer
# has `request-id: $RequestId`; JSON answers `content-type: application/json`, streams
# `text/event-stream; charset=utf-8` and `cache-control: no-cache`, sent event by event.
#   POST /v1/messages               by model: claude-mock-tool, claude-mock-thinking,
#                                   claude-mock-max-tokens, claude-mock-stream-error (a stream whatever `stream` says),
#                                   claude-mock-NNN (the error of status NNN: 400 401 403 404 413
#                                   429 with retry-after 20, 500 529); any other: the text
#   POST /v1/messages/count_tokens  $CountTokensJson
#   GET  /v1/models                 $ModelsJson, and /v1/models/ID for each of @ModelIds
#   anything else                   404 not_found_error
# `log => FILE`: one JSON line a request there, for anthropic_mock_log().
sub anthropic_mock_server {
    my ($port, %o) = @_;
    my ($answer, $mode) = ("\$anthropic_mock_answer_$port", "\$anthropic_mock_mode_$port");
    my $rid = "add_header request-id $RequestId always;";
    my $json = sub { "            return $_[0] " . q_ngx($_[1]) . ";\n" };
    my $sse = sub {
        "            default_type text/event-stream;\n            charset utf-8;\n"
      . "            $rid\n            add_header cache-control no-cache;\n" . echo_events($_[0]);
    };
    my $loc = sub { "        location $_[0] {\n            internal;\n$_[1]        }\n" };
    my $out = '';
    if ($o{log}) {
        $out .= "    map \$request_body \$anthropic_mock_model_$port {\n"
              . "        '~\"model\"\\s*:\\s*\"(?<anthropic_mock_model>[^\"]*)\"' \$anthropic_mock_model;\n        default '';\n    }\n"
              . "    log_format anthropic_mock_$port escape=json '{\"method\":\"\$request_method\","
              . "\"uri\":\"\$request_uri\",\"status\":\"\$status\",\"x_api_key\":\"\$http_x_api_key\","
              . "\"authorization\":\"\$http_authorization\",\"anthropic_version\":\"\$http_anthropic_version\","
              . "\"anthropic_beta\":\"\$http_anthropic_beta\",\"model\":\"\$anthropic_mock_model_$port\","
              . "\"mode\":\"$mode\"}';\n";
    }
    $out .= "    map \$request_body $answer {\n"
        . join('', map { "        '~\"model\"\\s*:\\s*\"$MockModel{$_}\"' $_;\n" } sort keys %MockModel)
        . "        default text;\n    }\n"
        . "    map \$request_body $mode {\n        '~\"stream\"\\s*:\\s*true' stream;\n"
        . "        default json;\n    }\n"
        . "    server {\n        listen 127.0.0.1:$port;\n        default_type application/json;\n"
        . "        charset_types text/event-stream;\n        client_max_body_size 16m;\n"
        . "        client_body_buffer_size 16m;\n        client_body_in_single_buffer on;\n"
        . "        $rid\n"
        . ($o{log} ? "        access_log $o{log} anthropic_mock_$port;\n" : '')
        . "        location = /v1/messages {\n            echo_read_request_body;\n"
        . "            echo_exec /_mock/$answer/$mode;\n        }\n"
        . "        location = /v1/messages/count_tokens { return 200 " . q_ngx($CountTokensJson) . "; }\n"
        . "        location = /v1/models { return 200 " . q_ngx($ModelsJson) . "; }\n";
    for my $id (@ModelIds) {
        my ($m) = $ModelsJson =~ /(\{"type":"model","id":"\Q$id\E".*?\})/;
        $out .= "        location = /v1/models/$id { return 200 " . q_ngx($m) . "; }\n";
    }
    $out .= $loc->('= /_mock/text/json', $json->(200, $MessageJson))
          . $loc->('= /_mock/text/stream', $sse->($TextStream))
          . $loc->('= /_mock/tool/json', $json->(200, $ToolUseJson))
          . $loc->('= /_mock/tool/stream', $sse->($ToolUseStream))
          . $loc->('= /_mock/thinking/json', $json->(200, $ThinkingJson))
          . $loc->('= /_mock/thinking/stream', $sse->($ThinkingStream))
          . $loc->('= /_mock/max_tokens/json', $json->(200, $MaxTokensJson))
          . $loc->('= /_mock/max_tokens/stream', $sse->($MaxTokensStream))
          . $loc->('/_mock/stream_error/', $sse->($StreamErrorStream));
    for my $status (sort keys %Errors) {
        my $extra = $status == 429 ? "            $rid\n            add_header retry-after 20 always;\n" : '';
        $out .= $loc->("/_mock/e$status/", $extra . $json->($status, $ErrorJson{$status}));
    }
    $out .= "        location / { return 404 " . q_ngx(anthropic_error(not_found_error => 'Not Found')) . "; }\n"
          . "    }\n";
    return $out;
}

# The requests the mock of anthropic_mock_server(..., log => FILE) got, in order: hashes of
# method, uri (with its query), status, x_api_key, authorization, anthropic_version,
# anthropic_beta, model (of a JSON body), mode (json or stream); a header that was not sent is
# ''. `min => N`: wait (2 s at most) for N lines, as NGINX logs a request once it is done with
# it, which may be just after its client saw the answer end.
sub anthropic_mock_log {
    my ($file, %o) = @_;
    my @lines;
    for (1 .. 100) {
        if (open my $fh, '<', $file) {
            @lines = grep { /\S/ } <$fh>;
            close $fh;
        }
        last if @lines >= ($o{min} // 0);
        sleep 0.02;
    }
    return map { JSON::PP->new->decode($_) } @lines;
}

1;
