package Test::AIGW::Mock::OpenAI;

# OpenAI's wire format as the mock upstreams of the tests send it: chat completion chunks and
# what a client gets of them, an HTTP reply cut into packets (for a block's TCP mock), the echo
# directives that make an NGINX location send a stream event by event, and a set of fixtures
# (JSON answers with and without usage, streams with and without the usage chunk, errors)
# with the NGINX server that serves them.
#
#     use Test::AIGW::Mock::OpenAI qw(chat_chunk chunked_reply);
#     use Test::AIGW::Mock::OpenAI qw(:all);      # the fixtures too: $ChatJson, $ClientStream, ...
#
# The fixtures are exported as variables, so a block's eval sections reach them as $::Name.

use strict;
use warnings;

use Exporter 'import';

our @EXPORT_OK = qw(
    chat_chunk unasked chunked_reply q_ngx echo_events echo_sse openai_mock_server openai_tcp_reply
    $ChatJson $ChatJsonNoUsage $ChatJsonNoTotal $ChatJsonZero $EmbeddingsJson $CompletionJson
    $Err500 $Err400 $UsageChunk @Content @Events $StreamBody $StreamWithUsage $StreamNoUsage
    $ClientStream $EmptyStream $CompletionStream $OddStream $OddClient
);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# ---- the format ----

