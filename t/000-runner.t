# Self-test of the test runner with stock NGINX features only: each block
# exercises one runner feature with an expectation that a broken runner (or a
# wrong expectation) would fail.

use lib 't/lib';
use Test::AIGW;

repeat_each(2);
no_shuffle();

run_tests();

__DATA__

=== TEST 1: return with a body, default status and headers
--- config
    location = /t {
        return 200 "hello, runner\n";
    }
--- request
GET /t
--- response_body
hello, runner
--- response_headers
Content-Type: text/plain
Content-Length: 14
!X-Not-There



=== TEST 2: response_headers presence and absence
--- config
    location = /t {
        add_header X-Foo "bar baz";
        add_header X-Multi one;
        add_header X-Multi two;
        return 204;
    }
--- request
GET /t
--- error_code: 204
--- response_headers
X-Foo: bar baz
X-Multi: one, two
!Content-Type
!X-Bar
--- response_headers_like
X-Foo: bar \w+
--- response_body chomp



=== TEST 3: error_code other than 200
--- config
    location = /teapot {
        return 418 "short and stout\n";
    }
--- request
GET /teapot
--- error_code: 418
--- response_body_like: ^short and stout$



=== TEST 4: a delayed, flushed reply from echo arrives whole (chunked)
--- config
    location = /slow {
        echo "first";
        echo_flush;
        echo_sleep 0.2;
        echo "second";
    }
--- request
GET /slow
--- timeout: 3
--- response_headers
Transfer-Encoding: chunked
--- response_body
first
second



=== TEST 5: proxy to a mock upstream whose reply comes in several packets
--- config
    location = /up {
        proxy_pass http://127.0.0.1:1985/mocked;
    }
--- tcp_listen: 1985
--- tcp_query eval
"GET /mocked HTTP/1.0\r
Host: 127.0.0.1:1985\r
Connection: close\r
\r
"
--- tcp_reply eval
["HTTP/1.1 200 OK\r\nContent-Ty", "pe: text/plain\r\nContent-Length: 23\r\n\r\nhello, ",
 "split ", "\xe4\xb8", "\x96 world\n"]
--- tcp_reply_delay: 50ms
--- request
GET /up
--- response_headers
Content-Type: text/plain
--- response_body eval
"hello, split \xe4\xb8\x96 world\n"



=== TEST 6: error_log expects an [error] line
--- config
    location /missing/ {
        root $TEST_NGINX_HTML_DIR;
    }
--- request
GET /missing/nothing-here.txt
--- error_code: 404
--- error_log
open() "
No such file or directory
--- response_body_like: 404 Not Found



=== TEST 7: more_headers reach the server
--- config
    location = /h {
        return 200 "token=$http_x_token agent=$http_user_agent host=$host\n";
    }
--- more_headers
X-Token: abc123
User-Agent: aigw-runner
--- request
GET /h
--- response_body
token=abc123 agent=aigw-runner host=localhost



=== TEST 8: eval request list, one expectation per request
--- config
    location /echo/ {
        echo "path=$uri method=$request_method";
    }
--- request eval
["GET /echo/a", "DELETE /echo/b"]
--- response_body eval
["path=/echo/a method=GET\n", "path=/echo/b method=DELETE\n"]
--- error_code eval
[200, 200]



=== TEST 9: eval request with a body
--- config
    location = /body {
        echo_read_request_body;
        echo "len=$http_content_length body=[$request_body]";
    }
--- request eval
"POST /body\n" . "x" x 10 . "-" . "y" x 5
--- response_body
len=16 body=[xxxxxxxxxx-yyyyy]



=== TEST 10: client abort after the timeout is not a failure
--- config
    location = /stall {
        echo "start";
        echo_flush;
        echo_sleep 2;
        echo "end";
    }
--- request
GET /stall HTTP/1.0
--- timeout: 300ms
--- abort
--- response_body
start



=== TEST 11: grep_error_log collects the matching part of lines
--- config
    location /gone/ {
        root /nonexistent-aigw-dir;
    }
--- request
GET /gone/file.txt
--- error_code: 404
--- error_log
No such file or directory
--- grep_error_log eval
qr/open\(\) "[^"]+" failed/
--- grep_error_log_out
open() "/nonexistent-aigw-dir/gone/file.txt" failed



=== TEST 12: raw_request is sent as is
--- config
    location = /raw {
        return 200 "method=$request_method proto=$server_protocol\n";
    }
--- raw_request eval
"PUT /raw HTTP/1.0\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
--- response_body
method=PUT proto=HTTP/1.0



=== TEST 13: pipelined requests on one connection
--- config
    location /p/ {
        return 200 "$uri\n";
    }
--- pipelined_requests eval
["GET /p/one", "GET /p/two"]
--- response_body eval
["/p/one\n", "/p/two\n"]



=== TEST 14: a large POST reaches the mock whole; the reply is built from it
--- config
    location = /up {
        proxy_pass http://127.0.0.1:1985/echo;
    }
--- tcp_listen: 1985
--- tcp_query_len eval
length("POST /echo HTTP/1.0\r\nHost: 127.0.0.1:1985\r\nConnection: close\r\n"
       . "Content-Length: 20000\r\n\r\n") + 20000
--- tcp_reply eval
sub {
    my ($query) = @_;
    my ($body) = $query =~ /\r\n\r\n(.*)\z/s;
    return ["HTTP/1.1 200 OK\r\nContent-Length: " . (length($body) + 8) . "\r\n\r\n",
            "upstream", $body];
}
--- request eval
"POST /up\n" . ("0123456789" x 2000)
--- response_body eval
"upstream" . ("0123456789" x 2000)



=== TEST 15: an upstream that closes without replying gives 502 and an [error]
--- config
    location = /up {
        proxy_pass http://127.0.0.1:1985;
    }
--- tcp_listen: 1985
--- tcp_shutdown: 1
--- request
GET /up
--- error_code: 502
--- error_log
upstream prematurely closed connection
--- no_error_log
[alert]
[crit]



=== TEST 16: chomp and chop filters apply in order; wait before the log checks
--- config
    location = /t {
        return 200 "no newline";
    }
--- request
GET /t
--- wait: 0.1
--- response_body_like chomp chop
^no newline$X



=== TEST 17: response_body_unlike
--- config
    location = /t {
        return 200 "no newline";
    }
--- request
GET /t
--- response_body_unlike: newline\s*\S
