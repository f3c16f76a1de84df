# A key's endpoint allow-list (the record's `endpoints`): a chat-only key gets its chats and the
# model list, and a 403 endpoint_not_allowed in the client's own error shape (OpenAI, Anthropic,
# Gemini) everywhere else, before the upstream is called and without a usage record; "*" and a
# record without the field allow every endpoint; a path the gateway does not serve stays the
# 404; a record naming an unknown family is refused like any record the gateway cannot read;
# and `aigw-keys set-endpoints` takes effect on a running gateway at once.
#
#     prove -I t/lib t/062-keys-endpoints.t
#
# Plain Test::More. Fixed loopback ports, all of them in 2140-2149:
#   2140  the private redis-server
#   2141  the gateway
#   2142  the mock upstream (a second server of the same NGINX, with the echo module); every
#         request it gets is a line of logs/mock.log
# Every request is made twice: the second answer comes from the key cache.

use strict;
use warnings;

use lib 't/lib';
use Test::AIGW 'plain';

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Spec;
use JSON::PP ();
use Time::HiRes qw(sleep time);

my ($RedisPort, $GwPort, $MockPort) = (2140, 2141, 2142);
my $Root = abs_path(File::Spec->catdir(dirname(abs_path(__FILE__)), '..'));
my $Cli = "$Root/scripts/aigw-keys";
my $ServRoot = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');

redis_start(port => $RedisPort);
delete @ENV{qw(AIGW_REDIS AIGW_REDIS_PASSWORD)};

# ---- fixture keys: raw key => the record's endpoints field (undef: no such field) ----

my %Key = (
    chat   => 'sk-aigw-EndpointsChatOnly0000000000000000000000000CHT1',
    star   => 'sk-aigw-EndpointsStar00000000000000000000000000000STR1',
    none   => 'sk-aigw-EndpointsNoField000000000000000000000000000NOF1',
    media  => 'sk-aigw-EndpointsMedia0000000000000000000000000000MED1',
    broken => 'sk-aigw-EndpointsBroken000000000000000000000000000BRK1',
);
my %Endpoints = (chat => 'chat', star => '*', none => undef, media => 'images, videos',
                 broken => 'chat,imagez');
for my $name (sort keys %Key) {
    my $raw = $Key{$name};
    die "fixture $raw is not a well-formed key\n" unless $raw =~ /^sk-aigw-[A-Za-z0-9]{40,128}$/;
    my %record = (id => "key_${name}AAAAAAAAAAAAAAAA", name => $name, owner => 'ann@example.com',
                  group => '', status => 'active', expires_at => 0, models => '*', ip_allow => '',
                  created_at => int(time), last4 => substr($raw, -4));
    $record{id} = substr($record{id}, 0, 20);
    $record{endpoints} = $Endpoints{$name} if defined $Endpoints{$name};
    redis_q('DEL', aigw_key_hash($raw));
    redis_q('HSET', aigw_key_hash($raw), map { ($_, $record{$_}) } sort keys %record);
}

my $Conf = <<"_EOC_";
    aigw_redis 127.0.0.1:$RedisPort timeout=1s;
    aigw_key_cache zone=aigw_keys:1m ttl=30s negative_ttl=1s;
    aigw_billing off;
    log_format mock '\$request_uri';

    server {
        listen 127.0.0.1:$GwPort;
        location /v1/ {
            aigw on;
            aigw_pass /_aigw/openai;
        }
        location /v1beta/ {
            aigw on;
            aigw_pass /_aigw/openai;
        }
        location /_aigw/openai/ {
            internal;
            proxy_pass http://127.0.0.1:$MockPort/;
        }
    }

    server {
        listen 127.0.0.1:$MockPort;
        default_type application/json;
        access_log logs/mock.log mock;
        location = /v1/models {
            echo '{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"}]}';
        }
        location / {
            echo_read_request_body;
            echo '{"ok":true,"uri":"\$request_uri"}';
        }
    }
_EOC_

my %Body = (
    chat       => '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}',
    completion => '{"model":"gpt-4o","prompt":"hi"}',
    embedding  => '{"model":"text-embedding-3-small","input":"hi"}',
    image      => '{"model":"gpt-image-1","prompt":"a lighthouse at dusk","size":"1024x1024"}',
    message    => '{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}',
    gemini     => '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}',
);

