# The mock Responses API upstream (Test::AIGW::Mock::Responses) answers what it says it answers,
# so that its fixtures cannot rot silently: the fixtures agree with each other (a stream's deltas
# add up to its done events and to its JSON answer, the terminal event carries the JSON answer,
# usage adds up); every event is `event: NAME` then `data: JSON` whose type is NAME, its other
# members in alphabetical order, sequence numbers from 0 without a gap, no [DONE]; the NGINX mock
# serves each fixture by model name with its status, content-type and x-request-id, the stored
# response, its input items and deletion, the compaction, and answers a websocket upgrade; its
# log records what a client sent; the TCP mock cuts a stream where it says.
#
# Ports (loopback, fixed):
#   2040  the NGINX mock (responses_mock_server)
#   2041  the TCP mock (responses_tcp_serve in a server forked from this file)

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/lib";

use File::Spec;
use JSON::PP ();
use Test::AIGW 'plain';
use Test::AIGW::Mock::Responses qw(:all);

my ($MOCK, $TCP) = (2040, 2041);
my $Json = JSON::PP->new->utf8;
my $Root = File::Spec->catdir($FindBin::Bin, 'servroot-responses-mock');
my $Log = "$Root/logs/responses-mock.log";
my $Bodies = "$Root/logs/responses-mock-bodies.log";

# The names of a JSON object's own members, in their order.
sub top_keys {
    my ($json) = @_;
    my ($depth, @keys) = (0);
    while ($json =~ /\G(?:("(?:[^"\\]|\\.)*")(\s*:)?|([{\[])|([}\]])|[^"{}\[\]]+)/gc) {
        if (defined $1) { push @keys, substr($1, 1, -1) if $depth == 1 && $2 }
        elsif (defined $3) { $depth++ }
        elsif (defined $4) { $depth-- }
    }
    return @keys;
}

# The events of a stream: {name, data (decoded), text (the data's JSON)}; undef for a malformed
# event.
sub events {
    my ($stream) = @_;
    return map {
        /\Aevent: ([a-z_.]+)\ndata: ([^\n]*)\z/
            ? { name => $1, data => scalar eval { $Json->decode($2) }, text => $2 } : undef
    } split /\n\n/, $stream;
}

sub names { return [map { $_->{name} } events($_[0])] }

sub of_type { my ($stream, $name) = @_; return grep { $_->{name} eq $name } events($stream) }

sub joined { my ($stream, $name, $field) = @_; return join '', map { $_->{data}{$field} } of_type($stream, $name) }

sub terminal { return (events($_[0]))[-1]{data}{response} }

my %streams = (text => $TextStream, tool => $ToolStream, reasoning => $ReasoningStream,
               incomplete => $IncompleteStream, failed => $FailedStream);
my %answers = (text => $ResponseJson, tool => $ToolJson, reasoning => $ReasoningJson, incomplete => $IncompleteJson);

# ---------------------------------------------------------------------------
# The fixtures

