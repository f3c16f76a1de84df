package Test::AIGW::Mock::Gemini;

# Google's Generative Language API (v1beta, the Gemini API) as the mock upstreams of the tests
# send it: generateContent, streamGenerateContent?alt=sse, countTokens and the model list, with
# text, thinking, function calls, cache and tool-use token counts, blocked prompts, MAX_TOKENS
# and SAFETY stops, Google's errors, an error chunk mid-stream, a reset mid-stream and a slow
# first byte. As generativelanguage.googleapis.com sends them: whole bodies pretty-printed with
# two spaces; stream chunks `data: JSON\r\n\r\n` with `": "` after names and no space after
# commas, no [DONE], each chunk's usageMetadata cumulative (the last one complete, with the
# finishReason); every body chunked.
#
#     use Test::AIGW::Mock::Gemini qw(gemini_mock_start gemini_mock_log);
#     my $pid = gemini_mock_start($port, log => $file);      # key => ..., default $ApiKey
#     ... my @got = gemini_mock_log($file);                   # what it received, byte for byte
#     tcp_server_stop($pid);
#     use Test::AIGW::Mock::Gemini qw(gemini_tcp_reply);      # for a block's --- tcp_reply
#
# Unlike the Anthropic and Responses mocks it is a Perl server (Test::AIGW::HTTP's
# tcp_server_fork), not an NGINX one: it must check a header, reset a connection, and record
# every header and body as they arrived, which NGINX's echo and log_format cannot.
#
# The behaviour is chosen by the model of the path, gemini-mock-NAME, or, as a gateway may
# rename the model, by `mock:NAME` in the text of the request's last content; NAME one of
# @Scenarios. Anything else: the text answer, which says which model and which key the mock saw.

use strict;
use warnings;

use Exporter 'import';
use Fcntl qw(:flock);
use JSON::PP ();
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(sleep);

use Test::AIGW::HTTP qw(read_http_request tcp_server_fork);
use Test::AIGW::Mock::OpenAI qw(chunked_reply);

our @EXPORT_OK = qw(
    gemini_json gemini_object gemini_error gemini_sse gemini_cuts gemini_parse_request gemini_reply
    gemini_tcp_reply gemini_tcp_serve gemini_mock_start gemini_mock_log
    $ApiKey $BadKeyJson $NoKeyJson @Scenarios %MockModel %Errors %ErrorJson $StreamErrorJson
    $ResponseId $Signature $SlowSeconds $Weather @Thoughts @Models $CountTokens
);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# The key the mock accepts unless told another: the shape of a Google API key (AIza, 39 characters).
our $ApiKey = 'AIzaSyAigwMockUpstreamKey0123456789abcd';

# ---- the format ----

# An object whose members keep their order: gemini_object(name => value, ...). A value is a
# string, a reference to a scalar (written as it is: numbers, true, false), an array, or an object.
sub gemini_object { return bless [@_], 'Test::AIGW::Mock::Gemini::Object' }

