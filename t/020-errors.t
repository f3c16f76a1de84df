# Every failure a client can meet is an OpenAI error body with application/json and an
# X-Request-Id: bad JSON, wrong types, unknown paths, wrong methods, oversized bodies,
# upstream down, slow or answering with HTML, and NGINX's own error pages.

use lib 't/lib';
use Test::AIGW;

repeat_each(2);
no_shuffle();
no_long_string();

add_block_preprocessor(sub {
    my $block = shift;
    if (!defined $block->http_config) {
        $block->set_value('http_config', <<'_EOC_');
    server {
        listen 127.0.0.1:1986;
        location / {
            echo_read_request_body;
            default_type application/json;
            echo '{"ok":true}';
        }
    }
_EOC_
    }
    if (!defined $block->config) {
        $block->set_value('config', <<'_EOC_');
    location /v1/ {
        client_max_body_size 1k;
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1986/;
    }
_EOC_
    }
    # Every error is JSON with a request id.
    if (!defined $block->response_headers_like) {
        my $want = "Content-Type: application/json\nX-Request-Id: req_[0-9a-f]{32}\n";
        my $req = $block->request;
        $block->set_value('response_headers_like',
            ref $req eq 'ARRAY' ? [($want) x @$req] : $want);
    }
});

run_tests();

__DATA__

=== TEST 1: malformed JSON is 400 invalid_json
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[
--- error_code: 400
--- response_body chomp
{"error":{"message":"We could not parse the JSON body of your request. The API expects a JSON object (JSON document ended early in the middle of an object or array.).","type":"invalid_request_error","param":null,"code":"invalid_json"}}



=== TEST 2: invalid JSON deep inside a valid prefix is caught, not forwarded
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0.7.1}
--- error_code: 400
--- response_body_like: "code":"invalid_json"



=== TEST 3: an empty body is 400 invalid_json
--- request
POST /v1/chat/completions
--- error_code: 400
--- response_body_like: "code":"invalid_json"



=== TEST 4: a JSON array instead of an object is 400
--- request
POST /v1/chat/completions
[{"model":"gpt-4o"}]
--- error_code: 400
--- response_body chomp
{"error":{"message":"The request body must be a JSON object.","type":"invalid_request_error","param":null,"code":"invalid_json"}}



=== TEST 5: model missing is 400 with param model
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"hi"}]}
--- error_code: 400
--- response_body chomp
{"error":{"message":"You must provide a model parameter.","type":"invalid_request_error","param":"model","code":"missing_required_parameter"}}



=== TEST 6: model of the wrong type is 400 invalid_type
--- request eval
["POST /v1/chat/completions\n{\"model\":42}",
 "POST /v1/embeddings\n{\"model\":{\"name\":\"x\"},\"input\":\"a\"}",
 "POST /v1/completions\n{\"model\":null,\"prompt\":\"a\"}"]
--- error_code eval
[400, 400, 400]
--- response_body eval
['{"error":{"message":"Invalid type for \'model\': expected a string, but got a number instead.","type":"invalid_request_error","param":"model","code":"invalid_type"}}',
 '{"error":{"message":"Invalid type for \'model\': expected a string, but got an object instead.","type":"invalid_request_error","param":"model","code":"invalid_type"}}',
 '{"error":{"message":"You must provide a model parameter.","type":"invalid_request_error","param":"model","code":"missing_required_parameter"}}']



=== TEST 7: stream of the wrong type is 400 invalid_type
--- request
POST /v1/chat/completions
{"model":"gpt-4o","stream":"yes"}
--- error_code: 400
--- response_body chomp
{"error":{"message":"Invalid type for 'stream': expected a boolean, but got a string instead.","type":"invalid_request_error","param":"stream","code":"invalid_type"}}



