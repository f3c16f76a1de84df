# The official `openai` npm SDK as the client of the gateway: t/sdk/openai-smoke.mjs runs its
# checks (chat, streaming, embeddings, models, error classes, a stream cut by the upstream,
# 402 and 429 from billing with the SDK's own retries on)
# against NGINX with the module, in front of mock upstreams that speak OpenAI's wire formats.
# Each of its TAP results becomes one result here.
#
# Ports (loopback, fixed):
#   1990  gateway, channel -> 1993 (the mock)
#   1991  gateway, channel -> 1995 (nothing listens: upstream unreachable)
#   1992  gateway, channel -> 1994 (raw TCP server that cuts a chunked SSE body)
#   1993  mock upstream (NGINX + echo, same NGINX process); dispatches on the request's model
#   1994  raw TCP server forked from this file
#   1995  kept closed
#   1996  gateway with a model table: channels -> 1993, and one -> 1995 (dead, tried first)
#   1997  gateway with client keys and billing (a private Redis): 402 and 429 as the SDK sees
#         them

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/lib";

use File::Spec;
use Time::HiRes qw(sleep time);
use Test::More;
use Test::AIGW::Host qw(which);

my $SdkDir;
my $Node;

BEGIN {
    $SdkDir = File::Spec->catdir($FindBin::Bin, 'sdk');
    $Node = which('node');
    if (!$Node) {
        plan skip_all => 'node is not installed (scripts/install-deps installs it)';
    }
    if (!-d File::Spec->catdir($SdkDir, 'node_modules', 'openai')) {
        plan skip_all => "the openai SDK is not installed in $SdkDir/node_modules"
                       . ' (run `npm ci` there, or scripts/install-deps)';
    }
}

use Test::AIGW 'plain', 'redis';
use Test::AIGW::Mock::OpenAI qw(chat_chunk);

my ($GW, $GW_DOWN, $GW_CUT, $MOCK, $CUT, $CLOSED, $GW_ROUTED, $GW_BILLING) =
    (1990, 1991, 1992, 1993, 1994, 1995, 1996, 1997);
my $NodeTimeout = 90;     # the whole SDK run; the script has its own, shorter watchdog

# ---------------------------------------------------------------------------
# The NGINX configuration: three gateway servers and the mock upstream.
#
# Quoting: inside '...' NGINX turns \\ into \ and \" into ", so a JSON string escape \" is
# written \\\" and \n is written \\n below.

