# The clients of OpenAI's Responses API (POST /v1/responses) through the gateway: the `openai`
# SDK (responses.create, responses.stream), the Vercel AI SDK (generateText, streamText with
# `openai(model)`) and LangChain (ChatOpenAI with useResponsesApi), by t/sdk/responses-smoke.mjs.
# First against the mock Responses upstream itself, so that a failure through the gateway is the
# gateway's; then through the gateway to three kinds of channel:
#   - oai, provider=openai with the Responses API: passthrough to the Responses mock (resp-*);
#   - gpt, provider=openai responses=off, a Chat Completions upstream: the gateway translates the
#     request to Chat Completions and the answer and its stream back (gpt-5-codex);
#   - claude, provider=anthropic: the same to and from Anthropic's Messages (claude-*).
# Each TAP result of the script becomes one result here. The mocks' logs then say what each
# upstream got: its own API, the channel's key, never the client's.
#
# Ports (loopback, fixed):
#   2042  gateway: aigw_model gpt-5-codex -> gpt as gpt-4o-mini (2044), resp-* -> oai (2043),
#         claude-* -> claude (2045)
#   2043  mock Responses upstream (Test::AIGW::Mock::Responses)
#   2044  mock Chat Completions upstream (Test::AIGW::Mock::OpenAI): a whole answer or a stream by
#         the request's `stream`
#   2045  mock Anthropic upstream (Test::AIGW::Mock::Anthropic); 2043-2045 in one NGINX

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/lib";

use File::Spec;
use Test::More;
use Test::AIGW::SDK qw(sdk_missing sdk_tap);

BEGIN {
    my $why = sdk_missing('openai', 'ai', '@ai-sdk/openai', '@langchain/openai', '@langchain/core');
    plan skip_all => $why if $why;
}

use Test::AIGW 'plain';
use Test::AIGW::Mock::Responses qw(responses_mock_server responses_mock_log);
use Test::AIGW::Mock::Anthropic qw(anthropic_mock_server anthropic_mock_log);
use Test::AIGW::Mock::OpenAI qw(openai_mock_server);

my ($GW, $RESPONSES, $CHAT, $ANTHROPIC) = (2042, 2043, 2044, 2045);
my $MockRoot = File::Spec->catdir($FindBin::Bin, 'servroot-responses-sdks-mocks');
my $GwRoot = File::Spec->catdir($FindBin::Bin, 'servroot-responses-sdks');
my ($ResponsesLog, $ChatLog, $AnthropicLog) = map { "$MockRoot/logs/$_-mock.log" } qw(responses chat anthropic);

# The chat mock answers by path prefix; a chat-only upstream answers by the request's `stream`.
(my $chat = openai_mock_server($CHAT)) =~ s/\n    \}\n\z/\n        location = \/v1\/chat\/completions {\n            echo_read_request_body;\n            echo_exec \/\$chat_mock_mode\/v1\/chat\/completions;\n        }\n    }\n/
    or die "the chat mock's server block changed\n";
my $mocks = responses_mock_server($RESPONSES, log => $ResponsesLog) . anthropic_mock_server($ANTHROPIC, log => $AnthropicLog)
          . <<"_EOC_" . $chat;
    map \$request_body \$chat_mock_mode {
        '~"stream"\\s*:\\s*true' stream;
        default json;
    }
    map \$request_body \$chat_mock_model {
        '~"model"\\s*:\\s*"(?<chat_mock_model_name>[^"]*)"' \$chat_mock_model_name;
        default '';
    }
    log_format chat_mock escape=json '{"port":"\$server_port","method":"\$request_method",'
        '"uri":"\$request_uri","authorization":"\$http_authorization","model":"\$chat_mock_model",'
        '"mode":"\$chat_mock_mode"}';
    access_log $ChatLog chat_mock;
    client_body_buffer_size 16m;
    client_max_body_size 16m;
_EOC_

my $gateway = <<"_EOC_";
    aigw_channel gpt    location=/_aigw/gpt    provider=openai;                # chat only (responses=off, the default)
    aigw_channel oai    location=/_aigw/oai    provider=openai responses=on;   # serves the Responses API
    aigw_channel claude location=/_aigw/claude provider=anthropic;

    server {
        listen 127.0.0.1:$GW;
        client_max_body_size 16m;
        location /v1/ {
            aigw on;
            aigw_model gpt-5-codex gpt:gpt-4o-mini;
            aigw_model resp-* oai;
            aigw_model claude-sonnet-4-5 claude;
            aigw_model claude-* claude;
        }
        location /_aigw/gpt/ {
            internal;
            proxy_pass http://127.0.0.1:$CHAT/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Authorization "Bearer sk-upstream";
            proxy_connect_timeout 2s;
            proxy_read_timeout 10s;
        }
        location /_aigw/oai/ {
            internal;
            proxy_pass http://127.0.0.1:$RESPONSES/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Authorization "Bearer sk-upstream";
            proxy_connect_timeout 2s;
            proxy_read_timeout 10s;
        }
        location /_aigw/claude/ {
            internal;
            proxy_pass http://127.0.0.1:$ANTHROPIC/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header x-api-key "sk-ant-upstream";
            proxy_set_header anthropic-version "2023-06-01";
            proxy_connect_timeout 2s;
            proxy_read_timeout 10s;
        }
    }
_EOC_