=== TEST 8: an unknown path under the gateway is 404 unknown_url
--- request eval
["GET /v1/assistants", "POST /v1/chat/completions/extra\n{}", "GET /v1/files"]
--- error_code eval
[404, 404, 404]
--- response_body eval
['{"error":{"message":"Invalid URL (GET /v1/assistants)","type":"invalid_request_error","param":null,"code":"unknown_url"}}',
 '{"error":{"message":"Invalid URL (POST /v1/chat/completions/extra)","type":"invalid_request_error","param":null,"code":"unknown_url"}}',
 '{"error":{"message":"Invalid URL (GET /v1/files)","type":"invalid_request_error","param":null,"code":"unknown_url"}}']



=== TEST 9: a wrong method is 405 with Allow
--- request eval
["GET /v1/chat/completions", "DELETE /v1/embeddings", "POST /v1/models\n{}", "HEAD /v1/completions"]
--- error_code eval
[405, 405, 405, 405]
--- response_headers eval
["Allow: POST", "Allow: POST", "Allow: GET", "Allow: POST"]
--- response_body eval
['{"error":{"message":"Method GET is not allowed for /v1/chat/completions.","type":"invalid_request_error","param":null,"code":"method_not_allowed"}}',
 '{"error":{"message":"Method DELETE is not allowed for /v1/embeddings.","type":"invalid_request_error","param":null,"code":"method_not_allowed"}}',
 '{"error":{"message":"Method POST is not allowed for /v1/models.","type":"invalid_request_error","param":null,"code":"method_not_allowed"}}',
 '']



=== TEST 10: a body over client_max_body_size (Content-Length) is 413 JSON, not NGINX's HTML page
--- request eval
"POST /v1/chat/completions\n" . '{"model":"gpt-4o","messages":[{"role":"user","content":"' . ("x" x 2000) . '"}]}'
--- error_code: 413
--- response_body chomp
{"error":{"message":"The request body is larger than the gateway accepts.","type":"invalid_request_error","param":null,"code":"request_too_large"}}
--- error_log
client intended to send too large body



=== TEST 11: a chunked body over the limit is 413 JSON too
--- raw_request eval
my $chunk = '{"model":"gpt-4o","x":"' . ("y" x 1500) . '"}';
"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
. sprintf("%x\r\n%s\r\n0\r\n\r\n", length($chunk), $chunk)
--- error_code: 413
--- response_body_like: "code":"request_too_large"
--- error_log
client intended to send too large chunked body



=== TEST 12: a chunked body within the limit is read and proxied
--- raw_request eval
my $chunk = '{"model":"gpt-4o","messages":[]}';
"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
. sprintf("%x\r\n%s\r\n", 10, substr($chunk, 0, 10)) . sprintf("%x\r\n%s\r\n0\r\n\r\n", length($chunk) - 10, substr($chunk, 10))
--- response_body
{"ok":true}
--- response_headers_like
X-Request-Id: req_[0-9a-f]{32}



=== TEST 13: upstream connection refused is 502 upstream_unreachable
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1989/;
    }
--- request
POST /v1/chat/completions
{"model":"gpt-4o"}
--- error_code: 502
--- response_body chomp
{"error":{"message":"The gateway could not reach the upstream model provider.","type":"api_error","param":null,"code":"upstream_unreachable"}}
--- error_log
connect() failed (111: Connection refused)



=== TEST 14: an upstream that does not answer in time is 504 upstream_timeout
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1985/;
        proxy_read_timeout 300ms;
    }
--- tcp_listen: 1985
--- tcp_reply_delay: 1s
--- tcp_reply eval
"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
--- request
POST /v1/chat/completions
{"model":"gpt-4o"}
--- error_code: 504
--- response_body chomp
{"error":{"message":"The upstream model provider did not respond in time.","type":"api_error","param":null,"code":"upstream_timeout"}}
--- error_log
upstream timed out



=== TEST 15: an upstream that resets before answering is 502
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
--- tcp_reply:
--- request
POST /v1/chat/completions
{"model":"gpt-4o"}
--- error_code: 502
--- response_body_like: "code":"upstream_unreachable"
--- error_log
upstream prematurely closed connection



