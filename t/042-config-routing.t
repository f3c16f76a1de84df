# nginx -t and routing: aigw_channel, aigw_model, aigw_response_model, aigw_fallback_attempts,
# aigw_fallback_timeout and aigw_anthropic_max_tokens refuse what they cannot route with, naming
# the directive and the channel, model or value. Routing at run time is t/070 and t/071.

use lib 't/lib';
use Test::AIGW;

repeat_each(1);
no_shuffle();

run_tests();

__DATA__

=== TEST 1: aigw_model naming an unknown channel
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_model gpt-4o x:y;
--- config
    location /v1/ {
        aigw on;
    }
--- request
GET /t
--- must_die
--- error_log
invalid "aigw_model": unknown channel "x" in "x:y" (channels are declared with "aigw_channel" at the http level, before the models that use them)



=== TEST 2: a channel declared after the model that uses it is unknown there
--- http_config
    aigw_model gpt-4o a;
    aigw_channel a location=/_aigw/echo1;
--- config
    location /v1/ {
        aigw on;
    }
--- request
GET /t
--- must_die
--- error_log
invalid "aigw_model": unknown channel "a" in "a" (channels are declared with "aigw_channel" at the http level, before the models that use them)



=== TEST 3: the same model twice in one table
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_channel b location=/_aigw/echo2;
--- config
    location /v1/ {
        aigw on;
        aigw_model gpt-4o a;
        aigw_model gpt-4o b;
    }
--- request
GET /t
--- must_die
--- error_log
invalid "aigw_model": duplicate model "gpt-4o"



=== TEST 4: the same channel twice
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_channel a location=/_aigw/echo2;
--- config
    location /v1/ {
        aigw on;
        aigw_model gpt-4o a;
    }
--- request
GET /t
--- must_die
--- error_log
duplicate channel "a"



=== TEST 5: a channel without location=
--- http_config
    aigw_channel a weight=2;
--- config
    location /v1/ {
        aigw_pass /_aigw/echo1;
        aigw on;
    }
--- request
GET /t
--- must_die
--- error_log
channel "a" needs location=/prefix (an internal location with proxy_pass)



=== TEST 6: weight=0
--- http_config
    aigw_channel a location=/_aigw/echo1 weight=0;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a;
    }
--- request
GET /t
--- must_die
--- error_log
invalid value in "weight=0" for channel "a"



=== TEST 7: bad numbers and times in channel parameters
--- http_config
    aigw_channel a location=/_aigw/echo1 priority=-1;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a;
    }
--- request
GET /t
--- must_die
--- error_log
invalid value in "priority=-1" for channel "a"



=== TEST 8: fail_timeout=0
--- http_config
    aigw_channel a location=/_aigw/echo1 max_fails=3 fail_timeout=0;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a;
    }
--- request
GET /t
--- must_die
--- error_log
invalid value in "fail_timeout=0" for channel "a"



=== TEST 9: an unknown provider
--- http_config
    aigw_channel a location=/_aigw/echo1 provider=claude;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a;
    }
--- request
GET /t
--- must_die
--- error_log
unknown provider "claude" for channel "a": the providers are openai, anthropic, gemini (openai: any OpenAI-compatible upstream)



=== TEST 10: an unknown channel parameter
--- http_config
    aigw_channel a location=/_aigw/echo1 backup;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a;
    }
--- request
GET /t
--- must_die
--- error_log
invalid parameter "backup" for channel "a"



=== TEST 11: location= that is not a path
--- http_config
    aigw_channel a location=http://127.0.0.1:21985;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a;
    }
--- request
GET /t
--- must_die
--- error_log
invalid value in "location=http://127.0.0.1:21985" for channel "a"



=== TEST 12: a channel name with a character outside [A-Za-z0-9_.-]
--- http_config
    aigw_channel a:b location=/_aigw/echo1;
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/echo1;
    }
--- request
GET /t
--- must_die
--- error_log
invalid channel name "a:b": use letters, digits, '_', '-', '.'



=== TEST 13: aigw_model without a channel
--- http_config
    aigw_channel a location=/_aigw/echo1;
--- config
    location /v1/ {
        aigw on;
        aigw_model gpt-4o;
    }
--- request
GET /t
--- must_die
--- error_log
invalid number of arguments in "aigw_model" directive



=== TEST 14: '*' anywhere but at the end of a model name
--- http_config
    aigw_channel a location=/_aigw/echo1;
--- config
    location /v1/ {
        aigw on;
        aigw_model gpt-*-mini a;
    }
--- request
GET /t
--- must_die
--- error_log
invalid "aigw_model": model pattern "gpt-*-mini": '*' is allowed only at the end



=== TEST 15: '*' in an upstream name
--- http_config
    aigw_channel a location=/_aigw/echo1;
