# Routing (issue #4): aigw_channel and aigw_model. The model is spliced into the upstream body
# byte-exact; responses name the public model; fallback across channels on 429, 5xx, refused
# connections and timeouts, never on 400/401/404 nor once the response started; the errors
# when every channel failed; /v1/models from the table; inheritance; the routing variables.
# What nginx -t says about the routing directives is t/042-config-routing.t.
#
# Every block gets the mock upstreams below (on 21985 and 21986, with 21999 left closed) and
# the internal channel locations pointing at them, so a block only declares its channels
# (http_config), its models and its gateway location:
#   /_aigw/echo1/, /_aigw/echo2/, /_aigw/echo3/   the echo mock; the first line of its answer
#                                                 names the location, then the method and URI,
#                                                 then the request body as it arrived
#   /_aigw/m/NAME/                                the behaviour NAME of the second mock (s400,
#                                                 s503, s429, json, sse, slow, ...);
#                                                 proxy_read_timeout 300ms
#   /_aigw/refused/                               a port nothing listens on
#   /_aigw/tcp/                                   the raw TCP mock of blocks with tcp_listen 21987
# Both mocks write every request they get to logs/mock.log ("PORT METHOD URI LOCATION"),
# which GET /mocklog shows: that is how a block proves a channel was (not) asked.
#
# The router state (shared memory) lives as long as one nginx, i.e. one block here: blocks
# run once (repeat_each(1)) and each starts from fresh state, where the first request of a
# model goes to the first channel of its tier. (So not with TEST_NGINX_USE_HUP: a reload keeps
# the state, and channel names are reused from block to block.) Round-robin state belongs to
# the channel, not the model: blocks give each model its own channels where order matters.
#
# Error-log patterns of a block with several requests are checked after each request (with
# the log of all requests so far), so they name what the first request logs.

use lib 't/lib';
use Test::AIGW;
use Test::AIGW::Mock::OpenAI qw(chunked_reply);

repeat_each(1);
no_shuffle();
no_long_string();
# A block's requests share one nginx: its error.log checks see the lines of all of them.
check_accum_error_log();

our $Mocks = <<'_EOC_';
    log_format mock '$server_port $request_method $request_uri $http_x_loc';

    server {
        listen 127.0.0.1:21985;
        access_log logs/mock.log mock;
        client_max_body_size 10m;
        client_body_buffer_size 4m;
        default_type text/plain;
        location / {
            echo_read_request_body;
            echo "$http_x_loc $request_method $request_uri";
            echo_request_body;
        }
    }

    server {
        listen 127.0.0.1:21986;
        access_log logs/mock.log mock;
        client_max_body_size 10m;
        default_type application/json;

        location /s400/ {
            return 400 '{"error":{"message":"Invalid value for temperature.","type":"invalid_request_error","param":"temperature","code":null}}';
        }
        location /s401/ {
            return 401 '{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}';
        }
        location /s404/ {
            return 404 '{"error":{"message":"The model `up-x` does not exist.","type":"invalid_request_error","param":null,"code":"model_not_found"}}';
        }
        location /s500/ {
            return 500 '{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}';
        }
        location /s502/ {
            default_type text/html;
            return 502 '<html><body>502 Bad Gateway at upstream-secret-host</body></html>';
        }
        location /s503/ {
            return 503 '{"error":{"message":"The engine is currently overloaded.","type":"server_error","param":null,"code":null}}';
        }
        location /s504/ {
            return 504 '{"error":{"message":"upstream gateway timeout","type":"server_error","param":null,"code":null}}';
        }
        location /s429/ {
            add_header Retry-After 2 always;
            return 429 '{"error":{"message":"Rate limit reached for requests.","type":"requests","param":null,"code":"rate_limit_exceeded"}}';
        }
        location /s429ms/ {
            add_header retry-after-ms 1500 always;
            return 429 '{"error":{"message":"Rate limit reached.","type":"requests","param":null,"code":"rate_limit_exceeded"}}';
        }
        location /s429date/ {
            add_header Retry-After "Fri, 01 Jan 2100 00:00:00 GMT" always;
            return 429 '{"error":{"message":"Rate limit reached.","type":"requests","param":null,"code":"rate_limit_exceeded"}}';
        }
        location /s429past/ {
            add_header Retry-After "Thu, 01 Jan 2015 00:00:00 GMT" always;
            return 429 '{"error":{"message":"Rate limit reached.","type":"requests","param":null,"code":"rate_limit_exceeded"}}';
        }
        location /s429none/ {
            return 429 '{"error":{"message":"Rate limit reached.","type":"requests","param":null,"code":"rate_limit_exceeded"}}';
        }
        location /slow/ {
            echo_read_request_body;
            echo_sleep 1.5;
            echo '{"late":true}';
        }
        location /s503ra/ {
            add_header Retry-After 2 always;
            return 503 '{"error":{"message":"The engine is currently overloaded.","type":"server_error","param":null,"code":null}}';
        }
        location /s444/ {
            return 444;
        }
        # A JSON answer in three packets, cut inside the "model" key and inside its value.
        location /jsonsplit/ {
            echo_read_request_body;
            default_type application/json;
            echo -n '{"id":"x","object":"chat.completion","mo';
            echo_flush;
            echo_sleep 0.05;
            echo -n 'del":"up-mo';
            echo_flush;
            echo_sleep 0.05;
            echo -n 'del","choices":[{"message":{"content":"up-model"}}]}';
        }
        location /json/ {
            return 200 '{"id":"chatcmpl-7","object":"chat.completion","created":1700000000,"model":"up-model","choices":[{"index":0,"message":{"role":"assistant","content":"I am up-model, \\\"model\\\":\\\"up-model\\\" Grüße"},"finish_reason":"stop"}],"metadata":{"model":"up-model"},"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12},"system_fingerprint":"fp_1"}';
        }
        # A stream cut into packets mid-JSON (inside the model value), between the two
        # newlines ending an event, and inside the "data:" field name.
        location /sse/ {
            echo_read_request_body;
            default_type text/event-stream;
            echo -n 'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up-mo';
            echo_flush;
            echo_sleep 0.05;
            echo 'del","choices":[{"index":0,"delta":{"role":"assistant","content":"up-model"},"finish_reason":null}]}';
            echo_flush;
            echo_sleep 0.05;
            echo '';
            echo -n 'dat';
            echo_flush;
            echo_sleep 0.05;
            echo 'a: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up-model","choices":[{"index":0,"delta":{"content":"Grüße 世界"},"finish_reason":"stop"}]}';
            echo '';
            echo ': keep-alive';
            echo '';
            echo 'data: [DONE]';
            echo '';
        }
        # The same with the usage chunk an upstream sends for include_usage.
        location /sseu/ {
            echo_read_request_body;
            default_type text/event-stream;
            echo 'data: {"id":"c2","object":"chat.completion.chunk","created":1,"model":"up-model","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}';
            echo '';
            echo_flush;
            echo_sleep 0.05;
            echo -n 'data: {"id":"c2","object":"chat.completion.chunk","created":1,"model":"up-mo';
            echo_flush;
            echo_sleep 0.05;
            echo 'del","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}';
            echo '';
            echo 'data: [DONE]';
            echo '';
        }
        # One event, then a stall past the channel's proxy_read_timeout.
        location /ssecut/ {
            echo_read_request_body;
            default_type text/event-stream;
            echo 'data: {"id":"c3","object":"chat.completion.chunk","created":1,"model":"up-model","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}';
            echo '';
            echo_flush;
            echo_sleep 1.5;
            echo 'data: [DONE]';
            echo '';
        }
    }
