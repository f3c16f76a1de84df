# nginx -t and client keys: aigw_keys, aigw_key_cache and aigw_redis_fail refuse a
# configuration they cannot work with, naming the directive. Keys at run time are t/060 and
# t/061.
#
# Like every block of t/060, each block asserts that error.log has no [error] or [alert] and no
# client key (the keys files' fixture keys all contain "Fixture").

use lib 't/lib';
use Test::AIGW 'redis';

repeat_each(1);
no_shuffle();

run_tests();

__DATA__

=== TEST 1: aigw_keys on without aigw_redis
--- config
    location /v1/ {
        aigw on;
        aigw_keys on;
        aigw_pass /_aigw/openai;
    }
--- must_die
--- error_log
"aigw_keys on" needs "aigw_redis" at the http level
--- no_error_log
[error]
[alert]
Fixture



=== TEST 2: aigw_key_cache without aigw_redis
--- http_config
    aigw_key_cache zone=aigw_keys:1m;
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
--- must_die
--- error_log
"aigw_key_cache" needs "aigw_redis"
--- no_error_log
[error]
[alert]
Fixture



=== TEST 3: a bad aigw_redis_fail value
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_redis_fail open;
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
--- must_die
--- error_log
invalid value "open"
--- no_error_log
[error]
[alert]
Fixture
