# The official `@google/genai` SDK as the client of the gateway's native Gemini ingress
# (/v1beta/models/...), in front of a channel of provider=gemini: passthrough, with the gateway's
# own keys (a private Redis) and a model table that renames the public model. t/sdk/
# gemini-smoke.mjs runs its checks (text, the stream, countTokens, a function call and its
# response with the thought signature, thinking, cache and tool-use tokens, a blocked prompt,
# MAX_TOKENS and SAFETY, every error as an ApiError with its status, an error chunk and a reset
# mid-stream, a slow first byte, the gateway's model list) through the gateway with its key, once as
# x-goog-api-key and once as ?key=; each of its TAP results becomes one result here. The mock's
# record then says what reached the upstream: the channel's key only, the upstream model in the
# path, alt=sse, the thought signature back byte for byte. (t/098 runs the same script against
# the mock itself.)
#
# Ports (loopback, fixed):
#   2075  gateway (its own keys, in a private Redis): gem-flash -> channel gem as
#         gemini-2.5-flash, gemini-* -> channel gem as asked
#   2076  the mock Gemini upstream (gemini_mock_start: a server forked from this file)

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/lib";

use File::Spec;
use File::Temp ();
use Test::More;
use Test::AIGW::SDK qw(sdk_missing sdk_tap channel_location);

BEGIN {
    my $why = sdk_missing('@google/genai');
    plan skip_all => $why if $why;
}

use Test::AIGW 'plain', 'redis';
use Test::AIGW::HTTP qw(tcp_server_stop);
use Test::AIGW::Mock::Gemini qw(gemini_mock_start gemini_mock_log $ApiKey $Signature);

my ($GW, $MOCK) = (2075, 2076);
my $GwRoot = File::Spec->catdir($FindBin::Bin, 'servroot-genai-sdk');
my $Dir = File::Temp->newdir('aigw-genai-sdk-XXXXXX', TMPDIR => 1);
my $Log = "$Dir/requests.jsonl";

# The public name the client asks for, and the upstream's name the model table maps it to.
my ($Public, $Upstream) = ('gem-flash', 'gemini-2.5-flash');

# The gateway requires its own keys (a private Redis): the SDK sends one as x-goog-api-key, or
# (AIGW_GEMINI_KEY_IN_QUERY) as ?key=.
my $GwKey = 'sk-aigw-GenaiSdkKey' . ('0' x 37);
redis_cmd('HSET', aigw_key_hash($GwKey), id => 'key_genai_sdk', status => 'active', models => '*');

my $pid = gemini_mock_start($MOCK, log => $Log);
END { tcp_server_stop($pid) if $pid }

# The channel's location sends the mock the upstream key, $ApiKey, as x-goog-api-key.
my $gem = channel_location(gem => "http://127.0.0.1:$MOCK/", 'x-goog-api-key' => $ApiKey);
my $gateway = <<"_EOC_";
    aigw_redis 127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};
    aigw_keys on;
    aigw_channel gem location=/_aigw/gem provider=gemini;

    server {
        listen 127.0.0.1:$GW;
        location /v1beta/ {
            aigw on;
            aigw_model $Public gem:$Upstream;
            aigw_model gemini-* gem;
        }
$gem
        location / {
            return 404;
        }
    }
_EOC_

my $port = eval { aigw_nginx_start($gateway, servroot => $GwRoot) };
if (!$port) {
    fail('nginx with the aigw module and a Gemini channel starts');
    diag($@);
    aigw_nginx_stop();
    done_testing();
    exit;
}

my %env = (AIGW_GEMINI_BASE_URL => "http://127.0.0.1:$GW", AIGW_GEMINI_KEY => $GwKey,
           AIGW_GEMINI_MODEL => $Public, AIGW_GEMINI_UPSTREAM_MODEL => $Upstream,
           AIGW_GEMINI_UPSTREAM_KEY => $ApiKey, AIGW_GEMINI_MODEL_VERSION => $Public, AIGW_ROUTED => 1,
           AIGW_GEMINI_LISTED => $Public);
sdk_tap('gateway', 'gemini-smoke.mjs', env => \%env);

my @got = gemini_mock_log($Log, min => 20);
my $first = @got;
ok($first >= 20, 'the upstream got the SDK\'s requests') or diag("$first of them");
my %paths = map { ("$_->{method} $_->{path}" => 1) } @got;
is_deeply([grep { ($_->{header}{'x-goog-api-key'} // '') ne $ApiKey } @got], [],
          'every request upstream had the channel\'s key as x-goog-api-key');
is_deeply([grep { $_->{query} =~ /(?:^|&)key=/i || defined $_->{header}{authorization} } @got], [],
          'never a ?key=, never an authorization header upstream');
is_deeply([grep { index(join("\n", map { "$_->[0]: $_->[1]" } @{ $_->{headers} }) . $_->{target} . $_->{body}, $GwKey) >= 0 } @got],
          [], 'the gateway\'s key nowhere upstream: not in a header, the target or the body');
is_deeply([grep { !$paths{$_} } map { "POST /v1beta/models/$Upstream:$_" } qw(generateContent streamGenerateContent countTokens)],
          [], "the public $Public reached the upstream as $Upstream, for generate, stream and countTokens")
    or diag(join "\n", sort keys %paths);
is_deeply([grep { index($_->{target}, $Public) >= 0 } @got], [], "never the public name $Public upstream");
is_deeply([sort { $a cmp $b } keys %{ { map { $_->{query} => 1 } grep { $_->{path} =~ /:streamGenerateContent\z/ } @got } }],
          ['alt=sse'], 'streams upstream with ?alt=sse and nothing else');
my ($back) = grep { $_->{path} =~ /gemini-mock-function:generateContent\z/ && $_->{body} =~ /functionResponse/ } @got;
ok($back && index($back->{body}, qq("thoughtSignature":"$Signature")) >= 0,
   'the function call\'s thoughtSignature reached the upstream byte for byte in the next turn');

# The gateway's key as ?key=, as Google's REST examples send it.
sdk_tap('gateway, ?key=', 'gemini-smoke.mjs', env => { %env, AIGW_GEMINI_KEY_IN_QUERY => 1 });
@got = gemini_mock_log($Log, min => $first + 20);
splice @got, 0, $first;
ok(@got >= 20, '?key=: the upstream got the SDK\'s requests') or diag(scalar(@got) . ' of them');
is_deeply([grep { ($_->{header}{'x-goog-api-key'} // '') ne $ApiKey } @got], [],
          '?key=: every request upstream had the channel\'s key as x-goog-api-key');
is_deeply([grep { $_->{query} =~ /(?:^|&)key=/i || index($_->{target}, $GwKey) >= 0 } @got], [],
          '?key=: the client\'s ?key= never reached the upstream');
is_deeply([sort { $a cmp $b } keys %{ { map { $_->{query} => 1 } grep { $_->{path} =~ /:streamGenerateContent\z/ } @got } }],
          ['alt=sse'], '?key=: streams upstream with ?alt=sse and nothing else');

my $errlog = aigw_nginx_stop(servroot => $GwRoot);
my @bad = grep { /\[(?:alert|emerg|crit)\]|exited on signal/ } split /\n/, $errlog;
ok(!@bad, 'no alert, crit or crash in the gateway\'s error log') or diag(join "\n", @bad);
# NGINX's own debug lines print every request line and header; the gateway's lines must not.
is_deeply([grep { index($_, $GwKey) >= 0 && !/\[debug\]/ } split /\n/, $errlog], [],
          'the gateway\'s key in no error.log line above debug');
aigw_nginx_stop();

done_testing();