_EOC_

our $Channels = <<'_EOC_';
    location /_aigw/echo1/ {
        internal;
        proxy_pass http://127.0.0.1:21985/;
        proxy_set_header X-Loc echo1;
    }
    location /_aigw/echo2/ {
        internal;
        proxy_pass http://127.0.0.1:21985/;
        proxy_set_header X-Loc echo2;
    }
    location /_aigw/echo3/ {
        internal;
        proxy_pass http://127.0.0.1:21985/;
        proxy_set_header X-Loc echo3;
    }
    location /_aigw/m/ {
        internal;
        proxy_pass http://127.0.0.1:21986/;
        proxy_read_timeout 300ms;
    }
    location /_aigw/refused/ {
        internal;
        proxy_pass http://127.0.0.1:21999/;
    }
    location /_aigw/tcp/ {
        internal;
        proxy_pass http://127.0.0.1:21987/;
    }
    location = /mocklog {
        alias logs/mock.log;
    }
_EOC_

# The stream the /sse/ mock sends, and the same with the public model name in every chunk.
our $Sse = join '',
    qq(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up-model","choices":[{"index":0,"delta":{"role":"assistant","content":"up-model"},"finish_reason":null}]}\n\n),
    qq(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up-model","choices":[{"index":0,"delta":{"content":"Gr\xc3\xbc\xc3\x9fe \xe4\xb8\x96\xe7\x95\x8c"},"finish_reason":"stop"}]}\n\n),
    qq(: keep-alive\n\n),
    qq(data: [DONE]\n\n);

sub public_stream {
    my ($stream, $name) = @_;
    $stream =~ s/"model":"up-model"/"model":"$name"/g;
    return $stream;
}

our $SseUsageChunk = qq(data: {"id":"c2","object":"chat.completion.chunk","created":1,"model":"up-model","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\n);
our $SseU = qq(data: {"id":"c2","object":"chat.completion.chunk","created":1,"model":"up-model","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\n)
          . $SseUsageChunk . qq(data: [DONE]\n\n);

our $Json = qq({"id":"chatcmpl-7","object":"chat.completion","created":1700000000,"model":"up-model","choices":[{"index":0,"message":{"role":"assistant","content":"I am up-model, \\"model\\":\\"up-model\\" Gr\xc3\xbc\xc3\x9fe"},"finish_reason":"stop"}],"metadata":{"model":"up-model"},"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12},"system_fingerprint":"fp_1"});

# A stream with CRLF and bare CR line ends, "data:" without its space, id/event fields and a
# comment, sent by the raw TCP mock (tcp_listen 21987).
our $OddSse = "id: 1\r\nevent: message\r\n"
    . qq(data:{"id":"c9","object":"chat.completion.chunk","model":"up-model","choices":[{"index":0,"delta":{"content":"Gr\xc3\xbc\xc3\x9fe"}}]}\r\n\r\n)
    . ": ping\r\n\r\n"
    . qq(data: {"id":"c9","object":"chat.completion.chunk","model":"up-model","choices":[{"index":0,"delta":{"content":"x"}}]}\r\r)
    . qq(data: {"id":"c9","object":"chat.completion.chunk","model":"up-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n)
    . "data: [DONE]\r\n\r\n";

# A pattern matching exactly this text (for blocks that need a pattern for another request).
sub exactly {
    my ($text) = @_;
    return qr/\A\Q$text\E\z/;
}

# The body of an error, as the gateway writes it.
sub err {
    my ($message, $type, $code) = @_;
    return qq({"error":{"message":"$message","type":"$type","param":null,"code":"$code"}});
}

add_block_preprocessor(sub {
    my $block = shift;
    my $http = $block->http_config;
    $block->set_value('http_config', $::Mocks . (defined $http ? $http : ''));
    my $config = $block->config;
    $block->set_value('config', (defined $config ? $config : '') . $::Channels);
});

run_tests();

__DATA__

=== TEST 1: the model is spliced to the channel's upstream name; every other byte arrives as sent (model first)
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_model gpt-4o a:gpt-4o-2024-08-06;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
"POST /v1/chat/completions\n" . qq({"model":"gpt-4o","messages":[{"role":"user","content":"h\\u00e9llo \xe2\x9c\x93 \\"model\\":\\"gpt-4o\\""}],"metadata":{"model":"gpt-4o"},"temperature":0.2})
--- response_body eval
"echo1 POST /v1/chat/completions\n" . qq({"model":"gpt-4o-2024-08-06","messages":[{"role":"user","content":"h\\u00e9llo \xe2\x9c\x93 \\"model\\":\\"gpt-4o\\""}],"metadata":{"model":"gpt-4o"},"temperature":0.2})



=== TEST 2: model last, white space around it and around the body: only the value's bytes change
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_model gpt-4o a:gpt-4o-2024-08-06;
--- config
    location /v1/ {
        aigw on;
    }
--- raw_request eval
my $b = qq(\n { "messages" : [ {"role":"user","content":"x"} ] ,\n\t"temperature" : 0.2 ,  "model"\t:  "gpt-4o"  \n}\n);
"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: " . length($b) . "\r\n\r\n$b"
--- response_body eval
"echo1 POST /v1/chat/completions\n" . qq(\n { "messages" : [ {"role":"user","content":"x"} ] ,\n\t"temperature" : 0.2 ,  "model"\t:  "gpt-4o-2024-08-06"  \n}\n)



=== TEST 3: an escaped model value is looked up unescaped and replaced whole; an escaped key counts; a second "model" (escaped or not) is refused, never routed
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_model gpt-4o a:gpt-4o-2024-08-06;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"gpt\u002d4\u006f","messages":[]}),
 "POST /v1/chat/completions\n" . q({"mod\u0065l":"gpt-4o","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"unknown","messages":[],"model":"gpt-4o"}),
 "POST /v1/chat/completions\n" . q({"model":"unknown","messages":[],"mod\u0065l":"gpt-4o"})]
--- error_code eval
[200, 200, 400, 400]
--- response_body eval
["echo1 POST /v1/chat/completions\n" . q({"model":"gpt-4o-2024-08-06","messages":[]}),
 "echo1 POST /v1/chat/completions\n" . q({"mod\u0065l":"gpt-4o-2024-08-06","messages":[]}),
 q({"error":{"message":"Duplicate parameter 'model': the request body gives it more than once. Send each parameter once.","type":"invalid_request_error","param":"model","code":"duplicate_parameter"}}),
 q({"error":{"message":"Duplicate parameter 'model': the request body gives it more than once. Send each parameter once.","type":"invalid_request_error","param":"model","code":"duplicate_parameter"}})]



=== TEST 4: UTF-8 public names; an upstream name with a quote and a backslash is JSON-escaped in the body
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_model "modèle-ü" 'a:up"quote\\back/é';
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"mod\u00e8le-\u00fc","messages":[]}),
 "POST /v1/chat/completions\n" . qq({"messages":[],"model":"mod\xc3\xa8le-\xc3\xbc"})]
--- response_body eval
["echo1 POST /v1/chat/completions\n" . qq({"model":"up\\"quote\\\\back/\xc3\xa9","messages":[]}),
 "echo1 POST /v1/chat/completions\n" . qq({"messages":[],"model":"up\\"quote\\\\back/\xc3\xa9"})]



=== TEST 5: a channel without an upstream name, or with the same name, gets the body byte for byte
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_channel b location=/_aigw/echo2;
    aigw_model gpt-4o a;
    aigw_model gpt-4o-mini b:gpt-4o-mini;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . qq({"model" : "gpt-4o", "messages":[{"role":"user","content":"\\u00e9 \xe2\x9c\x93"}] , "n":1}),
 "POST /v1/chat/completions\n" . qq({"model":"gpt-4o-mini","messages":[]})]
--- response_body eval
["echo1 POST /v1/chat/completions\n" . qq({"model" : "gpt-4o", "messages":[{"role":"user","content":"\\u00e9 \xe2\x9c\x93"}] , "n":1}),
 "echo2 POST /v1/chat/completions\n" . qq({"model":"gpt-4o-mini","messages":[]})]



=== TEST 6: a stream request: model spliced and stream_options.include_usage added, nothing else changes
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_model gpt-4o a:gpt-4o-2024-08-06;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}),
 "POST /v1/completions\n" . q({"prompt":"say \"hi\"","stream":true,"model":"gpt-4o","stream_options":{}})]
--- response_body eval
["echo1 POST /v1/chat/completions\n" . q({"model":"gpt-4o-2024-08-06","stream":true,"messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}),
 "echo1 POST /v1/completions\n" . q({"prompt":"say \"hi\"","stream":true,"model":"gpt-4o-2024-08-06","stream_options":{"include_usage":true}})]



=== TEST 7: embeddings are routed too; a channel location= with a trailing slash does not double it
--- http_config
    aigw_channel a location=/_aigw/echo1/;
    aigw_model text-embedding-3-small a:bge-m3;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
"POST /v1/embeddings?trace=1\n" . q({"input":["a","b"],"model":"text-embedding-3-small","encoding_format":"float"})
--- response_body eval
"echo1 POST /v1/embeddings?trace=1\n" . q({"input":["a","b"],"model":"bge-m3","encoding_format":"float"})



=== TEST 8: a body of about 1 MB, spooled to a temp file, reaches the channel whole with the model spliced
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_model gpt-4o a:gpt-4o-2024-08-06;
--- config
    location /v1/ {
        aigw on;
        client_max_body_size 4m;
        client_body_buffer_size 16k;
    }
--- request eval
"POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"' . ("0123456789abcd\\u00e9\xe2\x9c\x93 \\\"model\\\":\\\"gpt-4o\\\" " x 25000) . '"}],"model":"gpt-4o"}'
--- response_body eval
"echo1 POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"' . ("0123456789abcd\\u00e9\xe2\x9c\x93 \\\"model\\\":\\\"gpt-4o\\\" " x 25000) . '"}],"model":"gpt-4o-2024-08-06"}'
--- timeout: 10



=== TEST 9: patterns: the name passes through unless an upstream name is given; exact names beat patterns, longer prefixes shorter ones
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_channel b location=/_aigw/echo2;
    aigw_channel c location=/_aigw/echo3;
    aigw_model deepseek-* a;
    aigw_model qwen-* b:qwen-max;
    aigw_model gpt-* a;
    aigw_model gpt-4o-* b;
    aigw_model gpt-4o-mini c;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"deepseek-chat","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"qwen-2.5-72b","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"gpt-4o-mini","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"gpt-4o-2024-08-06","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"gpt-3.5-turbo","messages":[]})]
--- response_body eval
["echo1 POST /v1/chat/completions\n" . q({"model":"deepseek-chat","messages":[]}),
 "echo2 POST /v1/chat/completions\n" . q({"model":"qwen-max","messages":[]}),
 "echo3 POST /v1/chat/completions\n" . q({"model":"gpt-4o-mini","messages":[]}),
 "echo2 POST /v1/chat/completions\n" . q({"model":"gpt-4o-2024-08-06","messages":[]}),
 "echo1 POST /v1/chat/completions\n" . q({"model":"gpt-3.5-turbo","messages":[]})]



=== TEST 10: a model no aigw_model serves: 404 model_not_found, no channel asked
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_model deepseek-* a;
    aigw_model gpt-4o a;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"gpt-4","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"deepseek","messages":[]}),
 "POST /v1/embeddings\n" . q({"model":"x\"y\\\\z","input":"a"}),
 "GET /mocklog"]
--- error_code eval
[404, 404, 404, 200]
--- response_body eval
[::err('The model `gpt-4` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found'),
 ::err('The model `deepseek` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found'),
 ::err('The model `x\"y\\\\z` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found'),
 '']
--- response_headers_like eval
["Content-Type: ^application/json\$", "Content-Type: ^application/json\$", "Content-Type: ^application/json\$", "Content-Type: ^text/plain"]



=== TEST 11: a JSON response names the public model when the channel renames it; nothing else changes
--- http_config
    aigw_channel a location=/_aigw/m/json;
    aigw_model smart a:up-model;
--- config
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions
{"model":"smart","messages":[{"role":"user","content":"hi"}]}
--- response_body eval
my $j = $::Json;
$j =~ s/"object":"chat.completion","created":1700000000,"model":"up-model"/"object":"chat.completion","created":1700000000,"model":"smart"/ or die;
$j
--- response_headers
Content-Type: application/json
!Content-Length



=== TEST 12: no rename when the channel does not rename, whatever model the upstream names
--- http_config
    aigw_channel a location=/_aigw/m/json;
    aigw_model gpt-4o a;
    aigw_model up-model a:up-model;
    aigw_model gpt-* a;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"gpt-4o","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"up-model","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"gpt-5","messages":[]})]
--- response_body eval
[$::Json, $::Json, $::Json]



=== TEST 13: a name served by a pattern with an upstream name: the response names what the client asked for
--- http_config
    aigw_channel a location=/_aigw/m/json;
    aigw_model qwen-* a:up-model;
--- config
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions
{"model":"qwen-2.5-72b","messages":[]}
--- response_body eval
(my $j = $::Json) =~ s/"created":1700000000,"model":"up-model"/"created":1700000000,"model":"qwen-2.5-72b"/ or die;
$j



=== TEST 14: aigw_response_model upstream keeps the upstream's name
--- http_config
    aigw_channel a location=/_aigw/m/json;
    aigw_model smart a:up-model;
--- config
    location /v1/ {
        aigw on;
        aigw_response_model upstream;
    }
--- request
POST /v1/chat/completions
{"model":"smart","messages":[]}
--- response_body eval: $::Json



=== TEST 15: a stream split mid-JSON, mid-event-end and mid-field: every chunk names the public model, every other byte as sent
--- http_config
    aigw_channel a location=/_aigw/m/sse;
    aigw_model smart a:up-model;
--- config
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions
{"model":"smart","stream":true,"messages":[{"role":"user","content":"hi"}]}
--- response_body eval
::public_stream($::Sse, 'smart')
--- response_headers
Content-Type: text/event-stream
X-Accel-Buffering: no



=== TEST 16: the same stream with aigw_response_model upstream passes byte-exact
--- http_config
    aigw_channel a location=/_aigw/m/sse;
    aigw_model smart a:up-model;
--- config
    aigw_response_model upstream;
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions
{"model":"smart","stream":true,"messages":[]}
--- response_body eval: $::Sse



=== TEST 17: a stream without rename passes byte-exact
--- http_config
    aigw_channel a location=/_aigw/m/sse;
    aigw_model up-model a;
--- config
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions
{"model":"up-model","stream":true,"messages":[]}
--- response_body eval: $::Sse



=== TEST 18: the usage chunk the gateway asked for is dropped; when the client asked for it, it stays, renamed
--- http_config
    aigw_channel a location=/_aigw/m/sseu;
    aigw_model smart a:up-model;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"smart","stream":true,"messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"smart","stream":true,"stream_options":{"include_usage":true},"messages":[]})]
--- response_body eval
[::public_stream(join('', grep { $_ ne $::SseUsageChunk } ($::SseU =~ /(.*?\n\n)/gs)), 'smart'),
 ::public_stream($::SseU, 'smart')]



=== TEST 19: a stream cut every 3 bytes, with CRLF and CR line ends and other fields: every chunk renamed, nothing else changed
--- http_config
    aigw_channel a location=/_aigw/tcp;
    aigw_model smart a:up-model;
--- config
    location /v1/ {
        aigw on;
    }
--- tcp_listen: 21987
--- tcp_reply eval
my @cuts;
for (my $c = 3; $c < length $::OddSse; $c += 3) { push @cuts, $c }
::chunked_reply($::OddSse, type => 'text/event-stream', cuts => \@cuts)
--- tcp_reply_delay: 1ms
--- request
POST /v1/chat/completions
{"model":"smart","stream":true}
--- response_body eval
::public_stream($::OddSse, 'smart')



=== TEST 20: a public name that needs escaping is escaped in every renamed chunk and in a JSON answer in pieces
--- http_config
    aigw_channel a location=/_aigw/m/sse;
    aigw_channel b location=/_aigw/m/jsonsplit;
    aigw_model 'q"x\\y' a:up-model;
    aigw_model 'p"x\\y' b:up-model;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"q\"x\\\\y","stream":true}),
 "POST /v1/chat/completions\n" . q({"model":"p\"x\\\\y"})]