my $conf = <<'_EOC_';
    # The mock picks its answer from the request's model (and, for embeddings, the
    # encoding_format), as OpenAI's answer depends on them.
    map $request_body $mock_chat {
        '~"model"\s*:\s*"mock-stream"'    stream;
        '~"model"\s*:\s*"mock-401"'       e401;
        '~"model"\s*:\s*"mock-429"'       e429;
        '~"model"\s*:\s*"no-such-model"'  e404;
        '~"model"\s*:\s*"mock-html-500"'  html500;
        '~"model"\s*:\s*"mock-slow"'      slow;
        default                           ok;
    }
    map $request_body $mock_embeddings {
        '~"encoding_format"\s*:\s*"base64"'  base64;
        '~"encoding_format"\s*:\s*"float"'   float;
        default                              bad;
    }

    # The gateway, with the channel the brief's contract shows.
    server {
        listen 127.0.0.1:1990;
        location /v1/ {
            aigw on;
            aigw_pass /_aigw/openai;
        }
        location /_aigw/openai/ {
            internal;
            proxy_pass http://127.0.0.1:1993/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout 2s;
            proxy_send_timeout 2s;
            proxy_read_timeout 1500ms;
        }
    }

    # Client keys and billing only where asked for (port 1997); the other gateways take any
    # key. Every request there costs 0.01 USD.
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_keys off;
    aigw_price gpt-4o-mini request=0.01;
    aigw_price_missing free;
    server {
        listen 127.0.0.1:1997;
        location /v1/ {
            aigw on;
            aigw_keys on;
            aigw_pass /_aigw/billed;
        }
        location /_aigw/billed/ {
            internal;
            proxy_pass http://127.0.0.1:1993/;
        }
    }

    # A model table: channels declared at the http level, the table in the gateway location.
    aigw_channel sdk_dead location=/_aigw/dead;
    aigw_channel sdk_main location=/_aigw/main priority=1;
    server {
        listen 127.0.0.1:1996;
        location /v1/ {
            aigw on;
            aigw_model smart        sdk_main:gpt-4o-mini;
            aigw_model smart-stream sdk_main:mock-stream;
            aigw_model gpt-4o-mini  sdk_dead sdk_main;
            aigw_model all-down     sdk_dead;
        }
        location /_aigw/dead/ {
            internal;
            proxy_pass http://127.0.0.1:1995/;
            proxy_connect_timeout 2s;
        }
        location /_aigw/main/ {
            internal;
            proxy_pass http://127.0.0.1:1993/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 3s;
        }
    }

    # A channel nobody listens on.
    server {
        listen 127.0.0.1:1991;
        location /v1/ {
            aigw on;
            aigw_pass /_aigw/down;
        }
        location /_aigw/down/ {
            internal;
            proxy_pass http://127.0.0.1:1995/;
            proxy_connect_timeout 2s;
            proxy_read_timeout 3s;
        }
    }

    # A channel whose upstream cuts its SSE stream.
    server {
        listen 127.0.0.1:1992;
        location /v1/ {
            aigw on;
            aigw_pass /_aigw/cut;
        }
        location /_aigw/cut/ {
            internal;
            proxy_pass http://127.0.0.1:1994/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout 2s;
            proxy_read_timeout 3s;
        }
    }

    # The mock upstream: OpenAI's response bodies and headers.
    server {
        listen 127.0.0.1:1993;
        default_type application/json;
        charset_types text/event-stream;
        client_body_buffer_size 64k;
        client_body_in_single_buffer on;
        add_header x-request-id req_mockupstream0001 always;
        add_header openai-version 2020-10-01 always;

        location = /v1/chat/completions {
            echo_read_request_body;
            echo_exec /mock/chat/$mock_chat;
        }
        location = /mock/chat/ok {
            internal;
            return 200 '{"id":"chatcmpl-AIGWmock0001","object":"chat.completion","created":1733000001,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello, \\\"w\u00f6rld\\\"! \u2713\\nBye.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_aigwmock01"}';
        }
        location = /mock/chat/stream {
            internal;
            default_type text/event-stream;
            charset utf-8;
            # role chunk, alone
            echo 'data: {"id":"chatcmpl-AIGWstream01","object":"chat.completion.chunk","created":1733000002,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_aigwmock01","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}';
            echo;
            echo_flush;
            echo_sleep 0.05;
            # two events in one write
            echo 'data: {"id":"chatcmpl-AIGWstream01","object":"chat.completion.chunk","created":1733000002,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_aigwmock01","choices":[{"index":0,"delta":{"content":"Hel"},"logprobs":null,"finish_reason":null}],"usage":null}';
            echo;
            echo 'data: {"id":"chatcmpl-AIGWstream01","object":"chat.completion.chunk","created":1733000002,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_aigwmock01","choices":[{"index":0,"delta":{"content":"lo, "},"logprobs":null,"finish_reason":null}],"usage":null}';
            echo;
            echo_flush;
            # a pause the client must see: the chunks above arrive before it ends
            echo_sleep 0.6;
            # one event split across two writes
            echo -n 'data: {"id":"chatcmpl-AIGWstream01","object":"chat.completion.chunk","created":1733000002,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_aigwmock01","choices":[{"index":0,"delta":{"con';
            echo_flush;
            echo_sleep 0.05;
            echo 'tent":"\\\"w\u00f6rld\\\""},"logprobs":null,"finish_reason":null}],"usage":null}';
            echo;
            echo_flush;
            echo_sleep 0.05;
            echo 'data: {"id":"chatcmpl-AIGWstream01","object":"chat.completion.chunk","created":1733000002,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_aigwmock01","choices":[{"index":0,"delta":{"content":"! ✓\\nBye."},"logprobs":null,"finish_reason":null}],"usage":null}';
            echo;
            echo_flush;
            echo_sleep 0.05;
            echo 'data: {"id":"chatcmpl-AIGWstream01","object":"chat.completion.chunk","created":1733000002,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_aigwmock01","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}';
            echo;
            echo_flush;
            echo_sleep 0.05;
            echo 'data: {"id":"chatcmpl-AIGWstream01","object":"chat.completion.chunk","created":1733000002,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_aigwmock01","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}';
            echo;
            echo_flush;
            echo 'data: [DONE]';
            echo;
        }
        location = /mock/chat/e401 {
            internal;
            return 401 '{"error":{"message":"Incorrect API key provided: sk-upstr*****1234. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}';
        }
        location = /mock/chat/e429 {
            internal;
            return 429 '{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-aigwmock on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}';
        }
        location = /mock/chat/e404 {
            internal;
            return 404 '{"error":{"message":"The model `no-such-model` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}';
        }
        location = /mock/chat/html500 {
            internal;
            return 500;
        }
        location = /mock/chat/slow {
            internal;
            echo_sleep 3;
            echo '{}';
        }

        location = /v1/completions {
            return 200 '{"id":"cmpl-AIGWmock0002","object":"text_completion","created":1733000003,"model":"gpt-3.5-turbo-instruct","choices":[{"text":"\\n\\nThis is indeed a test","index":0,"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}';
        }

        location = /v1/embeddings {
            echo_read_request_body;
            echo_exec /mock/embeddings/$mock_embeddings;
        }
        # float32 little-endian: [0.5, -1.25, 3, 0.125] and [-0.5, 2, 0.25, -4]
        location = /mock/embeddings/base64 {
            internal;
            return 200 '{"object":"list","data":[{"object":"embedding","index":0,"embedding":"AAAAPwAAoL8AAEBAAAAAPg=="},{"object":"embedding","index":1,"embedding":"AAAAvwAAAEAAAIA+AACAwA=="}],"model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}}';
        }
        location = /mock/embeddings/float {
            internal;
            return 200 '{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-1.25,3.0,0.125]},{"object":"embedding","index":1,"embedding":[-0.5,2.0,0.25,-4.0]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}}';
        }
        location = /mock/embeddings/bad {
            internal;
            return 400 '{"error":{"message":"mock: the request has no encoding_format","type":"invalid_request_error","param":"encoding_format","code":null}}';
        }

        location = /v1/models {
            return 200 '{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},{"id":"text-embedding-3-small","object":"model","created":1705948997,"owned_by":"system"},{"id":"ft:gpt-4o-mini:aigw::mock01","object":"model","created":1733000004,"owned_by":"user-aigw"}]}';
        }
        location = /v1/models/gpt-4o-mini {
            return 200 '{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"}';
        }
        location ~ ^/v1/models/(?<model_id>[^/]+)$ {
            return 404 '{"error":{"message":"The model \'$model_id\' does not exist","type":"invalid_request_error","param":"model","code":"model_not_found"}}';
        }
        location / {
            return 404 '{"error":{"message":"Invalid URL ($request_method $uri)","type":"invalid_request_error","param":null,"code":null}}';
        }
    }
