# Client keys in Redis, checked in the access phase: where the key is read from, each reason a
# key is refused (with the exact OpenAI error), IP and model allow-lists, /v1/models narrowed to
# the key's models, negative caching, and the $aigw_* key variables. What nginx -t says about
# the keys' directives is t/041-config-keys.t.
#
#     prove -I t/lib t/060-keys.t
#
# The fixture keys below are written straight into the test's private Redis (HSET of the record
# under the sha256 of the raw key), so every run sees the same keys. Their raw form all contains
# "Fixture": every block asserts that word never reaches error.log, which is why the file logs
# at info (at debug, NGINX itself logs request headers, keys included).
# Behaviour that needs Redis to go down or slow within one NGINX lifetime is in 061-keys-redis.t.

use lib 't/lib';
use Test::AIGW 'redis';
use Digest::SHA qw(sha256_hex);

repeat_each(2);
no_shuffle();
no_long_string();
log_level('info');

# ---- fixture keys: raw key => the record fields that differ from an active any-model key ----

my $Now = time;
my %Fixture = (
    'sk-aigw-FixtureActive0000000000000000000000000000000ACT1' => { id => 'key_activeAAAAAAAAAA' },
    'sk-aigw-FixtureDisabled00000000000000000000000000000DIS1' => { id => 'key_disabledAAAAAAAA', status => 'disabled' },
    'sk-aigw-FixtureExpired000000000000000000000000000000EXP1' => { id => 'key_expiredAAAAAAAAA', expires_at => $Now - 1 },
    'sk-aigw-FixtureFuture0000000000000000000000000000000FUT1' => { id => 'key_futureAAAAAAAAAA', expires_at => $Now + 30 * 86400 },
    'sk-aigw-FixtureLocalOnly0000000000000000000000000000LOC1' => { id => 'key_localAAAAAAAAAAA', ip_allow => '127.0.0.1/32' },
    'sk-aigw-FixtureTenNet0000000000000000000000000000000TEN1' => { id => 'key_tennetAAAAAAAAAA', ip_allow => '10.0.0.0/8' },
    'sk-aigw-FixtureSixOnly000000000000000000000000000000SIX1' => { id => 'key_sixonlyAAAAAAAAA', ip_allow => '::1/128' },
    'sk-aigw-FixtureMixed00000000000000000000000000000000MIX1' => { id => 'key_mixedAAAAAAAAAAA', ip_allow => '10.0.0.0/8,::1/128' },
    'sk-aigw-FixtureModels0000000000000000000000000000000MOD1' => { id => 'key_modelsAAAAAAAAAA', models => 'gpt-4o*,o1-mini' },
    'sk-aigw-FixtureO1only0000000000000000000000000000000O1O1' => { id => 'key_o1onlyAAAAAAAAAA', models => 'o1-preview' },
    'sk-aigw-FixtureDisExp0000000000000000000000000000000DXP1' => { id => 'key_disexpAAAAAAAAAA', status => 'disabled', expires_at => $Now - 1 },
    'sk-aigw-FixtureExpIp00000000000000000000000000000000EIP1' => { id => 'key_expipAAAAAAAAAAA', expires_at => $Now - 1, ip_allow => '10.0.0.0/8' },
    'sk-aigw-FixtureMalformed0000000000000000000000000000MAL1' => { id => 'key_malformedAAAAAAA', status => 'paused' },
);
# Never stored: unknown to Redis.
my @Unknown = ('sk-aigw-FixtureUnknown000000000000000000000000000000UNK1',
               'sk-aigw-FixtureNegative00000000000000000000000000000NEG1');

