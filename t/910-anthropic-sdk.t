# The official `@anthropic-ai/sdk` as the client of the gateway's Anthropic endpoint, in front of
# a channel of provider=anthropic: passthrough. t/sdk/anthropic-smoke.mjs runs its checks
# (create and stream with usage and cache tokens, count_tokens, tool use and thinking whole and
# streamed, every error class with its request id, a mid-stream error event) first against the
# mock upstream itself, so that a failure through the gateway is the gateway's, then through the
# gateway. Each of its TAP results becomes one result here. The mock's log then says what the
# upstream got: the channel's key and anthropic-version, the client's model names.
#
# Ports (loopback, fixed):
#   2012  gateway: aigw_model claude-* -> channel claude -> 2013
#   2013  mock Anthropic upstream (an NGINX of its own, Test::AIGW::Mock::Anthropic)

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/lib";

use File::Spec;
use Test::More;
use Test::AIGW::SDK qw(sdk_missing sdk_tap claude_gateway);

BEGIN {
    my $why = sdk_missing('@anthropic-ai/sdk');
    plan skip_all => $why if $why;
}

use Test::AIGW 'plain';
use Test::AIGW::Mock::Anthropic qw(anthropic_mock_server anthropic_mock_log $RequestId);

my ($GW, $MOCK) = (2012, 2013);
my $MockRoot = File::Spec->catdir($FindBin::Bin, 'servroot-anthropic-sdk-mock');
my $MockLog = "$MockRoot/logs/anthropic-mock.log";
my $ClientKey = 'sk-ant-client-key';

# claude-sonnet-4-5 and claude-* -> the channel claude, which sends the mock its own key,
# sk-ant-upstream, and anthropic-version 2023-06-01.
my $gateway = claude_gateway($GW, $MOCK);

my $mock_port = eval { aigw_nginx_start(anthropic_mock_server($MOCK, log => $MockLog), servroot => $MockRoot) };
if (!$mock_port) {
    fail('the mock Anthropic upstream starts');
    diag($@);
    done_testing();
    exit;
}

# The SDK straight to the mock: the checks' expectations are what Anthropic's format gives.
sdk_tap('mock', 'anthropic-smoke.mjs',
        args => ['--base-url', "http://127.0.0.1:$MOCK", '--key', $ClientKey, '--request-id', $RequestId, '--models']);
# 21 Messages requests, count_tokens, the model list.
my $direct = () = anthropic_mock_log($MockLog, min => 23);

my $port = eval { aigw_nginx_start($gateway, servroot => File::Spec->catdir($FindBin::Bin, 'servroot-anthropic-sdk')) };
if (!$port) {
    fail('nginx with the aigw module and an Anthropic channel starts');
    diag($@);
} else {
    sdk_tap('gateway', 'anthropic-smoke.mjs', args => ['--base-url', "http://127.0.0.1:$GW", '--key', $ClientKey, '--routed']);

    my @got = anthropic_mock_log($MockLog, min => $direct + 22);
    splice @got, 0, $direct;
    my @messages = grep { $_->{uri} =~ m{^/v1/messages(?:\?|$)} } @got;
    ok(@messages >= 20, 'the upstream got the Messages requests') or diag(scalar(@messages) . ' of them');
    is_deeply([grep { $_->{x_api_key} ne 'sk-ant-upstream' || $_->{authorization} ne '' } @got], [],
              'the upstream got the channel\'s key, never the client\'s');
    is_deeply([grep { $_->{anthropic_version} ne '2023-06-01' } @got], [], 'the upstream got anthropic-version 2023-06-01');
    is_deeply([sort { $a cmp $b } keys %{ { map { $_->{model} => 1 } @messages } }],
              [qw(claude-mock-400 claude-mock-401 claude-mock-403 claude-mock-404 claude-mock-413 claude-mock-429
                  claude-mock-500 claude-mock-529 claude-mock-max-tokens claude-mock-stream-error claude-mock-thinking
                  claude-mock-tool claude-sonnet-4-5)],
              'the upstream got the model names the client asked for');
    ok((grep { $_->{uri} =~ m{^/v1/messages/count_tokens(?:\?|$)} } @got) == 1, 'count_tokens reached the upstream');

    my $errlog = aigw_nginx_stop(servroot => File::Spec->catdir($FindBin::Bin, 'servroot-anthropic-sdk'));
    my @bad = grep { /\[(?:alert|emerg|crit)\]|exited on signal/ } split /\n/, $errlog;
    ok(!@bad, 'no alert, crit or crash in the gateway\'s error log') or diag(join "\n", @bad);
}

aigw_nginx_stop();
done_testing();
