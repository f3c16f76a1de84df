# Codex CLI (`codex exec`, the npm package @openai/codex 0.171.0, t/sdk) as the client of the
# gateway's Responses API: to a channel that speaks it (passthrough), to a Chat Completions
# channel and to an Anthropic channel (the gateway translates). It must print the upstream's
# answer and exit 0, as text and with --json. First against the mock Responses upstream itself,
# which also pins down what this version of Codex sends.
#
# Headless (Test::AIGW::SDK's codex_run): a CODEX_HOME of its own holding config.toml,
#     model = "gpt-5-codex"
#     model_provider = "aigw"
#     approval_policy = "never"
#     sandbox_mode = "read-only"
#     check_for_update_on_startup = false
#     [model_providers.aigw]
#     name = "aigw"
#     base_url = "http://127.0.0.1:PORT/v1"
#     env_key = "AIGW_KEY"
#     wire_api = "responses"
#     request_max_retries = 0        # an error status fails at once (default 4 retries)
#     stream_max_retries = 0         # likewise a broken stream (default 5), and a refused websocket
#     [analytics]
#     enabled = false                # else a lookup of ab.chatgpt.com
#     [features]
#     plugins = false                # else `git ls-remote https://github.com/openai/plugins.git`,
#                                    # api.github.com and chatgpt.com
# the key in AIGW_KEY, nothing else of the environment but PATH and HOME (= CODEX_HOME), a
# working directory of its own, stdin from /dev/null; then `codex exec --skip-git-repo-check
# --ephemeral --color never [--json] "say hi"`. Traced, it then connects to nothing but base_url
# and resolves no name; it never asks, and exits within a second.
#
# What `codex exec "say hi"` 0.171.0 sends (recorded against the mock):
#   - Exactly one POST /v1/responses: no GET /v1/models, no /v1/responses/compact, and for a
#     provider of config.toml no websocket unless `supports_websockets = true`. Compaction, when
#     it comes, is another POST /v1/responses (x-codex-turn-metadata request_kind "compaction",
#     the last input a user message "You are performing a CONTEXT CHECKPOINT COMPACTION...");
#     the built-in openai provider ("remote compaction v2") ends its input with {"type":
#     "compaction_trigger"} and wants a `compaction` output item back. Neither calls /compact.
#   - Headers: authorization: Bearer $AIGW_KEY; originator: codex_exec; user-agent
#     codex_exec/0.171.0 (...); accept: text/event-stream; accept-encoding: zstd,gzip; session-id
#     and thread-id (with hyphens: no session_id header any more) and x-client-request-id, all
#     the session's id; x-codex-window-id (SESSION:0), x-codex-turn-metadata (JSON: installation,
#     session, thread and turn ids, request_kind "turn", sandbox ...), x-codex-beta-features:
#     remote_compaction_v2. No OpenAI-Beta on the POST. The body is plain JSON (no
#     content-encoding), some 40 KB.
#   - Body members in this order: model, stream: true, input, tools, tool_choice "auto",
#     parallel_tool_calls: true, reasoning ({"summary":"auto"}; {"effort":"medium"} for a model
#     of its catalog), store: false, include ["reasoning.encrypted_content"], prompt_cache_key
#     (the session id), text ({"verbosity":"low"}, catalog models), client_metadata (the ids
#     again). No `instructions`: they are the first input item, a developer message (17 KB), then
#     a developer message (skills), a user message (<environment_context>), the prompt as a
#     user message; every item has an id (msg_...).
#   - Tools for a model it does not know (gpt-5-codex: "Model metadata ... not found", an error
#     item in --json, fallback metadata): `function` (exec_command, write_stdin,
#     request_user_input, view_image, get_goal, create_goal, update_goal), a `namespace`
#     (multi_agent_v1, functions inside) and {"type":"web_search","external_web_access":false}.
#     For one of its catalog (gpt-5.5): the functions, apply_patch as a `custom` (freeform) tool
#     with a lark grammar `format`, a `tool_search` tool (execution "client") and web_search with
#     search_content_types. No local_shell: the shell is exec_command.
#   - It reads the stream: the text is printed as the answer (stdout: the text and a line feed;
#     the transcript goes to stderr); --json prints JSON lines: thread.started, item.completed
#     (error, the metadata warning), turn.started, item.completed agent_message {text} (a
#     reasoning item {text: the summary} first when there is one), turn.completed {usage:
#     input_tokens, cached_input_tokens, cache_write_input_tokens, output_tokens,
#     reasoning_output_tokens}. response.incomplete exits 1 ("Incomplete response returned,
#     reason: max_output_tokens"), response.failed exits 1 ("stream disconnected before
#     completion: MESSAGE"), a 429 exits 1 ("exceeded retry limit, last status: 429 Too Many
#     Requests, request id: ID"), a 401 "unexpected status 401 Unauthorized: MESSAGE, url: ...",
#     a 400 the body itself, a 500 "We're currently experiencing high demand...".
#   - Websocket: with supports_websockets = true (and by default for the built-in openai provider
#     with openai_base_url), it first sends GET base_url/responses with Upgrade: websocket,
#     OpenAI-Beta: responses_websockets=2026-02-06, the key and the session headers. A 426 makes
#     it POST at once (some 70 ms later). Any other refusal (404, 405, 401, 501) is retried as
#     a broken stream: with the default stream_max_retries (5) seven GETs over some 6.5 s, then
#     "Falling back from WebSockets to HTTPS transport" and the POST; with 0, two GETs. A 400
#     is fatal: codex exits 1 with the body. A gateway should answer an upgrade with 426.
#
# Ports (loopback, fixed):
#   2046  gateway: gpt-5-codex and gpt-5.5 -> gpt as gpt-4o-mini (2048, the chat mock's stream),
#         resp-* -> oai (2047), claude-* -> claude (2049)
#   2047  mock Responses upstream (Test::AIGW::Mock::Responses)
#   2048  mock Chat Completions upstream (Test::AIGW::Mock::OpenAI)
#   2049  mock Anthropic upstream (Test::AIGW::Mock::Anthropic); 2047-2049 in one NGINX

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/lib";

