# The official `openai` npm SDK asking the gateway's OpenAI endpoint for Gemini models, served by
# a channel of provider=gemini: the gateway translates Chat Completions to Gemini's
# generateContent (streamGenerateContent?alt=sse for a stream), and the answers, chunks, usage,
# tool calls and their results, reasoning, finish reasons and errors back.
# t/sdk/openai-gemini-smoke.mjs holds the SDK to what the mock Gemini upstream's answers are in
# OpenAI's wire format; each of its TAP results becomes one result here. The mock's record then
# says what the upstream got: the channel's key only (never the client's Bearer key), the
# upstream model in the path, alt=sse for streams, Gemini's own request shape.
#
# Ports (loopback, fixed):
#   2077  gateway: gem-flash -> channel gem as gemini-2.5-flash, gemini-* -> channel gem as asked
#   2078  the mock Gemini upstream (gemini_mock_start: a server forked from this file)

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/lib";

use File::Spec;
use File::Temp ();
use Test::More;
use Test::AIGW::SDK qw(sdk_missing sdk_tap channel_location);

BEGIN {
    my $why = sdk_missing('openai');
    plan skip_all => $why if $why;
}

use Test::AIGW 'plain';
use Test::AIGW::HTTP qw(tcp_server_stop);
use Test::AIGW::Mock::Gemini qw(gemini_mock_start gemini_mock_log $ApiKey);

my ($GW, $MOCK) = (2077, 2078);
my $GwRoot = File::Spec->catdir($FindBin::Bin, 'servroot-openai-sdk-gemini');
my $Dir = File::Temp->newdir('aigw-openai-gemini-XXXXXX', TMPDIR => 1);
my $Log = "$Dir/requests.jsonl";
my $ClientKey = 'sk-openai-client-key';

# The public name the client asks for, and the upstream's name the model table maps it to.
my ($Public, $Upstream) = ('gem-flash', 'gemini-2.5-flash');

my $pid = gemini_mock_start($MOCK, log => $Log);
END { tcp_server_stop($pid) if $pid }

# The channel's location sends the mock the upstream key, $ApiKey, as x-goog-api-key.
my $gem = channel_location(gem => "http://127.0.0.1:$MOCK/", 'x-goog-api-key' => $ApiKey);
my $gateway = <<"_EOC_";
    aigw_channel gem location=/_aigw/gem provider=gemini;

    server {
        listen 127.0.0.1:$GW;
        location /v1/ {
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

sdk_tap('openai sdk', 'openai-gemini-smoke.mjs',
        env => { AIGW_BASE_URL => "http://127.0.0.1:$GW/v1", AIGW_KEY => $ClientKey, AIGW_GEMINI_MODEL => $Public,
                 AIGW_GEMINI_UPSTREAM_MODEL => $Upstream, AIGW_GEMINI_UPSTREAM_KEY => $ApiKey });

my @got = gemini_mock_log($Log, min => 20);
ok(@got >= 20, 'the upstream got the SDK\'s requests') or diag(scalar(@got) . ' of them');
my %paths = map { ("$_->{method} $_->{path}" => 1) } @got;
is_deeply([grep { !m{^POST /v1beta/models/[^/:]+:(?:generateContent|streamGenerateContent)\z} } sort keys %paths], [],
          'the upstream got generateContent and streamGenerateContent only')
    or diag(join "\n", sort keys %paths);
is_deeply([grep { !$paths{$_} } map { "POST /v1beta/models/$Upstream:$_" } qw(generateContent streamGenerateContent)],
          [], "the public $Public reached the upstream as $Upstream, whole and streamed");
is_deeply([grep { index($_->{target}, $Public) >= 0 } @got], [], "never the public name $Public upstream");
is_deeply([grep { ($_->{header}{'x-goog-api-key'} // '') ne $ApiKey } @got], [],
          'every request upstream had the channel\'s key as x-goog-api-key');
is_deeply([grep { defined $_->{header}{authorization} || $_->{query} =~ /(?:^|&)key=/i
                  || index(join("\n", map { $_->[1] } @{ $_->{headers} }) . $_->{body}, $ClientKey) >= 0 } @got], [],
          'the client\'s key never upstream: no authorization header, no ?key=, nowhere in a header or the body');
is_deeply([sort { $a cmp $b } keys %{ { map { $_->{query} => 1 } grep { $_->{path} =~ /:streamGenerateContent\z/ } @got } }],
          ['alt=sse'], 'streams upstream with ?alt=sse and nothing else');
is_deeply([grep { !ref $_->{json} || ref $_->{json}{contents} ne 'ARRAY' || exists $_->{json}{messages}
                  || exists $_->{json}{model} || exists $_->{json}{stream} } @got], [],
          'every body upstream is Gemini\'s: contents, no messages, model or stream');
my ($thinking) = grep { $_->{path} =~ /gemini-mock-thinking:generateContent\z/ && $_->{body} =~ /thinkingConfig/ } @got;
is_deeply($thinking && $thinking->{json}{generationConfig}{thinkingConfig}, { thinkingBudget => 1024, includeThoughts => JSON::PP::true() },
          'reasoning_effort low reached the upstream as a thinking budget of 1024 with the thoughts included');
my ($result) = grep { $_->{path} =~ /gemini-mock-function:generateContent\z/ && $_->{body} =~ /functionResponse/ } @got;
my $turns = $result ? $result->{json}{contents} : [];
is_deeply([map { $_->{role} } @$turns], [qw(user model user)], 'the tool result: three turns, user, model, user');
is_deeply($turns->[1]{parts}[0]{functionCall}, { name => 'get_weather', args => { city => 'Paris', unit => 'celsius' } },
          'the tool result: the model turn is the functionCall as Gemini made it');
is($turns->[2]{parts}[0]{functionResponse}{name}, 'get_weather',
   'the tool result: a functionResponse named after the call it answers');

my $errlog = aigw_nginx_stop(servroot => $GwRoot);
my @bad = grep { /\[(?:alert|emerg|crit)\]|exited on signal/ } split /\n/, $errlog;
ok(!@bad, 'no alert, crit or crash in the gateway\'s error log') or diag(join "\n", @bad);
aigw_nginx_stop();

done_testing();
