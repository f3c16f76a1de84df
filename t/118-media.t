# Images and video tasks through the gateway, with the official `openai` SDK as the client
# (t/sdk/media-smoke.mjs) in front of the OpenAI media mock (Test::AIGW::Mock::Media), keys and
# billing in a private Redis, NGINX with two workers:
#   1. nginx -t: the task and callback directives refuse what cannot work;
#   2. the SDK: images.generate (JSON and stream), images.edit with a file, videos.create,
#      retrieve until done, downloadContent, list, remix, delete; another key gets 404; a chat
#      key gets 403 endpoint_not_allowed; a forbidden callback URL 400;
#   3. billing equals the price table exactly once: per image (dall-e-3), by tokens (gpt-image-1),
#      per second (sora-2); a failed task costs nothing; the usage records add up to `used`;
#   4. callbacks: delivered once with a valid signature; retried when the receiver fails;
#   5. multipart bodies pass byte for byte (a 3 MB file from NGINX's temp file), the model
#      renamed; malformed forms, wrong parameter types, an unknown id, Redis down;
#   6. NGINX restarted while a task runs: the task, its settlement and its callback survive.
#
# Ports (loopback, fixed): 2160 gateway, 2161 media mock, 2164 callback receiver,
# 2165 callback receiver that fails twice first.

use strict;
use warnings;

use lib 't/lib';
use Test::AIGW 'plain', 'redis';
use Test::AIGW::Fleet qw(new_key);
use Test::AIGW::Mock::Media qw(media_mock_start media_mock_log callback_receiver_start
                               callback_receiver_log media_png);
use Test::AIGW::SDK qw(sdk_missing sdk_tap);

use Digest::SHA qw(hmac_sha256_hex sha256_hex);
use File::Path qw(make_path remove_tree);
use File::Spec;
use File::Temp qw(tempdir);
use JSON::PP ();
use Time::HiRes qw(sleep time);

my ($GW, $MOCK, $HOOK, $HOOK_FAIL) = (2160, 2161, 2164, 2165);
my $Root = File::Spec->rel2abs('t/servroot-media');
my $Redis = redis_port();
my $Secret = 'media-test-secret-0123456789';
my $Tmp = tempdir(CLEANUP => 1);
my $Json = JSON::PP->new->canonical;
my $Log = '';   # the gateway's error.log, over its restarts
my $T0 = time;

# ---- 1. nginx -t ----

sub nginx_t {
    my ($http) = @_;
    my $dir = File::Spec->rel2abs('t/servroot-media-t');
    remove_tree($dir);
    make_path("$dir/conf", "$dir/logs");
    spew("$dir/conf/nginx.conf", aigw_load_modules()
        . "error_log $dir/logs/error.log;\npid $dir/logs/nginx.pid;\nevents {}\nhttp {\n$http\n}\n");
    return run_program({ timeout => 20, merge => 1 }, $ENV{TEST_NGINX_BINARY},
                       '-t', '-p', "$dir/", '-c', 'conf/nginx.conf');
}

{
    my ($rc, $out) = nginx_t("aigw_redis 127.0.0.1:$Redis;\naigw_callback_pass /_cb;\n");
    isnt($rc, 0, 'nginx -t: aigw_callback_pass without a secret and a poller is refused');
    like($out, qr/"aigw_callback_pass" needs "aigw_callback_secret"/, '... saying why');
    ($rc, $out) = nginx_t("aigw_task_poller http://127.0.0.1:$GW/_t;\n");
    isnt($rc, 0, 'nginx -t: aigw_task_poller without Redis is refused');
    like($out, qr/"aigw_task_poller" needs "aigw_redis"/, '... saying why');
    ($rc, $out) = nginx_t("aigw_redis 127.0.0.1:$Redis;\naigw_task_poller https://127.0.0.1/_t;\n");
    isnt($rc, 0, 'nginx -t: a poller URL that is not http:// is refused');
    ($rc, $out) = nginx_t("aigw_callback_secret short;\n");
    like($out, qr/"aigw_callback_secret" must be at least 16 bytes/, 'nginx -t: a short secret is refused');
    ($rc, $out) = nginx_t("aigw_callback_allow 127.0.0.1 not_a_host!;\n");
    like($out, qr/invalid "aigw_callback_allow" item "not_a_host!"/, 'nginx -t: a bad allow item is refused');
}