for my $raw (sort keys %Fixture) {
    die "fixture $raw is not a well-formed key\n" unless $raw =~ /^sk-aigw-[A-Za-z0-9]{40,128}$/;
    my %record = (name => 'fixture', owner => 'alice@example.com', group => 'team-a',
                  status => 'active', expires_at => 0, models => '*', ip_allow => '',
                  created_at => $Now, last4 => substr($raw, -4), %{ $Fixture{$raw} });
    my $hash = aigw_key_hash($raw);
    redis_cmd('DEL', $hash);
    my $n = redis_cmd('HSET', $hash, map { ($_, $record{$_}) } sort keys %record);
    die "seeding the fixture key $raw failed: $n\n" unless $n eq scalar keys %record;
}
for my $raw (@Unknown) {
    redis_cmd('DEL', aigw_key_hash($raw));
}
# Only in database 5, for `aigw_redis ... db=5`.
{
    my $raw = 'sk-aigw-FixtureDbFive0000000000000000000000000000000DB51';
    my $n = redis_cmd('-n', 5, 'HSET', aigw_key_hash($raw), id => 'key_dbfiveAAAAAAAAAA',
                      status => 'active', models => '*', last4 => 'DB51');
    die "seeding the fixture key $raw failed: $n\n" unless $n =~ /^\d+$/;
}

# ---- configuration pieces ----

# The model provider: a list of models, one model, a JSON answer naming the path, and under
# /vars/ the key variables as the channel location sent them.
our $Mock = <<'_EOC_';
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        default_type application/json;
        location = /v1/models {
            echo '{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},{"id":"o1-mini","object":"model","created":1725649008,"owned_by":"system"},{"id":"o1-mini-2024-09-12","object":"model","created":1725648979,"owned_by":"system"},{"id":"gpt-4","object":"model","created":1687882411,"owned_by":"openai"},{"id":"text-embedding-3-small","object":"model","created":1705948997,"owned_by":"system"}]}';
        }
        location ~ ^/v1/models/(.+)$ {
            echo '{"id":"$1","object":"model","created":1715367049,"owned_by":"system"}';
        }
        location /vars/ {
            echo_read_request_body;
            echo '{"key_id":"$http_x_aigw_key_id","owner":"$http_x_aigw_owner","group":"$http_x_aigw_group"}';
        }
        location / {
            echo_read_request_body;
            echo '{"ok":true,"uri":"$request_uri"}';
        }
    }
_EOC_

our $Redis = <<'_EOC_';
    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_key_cache zone=aigw_keys:1m ttl=5s negative_ttl=1s;
_EOC_

our $Gateway = <<'_EOC_';
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
_EOC_

# A second gateway on [::1], reached through /v6/ of the test server, so the key check sees an
# IPv6 client address (::1).
our $Ipv6Gateway = <<'_EOC_';
    server {
        listen [::1]:$TEST_NGINX_RAND_PORT_2;
        location /v1/ {
            aigw on;
            aigw_pass /_aigw/openai;
        }
        location /_aigw/openai/ {
            internal;
            proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
        }
    }
_EOC_

our $Via6 = <<'_EOC_';
    location /v6/ {
        proxy_pass http://[::1]:$TEST_NGINX_RAND_PORT_2/;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Redis . $Mock) unless defined block_section($block, 'http_config');
    $block->set_value('config', $Gateway) unless defined block_section($block, 'config');

    # Clean logs, as Test::AIGW asks of every block, and never a raw key (they all contain
    # "Fixture"; the masked form shows only the last four characters).
    # Unlike Test::AIGW's default, [error] stays forbidden unless the block expects one.
    my $deny = block_section($block, 'no_error_log');
    if (!defined $deny) {
        my $want = block_section($block, 'error_log');
        $want = join ' ', @$want if ref $want eq 'ARRAY';
        my @deny = defined $want && "$want" =~ /error\\?\]/ ? ('[alert]', '[emerg]')
                                                            : ('[error]', '[alert]', '[emerg]');
        @deny = grep { $_ ne '[emerg]' } @deny if defined block_section($block, 'must_die');
        $deny = join '', map { "$_\n" } @deny;
    }
    $deny = ref $deny eq 'ARRAY' ? [@$deny, 'Fixture'] : "${deny}Fixture\n";
    $block->set_value('no_error_log', $deny);

    # Every answer, error or not, is JSON with a request id.
    if (!defined block_section($block, 'must_die') && !defined block_section($block, 'response_headers_like')
        && !defined block_section($block, 'response_headers')) {
        my $want = "Content-Type: application/json\nX-Request-Id: req_[0-9a-f]{32}\n";
        my $req = block_section($block, 'request');
        $block->set_value('response_headers_like', ref $req eq 'ARRAY' ? [($want) x @$req] : $want);
    }
});