_EOC_

# ---------------------------------------------------------------------------
# The raw TCP upstream: answers a chat request with a chunked SSE body and closes the
# connection before the terminating chunk. Model "cut-midevent" cuts inside an event,
# anything else after whole events.

my $CutChunk = sub {
    my ($n, $content) = @_;
    return 'data: ' . chat_chunk(id => 'chatcmpl-AIGWcut0001', created => 1733000005,
        model => 'gpt-4o-mini-2024-07-18',
        delta => '{' . ($n == 0 ? '"role":"assistant",' : '') . qq("content":"$content"})) . "\n\n";
};

sub serve_cut {
    my ($sock) = @_;
    my $req = read_http_request($sock);
    my $mid = $req =~ /"model"\s*:\s*"cut-midevent"/;
    my @pieces = ($CutChunk->(0, 'Hel'), $CutChunk->(1, 'lo'));
    if ($mid) {
        @pieces = ($CutChunk->(0, 'Hel'), substr($CutChunk->(1, 'lo'), 0, 60));
    }
    local $SIG{PIPE} = 'IGNORE';
    syswrite $sock, "HTTP/1.1 200 OK\r\n"
                  . "Content-Type: text/event-stream; charset=utf-8\r\n"
                  . "Transfer-Encoding: chunked\r\n"
                  . "x-request-id: req_mockcut0001\r\n"
                  . "\r\n";
    for my $p (@pieces) {
        sleep 0.05;
        syswrite $sock, sprintf("%x\r\n%s\r\n", length $p, $p);
    }
    sleep 0.1;
    # No "0\r\n\r\n": the body is cut.
    return;
}