# ---- the gateway ----

my $MockLog = "$Tmp/mock.log";
my $HookLog = "$Tmp/hook.log";
my $FailLog = "$Tmp/hook-fail.log";
make_path("$Tmp/state");
my @pids = (media_mock_start($MOCK, log => $MockLog, state => "$Tmp/state", queued_s => 0.3, run_s => 1.0),
            callback_receiver_start($HOOK, log => $HookLog),
            callback_receiver_start($HOOK_FAIL, log => $FailLog, fail_first => 2));
END { tcp_server_stop($_) for grep { defined } @pids }

my $Conf = <<"_EOC_";
    aigw_redis 127.0.0.1:$Redis timeout=2s;
    aigw_billing on flush=200ms;
    aigw_price dall-e-2 image=0.02;
    aigw_price dall-e-3 image=0.04 image_hd=0.08 image_large=0.08 image_hd_large=0.12;
    aigw_price gpt-image-1 input=5.00 output=40.00 image=0.011;
    aigw_price house-image input=5.00 output=40.00;
    aigw_price sora-2 video_second=0.10;
    aigw_channel media location=/_media;
    aigw_model dall-e-2 media;
    aigw_model dall-e-3 media;
    aigw_model gpt-image-1 media;
    aigw_model house-image media:gpt-image-1;
    aigw_model sora-2 media;
    aigw_task_poller http://127.0.0.1:$GW/_aigw/tasks interval=200ms;
    aigw_callback_pass /_aigw/callback;
    aigw_callback_secret $Secret;
    aigw_callback_allow 127.0.0.1;

    server {
        listen 127.0.0.1:$GW;
        client_max_body_size 20m;
        client_body_buffer_size 64k;
        location /v1/ { aigw on; }
        location /_media/ {
            internal;
            proxy_pass http://127.0.0.1:$MOCK/;
            proxy_set_header Authorization "Bearer sk-upstream-media";
        }
        location /_aigw/tasks/ { aigw_task_poll; allow 127.0.0.1; deny all; }
        location = /_aigw/callback { internal; proxy_pass \$aigw_callback_url; }
    }
_EOC_

aigw_nginx_start($Conf, servroot => $Root, port => $GW, workers => 2, log_level => 'info',
                 wait_redis => 1);

my $KeyA = new_key(group => 'media-team', endpoints => 'images,videos', quota => 100_000_000);
my $KeyB = new_key(group => 'media-team', endpoints => 'images,videos', quota => 100_000_000);
my $KeyChat = new_key(group => '', endpoints => 'chat', quota => 100_000_000);