run_tests();

__DATA__

=== TEST 1: no key at all is 401 missing_api_key (keys are on by default wherever aigw_redis is set)
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- error_code: 401
--- response_body chomp
{"error":{"message":"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or in an x-api-key header.","type":"authentication_error","param":null,"code":"missing_api_key"}}



=== TEST 2: an Authorization header with another scheme, or an empty Bearer, is no key
--- request eval
["POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[]}",
 "POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[]}",
 "GET /v1/models"]
--- more_headers eval
["Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l\n",
 "Authorization: Bearer   \n",
 "x-api-key:   \n"]
--- error_code eval
[401, 401, 401]
--- response_body_like eval
[qr/"code":"missing_api_key"/, qr/"code":"missing_api_key"/, qr/"code":"missing_api_key"/]



=== TEST 3: a valid key as Authorization: Bearer reaches the upstream (the second round from the cache)
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureActive0000000000000000000000000000000ACT1
--- response_body
{"ok":true,"uri":"/v1/chat/completions"}



=== TEST 4: the scheme is case-insensitive
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: bearer sk-aigw-FixtureActive0000000000000000000000000000000ACT1
--- response_body
{"ok":true,"uri":"/v1/chat/completions"}



=== TEST 5: a valid key in x-api-key (Anthropic SDKs)
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
x-api-key: sk-aigw-FixtureActive0000000000000000000000000000000ACT1
--- response_body
{"ok":true,"uri":"/v1/chat/completions"}



=== TEST 6: a valid key in x-goog-api-key (Gemini SDKs)
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
x-goog-api-key: sk-aigw-FixtureActive0000000000000000000000000000000ACT1
--- response_body
{"ok":true,"uri":"/v1/chat/completions"}



=== TEST 7: Authorization with another scheme falls through to x-api-key
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l
x-api-key: sk-aigw-FixtureActive0000000000000000000000000000000ACT1
--- response_body
{"ok":true,"uri":"/v1/chat/completions"}



=== TEST 8: Bearer wins over x-api-key and x-goog-api-key: an unknown Bearer key is refused
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureUnknown000000000000000000000000000000UNK1
x-api-key: sk-aigw-FixtureActive0000000000000000000000000000000ACT1
x-goog-api-key: sk-aigw-FixtureActive0000000000000000000000000000000ACT1
--- error_code: 401
--- response_body chomp
{"error":{"message":"Incorrect API key provided: sk-aigw-…UNK1. Ask the administrator of this gateway for a valid key.","type":"authentication_error","param":null,"code":"invalid_api_key"}}



=== TEST 9: x-api-key wins over x-goog-api-key
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
x-api-key: sk-aigw-FixtureDisabled00000000000000000000000000000DIS1
x-goog-api-key: sk-aigw-FixtureActive0000000000000000000000000000000ACT1
--- error_code: 401
--- response_body_like: "code":"key_disabled"



=== TEST 10: an unknown key is 401 invalid_api_key naming only the masked key, logged at info
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureUnknown000000000000000000000000000000UNK1
--- error_code: 401
--- response_body chomp
{"error":{"message":"Incorrect API key provided: sk-aigw-…UNK1. Ask the administrator of this gateway for a valid key.","type":"authentication_error","param":null,"code":"invalid_api_key"}}
--- error_log eval
qr/\[info\] .*aigw: key sk-aigw-\x{e2}\x{80}\x{a6}UNK1 rejected: invalid_api_key/



