# Exact token counts where the upstream reports none (issue #22): the record's counts come from
# the gateway's tokenizer (tiktoken's o200k_base or cl100k_base, by the model) for an upstream
# that cuts a stream before its usage chunk, one that ignores include_usage, a client that
# leaves mid-stream, an Anthropic stream cut after message_start (its input counts kept, its
# output counted), a JSON answer without usage; the estimate for a model whose tokenizer is not
# public; aigw_tokenizer's entries over OpenAI's table, and that table on an alias's upstream
# name; counted_by=upstream whenever the upstream's usage is there; count_tokens and
# countTokens answered by the gateway with X-Counted-By. Every expected count is what
# scripts/aigw-tokens says of the text the client was sent (or of the request, as the gateway
# counts a prompt), so a count from the wrong encoding, or an estimate, fails. What nginx -t
# says about aigw_tokenizer is t/043-config-usage.t.
#
#     prove -I t/lib t/087-usage-tokenizer.t
#
# Ports (loopback, fixed): the gateway on $TEST_NGINX_PORT; 2080 the mock upstream (NGINX +
# echo, same NGINX); 2081 the runner's raw TCP mock (a stream cut at a chosen point).

use lib 't/lib';
use Test::AIGW 'redis';
use Test::AIGW::Mock::OpenAI qw(chat_chunk unasked chunked_reply q_ngx echo_sse);
use Test::AIGW::Mock::Anthropic qw(sse_events @TextEvents @TextDeltas);
use Test::AIGW::Usage qw(:all);

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');

add_response_body_check(\&usage_record_check);

our $ServRoot = $ENV{TEST_NGINX_SERVER_ROOT};

# ---- what the mock upstream says ----

# The answer's text, in the pieces a stream sends: Latin with diacritics, a dash, CJK, code with
# quotes. Its o200k_base, cl100k_base and estimated counts all differ, so a count by the wrong
# encoding cannot pass.
our @Pieces = ("Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln", " \xe2\x80\x94 \xe6\x9d\xb1\xe4\xba\xac\xe3\x82\xbf\xe3\x83\xaf\xe3\x83\xbc",
               ", na\xc3\xafve caf\xc3\xa9; ", 'fn main() { println!("hi"); }');
our $Text = join '', @Pieces;
{
    my %n = map { $_ => tokens($Text, encoding => $_) } qw(o200k_base cl100k_base estimate);
    die "the test text does not tell the encodings apart: @{[ %n ]}\n"
        if $n{o200k_base} == $n{cl100k_base} || $n{o200k_base} == $n{estimate}
           || $n{cl100k_base} == $n{estimate};
}