# A chat.completion.chunk: `id`, `created`, `model`; a choice with `delta` (JSON text) and
# `finish` (a JSON value, default null) unless there is no delta; `usage` (JSON text, default
# null). The members in OpenAI's order.
sub chat_chunk {
    my (%o) = @_;
    return qq({"id":"$o{id}","object":"chat.completion.chunk","created":$o{created},"model":"$o{model}",)
         . '"system_fingerprint":"fp_aigwmock01","choices":['
         . (defined $o{delta} ? qq({"index":0,"delta":$o{delta},"logprobs":null,"finish_reason":)
                                . ($o{finish} // 'null') . '}' : '')
         . '],"usage":' . ($o{usage} // 'null') . '}';
}

# The chunks as OpenAI sends them without include_usage: without the "usage":null it adds to
# every chunk when include_usage is set.
sub unasked { (my $s = $_[0]) =~ s/,"usage":null\}/}/g; return $s }

# An upstream's reply with $body as chunked HTTP, cut into packets (for --- tcp_reply) at
# the body offsets in `cuts`. `status`: its status line's code and reason (default 200 OK);
# `type`: its Content-Type (default an event stream in UTF-8);
# `headers`: more header lines after it ([name, value, ...] in that order, or a hash, in name
# order); `cut`: without the last chunk (the upstream closes mid-body).
sub chunked_reply {
    my ($body, %o) = @_;
    my @h = ref $o{headers} eq 'HASH' ? map { ($_, $o{headers}{$_}) } sort keys %{ $o{headers} }
          : @{ $o{headers} || [] };
    my $head = "HTTP/1.1 " . ($o{status} // '200 OK') . "\r\nContent-Type: " . ($o{type} // 'text/event-stream; charset=utf-8') . "\r\n";
    while (my ($name, $value) = splice @h, 0, 2) { $head .= "$name: $value\r\n" }
    my @packets = ($head . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    my $pos = 0;
    for my $at (@{ $o{cuts} || [] }, length $body) {
        push @packets, sprintf("%x\r\n%s\r\n", $at - $pos, substr($body, $pos, $at - $pos));
        $pos = $at;
    }
    $packets[-1] .= "0\r\n\r\n" unless $o{cut};
    return \@packets;
}

# An NGINX single-quoted string.
sub q_ngx { my ($s) = @_; $s =~ s/\\/\\\\/g; $s =~ s/'/\\'/g; return "'$s'" }

# echo directives writing $text event by event, one flush each.
sub echo_events {
    my ($text) = @_;
    my $out = '';
    for my $ev ($text =~ /(.*?\n\n)/gs) {
        (my $line = $ev) =~ s/\n\n\z//;
        $out .= "            echo " . q_ngx($line) . ";\n            echo;\n            echo_flush;\n";
    }
    return $out;
}

# A location body that reads the request and answers $text as an event stream.
sub echo_sse {
    my ($text) = @_;
    return "            echo_read_request_body;\n            default_type text/event-stream;\n"
         . echo_events($text);
}

# ---- fixtures ----

our $ChatJson = '{"id":"chatcmpl-AIGWusage0001","object":"chat.completion","created":1733000001,"model":"o1-2024-12-17","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":192,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_aigwmock01"}';

our $ChatJsonNoUsage = '{"id":"chatcmpl-AIGWusage0002","object":"chat.completion","created":1733000001,"model":"local-llama","choices":[{"index":0,"message":{"role":"assistant","content":"Hello, world! This is a test."},"finish_reason":"stop"}]}';

# An OpenAI-compatible server's shapes: no total_tokens (the record sums it), null details.
our $ChatJsonNoTotal = '{"id":"chatcmpl-AIGWusage0004","object":"chat.completion","created":1733000001,"model":"local-llama","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":15,"completion_tokens":4,"prompt_tokens_details":null,"completion_tokens_details":null}}';

# An answer the upstream counts as no tokens at all.
our $ChatJsonZero = '{"id":"chatcmpl-AIGWusage0005","object":"chat.completion","created":1733000001,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"stop"}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}';

our $EmbeddingsJson = '{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0023064255,-0.009327292,-0.0028842222]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}';

our $CompletionJson = '{"id":"cmpl-AIGWusage0003","object":"text_completion","created":1733000003,"model":"gpt-3.5-turbo-instruct","choices":[{"text":"\n\nThis is indeed a test","index":0,"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}';

our $Err500 = '{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}';
our $Err400 = q({"error":{"message":"Invalid value for 'temperature': must be between 0 and 2.","type":"invalid_request_error","param":"temperature","code":"invalid_value"}});

# A chunk of the reference stream.
sub _chunk {
    my ($delta, %o) = @_;
    return chat_chunk(id => 'chatcmpl-AIGWstream0001', created => 1733000002,
                      model => 'gpt-4o-mini-2024-07-18', delta => $delta,
                      finish => defined $o{finish} ? qq("$o{finish}") : 'null');
}
our $UsageChunk = chat_chunk(id => 'chatcmpl-AIGWstream0001', created => 1733000002,
    model => 'gpt-4o-mini-2024-07-18',
    usage => '{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19,'
           . '"prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},'
           . '"completion_tokens_details":{"reasoning_tokens":3,"audio_tokens":0,'
           . '"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}');
# The streamed text: "Hello, world! Bye." (18 ASCII bytes: 5 estimated tokens).
our @Content = ('Hello', ', world', '! Bye.');
our @Events = (_chunk('{"role":"assistant","content":"","refusal":null}'),
               (map { _chunk(qq({"content":"$_"})) } @Content),
               _chunk('{}', finish => 'stop'));
our $StreamBody = join '', map { "data: $_\n\n" } @Events;
our $StreamWithUsage = $StreamBody . "data: $UsageChunk\n\ndata: [DONE]\n\n";
our $StreamNoUsage = $StreamBody . "data: [DONE]\n\n";
# What a client that did not ask for usage gets: the chunks as OpenAI sends them without
# include_usage, that is without the "usage":null it adds to every chunk when it is set.
our $ClientStream = unasked($StreamNoUsage);

# A stream that produces no text: the role chunk and the finish chunk only.
our $EmptyStream = join '', map { "data: $_\n\n" } $Events[0], $Events[-1],
    '{"id":"chatcmpl-AIGWstream0001","object":"chat.completion.chunk","created":1733000002,'
    . '"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_aigwmock01","choices":[],'
    . '"usage":{"prompt_tokens":12,"completion_tokens":0,"total_tokens":12}}', '[DONE]';

# Legacy completions, streamed.
sub _completion_chunk {
    my ($text, $finish) = @_;
    return '{"id":"cmpl-AIGWstream0002","object":"text_completion","created":1733000004,'
         . qq("choices":[{"text":"$text","index":0,"logprobs":null,"finish_reason":$finish}],)
         . '"model":"gpt-3.5-turbo-instruct","system_fingerprint":null,"usage":null}';
}
our $CompletionStream = join '', map { "data: $_\n\n" } _completion_chunk('This', 'null'), _completion_chunk(' is a test', 'null'),
    _completion_chunk('', '"length"'),
    '{"id":"cmpl-AIGWstream0002","object":"text_completion","created":1733000004,"choices":[],'
    . '"model":"gpt-3.5-turbo-instruct","system_fingerprint":null,'
    . '"usage":{"prompt_tokens":4,"completion_tokens":5,"total_tokens":9}}',
    '[DONE]';

# "usage":null where OpenAI does not put it, as [what the upstream sends, what a client that did
# not ask for usage gets]: the first member; in the middle; after white space; and inside a
# choice as well as at the top (only the top-level one goes).
our $OddHead = '"id":"chatcmpl-AIGWodd0001","object":"chat.completion.chunk","created":1733000005,'
    . '"model":"gpt-4o-mini-2024-07-18"';
our @OddEvents = (
    ['{"usage":null,' . $OddHead . ',"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
     '{' . $OddHead . ',"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}'],
    ['{' . $OddHead . ',"usage":null,"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}',
     '{' . $OddHead . ',"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}'],
    ['{' . $OddHead . ', "choices":[{"index":0,"delta":{"content":" there"},"finish_reason":null}], "usage": null}',
     '{' . $OddHead . ', "choices":[{"index":0,"delta":{"content":" there"},"finish_reason":null}]}'],
    ['{' . $OddHead . ',"choices":[{"index":0,"delta":{},"finish_reason":"stop","usage":null}],"usage":null}',
     '{' . $OddHead . ',"choices":[{"index":0,"delta":{},"finish_reason":"stop","usage":null}]}'],
);
our $OddStream = join('', map { "data: $_->[0]\n\n" } @OddEvents) . "data: $UsageChunk\n\ndata: [DONE]\n\n";
our $OddClient = join('', map { "data: $_->[1]\n\n" } @OddEvents) . "data: [DONE]\n\n";

# ---- the mocks ----

# An NGINX server on 127.0.0.1:$port answering with the fixtures above, one path prefix each:
# /json/, /nousage/, /nototal/, /zero/ (chat, embeddings, completions, models), /e500/,
# /e400/, /stream/, /nousage-stream/, /empty-stream/, /oddnull-stream/, /slow-stream/ (its
# usage chunk 0.5 s after the first event).
sub openai_mock_server {
    my ($port) = @_;
    return "    server {\n        listen 127.0.0.1:$port;\n        default_type application/json;\n"
  . "        location = /json/v1/chat/completions { return 200 " . q_ngx($ChatJson) . "; }\n"
  . "        location = /nousage/v1/chat/completions { return 200 " . q_ngx($ChatJsonNoUsage) . "; }\n"
  . "        location = /nototal/v1/chat/completions { return 200 " . q_ngx($ChatJsonNoTotal) . "; }\n"
  . "        location = /zero/v1/chat/completions { return 200 " . q_ngx($ChatJsonZero) . "; }\n"
  . "        location = /json/v1/embeddings { return 200 " . q_ngx($EmbeddingsJson) . "; }\n"
  . "        location = /json/v1/completions { return 200 " . q_ngx($CompletionJson) . "; }\n"
  . "        location = /json/v1/models { return 200 '{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o\",\"object\":\"model\",\"created\":1715367049,\"owned_by\":\"system\"}]}'; }\n"
  . "        location /e500/ { return 500 " . q_ngx($Err500) . "; }\n"
  . "        location /e400/ { return 400 " . q_ngx($Err400) . "; }\n"
  . "        location = /stream/v1/chat/completions {\n" . echo_sse($StreamWithUsage) . "        }\n"
  . "        location = /nousage-stream/v1/chat/completions {\n" . echo_sse($ClientStream) . "        }\n"
  . "        location = /stream/v1/completions {\n" . echo_sse($CompletionStream) . "        }\n"
  . "        location = /empty-stream/v1/chat/completions {\n" . echo_sse($EmptyStream) . "        }\n"
  . "        location = /oddnull-stream/v1/chat/completions {\n" . echo_sse($OddStream) . "        }\n"
  . "        location = /slow-stream/v1/chat/completions {\n"
  . echo_sse("data: $Events[0]\n\n") . "            echo_sleep 0.3;\n"
  . echo_events(join '', map { "data: $_\n\n" } @Events[1 .. $#Events]) . "            echo_sleep 0.2;\n"
  . echo_events("data: $UsageChunk\n\ndata: [DONE]\n\n") . "        }\n"
  . "    }\n";
}

# The TCP mock's reply (tcp_reply): embeddings for /v1/embeddings, the stream for a body with
# "stream":true, else the chat completion; the request body it got, as hex, in X-Mock-Body-Hex.
sub openai_tcp_reply {
    my ($query) = @_;
    my ($line) = $query =~ /\A(\S+ \S+)/;
    my ($got) = $query =~ /\r\n\r\n(.*)\z/s;
    $got //= '';
    my %h = ('X-Mock-Body-Hex' => unpack('H*', $got));
    return join '', @{ chunked_reply($StreamWithUsage, headers => \%h) }
        if $line !~ m{/v1/embeddings$} && $got =~ /"stream"\s*:\s*true/;
    my $json = $line =~ m{/v1/embeddings$} ? $EmbeddingsJson : $ChatJson;
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Mock-Body-Hex: $h{'X-Mock-Body-Hex'}\r\n"
         . "Content-Length: " . length($json) . "\r\nConnection: close\r\n\r\n$json";
}

1;
