# The mock Gemini upstream (Test::AIGW::Mock::Gemini) answers what it says it answers, so that
# its replies cannot rot silently: a stream's chunks add up to the whole answer, every chunk is
# `data: JSON\r\n\r\n` with no [DONE], usage is cumulative and complete on the last chunk with
# the finishReason, totals add up; the server checks x-goog-api-key (or ?key=) as Google does,
# answers each scenario by model name and by `mock:NAME` in the prompt, with its status,
# content-type and Google's headers; lists and counts; fails mid-stream, resets, waits; cuts a
# stream into packets where it says; and records every request byte for byte.
#
# Ports (loopback, fixed):
#   2070  the mock (gemini_mock_start: a server forked from this file)

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/lib";

use File::Spec;
use File::Temp ();
use JSON::PP ();
use Test::More;
use Test::AIGW::HTTP qw(http_raw http_request_text http_parse http_request tcp_server_stop);
use Test::AIGW::Mock::Gemini qw(:all);

my $MOCK = 2070;
my $Json = JSON::PP->new->utf8;
my $Dir = File::Temp->newdir('aigw-gemini-mock-XXXXXX', TMPDIR => 1);
my $Log = "$Dir/requests.jsonl";
my $Flash = 'gemini-2.5-flash';
my $Prompt = '{"contents":[{"role":"user","parts":[{"text":"Say hello."}]}]}';

