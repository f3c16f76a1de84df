# nginx -t and usage records and prices: aigw_usage_log, aigw_price, aigw_price_missing and
# aigw_tokenizer refuse what they cannot record, price or count with, naming the directive (and
# the model). Usage records and prices at run time are t/080, t/081 and t/086; exact counts,
# t/087.

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
invalid "aigw_price" for "o1": needs input and output, or request, or image, or video_second



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
invalid "aigw_price" for "sonnet-x": needs input and output, or request, or image, or video_second



=== TEST 20: aigw_tokenizer: an encoding it does not know is refused, naming the directive, the model and the choices
--- http_config
    aigw_tokenizer my-model p50k_base;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_tokenizer" encoding "p50k_base" for "my-model": "o200k_base", "cl100k_base" or "estimate"



=== TEST 21: aigw_tokenizer: a model named twice is refused, whatever the encodings
--- http_config
    aigw_tokenizer my-model cl100k_base;
    aigw_tokenizer my-model o200k_base;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_tokenizer": duplicate model "my-model"



=== TEST 22: aigw_tokenizer: a prefix named twice is refused
--- http_config
    aigw_tokenizer my-* cl100k_base;
    aigw_tokenizer my-* cl100k_base;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_tokenizer": duplicate model "my-*"



=== TEST 23: aigw_tokenizer: '*' only at the end, as in aigw_model and aigw_price
--- http_config
    aigw_tokenizer my-*-x o200k_base;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_tokenizer": model pattern "my-*-x": '*' is allowed only at the end



=== TEST 24: aigw_tokenizer: a model and an encoding, no more
--- http_config
    aigw_tokenizer my-model;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid number of arguments in "aigw_tokenizer" directive



=== TEST 25: aigw_tokenizer: http level only
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; aigw_tokenizer my-model cl100k_base; }
--- must_die
--- error_log
"aigw_tokenizer" directive is not allowed here



=== TEST 26: aigw_tokenizer: names, prefixes and the three encodings load, and the master builds the tokenizer's indexes
--- http_config
    aigw_channel openai location=/_aigw/openai;
    aigw_tokenizer my-model cl100k_base;
    aigw_tokenizer my-* o200k_base;
    aigw_tokenizer claude-* estimate;
    aigw_tokenizer * cl100k_base;
--- config
    location /v1/ { aigw on; aigw_model my-model openai; }
--- request
GET /v1/models
--- error_code: 200
--- response_body_like: "id":"my-model"
--- no_error_log
[emerg]
tokenizer's indexes



=== TEST 27: aigw_price: prices per image and per second of video load, alone or with token prices
--- http_config
    aigw_channel openai location=/_aigw/openai;
    aigw_price dall-e-3    image=0.04 image_large=0.08 image_hd=0.08 image_hd_large=0.12;
    aigw_price dall-e-2    image=0.02;
    aigw_price gpt-image-1 input=5 output=40 cached_input=1.25 image=0.042 image_large=0.063 image_hd=0.167 image_hd_large=0.25;
    aigw_price sora-2      video_second=0.10;
    aigw_price sora-2-pro  video_second=0.30 video_second_large=0.50;
    aigw_price gpt-4o      input=2.50 output=10;
--- config
    location /v1/ { aigw on; aigw_model gpt-4o openai; aigw_model dall-e-3 openai; }
--- request
GET /v1/models
--- error_code: 200
--- response_body_like: "id":"dall-e-3"
--- no_error_log
[emerg]
[error]



=== TEST 28: aigw_price: image_hd without image is refused, naming the model and the field
--- http_config
    aigw_price dall-e-3 image_hd=0.08;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "dall-e-3": image_hd needs image too, the price of the sizes and qualities it does not cover



=== TEST 29: aigw_price: token prices do not stand in for image: image_hd_large alone is refused
--- http_config
    aigw_price gpt-image-1 input=5 output=40 image_hd_large=0.25;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "gpt-image-1": image_hd_large needs image too



=== TEST 30: aigw_price: video_second_large without video_second is refused
--- http_config
    aigw_price sora-2-pro video_second_large=0.50;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "sora-2-pro": video_second_large needs video_second too, the price of the sizes it does not cover



=== TEST 31: aigw_price: a per-image price that is not USD is refused, naming the field
--- http_config
    aigw_price dall-e-3 image=0.04 image_large=0.08USD;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "dall-e-3": invalid image_large "0.08USD": a price in USD with at most 6 decimals



=== TEST 32: aigw_price: a per-second price below a micro-dollar is refused
--- http_config
    aigw_price sora-2 video_second=0.1000001;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "sora-2": invalid video_second "0.1000001"



=== TEST 33: aigw_price: a near miss of a media field is an unknown parameter
--- http_config
    aigw_price dall-e-3 image=0.04 image_xl=0.08;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_price" for "dall-e-3": unknown field "image_xl"



=== TEST 34: aigw_usage_log: a journal too small to hold a record is refused
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_usage_log redis journal=1k;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_usage_log" journal size (at least 64k, or off) "journal=1k"



=== TEST 35: aigw_usage_log: a journal size that is not a size is refused
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_usage_log redis journal=lots;
--- config
    location /v1/ { aigw on; aigw_pass /_aigw/openai; }
--- must_die
--- error_log
invalid "aigw_usage_log" journal size (at least 64k, or off) "journal=lots"



=== TEST 36: aigw_usage_log: journal=off and a journal size with a path are accepted
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_usage_log redis queue=100 journal=1m journal_path=aigw_journal_test;
--- config
    location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- no_error_log
[emerg]
