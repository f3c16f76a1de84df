package Test::AIGW::Mock::Responses;

# OpenAI's Responses API (POST /v1/responses, and the stored responses around it) as the mock
# upstreams of the tests send it: answers with text, parallel function calls, reasoning then
# text, one cut by max_output_tokens; their streams, event by event; a stream that fails; the
# errors of each status; a stored response, its input items, its deletion; a compaction. Byte for
# byte in the shape api.openai.com sent in September 2026: every stream event has an `event:`
# line equal to its data's `type`, then the data's other members in alphabetical order, a
# `sequence_number` from 0 up and no `data: [DONE]`; deltas carry `obfuscation` padding (to 16
# characters); whole bodies are pretty-printed JSON; usage has
# `input_tokens_details.{cache_write_tokens,cached_tokens}` and
# `output_tokens_details.reasoning_tokens`. Text holds no `$`: NGINX would read it as a variable.
#
#     use Test::AIGW::Mock::Responses qw(responses_mock_server responses_mock_log);
#     use Test::AIGW::Mock::Responses qw(:all);   # the fixtures too: $ResponseJson, $TextStream, ...
#
# The fixtures are exported as variables, so a block's eval sections reach them as $::Name. The
# module is apart from Mock/OpenAI.pm (Chat Completions) as the two are two dialects of the
# gateway, each with its own fixtures, server and log, as Mock/Anthropic.pm is.

use strict;
use warnings;

use Exporter 'import';
use JSON::PP ();
use Time::HiRes qw(sleep);

use Test::AIGW::HTTP qw(read_http_request);
use Test::AIGW::Mock::OpenAI qw(chunked_reply q_ngx echo_events);

our @EXPORT_OK = qw(
    responses_event responses_stream pretty_json usage_json response_object responses_error
    responses_cuts responses_mock_server responses_mock_log responses_tcp_reply responses_tcp_serve
    $RequestId $Model $ReasoningModel $Text @TextDeltas $ToolName @ToolCalls $Summary @SummaryDeltas
    $ReasoningText $EncryptedContent $IncompleteText @IncompleteDeltas $FailedMessage
    $Usage $ToolUsage $ReasoningUsage $IncompleteUsage $CompactionUsage
    $ResponseId $ResponseJson $ToolJson $ReasoningJson $IncompleteJson
    @TextEvents @ToolEvents @ReasoningEvents @IncompleteEvents @FailedEvents
    $TextStream $ToolStream $ReasoningStream $IncompleteStream $FailedStream
    %Errors %ErrorJson $NotFoundJson $DeletedJson $InputItemsJson $CompactionJson $CompactionId
    %MockModel
);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# Every answer's `x-request-id`.
our $RequestId = 'req_7f3c2aigwmockresponses0000001';

# ---- the format ----

