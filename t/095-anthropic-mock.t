# The mock Anthropic upstream (Test::AIGW::Mock::Anthropic) answers what it says it answers, so
# that its fixtures cannot rot silently: the fixtures agree with each other (a stream's deltas
# add up to its JSON answer's content, usage, tool input, signature); every event is
# `event: NAME` then `data: JSON` whose type is NAME, in Anthropic's order; the NGINX mock serves
# each fixture by model name with its status, content-type and request-id; its log records what
# a client sent; the TCP mock cuts a stream where it says.
#
# Ports (loopback, fixed):
#   2010  the NGINX mock (anthropic_mock_server)
#   2011  the TCP mock (anthropic_tcp_serve in a server forked from this file)

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/lib";

use File::Spec;
use JSON::PP ();
use Test::AIGW 'plain';
use Test::AIGW::Mock::Anthropic qw(:all);

my ($MOCK, $TCP) = (2010, 2011);
my $Json = JSON::PP->new->utf8;
my $Root = File::Spec->catdir($FindBin::Bin, 'servroot-anthropic-mock');
my $Log = "$Root/logs/anthropic-mock.log";

# The events of a stream: [name, decoded data, data text]; undef for a malformed event.
sub events {
    my ($stream) = @_;
    return map {
        /\Aevent: ([a-z_]+)\ndata: ([^\n]*)\z/ ? [$1, scalar eval { $Json->decode($2) }, $2] : undef
    } split /\n\n/, $stream;
}

sub names { return [map { $_->[0] } events($_[0])] }

sub deltas {
    my ($stream, $type, $field) = @_;
    return join '', map { $_->[1]{delta}{$field} }
        grep { $_->[0] eq 'content_block_delta' && $_->[1]{delta}{type} eq $type } events($stream);
}

sub usage_of { my ($u) = @_; return { map { $_ => $u->{$_} } grep { !ref $u->{$_} } keys %$u } }

# ---------------------------------------------------------------------------
# The fixtures

my %streams = (text => $TextStream, tool => $ToolUseStream, thinking => $ThinkingStream,
               max_tokens => $MaxTokensStream, stream_error => $StreamErrorStream);
for my $name (sort keys %streams) {
    my $s = $streams{$name};
    like($s, qr/\n\n\z/, "$name stream: ends with a blank line");
    my @bad = grep { !defined $_ || ref $_->[1] ne 'HASH' || $_->[1]{type} ne $_->[0] } events($s);
    ok(!@bad, "$name stream: every event is `event: NAME` then `data: JSON` whose type is NAME")
        or diag(explain(\@bad));
}

is_deeply(names($TextStream), [qw(message_start content_block_start ping), ('content_block_delta') x 4,
          qw(content_block_stop message_delta message_stop)], 'text stream: the events in order');
is_deeply(names($ToolUseStream), [qw(message_start content_block_start ping content_block_delta
          content_block_delta content_block_stop content_block_start), ('content_block_delta') x 4,
          qw(content_block_stop message_delta message_stop)], 'tool stream: the events in order');
is_deeply(names($ThinkingStream), [qw(message_start content_block_start ping), ('content_block_delta') x 3,
          qw(content_block_stop content_block_start content_block_delta content_block_delta
          content_block_stop message_delta message_stop)], 'thinking stream: the events in order');
is_deeply(names($StreamErrorStream), [qw(message_start content_block_start ping content_block_delta error)],
          'error stream: one text delta, then the error event');

my $answer = $Json->decode($MessageJson);
is($answer->{content}[0]{text}, "Hello, \"w\x{f6}rld\"! \x{2713}\nBye.", 'text answer: the text');
is(deltas($TextStream, text_delta => 'text'), $answer->{content}[0]{text},
   'text stream: the deltas add up to the JSON answer\'s text');
my @text = events($TextStream);
my ($start, $end) = ($text[0][1]{message}{usage}, $text[-2][1]{usage});
is($start->{output_tokens}, 1, 'text stream: message_start counts 1 output token');
is_deeply({ %{ usage_of($start) }, output_tokens => 12 }, usage_of($answer->{usage}),
          'text stream: message_start has the answer\'s input and cache counts');
is_deeply($end, { map { $_ => $answer->{usage}{$_} }
                  qw(input_tokens cache_creation_input_tokens cache_read_input_tokens output_tokens) },
          'text stream: message_delta has the cumulative input, cache and output counts');
ok($answer->{usage}{cache_creation_input_tokens} && $answer->{usage}{cache_read_input_tokens},
   'text answer: usage writes and reads the cache');

my $tool = $Json->decode($ToolUseJson);
is_deeply($tool->{content}[1]{input}, { city => 'Paris', unit => 'celsius' }, 'tool answer: the input');
is_deeply($Json->decode(deltas($ToolUseStream, input_json_delta => 'partial_json')), $tool->{content}[1]{input},
          'tool stream: the input_json_delta pieces add up to the answer\'s input');
