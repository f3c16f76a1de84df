# Pass-through of OpenAI traffic to one channel: bodies byte-exact both ways, the headers a
# client needs passed on, hop-by-hop headers and client credentials kept back, request ids.

use lib 't/lib';
use Test::AIGW;

repeat_each(2);
no_shuffle();
no_long_string();

# Every block gets a mock upstream on 1986 that echoes what it received, and the gateway
# location with its channel, unless the block brings its own.
add_block_preprocessor(sub {
    my $block = shift;
    if (!defined $block->http_config) {
        $block->set_value('http_config', <<'_EOC_');
    server {
        listen 127.0.0.1:1986;
        client_max_body_size 10m;
        client_body_buffer_size 4m;
        location / {
            echo_read_request_body;
            default_type application/json;
            echo "$request_method $request_uri";
            echo $echo_client_request_headers;
            echo_request_body;
        }
    }
_EOC_
    }
    if (!defined $block->config) {
        $block->set_value('config', <<'_EOC_');
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1986/;
        proxy_set_header Authorization "Bearer sk-upstream-secret";
    }
_EOC_
    }
});

# A chat body of about $n bytes, its content the character $c repeated.
sub big_body {
    my ($n, $c) = @_;
    return '{"model":"gpt-4o","messages":[{"role":"user","content":"' . ($c x $n) . '"}]}';
}

run_tests();

__DATA__

=== TEST 1: a chat completion is proxied; the upstream gets the body byte-exact and the path mapped back
--- request eval
"POST /v1/chat/completions\n" . qq({"model":"gpt-4o","messages":[{"role":"user","content":"h\\u00e9llo \xe2\x9c\x93"}],"temperature":0.2})
--- more_headers
Content-Type: application/json
Authorization: Bearer sk-aigw-client-key-never-forwarded
--- response_body_like eval
qr{\APOST /v1/chat/completions\r?\n.*\{"model":"gpt-4o","messages":\[\{"role":"user","content":"h\\u00e9llo \xe2\x9c\x93"\}\],"temperature":0.2\}\Z}s
--- response_headers_like
X-Request-Id: ^req_[0-9a-f]{32}$
Content-Type: ^application/json$



=== TEST 2: the client's credentials and Accept-Encoding never reach the upstream; the channel's credential and our X-Request-Id do
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-client-key-never-forwarded
x-api-key: sk-aigw-anthropic-style
x-goog-api-key: sk-aigw-gemini-style
Accept-Encoding: gzip, br
X-Custom-Tenant: acme
--- response_body_like eval
qr{Authorization: Bearer sk-upstream-secret\r\n}
--- response_body_unlike eval
qr{sk-aigw|Accept-Encoding|x-api-key|x-goog-api-key}i



=== TEST 3: other client headers are forwarded, with X-Request-Id
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
X-Custom-Tenant: acme
OpenAI-Organization: org-123
--- response_body_like eval
qr{X-Custom-Tenant: acme\r\n.*OpenAI-Organization: org-123\r\n.*X-Request-Id: req_[0-9a-f]{32}\r\n}s



=== TEST 4: a client X-Request-Id is kept, sent upstream and echoed back
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
X-Request-Id: client-trace.42:abc_DEF-9
--- response_headers
X-Request-Id: client-trace.42:abc_DEF-9
--- response_body_like eval
qr{X-Request-Id: client-trace\.42:abc_DEF-9\r\n}



=== TEST 5: an unsafe client X-Request-Id is replaced by ours
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
X-Request-Id: bad id "with" spaces
--- response_headers_like
X-Request-Id: ^req_[0-9a-f]{32}$
--- response_body_unlike
bad id



=== TEST 6: the upstream's status, openai-* and rate-limit headers pass; hop-by-hop headers do not
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1985/;
    }
--- tcp_listen: 1985
--- tcp_reply eval
"HTTP/1.1 200 OK\r\n"
. "Content-Type: application/json\r\n"
. "Content-Length: 47\r\n"
. "Connection: close\r\n"
. "Keep-Alive: timeout=5\r\n"
. "Upgrade: h2c\r\n"
. "openai-organization: org-xyz\r\n"
. "openai-processing-ms: 321\r\n"
. "openai-version: 2020-10-01\r\n"
. "x-request-id: req_upstream0001\r\n"
. "x-ratelimit-limit-requests: 10000\r\n"
. "x-ratelimit-remaining-requests: 9999\r\n"
. "x-ratelimit-reset-requests: 6ms\r\n"
. "x-ratelimit-limit-tokens: 30000000\r\n"
. "\r\n"
. q({"id":"chatcmpl-1","object":"chat.completion"}) . "\n"
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- response_body
{"id":"chatcmpl-1","object":"chat.completion"}
--- response_headers
openai-organization: org-xyz
openai-processing-ms: 321
openai-version: 2020-10-01
x-ratelimit-limit-requests: 10000
x-ratelimit-remaining-requests: 9999
x-ratelimit-reset-requests: 6ms
x-ratelimit-limit-tokens: 30000000
X-Upstream-Request-Id: req_upstream0001
Content-Length: 47
!Keep-Alive
!Upgrade
--- response_headers_like
X-Request-Id: ^req_[0-9a-f]{32}$