# Compact JSON text as pretty-printed JSON, its members in their order: two spaces an indent,
# `": "` between a name and its value, `[]` and `{}` when empty.
sub pretty_json {
    my ($json) = @_;
    my ($out, $depth, $in_string) = ('', 0, 0);
    my @c = split //, $json;
    for (my $i = 0; $i < @c; $i++) {
        my $ch = $c[$i];
        if ($in_string) {
            $out .= $ch;
            if ($ch eq '\\') { $out .= $c[++$i] }
            elsif ($ch eq '"') { $in_string = 0 }
            next;
        }
        if ($ch eq '"') { $in_string = 1; $out .= $ch }
        elsif ($ch eq '{' || $ch eq '[') {
            my $close = $ch eq '{' ? '}' : ']';
            if (($c[$i + 1] // '') eq $close) { $out .= "$ch$close"; $i++; next }
            $depth++;
            $out .= $ch . "\n" . ('  ' x $depth);
        } elsif ($ch eq '}' || $ch eq ']') {
            $depth--;
            $out .= "\n" . ('  ' x $depth) . $ch;
        } elsif ($ch eq ',') { $out .= ",\n" . ('  ' x $depth) }
        elsif ($ch eq ':') { $out .= ': ' }
        else { $out .= $ch }
    }
    return $out;
}

# One stream event: its name and its members ({name => JSON text}) but `type`, which comes first,
# the others after it in alphabetical order.
sub responses_event {
    my ($name, $members) = @_;
    my $data = qq({"type":"$name") . join('', map { qq(,"$_":$members->{$_}) } sort keys %$members) . '}';
    return "event: $name\ndata: $data\n\n";
}

# A stream from [name, {members}] pairs, each given its sequence_number, from 0.
sub responses_stream {
    my (@events) = @_;
    my $n = 0;
    return join '', map { responses_event($_->[0], { %{ $_->[1] }, sequence_number => $n++ }) } @events;
}

# The usage object: input tokens (of them `cached` read from the cache), output tokens (of them
# `reasoning`).
sub usage_json {
    my ($input, $cached, $output, $reasoning) = @_;
    return qq({"input_tokens":$input,"input_tokens_details":{"cache_write_tokens":0,"cached_tokens":$cached},)
         . qq("output_tokens":$output,"output_tokens_details":{"reasoning_tokens":$reasoning},)
         . '"total_tokens":' . ($input + $output) . '}';
}

# A response object (compact JSON) with OpenAI's members in its order. Options are JSON texts:
# id, created_at, status, completed_at, error, incomplete_details, instructions,
# max_output_tokens, model, output, reasoning, service_tier, store, tools, usage.
sub response_object {
    my (%o) = @_;
    my $v = sub { my ($k, $default) = @_; return defined $o{$k} ? $o{$k} : $default };
    return '{'
        . qq("id":"$o{id}","object":"response","created_at":) . $v->('created_at', 1789686483)
        . ',"status":"' . $v->('status', 'completed') . '","background":false,"completed_at":' . $v->('completed_at', 'null')
        . ',"error":' . $v->('error', 'null') . ',"frequency_penalty":0.0,"incomplete_details":' . $v->('incomplete_details', 'null')
        . ',"instructions":' . $v->('instructions', 'null') . ',"max_output_tokens":' . $v->('max_output_tokens', 'null')
        . ',"max_tool_calls":null,"model":"' . $v->('model', $Test::AIGW::Mock::Responses::Model) . '","moderation":null'
        . ',"output":' . $v->('output', '[]') . ',"parallel_tool_calls":true,"presence_penalty":0.0'
        . ',"previous_response_id":null,"prompt_cache_key":null,"prompt_cache_retention":"in_memory"'
        . ',"reasoning":' . $v->('reasoning', '{"context":null,"effort":null,"summary":null}')
        . ',"safety_identifier":null,"service_tier":"' . $v->('service_tier', 'default') . '","store":' . $v->('store', 'true')
        . ',"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto"'
        . ',"tool_usage":{"image_gen":{"input_tokens":0,"input_tokens_details":{"image_tokens":0,"text_tokens":0},'
        . '"output_tokens":0,"output_tokens_details":{"image_tokens":0,"text_tokens":0},"total_tokens":0},'
        . '"web_search":{"num_requests":0}},"tools":' . $v->('tools', '[]')
        . ',"top_logprobs":0,"top_p":1.0,"truncation":"disabled","usage":' . $v->('usage', 'null')
        . ',"user":null,"metadata":{}}';
}

# An error body as OpenAI sends it: {"error":{message, type, param, code}}, pretty-printed.
sub responses_error {
    my ($message, $type, $param, $code) = @_;
    my $s = sub { defined $_[0] ? qq("$_[0]") : 'null' };
    return pretty_json(qq({"error":{"message":"$message","type":"$type","param":) . $s->($param)
                       . ',"code":' . $s->($code) . '}}');
}

# The padding of a delta: its characters and this many more make 16.
my $Pad = 'Zq7RkX2mWbT9vLpA';
sub _obfuscation {
    my ($delta) = @_;
    (my $chars = $delta) =~ s/\\(?:u[0-9a-fA-F]{4}|.)/x/g;
    $chars =~ s/[\x80-\xbf]//g;                          # UTF-8 continuation bytes
    my $n = 16 - length $chars;
    return '"' . substr($Pad, 0, $n < 1 ? 1 : $n) . '"';
}

# ---- fixtures ----

our $Model = 'gpt-4.1-mini-2025-04-14';
our $ReasoningModel = 'gpt-5-mini-2025-08-07';
my $Created = 1789686483;

# The text answer, and the other mocks' (Mock/Anthropic.pm): 'Hello, "wörld"! ✓', a line feed,
# 'Bye.' (two multi-byte characters, quotes, an escaped newline), as JSON string contents; its
# stream's deltas.
our $Text = 'Hello, \"w' . "\xc3\xb6" . 'rld\"! ' . "\xe2\x9c\x93" . '\nBye.';
our @TextDeltas = ('Hello', ', \"w' . "\xc3\xb6", 'rld\"! ' . "\xe2\x9c\x93", '\nBye.');

# Usage with a cache hit: 2048 input tokens, 1920 of them read from the cache, 12 output.
our $Usage = usage_json(2048, 1920, 12, 0);

our $ResponseId = 'resp_0a16aigw0mock0text0000000000000000000000000000001';
my $MessageId = 'msg_0a16aigw0mock0text00000000000000000000000000000001';

sub _text_part { qq({"type":"output_text","annotations":[],"logprobs":[],"text":"$_[0]"}) }
sub _message {
    my ($id, $status, $content) = @_;
    return qq({"id":"$id","type":"message","status":"$status","content":[$content],"role":"assistant"});
}

# The events of a message item at output_index $index whose text comes in @deltas; the item
# ends `completed`, or as `status`.
sub _message_events {
    my ($id, $index, $deltas, %o) = @_;
    my $text = join '', @$deltas;
    my %at = (item_id => qq("$id"), output_index => $index);
    my %part = (%at, content_index => 0);
    return (
        ['response.output_item.added', { item => _message($id, 'in_progress', ''), output_index => $index }],
        ['response.content_part.added', { %part, part => _text_part('') }],
        (map { ['response.output_text.delta', { %part, delta => qq("$_"), logprobs => '[]', obfuscation => _obfuscation($_) }] } @$deltas),
        ['response.output_text.done', { %part, logprobs => '[]', text => qq("$text") }],
        ['response.content_part.done', { %part, part => _text_part($text) }],
        ['response.output_item.done', { item => _message($id, $o{status} // 'completed', _text_part($text)), output_index => $index }],
    );
}

# created and in_progress, then the events, then the terminal event ($end, default
# response.completed) with the final response object.
sub _stream_events {
    my ($start, $final, $end, @events) = @_;
    return (['response.created', { response => $start }], ['response.in_progress', { response => $start }],
            @events, [$end // 'response.completed', { response => $final }]);
}

our $ResponseJson = pretty_json(response_object(id => $ResponseId, completed_at => $Created + 1,
    output => '[' . _message($MessageId, 'completed', _text_part($Text)) . ']', usage => $Usage));
our @TextEvents = _stream_events(
    response_object(id => $ResponseId, status => 'in_progress', service_tier => 'auto'),
    response_object(id => $ResponseId, completed_at => $Created + 1,
                    output => '[' . _message($MessageId, 'completed', _text_part($Text)) . ']', usage => $Usage),
    undef, _message_events($MessageId, 0, \@TextDeltas));
our $TextStream = responses_stream(@TextEvents);

# Parallel function calls: get_weather for Paris and for Tokyo, the arguments streamed in pieces
# cut mid-string.
our $ToolName = 'get_weather';
our @ToolCalls = (
    { id => 'fc_0a16aigw0mock0tool000000000000000000000000000000001', call_id => 'call_AigwMockParis0000000001',
      arguments => '{\"city\":\"Paris\",\"unit\":\"celsius\"}',
      pieces => ['{\"', 'city\":\"Par', 'is\",\"unit\":\"', 'celsius\"}'] },
    { id => 'fc_0a16aigw0mock0tool000000000000000000000000000000002', call_id => 'call_AigwMockTokyo0000000002',
      arguments => '{\"city\":\"Tokyo\",\"unit\":\"celsius\"}',
      pieces => ['{\"city', '\":\"Tokyo\",\"', 'unit\":\"', 'celsius\"}'] },
);
our $ToolUsage = usage_json(312, 0, 58, 0);
my $ToolId = 'resp_0a16aigw0mock0tool0000000000000000000000000000001';
my $ToolsEcho = '[{"type":"function","description":"The current weather in a city.","name":"get_weather",'
    . '"parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string",'
    . '"enum":["celsius","fahrenheit"]}},"required":["city"]},"strict":false}]';
sub _call {
    my ($c, $status) = @_;
    my $args = $status eq 'completed' ? $c->{arguments} : '';
    return qq({"id":"$c->{id}","type":"function_call","status":"$status","arguments":"$args",)
         . qq("call_id":"$c->{call_id}","name":"$ToolName"});
}
my $ToolOutput = '[' . join(',', map { _call($_, 'completed') } @ToolCalls) . ']';
our $ToolJson = pretty_json(response_object(id => $ToolId, completed_at => $Created + 1, output => $ToolOutput,
                                            tools => $ToolsEcho, usage => $ToolUsage));
our @ToolEvents = _stream_events(
    response_object(id => $ToolId, status => 'in_progress', service_tier => 'auto', tools => $ToolsEcho),
    response_object(id => $ToolId, completed_at => $Created + 1, output => $ToolOutput, tools => $ToolsEcho,
                    usage => $ToolUsage),
    undef,
    map {
        my ($c, $i) = ($ToolCalls[$_], $_);
        my %at = (item_id => qq("$c->{id}"), output_index => $i);
        (['response.output_item.added', { item => _call($c, 'in_progress'), output_index => $i }],
         (map { ['response.function_call_arguments.delta', { %at, delta => qq("$_"), obfuscation => _obfuscation($_) }] }
              @{ $c->{pieces} }),
         ['response.function_call_arguments.done', { %at, arguments => qq("$c->{arguments}") }],
         ['response.output_item.done', { item => _call($c, 'completed'), output_index => $i }]);
    } 0 .. $#ToolCalls);
our $ToolStream = responses_stream(@ToolEvents);

# Reasoning then text (a gpt-5 model, summary asked for): the reasoning item with its summary
# and the encrypted content a client sends back on the next turn (base64 with '-', '_', '='),
# then the message.
our $Summary = '**Greeting the user**\n\nA short hello is enough.';
our @SummaryDeltas = ('**Greeting', ' the user**', '\n\nA short', ' hello is', ' enough.');
our $ReasoningText = 'Hi! How can I help?';
my @ReasoningDeltas = ('Hi! How', ' can I help?');
our $EncryptedContent = 'gAAAAABpaMp1ZGu9Hy7x0dbywXLEQhbKekbyvD5fDL6SzA_yfNkTvr0n72ikemN84blAekZZOL_DLQv5bQZX_'
    . 'tnuSSO8VxsX5euy15WHJs_K_p-kOBmRU7Gd0-n0dgvEpuSPrnXsfyj7LUd316STn3A_30jP3HglEsLNdr7Y9QMh39SG_UzYgiRggO=';
our $ReasoningUsage = usage_json(47, 0, 102, 64);
my $ReasoningId = 'resp_0a16aigw0mock0reasoning00000000000000000000000001';
my $RsId = 'rs_0a16aigw0mock0reasoning0000000000000000000000000001';
my $RsMsgId = 'msg_0a16aigw0mock0reasoning000000000000000000000000001';
my $ReasoningEcho = '{"context":"current_turn","effort":"medium","mode":"standard","summary":"detailed"}';
sub _summary_part { qq({"type":"summary_text","text":"$_[0]"}) }
sub _reasoning_item {
    my ($summary) = @_;
    return qq({"id":"$RsId","type":"reasoning","encrypted_content":"$EncryptedContent","summary":[)
         . (defined $summary ? _summary_part($summary) : '') . ']}';
}
my $ReasoningOutput = '[' . _reasoning_item($Summary) . ',' . _message($RsMsgId, 'completed', _text_part($ReasoningText)) . ']';
my %ReasoningObject = (id => $ReasoningId, model => $ReasoningModel, reasoning => $ReasoningEcho);
our $ReasoningJson = pretty_json(response_object(%ReasoningObject, completed_at => $Created + 2,
                                                 output => $ReasoningOutput, usage => $ReasoningUsage));
my %rs_at = (item_id => qq("$RsId"), output_index => 0, summary_index => 0);
our @ReasoningEvents = _stream_events(
    response_object(%ReasoningObject, status => 'in_progress', service_tier => 'auto'),
    response_object(%ReasoningObject, completed_at => $Created + 2, output => $ReasoningOutput, usage => $ReasoningUsage),
    undef,
    ['response.output_item.added', { item => _reasoning_item(undef), output_index => 0 }],
    ['response.reasoning_summary_part.added', { %rs_at, part => _summary_part('') }],
    (map { ['response.reasoning_summary_text.delta', { %rs_at, delta => qq("$_"), obfuscation => _obfuscation($_) }] }
         @SummaryDeltas),
    ['response.reasoning_summary_text.done', { %rs_at, text => qq("$Summary") }],
    ['response.reasoning_summary_part.done', { %rs_at, part => _summary_part($Summary) }],
    ['response.output_item.done', { item => _reasoning_item($Summary), output_index => 0 }],
    _message_events($RsMsgId, 1, \@ReasoningDeltas));
our $ReasoningStream = responses_stream(@ReasoningEvents);

# Cut by max_output_tokens (16, the least OpenAI takes): "Once upon a", status incomplete, no
# completed_at; streamed, response.incomplete ends it and the message item is incomplete.
our $IncompleteText = 'Once upon a';
our @IncompleteDeltas = ('Once upon', ' a');
our $IncompleteUsage = usage_json(22, 0, 16, 0);
my $IncompleteId = 'resp_0a16aigw0mock0incomplete0000000000000000000000001';
my $IncMsgId = 'msg_0a16aigw0mock0incomplete00000000000000000000000001';
my %IncompleteObject = (id => $IncompleteId, max_output_tokens => 16);
my $IncompleteFinal = response_object(%IncompleteObject, status => 'incomplete',
    incomplete_details => '{"reason":"max_output_tokens"}',
    output => '[' . _message($IncMsgId, 'incomplete', _text_part($IncompleteText)) . ']', usage => $IncompleteUsage);
our $IncompleteJson = pretty_json($IncompleteFinal);
our @IncompleteEvents = _stream_events(
    response_object(%IncompleteObject, status => 'in_progress', service_tier => 'auto'), $IncompleteFinal,
    'response.incomplete', _message_events($IncMsgId, 0, \@IncompleteDeltas, status => 'incomplete'));
our $IncompleteStream = responses_stream(@IncompleteEvents);

# A stream that fails after its first text delta: response.failed with the error the API gives
# for its own failure (status 200, the stream ends there).
our $FailedMessage = 'An error occurred while processing your request. You can retry your request, or contact us '
    . 'through our help center at help.openai.com if the error persists. Please include the request ID '
    . "$RequestId in your message.";
my $FailedId = 'resp_0a16aigw0mock0failed000000000000000000000000000001';
my $FailedMsgId = 'msg_0a16aigw0mock0failed0000000000000000000000000000001';
my $FailedStart = response_object(id => $FailedId, status => 'in_progress', service_tier => 'auto');
our @FailedEvents = (
    ['response.created', { response => $FailedStart }], ['response.in_progress', { response => $FailedStart }],
    (_message_events($FailedMsgId, 0, ['Hello']))[0 .. 2],
    ['response.failed', { response => response_object(id => $FailedId, status => 'failed',
        error => qq({"code":"server_error","message":"$FailedMessage"})) }],
);
our $FailedStream = responses_stream(@FailedEvents);

# The error of each status: [message, type, param, code], and its body.
our %Errors = (
    400 => [q(Invalid type for 'max_output_tokens': expected an integer, but got a string instead.),
            'invalid_request_error', 'max_output_tokens', 'invalid_type'],
    401 => ['Incorrect API key provided: sk-upstr*****1234. You can find your API key at '
            . 'https://platform.openai.com/account/api-keys.', 'invalid_request_error', undef, 'invalid_api_key'],
    404 => ['The model `resp-mock-404` does not exist or you do not have access to it.',
            'invalid_request_error', undef, 'model_not_found'],
    429 => ['Rate limit reached for gpt-4.1-mini in organization org-aigwmock on tokens per min (TPM): Limit '
            . '200000, Used 199850, Requested 1200. Please try again in 315ms. Visit '
            . 'https://platform.openai.com/account/rate-limits to learn more.', 'tokens', undef, 'rate_limit_exceeded'],
    500 => ['The server had an error while processing your request. Sorry about that!', 'server_error', undef, undef],
);
our %ErrorJson = map { $_ => responses_error(@{ $Errors{$_} }) } keys %Errors;

# GET, DELETE and input_items of a response id the mock does not hold.
our $NotFoundJson = responses_error(q(Response with id 'resp_nope' not found.), 'invalid_request_error', undef, undef);

# The stored text answer: deleted, and its input items (one user message).
our $DeletedJson = pretty_json(qq({"id":"$ResponseId","object":"response.deleted","deleted":true}));
my $InputMsgId = 'msg_0a16aigw0mock0input00000000000000000000000000000001';
my $InputMessage = qq({"id":"$InputMsgId","type":"message","status":"completed",)
    . '"content":[{"type":"input_text","text":"Say hello."}],"role":"user"}';
our $InputItemsJson = pretty_json(qq({"object":"list","data":[$InputMessage],"first_id":"$InputMsgId",)
                                  . qq("last_id":"$InputMsgId","has_more":false}));

# POST /v1/responses/compact: the user messages, then one compaction item.
our $CompactionId = 'cmp_0a16aigw0mock0compaction000000000000000000000000001';
our $CompactionUsage = usage_json(4100, 0, 620, 0);
our $CompactionJson = pretty_json(qq({"id":"resp_0a16aigw0mock0compact000000000000000000000000001",)
    . qq("object":"response.compaction","created_at":$Created,"output":[$InputMessage,)
    . qq({"id":"$CompactionId","type":"compaction","encrypted_content":"$EncryptedContent"}],)
    . qq("usage":$CompactionUsage}));

# The model names the mock answers by (any other name: the text answer).
our %MockModel = (
    tool => 'resp-mock-tool',
    reasoning => 'resp-mock-reasoning',
    incomplete => 'resp-mock-incomplete',
    failed => 'resp-mock-failed',
    (map { ("e$_" => "resp-mock-$_") } keys %Errors),
);

# ---- packets ----

# Offsets in $stream to cut it at, in order: inside the name of the first text delta's `event:`
# line, between the second one's `event:` line and its `data:` line, and inside each multi-byte
# UTF-8 character (after its first byte).
sub responses_cuts {
    my ($stream) = @_;
    my @cuts;
    my $line = "event: response.output_text.delta\n";
    my $first = index $stream, $line;
    if ($first >= 0) {
        push @cuts, $first + length 'event: response.output_te';
        my $second = index $stream, $line, $first + 1;
        push @cuts, $second + length $line if $second >= 0;
    }
    while ($stream =~ /[\xc2-\xf4]/g) { push @cuts, pos $stream }
    return [ sort { $a <=> $b } @cuts ];
}

# What a TCP mock answers (for --- tcp_reply): the packets of a reply. POST /v1/responses: a
# stream when the body asks for one (the model's own, else the text stream), cut at
# responses_cuts(), else the model's JSON answer (an error model: its status and body).
sub responses_tcp_reply {
    my ($query) = @_;
    my ($model) = $query =~ /"model"\s*:\s*"([^"]*)"/;
    $model //= '';
    my ($kind) = grep { $MockModel{$_} eq $model } keys %MockModel;
    $kind //= 'text';
    my @h = ('x-request-id' => $RequestId, 'openai-version' => '2020-10-01');
    if ($kind =~ /^e(\d+)$/) {
        my $status = $1;
        my $body = $ErrorJson{$status};
        return ["HTTP/1.1 $status Error\r\nContent-Type: application/json\r\nx-request-id: $RequestId\r\n"
              . "Content-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body"];
    }
    my %stream = (text => $TextStream, tool => $ToolStream, reasoning => $ReasoningStream,
                  incomplete => $IncompleteStream, failed => $FailedStream);
    if ($query =~ /"stream"\s*:\s*true/ || $kind eq 'failed') {
        my $body = $stream{$kind};
        return chunked_reply($body, cuts => responses_cuts($body), headers => \@h);
    }
    my %json = (text => $ResponseJson, tool => $ToolJson, reasoning => $ReasoningJson, incomplete => $IncompleteJson);
    my $json = $json{$kind};
    return ["HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-request-id: $RequestId\r\n"
          . "Content-Length: " . length($json) . "\r\nConnection: close\r\n\r\n$json"];
}

# Serves one connection of a server of the test's own (Test::AIGW::HTTP's tcp_server_fork):
# reads the request, writes responses_tcp_reply's packets 20 ms apart, so that each arrives
# alone.
sub responses_tcp_serve {
    my ($sock) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $packets = responses_tcp_reply(read_http_request($sock));
    for my $p (@$packets) {
        syswrite $sock, $p or last;
        sleep 0.02;
    }
    return;
}

# ---- the mock ----

# The http-level NGINX text of a mock Responses API upstream on 127.0.0.1:$port: two maps (the
# answer by the request's model, JSON or stream by its `stream`) and the server. Every answer has
# `x-request-id: $RequestId` and `openai-version`; JSON answers `content-type:
# application/json`, streams `text/event-stream; charset=utf-8`, sent event by event.
#   POST /v1/responses                  by model: resp-mock-tool, resp-mock-reasoning,
#                                       resp-mock-incomplete, resp-mock-failed (a stream whatever
#                                       `stream` says), resp-mock-NNN (the error of status NNN:
#                                       400 401 404 429 500); any other: the text
#   GET /v1/responses, Upgrade: websocket   426 (Codex then takes HTTP at once); under the prefix
#                                       /ws404/ the same API answers it 404 (Codex retries the
#                                       websocket for 6 s first)
#   GET, DELETE /v1/responses/ID        the text answer, $DeletedJson, for ID $ResponseId; else 404
#   GET /v1/responses/ID/input_items    $InputItemsJson, likewise
#   POST /v1/responses/compact          $CompactionJson
#   anything else                       404 invalid_request_error "Invalid URL (METHOD PATH)"
# `log => FILE`: one JSON line a request there, for responses_mock_log(); `bodies => FILE`: one
# JSON line a request with its uri and body.
sub responses_mock_server {
    my ($port, %o) = @_;
    my ($answer, $mode, $model) = map { "\$responses_mock_${_}_$port" } qw(answer mode model);
    my $hdr = "add_header x-request-id $RequestId always;\n            add_header openai-version 2020-10-01 always;";
    my $json = sub { "            return $_[0] " . q_ngx($_[1]) . ";\n" };
    my $sse = sub {
        "            default_type text/event-stream;\n            charset utf-8;\n            $hdr\n" . echo_events($_[0]);
    };
    my $loc = sub { "        location $_[0] {\n            internal;\n$_[1]        }\n" };
    my $invalid = "'{\\n  \"error\": {\\n    \"message\": \"Invalid URL (\$request_method \$uri)\",\\n"
                . "    \"type\": \"invalid_request_error\",\\n    \"param\": null,\\n    \"code\": null\\n  }\\n}'";
    $invalid =~ s/\\n/\n/g;
    my $no_ws = sub {
        my ($status) = @_;
        return "            if (\$http_upgrade) {\n                return $status " . q_ngx(responses_error(
            $status == 426 ? 'This endpoint is served over HTTP: send POST /v1/responses.' : 'Invalid URL (GET /v1/responses)',
            'invalid_request_error', undef, undef)) . ";\n            }\n";
    };
    (my $not_found = q_ngx(responses_error(q(Response with id 'RESPONSE_ID' not found.), 'invalid_request_error',
                                           undef, undef))) =~ s/RESPONSE_ID/\$responses_mock_id/;
    my $out = "    map \$request_body $model {\n"
            . "        '~\"model\"\\s*:\\s*\"(?<responses_mock_name_$port>[^\"]*)\"' \$responses_mock_name_$port;\n"
            . "        default '';\n    }\n"
            . "    map \$request_body $answer {\n"
            . join('', map { "        '~\"model\"\\s*:\\s*\"$MockModel{$_}\"' $_;\n" } sort keys %MockModel)
            . "        default text;\n    }\n"
            . "    map \$request_body $mode {\n        '~\"stream\"\\s*:\\s*true' stream;\n"
            . "        default json;\n    }\n";
    if ($o{log}) {
        $out .= "    log_format responses_mock_$port escape=json '{\"method\":\"\$request_method\","
              . "\"uri\":\"\$request_uri\",\"status\":\"\$status\",\"authorization\":\"\$http_authorization\","
              . "\"content_type\":\"\$content_type\",\"accept\":\"\$http_accept\",\"upgrade\":\"\$http_upgrade\","
              . "\"openai_beta\":\"\$http_openai_beta\",\"session_id\":\"\$http_session_id\","
              . "\"originator\":\"\$http_originator\",\"user_agent\":\"\$http_user_agent\","
              . "\"x_client_request_id\":\"\$http_x_client_request_id\",\"model\":\"$model\",\"mode\":\"$mode\"}';\n";
    }
    if ($o{bodies}) {
        $out .= "    log_format responses_mock_bodies_$port escape=json '{\"uri\":\"\$request_uri\",\"body\":\"\$request_body\"}';\n";
    }
    $out .= "    server {\n        listen 127.0.0.1:$port;\n        default_type application/json;\n"
          . "        charset_types text/event-stream;\n        client_max_body_size 16m;\n"
          . "        client_body_buffer_size 16m;\n        client_body_in_single_buffer on;\n"
          . "        underscores_in_headers on;\n        $hdr\n"
          . ($o{log} ? "        access_log $o{log} responses_mock_$port;\n" : '')
          . ($o{bodies} ? "        access_log $o{bodies} responses_mock_bodies_$port;\n" : '')
          . "        location = /v1/responses {\n" . $no_ws->(426)
          . "            if (\$request_method != POST) {\n                return 404 $invalid;\n            }\n"
          . "            echo_read_request_body;\n            echo_exec /_mock/$answer/$mode;\n        }\n"
          . "        location /ws404/ {\n" . $no_ws->(404)
          . "            rewrite ^/ws404(/.*)\$ \$1 last;\n        }\n"
          . "        location = /v1/responses/compact {\n            if (\$request_method != POST) {\n"
          . "                return 404 $invalid;\n            }\n"
          . $json->(200, $CompactionJson) . "        }\n"
          . "        location = /v1/responses/$ResponseId {\n"
          . "            if (\$request_method = DELETE) {\n                return 200 " . q_ngx($DeletedJson) . ";\n            }\n"
          . $json->(200, $ResponseJson) . "        }\n"
          . "        location = /v1/responses/$ResponseId/input_items {\n" . $json->(200, $InputItemsJson) . "        }\n"
          . "        location ~ ^/v1/responses/(?<responses_mock_id>[^/]+)(?:/input_items)?\$ {\n"
          . "            return 404 " . $not_found . ";\n        }\n";
    $out .= $loc->('= /_mock/text/json', $json->(200, $ResponseJson))
          . $loc->('= /_mock/text/stream', $sse->($TextStream))
          . $loc->('= /_mock/tool/json', $json->(200, $ToolJson))
          . $loc->('= /_mock/tool/stream', $sse->($ToolStream))
          . $loc->('= /_mock/reasoning/json', $json->(200, $ReasoningJson))
          . $loc->('= /_mock/reasoning/stream', $sse->($ReasoningStream))
          . $loc->('= /_mock/incomplete/json', $json->(200, $IncompleteJson))
          . $loc->('= /_mock/incomplete/stream', $sse->($IncompleteStream))
          . $loc->('/_mock/failed/', $sse->($FailedStream));
    for my $status (sort keys %Errors) {
        $out .= $loc->("/_mock/e$status/", $json->($status, $ErrorJson{$status}));
    }
    $out .= "        location / {\n            return 404 $invalid;\n        }\n    }\n";
    return $out;
}

# The requests the mock of responses_mock_server(..., log => FILE) got, in order: hashes of
# method, uri (with its query), status, authorization, content_type, accept, upgrade,
# openai_beta, session_id (the header session-id or session_id), originator, user_agent,
# x_client_request_id, model (of a JSON body), mode (json or stream); a header that was not sent
# is ''. With the `bodies` file, the same for {uri, body}. `min => N`: wait (2 s at most) for N
# lines, as NGINX logs a request once it is done with it.
sub responses_mock_log {
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
