# Claude Code (`claude -p`, the npm package @anthropic-ai/claude-code 2.1.197, t/sdk) as the
# client of the gateway: once to a channel of provider=anthropic (passthrough), once to a
# channel of provider=openai (the gateway translates Anthropic's Messages to Chat Completions
# and the stream back). It must print the upstream's answer and exit 0, with `--output-format
# text` and `--output-format json`. First against the mock itself, which also pins down what
# this version of Claude Code sends.
#
# What `claude -p "say hi"` 2.1.197 does, headless (recorded against the mock):
#   - HEAD / on ANTHROPIC_BASE_URL first (a connection warm-up: no key, no anthropic headers;
#     any answer will do), then exactly one request: POST /v1/messages?beta=true, `stream`:
#     true, `max_tokens` 32000 (64000 for the default model), `thinking` ({"type":"adaptive"},
#     or enabled with budget_tokens 31999 for claude-sonnet-4-5 and claude-haiku-4-5), 24
#     tools, `system` in blocks with cache_control, `metadata.user_id`, `context_management`;
#     some 80 KB. No count_tokens, no /v1/models, no claude-haiku-* background call (title,
#     quota, topic) in -p mode: the model is only the one asked for (--model or
#     ANTHROPIC_MODEL; default claude-opus-4-8, `sonnet` is claude-sonnet-5).
#   - Headers: anthropic-version 2023-06-01; anthropic-beta, a list that starts with
#     claude-code-20250219 (plus interleaved-thinking-2025-05-14, context-management-2025-06-27,
#     prompt-caching-scope-2026-01-05, thinking-token-count-2026-05-13, and effort-2025-11-24 /
#     mid-conversation-system-2026-04-07 for the newest models); x-api-key from
#     ANTHROPIC_API_KEY, or `authorization: Bearer` from ANTHROPIC_AUTH_TOKEN (never both);
#     x-app: cli; user-agent claude-cli/2.1.197 (external, sdk-cli); x-stainless-* of the
#     Anthropic SDK 0.94.0 inside; X-Claude-Code-Session-Id; accept-encoding gzip, br, zstd.
#   - A model name with the `[1m]` suffix (claude-sonnet-4-5[1m]) goes on the wire without it,
#     with context-1m-2025-08-07 added to anthropic-beta: `aigw_model` never sees `[1m]`, and
#     `claude-*` serves every name. Legacy names are remapped unless
#     CLAUDE_CODE_DISABLE_LEGACY_MODEL_REMAP=1 (claude-opus-4-1 becomes claude-opus-4-8).
#   - It reads the answer as a stream (SSE with `event:` lines), prints the text (json: the
#     `result`, and the usage it was told, cache counts included) and exits 0 within a second;
#     a thinking block before the text is not printed. An error status exits 1, and json says
#     `api_error_status` and "API Error: 529 Overloaded. ..."; a stream that ends in `event:
#     error` reads as "API returned an empty or malformed response (HTTP 200)"; stop_reason
#     max_tokens is an error ("exceeded the 32000 output token maximum").
#   - Headless: ANTHROPIC_BASE_URL, a key, a HOME of its own (it writes ~/.claude.json and
#     ~/.claude/), stdin from /dev/null; CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 (or
#     DISABLE_TELEMETRY=1, DISABLE_ERROR_REPORTING=1, DISABLE_AUTOUPDATER=1) keeps it off the
#     network but for the base URL; CLAUDE_CODE_MAX_RETRIES=0, else an unreachable or failing
#     upstream is retried for minutes. It never waits for a prompt with -p.
#
# Ports (loopback, fixed):
#   2014  gateway (its own keys, in a private Redis): claude-* -> channel claude (2015),
#         gpt-claude -> channel gpt as gpt-4o-mini
#         (2016, the OpenAI mock's stream fixture)
#   2015  mock Anthropic upstream (Test::AIGW::Mock::Anthropic)
#   2016  mock OpenAI upstream (Test::AIGW::Mock::OpenAI), in the same NGINX as 2015

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/lib";

