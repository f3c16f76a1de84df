# The official `@google/genai` SDK against the mock Gemini upstream itself, no gateway: the mock
# speaks what Google's own client accepts. t/sdk/gemini-smoke.mjs runs its checks (text, the
# key in x-goog-api-key only, the stream, countTokens, a function call and its response, thinking,
# cache and tool-use tokens, a blocked prompt, MAX_TOKENS and SAFETY, every error as an ApiError
# with its status, an error chunk and a reset mid-stream, a slow first byte, the model list); each
# of its TAP results becomes one result here. The mock's record then says what the SDK sent.
#
# Ports (loopback, fixed):
#   2071  the mock Gemini upstream (gemini_mock_start: a server forked from this file)

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/lib";

use File::Temp ();
use Test::More;
use Test::AIGW::SDK qw(sdk_missing sdk_tap);

BEGIN {
    my $why = sdk_missing('@google/genai');
    plan skip_all => $why if $why;
}

use Test::AIGW::HTTP qw(tcp_server_stop);
use Test::AIGW::Mock::Gemini qw(gemini_mock_start gemini_mock_log $ApiKey $Signature);

my $MOCK = 2071;
my $Dir = File::Temp->newdir('aigw-gemini-sdk-XXXXXX', TMPDIR => 1);
my $Log = "$Dir/requests.jsonl";

my $pid = gemini_mock_start($MOCK, log => $Log);
END { tcp_server_stop($pid) if $pid }

# The options through the environment, as a .t file through a gateway would pass them.
sdk_tap('mock', 'gemini-smoke.mjs',
        env => { AIGW_GEMINI_BASE_URL => "http://127.0.0.1:$MOCK", AIGW_GEMINI_KEY => $ApiKey, AIGW_CHECK_MODELS => 1 });

my @got = gemini_mock_log($Log);
ok(@got >= 25, 'the mock recorded the SDK\'s requests') or diag(scalar(@got) . ' of them');
my @generate = grep { $_->{path} =~ /:(?:stream)?generateContent\z/i } @got;
is_deeply([grep { ($_->{header}{'x-goog-api-key'} // '') !~ /\A(?:\Q$ApiKey\E|AIzaSyNotTheRightKey)\z/ } @got], [],
          'every request had the key (the wrong-key check\'s own) in x-goog-api-key');
is_deeply([grep { $_->{query} =~ /(?:^|&)key=/ || defined $_->{header}{authorization} } @got], [],
          'never as ?key=, never as Authorization');
is_deeply([grep { ($_->{header}{'x-goog-api-client'} // '') !~ m{^google-genai-sdk/2\.32\.0 gl-node/v\d} } @got], [],
          'x-goog-api-client names the SDK and node');
is_deeply([grep { ($_->{header}{'content-type'} // '') ne 'application/json' } @generate], [],
          'generate requests are application/json');
is_deeply([sort { $a cmp $b } keys %{ { map { $_->{query} => 1 } grep { $_->{path} =~ /:streamGenerateContent\z/ } @got } }], ['alt=sse'],
          'streams are asked for with ?alt=sse and nothing else');
my ($back) = grep { $_->{path} =~ /gemini-mock-function:generateContent\z/ && $_->{body} =~ /functionResponse/ } @got;
ok($back && index($back->{body}, qq("thoughtSignature":"$Signature")) >= 0,
   'the function call\'s thoughtSignature went back byte for byte');
is_deeply([map { $_->{query} } grep { $_->{method} eq 'GET' && $_->{path} eq '/v1beta/models' } @got],
          ['pageSize=2', 'pageSize=2&pageToken=page-2'], 'models.list: pageSize, then the nextPageToken');

done_testing();