=== TEST 11: a disabled key is 401 key_disabled
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureDisabled00000000000000000000000000000DIS1
--- error_code: 401
--- response_body chomp
{"error":{"message":"The API key provided has been disabled.","type":"authentication_error","param":null,"code":"key_disabled"}}
--- error_log eval
qr/\[info\] .*aigw: key sk-aigw-\x{e2}\x{80}\x{a6}DIS1 rejected: key_disabled/



=== TEST 12: a key whose expires_at has passed is 401 key_expired
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureExpired000000000000000000000000000000EXP1
--- error_code: 401
--- response_body chomp
{"error":{"message":"The API key provided has expired.","type":"authentication_error","param":null,"code":"key_expired"}}
--- error_log
aigw: key sk-aigw-…EXP1 rejected: key_expired



=== TEST 13: a key that expires in the future works
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureFuture0000000000000000000000000000000FUT1
--- response_body
{"ok":true,"uri":"/v1/chat/completions"}



=== TEST 14: the checks apply in order: disabled before expired, expired before the address
--- request eval
["POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[]}",
 "POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[]}"]
--- more_headers eval
["Authorization: Bearer sk-aigw-FixtureDisExp0000000000000000000000000000000DXP1\n",
 "Authorization: Bearer sk-aigw-FixtureExpIp00000000000000000000000000000000EIP1\n"]
--- error_code eval
[401, 401]
--- response_body_like eval
[qr/"code":"key_disabled"/, qr/"code":"key_expired"/]



=== TEST 15: ip_allow 127.0.0.1/32 lets the local client in
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureLocalOnly0000000000000000000000000000LOC1
--- response_body
{"ok":true,"uri":"/v1/chat/completions"}



=== TEST 16: ip_allow 10.0.0.0/8 keeps the local client out: 403 ip_not_allowed
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureTenNet0000000000000000000000000000000TEN1
--- error_code: 403
--- response_body chomp
{"error":{"message":"The API key provided may not be used from your IP address.","type":"permission_error","param":null,"code":"ip_not_allowed"}}
--- error_log
aigw: key sk-aigw-…TEN1 rejected: ip_not_allowed



=== TEST 17: ip_allow ::1/128 does not admit the IPv4 client 127.0.0.1
--- request
GET /v1/models
--- more_headers
Authorization: Bearer sk-aigw-FixtureSixOnly000000000000000000000000000000SIX1
--- error_code: 403
--- response_body_like: "code":"ip_not_allowed"



=== TEST 18: over IPv6 (client ::1): ::1/128 and "10.0.0.0/8,::1/128" admit, 10.0.0.0/8 does not
--- http_config eval
$::Redis . $::Mock . $::Ipv6Gateway
--- config eval
$::Gateway . $::Via6
--- request eval
["POST /v6/v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[]}",
 "POST /v6/v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[]}",
 "POST /v6/v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[]}"]
--- more_headers eval
["Authorization: Bearer sk-aigw-FixtureSixOnly000000000000000000000000000000SIX1\n",
 "x-api-key: sk-aigw-FixtureMixed00000000000000000000000000000000MIX1\n",
 "Authorization: Bearer sk-aigw-FixtureTenNet0000000000000000000000000000000TEN1\n"]
--- error_code eval
[200, 200, 403]
--- response_body eval
["{\"ok\":true,\"uri\":\"/v1/chat/completions\"}\n",
 "{\"ok\":true,\"uri\":\"/v1/chat/completions\"}\n",
 qq({"error":{"message":"The API key provided may not be used from your IP address.","type":"permission_error","param":null,"code":"ip_not_allowed"}})]



=== TEST 19: over IPv6 (client ::1), ip_allow 127.0.0.1/32 does not admit
--- http_config eval
$::Redis . $::Mock . $::Ipv6Gateway
--- config eval
$::Gateway . $::Via6
--- request
POST /v6/v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureLocalOnly0000000000000000000000000000LOC1
--- error_code: 403
--- response_body chomp
{"error":{"message":"The API key provided may not be used from your IP address.","type":"permission_error","param":null,"code":"ip_not_allowed"}}
--- error_log eval
qr/aigw: key sk-aigw-\x{e2}\x{80}\x{a6}LOC1 rejected: ip_not_allowed.* client: ::1,/