use File::Spec;
use JSON::PP ();
use Test::More;
use Test::AIGW::SDK qw(sdk_missing claude_bin claude_run channel_location);

BEGIN {
    my $why = sdk_missing('@anthropic-ai/claude-code');
    plan skip_all => $why if $why;
}

use Test::AIGW 'plain', 'redis';
use Test::AIGW::Mock::Anthropic qw(anthropic_mock_server anthropic_mock_log);
use Test::AIGW::Mock::OpenAI qw(openai_mock_server);

my ($GW, $MOCK, $OPENAI) = (2014, 2015, 2016);
my $MockRoot = File::Spec->catdir($FindBin::Bin, 'servroot-claude-code-mocks');
my $GwRoot = File::Spec->catdir($FindBin::Bin, 'servroot-claude-code');
my $MockLog = "$MockRoot/logs/anthropic-mock.log";
my $OpenAILog = "$MockRoot/logs/openai-mock.log";
my $Json = JSON::PP->new->utf8;

# What the mocks answer: the Anthropic mock's text, the OpenAI mock's stream as text.
my $Text = "Hello, \"w\xc3\xb6rld\"! \xe2\x9c\x93\nBye.";      # as printed: UTF-8 bytes
my $TextChars = "Hello, \"w\x{f6}rld\"! \x{2713}\nBye.";           # as decoded from JSON
my $OpenAIText = 'Hello, world! Bye.';

my $mocks = anthropic_mock_server($MOCK, log => $MockLog) . <<"_EOC_" . openai_mock_server($OPENAI);
    map \$request_body \$openai_mock_model {
        '~"model"\\s*:\\s*"(?<openai_mock_model_name>[^"]*)"' \$openai_mock_model_name;
        default '';
    }
    map \$request_body \$openai_mock_mode {
        '~"stream"\\s*:\\s*true' stream;
        default json;
    }
    log_format openai_mock escape=json '{"port":"\$server_port","method":"\$request_method",'
        '"uri":"\$request_uri","authorization":"\$http_authorization","model":"\$openai_mock_model",'
        '"mode":"\$openai_mock_mode"}';
    access_log $OpenAILog openai_mock;
    client_body_buffer_size 16m;
    client_max_body_size 16m;
_EOC_

# The gateway requires its own keys (a private Redis): Claude Code sends one as x-api-key
# (ANTHROPIC_API_KEY) or as a Bearer token (ANTHROPIC_AUTH_TOKEN).
my $GwKey = 'sk-aigw-ClaudeCodeKey' . ('0' x 35);
redis_cmd('HSET', aigw_key_hash($GwKey), id => 'key_claudecode', status => 'active', models => '*');

# The channels' locations: the Anthropic mock with Anthropic's key and version headers, the
# OpenAI mock's stream fixture with a Bearer key.
my $claude = channel_location(claude => "http://127.0.0.1:$MOCK/",
                              'x-api-key' => 'sk-ant-upstream', 'anthropic-version' => '2023-06-01');
my $gpt = channel_location(gpt => "http://127.0.0.1:$OPENAI/stream/", Authorization => 'Bearer sk-upstream');

my $gateway = <<"_EOC_";
    aigw_redis 127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};
    aigw_keys on;
    aigw_channel claude location=/_aigw/claude provider=anthropic;
    aigw_channel gpt    location=/_aigw/gpt    provider=openai;

    server {
        listen 127.0.0.1:$GW;
        client_max_body_size 16m;
        location /v1/ {
            aigw on;
            aigw_model claude-sonnet-4-5 claude;
            aigw_model claude-* claude;
            aigw_model gpt-claude gpt:gpt-4o-mini;
        }
$claude
$gpt
        # Claude Code's HEAD / warm-up.
        location / {
            return 404;
        }
    }