# path, body name (undef: GET), the header the key goes in.
my %Request = (
    chat       => ['/v1/chat/completions', 'chat', 'Authorization'],
    completion => ['/v1/completions', 'completion', 'Authorization'],
    embedding  => ['/v1/embeddings', 'embedding', 'Authorization'],
    image      => ['/v1/images/generations', 'image', 'Authorization'],
    message    => ['/v1/messages', 'message', 'x-api-key'],
    gemini     => ['/v1beta/models/gemini-2.5-flash:generateContent', 'gemini', 'x-goog-api-key'],
    models     => ['/v1/models', undef, 'Authorization'],
    model      => ['/v1/models/gpt-4o', undef, 'Authorization'],
    unknown    => ['/v1/audio/speech', 'chat', 'Authorization'],
);

# One request of %Request with a fixture key (or a raw one).
sub ask {
    my ($what, $key) = @_;
    my ($path, $body, $header) = @{ $Request{$what} };
    $key = $Key{$key} if exists $Key{$key};
    my $value = $header eq 'Authorization' ? "Bearer $key" : $key;
    my %o = (path => $path, headers => { $header => $value });
    $o{body} = $Body{$body} if defined $body;
    $o{headers}{'anthropic-version'} = '2023-06-01' if $what eq 'message';
    return http_request($GwPort, %o);
}

sub new_in { return tail_new("$ServRoot/logs/$_[0]") }

sub openai_refusal {
    my ($family) = @_;
    return qq({"error":{"message":"This API key may not use the $family endpoints.",)
         . qq("type":"permission_error","param":null,"code":"endpoint_not_allowed"}});
}

