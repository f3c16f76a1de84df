# Configuration mistakes fail `nginx -t` with a message naming the directive. This file: the
# gateway's location (aigw, aigw_pass, aigw_error_pages); each feature's directives have the
# file after it: 041 keys, 042 routing, 043 usage records and prices, 044 billing.

use lib 't/lib';
use Test::AIGW;

repeat_each(1);
no_shuffle();

run_tests();

__DATA__

=== TEST 1: aigw on without a model table or aigw_pass
--- config
    location /v1/ {
        aigw on;
    }
--- request
GET /t
--- must_die
--- error_log
"aigw on" needs a model table ("aigw_model") or "aigw_pass" to name the channel location



=== TEST 2: aigw_pass that is not a path
--- config
    location /v1/ {
        aigw on;
        aigw_pass http://api.openai.com;
    }
--- request
GET /t
--- must_die
--- error_log
invalid "aigw_pass" value "http://api.openai.com": expected the prefix of a location such as /_aigw/openai



=== TEST 3: aigw_pass with a query string
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai?x=1;
    }
--- request
GET /t
--- must_die
--- error_log
invalid "aigw_pass" value "/_aigw/openai?x=1": only a plain path is allowed



=== TEST 4: aigw_pass given twice in one block
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/a;
        aigw_pass /_aigw/b;
    }
--- request
GET /t
--- must_die
--- error_log
"aigw_pass" directive is duplicate



=== TEST 5: aigw is a location directive
--- http_config
    aigw on;
--- config
    location = /t {
        return 200;
    }
--- request
GET /t
--- must_die
--- error_log
"aigw" directive is not allowed here



=== TEST 6: aigw takes on or off
--- config
    location /v1/ {
        aigw yes;
        aigw_pass /_aigw/openai;
    }
--- request
GET /t
--- must_die
--- error_log
invalid value "yes" in "aigw" directive, it must be "on" or "off"



=== TEST 7: aigw_pass inherited from the server level; aigw off in a nested location serves nothing of ours
--- config
    aigw_pass /_aigw/openai;
    location /v1/ {
        aigw on;
        location /v1/files {
            aigw off;
            return 200 "not the gateway\n";
        }
    }
    location /_aigw/openai/ {
        internal;
        return 200 '{"ok":true}';
    }
--- request eval
["GET /v1/models", "GET /v1/files"]
--- response_body eval
['{"ok":true}', "not the gateway\n"]



=== TEST 8: aigw_error_pages takes on or off only
--- config
    aigw_error_pages maybe;
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
--- request
GET /t
--- must_die
--- error_log
invalid value "maybe" in "aigw_error_pages" directive, it must be "on" or "off"