# A JSON string's contents (the pieces are UTF-8 already).
sub js { (my $s = $_[0]) =~ s/(["\\])/\\$1/g; return $s }

sub chunk {
    my ($delta, %o) = @_;
    return chat_chunk(id => 'chatcmpl-AIGWtok0001', created => 1733000020, model => 'gpt-mock',
                      delta => $delta, finish => $o{finish}, usage => $o{usage});
}
# The stream's chunks: the role, one per piece, the finish; then, with usage, the usage chunk.
our @Chunks = (chunk('{"role":"assistant","content":""}'),
               (map { chunk('{"content":"' . js($_) . '"}') } @Pieces),
               chunk('{}', finish => '"stop"'));
our $Stream = join('', map { "data: $_\n\n" } @Chunks);
# A server that ignores include_usage: no usage member at all, then [DONE].
our $NoUsageStream = unasked($Stream) . "data: [DONE]\n\n";
our $UsageChunk = chat_chunk(id => 'chatcmpl-AIGWtok0001', created => 1733000020, model => 'gpt-mock',
                             usage => '{"prompt_tokens":111,"completion_tokens":222,"total_tokens":333}');
our $UsageStream = $Stream . "data: $UsageChunk\n\ndata: [DONE]\n\n";
our $Json = '{"id":"chatcmpl-AIGWtok0002","object":"chat.completion","created":1733000020,"model":"gpt-mock",'
          . '"choices":[{"index":0,"message":{"role":"assistant","content":"' . js($Text) . '"},'
          . '"finish_reason":"stop"}]}';

# The request every block sends (its model aside), and its prompt as the gateway counts it.
our $Messages = '"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello in German"}]';
sub body { my ($model, $extra) = @_; return qq({"model":"$model",) . ($extra // '') . "$Messages}" }
sub prompt { return tokens("{$Messages}", prompt => 1, encoding => $_[0] // 'o200k_base') }

# ---- the gateway ----

our $Http = "    aigw_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;\n    aigw_keys off;\n" . $LogFormat . <<"_EOC_";
    server {
        listen 127.0.0.1:2080;
        default_type application/json;
        location = /json/v1/chat/completions { return 200 @{[ q_ngx($Json) ]}; }
        location = /nousage-stream/v1/chat/completions {
@{[ echo_sse($NoUsageStream) ]}        }
        location = /usage-stream/v1/chat/completions {
@{[ echo_sse($UsageStream) ]}        }
        location = /slow/v1/chat/completions {
@{[ echo_sse(unasked(join '', map { "data: $_\n\n" } @Chunks[0 .. 2])) ]}            echo_sleep 1.5;
@{[ join '', map { "            echo " . q_ngx("data: " . unasked($_)) . ";\n            echo;\n" } @Chunks[3 .. $#Chunks] ]}        }
    }

    aigw_channel json location=/_aigw/json;
    aigw_channel nousage location=/_aigw/nousage;
    aigw_channel usage location=/_aigw/usage;
    aigw_channel slow location=/_aigw/slow;
    aigw_channel cut location=/_aigw/cut;
    aigw_channel claude location=/_aigw/claude provider=anthropic;

    aigw_tokenizer my-model cl100k_base;
    aigw_tokenizer my-* o200k_base;
    aigw_tokenizer gpt-4o-legacy cl100k_base;
    aigw_tokenizer gpt-4o-mystery estimate;
    aigw_tokenizer claude-exact* o200k_base;

    aigw_price gpt-4o input=2.5 output=10;
    aigw_price_missing free;
_EOC_

our $Gateway = <<'_EOC_';
    location /v1/ {
        aigw on;
        aigw_model gpt-4o cut;
        aigw_model gpt-4 nousage;
        aigw_model fast slow:gpt-4o-mini;
        aigw_model gpt-4o-mini usage;
        aigw_model claude-exact claude;
        aigw_model claude-plain claude;
        aigw_model my-model json;
        aigw_model my-other json;
        aigw_model gpt-4o-legacy json;
        aigw_model gpt-4o-mystery json;
        aigw_model gpt-4o-json json;
        aigw_model local-llama json;
        access_log logs/usage.log usage_json;
    }
    location /v1beta/ {
        aigw on;
        aigw_model gpt-4o-json json;
        aigw_model local-llama json;
        access_log logs/usage.log usage_json;
    }
    location /_aigw/json/ { internal; proxy_pass http://127.0.0.1:2080/json/; }
    location /_aigw/nousage/ { internal; proxy_pass http://127.0.0.1:2080/nousage-stream/; }
    location /_aigw/usage/ { internal; proxy_pass http://127.0.0.1:2080/usage-stream/; }
    location /_aigw/slow/ { internal; proxy_pass http://127.0.0.1:2080/slow/; }
    location /_aigw/cut/ { internal; proxy_pass http://127.0.0.1:2081/; proxy_read_timeout 3s; }
    location /_aigw/claude/ { internal; proxy_pass http://127.0.0.1:2081/; proxy_read_timeout 3s; }
_EOC_

# The record of a request the gateway counted: prompt and completion by `encoding`, the rest
# as a successful chat completion's.
sub counted {
    my ($encoding, %o) = @_;
    my $prompt = $o{prompt_tokens} // prompt($encoding);
    my $completion = $o{completion_tokens} // tokens($o{text} // $Text, encoding => $encoding);
    delete $o{text};
    return ::rec(prompt_tokens => $prompt, completion_tokens => $completion,
                 total_tokens => $prompt + $completion, estimated => 1,
                 counted_by => $encoding eq 'estimate' ? 'estimate' : 'tokenizer', charged => 1, %o);
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Http);
    $block->set_value('config', $Gateway);
    redis_q('DEL', 'aigw:usage');
    unlink "$ServRoot/logs/usage.log";
});

run_tests();

__DATA__

=== TEST 1: a stream the upstream cuts before its usage chunk: the text the client got and the prompt counted by gpt-4o's o200k_base, priced
--- tcp_listen: 2081
--- tcp_reply eval
::chunked_reply(join('', map { "data: $_\n\n" } @::Chunks[0 .. 3]), cuts => [100], cut => 1)
--- tcp_reply_delay: 20ms
--- request eval
"POST /v1/chat/completions\n" . ::body('gpt-4o', '"stream":true,')
--- more_headers
X-Request-Id: tok-t1
--- response_body eval
::unasked(join '', map { "data: $_\n\n" } @::Chunks[0 .. 3])
. qq(event: error\ndata: {"error":{"message":"The upstream connection was interrupted before the response was complete.","type":"api_error","param":null,"code":"upstream_interrupted"}}\n\n)
--- usage eval
# The three pieces sent; at 2.5 and 10 USD per million tokens, rounded up once.
my ($p, $c) = (::prompt(), ::tokens(join '', @::Pieces[0 .. 2]));
::counted('o200k_base', request_id => 'tok-t1', model => 'gpt-4o', upstream_model => 'gpt-4o', channel => 'cut',
          status => 'upstream_cut', error_code => 'upstream_interrupted', stream => 1,
          text => join('', @::Pieces[0 .. 2]), cost => int(($p * 25 + $c * 100 + 9) / 10))
--- error_log
upstream prematurely closed connection



=== TEST 2: an upstream that ignores include_usage: the whole stream counted by gpt-4's cl100k_base
--- request eval
"POST /v1/chat/completions\n" . ::body('gpt-4', '"stream":true,')
--- more_headers
X-Request-Id: tok-t2
--- response_body eval: $::NoUsageStream
--- usage eval
::counted('cl100k_base', request_id => 'tok-t2', model => 'gpt-4', upstream_model => 'gpt-4', channel => 'nousage',
          stream => 1)



=== TEST 3: a client that leaves mid-stream: what it was sent, counted by the alias's upstream model (fast -> gpt-4o-mini, o200k_base)
--- request eval
"POST /v1/chat/completions HTTP/1.0\n" . ::body('fast', '"stream":true,')
--- more_headers
X-Request-Id: tok-t3
--- timeout: 0.4
--- abort
--- response_body eval
# The public name in every chunk: the channel's upstream name is gpt-4o-mini.
(my $sent = ::unasked(join '', map { "data: $_\n\n" } @::Chunks[0 .. 2])) =~ s/"model":"gpt-mock"/"model":"fast"/g;
$sent
--- usage eval
# The role chunk and the first two pieces came before the client left; the rest never did.
::counted('o200k_base', request_id => 'tok-t3', model => 'fast', upstream_model => 'gpt-4o-mini', channel => 'slow',
          status => 'client_closed', stream => 1, text => join('', @::Pieces[0 .. 1]))



=== TEST 4: an Anthropic stream cut after its text, before message_delta: message_start's input counts, the output counted by claude-exact's configured o200k_base
--- tcp_listen: 2081
--- tcp_reply eval
::chunked_reply(::sse_events(@::TextEvents[0 .. 6]), cut => 1)
--- tcp_reply_delay: 20ms
--- request
POST /v1/messages
{"model":"claude-exact","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}
--- more_headers
X-Request-Id: tok-t4
--- response_body_like: event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"The upstream connection was interrupted
--- usage eval
# The deltas as JSON strings: \" and \n decoded.
(my $text = join '', @::TextDeltas) =~ s/\\(["n])/$1 eq 'n' ? "\n" : '"'/ge;
::counted('o200k_base', request_id => 'tok-t4', endpoint => '/v1/messages', model => 'claude-exact',
          upstream_model => 'claude-exact', channel => 'claude', status => 'upstream_cut',
          error_code => 'upstream_interrupted', stream => 1, prompt_tokens => 4645, cached_tokens => 3072,
          cache_write_tokens => 1552, text => $text)
--- error_log
upstream prematurely closed connection



=== TEST 5: the same cut for a Claude model of no public tokenizer: the output estimated
--- tcp_listen: 2081
--- tcp_reply eval
::chunked_reply(::sse_events(@::TextEvents[0 .. 6]), cut => 1)
--- tcp_reply_delay: 20ms
--- request
POST /v1/messages
{"model":"claude-plain","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}
--- more_headers
X-Request-Id: tok-t5
--- response_body_like: event: error\ndata: \{"type":"error"
--- usage eval
(my $text = join '', @::TextDeltas) =~ s/\\(["n])/$1 eq 'n' ? "\n" : '"'/ge;
::counted('estimate', request_id => 'tok-t5', endpoint => '/v1/messages', model => 'claude-plain',
          upstream_model => 'claude-plain', channel => 'claude', status => 'upstream_cut',
          error_code => 'upstream_interrupted', stream => 1, prompt_tokens => 4645, cached_tokens => 3072,
          cache_write_tokens => 1552, text => $text)
--- error_log
upstream prematurely closed connection



=== TEST 6: JSON answers without usage: aigw_tokenizer's entries (exact over prefix, over OpenAI's table), OpenAI's table, the estimate
--- request eval
[map { "POST /v1/chat/completions\n" . ::body($_) } qw(my-model my-other gpt-4o-legacy gpt-4o-json local-llama gpt-4o-mystery)]
--- response_body eval
[($::Json) x 6]
--- usage eval
[map { my ($model, $enc) = @$_; ::counted($enc, model => $model, upstream_model => $model, channel => 'json') }
 ['my-model', 'cl100k_base'], ['my-other', 'o200k_base'], ['gpt-4o-legacy', 'cl100k_base'],
 ['gpt-4o-json', 'o200k_base'], ['local-llama', 'estimate'], ['gpt-4o-mystery', 'estimate']]



=== TEST 7: an Anthropic client of an OpenAI channel without usage: the prompt counted from the Messages body, its top-level system included
--- request
POST /v1/messages
{"model":"gpt-4o-json","max_tokens":100,"system":"You are terse.","messages":[{"role":"user","content":"Say hello in German"}]}
--- more_headers
X-Request-Id: tok-t7
--- response_body_like: "type":"message"
--- usage eval
::counted('o200k_base', request_id => 'tok-t7', endpoint => '/v1/messages', model => 'gpt-4o-json',
          upstream_model => 'gpt-4o-json', channel => 'json')



=== TEST 8: the upstream's usage is there: counted_by=upstream, its counts as they are, nothing counted
--- request eval
"POST /v1/chat/completions\n" . ::body('gpt-4o-mini', '"stream":true,')
--- more_headers
X-Request-Id: tok-t8
--- response_body eval: ::unasked($::Stream) . "data: [DONE]\n\n"
--- usage eval
::rec(request_id => 'tok-t8', model => 'gpt-4o-mini', upstream_model => 'gpt-4o-mini', channel => 'usage',
      stream => 1, prompt_tokens => 111, completion_tokens => 222, total_tokens => 333, charged => 1)



=== TEST 9: count_tokens and countTokens the gateway answers itself: exact for an OpenAI model, estimated otherwise, and X-Counted-By says which
--- request eval
["POST /v1/messages/count_tokens\n" . '{"model":"gpt-4o-json","system":"You are terse.","messages":[{"role":"user","content":"Say hello in German"}]}',
 "POST /v1/messages/count_tokens\n" . '{"model":"local-llama","system":"You are terse.","messages":[{"role":"user","content":"Say hello in German"}]}',
 "POST /v1beta/models/gpt-4o-json:countTokens\n" . '{"contents":[{"role":"user","parts":[{"text":"Say hello in German"}]}]}',
 "POST /v1beta/models/local-llama:countTokens\n" . '{"contents":[{"role":"user","parts":[{"text":"Say hello in German"}]}]}']
--- response_headers eval
["X-Counted-By: tokenizer", "X-Counted-By: estimate", "X-Counted-By: tokenizer", "X-Counted-By: estimate"]
--- response_body eval
my $user = '{"messages":[{"role":"user","content":"Say hello in German"}]}';
['{"input_tokens":' . ::prompt() . '}', '{"input_tokens":' . ::prompt('estimate') . '}',
 '{"totalTokens":' . ::tokens($user, prompt => 1) . '}',
 '{"totalTokens":' . ::tokens($user, prompt => 1, encoding => 'estimate') . '}']