sub _string {
    my ($s) = @_;
    $s =~ s/(["\\])/\\$1/g;
    $s =~ s/\n/\\n/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\t/\\t/g;
    $s =~ s/([\x00-\x1f])/sprintf '\\u%04x', ord $1/ge;
    return qq("$s");
}

# JSON text of a value, in bytes (strings are UTF-8 bytes already): compact as a stream chunk
# (`{"a": 1,"b": [2]}`), or `pretty` as a whole body.
sub gemini_json {
    my ($v, %o) = @_;
    return _encode($v, $o{pretty}, 0);
}

sub _encode {
    my ($v, $pretty, $depth) = @_;
    return $$v if ref $v eq 'SCALAR';
    return _string($v) unless ref $v;
    my ($in, $out) = $pretty ? ("\n" . '  ' x ($depth + 1), "\n" . '  ' x $depth) : ('', '');
    my @items;
    if (ref $v eq 'ARRAY') {
        return '[]' unless @$v;
        @items = map { _encode($_, $pretty, $depth + 1) } @$v;
        return '[' . $in . join(",$in", @items) . $out . ']';
    }
    my @pairs = @$v;
    while (my ($name, $value) = splice @pairs, 0, 2) {
        push @items, _string($name) . ': ' . _encode($value, $pretty, $depth + 1);
    }
    return '{' . $in . join(",$in", @items) . $out . '}';
}

# Google's error body: {"error": {"code", "message", "status", "details"?}}.
sub _error_object {
    my ($code, $message, $status, $details) = @_;
    return gemini_object(error => gemini_object(code => \$code, message => $message, status => $status,
                                                ($details ? (details => $details) : ())));
}
sub gemini_error { return gemini_json(_error_object(@_), pretty => 1) }

# A stream of chunks (values), as alt=sse writes them.
sub gemini_sse { return join '', map { 'data: ' . gemini_json($_) . "\r\n\r\n" } @_ }

# ---- fixtures ----

# Google's answers to a request without a key, and with a key it does not know.
our $NoKeyJson = gemini_error(403, 'Method doesn\'t allow unregistered callers (callers without established '
    . 'identity). Please use API Key or other form of API consumer identity to call this API.', 'PERMISSION_DENIED');
my $bad_key = 'API key not valid. Please pass a valid API key.';
our $BadKeyJson = gemini_error(400, $bad_key, 'INVALID_ARGUMENT', [
    gemini_object('@type' => 'type.googleapis.com/google.rpc.ErrorInfo', reason => 'API_KEY_INVALID',
                  domain => 'googleapis.com', metadata => gemini_object(service => 'generativelanguage.googleapis.com')),
    gemini_object('@type' => 'type.googleapis.com/google.rpc.LocalizedMessage', locale => 'en-US', message => $bad_key),
]);

# The errors by status: [message, status, details].
our %Errors = (
    400 => ['Request contains an invalid argument.', 'INVALID_ARGUMENT'],
    404 => ['models/gemini-mock-404 is not found for API version v1beta, or is not supported for generateContent. '
            . 'Call ListModels to see the list of available models and their supported methods.', 'NOT_FOUND'],
    429 => ['You exceeded your current quota, please check your plan and billing details. For more information on '
            . 'this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.', 'RESOURCE_EXHAUSTED', [
        gemini_object('@type' => 'type.googleapis.com/google.rpc.QuotaFailure', violations => [gemini_object(
            quotaMetric => 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
            quotaId => 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
            quotaDimensions => gemini_object(location => 'global', model => 'gemini-2.5-flash'),
            quotaValue => '10')]),
        gemini_object('@type' => 'type.googleapis.com/google.rpc.Help', links => [gemini_object(
            description => 'Learn more about Gemini API quotas', url => 'https://ai.google.dev/gemini-api/docs/rate-limits')]),
        gemini_object('@type' => 'type.googleapis.com/google.rpc.RetryInfo', retryDelay => '21s'),
    ]],
    500 => ['An internal error has occurred. Please retry or report in '
            . 'https://developers.generativeai.google/guide/troubleshooting', 'INTERNAL'],
    503 => ['The model is overloaded. Please try again later.', 'UNAVAILABLE'],
);
our %ErrorJson = map { $_ => gemini_error($_, @{ $Errors{$_} }) } keys %Errors;
my %Reason = (400 => 'Bad Request', 403 => 'Forbidden', 404 => 'Not Found', 429 => 'Too Many Requests',
              500 => 'Internal Server Error', 503 => 'Service Unavailable');

# The error chunk of a stream that fails after two chunks (compact, as chunks are).
our $StreamErrorJson = gemini_json(_error_object(503, @{ $Errors{503} }));

# The scenarios, and the model names that ask for them (also `mock:NAME` in the prompt).
our @Scenarios = qw(thinking function cached tool-use blocked max-tokens safety stream-error reset slow
                    400 404 429 500 503);
our %MockModel = map { ($_ => "gemini-mock-$_") } @Scenarios;

# The thought signature of the function call, base64 with + / =: it must come back byte for
# byte in the next turn.
our $Signature = 'CiQB0e2Kb3m+Ai/GwMockSignature0Gemini7/Bh+Q2xU4kM1w9vJrRWwKZAHR0e2Kb0Mk+aigw/mock==';
our $ResponseId = 'aigwMockGeminiResp0001';
our $SlowSeconds = 1;
our @Thoughts = ("**Greeting the user**\n\nThe user wants a short hello.", ' I will keep it brief.');
# The function's arguments, and the result of the weather function the script sends back.
our $Weather = gemini_object(city => 'Paris', unit => 'celsius');
our $CountTokens = 9;

# GET /v1beta/models: three models, pageSize per page (default 50), the next page's token
# "page-N".
our @Models = map {
    my ($id, $name, $version, $in, $out, $thinking, $description) = @$_;
    gemini_object(name => "models/$id", version => $version, displayName => $name, description => $description,
        inputTokenLimit => \$in, outputTokenLimit => \$out,
        supportedGenerationMethods => ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'],
        temperature => \1, topP => \0.95, topK => \64, maxTemperature => \2, ($thinking ? (thinking => \'true') : ()));
} (['gemini-2.5-flash', 'Gemini 2.5 Flash', '001', 1048576, 65536, 1,
    'Stable version of Gemini 2.5 Flash, our mid-size multimodal model that supports up to 1 million tokens, released in June of 2025.'],
   ['gemini-2.5-pro', 'Gemini 2.5 Pro', '2.5', 1048576, 65536, 1, 'Stable release (June 17th, 2025) of Gemini 2.5 Pro'],
   ['gemini-2.0-flash', 'Gemini 2.0 Flash', '2.0', 1048576, 8192, 0, 'Gemini 2.0 Flash']);

# usageMetadata: prompt (cached and tool-use counts apart), candidates and thoughts when given.
sub _usage {
    my (%u) = @_;
    my $total = 0;
    $total += $u{$_} // 0 for qw(prompt candidates tool thoughts);
    my $details = sub { [gemini_object(modality => 'TEXT', tokenCount => \$_[0])] };
    return gemini_object(
        promptTokenCount => \$u{prompt},
        (defined $u{candidates} ? (candidatesTokenCount => \$u{candidates}) : ()),
        totalTokenCount => \$total,
        ($u{cached} ? (cachedContentTokenCount => \$u{cached}) : ()),
        promptTokensDetails => $details->($u{prompt}),
        ($u{cached} ? (cacheTokensDetails => $details->($u{cached})) : ()),
        ($u{tool} ? (toolUsePromptTokenCount => \$u{tool}, toolUsePromptTokensDetails => $details->($u{tool})) : ()),
        ($u{thoughts} ? (thoughtsTokenCount => \$u{thoughts}) : ()));
}

my @SafetyRatings = map { gemini_object(category => "HARM_CATEGORY_$_->[0]", probability => $_->[1],
                                         ($_->[2] ? (blocked => \'true') : ())) }
    ['HATE_SPEECH', 'NEGLIGIBLE'], ['DANGEROUS_CONTENT', 'HIGH', 1], ['HARASSMENT', 'NEGLIGIBLE'],
    ['SEXUALLY_EXPLICIT', 'NEGLIGIBLE'];

# ---- requests ----

# A request's parts: method, target, path, query (after '?', '' for none), headers ([name,
# value] in order), header (lowercase name => value, repeated ones joined by ', '), body.
sub gemini_parse_request {
    my ($text) = @_;
    my ($head, $body) = split /\r\n\r\n/, $text // '', 2;
    my ($line, @lines) = split /\r\n/, $head // '';
    my ($method, $target) = ($line // '') =~ /^(\S+) (\S+)/;
    $target //= '';
    my ($path, $query) = $target =~ /^([^?]*)(?:\?(.*))?\z/s;
    my (@headers, %header);
    for (@lines) {
        next unless /^([^:\s]+):[ \t]*(.*?)[ \t]*\z/;
        push @headers, [$1, $2];
        $header{ lc $1 } = defined $header{ lc $1 } ? "$header{ lc $1 }, $2" : $2;
    }
    return { method => $method // '', target => $target, path => $path // '', query => $query // '',
             headers => \@headers, header => \%header, body => $body // '' };
}

sub _query_param {
    my ($query, $name) = @_;
    for (split /&/, $query) {
        my ($k, $v) = split /=/, $_, 2;
        next unless defined $k && $k eq $name;
        ($v //= '') =~ s/%([0-9a-fA-F]{2})/chr hex $1/ge;
        return $v;
    }
    return;
}

# The scenario of a generate request: `function-result` when the last content answers a function
# call (whatever the model), else the model's, else `mock:NAME` in the last content's text, else
# text.
sub _scenario {
    my ($model, $req) = @_;
    my %known = map { ($_ => 1) } @Scenarios;
    my $last = ref $req eq 'HASH' && ref $req->{contents} eq 'ARRAY' ? $req->{contents}[-1] : undef;
    my @parts = ref $last eq 'HASH' && ref $last->{parts} eq 'ARRAY' ? grep { ref $_ eq 'HASH' } @{ $last->{parts} } : ();
    return 'function-result' if grep { $_->{functionResponse} } @parts;
    return $1 if $model =~ /^gemini-mock-(.+)\z/ && $known{$1};
    for my $text (map { $_->{text} // () } @parts) {
        return $1 if $text =~ /\bmock:([a-z0-9-]+)/ && $known{$1};
    }
    return 'text';
}

# ---- replies ----

my $Json = JSON::PP->new->utf8->canonical;

sub _headers {
    my ($type) = @_;
    return ('Vary' => 'Origin', 'Vary' => 'X-Origin', 'Vary' => 'Referer',
            ($type eq 'sse' ? ('Content-Disposition' => 'attachment') : ()),
            'Date' => 'Sat, 05 Dec 2026 12:00:00 GMT', 'Server' => 'scaffolding on HTTPServer2',
            'X-XSS-Protection' => '0', 'X-Frame-Options' => 'SAMEORIGIN', 'X-Content-Type-Options' => 'nosniff',
            'Server-Timing' => 'gfet4t7; dur=412');
}

sub _json_reply {
    my ($status, $body) = @_;
    return { status => $status, body => $body,
             packets => chunked_reply($body, status => "$status $Reason{$status}", type => 'application/json; charset=UTF-8',
                                      headers => [_headers('json')]) } if $status != 200;
    return { status => 200, body => $body,
             packets => chunked_reply($body, type => 'application/json; charset=UTF-8', headers => [_headers('json')]) };
}

# Offsets to cut a stream at: inside the first chunk's JSON (in "parts"), between the \r and the
# \n that end the first chunk, between the two \r\n that end the second, between the \r\n\r and
# the \n that end the third, and inside each multi-byte UTF-8 character (after its first byte).
sub gemini_cuts {
    my ($stream) = @_;
    my @cuts;
    my $parts = index $stream, '"parts"';
    push @cuts, $parts + 4 if $parts >= 0;
    my ($end, $n) = (-1, 0);
    while (($end = index $stream, "\r\n\r\n", $end + 1) >= 0 && $n < 3) {
        push @cuts, $end + (1, 2, 3)[$n++];
    }
    while ($stream =~ /[\xc2-\xf4]/g) { push @cuts, pos $stream }
    my %seen;
    return [ sort { $a <=> $b } grep { $_ > 0 && $_ < length $stream && !$seen{$_}++ } @cuts ];
}

sub _sse_reply {
    my ($stream, %o) = @_;
    return { status => 200, body => $stream, reset => $o{reset},
             packets => chunked_reply($stream, cuts => gemini_cuts($stream), type => 'text/event-stream',
                                      headers => [_headers('sse')], cut => $o{reset}) };
}

# The answer to one request (its text), as {status, body (without the chunked framing), packets
# (of the whole reply, cut where a stream is cut), delay (seconds before the first byte), reset
# (the connection is reset after the packets)}. `key`: the key to accept (default $ApiKey).
sub gemini_reply {
    my ($text, %o) = @_;
    my $r = gemini_parse_request($text);
    my $key = $o{key} // $ApiKey;
    my ($got, $via) = defined $r->{header}{'x-goog-api-key'} ? ($r->{header}{'x-goog-api-key'}, 'x-goog-api-key')
                    : (scalar _query_param($r->{query}, 'key'), 'key');
    return _json_reply(403, $NoKeyJson) unless defined $got && length $got;
    return _json_reply(400, $BadKeyJson) unless $got eq $key;

    if ($r->{method} eq 'GET' && $r->{path} eq '/v1beta/models') {
        my $size = _query_param($r->{query}, 'pageSize') || 50;
        my ($from) = (_query_param($r->{query}, 'pageToken') // '') =~ /^page-(\d+)\z/;
        $from //= 0;
        my @page = grep { defined } @Models[$from .. $from + $size - 1];
        my $next = $from + $size < @Models ? 'page-' . ($from + $size) : undef;
        return _json_reply(200, gemini_json(gemini_object(models => \@page,
                                                          (defined $next ? (nextPageToken => $next) : ())), pretty => 1));
    }
    if ($r->{method} eq 'GET' && $r->{path} =~ m{^/v1beta/models/([^/:]+)\z}) {
        my ($m) = grep { $_->[1] eq "models/$1" } @Models;
        return $m ? _json_reply(200, gemini_json($m, pretty => 1))
                  : _json_reply(404, gemini_error(404, "models/$1 is not found for API version v1beta.", 'NOT_FOUND'));
    }
    my ($model, $method) = $r->{path} =~ m{^/v1beta/models/([^/:]+):(generateContent|streamGenerateContent|countTokens)\z};
    return _json_reply(404, gemini_error(404, 'Method not found.', 'NOT_FOUND'))
        unless $method && $r->{method} eq 'POST';
    my $req = eval { $Json->decode($r->{body}) };
    return _json_reply(400, gemini_error(400, 'Invalid JSON payload received. Unexpected token.', 'INVALID_ARGUMENT'))
        unless ref $req eq 'HASH';
    if ($method eq 'countTokens') {
        return _json_reply(200, gemini_json(gemini_object(totalTokens => \$CountTokens,
            promptTokensDetails => [gemini_object(modality => 'TEXT', tokenCount => \$CountTokens)]), pretty => 1));
    }

    my $scenario = _scenario($model, $req);
    my $stream = $method eq 'streamGenerateContent';
    return _json_reply(400, gemini_error(400, q(Invalid value at 'alt' (type.googleapis.com/google.api.ApiMethod.Alt), "json"),
                                         'INVALID_ARGUMENT'))
        if $stream && (_query_param($r->{query}, 'alt') // '') ne 'sse';
    if ($scenario =~ /^\d+\z/) {
        (my $body = $ErrorJson{$scenario}) =~ s/gemini-mock-404/$model/;
        return _json_reply($scenario, $body);
    }
    my $answer = _answer($scenario, model => $model, key => $got, via => $via, request => $req);
    my $reply;
    if (!$stream) {
        return _json_reply(503, $ErrorJson{503}) if $scenario eq 'stream-error';
        $reply = _json_reply(200, gemini_json(_whole($answer, $model), pretty => 1));
        if ($scenario eq 'reset') {
            my $head = $reply->{packets}[0];
            $reply->{packets} = [$head, sprintf("%x\r\n", length $reply->{body}) . substr($reply->{body}, 0, 40)];
            $reply->{reset} = 1;
        }
    } else {
        my @chunks = _chunks($answer, $model);
        if ($scenario eq 'stream-error') {
            $reply = _sse_reply(gemini_sse(@chunks[0, 1]) . "data: $StreamErrorJson\r\n\r\n");
        } else {
            # Reset inside the third chunk: at a chunk's end, Node's fetch takes a reset for the
            # body's end, and its clients would see a whole stream.
            $reply = $scenario eq 'reset'
                   ? _sse_reply(gemini_sse(@chunks[0, 1]) . substr(gemini_sse($chunks[2]), 0, 30), reset => 1)
                   : _sse_reply(gemini_sse(@chunks));
        }
    }
    $reply->{delay} = $SlowSeconds if $scenario eq 'slow';
    return $reply;
}

# What a scenario answers: its stream's pieces ([kind, value] in order: thought, text, call),
# its finishReason, usage, and whether the prompt is blocked.
sub _answer {
    my ($scenario, %o) = @_;
    my $req = $o{request};
    my $thoughts_asked = eval { $req->{generationConfig}{thinkingConfig}{includeThoughts} } ? 1 : 0;
    my @text = ('Hello, "w' . "\xc3\xb6", 'rld" ' . "\xe2\x9c\x93" . "\n", "model=$o{model} key=$o{key} via=$o{via}");
    my %a = (pieces => [map { [text => $_] } @text], finish => 'STOP', usage => { prompt => 9, candidates => 21 },
             id => "$ResponseId-$scenario");
    if ($scenario eq 'thinking') {
        $a{pieces} = [($thoughts_asked ? map { [thought => $_] } @Thoughts : ()),
                      [text => 'Hi! How can I '], [text => 'help?']];
        $a{usage} = { prompt => 9, candidates => 7, thoughts => 312 };
    } elsif ($scenario eq 'function') {
        my ($declared) = eval { $req->{tools}[0]{functionDeclarations}[0]{name} };
        $a{pieces} = [[call => gemini_object(functionCall => gemini_object(name => $declared // 'get_weather', args => $Weather),
                                             thoughtSignature => $Signature)]];
        $a{usage} = { prompt => 64, candidates => 18, thoughts => 41 };
    } elsif ($scenario eq 'function-result') {
        my ($result) = map { $_->{functionResponse} } grep { ref $_ eq 'HASH' && $_->{functionResponse} }
                       @{ $req->{contents}[-1]{parts} };
        $a{pieces} = [[text => 'The tool ' . ($result->{name} // '') . ' answered: '],
                      [text => $Json->encode($result->{response} // {})]];
        $a{usage} = { prompt => 96, candidates => 16 };
    } elsif ($scenario eq 'cached') {
        $a{usage} = { prompt => 2100, cached => 2048, candidates => 21 };
    } elsif ($scenario eq 'tool-use') {
        $a{usage} = { prompt => 9, tool => 120, candidates => 21 };
    } elsif ($scenario eq 'blocked') {
        %a = (%a, blocked => 1, pieces => [], usage => { prompt => 9 });
    } elsif ($scenario eq 'max-tokens') {
        %a = (%a, pieces => [[text => 'Once upon'], [text => ' a']], finish => 'MAX_TOKENS', usage => { prompt => 9, candidates => 3 });
    } elsif ($scenario eq 'safety') {
        %a = (%a, pieces => [[text => 'I can tell you how'], [text => ' to']], finish => 'SAFETY',
              usage => { prompt => 9, candidates => 5 });
    }
    return \%a;
}

sub _part {
    my ($piece) = @_;
    my ($kind, $value) = @$piece;
    return $kind eq 'call' ? $value : gemini_object(text => $value, ($kind eq 'thought' ? (thought => \'true') : ()));
}

sub _tail { my ($model, $id) = @_; return (modelVersion => $model, responseId => $id) }

sub _blocked {
    my ($a, $model) = @_;
    return gemini_object(promptFeedback => gemini_object(blockReason => 'SAFETY', safetyRatings => \@SafetyRatings),
                         usageMetadata => _usage(%{ $a->{usage} }), _tail($model, $a->{id}));
}

# The whole answer: the pieces merged into parts (texts of one kind joined), one candidate.
sub _whole {
    my ($a, $model) = @_;
    return _blocked($a, $model) if $a->{blocked};
    my @parts;
    for my $p (@{ $a->{pieces} }) {
        if (@parts && $p->[0] ne 'call' && $parts[-1][0] eq $p->[0]) { $parts[-1][1] .= $p->[1] }
        else { push @parts, [@$p] }
    }
    # A SAFETY stop keeps no content in the whole answer.
    my $content = $a->{finish} eq 'SAFETY' ? undef : gemini_object(parts => [map { _part($_) } @parts], role => 'model');
    return gemini_object(candidates => [gemini_object(($content ? (content => $content) : ()), finishReason => $a->{finish},
                                                      ($a->{finish} eq 'SAFETY' ? (safetyRatings => \@SafetyRatings) : ()),
                                                      index => \0)],
                         usageMetadata => _usage(%{ $a->{usage} }), _tail($model, $a->{id}));
}

# The chunks of the stream: one a piece, usage so far on each (the prompt, and the thoughts
# once they are done), the last with the finishReason and the whole usage; a SAFETY stop in a
# chunk of its own without content.
sub _chunks {
    my ($a, $model) = @_;
    return _blocked($a, $model) if $a->{blocked};
    my %u = %{ $a->{usage} };
    my @pieces = @{ $a->{pieces} };
    my @chunks;
    for my $i (0 .. $#pieces) {
        my $last = $i == $#pieces && $a->{finish} ne 'SAFETY';
        my $thought_done = !grep { $_->[0] eq 'thought' } @pieces[$i .. $#pieces];
        my %so_far = $last ? %u : (prompt => $u{prompt}, cached => $u{cached}, tool => $u{tool},
                                   ($thought_done ? (thoughts => $u{thoughts}) : ()));
        push @chunks, gemini_object(
            candidates => [gemini_object(content => gemini_object(parts => [_part($pieces[$i])], role => 'model'),
                                         ($last ? (finishReason => $a->{finish}) : ()), index => \0)],
            usageMetadata => _usage(%so_far), _tail($model, $a->{id}));
    }
    if ($a->{finish} eq 'SAFETY') {
        push @chunks, gemini_object(
            candidates => [gemini_object(finishReason => 'SAFETY', safetyRatings => \@SafetyRatings, index => \0)],
            usageMetadata => _usage(%u), _tail($model, $a->{id}));
    }
    return @chunks;
}

# ---- the mock ----

# For a block's --- tcp_reply: the packets of gemini_reply (the key $ApiKey; no delay, and a
# reset is a close).
sub gemini_tcp_reply { return gemini_reply($_[0])->{packets} }

# Serves one connection (of tcp_server_fork): reads the request, appends it to `log` (a file) if
# given, waits the reply's delay, writes its packets `gap` seconds apart (default 0.02, so that
# each arrives alone), then closes the connection, or resets it. `key` as gemini_reply's.
sub gemini_tcp_serve {
    my ($sock, %o) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $text = read_http_request($sock);
    _record($o{log}, $text) if $o{log};
    my $reply = gemini_reply($text, key => $o{key});
    sleep $reply->{delay} if $reply->{delay};
    for my $p (@{ $reply->{packets} }) {
        syswrite $sock, $p or last;
        sleep $o{gap} // 0.02;
    }
    setsockopt($sock, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0)) if $reply->{reset};
    close $sock;
    return;
}

# One JSON line a request, written before the answer so that a client that has its answer finds
# its request in the file. ASCII JSON of the bytes as Latin-1 characters: read back as they were.
sub _record {
    my ($file, $text) = @_;
    my $r = gemini_parse_request($text);
    delete $r->{header};
    open my $fh, '>>', $file or die "cannot append to $file: $!\n";
    flock $fh, LOCK_EX;
    print {$fh} JSON::PP->new->ascii->canonical->encode($r), "\n";
    close $fh;
    return;
}

# Starts the mock on 127.0.0.1:$port in a process of its own (gemini_tcp_serve's options: key,
# log, gap); returns its pid, for Test::AIGW::HTTP's tcp_server_stop.
sub gemini_mock_start {
    my ($port, %o) = @_;
    return tcp_server_fork($port, sub { gemini_tcp_serve($_[0], %o) });
}

# The requests the mock with `log => FILE` received, in order: hashes of method, target, path,
# query, headers ([name, value] as sent), header (lowercase name => value), body (the bytes as
# sent) and json (the body decoded, or undef). `min => N`: wait (2 s at most) for N of them.
sub gemini_mock_log {
    my ($file, %o) = @_;
    my @lines;
    for (1 .. 100) {
        if (open my $fh, '<', $file) {
            flock $fh, LOCK_SH;
            @lines = grep { /\S/ } <$fh>;
            close $fh;
        }
        last if @lines >= ($o{min} // 0);
        sleep 0.02;
    }
    return map {
        my $r = JSON::PP->new->decode($_);
        $r->{header} = {};
        for my $h (@{ $r->{headers} }) {
            my $name = lc $h->[0];
            $r->{header}{$name} = defined $r->{header}{$name} ? "$r->{header}{$name}, $h->[1]" : $h->[1];
        }
        $r->{json} = eval { $Json->decode($r->{body}) };
        $r;
    } @lines;
}

1;