--- response_body eval
[::public_stream($::Sse, 'q\"x\\\\y'),
 q({"id":"x","object":"chat.completion","model":"p\"x\\\\y","choices":[{"message":{"content":"up-model"}}]})]



=== TEST 21: fallback on a 500 with a JSON body: the next channel answers, with its own upstream name
--- http_config
    aigw_channel a location=/_aigw/m/s500;
    aigw_channel b location=/_aigw/echo2;
    aigw_model m a:up-a b:up-b;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}), "GET /mocklog"]
--- response_body eval
["echo2 POST /v1/chat/completions\n" . q({"model":"up-b","messages":[]}),
 "21986 POST /s500/v1/chat/completions -\n21985 POST /v1/chat/completions echo2\n"]
--- error_code eval
[200, 200]
--- error_log
aigw: channel "a" answered HTTP 500 for model "m" (attempt 1,



=== TEST 22: fallback on a 502 with an HTML body
--- http_config
    aigw_channel a location=/_aigw/m/s502;
    aigw_channel b location=/_aigw/echo2;
    aigw_model m a:up-a b:up-b;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}), "GET /mocklog"]
--- response_body eval
["echo2 POST /v1/chat/completions\n" . q({"model":"up-b","messages":[]}),
 "21986 POST /s502/v1/chat/completions -\n21985 POST /v1/chat/completions echo2\n"]