=== TEST 20: models "gpt-4o*,o1-mini": the wildcard admits gpt-4o and its variants, o1-mini is exact
--- request eval
["POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[]}",
 "POST /v1/chat/completions\n{\"model\":\"gpt-4o-mini-2024-07-18\",\"messages\":[]}",
 "POST /v1/chat/completions\n{\"model\":\"o1-mini\",\"messages\":[]}",
 "POST /v1/embeddings\n{\"model\":\"gpt-4o\",\"input\":\"hi\"}"]
--- more_headers eval
[("Authorization: Bearer sk-aigw-FixtureModels0000000000000000000000000000000MOD1\n") x 4]
--- error_code eval
[200, 200, 200, 200]
--- response_body eval
["{\"ok\":true,\"uri\":\"/v1/chat/completions\"}\n",
 "{\"ok\":true,\"uri\":\"/v1/chat/completions\"}\n",
 "{\"ok\":true,\"uri\":\"/v1/chat/completions\"}\n",
 "{\"ok\":true,\"uri\":\"/v1/embeddings\"}\n"]



=== TEST 21: a model outside the key's list is 403 model_not_allowed, naming the model
--- request
POST /v1/chat/completions
{"model":"gpt-4","messages":[{"role":"user","content":"hi"}]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureModels0000000000000000000000000000000MOD1
--- error_code: 403
--- response_body chomp
{"error":{"message":"The API key provided is not allowed to use the model 'gpt-4'.","type":"permission_error","param":"model","code":"model_not_allowed"}}
--- error_log eval
qr/\[info\] .*aigw: key sk-aigw-\x{e2}\x{80}\x{a6}MOD1 rejected: model_not_allowed/



=== TEST 22: exact entries are exact and names are case-sensitive; a stream request is checked too
--- request eval
["POST /v1/chat/completions\n{\"model\":\"o1-mini-2024-09-12\",\"messages\":[]}",
 "POST /v1/chat/completions\n{\"model\":\"GPT-4o\",\"messages\":[]}",
 "POST /v1/chat/completions\n{\"model\":\"gpt-4\",\"stream\":true,\"messages\":[]}",
 "POST /v1/completions\n{\"model\":\"o1\",\"prompt\":\"hi\"}"]
--- more_headers eval
[("x-api-key: sk-aigw-FixtureModels0000000000000000000000000000000MOD1\n") x 4]
--- error_code eval
[403, 403, 403, 403]
--- response_body eval
[qq({"error":{"message":"The API key provided is not allowed to use the model 'o1-mini-2024-09-12'.","type":"permission_error","param":"model","code":"model_not_allowed"}}),
 qq({"error":{"message":"The API key provided is not allowed to use the model 'GPT-4o'.","type":"permission_error","param":"model","code":"model_not_allowed"}}),
 qq({"error":{"message":"The API key provided is not allowed to use the model 'gpt-4'.","type":"permission_error","param":"model","code":"model_not_allowed"}}),
 qq({"error":{"message":"The API key provided is not allowed to use the model 'o1'.","type":"permission_error","param":"model","code":"model_not_allowed"}})]



=== TEST 23: GET /v1/models/{id} of an allowed model is proxied
--- request
GET /v1/models/gpt-4o-mini
--- more_headers
Authorization: Bearer sk-aigw-FixtureModels0000000000000000000000000000000MOD1
--- response_body
{"id":"gpt-4o-mini","object":"model","created":1715367049,"owned_by":"system"}



=== TEST 24: GET /v1/models/{id} of a model outside the list is 403 model_not_allowed
--- request
GET /v1/models/gpt-3.5-turbo
--- more_headers
Authorization: Bearer sk-aigw-FixtureModels0000000000000000000000000000000MOD1
--- error_code: 403
--- response_body chomp
{"error":{"message":"The API key provided is not allowed to use the model 'gpt-3.5-turbo'.","type":"permission_error","param":"model","code":"model_not_allowed"}}
--- error_log
rejected: model_not_allowed



=== TEST 25: GET /v1/models lists only the key's models, in OpenAI's list shape and the upstream's order
--- request
GET /v1/models
--- more_headers
Authorization: Bearer sk-aigw-FixtureModels0000000000000000000000000000000MOD1
--- response_body chomp
{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},{"id":"o1-mini","object":"model","created":1725649008,"owned_by":"system"}]}