_EOC_

# Claude Code's `-p "say hi"` against a base URL; returns (exit code, stdout, stderr).
sub say_hi {
    my ($base, %o) = @_;
    my ($rc, $out, $err) = claude_run(base_url => $base, %o,
        args => ['-p', 'say hi', '--output-format', $o{format} // 'text', @{ $o{args} || [] }]);
    diag("claude exited with $rc\nstdout: $out\nstderr: $err") if $rc != 0;
    return ($rc, $out, $err);
}

# The requests a log got since the last call for it.
my %seen;
sub new_requests {
    my ($reader, $file, $min) = @_;
    my @all = $reader->($file, min => ($seen{$file} // 0) + ($min // 0));
    my @new = @all[($seen{$file} // 0) .. $#all];
    $seen{$file} = @all;
    return @new;
}
sub anthropic_got { return new_requests(\&anthropic_mock_log, $MockLog, @_) }
# The OpenAI mock's log is JSON lines too.
sub openai_got { return grep { $_->{port} eq $OPENAI } new_requests(\&anthropic_mock_log, $OpenAILog, @_) }

# The one Messages request of a run and what else reached the upstream.
sub one_message {
    my ($what, @got) = @_;
    my @messages = grep { $_->{uri} =~ m{^/v1/messages(?:\?|$)} } @got;
    is(scalar @messages, 1, "$what: one Messages request");
    is_deeply([grep { $_->{uri} =~ m{count_tokens|/v1/models} } @got], [], "$what: no count_tokens, no model list");
    return $messages[0] // {};
}

# A thinking stream (claude-sonnet-5's padded events, a signature) and a 529, as Claude Code shows
# them with --output-format json.
sub thinking_and_overloaded {
    my ($base, $what, %o) = @_;
    my ($rc, $out) = say_hi($base, %o, format => 'json', args => ['--model', 'claude-mock-thinking']);
    my $res = eval { $Json->decode($out) } // {};
    is($rc, 0, "$what, thinking: claude -p exits 0");
    is($res->{result}, 'Hi! How can I help?', "$what, thinking: result is the text after the thinking");
    ($rc, $out) = claude_run(base_url => $base, %o, args => ['-p', 'say hi', '--output-format', 'json', '--model', 'claude-mock-529']);
    $res = eval { $Json->decode($out) } // {};
    is($rc, 1, "$what, 529: claude -p exits 1");
    ok($res->{is_error}, "$what, 529: is_error");
    is($res->{api_error_status}, 529, "$what, 529: api_error_status 529");
    # Straight from the mock Claude Code shows Anthropic's message; through the gateway's model
    # table (which fell back and found no other channel) the gateway's, with the same status.
    like($res->{result} // '',
         $what =~ /mock/ ? qr/^API Error: 529 Overloaded\b/ : qr/^API Error: 529 .*failed; the last answered HTTP 529\./,
         "$what, 529: the status and the message");
    return;
}

my ($vrc, $version) = run_program({ timeout => 30 }, claude_bin(), '--version');
like($version, qr/^2\.1\.197 \(Claude Code\)$/m, 'claude --version: 2.1.197 (the native binary is in place)')
    or diag("exit $vrc: $version");

my $mock_port = eval { aigw_nginx_start($mocks, servroot => $MockRoot) };
if (!$mock_port) {
    fail('the mock upstreams start');
    diag($@);
    done_testing();
    exit;
}

# ---------------------------------------------------------------------------
# Straight to the mock: what Claude Code sends, and that it takes the mock's answer.

my $direct = "http://127.0.0.1:$MOCK";
my ($rc, $out) = say_hi($direct, args => ['--model', 'claude-sonnet-4-5']);
is($rc, 0, 'mock: claude -p exits 0');
is($out, "$Text\n", 'mock: claude -p prints the answer\'s text');
my @got = anthropic_got(2);
is_deeply([map { "$_->{method} $_->{uri}" } @got], ['HEAD /', 'POST /v1/messages?beta=true'],
          'mock: a HEAD / warm-up, then one POST /v1/messages?beta=true');
my $m = one_message('mock', @got);
is($m->{model}, 'claude-sonnet-4-5', 'mock: the model asked for');
is($m->{mode}, 'stream', 'mock: a stream');
is($m->{anthropic_version}, '2023-06-01', 'mock: anthropic-version 2023-06-01');
like($m->{anthropic_beta}, qr/^claude-code-20250219,/, 'mock: anthropic-beta starts with claude-code-20250219');
is($m->{x_api_key}, 'sk-ant-test', 'mock: ANTHROPIC_API_KEY as x-api-key');
is($m->{authorization}, '', 'mock: no authorization header with ANTHROPIC_API_KEY');

($rc, $out) = say_hi($direct, format => 'json', token => 'sk-ant-token', args => ['--model', 'claude-sonnet-4-5[1m]']);
my $res = eval { $Json->decode($out) } // {};
is($rc, 0, 'mock, json: claude -p exits 0');
is($res->{result}, $TextChars, 'mock, json: result is the answer\'s text');
ok(JSON::PP::is_bool($res->{is_error}) && !$res->{is_error}, 'mock, json: is_error false');
is_deeply([@{ $res->{usage} || {} }{qw(input_tokens cache_creation_input_tokens cache_read_input_tokens output_tokens)}],
          [21, 1552, 3072, 12], 'mock, json: the usage it was told, cache counts included');
$m = one_message('mock, [1m]', anthropic_got(2));
is($m->{model}, 'claude-sonnet-4-5', 'mock, [1m]: the model name goes without [1m]');
like($m->{anthropic_beta}, qr/(?:^|,)context-1m-2025-08-07(?:,|$)/, 'mock, [1m]: with the context-1m beta');
is($m->{authorization}, 'Bearer sk-ant-token', 'mock: ANTHROPIC_AUTH_TOKEN as authorization: Bearer');
is($m->{x_api_key}, '', 'mock: no x-api-key with ANTHROPIC_AUTH_TOKEN');
thinking_and_overloaded($direct, 'mock');
anthropic_got(4);

# ---------------------------------------------------------------------------
# Through the gateway.

my $port = eval { aigw_nginx_start($gateway, servroot => $GwRoot) };
if (!$port) {
    fail('nginx with the aigw module, an Anthropic and an OpenAI channel starts');
    diag($@);
    aigw_nginx_stop();
    done_testing();
    exit;
}
my $base = "http://127.0.0.1:$GW";

# A key the gateway does not know: Anthropic's authentication_error, nothing upstream.
($rc, $out) = claude_run(base_url => $base, key => 'sk-aigw-NotAKeyOfThisGateway' . ('0' x 29),
                         args => ['-p', 'say hi', '--output-format', 'json', '--model', 'claude-sonnet-4-5']);
$res = eval { $Json->decode($out) } // {};
is($rc, 1, 'unknown gateway key: claude -p exits 1');
is($res->{api_error_status}, 401, 'unknown gateway key: api_error_status 401');
like($res->{result} // '', qr/401/, 'unknown gateway key: Claude Code reports the 401');
is_deeply([anthropic_got()], [], 'unknown gateway key: nothing reached the upstream');

($rc, $out) = say_hi($base, key => $GwKey, args => ['--model', 'claude-sonnet-4-5']);
is($rc, 0, 'anthropic channel: claude -p exits 0');
is($out, "$Text\n", 'anthropic channel: claude -p prints the upstream\'s text');
$m = one_message('anthropic channel', anthropic_got(1));
is($m->{model}, 'claude-sonnet-4-5', 'anthropic channel: the upstream got the model');
is($m->{mode}, 'stream', 'anthropic channel: a stream');
is($m->{x_api_key}, 'sk-ant-upstream', 'anthropic channel: the channel\'s key, not the client\'s');
is($m->{authorization}, '', 'anthropic channel: no authorization header upstream');
is($m->{anthropic_version}, '2023-06-01', 'anthropic channel: anthropic-version');
like($m->{anthropic_beta}, qr/^claude-code-20250219,.*interleaved-thinking-2025-05-14/,
     'anthropic channel: Claude Code\'s anthropic-beta passed on');

($rc, $out) = say_hi($base, format => 'json', token => $GwKey, args => ['--model', 'claude-sonnet-4-5[1m]']);
$res = eval { $Json->decode($out) } // {};
is($rc, 0, 'anthropic channel, json: claude -p exits 0');
is($res->{result}, $TextChars, 'anthropic channel, json: result is the upstream\'s text');
ok(!$res->{is_error}, 'anthropic channel, json: is_error false');
is_deeply([@{ $res->{usage} || {} }{qw(input_tokens cache_creation_input_tokens cache_read_input_tokens output_tokens)}],
          [21, 1552, 3072, 12], 'anthropic channel, json: the upstream\'s usage, cache counts included');
$m = one_message('anthropic channel, [1m]', anthropic_got(1));
like($m->{anthropic_beta}, qr/(?:^|,)context-1m-2025-08-07(?:,|$)/, 'anthropic channel, [1m]: the context-1m beta passed on');
is($m->{x_api_key}, 'sk-ant-upstream', 'anthropic channel, auth token: the channel\'s key upstream');
is($m->{authorization}, '', 'anthropic channel, auth token: the client\'s bearer token not upstream');

($rc, $out) = say_hi($base, key => $GwKey, args => ['--model', 'claude-haiku-4-5']);
is($rc, 0, 'anthropic channel, claude-haiku-4-5 (claude-*): claude -p exits 0');
is($out, "$Text\n", 'anthropic channel, claude-haiku-4-5 (claude-*): the upstream\'s text');
is(one_message('anthropic channel, claude-haiku-4-5', anthropic_got(1))->{model}, 'claude-haiku-4-5',
   'anthropic channel, claude-haiku-4-5: the upstream got the name unchanged');
thinking_and_overloaded($base, 'anthropic channel', key => $GwKey);
anthropic_got(2);

($rc, $out) = say_hi($base, key => $GwKey, args => ['--model', 'gpt-claude']);
is($rc, 0, 'openai channel: claude -p exits 0');
is($out, "$OpenAIText\n", 'openai channel: claude -p prints the OpenAI upstream\'s text');
($rc, $out) = say_hi($base, key => $GwKey, format => 'json', args => ['--model', 'gpt-claude']);
$res = eval { $Json->decode($out) } // {};
is($rc, 0, 'openai channel, json: claude -p exits 0');
is($res->{result}, $OpenAIText, 'openai channel, json: result is the OpenAI upstream\'s text');
ok(!$res->{is_error}, 'openai channel, json: is_error false');
note('openai channel, json: usage ' . JSON::PP->new->canonical->encode($res->{usage} // {}));
my @oai = openai_got(2);
is(scalar @oai, 2, 'openai channel: one Chat Completions request a run');
is_deeply([map { [@$_{qw(method uri authorization model mode)}] } @oai],
          [(['POST', '/stream/v1/chat/completions', 'Bearer sk-upstream', 'gpt-4o-mini', 'stream']) x 2],
          'openai channel: POST /v1/chat/completions, the channel\'s key, gpt-4o-mini, streamed');
is_deeply([anthropic_got()], [], 'openai channel: nothing reached the Anthropic upstream');

my $errlog = aigw_nginx_stop(servroot => $GwRoot);
my @bad = grep { /\[(?:alert|emerg|crit)\]|exited on signal/ } split /\n/, $errlog;
ok(!@bad, 'no alert, crit or crash in the gateway\'s error log') or diag(join "\n", @bad);
aigw_nginx_stop();

done_testing();