--- error_log
aigw: channel "a" answered HTTP 502 for model "m"



=== TEST 23: fallback on a 503
--- http_config
    aigw_channel a location=/_aigw/m/s503;
    aigw_channel b location=/_aigw/echo2;
    aigw_model m a:up-a b:up-b;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}), "GET /mocklog"]
--- response_body eval
["echo2 POST /v1/chat/completions\n" . q({"model":"up-b","messages":[]}),
 "21986 POST /s503/v1/chat/completions -\n21985 POST /v1/chat/completions echo2\n"]
--- error_log
aigw: channel "a" answered HTTP 503 for model "m"



=== TEST 24: fallback on a 504 from the upstream
--- http_config
    aigw_channel a location=/_aigw/m/s504;
    aigw_channel b location=/_aigw/echo2;
    aigw_model m a:up-a b:up-b;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}), "GET /mocklog"]
--- response_body eval
["echo2 POST /v1/chat/completions\n" . q({"model":"up-b","messages":[]}),
 "21986 POST /s504/v1/chat/completions -\n21985 POST /v1/chat/completions echo2\n"]
--- error_log
aigw: channel "a" answered HTTP 504 for model "m"



=== TEST 25: fallback on a 429; its Retry-After sets the channel aside, so the next request goes straight to the other
--- http_config
    aigw_channel a location=/_aigw/m/s429 max_fails=0;
    aigw_channel b location=/_aigw/echo2;
    aigw_model m a:up-a b:up-b;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "GET /mocklog"]
--- response_body eval
["echo2 POST /v1/chat/completions\n" . q({"model":"up-b","messages":[]}),
 "echo2 POST /v1/chat/completions\n" . q({"model":"up-b","messages":[]}),
 "echo2 POST /v1/chat/completions\n" . q({"model":"up-b","messages":[]}),
 "21986 POST /s429/v1/chat/completions -\n" . ("21985 POST /v1/chat/completions echo2\n" x 3)]
--- response_headers eval
["!Retry-After", "!Retry-After", "!Retry-After", ""]
--- error_log
aigw: channel "a" answered HTTP 429 for model "m" (attempt 1, retry after 2000ms)



=== TEST 26: a 429 without Retry-After sets the channel aside briefly (1 s), not for fail_timeout
--- http_config
    aigw_channel a location=/_aigw/m/s429none;
    aigw_channel b location=/_aigw/echo2;
    aigw_model m a b;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "GET /mocklog"]
--- error_code eval
[200, 200, 200, 200]
--- response_body eval
["echo2 POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "echo2 POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "echo2 POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 # a (429, aside for a second) then b; then b twice: a is still aside.
 "21986 POST /s429none/v1/chat/completions -\n21985 POST /v1/chat/completions echo2\n"
 . "21985 POST /v1/chat/completions echo2\n"
 . "21985 POST /v1/chat/completions echo2\n"]



=== TEST 27: fallback on a refused connection
--- http_config
    aigw_channel a location=/_aigw/refused;
    aigw_channel b location=/_aigw/echo2;
    aigw_model m a:up-a b:up-b;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}), "GET /mocklog"]
--- response_body eval
["echo2 POST /v1/chat/completions\n" . q({"model":"up-b","messages":[]}),
 "21985 POST /v1/chat/completions echo2\n"]
--- error_log
connect() failed (111: Connection refused) while connecting to upstream
aigw: channel "a" could not be reached for model "m" (attempt 1,
--- no_error_log
[alert]
[crit]
[emerg]
aigw: all



=== TEST 28: fallback on a timeout (proxy_read_timeout of the channel's location)
--- http_config
    aigw_channel a location=/_aigw/m/slow;
    aigw_channel b location=/_aigw/echo2;
    aigw_model m a:up-a b:up-b;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}), "GET /mocklog"]