# A refusal: 403, the body, JSON with a request id, the upstream never called, an info line.
sub refused {
    my ($what, $key, $family, $body, $label) = @_;
    for my $round (1, 2) {
        my $r = ask($what, $key);
        my $t = "$label (round $round)";
        is($r->{status}, 403, "$t: 403") or diag($r->{raw});
        is($r->{body}, $body, "$t: the body");
        like($r->{h}{'content-type'} // '', qr{^application/json}, "$t: JSON");
        like($r->{h}{'x-request-id'} // '', qr/^req_[0-9a-f]{32}$/, "$t: a request id");
        if ($what eq 'message') {
            is($r->{h}{'request-id'}, $r->{h}{'x-request-id'},
               "$t: request-id too, where Anthropic's SDKs read it");
        }
        is(new_in('mock.log'), '', "$t: the upstream is not called");
        my $masked = "sk-aigw-\xe2\x80\xa6" . substr($Key{$key}, -4);
        like(new_in('error.log'),
             qr/\[info\] [^\n]*aigw: key \Q$masked\E rejected: endpoint_not_allowed \("\Q$family\E"\)/,
             "$t: logged at info with the family");
    }
}

# An answer from the upstream: 200 and the mock's body naming the path.
sub passed {
    my ($what, $key, $label) = @_;
    my $path = $Request{$what}[0];
    for my $round (1, 2) {
        my $r = ask($what, $key);
        my $t = "$label (round $round)";
        is($r->{status}, 200, "$t: 200") or diag($r->{raw});
        like($r->{body}, qr/^\{"ok":true,"uri":"\Q$path\E/, "$t: the upstream's answer");
        # The mock logs its request when it has finished it, which may be after our answer.
        my ($log, $deadline) = ('', time + 3);
        until ($log =~ /^\Q$path\E/m || time > $deadline) {
            sleep 0.02;
            $log .= new_in('mock.log');
        }
        like($log, qr/^\Q$path\E/m, "$t: the upstream is called");
    }
}

# Stops NGINX once the usage stream holds `records` records; error.log must have no line of
# level error or worse but the ones `expected` matches, no crash, and never a raw fixture key.
sub stop_clean {
    my ($what, %o) = @_;
    is(usage_wait_xlen($o{records}, 5), $o{records}, "$what: $o{records} usage records");
    sleep 0.3;
    is(redis_q('XLEN', 'aigw:usage'), $o{records}, "$what: and no more");
    my $log = aigw_nginx_stop();
    my @bad = grep { /^\S+ \S+ \[(?:error|alert|crit|emerg)\]|exited on signal/
                     && !($o{expected} && /$o{expected}/) } split /^/m, $log;
    is(scalar @bad, 0, "$what: no other line of level error or worse, no crash, in error.log")
        or diag(@bad);
    unlike($log, qr/Endpoints[A-Za-z]*0{10}/, "$what: no raw key in error.log");
    return $log;
}

aigw_nginx_start($Conf, port => $GwPort, log_level => 'info', wait_redis => 1);
new_in($_) for qw(error.log mock.log);
redis_q('DEL', 'aigw:usage');

# ---- a chat-only key ----

passed('chat', 'chat', 'endpoints=chat, chat completions');
refused('embedding', 'chat', 'embeddings', openai_refusal('embeddings'),
        'endpoints=chat, embeddings');
refused('image', 'chat', 'images', openai_refusal('images'), 'endpoints=chat, images');
refused('completion', 'chat', 'completions', openai_refusal('completions'),
        'endpoints=chat, completions');
refused('message', 'chat', 'messages',
        '{"type":"error","error":{"type":"permission_error","message":"This API key may not use the messages endpoints."}}',
        'endpoints=chat, Anthropic Messages: Anthropic\'s shape');
refused('gemini', 'chat', 'gemini',
        '{"error":{"code":403,"message":"This API key may not use the gemini endpoints.","status":"PERMISSION_DENIED"}}',
        'endpoints=chat, Gemini generateContent: Gemini\'s shape');

# The model list, whatever the list says.
for my $round (1, 2) {
    my $r = ask('models', 'chat');
    is($r->{status}, 200, "endpoints=chat, GET /v1/models (round $round): 200") or diag($r->{raw});
    like($r->{body}, qr/^\{"object":"list","data":\[\{"id":"gpt-4o"/,
         "endpoints=chat, GET /v1/models (round $round): the list");
    $r = ask('model', 'chat');
    is($r->{status}, 200, "endpoints=chat, GET /v1/models/{id} (round $round): 200") or diag($r->{raw});
}
new_in('mock.log');

# A path the gateway does not serve is no family's: still the 404.
for my $round (1, 2) {
    my $r = ask('unknown', 'chat');
    is($r->{status}, 404, "endpoints=chat, unknown path (round $round): 404") or diag($r->{raw});
    like($r->{body}, qr/"code":"unknown_url"/, "endpoints=chat, unknown path (round $round): unknown_url");
    unlike(new_in('error.log'), qr/endpoint_not_allowed/,
           "endpoints=chat, unknown path (round $round): no endpoint refusal logged");
}
is(new_in('mock.log'), '', 'unknown path: the upstream is not called');

# Refusals write no usage record (as no key refusal does); what passed writes one.
{
    # 2 chats, 2 model lists, 2 model retrievals, 2 unknown paths.
    is(usage_wait_xlen(8, 5), 8, 'endpoints=chat: a usage record for each request that passed');
    sleep 0.3;
    my @records = usage_records();
    is(scalar @records, 8, 'endpoints=chat: no record of a refusal');
    my %refused_path = map { ($_ => 1) } qw(/v1/embeddings /v1/images/generations /v1/completions
                                            /v1/messages);
    is(scalar(grep { $refused_path{ $_->{endpoint} // '' } || $_->{endpoint} =~ /generateContent/
                     || ($_->{error_code} // '') eq 'endpoint_not_allowed' } @records), 0,
       'endpoints=chat: no record names a refused endpoint') or diag(explain(\@records));
}

# ---- a media key: the other way round ----

passed('image', 'media', 'endpoints=images,videos, images');
refused('chat', 'media', 'chat', openai_refusal('chat'), 'endpoints=images,videos, chat');
refused('embedding', 'media', 'embeddings', openai_refusal('embeddings'),
        'endpoints=images,videos, embeddings');

# ---- "*" and a record without the field: every endpoint ----

for my $key ('star', 'none') {
    my $label = $key eq 'star' ? 'endpoints=*' : 'no endpoints field';
    passed($_, $key, "$label, $Request{$_}[0]") for qw(chat completion embedding image message gemini);
}
unlike(new_in('error.log'), qr/endpoint_not_allowed/, '"*" and no field: nothing refused');

# ---- a record naming an unknown family: a broken record, refused as today ----

for my $round (1, 2) {
    my $r = ask('chat', 'broken');
    my $t = "endpoints=chat,imagez (round $round)";
    is($r->{status}, 401, "$t: 401") or diag($r->{raw});
    is($r->{body}, qq({"error":{"message":"Incorrect API key provided: sk-aigw-\xe2\x80\xa6BRK1. Ask the administrator of this gateway for a valid key.","type":"authentication_error","param":null,"code":"invalid_api_key"}}),
       "$t: invalid_api_key");
    like($r->{h}{'x-request-id'} // '', qr/^req_[0-9a-f]{32}$/, "$t: a request id");
    like(new_in('error.log'),
         qr/\[error\] [^\n]*aigw: the Redis record of key sk-aigw-\xe2\x80\xa6BRK1 is malformed \(endpoints: unknown endpoint family 'imagez'/,
         "$t: logged as an error, naming the field and the family");
}
is(new_in('mock.log'), '', 'broken record: the upstream is not called');

# The usage records: 8 of the chat-only key, 2 of the media key, 24 of the other two.
stop_clean('fixtures', records => 34,
           expected => qr/\[error\] .*aigw: the Redis record of key sk-aigw-\xe2\x80\xa6BRK1 is malformed/);

# ---- aigw-keys: a key made with --endpoints, changed with set-endpoints on a running gateway ----

{
    aigw_nginx_start($Conf, port => $GwPort, log_level => 'info', wait_redis => 1);
    # The invalidation subscriber is up once Redis counts it.
    my $deadline = time + 5;
    sleep 0.05 until (redis_q('PUBSUB', 'NUMSUB', 'aigw:keys:invalidate')->[1] // 0) >= 1 || time > $deadline;
    new_in($_) for qw(error.log mock.log);
    redis_q('DEL', 'aigw:usage');

    my @redis = ('--redis', "127.0.0.1:$RedisPort");
    my ($rc, $out, $err) = run_program($Cli, @redis, 'create', '--name', 'chatbot',
                                       '--owner', 'ann@example.com', '--group', 'g',
                                       '--endpoints', 'chat');
    is($rc, 0, 'cli create --endpoints chat: exit 0') or diag($err);
    my ($id) = $out =~ /^id:\s+(\S+)$/m;
    my ($key) = $out =~ /^key:\s+(\S+)$/m;
    $Key{cli} = $key // 'missing';

    passed('chat', 'cli', 'cli key, endpoints=chat, chat');
    refused('embedding', 'cli', 'embeddings', openai_refusal('embeddings'),
            'cli key, endpoints=chat, embeddings');

    # The key is cached (ttl=30s): only the invalidation makes the change show at once.
    ($rc, $out, $err) = run_program($Cli, @redis, 'set-endpoints', $id, 'chat,embeddings');
    is($rc, 0, 'cli set-endpoints: exit 0') or diag($err);
    my $r;
    $deadline = time + 5;
    while (time < $deadline) {
        $r = ask('embedding', 'cli');
        last if $r->{status} == 200;
        sleep 0.05;
    }
    is($r->{status}, 200, 'after set-endpoints chat,embeddings: embeddings pass') or diag($r->{raw});
    # The mock logs a request once it finished it, which may be after our answer: wait for
    # that line, so the next check does not read it as a call made by the refused request.
    my ($seen, $until) = ('', time + 3);
    until ($seen =~ m{^/v1/embeddings}m || time > $until) {
        sleep 0.02;
        $seen .= new_in('mock.log');
    }
    refused('image', 'cli', 'images', openai_refusal('images'),
            'after set-endpoints chat,embeddings: images still refused');

    ($rc, $out, $err) = run_program($Cli, @redis, 'set-endpoints', $id, '*');
    is($rc, 0, 'cli set-endpoints *: exit 0') or diag($err);
    $deadline = time + 5;
    while (time < $deadline) {
        $r = ask('image', 'cli');
        last if $r->{status} == 200;
        sleep 0.05;
    }
    is($r->{status}, 200, 'after set-endpoints *: images pass') or diag($r->{raw});

    # Two chats, then one embedding and one image once each was allowed.
    stop_clean('cli', records => 4);
}

done_testing();