my ($tool_start) = grep { $_->[0] eq 'content_block_start' && $_->[1]{index} == 1 } events($ToolUseStream);
is_deeply([@{ $tool_start->[1]{content_block} }{qw(type id name)}], [@{ $tool->{content}[1] }{qw(type id name)}],
          'tool stream: the tool_use block has the answer\'s id and name');
is(deltas($ToolUseStream, text_delta => 'text'), $tool->{content}[0]{text}, 'tool stream: the text before the call');
is((events($ToolUseStream))[-2][1]{delta}{stop_reason}, 'tool_use', 'tool stream: stop_reason tool_use');

my $thinking = $Json->decode($ThinkingJson);
is_deeply([map { $_->{type} } @{ $thinking->{content} }], [qw(thinking text)], 'thinking answer: thinking, then text');
is(deltas($ThinkingStream, signature_delta => 'signature'), $thinking->{content}[0]{signature},
   'thinking stream: the signature is the answer\'s');
like($Signature, qr{\+.*/.*==\z}, 'thinking: the signature has +, / and = to keep');
is(deltas($ThinkingStream, thinking_delta => 'thinking'), $thinking->{content}[0]{thinking},
   'thinking stream: the thinking deltas add up to the answer\'s');
is(deltas($ThinkingStream, text_delta => 'text'), $thinking->{content}[1]{text},
   'thinking stream: the text deltas add up to the answer\'s');
ok(!grep({ $_->[2] !~ /\}\z/ || ($_->[0] ne 'ping' && $_->[2] !~ / \}\z/) } events($ThinkingStream)),
   'thinking stream: every event but ping padded with spaces before its last brace');

my $max = $Json->decode($MaxTokensJson);
is($max->{stop_reason}, 'max_tokens', 'max_tokens answer: stop_reason');
is(deltas($MaxTokensStream, text_delta => 'text'), $max->{content}[0]{text},
   'max_tokens stream: the deltas add up to the answer\'s text');

is_deeply($Json->decode($StreamErrorJson),
          { type => 'error', error => { details => undef, type => 'overloaded_error', message => 'Overloaded' },
            request_id => $RequestId }, 'error stream: an overloaded_error with the request id');
for my $status (sort keys %Errors) {
    is_deeply($Json->decode($ErrorJson{$status}),
              { type => 'error', error => { type => $Errors{$status}[0], message => $Errors{$status}[1] },
                request_id => $RequestId }, "error $status: {type, error: {type, message}, request_id}");
}
is_deeply($Json->decode($CountTokensJson), { input_tokens => $InputTokensCounted }, 'count_tokens answer');
my $models = $Json->decode($ModelsJson);
is_deeply([map { $_->{id} } @{ $models->{data} }], \@ModelIds, 'models: the ids');
is_deeply([@$models{qw(has_more first_id last_id)}], [JSON::PP::false, $ModelIds[0], $ModelIds[-1]],
          'models: has_more, first_id, last_id');

my $cuts = awkward_cuts($TextStream);
is(scalar @$cuts, 4, 'awkward cuts of the text stream: four');
like(substr($TextStream, 0, $cuts->[0]), qr/\nevent: content_bl\z/, 'cut 1: inside an event name');
like(substr($TextStream, $cuts->[1]), qr/\Adata: /, 'cut 2: between an event line and its data line');
for my $i (2, 3) {
    ok(ord(substr($TextStream, $cuts->[$i] - 1, 1)) >= 0xc2 && ord(substr($TextStream, $cuts->[$i], 1)) >> 6 == 2,
       'cut ' . ($i + 1) . ': inside a UTF-8 character');
}

# ---------------------------------------------------------------------------
# The NGINX mock

my $port = eval { aigw_nginx_start(anthropic_mock_server($MOCK, log => $Log), servroot => $Root) };
if (!$port) {
    fail('the mock starts');
    diag($@);
    done_testing();
    exit;
}

sub post {
    my ($body, %o) = @_;
    return http_request($MOCK, path => $o{path} // '/v1/messages', body => $body,
                        headers => { 'x-api-key' => 'sk-ant-test', 'anthropic-version' => '2023-06-01',
                                     %{ $o{headers} || {} } });
}

sub answers {
    my ($r, $status, $type, $body, $what) = @_;
    is($r->{status}, $status, "$what: status $status");
    is($r->{h}{'content-type'}, $type, "$what: content-type $type");
    is($r->{h}{'request-id'}, $RequestId, "$what: request-id");
    is($r->{body}, $body, "$what: the fixture, byte for byte");
    return;
}