--- response_body_like eval
[::exactly("echo2 POST /v1/chat/completions\n" . q({"model":"up-b","messages":[]})),
 # The mock logs the slow request when it notices the gateway gave up: before or after.
 qr{\A(?:21986 POST /slow/v1/chat/completions -\n)?21985 POST /v1/chat/completions echo2\n(?:21986 POST /slow/v1/chat/completions -\n)?\z}]
--- error_log
upstream timed out (110: Connection timed out) while reading response header from upstream
aigw: channel "a" timed out for model "m" (attempt 1,
--- no_error_log
[alert]
[crit]
[emerg]
aigw: all
--- wait: 1.5



=== TEST 29: fallback when the upstream closes the connection without an answer
--- http_config
    aigw_channel a location=/_aigw/m/s444;
    aigw_channel b location=/_aigw/echo2;
    aigw_model m a:up-a b:up-b;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}), "GET /mocklog"]
--- response_body eval
["echo2 POST /v1/chat/completions\n" . q({"model":"up-b","messages":[]}),
 "21986 POST /s444/v1/chat/completions -\n21985 POST /v1/chat/completions echo2\n"]
--- error_log
upstream prematurely closed connection while reading response header from upstream
aigw: channel "a" could not be reached for model "m" (attempt 1,
--- no_error_log
[alert]
[crit]
[emerg]
aigw: all



=== TEST 30: a 503 with Retry-After sets the channel aside too (max_fails=0: only Retry-After counts)
--- http_config
    aigw_channel a location=/_aigw/m/s503ra max_fails=0;
    aigw_channel b location=/_aigw/echo2;
    aigw_model m a b;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
[(map { "POST /v1/chat/completions\n" . q({"model":"m"}) } 1 .. 3), "GET /mocklog"]
--- response_body eval
[(map { "echo2 POST /v1/chat/completions\n" . q({"model":"m"}) } 1 .. 3),
 # Without Retry-After the third request would try a again (see TEST 26).
 "21986 POST /s503ra/v1/chat/completions -\n" . ("21985 POST /v1/chat/completions echo2\n" x 3)]
--- error_log
aigw: channel "a" answered HTTP 503 for model "m" (attempt 1, retry after 2000ms)



=== TEST 31: fallback with a body of 1 MB spooled to a file: the next channel gets all of it again
--- http_config
    aigw_channel a location=/_aigw/m/s503;
    aigw_channel b location=/_aigw/echo2;
    aigw_channel c location=/_aigw/m/s500;
    aigw_channel d location=/_aigw/echo3;
    aigw_model gpt-4o a b;
    aigw_model gpt-4o-mini c:x d:y;
--- config
    location /v1/ {
        aigw on;
        client_body_buffer_size 16k;
    }
--- request eval
["POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"' . ("0123456789abcdef" x 65536) . '"}],"model":"gpt-4o"}',
 "POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"' . ("0123456789abcdef" x 65536) . '"}]}']
--- response_body eval
["echo2 POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"' . ("0123456789abcdef" x 65536) . '"}],"model":"gpt-4o"}',
 "echo3 POST /v1/chat/completions\n" . '{"model":"y","messages":[{"role":"user","content":"' . ("0123456789abcdef" x 65536) . '"}]}']
--- timeout: 10



=== TEST 32: a client that goes away during an attempt: no further attempt, no alert
--- http_config
    aigw_channel a location=/_aigw/m/slow;
    aigw_channel b location=/_aigw/echo2;
    aigw_model m a b;
--- config
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions HTTP/1.0
{"model":"m","messages":[]}
--- timeout: 0.1
--- abort
--- ignore_response
--- wait: 1
--- error_log
client prematurely closed connection
--- no_error_log
[alert]
[crit]
[emerg]
aigw: channel "a"
aigw: all



=== TEST 33: a stream request falls back before its first byte; the client gets the next channel's stream, renamed
--- http_config
    aigw_channel a location=/_aigw/m/s503;
    aigw_channel b location=/_aigw/m/sse;
    aigw_model smart a:other-name b:up-model;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"smart","stream":true,"messages":[]}), "GET /mocklog"]
--- response_body eval
[::public_stream($::Sse, 'smart'),
 "21986 POST /s503/v1/chat/completions -\n21986 POST /sse/v1/chat/completions -\n"]



=== TEST 34: once a stream started there is no fallback: the client gets the events sent, then an SSE error event
--- http_config
    aigw_channel a location=/_aigw/m/ssecut;
    aigw_channel b location=/_aigw/echo2;
    aigw_model smart a:up-model b;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"smart","stream":true,"messages":[]}), "GET /mocklog"]
--- response_body_like eval
[::exactly(qq(data: {"id":"c3","object":"chat.completion.chunk","created":1,"model":"smart","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\n)
            . qq(event: error\ndata: {"error":{"message":"The upstream connection was interrupted before the response was complete.","type":"api_error","param":null,"code":"upstream_interrupted"}}\n\n)),
 # The stalled mock logs its request once it is over (maybe later); the echo mock is never asked.
 qr{\A(?:21986 POST /ssecut/v1/chat/completions -\n)?\z}]
--- error_log
upstream timed out
upstream response for "/v1/chat/completions" was interrupted
--- no_error_log
[alert]
[crit]
[emerg]
aigw: channel "a"



=== TEST 35: each attempt is renamed (or not) by its own channel: a failed renaming channel, then one that does not rename
--- http_config
    aigw_channel a location=/_aigw/m/s500;
    aigw_channel b location=/_aigw/m/json;
    aigw_channel c location=/_aigw/m/s500;
    aigw_channel d location=/_aigw/m/json;
    aigw_model up-model a:renamed-upstream b;
    aigw_model smart c d:up-model;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"up-model","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"smart","messages":[]})]
--- response_body eval
[$::Json, do { (my $j = $::Json) =~ s/"created":1700000000,"model":"up-model"/"created":1700000000,"model":"smart"/; $j }]



=== TEST 36: no fallback on 400, 401 or 404: the client gets the upstream's status and body, the next channel is never asked
--- http_config
    aigw_channel a400 location=/_aigw/m/s400;
    aigw_channel a401 location=/_aigw/m/s401;
    aigw_channel a404 location=/_aigw/m/s404;
    aigw_channel b1 location=/_aigw/echo2;
    aigw_channel b2 location=/_aigw/echo2;
    aigw_channel b3 location=/_aigw/echo2;
    aigw_model m400 a400 b1;
    aigw_model m401 a401 b2;
    aigw_model m404 a404:up-x b3;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m400","messages":[],"temperature":9}),
 "POST /v1/chat/completions\n" . q({"model":"m401","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"m404","messages":[]}),
 "GET /mocklog"]
--- error_code eval
[400, 401, 404, 200]
--- response_body eval
['{"error":{"message":"Invalid value for temperature.","type":"invalid_request_error","param":"temperature","code":null}}',
 '{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}',
 '{"error":{"message":"The model `up-x` does not exist.","type":"invalid_request_error","param":null,"code":"model_not_found"}}',
 "21986 POST /s400/v1/chat/completions -\n21986 POST /s401/v1/chat/completions -\n21986 POST /s404/v1/chat/completions -\n"]
--- no_error_log
[error]
[alert]
[emerg]
aigw: channel



=== TEST 37: after a fallback, a 400 from the next channel is the answer, as it is
--- http_config
    aigw_channel a location=/_aigw/m/s503;
    aigw_channel b location=/_aigw/m/s400;
    aigw_channel c location=/_aigw/echo3;
    aigw_model m a b c;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}), "GET /mocklog"]