sub ask {
    my ($model, %o) = @_;
    my $method = $o{stream} ? 'streamGenerateContent?alt=sse' : 'generateContent';
    return http_request($MOCK, path => $o{path} // "/v1beta/models/$model:$method", body => $o{body} // $Prompt,
                        headers => [['x-goog-api-key', $o{key} // $ApiKey], @{ $o{headers} || [] }],
                        timeout => $o{timeout});
}

# The chunks of a stream body: decoded, or undef for one that is not `data: JSON`.
sub chunks {
    my ($body) = @_;
    my @events = split /\r\n\r\n/, $body, -1;
    pop @events if @events && $events[-1] eq '';
    return map { /\Adata: (\{.*\})\z/s ? scalar eval { $Json->decode($1) } : undef } @events;
}

# The text of an answer's parts (not thoughts; thoughts with $thought).
sub text_of {
    my ($answer, $thought) = @_;
    return join '', map { $_->{text} // '' } grep { !$_->{thought} == !$thought }
                    map { @{ $_->{content}{parts} || [] } } @{ $answer->{candidates} || [] };
}

my $pid = gemini_mock_start($MOCK, log => $Log);
END { tcp_server_stop($pid) if $pid }

# ---------------------------------------------------------------------------
# Every scenario, whole and streamed: the stream adds up to the whole answer.

my %expect = (
    text => [$Flash, 'STOP', { promptTokenCount => 9, candidatesTokenCount => 21, totalTokenCount => 30 }],
    thinking => [$MockModel{thinking}, 'STOP', { promptTokenCount => 9, candidatesTokenCount => 7, thoughtsTokenCount => 312,
                                                 totalTokenCount => 328 }],
    function => [$MockModel{function}, 'STOP', { promptTokenCount => 64, candidatesTokenCount => 18, thoughtsTokenCount => 41,
                                                 totalTokenCount => 123 }],
    cached => [$MockModel{cached}, 'STOP', { promptTokenCount => 2100, cachedContentTokenCount => 2048, candidatesTokenCount => 21,
                                             totalTokenCount => 2121 }],
    'tool-use' => [$MockModel{'tool-use'}, 'STOP', { promptTokenCount => 9, toolUsePromptTokenCount => 120,
                                                     candidatesTokenCount => 21, totalTokenCount => 150 }],
    'max-tokens' => [$MockModel{'max-tokens'}, 'MAX_TOKENS', { promptTokenCount => 9, candidatesTokenCount => 3, totalTokenCount => 12 }],
    safety => [$MockModel{safety}, 'SAFETY', { promptTokenCount => 9, candidatesTokenCount => 5, totalTokenCount => 14 }],
);
my $thinking_body = '{"contents":[{"role":"user","parts":[{"text":"hi"}]}],'
                  . '"generationConfig":{"thinkingConfig":{"includeThoughts":true}}}';
for my $case (sort keys %expect) {
    my ($model, $finish, $usage) = @{ $expect{$case} };
    my %body = $case eq 'thinking' ? (body => $thinking_body) : ();
    my $whole = ask($model, %body);
    is($whole->{status}, 200, "$case: 200");
    is($whole->{h}{'content-type'}, 'application/json; charset=UTF-8', "$case: application/json; charset=UTF-8");
    is($whole->{h}{'transfer-encoding'}, 'chunked', "$case: chunked, as Google sends it");
    like($whole->{body}, qr/\A\{\n  "candidates": \[\n    \{\n      "/, "$case: pretty-printed, two spaces");
    my $answer = $whole->{json};
    is($answer->{candidates}[0]{finishReason}, $finish, "$case: finishReason $finish");
    is_deeply({ map { ($_ => $answer->{usageMetadata}{$_}) } keys %$usage }, $usage, "$case: usageMetadata counts");
    is($answer->{modelVersion}, $model, "$case: modelVersion is the model of the path");
    like($answer->{responseId}, qr/\A\Q$ResponseId\E-/, "$case: a responseId");
        my $stream = ask($model, %body, stream => 1);
    is($stream->{status}, 200, "$case, streamed: 200");
    is($stream->{h}{'content-type'}, 'text/event-stream', "$case, streamed: text/event-stream");
    is($stream->{h}{'content-disposition'}, 'attachment', "$case, streamed: content-disposition attachment");
    unlike($stream->{body}, qr/\[DONE\]/, "$case, streamed: no [DONE]");
    like($stream->{body}, qr/\Adata: \{"candidates": \[\{"content": /, "$case, streamed: `\"name\": value`, no space after a comma");
    my @c = chunks($stream->{body});
    ok(@c > 0 && !grep({ !defined } @c), "$case, streamed: every chunk is data: JSON then \\r\\n\\r\\n");
    is_deeply([map { $_->{candidates}[0]{finishReason} } @c], [(undef) x $#c, $finish],
              "$case, streamed: only the last chunk has the finishReason");
    is_deeply([grep { !defined $_->{usageMetadata}{promptTokenCount} } @c], [], "$case, streamed: every chunk has usage");
    is_deeply([grep { defined $_->{usageMetadata}{candidatesTokenCount} } @c[0 .. $#c - 1]], [],
              "$case, streamed: no candidatesTokenCount before the last chunk");
    is_deeply($c[-1]{usageMetadata}, $answer->{usageMetadata}, "$case, streamed: the last chunk's usage is the whole answer's");
    my @totals = map { $_->{usageMetadata}{totalTokenCount} } @c;
    ok(!grep({ $totals[$_] < $totals[$_ - 1] } 1 .. $#totals), "$case, streamed: totals never go down");
    is(text_of({ candidates => [map { @{ $_->{candidates} } } @c] }), text_of($answer), "$case, streamed: the texts add up")
        unless $case eq 'safety';
}

my $u = ask($Flash)->{json}{usageMetadata};
is_deeply($u->{promptTokensDetails}, [{ modality => 'TEXT', tokenCount => 9 }], 'usage: promptTokensDetails');
is(text_of(ask($Flash)->{json}), "Hello, \"w\x{f6}rld\" \x{2713}\nmodel=$Flash key=$ApiKey via=x-goog-api-key",
   'text: says which model and which key the mock saw, and how');
my $cached = ask($MockModel{cached})->{json}{usageMetadata};
is_deeply($cached->{cacheTokensDetails}, [{ modality => 'TEXT', tokenCount => 2048 }], 'cached: cacheTokensDetails');
is_deeply(ask($MockModel{'tool-use'})->{json}{usageMetadata}{toolUsePromptTokensDetails}, [{ modality => 'TEXT', tokenCount => 120 }],
          'tool-use: toolUsePromptTokensDetails');

my $thinking = ask($MockModel{thinking}, body => $thinking_body)->{json};
is(text_of($thinking, 1), join('', @Thoughts), 'thinking: the thoughts, as parts with thought: true');
is(text_of($thinking), 'Hi! How can I help?', 'thinking: then the answer');
my $hidden = ask($MockModel{thinking})->{json};
ok(!grep({ $_->{thought} } @{ $hidden->{candidates}[0]{content}{parts} }), 'thinking: no thought parts unless includeThoughts');
is($hidden->{usageMetadata}{thoughtsTokenCount}, 312, 'thinking: thoughtsTokenCount all the same');
my @tc = chunks(ask($MockModel{thinking}, body => $thinking_body, stream => 1)->{body});
is_deeply([map { $_->{usageMetadata}{thoughtsTokenCount} } @tc], [undef, undef, 312, 312],
          'thinking, streamed: thoughtsTokenCount once the thoughts are done');

my $tools = '{"contents":[{"role":"user","parts":[{"text":"Weather in Paris?"}]}],"tools":[{"functionDeclarations":'
          . '[{"name":"lookup_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]}]}';
my $call = ask($MockModel{function}, body => $tools)->{json}{candidates}[0]{content}{parts}[0];
is_deeply($call, { functionCall => { name => 'lookup_weather', args => { city => 'Paris', unit => 'celsius' } },
                   thoughtSignature => $Signature }, 'function: a functionCall of the declared function, with a thoughtSignature');
my $result = '{"contents":[{"role":"user","parts":[{"text":"mock:function Weather in Paris?"}]},'
           . qq({"role":"model","parts":[{"functionCall":{"name":"lookup_weather","args":{"city":"Paris"}},"thoughtSignature":"$Signature"}]},)
           . '{"role":"user","parts":[{"functionResponse":{"name":"lookup_weather","response":{"temperature":21}}}]}]}';
is(text_of(ask($Flash, body => $result)->{json}), 'The tool lookup_weather answered: {"temperature":21}',
   'function: a functionResponse in the last content gets the final text');

my $blocked = ask($MockModel{blocked});
is_deeply([@{ $blocked->{json} }{qw(candidates)}, $blocked->{json}{promptFeedback}{blockReason}], [undef, 'SAFETY'],
          'blocked: 200, promptFeedback.blockReason SAFETY, no candidates');
is_deeply($blocked->{json}{usageMetadata}, { promptTokenCount => 9, totalTokenCount => 9,
                                             promptTokensDetails => [{ modality => 'TEXT', tokenCount => 9 }] },
          'blocked: usage of the prompt only');
my @bc = chunks(ask($MockModel{blocked}, stream => 1)->{body});
is_deeply([scalar @bc, $bc[0]{promptFeedback}{blockReason}], [1, 'SAFETY'], 'blocked, streamed: one chunk with promptFeedback');
my $safety = ask($MockModel{safety})->{json}{candidates}[0];
ok(!$safety->{content} && (grep { $_->{blocked} } @{ $safety->{safetyRatings} }), 'safety: no content, a blocked safety rating');

# The scenario from the prompt, for a gateway that renames the model.
for my $name (qw(thinking max-tokens 429)) {
    my $by_prompt = ask($Flash, body => qq({"contents":[{"role":"user","parts":[{"text":"please mock:$name now"}]}]}));
    my $by_model = ask($MockModel{$name});
    (my $want = $by_model->{body}) =~ s/\Q$MockModel{$name}\E/$Flash/g;
    is($by_prompt->{body}, $want, "mock:$name in the prompt answers as the model $MockModel{$name}");
}

# ---------------------------------------------------------------------------
# Errors, keys, the other methods

for my $status (sort keys %Errors) {
    for my $stream (0, 1) {
        my $r = ask("gemini-mock-$status", stream => $stream);
        my $what = "error $status" . ($stream ? ', streamed' : '');
        is($r->{status}, $status, "$what: status $status");
        is($r->{h}{'content-type'}, 'application/json; charset=UTF-8', "$what: JSON");
        is_deeply([@{ $r->{json}{error} }{qw(code message status)}], [$status, @{ $Errors{$status} }[0, 1]],
                  "$what: {error: {code, message, status}}");
    }
}
my $quota = ask('gemini-mock-429')->{json}{error}{details};
is_deeply([map { $_->{'@type'} } @$quota], [map { "type.googleapis.com/google.rpc.$_" } qw(QuotaFailure Help RetryInfo)],
          '429: details QuotaFailure, Help, RetryInfo');
is($quota->[2]{retryDelay}, '21s', '429: retryDelay');
like(ask('gemini-mock-404')->{json}{error}{message}, qr{\Amodels/gemini-mock-404 is not found for API version v1beta},
     '404: names the model');

my $bad = ask($Flash, key => 'AIzaSyWrongKey');
is_deeply([$bad->{status}, $bad->{json}{error}{code}, $bad->{json}{error}{message}, $bad->{json}{error}{status},
           $bad->{json}{error}{details}[0]{reason}],
          [400, 400, 'API key not valid. Please pass a valid API key.', 'INVALID_ARGUMENT', 'API_KEY_INVALID'],
          'a wrong key: 400 INVALID_ARGUMENT API_KEY_INVALID');
is($bad->{body}, $BadKeyJson, 'a wrong key: Google\'s body, byte for byte');
my $none = http_request($MOCK, path => "/v1beta/models/$Flash:generateContent", body => $Prompt);
is_deeply([$none->{status}, $none->{json}{error}{status}], [403, 'PERMISSION_DENIED'], 'no key: 403 PERMISSION_DENIED');
my $query_key = http_request($MOCK, path => "/v1beta/models/$Flash:generateContent?key=$ApiKey", body => $Prompt);
like(text_of($query_key->{json}), qr/ via=key\z/, 'the key as ?key=: accepted, and the answer says so');
{
    my $pid2 = gemini_mock_start($MOCK + 1, key => 'AIzaSyOtherKey');
    my $r = http_request($MOCK + 1, path => "/v1beta/models/$Flash:generateContent", body => $Prompt,
                         headers => { 'x-goog-api-key' => 'AIzaSyOtherKey' });
    like(text_of($r->{json}), qr/key=AIzaSyOtherKey /, 'a mock started with key => KEY accepts that key');
    is(http_request($MOCK + 1, path => "/v1beta/models/$Flash:generateContent", body => $Prompt,
                    headers => { 'x-goog-api-key' => $ApiKey })->{status}, 400, '... and no other');
    tcp_server_stop($pid2);
}

my $count = ask($Flash, path => "/v1beta/models/$Flash:countTokens");
is_deeply($count->{json}, { totalTokens => $CountTokens, promptTokensDetails => [{ modality => 'TEXT', tokenCount => $CountTokens }] },
          'countTokens: totalTokens and promptTokensDetails');
my $list = http_request($MOCK, path => '/v1beta/models', headers => { 'x-goog-api-key' => $ApiKey });
is_deeply([map { $_->{name} } @{ $list->{json}{models} }], [map { "models/$_" } qw(gemini-2.5-flash gemini-2.5-pro gemini-2.0-flash)],
          'GET /v1beta/models: the models');
ok(!exists $list->{json}{nextPageToken}, 'GET /v1beta/models: one page, no nextPageToken');
is_deeply([@{ $list->{json}{models}[0] }{qw(version displayName inputTokenLimit outputTokenLimit)}],
          ['001', 'Gemini 2.5 Flash', 1048576, 65536], 'a model: version, displayName, token limits');
is_deeply($list->{json}{models}[0]{supportedGenerationMethods}, [qw(generateContent countTokens createCachedContent batchGenerateContent)],
          'a model: supportedGenerationMethods');
my $page1 = http_request($MOCK, path => '/v1beta/models?pageSize=2', headers => { 'x-goog-api-key' => $ApiKey })->{json};
my $page2 = http_request($MOCK, path => "/v1beta/models?pageSize=2&pageToken=$page1->{nextPageToken}",
                         headers => { 'x-goog-api-key' => $ApiKey })->{json};
is_deeply([scalar @{ $page1->{models} }, $page1->{nextPageToken}, scalar @{ $page2->{models} }, $page2->{nextPageToken}],
          [2, 'page-2', 1, undef], 'pageSize=2: two pages, nextPageToken then none');
is(http_request($MOCK, path => "/v1beta/models/$Flash", headers => { 'x-goog-api-key' => $ApiKey })->{json}{name}, "models/$Flash",
   'GET /v1beta/models/MODEL: that model');
is(ask($Flash, path => "/v1beta/models/$Flash:streamGenerateContent")->{status}, 400, 'a stream without alt=sse: 400');
is(ask($Flash, body => '{"contents":')->{json}{error}{status}, 'INVALID_ARGUMENT', 'a body that is not JSON: INVALID_ARGUMENT');
is(ask($Flash, path => '/v1beta/cachedContents')->{json}{error}{status}, 'NOT_FOUND', 'anything else: NOT_FOUND');

# ---------------------------------------------------------------------------
# Failures mid-stream, a slow first byte

my $se = ask($MockModel{'stream-error'}, stream => 1);
my @se = chunks($se->{body});
is($se->{status}, 200, 'stream-error, streamed: 200');
is(scalar @se, 3, 'stream-error, streamed: two chunks, then one more');
is_deeply($se[-1], { error => { code => 503, message => $Errors{503}[0], status => 'UNAVAILABLE' } },
          'stream-error, streamed: the last is data: {"error": {...}}');
like($se->{raw}, qr/0\r\n\r\n\z/, 'stream-error, streamed: the body then ends properly');
is(ask($MockModel{'stream-error'})->{status}, 503, 'stream-error, whole: 503');

my $reset = ask($MockModel{reset}, stream => 1);
my @rc = split /\r\n\r\n/, $reset->{body}, -1;
is_deeply([scalar @rc, scalar grep({ defined } chunks(join "\r\n\r\n", @rc[0, 1]))], [3, 2], 'reset, streamed: two chunks arrive');
is($rc[2], substr("data: {\"candidates\": [{\"content\": ", 0, 30), '... then 30 bytes of the third');
unlike($reset->{raw}, qr/\r\n0\r\n\r\n\z/, 'reset, streamed: no last chunk, the connection is reset');
my $reset_whole = ask($MockModel{reset});
ok(!$reset_whole->{json} && length $reset_whole->{body} == 40, 'reset, whole: 40 bytes of the body, then the reset');

my $slow = ask($MockModel{slow}, stream => 1);
ok($slow->{took} >= $SlowSeconds, "slow: the first byte after ${SlowSeconds}s") or diag("took $slow->{took}s");
is(scalar chunks($slow->{body}), 3, 'slow: then the text stream');

# ---------------------------------------------------------------------------
# Packets: each packet is one chunk of the chunked body, so the chunk sizes show where it was cut.

my ($raw) = http_raw($MOCK, http_request_text(path => "/v1beta/models/$Flash:streamGenerateContent?alt=sse", body => $Prompt,
                                             headers => [['x-goog-api-key', $ApiKey]]));
my ($head, $framed) = split /\r\n\r\n/, $raw, 2;
$framed //= '';
my @sizes;
while ($framed =~ s/\A([0-9a-f]+)\r\n//) {
    push @sizes, hex $1;
    $framed = substr($framed, $sizes[-1] + 2);
}
my $body = http_parse($raw)->{body};
my $cuts = gemini_cuts($body);
my @at = (0, @$cuts, length $body);
is_deeply(\@sizes, [(map { $at[$_ + 1] - $at[$_] } 0 .. $#at - 1), 0], 'packets: one chunk each piece between the cuts');
like(substr($body, 0, $cuts->[0]), qr/\Adata: \{"candidates": \[\{"content": \{"par\z/, 'cut 1: inside the first chunk\'s JSON');
ok((grep { substr($body, 0, $_) =~ /\}\r\z/ } @$cuts), 'cut 2: between the \r and the \n');
my ($crlf) = grep { substr($body, 0, $_) =~ /\}\r\n\z/ } @$cuts;
ok($crlf, 'cut 3: between the two \r\n');
my ($crlfcr) = grep { substr($body, 0, $_) =~ /\}\r\n\r\z/ } @$cuts;
ok($crlfcr, 'cut 4: between \r\n\r and \n');
my $wide = () = $body =~ /[\xc2-\xf4]/g;
is(scalar(grep { ord(substr($body, $_ - 1, 1)) >= 0xc2 && ord(substr($body, $_, 1)) >> 6 == 2 } @$cuts), $wide,
   'and one inside each multi-byte character');
like($head, qr{^Server: scaffolding on HTTPServer2\r$}m, 'Google\'s headers: Server');
is(scalar(() = $head =~ /^Vary: /mg), 3, 'Google\'s headers: three Vary lines');
is_deeply(gemini_tcp_reply(http_request_text(path => "/v1beta/models/$Flash:streamGenerateContent?alt=sse", body => $Prompt,
                                             headers => [['x-goog-api-key', $ApiKey]])),
          gemini_reply(http_request_text(path => "/v1beta/models/$Flash:streamGenerateContent?alt=sse", body => $Prompt,
                                         headers => [['x-goog-api-key', $ApiKey]]))->{packets},
          'gemini_tcp_reply: the same packets, for a block\'s --- tcp_reply');

# ---------------------------------------------------------------------------
# The record of what the mock received

my $before = () = gemini_mock_log($Log);
my $odd = qq({"contents": [ {"role":"user","parts":[{"text":"caf\xc3\xa9 \\u00e9 \xf0\x9f\x91\x8b"}]}],  "x":1}\n);
my $sent = http_request_text(path => "/v1beta/models/$Flash:streamGenerateContent?alt=sse&foo=a%20b", body => $odd,
                             headers => [['x-goog-api-key', $ApiKey], ['X-Goog-Api-Client', 'google-genai-sdk/2.32.0 gl-node/v20'],
                                         ['X-Dup', 'one'], ['x-dup', 'two']]);
http_raw($MOCK, $sent);
my @got = gemini_mock_log($Log, min => $before + 1);
my $rec = $got[$before];
is_deeply([@$rec{qw(method path query target)}],
          ['POST', "/v1beta/models/$Flash:streamGenerateContent", 'alt=sse&foo=a%20b', "/v1beta/models/$Flash:streamGenerateContent?alt=sse&foo=a%20b"],
          'the log: method, path, query as sent, target');
is($rec->{body}, $odd, 'the log: the body byte for byte (UTF-8, escapes, spacing, a final newline)');
is_deeply($rec->{headers}, [map { [split /: /, $_, 2] } grep { length } split /\r\n/, (split /\r\n\r\n/, $sent)[0] =~ s/\A[^\r]*\r\n//r],
          'the log: every header, in order, as sent');
is_deeply([@{ $rec->{header} }{qw(x-goog-api-key x-goog-api-client x-dup)}],
          [$ApiKey, 'google-genai-sdk/2.32.0 gl-node/v20', 'one, two'], 'the log: headers by lowercase name, repeated ones joined');
is($rec->{json}{x}, 1, 'the log: the body decoded');
is(scalar(gemini_mock_log($Log)), $before + 1, 'the log: one line a request');

done_testing();