for my $name (sort keys %streams) {
    my $s = $streams{$name};
    my @ev = events($s);
    like($s, qr/\n\n\z/, "$name stream: ends with a blank line");
    unlike($s, qr/\[DONE\]/, "$name stream: no [DONE]");
    my @bad = grep { !defined $_ || ref $_->{data} ne 'HASH' || $_->{data}{type} ne $_->{name} } @ev;
    ok(!@bad, "$name stream: every event is `event: NAME` then `data: JSON` whose type is NAME") or diag(explain(\@bad));
    is_deeply([map { $_->{data}{sequence_number} } @ev], [0 .. $#ev], "$name stream: sequence_number 0, 1, 2, ...");
    @bad = grep { my @k = top_keys($_->{text}); $k[0] ne 'type' || join(',', @k[1 .. $#k]) ne join(',', sort @k[1 .. $#k]) } @ev;
    ok(!@bad, "$name stream: type first, then the members in alphabetical order") or diag(join "\n", map { $_->{text} } @bad);
    is_deeply([@{ names($s) }[0, 1]], ['response.created', 'response.in_progress'], "$name stream: created, then in_progress");
    my $start = $ev[0]{data}{response};
    is_deeply([@$start{qw(status usage service_tier)}], ['in_progress', undef, 'auto'],
              "$name stream: the response starts in_progress, usage null, service_tier auto");
    is($ev[-1]{data}{response}{id}, $start->{id}, "$name stream: the terminal event's response has the same id");
    my @deltas = grep { $_->{name} =~ /\.delta\z/ } @ev;
    @bad = grep {
        (my $d = $_->{data}{delta}) =~ s/[\x{80}-\x{10ffff}]/x/g;
        length($d) + length($_->{data}{obfuscation} // '') != 16
    } @deltas;
    ok(@deltas && !@bad, "$name stream: every delta padded with obfuscation to 16 characters");
    my %item_at;
    for my $e (grep { $_->{name} eq 'response.output_item.added' } @ev) { $item_at{ $e->{data}{output_index} } = $e->{data}{item}{id} }
    @bad = grep { exists $_->{data}{item_id} && ($item_at{ $_->{data}{output_index} } // '') ne $_->{data}{item_id} } @ev;
    ok(!@bad, "$name stream: every item_id is the item added at that output_index") or diag(explain(\@bad));
    next unless $answers{$name};
    is_deeply(terminal($s), $Json->decode($answers{$name}), "$name stream: the terminal event's response is the JSON answer");
    my $u = $Json->decode($answers{$name})->{usage};
    is($u->{total_tokens}, $u->{input_tokens} + $u->{output_tokens}, "$name answer: total_tokens = input + output");
    ok($u->{input_tokens_details}{cached_tokens} <= $u->{input_tokens}
       && $u->{output_tokens_details}{reasoning_tokens} <= $u->{output_tokens},
       "$name answer: cached tokens are part of the input, reasoning tokens of the output");
    like($answers{$name}, qr/\A\{\n  "id": "resp_[^"]+",\n  "object": "response",\n  "created_at": \d+,\n/,
         "$name answer: pretty-printed, id, object, created_at first");
}

is_deeply(names($TextStream), ['response.created', 'response.in_progress', 'response.output_item.added',
          'response.content_part.added', ('response.output_text.delta') x 4, 'response.output_text.done',
          'response.content_part.done', 'response.output_item.done', 'response.completed'], 'text stream: the events in order');
my $answer = $Json->decode($ResponseJson);
my $text = "Hello, \"w\x{f6}rld\"! \x{2713}\nBye.";
is($answer->{output}[0]{content}[0]{text}, $text, 'text answer: the text');
is(joined($TextStream, 'response.output_text.delta', 'delta'), $text, 'text stream: the deltas add up to the text');
is((of_type($TextStream, 'response.output_text.done'))[0]{data}{text}, $text, 'text stream: output_text.done has the text');
is((of_type($TextStream, 'response.content_part.done'))[0]{data}{part}{text}, $text, 'text stream: content_part.done has the text');
is_deeply((of_type($TextStream, 'response.output_item.done'))[0]{data}{item}, $answer->{output}[0],
          'text stream: output_item.done has the answer\'s message');
is_deeply($answer->{usage}, { input_tokens => 2048, input_tokens_details => { cache_write_tokens => 0, cached_tokens => 1920 },
          output_tokens => 12, output_tokens_details => { reasoning_tokens => 0 }, total_tokens => 2060 },
          'text answer: usage with 1920 cached tokens');
is($answer->{id}, $ResponseId, 'text answer: the id the mock stores');

my $tool = $Json->decode($ToolJson);
is_deeply([map { [@$_{qw(type name status)}] } @{ $tool->{output} }], [(['function_call', 'get_weather', 'completed']) x 2],
          'tool answer: two function calls, in parallel');
is_deeply([map { $Json->decode($_->{arguments}) } @{ $tool->{output} }],
          [{ city => 'Paris', unit => 'celsius' }, { city => 'Tokyo', unit => 'celsius' }], 'tool answer: the arguments');
isnt($tool->{output}[0]{call_id}, $tool->{output}[1]{call_id}, 'tool answer: two call ids');
for my $i (0, 1) {
    my @pieces = grep { $_->{data}{output_index} == $i } of_type($ToolStream, 'response.function_call_arguments.delta');
    ok(@pieces > 1, "tool stream, call $i: the arguments in pieces");
    is(join('', map { $_->{data}{delta} } @pieces), $tool->{output}[$i]{arguments}, "tool stream, call $i: the pieces add up to the arguments");
    my ($done) = grep { $_->{data}{output_index} == $i } of_type($ToolStream, 'response.function_call_arguments.done');
    is($done->{data}{arguments}, $tool->{output}[$i]{arguments}, "tool stream, call $i: arguments.done has them whole");
    my ($added) = grep { $_->{data}{output_index} == $i } of_type($ToolStream, 'response.output_item.added');
    is_deeply([@{ $added->{data}{item} }{qw(call_id name arguments status)}], [$tool->{output}[$i]{call_id}, 'get_weather', '', 'in_progress'],
              "tool stream, call $i: added with its call_id and name, no arguments yet");
}

my $reasoning = $Json->decode($ReasoningJson);
is_deeply([map { $_->{type} } @{ $reasoning->{output} }], [qw(reasoning message)], 'reasoning answer: reasoning, then the message');
my $summary = "**Greeting the user**\n\nA short hello is enough.";
is($reasoning->{output}[0]{summary}[0]{text}, $summary, 'reasoning answer: the summary');
is(joined($ReasoningStream, 'response.reasoning_summary_text.delta', 'delta'), $summary, 'reasoning stream: the summary deltas add up');
is((of_type($ReasoningStream, 'response.reasoning_summary_text.done'))[0]{data}{text}, $summary, 'reasoning stream: summary_text.done');
is((of_type($ReasoningStream, 'response.reasoning_summary_part.done'))[0]{data}{part}{text}, $summary, 'reasoning stream: summary_part.done');
is(joined($ReasoningStream, 'response.output_text.delta', 'delta'), 'Hi! How can I help?', 'reasoning stream: then the text');
is((of_type($ReasoningStream, 'response.output_item.added'))[0]{data}{item}{encrypted_content}, $reasoning->{output}[0]{encrypted_content},
   'reasoning stream: the encrypted content, as in the answer');
like($EncryptedContent, qr/^gAAAA[A-Za-z0-9_=-]+=$/, 'reasoning: the encrypted content is base64 with - _ =');
is($reasoning->{usage}{output_tokens_details}{reasoning_tokens}, 64, 'reasoning answer: 64 reasoning tokens');
is($reasoning->{model}, 'gpt-5-mini-2025-08-07', 'reasoning answer: a gpt-5 snapshot');

my $incomplete = $Json->decode($IncompleteJson);
is_deeply([@$incomplete{qw(status incomplete_details completed_at max_output_tokens)}],
          ['incomplete', { reason => 'max_output_tokens' }, undef, 16], 'incomplete answer: status, reason, no completed_at');
is($incomplete->{output}[0]{status}, 'incomplete', 'incomplete answer: the message is incomplete');
is(names($IncompleteStream)->[-1], 'response.incomplete', 'incomplete stream: ends with response.incomplete');
ok(!of_type($IncompleteStream, 'response.completed'), 'incomplete stream: no response.completed');
is(joined($IncompleteStream, 'response.output_text.delta', 'delta'), 'Once upon a', 'incomplete stream: the text so far');

is(names($FailedStream)->[-1], 'response.failed', 'failed stream: ends with response.failed');
is(joined($FailedStream, 'response.output_text.delta', 'delta'), 'Hello', 'failed stream: one delta before it');
is_deeply([@{ terminal($FailedStream) }{qw(status)}, terminal($FailedStream)->{error}{code}], ['failed', 'server_error'],
          'failed stream: status failed, error code server_error');
like(terminal($FailedStream)->{error}{message}, qr/\Q$RequestId\E/, 'failed stream: the message names the request id');

for my $status (sort keys %Errors) {
    my ($message, $type, $param, $code) = @{ $Errors{$status} };
    is_deeply($Json->decode($ErrorJson{$status}), { error => { message => $message, type => $type, param => $param, code => $code } },
              "error $status: {error: {message, type, param, code}}");
    like($ErrorJson{$status}, qr/\A\{\n  "error": \{\n    "message": /, "error $status: pretty-printed");
}
my $compaction = $Json->decode($CompactionJson);
is_deeply([@$compaction{qw(object)}, [map { $_->{type} } @{ $compaction->{output} }]],
          ['response.compaction', [qw(message compaction)]], 'compaction: the user message, then one compaction item');
is_deeply([top_keys($CompactionJson)], [qw(id object created_at output usage)], 'compaction: id, object, created_at, output, usage');
is($compaction->{output}[-1]{id}, $CompactionId, 'compaction: the compaction item\'s id');
is_deeply($Json->decode($DeletedJson), { id => $ResponseId, object => 'response.deleted', deleted => JSON::PP::true },
          'deleted: the id, response.deleted, deleted true');
my $items = $Json->decode($InputItemsJson);
is_deeply([@$items{qw(object has_more)}, $items->{data}[0]{role}, $items->{first_id}],
          ['list', JSON::PP::false, 'user', $items->{data}[0]{id}], 'input items: a list with the user message');

my $cuts = responses_cuts($TextStream);
my $wide = () = $TextStream =~ /[\xc2-\xf4]/g;
is(scalar @$cuts, 2 + $wide, 'awkward cuts of the text stream: two at event lines, one in each of its multi-byte characters');
ok($wide >= 10, 'the text stream has its two multi-byte characters five times each');
like(substr($TextStream, 0, $cuts->[0]), qr/\nevent: response\.output_te\z/, 'cut 1: inside an event name');
like(substr($TextStream, $cuts->[1]), qr/\Adata: /, 'cut 2: between an event line and its data line');
ok(!grep({ ord(substr($TextStream, $_ - 1, 1)) < 0xc2 || ord(substr($TextStream, $_, 1)) >> 6 != 2 } @$cuts[2 .. $#$cuts]),
   'the other cuts: inside a UTF-8 character');

# ---------------------------------------------------------------------------
# The NGINX mock

my $port = eval { aigw_nginx_start(responses_mock_server($MOCK, log => $Log, bodies => $Bodies), servroot => $Root) };
if (!$port) {
    fail('the mock starts');
    diag($@);
    done_testing();
    exit;
}

sub post {
    my ($body, %o) = @_;
    return http_request($MOCK, path => $o{path} // '/v1/responses', body => $body,
                        headers => { Authorization => 'Bearer sk-test', %{ $o{headers} || {} } });
}

sub answers {
    my ($r, $status, $type, $body, $what) = @_;
    is($r->{status}, $status, "$what: status $status");
    is($r->{h}{'content-type'}, $type, "$what: content-type $type");
    is($r->{h}{'x-request-id'}, $RequestId, "$what: x-request-id");
    is($r->{h}{'openai-version'}, '2020-10-01', "$what: openai-version");
    is($r->{body}, $body, "$what: the fixture, byte for byte");
    return;
}

my ($json_type, $sse_type) = ('application/json', 'text/event-stream; charset=utf-8');
my %cases = (
    text => ['gpt-4.1-mini', $ResponseJson, $TextStream],
    tool => [$MockModel{tool}, $ToolJson, $ToolStream],
    reasoning => [$MockModel{reasoning}, $ReasoningJson, $ReasoningStream],
    incomplete => [$MockModel{incomplete}, $IncompleteJson, $IncompleteStream],
);
for my $case (sort keys %cases) {
    my ($model, $json, $stream) = @{ $cases{$case} };
    answers(post(qq({"model":"$model","input":"hi"})), 200, $json_type, $json, "$case, not streamed");
    answers(post(qq({"model":"$model","input":"hi","stream":true})), 200, $sse_type, $stream, "$case, streamed");
}
answers(post(qq({"model":"$MockModel{failed}","input":"hi"})), 200, $sse_type, $FailedStream, 'failed, even not asked to stream');
for my $status (sort keys %Errors) {
    answers(post(qq({"model":"resp-mock-$status","input":"hi","stream":true})), $status, $json_type, $ErrorJson{$status},
            "error $status, asked to stream");
}

# What Codex sends: some 40 KB whose text names other models, "model" first.
my $filler = join ',', map { qq({"type":"message","role":"user","content":[{"type":"input_text","text":"a \\"model\\":\\"resp-mock-429\\" $_ @{[ 'x' x 1000 ]}"}]}) } 1 .. 40;
answers(post(qq({"model":"$MockModel{tool}","input":[$filler],"stream":true})), 200, $sse_type, $ToolStream,
        'a 40 KB body: answered by its own model');

answers(http_request($MOCK, path => "/v1/responses/$ResponseId"), 200, $json_type, $ResponseJson, 'retrieve the stored response');
answers(http_request($MOCK, method => 'DELETE', path => "/v1/responses/$ResponseId"), 200, $json_type, $DeletedJson, 'delete it');
answers(http_request($MOCK, path => "/v1/responses/$ResponseId/input_items?limit=20&order=asc"), 200, $json_type, $InputItemsJson,
        'its input items');
for my $path ('/v1/responses/resp_nope', '/v1/responses/resp_nope/input_items') {
    my $r = http_request($MOCK, path => $path);
    is($r->{status}, 404, "GET $path: 404");
    is($r->{body}, $NotFoundJson, "GET $path: Response with id 'resp_nope' not found.");
}
answers(post('{"model":"gpt-4.1-mini","input":[{"role":"user","content":"Say hello."}]}', path => '/v1/responses/compact'),
        200, $json_type, $CompactionJson, 'compact');

my $ws = http_request($MOCK, path => '/v1/responses', headers => { Upgrade => 'websocket', 'Sec-WebSocket-Version' => 13 });
is($ws->{status}, 426, 'a websocket upgrade: 426');
is($ws->{json}{error}{type}, 'invalid_request_error', 'a websocket upgrade: an OpenAI error body');
is(http_request($MOCK, path => '/ws404/v1/responses', headers => { Upgrade => 'websocket' })->{status}, 404,
   'a websocket upgrade under /ws404/: 404');
answers(post('{"model":"gpt-4.1-mini","input":"hi","stream":true}', path => '/ws404/v1/responses'), 200, $sse_type, $TextStream,
        'the API under /ws404/');
my $get = http_request($MOCK, path => '/v1/responses');
is($get->{status}, 404, 'GET /v1/responses: 404');
is($get->{json}{error}{message}, 'Invalid URL (GET /v1/responses)', 'GET /v1/responses: Invalid URL');
is(http_request($MOCK, path => '/v1/models')->{json}{error}{message}, 'Invalid URL (GET /v1/models)', 'anything else: Invalid URL');

my $before = () = responses_mock_log($Log);
post('{"model":"gpt-4.1-mini","stream":true,"input":"hi"}',
     headers => { 'session-id' => 'sess-1', originator => 'codex_exec', 'x-client-request-id' => 'sess-1', Accept => 'text/event-stream' });
post('{"model":"gpt-4.1-mini","input":"hi"}', headers => { session_id => 'sess-2' });
my @logged = (responses_mock_log($Log, min => $before + 2))[$before, $before + 1];
is_deeply($logged[0], { method => 'POST', uri => '/v1/responses', status => '200', authorization => 'Bearer sk-test',
                        content_type => 'application/json', accept => 'text/event-stream', upgrade => '', openai_beta => '',
                        session_id => 'sess-1', originator => 'codex_exec', user_agent => '', x_client_request_id => 'sess-1',
                        model => 'gpt-4.1-mini', mode => 'stream' },
          'the log: method, uri, status, headers, model and mode of a request');
is($logged[1]{session_id}, 'sess-2', 'the log: a session_id header with an underscore is recorded too');
my @bodies = responses_mock_log($Bodies, min => $before + 2);
is($bodies[-1]{body}, '{"model":"gpt-4.1-mini","input":"hi"}', 'the bodies log: the request body');

# ---------------------------------------------------------------------------
# The TCP mock: each packet one chunk, so the chunk sizes show where the stream was cut.

my $tcp = tcp_server_fork($TCP, \&responses_tcp_serve);
my ($raw) = http_raw($TCP, http_request_text(path => '/v1/responses', body => '{"model":"gpt-4.1-mini","stream":true}'));
my ($head, $framed) = split /\r\n\r\n/, $raw, 2;
$framed //= '';
like($head, qr{^HTTP/1\.1 200 OK\r\n}, 'TCP mock, streamed: 200');
like($head, qr{^Content-Type: text/event-stream; charset=utf-8\r$}m, 'TCP mock, streamed: content-type');
like($head, qr{^x-request-id: \Q$RequestId\E\r$}m, 'TCP mock, streamed: x-request-id');
my @sizes;
while ($framed =~ s/\A([0-9a-f]+)\r\n//) {
    push @sizes, hex $1;
    $framed = substr($framed, $sizes[-1] + 2);
}
my @at = (0, @$cuts, length $TextStream);
is_deeply(\@sizes, [(map { $at[$_ + 1] - $at[$_] } 0 .. $#at - 1), 0], 'TCP mock, streamed: one chunk each piece between the cuts');
is(http_parse($raw)->{body}, $TextStream, 'TCP mock, streamed: the text stream');
my $tcp_json = http_parse((http_raw($TCP, http_request_text(path => '/v1/responses', body => qq({"model":"$MockModel{reasoning}"}))))[0]);
is($tcp_json->{body}, $ReasoningJson, 'TCP mock, not streamed: the model\'s JSON answer');
my $tcp_err = http_parse((http_raw($TCP, http_request_text(path => '/v1/responses', body => '{"model":"resp-mock-429","stream":true}')))[0]);
is_deeply([$tcp_err->{status}, $tcp_err->{body}], [429, $ErrorJson{429}], 'TCP mock, an error model: its status and body');
tcp_server_stop($tcp);

my $errlog = aigw_nginx_stop();
ok($errlog !~ /\[(?:alert|emerg|crit|error)\]/, 'no error in the mock\'s error log')
    or diag(join "\n", grep { /\[(?:alert|emerg|crit|error)\]/ } split /\n/, $errlog);

done_testing();