--- error_code eval
[400, 200]
--- response_body eval
['{"error":{"message":"Invalid value for temperature.","type":"invalid_request_error","param":"temperature","code":null}}',
 "21986 POST /s503/v1/chat/completions -\n21986 POST /s400/v1/chat/completions -\n"]



=== TEST 38: a 4xx does not set the channel aside: the next request of the model goes to it again
--- http_config
    aigw_channel a location=/_aigw/m/s400;
    aigw_channel b location=/_aigw/echo2 priority=1;
    aigw_model m a b;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "GET /mocklog"]
--- error_code eval
[400, 400, 200]
--- response_body eval
['{"error":{"message":"Invalid value for temperature.","type":"invalid_request_error","param":"temperature","code":null}}',
 '{"error":{"message":"Invalid value for temperature.","type":"invalid_request_error","param":"temperature","code":null}}',
 "21986 POST /s400/v1/chat/completions -\n21986 POST /s400/v1/chat/completions -\n"]



=== TEST 39: every channel answered 503: 503 all_channels_failed, no channel name or address in the body
--- http_config
    aigw_channel a location=/_aigw/m/s503;
    aigw_channel b location=/_aigw/m/s503;
    aigw_model m a:up-a b:up-b;
--- config
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions
{"model":"m","messages":[]}
--- error_code: 503
--- response_body eval
::err('All 2 upstream channels tried for model `m` failed; the last answered HTTP 503.', 'api_error', 'all_channels_failed')
--- response_headers
Content-Type: application/json
!Retry-After
--- raw_response_headers_like: \r\nX-Request-Id: req_[0-9a-f]{32}\r\n
--- error_log
aigw: channel "a" answered HTTP 503 for model "m" (attempt 1,
aigw: channel "b" answered HTTP 503 for model "m" (attempt 2,
aigw: all 2 attempts for model "m" failed; the last was channel "b"
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 40: the only channel answered 500: 502
--- http_config
    aigw_channel a location=/_aigw/m/s500;
    aigw_model m a:up-a;
--- config
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions
{"model":"m","messages":[]}
--- error_code: 502
--- response_body eval
::err('The upstream channel tried for model `m` failed; the last answered HTTP 500.', 'api_error', 'all_channels_failed')
--- error_log
aigw: all 1 attempts for model "m" failed
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 41: the last channel answered an HTML 502: 502, none of the upstream's page
--- http_config
    aigw_channel a location=/_aigw/m/s500;
    aigw_channel b location=/_aigw/m/s502;
    aigw_model m a b;
--- config
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions
{"model":"m","messages":[]}
--- error_code: 502
--- response_body eval
::err('All 2 upstream channels tried for model `m` failed; the last answered HTTP 502.', 'api_error', 'all_channels_failed')
--- error_log
aigw: all 2 attempts for model "m" failed
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 42: the last channel answered 504: 504
--- http_config
    aigw_channel a location=/_aigw/m/s504;
    aigw_model m a;
--- config
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions
{"model":"m","messages":[]}
--- error_code: 504
--- response_body eval
::err('The upstream channel tried for model `m` failed; the last answered HTTP 504.', 'api_error', 'all_channels_failed')
--- error_log
aigw: all 1 attempts for model "m" failed
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 43: the last channel answered 429 with Retry-After: 429 rate_limit_exceeded with Retry-After
--- http_config
    aigw_channel a location=/_aigw/m/s503;
    aigw_channel b location=/_aigw/m/s429;
    aigw_model m a b;
--- config
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions
{"model":"m","messages":[]}
--- error_code: 429
--- response_body eval
::err('All 2 upstream channels tried for model `m` failed; the last answered HTTP 429.', 'rate_limit_error', 'rate_limit_exceeded')
--- response_headers
Retry-After: 2
Content-Type: application/json
--- error_log
aigw: channel "b" answered HTTP 429 for model "m" (attempt 2, retry after 2000ms)
aigw: all 2 attempts for model "m" failed
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 44: retry-after-ms is rounded up to whole seconds in the client's Retry-After
--- http_config
    aigw_channel a location=/_aigw/m/s429ms;
    aigw_model m a;
--- config
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions
{"model":"m","messages":[]}
--- error_code: 429
--- response_body eval
::err('The upstream channel tried for model `m` failed; the last answered HTTP 429.', 'rate_limit_error', 'rate_limit_exceeded')
--- response_headers
Retry-After: 2
!retry-after-ms
--- error_log
retry after 1500ms)
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 45: Retry-After as an HTTP date is read; one far in the future is capped at an hour, as the router caps it
--- http_config
    aigw_channel a location=/_aigw/m/s429date;
    aigw_model m a;
--- config
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions
{"model":"m","messages":[]}
--- error_code: 429
--- response_headers_like eval
# 2100-01-01T00:00:00Z: decades away; the client is told what the gateway itself waits at most.
"Retry-After: 3600"
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 46: a 429 without a usable Retry-After (none, or a date in the past): no Retry-After for the client
--- http_config
    aigw_channel a location=/_aigw/m/s429none;
    aigw_channel b location=/_aigw/m/s429past;
    aigw_model m1 a;
    aigw_model m2 b;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m1","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"m2","messages":[]})]
--- error_code eval
[429, 429]
--- response_body eval
[::err('The upstream channel tried for model `m1` failed; the last answered HTTP 429.', 'rate_limit_error', 'rate_limit_exceeded'),
 ::err('The upstream channel tried for model `m2` failed; the last answered HTTP 429.', 'rate_limit_error', 'rate_limit_exceeded')]
--- response_headers eval
["!Retry-After", "!Retry-After"]
--- error_log
aigw: channel "a" answered HTTP 429 for model "m1" (attempt 1, retry after 0ms)
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 47: a 429 first and a 503 last: the last decides (503, no Retry-After)
--- http_config
    aigw_channel a location=/_aigw/m/s429;
    aigw_channel b location=/_aigw/m/s503;
    aigw_model m a b;
--- config
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions
{"model":"m","messages":[]}
--- error_code: 503
--- response_body eval
::err('All 2 upstream channels tried for model `m` failed; the last answered HTTP 503.', 'api_error', 'all_channels_failed')
--- response_headers
!Retry-After
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 48: the last channel refused the connection: 502, "could not be reached"
--- http_config
    aigw_channel a location=/_aigw/m/s503;
    aigw_channel b location=/_aigw/refused;
    aigw_model m a b;