sub used { return redis_q('HGET', $_[0]{hash}, 'used') // 0 }
sub task { return { @{ redis_q('HGETALL', "aigw:task:{$_[0]}") || [] } } }

# The receiver's log once it holds `min` deliveries for task `id`, or after `secs` seconds.
sub deliveries {
    my ($file, $id, $min, $secs) = @_;
    my $deadline = time + ($secs // 10);
    my @mine;
    while (1) {
        @mine = grep { ($_->{header}{'x-aigw-task-id'} // '') eq $id } callback_receiver_log($file);
        last if @mine >= $min || time > $deadline;
        sleep 0.1;
    }
    return @mine;
}

sub wait_for {
    my ($what, $until) = @_;
    my $deadline = time + ($until // 15);
    my $v;
    sleep 0.1 until ($v = $what->()) || time > $deadline;
    return $v;
}

# ---- 2. the SDK ----

SKIP: {
    my $why = sdk_missing('openai');
    skip $why, 1 if $why;
    sdk_tap('openai SDK', 'media-smoke.mjs', timeout => 150, env => {
        AIGW_BASE_URL => "http://127.0.0.1:$GW/v1",
        AIGW_KEY => $KeyA->{raw},
        AIGW_OTHER_KEY => $KeyB->{raw},
        AIGW_CHAT_KEY => $KeyChat->{raw},
        AIGW_CALLBACK_URL => "http://127.0.0.1:$HOOK/hook",
        AIGW_FORBIDDEN_CALLBACK_URL => 'http://10.20.30.40/hook',
        AIGW_OUT => "$Tmp/out.json",
    });
}

my $out = eval { $Json->decode(slurp("$Tmp/out.json")) } || {};
ok($out->{video} && $out->{failed}, 'the SDK script wrote the ids of its tasks') or diag explain $out;

# ---- 3. billing, exactly once ----

sub token_cost {
    my ($u) = @_;
    my $micro = $u->{input_tokens} * 5 + $u->{output_tokens} * 40;   # per 1M tokens, in micro-USD
    return $micro;   # USD per 1M tokens x tokens = micro-USD exactly
}

SKIP: {
    skip 'the SDK did not run', 10 unless $out->{video};
    my $video = task($out->{video});
    is($video->{status}, 'completed', 'the task record: completed');
    is($video->{billing}, 'charged', '... its money kept');
    is($video->{cost}, 400_000, '... 4 s of sora-2 at $0.10 a second');
    is($video->{account}, $KeyA->{hex}, '... owned by the key that made it (its hash, never the key)');
    is($video->{key_id}, $KeyA->{id}, '... its id');
    my $failed = wait_for(sub { my $t = task($out->{failed}); $t->{billing} eq 'released' ? $t : undef });
    ok($failed, 'the failed task: its money given back') or diag explain task($out->{failed});
    my $remix = task($out->{remix});
    is_deeply($remix, {}, 'the deleted remix: its record is gone');

    # dall-e-3 hd 1024x1792: image_hd_large; dall-e-2: two variations at image;
    # gpt-image-1: by tokens (n=2, a stream, an edit);
    # sora-2: 4 s, the remix 4 s (kept after deletion), the failed one given back.
    my $expected = 120_000 + 40_000 + token_cost($out->{gptImageUsage}) + token_cost($out->{streamUsage})
                 + 400_000 + 400_000;
    my ($created) = grep { $_->{path} eq '/v1/videos' && $_->{method} eq 'POST' && $_->{parts} } media_mock_log($MockLog);
    my %part = map { $_->{name} => $_ } @{ $created->{parts} || [] };
    is($part{input_reference}{sha256}, $out->{editSha256}, 'the video\'s input_reference reached the upstream byte for byte');
    my $used = wait_for(sub { my $u = used($KeyA); $u >= $expected ? $u : undef });
    my @records = grep { ($_->{key_id} // '') eq $KeyA->{id} } usage_records();
    my $sum = 0;
    $sum += $_->{cost} for @records;
    my ($edit_rec) = grep { $_->{endpoint} eq '/v1/images/edits' } @records;
    ok($edit_rec && $edit_rec->{cost} > 0, 'the edit is billed by its tokens') or diag explain \@records;
    $expected += $edit_rec ? $edit_rec->{cost} : 0;
    $used = wait_for(sub { my $u = used($KeyA); $u == $expected ? $u : undef }) // used($KeyA);
    is($used, $expected, 'the key was charged the price table, each task once, the failed one nothing');
    is($sum, $used, 'the usage records add up to what the key was charged')
        or diag explain [map { +{ map { $_ => $_[0]{$_} } () } } ()],
                        [map { "$_->{endpoint} $_->{http_status} $_->{cost}" } @records];
    is(used($KeyB), 0, 'the other key was charged nothing');
}

# ---- 4. callbacks ----

SKIP: {
    skip 'the SDK did not run', 6 unless $out->{video};
    my @mine = deliveries($HookLog, $out->{video}, 1);
    is(scalar @mine, 1, 'the callback was delivered once');
    my $cb = $mine[0] // {};
    my $body = $cb->{body} // '';
    my $object = eval { $Json->decode($body) } || {};
    is_deeply([@$object{qw(id status model)}], [$out->{video}, 'completed', 'sora-2'],
              '... with the final object under the public id');
    my ($t, $v1) = ($cb->{header}{'x-aigw-signature'} // '') =~ /^t=(\d+),v1=([0-9a-f]{64})$/;
    ok($t && $t >= $T0 && $t <= time + 1, '... signed with the time it was sent');
    is($v1, hmac_sha256_hex("$t.$body", $Secret), '... and an HMAC-SHA256 the receiver can verify');
    is(task($out->{video})->{callback}, 'delivered', 'the task record says delivered');
    ok(!redis_q('ZSCORE', 'aigw:tasks:pending', $out->{video}), '... and it is no longer pending');
}

{
    my $r = http_request($GW, path => '/v1/videos', headers => {
            Authorization => "Bearer $KeyA->{raw}", 'X-Aigw-Callback-Url' => "http://127.0.0.1:$HOOK_FAIL/retry" },
        body => '{"model":"sora-2","prompt":"retry me","seconds":"4"}');
    is($r->{status}, 200, 'a task whose receiver fails twice') or diag $r->{body};
    my $id = $r->{json}{id} // '';
    my @mine = deliveries($FailLog, $id, 3, 20);
    is(scalar @mine, 3, '... is delivered on the third attempt');
    is_deeply([map { $_->{header}{'x-aigw-delivery-attempt'} } @mine], [1, 2, 3], '... each numbered');
    my $rec = wait_for(sub { my $x = task($id); ($x->{callback} // '') eq 'delivered' ? $x : undef });
    is($rec && $rec->{callback_attempts}, 3, '... and recorded as delivered after 3 attempts');
}

# ---- 5. multipart, bad input, Redis down ----

sub multipart {
    my ($boundary, @parts) = @_;
    my $body = '';
    for my $p (@parts) {
        my ($name, $value, $file) = @$p;
        $body .= "--$boundary\r\nContent-Disposition: form-data; name=\"$name\""
               . ($file ? "; filename=\"$file\"\r\nContent-Type: image/png" : '') . "\r\n\r\n$value\r\n";
    }
    return $body . "--$boundary--\r\n";
}

{
    my $big = join '', map { chr(($_ * 7919) % 251) } 1 .. (3 * 1024 * 1024);
    my $b = 'aigwTestBoundary0123';
    my $body = multipart($b, [image => $big, 'big.png'], [prompt => 'a hat'], [model => 'house-image'],
                         [size => '1024x1024'], [quality => 'low']);
    my $r = http_request($GW, path => '/v1/images/edits', body => $body, timeout => 30, headers => {
        Authorization => "Bearer $KeyA->{raw}", 'Content-Type' => "multipart/form-data; boundary=$b" });
    is($r->{status}, 200, 'a 3 MB image edit (from the temp file)') or diag substr($r->{body}, 0, 400);
    my ($seen) = grep { $_->{path} eq '/v1/images/edits' && ($_->{parts} && grep { ($_->{length} // 0) == length $big } @{ $_->{parts} }) }
                 media_mock_log($MockLog);
    my %part = map { $_->{name} => $_ } @{ $seen->{parts} || [] };
    is($part{image}{sha256}, sha256_hex($big), '... the file reached the upstream byte for byte');
    is($part{model}{value} // $part{model}{text}, 'gpt-image-1', '... the model renamed to the upstream\'s');
    is($r->{json}{usage}{input_tokens} > 0 ? 1 : 0, 1, '... usage back to the client');

    $r = http_request($GW, path => '/v1/images/edits', body => "--$b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nhouse-image\r\n",
                      headers => { Authorization => "Bearer $KeyA->{raw}", 'Content-Type' => "multipart/form-data; boundary=$b" });
    is($r->{status}, 400, 'a form without its closing delimiter: 400');
    is($r->{json}{error}{code}, 'invalid_multipart', '... invalid_multipart');
    $r = http_request($GW, path => '/v1/images/edits', body => multipart($b, [prompt => 'x']),
                      headers => { Authorization => "Bearer $KeyA->{raw}", 'Content-Type' => "multipart/form-data; boundary=$b" });
    is($r->{status}, 400, 'a form without a model: 400');
    like($r->{json}{error}{message} // '', qr/model/, '... naming the model');
    $r = http_request($GW, path => '/v1/images/edits', body => multipart($b, [image => 'x', 'a.png'], [model => 'house-image'], [model => 'gpt-image-1']),
                      headers => { Authorization => "Bearer $KeyA->{raw}", 'Content-Type' => "multipart/form-data; boundary=$b" });
    is($r->{status}, 400, 'a form naming the model twice: 400 (the upstream might read the other one)');
    $r = http_request($GW, path => '/v1/images/edits', body => multipart($b, [image => 'x', 'a.png'], [model => 'house-image'], [n => 'lots']),
                      headers => { Authorization => "Bearer $KeyA->{raw}", 'Content-Type' => "multipart/form-data; boundary=$b" });
    is($r->{status}, 400, 'a form whose n is not a number: 400');
    $r = http_request($GW, path => '/v1/images/generations', body => '{"model":"dall-e-3","prompt":"x","n":"two"}',
                      headers => { Authorization => "Bearer $KeyA->{raw}" });
    is($r->{status}, 400, 'n as a string: 400');
    is($r->{json}{error}{type}, 'invalid_request_error', '... an invalid_request_error');
    $r = http_request($GW, path => '/v1/images/generations', body => '{"model":"dall-e-3","prompt":',
                      headers => { Authorization => "Bearer $KeyA->{raw}" });
    is($r->{status}, 400, 'malformed JSON: 400');
    $r = http_request($GW, path => '/v1/videos/video_' . ('0' x 48), headers => { Authorization => "Bearer $KeyA->{raw}" });
    is($r->{status}, 404, 'an id no task has: 404');
    is($r->{json}{error}{type}, 'invalid_request_error', '... in OpenAI\'s shape');
    $r = http_request($GW, path => '/v1/videos/bad$id', headers => { Authorization => "Bearer $KeyA->{raw}" });
    is($r->{status}, 404, 'an id with bytes no id has: 404');

    my $poor = new_key(group => '', endpoints => 'videos', quota => 100_000);
    $r = http_request($GW, path => '/v1/videos', body => '{"model":"sora-2","prompt":"x","seconds":"4"}',
                      headers => { Authorization => "Bearer $poor->{raw}" });
    is($r->{status}, 402, 'a key whose quota cannot cover 4 s of video: 402 before the upstream is asked');

    $r = http_request($GW, path => '/_aigw/tasks/video_x', headers => { 'X-Aigw-Poll-Token' => 'guess' });
    is($r->{status}, 403, 'the poll location refuses a request without this node\'s token');
}

# ---- 6. a restart while a task runs ----

{
    my $r = http_request($GW, path => '/v1/videos', headers => {
            Authorization => "Bearer $KeyB->{raw}", 'X-Aigw-Callback-Url' => "http://127.0.0.1:$HOOK/restart" },
        body => '{"model":"sora-2","prompt":"survive a restart","seconds":"8"}');
    is($r->{status}, 200, 'a task started') or diag $r->{body};
    my $id = $r->{json}{id} // '';
    $Log .= aigw_nginx_stop(servroot => $Root);
    aigw_nginx_start($Conf, servroot => $Root, port => $GW, workers => 2, log_level => 'info',
                     wait_redis => 1);
    # A poll the stopped node had claimed and not finished keeps the task to that node until
    # its claim lapses (1 minute): allow for it.
    my $rec = wait_for(sub { my $x = task($id); ($x->{callback} // '') eq 'delivered' ? $x : undef }, 70);
    ok($rec, 'after a restart the poller finished the task and delivered its callback') or diag explain task($id);
    is($rec && $rec->{billing}, 'charged', '... its money kept once');
    my @got = deliveries($HookLog, $id, 1);
    is(scalar @got, 1, '... one delivery');
    $r = http_request($GW, path => "/v1/videos/$id", headers => { Authorization => "Bearer $KeyB->{raw}" });
    is($r->{json}{status}, 'completed', '... and the client reads it completed');
    my $used = wait_for(sub { used($KeyB) == 800_000 ? 1 : undef });
    is(used($KeyB), 800_000, '... charged 8 s once');

    redis_server_down();
    $r = http_request($GW, path => "/v1/videos/$id", headers => { Authorization => "Bearer $KeyB->{raw}" });
    is($r->{status}, 503, 'Redis down: 503 (the key cannot be checked, nor the task read)');
    like($r->{h}{'content-type'} // '', qr{application/json}, '... as JSON');
    redis_server_up();
}

$Log .= aigw_nginx_stop(servroot => $Root);
unlike($Log, qr/\[(alert|crit|emerg)\]|exited on signal/, 'no alert, crit or crash in the error log');
like($Log, qr/callback attempt 1 to "http:\/\/127\.0\.0\.1:$HOOK_FAIL\/retry" failed \(HTTP 500\); retrying/,
     'each failed callback attempt is logged');
done_testing();
