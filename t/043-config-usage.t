# nginx -t and usage records and prices: aigw_usage_log, aigw_price and aigw_price_missing refuse
# what they cannot record or price with, naming the directive (and the model). Usage records
# and prices at run time are t/080, t/081 and t/086.

use lib 't/lib';
use Test::AIGW 'redis';

repeat_each(1);
no_shuffle();

run_tests();

__DATA__

=== TEST 1: aigw_usage_log redis needs aigw_redis
--- http_config
    aigw_usage_log redis;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
"aigw_usage_log redis" needs "aigw_redis"



=== TEST 2: aigw_usage_log: an unknown target
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_usage_log file;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_usage_log" target "file": "redis" or "off"



=== TEST 3: aigw_usage_log: an unknown parameter
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_usage_log redis maxlen=10 size=5;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_usage_log" parameter "size=5"



=== TEST 4: aigw_usage_log: queue=0
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_usage_log redis queue=0;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_usage_log" value "queue=0"



=== TEST 5: aigw_usage_log: maxlen not a number
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_usage_log redis maxlen=1e6;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_usage_log" value "maxlen=1e6"



=== TEST 6: aigw_usage_log off takes no parameters
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_usage_log off maxlen=5;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
"aigw_usage_log off" takes no parameters



=== TEST 7: aigw_usage_log twice
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_usage_log redis;
    aigw_usage_log off;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
"aigw_usage_log" directive is duplicate



=== TEST 8: aigw_usage_log is an http-level directive only
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    aigw_usage_log off;
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
"aigw_usage_log" directive is not allowed here



=== TEST 9: aigw_price: more than 6 decimals (below a micro-dollar) is refused
--- http_config
    aigw_price o1 input=1.0000001 output=2;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "o1": invalid input "1.0000001"



=== TEST 10: aigw_price: a signed price is refused
--- http_config
    aigw_price o1 input=-1 output=2;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "o1": invalid input "-1"



=== TEST 11: aigw_price: output= missing
--- http_config
    aigw_price o1 input=2.5 cached_input=1.25;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "o1": needs input and output (or request)



=== TEST 12: aigw_price: the same model twice
--- http_config
    aigw_price o1 input=15 output=60;
    aigw_price o1 input=1 output=2;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price": duplicate price for model "o1"



=== TEST 13: aigw_price: an unknown parameter
--- http_config
    aigw_price o1 input=15 output=60 discount=5;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "o1": unknown field "discount"



=== TEST 14: aigw_price is an http-level directive only
--- config
    aigw_price o1 input=15 output=60;
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
"aigw_price" directive is not allowed here



=== TEST 15: aigw_price_missing: deny or free
--- http_config
    aigw_price o1 input=15 output=60;
    aigw_price_missing allow;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid value "allow"



=== TEST 16: aigw_price: a cache_write price that is not USD is refused, naming the field
--- http_config
    aigw_price sonnet-x input=3 output=15 cache_write=3.75.0;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "sonnet-x": invalid cache_write "3.75.0": a price in USD with at most 6 decimals



=== TEST 17: aigw_price: a signed cache_write price is refused
--- http_config
    aigw_price sonnet-x input=3 output=15 cache_write=-1;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "sonnet-x": invalid cache_write "-1"



=== TEST 18: aigw_price: cache_write= without a value is refused
--- http_config
    aigw_price sonnet-x input=3 output=15 cache_write=;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "sonnet-x": invalid cache_write ""



=== TEST 19: aigw_price: cache_write alone is not a price
--- http_config
    aigw_price sonnet-x cache_write=3.75 cached_input=0.3;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "sonnet-x": needs input and output (or request)