--- config
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions
{"model":"m","messages":[]}
--- error_code: 502
--- response_body eval
::err('All 2 upstream channels tried for model `m` failed; the last could not be reached.', 'api_error', 'all_channels_failed')
--- error_log
connect() failed (111: Connection refused)
aigw: channel "b" could not be reached for model "m" (attempt 2,
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 49: the last channel timed out: 504, "did not respond in time"
--- http_config
    aigw_channel a location=/_aigw/refused;
    aigw_channel b location=/_aigw/m/slow;
    aigw_model m a b;
--- config
    location /v1/ {
        aigw on;
    }
--- request
POST /v1/chat/completions
{"model":"m","messages":[]}
--- error_code: 504
--- response_body eval
::err('All 2 upstream channels tried for model `m` failed; the last did not respond in time.', 'api_error', 'all_channels_failed')
--- error_log
upstream timed out
aigw: channel "b" timed out for model "m" (attempt 2,
--- no_error_log
[alert]
[crit]
[emerg]
--- wait: 1.5



=== TEST 50: a model name that needs escaping is escaped in the all-failed message
--- http_config
    aigw_channel a location=/_aigw/m/s503;
    aigw_model 'we"ird\\name' a;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
"POST /v1/chat/completions\n" . q({"model":"we\"ird\\\\name","messages":[]})
--- error_code: 503
--- response_body eval
::err('The upstream channel tried for model `we\"ird\\\\name` failed; the last answered HTTP 503.', 'api_error', 'all_channels_failed')
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 51: one keep-alive connection: a fallback, an all-failed error, a fallback, a 404, in a row
--- http_config
    aigw_channel a location=/_aigw/m/s503 max_fails=0;
    aigw_channel b location=/_aigw/echo2;
    aigw_channel c location=/_aigw/m/s500;
    aigw_model m a b;
    aigw_model d c;
--- config
    location /v1/ {
        aigw on;
    }
--- pipelined_requests eval
["POST /v1/chat/completions\n" . q({"model":"m"}),
 "POST /v1/chat/completions\n" . q({"model":"d"}),
 "POST /v1/chat/completions\n" . q({"model":"m","n":2}),
 "POST /v1/chat/completions\n" . q({"model":"x"})]
--- error_code eval
[200, 502, 200, 404]
--- response_body eval
["echo2 POST /v1/chat/completions\n" . q({"model":"m"}),
 ::err('The upstream channel tried for model `d` failed; the last answered HTTP 500.', 'api_error', 'all_channels_failed'),
 "echo2 POST /v1/chat/completions\n" . q({"model":"m","n":2}),
 ::err('The model `x` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found')]
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 52: aigw_fallback_attempts 1: one channel is tried, the next never asked
--- http_config
    aigw_channel a location=/_aigw/m/s503;
    aigw_channel b location=/_aigw/echo2;
    aigw_model m a b;
--- config
    location /v1/ {
        aigw on;
        aigw_fallback_attempts 1;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}), "GET /mocklog"]
--- error_code eval
[503, 200]
--- response_body eval
[::err('The upstream channel tried for model `m` failed; the last answered HTTP 503.', 'api_error', 'all_channels_failed'),
 "21986 POST /s503/v1/chat/completions -\n"]
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 53: aigw_fallback_attempts 2 of 3 channels (inherited from the server level)
--- http_config
    aigw_channel a location=/_aigw/m/s503;
    aigw_channel b location=/_aigw/m/s500;
    aigw_channel c location=/_aigw/echo3;
    aigw_model m a b c;
--- config
    aigw_fallback_attempts 2;
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}), "GET /mocklog"]
--- error_code eval
[502, 200]
--- response_body eval
[::err('All 2 upstream channels tried for model `m` failed; the last answered HTTP 500.', 'api_error', 'all_channels_failed'),
 "21986 POST /s503/v1/chat/completions -\n21986 POST /s500/v1/chat/completions -\n"]
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 54: aigw_fallback_timeout: no new attempt once it has passed
--- http_config
    aigw_channel a location=/_aigw/m/slow;
    aigw_channel b location=/_aigw/echo2;
    aigw_model m a b;
--- config
    location /v1/ {
        aigw on;
        aigw_fallback_timeout 200ms;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}), "GET /mocklog"]
--- error_code eval
[504, 200]
--- response_body_like eval
[::exactly(::err('The upstream channel tried for model `m` failed; the last did not respond in time.', 'api_error', 'all_channels_failed')),
 qr{\A(?:21986 POST /slow/v1/chat/completions -\n)?\z}]
--- error_log
aigw: aigw_fallback_timeout passed for model "m" after 1 attempts
--- no_error_log
[alert]
[crit]
[emerg]
--- wait: 1.5



=== TEST 55: aigw_fallback_timeout not yet passed: the next channel is tried
--- http_config
    aigw_channel a location=/_aigw/m/s503;
    aigw_channel b location=/_aigw/echo2;
    aigw_model m a b;
--- config
    location /v1/ {
        aigw on;
        aigw_fallback_timeout 5s;
    }
--- request
POST /v1/chat/completions
{"model":"m","messages":[]}
--- response_body eval
"echo2 POST /v1/chat/completions\n" . q({"model":"m","messages":[]})



=== TEST 56: the lowest priority value goes first, whatever the order in aigw_model; fallback stays in the tier first
--- http_config
    aigw_channel low location=/_aigw/echo3 priority=2;
    aigw_channel a1 location=/_aigw/m/s503 priority=1;
    aigw_channel a2 location=/_aigw/m/s500 priority=1;
    aigw_channel mid location=/_aigw/echo2 priority=1;
    aigw_channel top location=/_aigw/echo1 priority=0;
    aigw_model m1 low top;
    aigw_model m2 low a1 a2 mid;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m1","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"m1","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"m2","messages":[]}),
 "GET /mocklog"]
--- response_body eval
["echo1 POST /v1/chat/completions\n" . q({"model":"m1","messages":[]}),
 "echo1 POST /v1/chat/completions\n" . q({"model":"m1","messages":[]}),
 "echo2 POST /v1/chat/completions\n" . q({"model":"m2","messages":[]}),
 "21985 POST /v1/chat/completions echo1\n21985 POST /v1/chat/completions echo1\n"
 . "21986 POST /s503/v1/chat/completions -\n21986 POST /s500/v1/chat/completions -\n"
 . "21985 POST /v1/chat/completions echo2\n"]



=== TEST 57: when the whole tier is down, the next tier serves
--- http_config
    aigw_channel a location=/_aigw/m/s503;
    aigw_channel b location=/_aigw/refused;
    aigw_channel backup location=/_aigw/echo3 priority=5;
    aigw_model m a b backup;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "GET /mocklog"]
--- response_body eval
["echo3 POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "echo3 POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 # a and b failed once each (max_fails=1): the second request goes to the backup at once.
 "21986 POST /s503/v1/chat/completions -\n21985 POST /v1/chat/completions echo3\n21985 POST /v1/chat/completions echo3\n"]
--- error_log
connect() failed
--- no_error_log
[alert]
[crit]
[emerg]
aigw: all



=== TEST 58: smooth weighted round-robin within a tier: weights 1 and 2 give b a b, b a b
--- http_config
    aigw_channel a location=/_aigw/echo1 weight=1;
    aigw_channel b location=/_aigw/echo2 weight=2;
    aigw_model m a b;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
[map { "POST /v1/chat/completions\n" . q({"model":"m","messages":[]}) } 1 .. 6]
--- response_body eval
[map { "echo$_ POST /v1/chat/completions\n" . q({"model":"m","messages":[]}) } 2, 1, 2, 2, 1, 2]