=== TEST 7: a body larger than client_body_buffer_size (spooled to a temp file) reaches the upstream whole
--- config
    client_body_buffer_size 8k;
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1986/;
    }
--- request eval
"POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"' . ("abcdefghij\\u00e9" x 100000) . '"}],"model":"gpt-4o"}'
--- response_body_like eval
my $body = '{"messages":[{"role":"user","content":"' . ("abcdefghij\\u00e9" x 100000) . '"}],"model":"gpt-4o"}';
qr{\r\n\r\n\n\Q$body\E\Z}
--- timeout: 10



=== TEST 8: GET /v1/models and /v1/models/{id} are proxied without a body
--- request eval
["GET /v1/models", "GET /v1/models/meta-llama/Llama-3-8B?x=1"]
--- response_body_like eval
[qr{\AGET /v1/models\r?\n}, qr{\AGET /v1/models/meta-llama/Llama-3-8B\?x=1\r?\n}]



=== TEST 9: completions and embeddings are proxied
--- request eval
["POST /v1/completions\n{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"hi\"}",
 "POST /v1/embeddings\n{\"model\":\"text-embedding-3-small\",\"input\":[\"a\",\"b\"]}"]
--- response_body_like eval
[qr{\APOST /v1/completions\r?\n.*"prompt":"hi"\}\Z}s, qr{\APOST /v1/embeddings\r?\n.*"input":\["a","b"\]\}\Z}s]



=== TEST 10: a gateway mounted under a prefix maps /openai/v1/... to the upstream's /v1/...
--- config
    location /openai/ {
        aigw on;
        aigw_pass /_aigw/openai/;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1986/;
    }
--- request
POST /openai/v1/chat/completions?trace=1
{"model":"gpt-4o"}
--- response_body_like eval
qr{\APOST /v1/chat/completions\?trace=1\r?\n}



=== TEST 11: upstream JSON errors (4xx and 5xx) are passed through with status and body
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1985/;
    }
--- tcp_listen: 1985
--- tcp_reply eval
my $b = q({"error":{"message":"Incorrect API key provided: sk-upstr***cret.","type":"invalid_request_error","param":null,"code":"invalid_api_key"},"extra":1234567});
"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " . length($b) . "\r\nConnection: close\r\n\r\n" . $b
--- request
POST /v1/chat/completions
{"model":"gpt-4o"}
--- error_code: 401
--- response_body chomp
{"error":{"message":"Incorrect API key provided: sk-upstr***cret.","type":"invalid_request_error","param":null,"code":"invalid_api_key"},"extra":1234567}
--- response_headers
Content-Type: application/json; charset=utf-8



=== TEST 12: an upstream 503 with a JSON body is passed through, not replaced
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1985/;
    }
--- tcp_listen: 1985
--- tcp_reply eval
"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
. q({"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}})
--- request
POST /v1/chat/completions
{"model":"gpt-4o"}
--- error_code: 503
--- response_body chomp
{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}



=== TEST 13: $aigw_* variables are filled for log_format
--- http_config
    log_format aigw '$aigw_request_id model=$aigw_model stream=$aigw_stream upstream=$aigw_upstream_status';
    server {
        listen 127.0.0.1:1986;
        location / {
            echo_read_request_body;
            default_type application/json;
            echo '{"ok":true}';
        }
    }
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
        access_log logs/aigw.log aigw;
        error_log logs/error.log info;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1986/;
    }
    location = /log {
        alias logs/aigw.log;
    }
--- request eval
["POST /v1/chat/completions\n{\"model\":\"gpt-4o-mini\",\"stream\":false}", "GET /log"]
--- more_headers
X-Request-Id: trace-7
--- response_body_like eval
[qr/\{"ok":true\}/, qr/^trace-7 model=gpt-4o-mini stream=0 upstream=200$/m]



=== TEST 14: HEAD goes wherever GET does, without a body
--- request
HEAD /v1/models
--- error_code: 200
--- response_body
--- response_headers_like
X-Request-Id: req_[0-9a-f]{32}



=== TEST 15: bodies of 16 KB and more one after another reach the upstream as sent (their padded copies take buffers the worker keeps and gives back)
--- request eval
[map { "POST /v1/chat/completions\n" . ::big_body(@$_) }
     ([20000, 'a'], [70000, 'b'], [30000, 'c'], [300000, 'd'], [70000, 'e'], [17000, 'f'], [20000, 'g'])]
--- response_body_like eval
[map { my $b = ::big_body(@$_); qr{\r\n\r\n\n\Q$b\E\Z} }
     ([20000, 'a'], [70000, 'b'], [30000, 'c'], [300000, 'd'], [70000, 'e'], [17000, 'f'], [20000, 'g'])]
--- timeout: 10