use File::Spec;
use JSON::PP ();
use Test::More;
use Test::AIGW::SDK qw(sdk_missing codex_bin codex_run);

BEGIN {
    my $why = sdk_missing('@openai/codex');
    plan skip_all => $why if $why;
}

use Test::AIGW 'plain';
use Test::AIGW::Mock::Responses qw(responses_mock_server responses_mock_log $RequestId);
use Test::AIGW::Mock::Anthropic qw(anthropic_mock_server anthropic_mock_log);
use Test::AIGW::Mock::OpenAI qw(openai_mock_server);

my ($GW, $RESPONSES, $CHAT, $ANTHROPIC) = (2046, 2047, 2048, 2049);
my $MockRoot = File::Spec->catdir($FindBin::Bin, 'servroot-codex-mocks');
my $GwRoot = File::Spec->catdir($FindBin::Bin, 'servroot-codex');
my ($ResponsesLog, $BodiesLog, $ChatLog, $AnthropicLog) =
    map { "$MockRoot/logs/$_.log" } qw(responses-mock responses-bodies chat-mock anthropic-mock);
my $Json = JSON::PP->new->utf8;

# What the mocks answer: the Responses and Anthropic mocks' text, the chat mock's stream.
my $Text = "Hello, \"w\xc3\xb6rld\"! \xe2\x9c\x93\nBye.";      # as printed: UTF-8 bytes
my $TextChars = "Hello, \"w\x{f6}rld\"! \x{2713}\nBye.";           # as decoded from JSON
my $ChatText = 'Hello, world! Bye.';