my ($json_type, $sse_type) = ('application/json', 'text/event-stream; charset=utf-8');
my %cases = (
    text => ['claude-sonnet-4-5', $MessageJson, $TextStream],
    tool => [$MockModel{tool}, $ToolUseJson, $ToolUseStream],
    thinking => [$MockModel{thinking}, $ThinkingJson, $ThinkingStream],
    max_tokens => [$MockModel{max_tokens}, $MaxTokensJson, $MaxTokensStream],
);
for my $case (sort keys %cases) {
    my ($model, $json, $stream) = @{ $cases{$case} };
    answers(post(qq({"model":"$model","max_tokens":64,"messages":[{"role":"user","content":"hi"}]})),
            200, $json_type, $json, "$case, not streamed");
    my $r = post(qq({"model":"$model","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}),
                 path => '/v1/messages?beta=true');
    answers($r, 200, $sse_type, $stream, "$case, streamed");
    is($r->{h}{'cache-control'}, 'no-cache', "$case, streamed: cache-control no-cache");
}
answers(post(qq({"model":"$MockModel{stream_error}","max_tokens":64,"stream":true,"messages":[]})),
        200, $sse_type, $StreamErrorStream, 'stream error');
for my $status (sort keys %Errors) {
    my $r = post(qq({"model":"claude-mock-$status","max_tokens":64,"stream":true,"messages":[]}));
    answers($r, $status, $json_type, $ErrorJson{$status}, "error $status, asked to stream");
}
is(post(qq({"model":"claude-mock-429","messages":[]}))->{h}{'retry-after'}, '20', 'error 429: retry-after 20');

# What Claude Code sends: a body of some 100 KB that names other models in its text, "stream":
# true last.
my $filler = join ',', map { qq({"role":"user","content":"a \\"model\\":\\"claude-mock-429\\" $_ @{[ 'x' x 1000 ]}"}) } 1 .. 120;
my $big = post(qq({"model":"$MockModel{tool}","messages":[$filler],"max_tokens":64,"stream":true}));
answers($big, 200, $sse_type, $ToolUseStream, 'a 120 KB body: answered by its own model');

answers(post('{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}',
             path => '/v1/messages/count_tokens?beta=true'), 200, $json_type, $CountTokensJson, 'count_tokens');
answers(http_request($MOCK, path => '/v1/models?limit=20'), 200, $json_type, $ModelsJson, 'models list');
for my $id (@ModelIds) {
    my $r = http_request($MOCK, path => "/v1/models/$id");
    is($r->{status}, 200, "models retrieve $id: 200");
    is_deeply($r->{json}, (grep { $_->{id} eq $id } @{ $models->{data} })[0], "models retrieve $id: its entry");
}
my $unknown = http_request($MOCK, path => '/v1/models/claude-nope');
is($unknown->{status}, 404, 'an unknown model id: 404');
is($unknown->{json}{error}{type}, 'not_found_error', 'an unknown model id: not_found_error');
is(http_request($MOCK, method => 'HEAD', path => '/')->{status}, 404, 'HEAD /: 404');

my $before = () = anthropic_mock_log($Log);
post('{"model":"claude-sonnet-4-5","stream":true,"messages":[]}', path => '/v1/messages?beta=true',
     headers => { 'anthropic-beta' => 'claude-code-20250219,interleaved-thinking-2025-05-14' });
my $logged = (anthropic_mock_log($Log, min => $before + 1))[$before];
is_deeply($logged, { method => 'POST', uri => '/v1/messages?beta=true', status => '200', x_api_key => 'sk-ant-test',
                     authorization => '', anthropic_version => '2023-06-01',
                     anthropic_beta => 'claude-code-20250219,interleaved-thinking-2025-05-14',
                     model => 'claude-sonnet-4-5', mode => 'stream' },
          'the log: method, uri with its query, headers, model and mode of a request');

# ---------------------------------------------------------------------------
# The TCP mock: each packet one chunk, so the chunk sizes show where the stream was cut.

my $tcp = tcp_server_fork($TCP, \&anthropic_tcp_serve);
my $req = http_request_text(path => '/v1/messages?beta=true', body => '{"model":"claude-sonnet-4-5","stream":true}');
my ($raw) = http_raw($TCP, $req);
my ($head, $framed) = split /\r\n\r\n/, $raw, 2;
$framed //= '';
like($head, qr{^HTTP/1\.1 200 OK\r\n}, 'TCP mock, streamed: 200');
like($head, qr{^Content-Type: text/event-stream; charset=utf-8\r$}m, 'TCP mock, streamed: content-type');
like($head, qr{^request-id: \Q$RequestId\E\r$}m, 'TCP mock, streamed: request-id');
my @sizes;
while ($framed =~ s/\A([0-9a-f]+)\r\n//) {
    push @sizes, hex $1;
    $framed = substr($framed, $sizes[-1] + 2);
}
my @at = (0, @$cuts, length $TextStream);
is_deeply(\@sizes, [(map { $at[$_ + 1] - $at[$_] } 0 .. $#at - 1), 0], 'TCP mock, streamed: one chunk each piece between the cuts');
is(http_parse($raw)->{body}, $TextStream, 'TCP mock, streamed: the text stream');
my $tcp_json = http_parse((http_raw($TCP, http_request_text(path => '/v1/messages',
                                                             body => qq({"model":"$MockModel{tool}"}))))[0]);
is($tcp_json->{body}, $ToolUseJson, 'TCP mock, not streamed: the model\'s JSON answer');
tcp_server_stop($tcp);

my $errlog = aigw_nginx_stop();
ok($errlog !~ /\[(?:alert|emerg|crit|error)\]/, 'no error in the mock\'s error log')
    or diag(join "\n", grep { /\[(?:alert|emerg|crit|error)\]/ } split /\n/, $errlog);

done_testing();