=== TEST 26: GET /v1/models for a key whose models the upstream does not list is an empty list
--- request
GET /v1/models
--- more_headers
x-goog-api-key: sk-aigw-FixtureO1only0000000000000000000000000000000O1O1
--- response_body chomp
{"object":"list","data":[]}



=== TEST 27: GET /v1/models for a key with models "*" is the upstream's list as it is
--- request
GET /v1/models
--- more_headers
Authorization: Bearer sk-aigw-FixtureActive0000000000000000000000000000000ACT1
--- response_body
{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},{"id":"o1-mini","object":"model","created":1725649008,"owned_by":"system"},{"id":"o1-mini-2024-09-12","object":"model","created":1725648979,"owned_by":"system"},{"id":"gpt-4","object":"model","created":1687882411,"owned_by":"openai"},{"id":"text-embedding-3-small","object":"model","created":1705948997,"owned_by":"system"}]}



=== TEST 28: HEAD /v1/models for a key limited to some models: headers only, no list filtered
--- request
HEAD /v1/models
--- more_headers
Authorization: Bearer sk-aigw-FixtureModels0000000000000000000000000000000MOD1
--- error_code: 200
--- response_body
--- response_headers_like
Content-Type: application/json
X-Request-Id: req_[0-9a-f]{32}
--- no_error_log
not a model list
[error]
[alert]



=== TEST 29: a value that is not an aigw key is refused as invalid_api_key, said to be malformed, with what a key looks like; its tail is shown only when safe
--- request eval
[("POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[]}") x 5]
--- more_headers eval
["Authorization: Bearer sk-proj-FixtureForeign00000000000000WXYZ\n",
 "Authorization: Bearer sk-aigw-Fixture\n",
 "Authorization: Bearer sk-aigw-FixtureTooShort" . ("0" x 20) . "T39c\n",
 "Authorization: Bearer sk-aigw-Fixture" . ("0" x 118) . "L129\n",
 "Authorization: Bearer sk-aigw-FixtureBadChar00000000000000000000000000000\"}x\n"]
--- error_code eval
[401, 401, 401, 401, 401]
--- response_body eval
[qq({"error":{"message":"Malformed API key provided: \x{e2}\x{80}\x{a6}WXYZ. Keys of this gateway are `sk-aigw-` followed by 40 to 128 letters and digits. Ask the administrator of this gateway for a valid key.","type":"authentication_error","param":null,"code":"invalid_api_key"}}),
 qq({"error":{"message":"Malformed API key provided. Keys of this gateway are `sk-aigw-` followed by 40 to 128 letters and digits. Ask the administrator of this gateway for a valid key.","type":"authentication_error","param":null,"code":"invalid_api_key"}}),
 qq({"error":{"message":"Malformed API key provided: sk-aigw-\x{e2}\x{80}\x{a6}T39c. Keys of this gateway are `sk-aigw-` followed by 40 to 128 letters and digits. Ask the administrator of this gateway for a valid key.","type":"authentication_error","param":null,"code":"invalid_api_key"}}),
 qq({"error":{"message":"Malformed API key provided: sk-aigw-\x{e2}\x{80}\x{a6}L129. Keys of this gateway are `sk-aigw-` followed by 40 to 128 letters and digits. Ask the administrator of this gateway for a valid key.","type":"authentication_error","param":null,"code":"invalid_api_key"}}),
 qq({"error":{"message":"Malformed API key provided. Keys of this gateway are `sk-aigw-` followed by 40 to 128 letters and digits. Ask the administrator of this gateway for a valid key.","type":"authentication_error","param":null,"code":"invalid_api_key"}})]