my $mocks = responses_mock_server($RESPONSES, log => $ResponsesLog, bodies => $BodiesLog)
          . anthropic_mock_server($ANTHROPIC, log => $AnthropicLog) . <<"_EOC_" . openai_mock_server($CHAT);
    map \$request_body \$chat_mock_model {
        '~"model"\\s*:\\s*"(?<chat_mock_model_name>[^"]*)"' \$chat_mock_model_name;
        default '';
    }
    map \$request_body \$chat_mock_mode {
        '~"stream"\\s*:\\s*true' stream;
        default json;
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
            aigw_model gpt-5.5 gpt:gpt-4o-mini;
            aigw_model resp-* oai;
            aigw_model claude-* claude;
        }
        location /_aigw/gpt/ {
            internal;
            proxy_pass http://127.0.0.1:$CHAT/stream/;
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

# `codex exec "say hi"` against a base URL; returns (exit code, stdout, stderr, seconds).
sub say_hi {
    my ($base, $model, %o) = @_;
    my @r = codex_run(base_url => $base, model => $model, %o, args => [@{ $o{args} || [] }, 'say hi']);
    diag("codex exited with $r[0]\nstdout: $r[1]\nstderr: $r[2]") if $r[0] != 0 && !$o{fails};
    return @r;
}

# The JSON lines of --json output, decoded.
sub json_lines { return map { scalar eval { $Json->decode($_) } // { bad => $_ } } grep { /\S/ } split /\n/, $_[0] }

# The requests a log got since the last call for it (at least $min new ones, waited for).
my %seen;
sub new_requests {
    my ($file, $min) = @_;
    my @all = anthropic_mock_log($file, min => ($seen{$file} // 0) + ($min // 0));
    my @new = @all[($seen{$file} // 0) .. $#all];
    $seen{$file} = @all;
    return @new;
}
sub responses_got { return new_requests($ResponsesLog, @_) }
sub bodies_got { return map { $_->{json} = eval { $Json->decode($_->{body}) } // {}; $_ } new_requests($BodiesLog, @_) }
sub chat_got { return grep { $_->{port} eq $CHAT } new_requests($ChatLog, @_) }
sub anthropic_got { return new_requests($AnthropicLog, @_) }

# A --json run's answer: the agent messages' text, the reasoning items', turn.completed's usage,
# and the error.
sub answer_of {
    my (@lines) = @_;
    my @items = map { $_->{item} } grep { ($_->{type} // '') eq 'item.completed' } @lines;
    my ($done) = grep { ($_->{type} // '') eq 'turn.completed' } @lines;
    my ($failed) = grep { ($_->{type} // '') eq 'turn.failed' } @lines;
    return { text => join('', map { $_->{text} } grep { $_->{type} eq 'agent_message' } @items),
             reasoning => join('', map { $_->{text} } grep { $_->{type} eq 'reasoning' } @items),
             usage => $done && $done->{usage}, error => $failed && $failed->{error}{message},
             types => [map { $_->{type} } @lines] };
}

my ($vrc, $version) = run_program({ timeout => 30 }, codex_bin(), '--version');
like($version, qr/^codex-cli 0\.171\.0$/m, 'codex --version: codex-cli 0.171.0 (the native binary is in place)')
    or diag("exit $vrc: $version");

my $mock_port = eval { aigw_nginx_start($mocks, servroot => $MockRoot) };
if (!$mock_port) {
    fail('the mock upstreams start');
    diag($@);
    done_testing();
    exit;
}

# ---------------------------------------------------------------------------
# Straight to the mock: what Codex sends, and that it takes the mock's answer.

my $direct = "http://127.0.0.1:$RESPONSES/v1";
my ($rc, $out, $err) = say_hi($direct, 'gpt-5-codex');
is($rc, 0, 'mock: codex exec exits 0');
is($out, "$Text\n", 'mock: codex exec prints the answer\'s text');
like($err, qr/^model: gpt-5-codex\nprovider: aigw\napproval: never\nsandbox: read-only$/m, 'mock: the model, provider, approval and sandbox');
my @got = responses_got(1);
is_deeply([map { "$_->{method} $_->{uri}" } @got], ['POST /v1/responses'], 'mock: one POST /v1/responses, nothing else');
my $r = $got[0] // {};
is($r->{authorization}, 'Bearer sk-codex-test', 'mock: the key of env_key as a Bearer token');
is($r->{originator}, 'codex_exec', 'mock: originator codex_exec');
like($r->{user_agent}, qr{^codex_exec/0\.171\.0 }, 'mock: user-agent codex_exec/0.171.0');
is($r->{accept}, 'text/event-stream', 'mock: accept text/event-stream');
like($r->{session_id}, qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'mock: a session id header');
is($r->{x_client_request_id}, $r->{session_id}, 'mock: x-client-request-id is the session id');
is_deeply([@$r{qw(openai_beta upgrade mode model)}], ['', '', 'stream', 'gpt-5-codex'], 'mock: no OpenAI-Beta, no upgrade, a stream of gpt-5-codex');
my ($sent) = bodies_got(1);
my $body = $sent->{json};
is_deeply([map { $_ } grep { exists $body->{$_} } qw(model stream input tools tool_choice parallel_tool_calls reasoning store include
           prompt_cache_key client_metadata instructions)],
          [qw(model stream input tools tool_choice parallel_tool_calls reasoning store include prompt_cache_key client_metadata)],
          'mock body: model, stream, input, tools, tool_choice, parallel_tool_calls, reasoning, store, include, prompt_cache_key, client_metadata; no instructions');
ok(JSON::PP::is_bool($body->{stream}) && $body->{stream} && JSON::PP::is_bool($body->{store}) && !$body->{store},
   'mock body: stream true, store false');
is_deeply($body->{include}, ['reasoning.encrypted_content'], 'mock body: include reasoning.encrypted_content');
is($body->{prompt_cache_key}, $r->{session_id}, 'mock body: prompt_cache_key is the session id');
my @input = @{ $body->{input} || [] };
is_deeply([map { "$_->{type} $_->{role}" } @input], ['message developer', 'message developer', 'message user', 'message user'],
          'mock body: input: two developer messages (the instructions), the environment, the prompt');
is($input[-1]{content}[0]{text}, 'say hi', 'mock body: the prompt last');
like($input[2]{content}[0]{text}, qr/^<environment_context>/, 'mock body: the environment context');
my $DirectTools = $body->{tools};
my %tool_types = map { ($_->{type} => 1) } @{ $body->{tools} || [] };
is_deeply([sort keys %tool_types], [qw(function namespace web_search)], 'mock body: function, namespace and web_search tools');
ok((grep { ($_->{name} // '') eq 'exec_command' } @{ $body->{tools} || [] }), 'mock body: the shell is the exec_command function');

($rc, $out) = say_hi($direct, 'gpt-5-codex', args => ['--json']);
my $ans = answer_of(json_lines($out));
is($rc, 0, 'mock, --json: codex exec exits 0');
is($ans->{text}, $TextChars, 'mock, --json: the agent message is the answer\'s text');
is_deeply($ans->{usage}, { input_tokens => 2048, cached_input_tokens => 1920, cache_write_input_tokens => 0, output_tokens => 12,
                         reasoning_output_tokens => 0 }, 'mock, --json: the usage it was told, cached tokens apart');
is_deeply([grep { $_ ne 'item.completed' } @{ $ans->{types} }], [qw(thread.started turn.started turn.completed)],
          'mock, --json: thread.started, turn.started, items, turn.completed');
responses_got(1);
bodies_got(1);

# A model of Codex's catalog: its tools.
($rc, $out) = say_hi($direct, 'gpt-5.5');
is($rc, 0, 'mock, gpt-5.5: codex exec exits 0');
($sent) = bodies_got(1);
$body = $sent->{json};
my ($patch) = grep { ($_->{name} // '') eq 'apply_patch' } @{ $body->{tools} || [] };
is_deeply([$patch->{type}, $patch->{format}{type}, $patch->{format}{syntax}], ['custom', 'grammar', 'lark'],
          'mock, gpt-5.5: apply_patch is a custom tool with a lark grammar');
ok((grep { $_->{type} eq 'tool_search' } @{ $body->{tools} || [] }), 'mock, gpt-5.5: a tool_search tool');
is_deeply([$body->{reasoning}, $body->{text}], [{ effort => 'medium' }, { verbosity => 'low' }], 'mock, gpt-5.5: reasoning effort, text verbosity');
responses_got(1);

($rc, $out) = say_hi($direct, 'resp-mock-reasoning', args => ['--json']);
$ans = answer_of(json_lines($out));
is($rc, 0, 'mock, reasoning: codex exec exits 0');
is($ans->{reasoning}, "**Greeting the user**\n\nA short hello is enough.", 'mock, reasoning: a reasoning item with the summary');
is($ans->{text}, 'Hi! How can I help?', 'mock, reasoning: then the text');
is($ans->{usage}{reasoning_output_tokens}, 64, 'mock, reasoning: 64 reasoning tokens');
responses_got(1);
bodies_got(1);

my %failures = (
    'resp-mock-incomplete' => qr/^Incomplete response returned, reason: max_output_tokens$/,
    'resp-mock-failed' => qr/^stream disconnected before completion: An error occurred while processing your request\. .*\Q$RequestId\E/,
    'resp-mock-429' => qr/^exceeded retry limit, last status: 429 Too Many Requests, request id: \Q$RequestId\E$/,
);
for my $model (sort keys %failures) {
    ($rc, $out) = say_hi($direct, $model, args => ['--json'], fails => 1);
    is($rc, 1, "mock, $model: codex exec exits 1");
    like(answer_of(json_lines($out))->{error} // '', $failures{$model}, "mock, $model: turn.failed says why");
}
responses_got(3);
bodies_got(3);

# The websocket Codex tries first when the provider says it supports one: 426 sends it to HTTP
# at once; a 404 costs it seven tries and 6 s with the default retries. "At once": less than 2 s
# more than the same run without the websocket, measured just before (about 1 s on an idle
# machine; more when other tests share the CPUs, as `make integration`'s lanes do).
my ($tplain, $t426);
($rc, $out, $err, $tplain) = say_hi($direct, 'gpt-5-codex', retries => 1);
is($rc, 0, 'mock, the same without the websocket: codex exec exits 0');
responses_got(1);
bodies_got(1);
($rc, $out, $err, $t426) = say_hi($direct, 'gpt-5-codex', retries => 1, provider => 'supports_websockets = true');
is($rc, 0, 'mock, websocket refused with 426: codex exec exits 0');
is($out, "$Text\n", 'mock, websocket refused with 426: the answer\'s text');
@got = responses_got(2);
is_deeply([map { "$_->{method} $_->{uri} $_->{status} $_->{upgrade}" } @got],
          ['GET /v1/responses 426 websocket', 'POST /v1/responses 200 '], 'mock, websocket refused with 426: one GET, then the POST');
is($got[0]{openai_beta}, 'responses_websockets=2026-02-06', 'mock, websocket: OpenAI-Beta responses_websockets=2026-02-06');
is_deeply([@{ $got[0] }{qw(authorization session_id)}], [@{ $got[1] }{qw(authorization session_id)}],
          'mock, websocket: the key and the session id, as on the POST');
ok($t426 < $tplain + 2, "mock, websocket refused with 426: done in ${t426}s (${tplain}s without it)");
bodies_got(2);
my $t404;
($rc, $out, $err, $t404) = say_hi("http://127.0.0.1:$RESPONSES/ws404/v1", 'gpt-5-codex', retries => 1,
                                  provider => 'supports_websockets = true');
is($out, "$Text\n", 'mock, websocket refused with 404: the answer\'s text, in the end');
@got = responses_got(8);
is_deeply([map { "$_->{method} $_->{status}" } @got], [('GET 404') x 7, 'POST 200'], 'mock, websocket refused with 404: seven GETs, then the POST');
ok($t404 > 5, "mock, websocket refused with 404: some 6 s lost (${t404}s)");
like($err, qr/Falling back from WebSockets to HTTPS transport\. unexpected status 404 Not Found/, 'mock, websocket refused with 404: the fallback warning');
bodies_got(8);

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

($rc, $out) = say_hi($base, 'resp-text');
is($rc, 0, 'responses channel: codex exec exits 0');
is($out, "$Text\n", 'responses channel: codex exec prints the upstream\'s text');
@got = responses_got(1);
is_deeply([map { "$_->{method} $_->{uri} $_->{mode} $_->{model}" } @got], ['POST /v1/responses stream resp-text'],
          'responses channel: the upstream got the POST, a stream of the model asked for');
is($got[0]{authorization}, 'Bearer sk-upstream', 'responses channel: the channel\'s key, not the client\'s');
like($got[0]{session_id}, qr/^[0-9a-f-]{36}$/, 'responses channel: Codex\'s session-id passed on');
is_deeply([@{ $got[0] }{qw(x_client_request_id originator)}], [$got[0]{session_id}, 'codex_exec'],
          'responses channel: x-client-request-id and originator passed on');
($sent) = bodies_got(1);
is_deeply([map { $_->{type} } @{ $sent->{json}{input} || [] }], [('message') x 4], 'responses channel: the input items, untouched');
is_deeply($sent->{json}{tools}, $DirectTools, 'responses channel: the tools, untouched');

($rc, $out) = say_hi($base, 'resp-text', args => ['--json']);
$ans = answer_of(json_lines($out));
is($rc, 0, 'responses channel, --json: codex exec exits 0');
is($ans->{text}, $TextChars, 'responses channel, --json: the upstream\'s text');
is_deeply([@{ $ans->{usage} || {} }{qw(input_tokens cached_input_tokens output_tokens)}], [2048, 1920, 12],
          'responses channel, --json: the upstream\'s usage');
responses_got(1);
bodies_got(1);

($rc, $out) = say_hi($base, 'resp-mock-429', args => ['--json'], fails => 1);
is($rc, 1, 'responses channel, 429: codex exec exits 1');
like(answer_of(json_lines($out))->{error} // '', qr/^exceeded retry limit, last status: 429 Too Many Requests/,
     'responses channel, 429: Codex reports the 429');
responses_got(1);
bodies_got(1);

# A websocket through the gateway: refused so that Codex takes HTTP at once.
my $ws = http_request($GW, path => '/v1/responses',
                      headers => { Upgrade => 'websocket', 'Sec-WebSocket-Version' => 13, Authorization => 'Bearer sk-codex-test' });
is($ws->{status}, 426, 'gateway: GET /v1/responses with Upgrade: websocket is 426');
my ($tgw, $tws);
($rc, $out, $err, $tgw) = say_hi($base, 'resp-text', retries => 1);
is($rc, 0, 'responses channel, the same without the websocket: codex exec exits 0');
responses_got(1);
bodies_got(1);
($rc, $out, $err, $tws) = say_hi($base, 'resp-text', retries => 1, provider => 'supports_websockets = true');
is($out, "$Text\n", 'responses channel, websocket tried first: the upstream\'s text');
ok($tws < $tgw + 2, "responses channel, websocket tried first: done in ${tws}s (${tgw}s without it), no retries");
is_deeply([map { "$_->{method} $_->{uri}" } responses_got(1)], ['POST /v1/responses'], 'responses channel, websocket: the upstream got the POST only');
bodies_got(1);

for my $model (qw(gpt-5-codex gpt-5.5)) {
    ($rc, $out) = say_hi($base, $model);
    is($rc, 0, "chat channel, $model: codex exec exits 0");
    is($out, "$ChatText\n", "chat channel, $model: codex exec prints the chat upstream's text");
    ($rc, $out) = say_hi($base, $model, args => ['--json']);
    $ans = answer_of(json_lines($out));
    is($ans->{text}, $ChatText, "chat channel, $model, --json: the chat upstream's text");
    is_deeply([@{ $ans->{usage} || {} }{qw(input_tokens cached_input_tokens output_tokens reasoning_output_tokens)}], [12, 4, 7, 3],
              "chat channel, $model, --json: the chat upstream's usage, cached and reasoning tokens apart");
    @got = chat_got(2);
    is_deeply([map { [@$_{qw(method uri authorization model mode)}] } @got],
              [(['POST', '/stream/v1/chat/completions', 'Bearer sk-upstream', 'gpt-4o-mini', 'stream']) x 2],
              "chat channel, $model: POST /v1/chat/completions, the channel's key, gpt-4o-mini, streamed");
}
is_deeply([responses_got(), anthropic_got()], [], 'chat channel: nothing reached the other upstreams');

($rc, $out) = say_hi($base, 'claude-sonnet-4-5');
is($rc, 0, 'anthropic channel: codex exec exits 0');
is($out, "$Text\n", 'anthropic channel: codex exec prints the Anthropic upstream\'s text');
($rc, $out) = say_hi($base, 'claude-sonnet-4-5', args => ['--json']);
$ans = answer_of(json_lines($out));
is($ans->{text}, $TextChars, 'anthropic channel, --json: the Anthropic upstream\'s text');
is_deeply([@{ $ans->{usage} || {} }{qw(input_tokens cached_input_tokens output_tokens)}], [21 + 1552 + 3072, 3072, 12],
          'anthropic channel, --json: the usage, all input tokens with the cache reads among them');
@got = anthropic_got(2);
is_deeply([map { [@$_{qw(method model mode x_api_key)}] } @got], [(['POST', 'claude-sonnet-4-5', 'stream', 'sk-ant-upstream']) x 2],
          'anthropic channel: Messages streams of the model asked for, with the channel\'s key');
like($got[0]{uri} // '', qr{^/v1/messages(?:\?|$)}, 'anthropic channel: POST /v1/messages');
is_deeply([responses_got(), chat_got()], [], 'anthropic channel: nothing reached the other upstreams');

my $errlog = aigw_nginx_stop(servroot => $GwRoot);
my @bad = grep { /\[(?:alert|emerg|crit)\]|exited on signal/ } split /\n/, $errlog;
ok(!@bad, 'no alert, crit or crash in the gateway\'s error log') or diag(join "\n", @bad);
aigw_nginx_stop();

done_testing();
