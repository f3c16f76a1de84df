# Streaming (stream:true): SSE passes through as it arrives, byte-exact across any packet
# split, never buffered whole and never gzipped; a cut upstream ends the stream with an SSE
# error event; a client that goes away mid-stream leaves nothing behind.

use lib 't/lib';
use Test::AIGW;
use Test::AIGW::Mock::OpenAI qw(chunked_reply);

repeat_each(2);
no_shuffle();
no_long_string();

our $Gateway = <<'_EOC_';
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1985/;
        proxy_read_timeout 3s;
    }
_EOC_

# A reference stream as OpenAI sends it, with multi-byte UTF-8 in the content.
our $Stream = join '', map { "data: $_\n\n" }
    '{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
    '{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"Gr\xc3\xbc\xc3\x9fe, \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x91\x8b"},"finish_reason":null}]}',
    '{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
    '[DONE]';
$Stream =~ s/\\x([0-9a-f]{2})/chr(hex($1))/ge;

# The upstream reply as chunked HTTP, with OpenAI's Cache-Control, cut into packets at the
# given byte offsets of the body.
sub split_reply {
    my ($body, @cuts) = @_;
    return chunked_reply($body, headers => ['Cache-Control' => 'no-cache'], cuts => \@cuts);
}

run_tests();

__DATA__

=== TEST 1: an SSE stream split mid-line and mid-UTF-8 arrives byte-exact, unbuffered and uncompressed
--- config eval: $::Gateway
--- tcp_listen: 1985
--- tcp_reply eval
my $i = index($::Stream, "\xc3\xbc") + 1;          # inside a two-byte sequence
my $j = index($::Stream, "\xf0\x9f\x91\x8b") + 2;  # inside a four-byte sequence
my $k = index($::Stream, "data: [DONE]") + 3;      # inside the "data:" field name
::split_reply($::Stream, 7, $i, $j, $k)
--- tcp_reply_delay: 20ms
--- request
POST /v1/chat/completions
{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}
--- response_body eval: $::Stream
--- response_headers
Content-Type: text/event-stream; charset=utf-8
Cache-Control: no-cache
X-Accel-Buffering: no
Transfer-Encoding: chunked
!Content-Length
!Content-Encoding
--- response_headers_like
X-Request-Id: req_[0-9a-f]{32}



=== TEST 2: a stream split at every third byte still arrives byte-exact
--- config eval: $::Gateway
--- tcp_listen: 1985
--- tcp_reply eval
my @cuts;
for (my $c = 3; $c < length $::Stream; $c += 3) { push @cuts, $c }
::split_reply($::Stream, @cuts)
--- request
POST /v1/chat/completions
{"model":"gpt-4o","stream":true}
--- response_body eval: $::Stream



=== TEST 3: gzip on for event streams does not compress them
--- http_config
    gzip on;
    gzip_types text/event-stream application/json;
    gzip_min_length 1;
--- config eval: $::Gateway
--- tcp_listen: 1985
--- tcp_reply eval
::split_reply($::Stream, 100)
--- more_headers
Accept-Encoding: gzip
--- request
POST /v1/chat/completions
{"model":"gpt-4o","stream":true}
--- response_body eval: $::Stream
--- response_headers
!Content-Encoding
X-Accel-Buffering: no



=== TEST 4: events reach the client as they are produced, before the upstream finishes
--- http_config
    server {
        listen 127.0.0.1:1986;
        location / {
            echo_read_request_body;
            default_type text/event-stream;
            echo 'data: {"choices":[{"delta":{"content":"first"}}]}';
            echo '';
            echo_flush;
            echo_sleep 3;
            echo 'data: [DONE]';
            echo '';
        }
    }
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1986/;
    }
--- request
POST /v1/chat/completions HTTP/1.0
{"model":"gpt-4o","stream":true}
--- timeout: 1
--- abort
--- response_body eval
qq(data: {"choices":[{"delta":{"content":"first"}}]}\n\n)



=== TEST 5: an upstream that cuts the stream mid-way: the client gets what came, an SSE error event and a clean end
--- config eval: $::Gateway
--- tcp_listen: 1985
--- tcp_reply eval
my $first = substr($::Stream, 0, index($::Stream, "data: ", 10));
my $p = ::split_reply($first);
$p->[-1] =~ s/0\r\n\r\n\z//;      # no last chunk: the upstream just closes
$p
--- request
POST /v1/chat/completions
{"model":"gpt-4o","stream":true}
--- response_body eval
substr($::Stream, 0, index($::Stream, "data: ", 10))
. qq(event: error\ndata: {"error":{"message":"The upstream connection was interrupted before the response was complete.","type":"api_error","param":null,"code":"upstream_interrupted"}}\n\n)
--- error_log
upstream prematurely closed connection
upstream response for "/v1/chat/completions" was interrupted