--- error_log
rejected: not an aigw key



=== TEST 30: a value that is not an aigw key is refused without asking Redis: Redis is unreachable here, yet 401, not 503
--- http_config eval
'    aigw_redis 127.0.0.1:$TEST_NGINX_RAND_PORT_3 timeout=100ms;
    aigw_redis_fail closed;
' . $::Mock
--- request eval
[("POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[]}") x 2]
--- more_headers eval
["Authorization: Bearer sk-proj-FixtureForeign00000000000000WXYZ\n",
 "x-api-key: sk-aigw-FixtureTooShort" . ("0" x 20) . "T39c\n"]
--- error_code eval
[401, 401]
--- response_body_like eval
[qr/"code":"invalid_api_key"/, qr/"code":"invalid_api_key"/]
--- no_error_log
[alert]
[emerg]



=== TEST 31: Redis unreachable, aigw_redis_fail closed: 503 for a well-formed key; the connect error is logged once, not per request
--- http_config eval
'    aigw_redis 127.0.0.1:$TEST_NGINX_RAND_PORT_3 timeout=100ms;
    aigw_redis_fail closed;
' . $::Mock
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureActive0000000000000000000000000000000ACT1
--- error_code: 503
--- response_body chomp
{"error":{"message":"The gateway cannot verify API keys right now. Please retry shortly.","type":"api_error","param":null,"code":"service_unavailable"}}
--- grep_error_log eval
qr/\[error\].*/
--- grep_error_log_out eval
[qr/\A\[error\] [^\n]*aigw: redis 127\.0\.0\.1:\d+ \(aigw connection\) connect failed: [^\n]*\n\z/, qr/\A\z/]
--- no_error_log
[alert]
[emerg]



=== TEST 32: Redis unreachable, aigw_redis_fail cached (the default): a key not in the cache is 503 too; both connections log once
--- http_config eval
'    aigw_redis 127.0.0.1:$TEST_NGINX_RAND_PORT_3 timeout=100ms;
    aigw_key_cache zone=aigw_keys:1m;
' . $::Mock
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureActive0000000000000000000000000000000ACT1
--- error_code: 503
--- response_body chomp
{"error":{"message":"The gateway cannot verify API keys right now. Please retry shortly.","type":"api_error","param":null,"code":"service_unavailable"}}
--- grep_error_log eval
qr/\((?:aigw|aigw-sub) connection\) connect failed/
--- grep_error_log_out eval
[qr/\A(?:\(aigw connection\) connect failed\n\(aigw-sub connection\) connect failed\n|\(aigw-sub connection\) connect failed\n\(aigw connection\) connect failed\n)\z/, qr/\A\z/]
--- no_error_log
[alert]
[emerg]



=== TEST 33: a record Redis holds in a shape we cannot read is refused (401) and logged as an error
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureMalformed0000000000000000000000000000MAL1
--- error_code: 401
--- response_body chomp
{"error":{"message":"Incorrect API key provided: sk-aigw-…MAL1. Ask the administrator of this gateway for a valid key.","type":"authentication_error","param":null,"code":"invalid_api_key"}}
--- error_log eval
qr/\[error\] .*aigw: the Redis record of key sk-aigw-\x{e2}\x{80}\x{a6}MAL1 is malformed \(status: 'paused' is not active or disabled\)/



