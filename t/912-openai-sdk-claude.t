# The official `openai` npm SDK asking the gateway's OpenAI endpoint for Claude models, served by
# a channel of provider=anthropic: the gateway translates Chat Completions to Anthropic's
# Messages, and the answers, streams, usage, tool calls, finish reasons and errors back.
# t/sdk/openai-claude-smoke.mjs holds the SDK to what the mock Anthropic upstream's answers are
# in OpenAI's wire format; each of its TAP results becomes one result here. The mock's log then
# says what the upstream got: Messages requests with the channel's key and anthropic-version.
#
# Ports (loopback, fixed):
#   2017  gateway: aigw_model claude-* -> channel claude -> 2018
#   2018  mock Anthropic upstream (an NGINX of its own, Test::AIGW::Mock::Anthropic)

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/lib";

use File::Spec;
use Test::More;
use Test::AIGW::SDK qw(sdk_missing sdk_tap claude_gateway);

BEGIN {
    my $why = sdk_missing('openai');
    plan skip_all => $why if $why;
}

use Test::AIGW 'plain';
use Test::AIGW::Mock::Anthropic qw(anthropic_mock_server anthropic_mock_log);

my ($GW, $MOCK) = (2017, 2018);
my $MockRoot = File::Spec->catdir($FindBin::Bin, 'servroot-openai-sdk-claude-mock');
my $GwRoot = File::Spec->catdir($FindBin::Bin, 'servroot-openai-sdk-claude');
my $MockLog = "$MockRoot/logs/anthropic-mock.log";

# claude-sonnet-4-5 and claude-* -> the channel claude, which sends the mock its own key,
# sk-ant-upstream, and anthropic-version 2023-06-01.
my $gateway = claude_gateway($GW, $MOCK);

my $mock_port = eval { aigw_nginx_start(anthropic_mock_server($MOCK, log => $MockLog), servroot => $MockRoot) };
my $port = $mock_port && eval { aigw_nginx_start($gateway, servroot => $GwRoot) };
if (!$port) {
    fail('the mock, and nginx with the aigw module and an Anthropic channel, start');
    diag($@);
    aigw_nginx_stop();
    done_testing();
    exit;
}

sdk_tap('openai sdk', 'openai-claude-smoke.mjs', args => ['--base-url', "http://127.0.0.1:$GW/v1", '--key', 'sk-test']);

# 13 chat requests: every one a Messages request upstream.
my @got = anthropic_mock_log($MockLog, min => 13);
is_deeply([grep { $_->{method} ne 'POST' || $_->{uri} !~ m{^/v1/messages(?:\?|$)} } @got], [],
          'the upstream got Messages requests only');
is_deeply([grep { $_->{x_api_key} ne 'sk-ant-upstream' || $_->{authorization} ne '' } @got], [],
          'the upstream got the channel\'s key, never the client\'s');
is_deeply([grep { $_->{anthropic_version} ne '2023-06-01' } @got], [], 'the upstream got anthropic-version 2023-06-01');
ok((grep { $_->{model} eq 'claude-sonnet-4-5' && $_->{mode} eq 'stream' } @got)
   && (grep { $_->{model} eq 'claude-sonnet-4-5' && $_->{mode} eq 'json' } @got),
   'a chat stream is a Messages stream upstream, a whole chat a whole Messages request');

my $errlog = aigw_nginx_stop(servroot => $GwRoot);
my @bad = grep { /\[(?:alert|emerg|crit)\]|exited on signal/ } split /\n/, $errlog;
ok(!@bad, 'no alert, crit or crash in the gateway\'s error log') or diag(join "\n", @bad);
aigw_nginx_stop();

done_testing();