=== TEST 6: an upstream that stalls mid-stream past proxy_read_timeout ends the same way
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1986/;
        proxy_read_timeout 500ms;
    }
--- http_config
    server {
        listen 127.0.0.1:1986;
        location / {
            echo_read_request_body;
            default_type text/event-stream;
            echo 'data: {"choices":[{"delta":{"content":"a"}}]}';
            echo '';
            echo_flush;
            echo_sleep 2;
            echo 'data: [DONE]';
            echo '';
        }
    }
--- request
POST /v1/chat/completions
{"model":"gpt-4o","stream":true}
--- response_body eval
qq(data: {"choices":[{"delta":{"content":"a"}}]}\n\n)
. qq(event: error\ndata: {"error":{"message":"The upstream connection was interrupted before the response was complete.","type":"api_error","param":null,"code":"upstream_interrupted"}}\n\n)
--- error_log
upstream timed out
--- timeout: 5



=== TEST 7: a client that goes away mid-stream: the subrequest and its upstream connection end, no alert
--- http_config
    server {
        listen 127.0.0.1:1986;
        location / {
            echo_read_request_body;
            default_type text/event-stream;
            echo 'data: {"choices":[{"delta":{"content":"a"}}]}';
            echo '';
            echo_flush;
            echo_sleep 0.3;
            echo 'data: {"choices":[{"delta":{"content":"b"}}]}';
            echo '';
            echo_flush;
            echo_sleep 0.3;
            echo 'data: [DONE]';
            echo '';
        }
        location = /v1/models {
            default_type application/json;
            echo '{"object":"list","data":[]}';
        }
    }
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1986/;
    }
--- request
POST /v1/chat/completions HTTP/1.0
{"model":"gpt-4o","stream":true}
--- timeout: 0.15
--- abort
--- ignore_response
--- wait: 1
--- no_error_log
[alert]
[crit]
[emerg]
stream cannot be
--- error_log
client prematurely closed connection, so upstream connection is closed too



=== TEST 8: a JSON error from the upstream for a stream request passes with its status
--- config eval: $::Gateway
--- tcp_listen: 1985
--- tcp_reply eval
my $b = q({"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,"code":"rate_limit_exceeded"}});
"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nretry-after: 2\r\nConnection: close\r\nContent-Length: " . length($b) . "\r\n\r\n" . $b
--- request
POST /v1/chat/completions
{"model":"gpt-4o","stream":true}
--- error_code: 429
--- response_headers
retry-after: 2
Content-Type: application/json
--- response_body_like: ^\{"error":\{"message":"Rate limit reached for gpt-4o"



=== TEST 9: a client that goes away while the upstream has not answered yet: no alert, upstream closed
--- http_config
    server {
        listen 127.0.0.1:1986;
        location / {
            echo_read_request_body;
            echo_sleep 3;
            echo '{}';
        }
    }
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1986/;
    }
--- request
POST /v1/chat/completions HTTP/1.0
{"model":"gpt-4o"}
--- timeout: 0.2
--- abort
--- ignore_response
--- wait: 1.5
--- error_log
client prematurely closed connection, so upstream connection is closed too
--- no_error_log
[alert]
[crit]



=== TEST 10: a cut inside an event: the half event is never sent, the error event follows the last whole one
--- config eval: $::Gateway
--- tcp_listen: 1985
--- tcp_reply eval
my $cut = index($::Stream, "data: ", 10) + 40;     # 40 bytes into the second event
my $p = ::split_reply(substr($::Stream, 0, $cut), 20);
$p->[-1] =~ s/0\r\n\r\n\z//;
$p
--- request
POST /v1/chat/completions
{"model":"gpt-4o","stream":true}
--- response_body eval
substr($::Stream, 0, index($::Stream, "data: ", 10))
. qq(event: error\ndata: {"error":{"message":"The upstream connection was interrupted before the response was complete.","type":"api_error","param":null,"code":"upstream_interrupted"}}\n\n)
--- error_log
upstream prematurely closed connection



=== TEST 11: an unterminated last event at a clean end is passed as the upstream sent it
--- config eval: $::Gateway
--- tcp_listen: 1985
--- tcp_reply eval
::split_reply("data: {\"a\":1}\n\ndata: [DONE]", 5, 20)
--- request
POST /v1/chat/completions
{"model":"gpt-4o","stream":true}
--- response_body eval
"data: {\"a\":1}\n\ndata: [DONE]"
