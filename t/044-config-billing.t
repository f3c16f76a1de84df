# nginx -t and billing: aigw_billing, aigw_quota_alerts, aigw_rpm and aigw_reserve_tokens refuse
# what they cannot bill with, naming the directive and the value. Billing at run time is t/082,
# t/083 and t/084.

use lib 't/lib';
use Test::AIGW 'redis';

repeat_each(1);
no_shuffle();

run_tests();

__DATA__

=== TEST 1: aigw_billing on without aigw_redis
--- http_config
    aigw_billing on;
--- must_die
--- error_log
"aigw_billing on" needs "aigw_redis"



=== TEST 2: a lease shorter than four flushes
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_billing on flush=1s lease=2s;
--- must_die
--- error_log
lease=2000ms must be at least four times flush=1000ms



=== TEST 3: aigw_billing takes on or off
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_billing maybe;
--- must_die
--- error_log
invalid "aigw_billing" value "maybe"



=== TEST 4: aigw_billing: an unknown parameter
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_billing on every=1s;
--- must_die
--- error_log
invalid "aigw_billing" parameter "every=1s"



=== TEST 5: aigw_quota_alerts: a threshold of 0
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_quota_alerts 0;
--- must_die
--- error_log
invalid "aigw_quota_alerts" threshold "0"



=== TEST 6: aigw_quota_alerts: a threshold over 100%
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_quota_alerts 80 101%;
--- must_die
--- error_log
invalid "aigw_quota_alerts" threshold "101%"



=== TEST 7: aigw_rpm takes a number
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_rpm -5;
--- must_die
--- error_log
"aigw_rpm" directive invalid number



=== TEST 8: aigw_reserve_tokens takes a number
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_reserve_tokens lots;
--- must_die
--- error_log
invalid "aigw_reserve_tokens" value "lots"



=== TEST 9: aigw_reserve_tokens: an unknown parameter
--- http_config
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_reserve_tokens 1024 sometimes;
--- must_die
--- error_log
invalid "aigw_reserve_tokens" parameter "sometimes"