# The requests a log got since the last call for it (at least $min new ones, waited for).
my %seen;
sub new_requests {
    my ($file, $min) = @_;
    my @all = anthropic_mock_log($file, min => ($seen{$file} // 0) + ($min // 0));
    my @new = @all[($seen{$file} // 0) .. $#all];
    $seen{$file} = @all;
    return @new;
}

my $mock_port = eval { aigw_nginx_start($mocks, servroot => $MockRoot) };
if (!$mock_port) {
    fail('the mock upstreams start');
    diag($@);
    done_testing();
    exit;
}

my $chat_json = http_request($CHAT, body => '{"model":"gpt-4o-mini","messages":[]}');
like($chat_json->{body}, qr/^\{"id":"chatcmpl-AIGWusage0001","object":"chat.completion",/, 'chat mock: a whole answer when not asked to stream');
my $chat_sse = http_request($CHAT, body => '{"model":"gpt-4o-mini","stream":true,"messages":[]}');
like($chat_sse->{body}, qr/^data: \{"id":"chatcmpl-AIGWstream0001".*data: \[DONE\]\n\n\z/s, 'chat mock: the stream when asked to');
new_requests($ChatLog, 2);

# ---------------------------------------------------------------------------
# Straight to the Responses mock: the clients take its answers as OpenAI's.

sdk_tap('mock', 'responses-smoke.mjs',
        args => ['--base-url', "http://127.0.0.1:$RESPONSES/v1", '--key', 'sk-client', '--target', 'responses', '--stored']);
my @direct = new_requests($ResponsesLog, 30);
is_deeply([grep { $_->{authorization} ne 'Bearer sk-client' } @direct], [], 'mock: the clients sent their key as a Bearer token');

# ---------------------------------------------------------------------------
# Through the gateway.

my $port = eval { aigw_nginx_start($gateway, servroot => $GwRoot) };
if (!$port) {
    fail('nginx with the aigw module and three channels starts');
    diag($@);
    aigw_nginx_stop();
    done_testing();
    exit;
}
my $base = "http://127.0.0.1:$GW/v1";

sdk_tap('responses channel', 'responses-smoke.mjs',
        args => ['--base-url', $base, '--key', 'sk-client', '--target', 'responses', '--model', 'resp-text']);
my @got = new_requests($ResponsesLog, 25);
is_deeply([grep { $_->{method} ne 'POST' || $_->{uri} !~ m{^/v1/responses(?:/compact)?$} } @got], [],
          'responses channel: the upstream got POST /v1/responses (and /compact) only');
is_deeply([grep { $_->{authorization} ne 'Bearer sk-upstream' } @got], [], 'responses channel: the channel\'s key, never the client\'s');
# (The mock answers /v1/responses/compact without reading the body: its log has no model.)
is_deeply([grep { $_->{uri} !~ m{/compact$} && $_->{model} !~ /^resp-/ } @got], [],
          'responses channel: the model names the clients asked for');
ok((grep { $_->{mode} eq 'stream' } @got) && (grep { $_->{mode} eq 'json' } @got),
   'responses channel: streams and whole answers, as asked');
is_deeply([new_requests($ChatLog), new_requests($AnthropicLog)], [], 'responses channel: nothing reached the other upstreams');

sdk_tap('chat channel', 'responses-smoke.mjs', args => ['--base-url', $base, '--key', 'sk-client', '--target', 'chat']);
@got = grep { $_->{port} eq $CHAT } new_requests($ChatLog, 6);
is_deeply([grep { $_->{method} ne 'POST' || $_->{uri} ne '/v1/chat/completions' } @got], [],
          'chat channel: the upstream got POST /v1/chat/completions only');
is_deeply([grep { $_->{authorization} ne 'Bearer sk-upstream' || $_->{model} ne 'gpt-4o-mini' } @got], [],
          'chat channel: the channel\'s key and model, gpt-4o-mini');
ok((grep { $_->{mode} eq 'stream' } @got) && (grep { $_->{mode} eq 'json' } @got),
   'chat channel: a Responses stream is a chat stream upstream, a whole response a whole chat completion');
is_deeply([new_requests($ResponsesLog), new_requests($AnthropicLog)], [], 'chat channel: nothing reached the other upstreams');

sdk_tap('anthropic channel', 'responses-smoke.mjs', args => ['--base-url', $base, '--key', 'sk-client', '--target', 'anthropic']);
@got = new_requests($AnthropicLog, 15);
is_deeply([grep { $_->{method} ne 'POST' || $_->{uri} !~ m{^/v1/messages(?:\?|$)} } @got], [],
          'anthropic channel: the upstream got Messages requests only');
is_deeply([grep { $_->{x_api_key} ne 'sk-ant-upstream' || $_->{authorization} ne '' || $_->{anthropic_version} ne '2023-06-01' } @got], [],
          'anthropic channel: the channel\'s key and anthropic-version, never the client\'s key');
ok((grep { $_->{mode} eq 'stream' } @got) && (grep { $_->{mode} eq 'json' } @got),
   'anthropic channel: streams and whole answers, as asked');
is_deeply([new_requests($ResponsesLog), grep { $_->{port} eq $CHAT } new_requests($ChatLog)], [],
          'anthropic channel: nothing reached the other upstreams');

my $errlog = aigw_nginx_stop(servroot => $GwRoot);
my @bad = grep { /\[(?:alert|emerg|crit)\]|exited on signal/ } split /\n/, $errlog;
ok(!@bad, 'no alert, crit or crash in the gateway\'s error log') or diag(join "\n", @bad);
aigw_nginx_stop();

done_testing();