=== TEST 59: a channel that failed max_fails times is skipped; when every channel is aside one is tried anyway
--- http_config
    aigw_channel a location=/_aigw/m/s503 max_fails=2 fail_timeout=30s;
    aigw_model m a;
--- config
    location /v1/ {
        aigw on;
    }
    location = /errlog {
        alias logs/error.log;
    }
--- request eval
[(map { "POST /v1/chat/completions\n" . q({"model":"m","messages":[]}) } 1 .. 3), "GET /mocklog", "GET /errlog"]
--- error_code eval
[503, 503, 503, 200, 200]
--- response_body_like eval
[(map { ::exactly(::err('The upstream channel tried for model `m` failed; the last answered HTTP 503.', 'api_error', 'all_channels_failed')) } 1 .. 3),
 ::exactly("21986 POST /s503/v1/chat/completions -\n" x 3),
 # Only the third request found the channel aside (two failures), and tried it anyway.
 qr{\A(?:(?!set aside).)*\[warn\][^\n]*aigw: every channel for model "m" is set aside; trying "a" anyway(?:(?!set aside).)*\z}s]
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 60: a server-level table serves every location without one; a location with its own aigw_model lines has only those
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_channel b location=/_aigw/echo2;
--- config
    aigw_model m a:up-a;
    aigw_model other a;
    location /v1/ {
        aigw on;
    }
    location /alt/ {
        aigw on;
        aigw_model m b:up-b;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"other","messages":[]}),
 "POST /alt/v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "POST /alt/v1/chat/completions\n" . q({"model":"other","messages":[]}),
 "GET /alt/v1/models"]
--- error_code eval
[200, 200, 200, 404, 200]
--- response_body_like eval
[::exactly("echo1 POST /v1/chat/completions\n" . q({"model":"up-a","messages":[]})),
 ::exactly("echo1 POST /v1/chat/completions\n" . q({"model":"other","messages":[]})),
 ::exactly("echo2 POST /v1/chat/completions\n" . q({"model":"up-b","messages":[]})),
 ::exactly(::err('The model `other` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found')),
 qr{\A\{"object":"list","data":\[\{"id":"m","object":"model","created":\d+,"owned_by":"system"\}\]\}\z}]



=== TEST 61: an http-level table reaches every server; one server replaces it
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_channel b location=/_aigw/echo2;
    aigw_model m a;
    server {
        listen 127.0.0.1:21987;
        aigw_model n b;
        location /v1/ {
            aigw on;
        }
        location /_aigw/echo2/ {
            internal;
            proxy_pass http://127.0.0.1:21985/;
            proxy_set_header X-Loc echo2-in-other-server;
        }
    }
--- config
    location /v1/ {
        aigw on;
    }
    location /other/ {
        proxy_pass http://127.0.0.1:21987/;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "POST /other/v1/chat/completions\n" . q({"model":"n","messages":[]}),
 "POST /other/v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"n","messages":[]})]
--- error_code eval
[200, 200, 404, 404]
--- response_body eval
["echo1 POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "echo2-in-other-server POST /v1/chat/completions\n" . q({"model":"n","messages":[]}),
 ::err('The model `m` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found'),
 ::err('The model `n` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found')]



=== TEST 62: /v1/models lists the table's exact names in order, not its patterns, without asking a channel
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_channel b location=/_aigw/echo2;
    aigw_model gpt-4o a:gpt-4o-2024-08-06 b;
    aigw_model deepseek-* b;
    aigw_model meta-llama/Llama-3-8B b;
    aigw_model "modèle" a;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["GET /v1/models", "GET /mocklog"]
--- response_body_like eval
# created is when the configuration was read: now, give or take a minute.
my $created = qr/(\d+)(??{ abs($^N - time) <= 60 ? '' : '(*FAIL)' })/;
[qr{\A\{"object":"list","data":\[\{"id":"gpt-4o","object":"model","created":$created,"owned_by":"system"\},\{"id":"meta-llama/Llama-3-8B","object":"model","created":\1,"owned_by":"system"\},\{"id":"modèle","object":"model","created":\1,"owned_by":"system"\}\]\}\z},
 qr{\A\z}]
--- response_headers_like eval
["Content-Type: application/json", "Content-Type: text/plain"]



=== TEST 63: GET /v1/models/{id}: names the table serves (exact, with a slash, or by a pattern); 404 for others
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_model gpt-4o a:gpt-4o-2024-08-06;
    aigw_model deepseek-* a;
    aigw_model meta-llama/Llama-3-8B a;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["GET /v1/models/gpt-4o", "GET /v1/models/deepseek-reasoner", "GET /v1/models/meta-llama/Llama-3-8B",
 "GET /v1/models/gpt-4o-2024-08-06", "GET /v1/models/deepseek", "GET /mocklog"]
--- error_code eval
[200, 200, 200, 404, 404, 200]
--- response_body_like eval
[qr{\A\{"id":"gpt-4o","object":"model","created":\d+,"owned_by":"system"\}\z},
 qr{\A\{"id":"deepseek-reasoner","object":"model","created":\d+,"owned_by":"system"\}\z},
 qr{\A\{"id":"meta-llama/Llama-3-8B","object":"model","created":\d+,"owned_by":"system"\}\z},
 ::exactly(::err('The model `gpt-4o-2024-08-06` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found')),
 ::exactly(::err('The model `deepseek` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found')),
 qr{\A\z}]



=== TEST 64: HEAD /v1/models and /v1/models/{id} with a table: the statuses, no body
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_model m a;
--- config
    location /v1/ {
        aigw on;
    }
--- request eval
["HEAD /v1/models", "HEAD /v1/models/m", "HEAD /v1/models/zz"]
--- error_code eval
[200, 200, 404]
--- response_body eval
["", "", ""]



=== TEST 65: the routing variables in the access log: fallback, a direct answer, an unknown model, all channels failed
--- http_config
    log_format rt '$aigw_model|$aigw_upstream_model|$aigw_channel|$aigw_attempts|$aigw_upstream_status|$status';
    aigw_channel a location=/_aigw/m/s503;
    aigw_channel b location=/_aigw/echo2;
    aigw_channel c location=/_aigw/m/s500;
    aigw_channel d location=/_aigw/m/s503;
    aigw_model m a:up-a b:up-b;
    aigw_model direct b;
    aigw_model doomed d c:up-c;
--- config
    location /v1/ {
        aigw on;
        access_log logs/rt.log rt;
    }
    location = /rtlog {
        alias logs/rt.log;
    }
--- request eval
["POST /v1/chat/completions\n" . q({"model":"m","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"direct","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"nope","messages":[]}),
 "POST /v1/chat/completions\n" . q({"model":"doomed","messages":[]}),
 "GET /rtlog"]
--- error_code eval
[200, 200, 404, 502, 200]
--- response_body_like eval
[qr/^echo2 /, qr/^echo2 /, qr/model_not_found/, qr/all_channels_failed/,
 ::exactly("m|up-b|b|2|200|200\n" . "direct|direct|b|1|200|200\n" . "nope|-|-|-|-|404\n" . "doomed|up-c|c|2|500|502\n")]
--- no_error_log
[alert]
[crit]
[emerg]