--- config
    location /v1/ {
        aigw on;
        aigw_model gpt-* a:gpt-*;
    }
--- request
GET /t
--- must_die
--- error_log
invalid "aigw_model": upstream model "gpt-*": '*' is not supported



=== TEST 16: one channel twice for a model
--- http_config
    aigw_channel a location=/_aigw/echo1;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a:x a:y;
    }
--- request
GET /t
--- must_die
--- error_log
invalid "aigw_model": channel "a" is listed twice for model "m"



=== TEST 17: an empty upstream name after ':'
--- http_config
    aigw_channel a location=/_aigw/echo1;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a:;
    }
--- request
GET /t
--- must_die
--- error_log
invalid "aigw_model": empty upstream model after ':' in "a:"



=== TEST 18: aigw_channel is an http-level directive
--- config
    aigw_channel a location=/_aigw/echo1;
    location /v1/ {
        aigw on;
        aigw_model m a;
    }
--- request
GET /t
--- must_die
--- error_log
"aigw_channel" directive is not allowed here



=== TEST 19: aigw_response_model takes public or upstream (NGINX's own message)
--- http_config
    aigw_channel a location=/_aigw/echo1;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a;
        aigw_response_model client;
    }
--- request
GET /t
--- must_die
--- error_log
invalid value "client" in



=== TEST 20: aigw_fallback_attempts takes a number
--- http_config
    aigw_channel a location=/_aigw/echo1;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a;
        aigw_fallback_attempts many;
    }
--- request
GET /t
--- must_die
--- error_log
"aigw_fallback_attempts" directive invalid number



=== TEST 21: aigw_fallback_timeout takes a time
--- http_config
    aigw_channel a location=/_aigw/echo1;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a;
        aigw_fallback_timeout soon;
    }
--- request
GET /t
--- must_die
--- error_log
"aigw_fallback_timeout" directive invalid value



=== TEST 22: aigw_anthropic_max_tokens at every level, the bounds included
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_anthropic_max_tokens 8192;
--- config
    aigw_anthropic_max_tokens 1;
    location /v1/ {
        aigw on;
        aigw_model m a;
        aigw_anthropic_max_tokens 1000000;
    }
--- request
GET /v1/models/m
--- error_code: 200
--- response_body_like: "id":"m"



=== TEST 23: aigw_anthropic_max_tokens 0: Anthropic needs at least one token
--- http_config
    aigw_channel a location=/_aigw/echo1;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a;
        aigw_anthropic_max_tokens 0;
    }
--- request
GET /t
--- must_die
--- error_log
invalid "aigw_anthropic_max_tokens" value "0": a number of tokens from 1 to 1000000



=== TEST 24: aigw_anthropic_max_tokens above the bound
--- http_config
    aigw_channel a location=/_aigw/echo1;
    aigw_anthropic_max_tokens 1000001;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a;
    }
--- request
GET /t
--- must_die
--- error_log
invalid "aigw_anthropic_max_tokens" value "1000001": a number of tokens from 1 to 1000000



=== TEST 25: aigw_anthropic_max_tokens -1 is not a number of tokens
--- http_config
    aigw_channel a location=/_aigw/echo1;
--- config
    aigw_anthropic_max_tokens -1;
    location /v1/ {
        aigw on;
        aigw_model m a;
    }
--- request
GET /t
--- must_die
--- error_log
"aigw_anthropic_max_tokens" directive invalid number



=== TEST 26: aigw_anthropic_max_tokens takes a number
--- http_config
    aigw_channel a location=/_aigw/echo1;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a;
        aigw_anthropic_max_tokens abc;
    }
--- request
GET /t
--- must_die
--- error_log
"aigw_anthropic_max_tokens" directive invalid number



=== TEST 27: aigw_anthropic_max_tokens given twice in one block
--- http_config
    aigw_channel a location=/_aigw/echo1;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a;
        aigw_anthropic_max_tokens 8192;
        aigw_anthropic_max_tokens 4096;
    }
--- request
GET /t
--- must_die
--- error_log
"aigw_anthropic_max_tokens" directive is duplicate



=== TEST 28: responses= takes on or off
--- http_config
    aigw_channel a location=/_aigw/echo1 responses=yes;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a;
    }
--- request
GET /t
--- must_die
--- error_log
invalid value in "responses=yes" for channel "a"



=== TEST 29: only an OpenAI channel can serve the Responses API
--- http_config
    aigw_channel a location=/_aigw/echo1 provider=anthropic responses=on;
--- config
    location /v1/ {
        aigw on;
        aigw_model m a;
    }
--- request
GET /t
--- must_die
--- error_log
responses=on for channel "a": only an OpenAI channel's upstream can serve the Responses API