=== TEST 34: an unknown key is remembered for negative_ttl: the second round's lookup comes from the cache
--- init
# The worker subscribes to key invalidations once it runs, and a subscription ends the
# freshness of every entry (messages may have been missed before it): wait for it, so that
# the entry the first round makes is the one the second round finds.
my $deadline = time + 5;
until (Test::AIGW::Redis::redis_cmd('PUBSUB', 'NUMSUB', 'aigw:keys:invalidate') =~ /\n1$/ || time > $deadline) {
    select undef, undef, undef, 0.02;
}
select undef, undef, undef, 0.05;
--- http_config eval
'    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_key_cache zone=aigw_keys:1m ttl=5s negative_ttl=30s;
' . $::Mock
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureNegative00000000000000000000000000000NEG1
--- error_code: 401
--- response_body chomp
{"error":{"message":"Incorrect API key provided: sk-aigw-…NEG1. Ask the administrator of this gateway for a valid key.","type":"authentication_error","param":null,"code":"invalid_api_key"}}
--- grep_error_log eval
qr/rejected: invalid_api_key(?: \(cached\))?/
--- grep_error_log_out eval
["rejected: invalid_api_key\n", "rejected: invalid_api_key (cached)\n"]



=== TEST 35: negative_ttl=0 caches no unknown key: every round asks Redis
--- http_config eval
'    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    aigw_key_cache zone=aigw_keys:1m ttl=5s negative_ttl=0;
' . $::Mock
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureNegative00000000000000000000000000000NEG1
--- error_code: 401
--- response_body_like: "code":"invalid_api_key"
--- grep_error_log eval
qr/rejected: invalid_api_key(?: \(cached\))?/
--- grep_error_log_out eval
["rejected: invalid_api_key\n", "rejected: invalid_api_key\n"]



=== TEST 36: aigw_redis db=5 looks keys up in database 5 only
--- http_config eval
'    aigw_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT db=5;
' . $::Mock
--- request eval
[("POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[]}") x 2]
--- more_headers eval
["Authorization: Bearer sk-aigw-FixtureDbFive0000000000000000000000000000000DB51\n",
 "Authorization: Bearer sk-aigw-FixtureActive0000000000000000000000000000000ACT1\n"]
--- error_code eval
[200, 401]
--- response_body_like eval
[qr/\A\{"ok":true,"uri":"\/v1\/chat\/completions"\}\n\z/, qr/"code":"invalid_api_key"/]



=== TEST 37: $aigw_key_id, $aigw_owner and $aigw_group name the key's record, for the upstream and the response
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
        add_header X-Aigw-Key-Id $aigw_key_id always;
        add_header X-Aigw-Owner $aigw_owner always;
        add_header X-Aigw-Group $aigw_group always;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/vars/;
        proxy_set_header X-Aigw-Key-Id $aigw_key_id;
        proxy_set_header X-Aigw-Owner $aigw_owner;
        proxy_set_header X-Aigw-Group $aigw_group;
    }
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureActive0000000000000000000000000000000ACT1
--- response_body
{"key_id":"key_activeAAAAAAAAAA","owner":"alice@example.com","group":"team-a"}
--- response_headers_like
X-Request-Id: req_[0-9a-f]{32}
X-Aigw-Key-Id: key_activeAAAAAAAAAA
X-Aigw-Owner: alice@example\.com
X-Aigw-Group: team-a



=== TEST 38: the key variables are empty for a refused key
--- config
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
        add_header X-Aigw-Key-Id $aigw_key_id always;
        add_header X-Aigw-Owner $aigw_owner always;
        add_header X-Aigw-Group $aigw_group always;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/vars/;
    }
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[]}
--- more_headers
Authorization: Bearer sk-aigw-FixtureDisabled00000000000000000000000000000DIS1
--- error_code: 401
--- response_body_like: "code":"key_disabled"
--- raw_response_headers_unlike: X-Aigw-



=== TEST 39: aigw_keys off lets a location through without a key; the server's setting is inherited and can be overridden
--- config
    aigw_keys off;
    location /v1/ {
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /keyed/v1/ {
        aigw_keys on;
        aigw on;
        aigw_pass /_aigw/openai;
    }
    location /_aigw/openai/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request eval
["POST /v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[]}",
 "POST /keyed/v1/chat/completions\n{\"model\":\"gpt-4o\",\"messages\":[]}"]
--- error_code eval
[200, 401]
--- response_body_like eval
[qr/\A\{"ok":true,"uri":"\/v1\/chat\/completions"\}\n\z/, qr/"code":"missing_api_key"/]