my $CutPid;
END { local $?; tcp_server_stop($CutPid) }

# ---------------------------------------------------------------------------
# Run the SDK checks and turn their TAP into results here.

# Runs the SDK script with these environment variables; returns (exit code, whether it was
# stopped at the bound, its output lines).
sub run_node {
    my (%env) = @_;
    my $script = File::Spec->catfile($SdkDir, 'openai-smoke.mjs');
    my ($rc, $out) = run_program({ timeout => $NodeTimeout, env => \%env, dir => $SdkDir, merge => 1 },
                                 $Node, $script);
    return ($rc, $rc == -1, split /\n/, $out);
}

$CutPid = tcp_server_fork($CUT, \&serve_cut, backlog => 16);
my $port = eval { aigw_nginx_start($conf, servroot => File::Spec->catdir($FindBin::Bin, 'servroot-sdk')) };
if (!$port) {
    fail('nginx with the aigw module starts');
    diag($@);
    done_testing();
    exit;
}

# Two keys for the billing gateway: one whose quota covers one request, one allowed one
# request a minute.
my %billing_keys = (quota => 'sk-aigw-SdkQuota' . ('0' x 40), rpm => 'sk-aigw-SdkRpm' . ('0' x 42));
redis_cmd('HSET', aigw_key_hash($billing_keys{quota}), id => 'key_sdkquota',
          status => 'active', models => '*', quota => 10000);
redis_cmd('HSET', aigw_key_hash($billing_keys{rpm}), id => 'key_sdkrpm',
          status => 'active', models => '*', rpm => 1);

my ($status, $timed_out, @lines) = run_node(
    AIGW_BILLING_BASE_URL => "http://127.0.0.1:$GW_BILLING/v1",
    AIGW_QUOTA_KEY     => $billing_keys{quota},
    AIGW_RPM_KEY       => $billing_keys{rpm},
    AIGW_BASE_URL      => "http://127.0.0.1:$GW/v1",
    AIGW_DOWN_BASE_URL => "http://127.0.0.1:$GW_DOWN/v1",
    AIGW_CUT_BASE_URL  => "http://127.0.0.1:$GW_CUT/v1",
    AIGW_ROUTED_BASE_URL => "http://127.0.0.1:$GW_ROUTED/v1",
);

my ($plan, $results, $last_ok) = (undef, 0, 1);
my @stray;
for my $line (@lines) {
    if ($line =~ /^(not )?ok (\d+)\s*(?:-\s*)?(.*)$/) {
        $last_ok = !$1;
        $results++;
        ok($last_ok, "sdk: $3");
    } elsif ($line =~ /^1\.\.(\d+)/) {
        $plan = $1;
    } elsif ($line =~ /^#\s?(.*)$/) {
        if ($last_ok) { note($1) } else { diag($1) }
    } elsif ($line =~ /\S/) {
        push @stray, $line;
    }
}

ok(!$timed_out, "the SDK run finished within ${NodeTimeout}s");
ok($status == 0, 'node exited with status 0') or diag("exit status $status");
ok(defined $plan && $plan == $results && $results > 0, 'the SDK run printed every check it planned')
    or diag('planned ' . (defined $plan ? $plan : 'nothing') . ", ran $results");
diag("node output outside TAP:\n" . join("\n", @stray)) if @stray;

my $errlog = aigw_nginx_stop();
tcp_server_stop($CutPid);
undef $CutPid;
my @bad = grep { /\[(?:alert|emerg|crit)\]|exited on signal/ } split /\n/, $errlog;
ok(!@bad, 'no alert, crit or crash in the error log') or diag(join "\n", @bad);

done_testing();