=== TEST 16: an upstream 502 HTML page becomes our 502 JSON
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
"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 32\r\nConnection: close\r\n\r\n<html><h1>502 oops</h1></html>\r\n"
--- request
POST /v1/chat/completions
{"model":"gpt-4o"}
--- error_code: 502
--- response_body chomp
{"error":{"message":"The upstream model provider returned HTTP 502 without an API error body.","type":"api_error","param":null,"code":"upstream_error"}}
--- response_body_unlike: html
--- error_log
upstream answered "/_aigw/openai/v1/chat/completions" with HTTP 502 and content type "text/html"



=== TEST 17: an upstream 404 without a JSON body keeps its status, with our JSON
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
"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found"
--- request
GET /v1/models/gpt-9
--- error_code: 404
--- response_body chomp
{"error":{"message":"The upstream model provider returned HTTP 404 without an API error body.","type":"invalid_request_error","param":null,"code":"upstream_error"}}
--- error_log
with HTTP 404 and content type "text/plain"



=== TEST 18: NGINX's own 403 (deny) in a gateway location becomes OpenAI JSON
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
        deny all;
    }
    location /_aigw/openai/ {
        internal;
        return 200 '{"ok":true}';
    }
--- request
POST /v1/embeddings
{}
--- error_code: 403
--- response_body chomp
{"error":{"message":"Access to this resource is denied.","type":"permission_error","param":null,"code":"forbidden"}}
--- error_log
access forbidden by rule



=== TEST 19: NGINX's own 429 (from rewrite, as limit_req_status 429 gives) becomes OpenAI JSON
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
        if ($http_x_flood) {
            return 429;
        }
    }
    location /_aigw/openai/ {
        internal;
        return 200 '{"ok":true}';
    }
--- request
GET /v1/models
--- more_headers
X-Flood: 1
--- error_code: 429
--- response_body chomp
{"error":{"message":"Too many requests. Slow down and retry later.","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}



=== TEST 20: aigw_pass naming a missing location is 502 with a clear error_log line
--- config
    location /gw/ {
        aigw on;
        aigw_pass /gw/missing;
    }
--- request
POST /gw/v1/chat/completions
{"model":"gpt-4o"}
--- error_code: 502
--- response_body_like: "code":"upstream_unreachable"
--- error_log
reached a gateway location; check that aigw_pass names an existing location



=== TEST 21: deeply nested JSON is refused as invalid, not recursed into without bound
--- request eval
"POST /v1/chat/completions\n" . '{"model":"gpt-4o","x":' . ("[" x 300) . ("]" x 300) . '}'
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:1986/;
    }
--- error_code: 400
--- response_body_like: "code":"invalid_json"



=== TEST 22: a model given twice is 400 duplicate_parameter, not forwarded
--- request
POST /v1/chat/completions
{"model":"gpt-4o","model":"gpt-4o-mini","messages":[]}
--- error_code: 400
--- response_body chomp
{"error":{"message":"Duplicate parameter 'model': the request body gives it more than once. Send each parameter once.","type":"invalid_request_error","param":"model","code":"duplicate_parameter"}}



=== TEST 23: include_usage given twice inside stream_options is 400 duplicate_parameter
--- request
POST /v1/chat/completions
{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":false,"include_usage":true},"messages":[]}
--- error_code: 400
--- response_body_like: "param":"stream_options.include_usage","code":"duplicate_parameter"



=== TEST 24: a model of 257 bytes is 400 string_above_max_length, the value not echoed
--- request eval
"POST /v1/chat/completions\n" . '{"model":"' . ("m" x 257) . '","messages":[]}'
--- error_code: 400
--- response_body chomp
{"error":{"message":"Invalid 'model': string too long. Expected a string with maximum length 256, but got a string with length 257 instead.","type":"invalid_request_error","param":"model","code":"string_above_max_length"}}



=== TEST 25: a model of exactly 256 bytes is forwarded
--- request eval
"POST /v1/chat/completions\n" . '{"model":"' . ("m" x 256) . '","messages":[]}'
--- error_code: 200
--- response_body
{"ok":true}
