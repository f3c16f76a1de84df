# aigw_status: the node's metrics as JSON and as Prometheus text, checked against the traffic
# the file sends, on NGINX with two workers and keys in a private Redis:
#   1. nginx -t refuses a bad zone size, aigw_status without the zone, and more channels than
#      the zone holds;
#   2. per model, group, channel and for the gateway, the counts the traffic must produce:
#      requests, tokens, cost, 402 and 429 refusals, attempts by outcome and those swallowed
#      by fallback, usage records delivered, Redis connections, key-cache lookups;
#   3. N concurrent requests count N over both workers; a reload keeps the counts;
#   4. the Prometheus text passes `promtool check metrics`, and a real Prometheus server
#      scraping the gateway answers a query with the same counts;
#   5. a zone too small for the models counts the rest under _other, none lost;
#   6. the page for a browser, JSON for everything else, 405 for a POST.
#
# Ports (loopback, fixed): 2120 gateway, 2121 mock upstream (same NGINX), 2122 Prometheus,
# 2123 the small-zone gateway, 2124 its mock.

use strict;
use warnings;

use lib 't/lib';
use Test::AIGW 'plain', 'redis';
use Test::AIGW::Fleet qw(new_key);

use File::Path qw(make_path remove_tree);
use File::Spec;
use Time::HiRes qw(sleep time);

my ($GW, $MOCK, $PROM, $SMALL) = (2120, 2121, 2122, 2123);
my $Root = File::Spec->rel2abs('t/servroot-status');
my $SmallRoot = File::Spec->rel2abs('t/servroot-status-small');
my $Redis = redis_port();

# OpenAI's chat.completion with 10 prompt and 5 completion tokens.
my $ChatJson = '{"id":"chatcmpl-AIGWstatus001","object":"chat.completion","created":1733000011,'
    . '"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant",'
    . '"content":"Hi there!","refusal":null},"logprobs":null,"finish_reason":"stop"}],'
    . '"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15},'
    . '"system_fingerprint":"fp_aigwmock01"}';
my $ErrJson = '{"error":{"message":"The server had an error.","type":"server_error","param":null,"code":null}}';

sub mock_server {
    my ($port) = @_;
    return <<"_EOC_";
    server {
        listen 127.0.0.1:$port backlog=1024;
        access_log off;
        default_type application/json;
        location /bad/ { return 500 '$ErrJson'; }
        location /good/ { return 200 '$ChatJson'; }
    }
_EOC_
}

my $Conf = <<"_EOC_";
    aigw_redis 127.0.0.1:$Redis timeout=2s;
    aigw_key_cache zone=keys:1m;
    aigw_billing on flush=200ms;
    aigw_price gpt-4o input=2.50 output=10.00;
    aigw_price gpt-4o-mini input=0.15 output=0.60;
    # "bad" is always tried first and always fails (max_fails=0: never set aside), so every
    # gpt-4o request has one swallowed attempt before "good" answers.
    aigw_channel bad location=/_bad priority=0 max_fails=0;
    aigw_channel good location=/_good priority=1;
    aigw_model gpt-4o bad good;
    aigw_model gpt-4o-mini good;

    server {
        listen 127.0.0.1:$GW backlog=1024;
        location /v1/ { aigw on; }
        location /_bad/ { internal; proxy_pass http://127.0.0.1:$MOCK/bad/; }
        location /_good/ { internal; proxy_pass http://127.0.0.1:$MOCK/good/; }
        location = /aigw/status { aigw_status; }
    }
@{[ mock_server($MOCK) ]}
_EOC_

sub status_json {
    my ($port) = @_;
    my $r = http_request($port // $GW, path => '/aigw/status');
    die "status: HTTP $r->{status}: $r->{body}" unless $r->{status} == 200 && ref $r->{json};
    return $r->{json};
}

# The status once `done` says so of it, or after 5 s: a request is counted in its log phase,
# which may run just after the client read its answer (lingering close).
sub status_when {
    my ($done, $port) = @_;
    my $until = time + 5;
    my $s = status_json($port);
    until ($done->($s) || time > $until) {
        sleep 0.05;
        $s = status_json($port);
    }
    return $s;
}

sub by_name {
    my ($list, $name) = @_;
    my ($e) = grep { $_->{name} eq $name } @$list;
    return $e // {};
}

sub chat_body { return qq({"model":"$_[0]","messages":[{"role":"user","content":"hi"}]}) }

sub chat_text {
    my ($key, $model) = @_;
    return http_request_text(headers => [[Authorization => "Bearer $key->{raw}"]],
                             body => chat_body($model));
}

sub statuses_of {
    my %n;
    $n{ (http_parse($_ // ''))->{status} // 0 }++ for @_;
    return join ', ', map { "$_: $n{$_}" } sort keys %n;
}

# ---- 1. nginx -t ----

sub nginx_t {
    my ($http) = @_;
    my $dir = File::Spec->rel2abs('t/servroot-status-t');
    remove_tree($dir);
    make_path("$dir/conf", "$dir/logs");
    spew("$dir/conf/nginx.conf", aigw_load_modules()
        . "error_log $dir/logs/error.log;\npid $dir/logs/nginx.pid;\nevents {}\nhttp {\n$http\n}\n");
    my ($rc, $out) = run_program({ timeout => 20, merge => 1 }, $ENV{TEST_NGINX_BINARY},
                                 '-t', '-p', "$dir/", '-c', 'conf/nginx.conf');
    return ($rc, $out);
}

{
    my ($rc, $out) = nginx_t("aigw_status_zone 10k;\n");
    isnt($rc, 0, 'nginx -t: a zone under 128k is refused');
    like($out, qr/invalid "aigw_status_zone" size "10k"/, '... saying why');

    ($rc, $out) = nginx_t("aigw_status_zone off;\nserver { listen 127.0.0.1:$GW; location = /s { aigw_status; } }\n");
    isnt($rc, 0, 'nginx -t: aigw_status with the zone off is refused');
    like($out, qr/"aigw_status" needs the metrics zone/, '... saying why');

    my $channels = join '', map { "aigw_channel c$_ location=/_c$_;\n" } 1 .. 9;
    ($rc, $out) = nginx_t("aigw_status_zone 128k;\n$channels");
    isnt($rc, 0, 'nginx -t: more channels than the zone holds is refused');
    like($out, qr/aigw_status_zone of 131072 bytes holds 8 channels, and 9 are configured/,
         '... saying how many it holds');

    ($rc, $out) = nginx_t("aigw_status_zone 128k;\n" . join '', map { "aigw_channel c$_ location=/_c$_;\n" } 1 .. 8);
    is($rc, 0, 'nginx -t: as many channels as the zone holds is fine') or diag $out;
}

# ---- 2. counts against the traffic ----

aigw_nginx_start($Conf, servroot => $Root, port => $GW, workers => 2, log_level => 'info',
                 worker_connections => 2048, wait_redis => 1);

my $KeyA = new_key(group => 'team-a', quota => 100_000_000);
my $KeyB = new_key(group => 'team-b', quota => 1);
my $KeyC = new_key(group => 'team-c', rpm => 1, quota => 100_000_000);

my @r = http_run([map { [$GW, chat_text($KeyA, 'gpt-4o')] } 1 .. 10], bound => 30);
is(statuses_of(@r), '200: 10', '10 gpt-4o requests answered (after a swallowed failure each)');
@r = http_run([map { [$GW, chat_text($KeyA, 'gpt-4o-mini')] } 1 .. 3], bound => 30);
is(statuses_of(@r), '200: 3', '3 gpt-4o-mini requests answered');
is(http_request($GW, body => chat_body('gpt-4o'),
                headers => { Authorization => "Bearer $KeyB->{raw}" })->{status},
   402, 'a key without quota is refused with 402');
my @c = map { http_request($GW, body => chat_body('gpt-4o-mini'),
                           headers => { Authorization => "Bearer $KeyC->{raw}" })->{status} } 1 .. 2;
is("@c", '200 429', 'rpm=1: the second request is refused with 429');
is(http_request($GW, body => chat_body('gpt-4o'))->{status}, 401, 'no key: 401');

# Usage records go to Redis within a flush; settlements within a flush interval.
my $s;
my $deadline = time + 10;
do { sleep 0.2; $s = status_json() }
    while time < $deadline
      && ($s->{gateway}{usage_records}{delivered} < 16 || !$s->{gateway}{settlements});

my $m4 = by_name($s->{models}, 'gpt-4o');
is($m4->{requests}, 11, 'gpt-4o: 11 requests (10 answered, one refused)');
is_deeply($m4->{tokens}, { input => 100, output => 50, cached => 0, cache_write => 0, reasoning => 0 },
          'gpt-4o: the tokens of the 10 answers');
is($m4->{cost_micro_usd}, 10 * (10 * 2.5 + 5 * 10), 'gpt-4o: cost = 10 x the price of 10 + 5 tokens');
my $mm = by_name($s->{models}, 'gpt-4o-mini');
is($mm->{requests}, 5, 'gpt-4o-mini: 5 requests (4 answered, one refused)');
is($mm->{tokens}{input}, 40, 'gpt-4o-mini: input tokens');
is($mm->{cost_micro_usd}, 4 * 5, 'gpt-4o-mini: 4 x 4.5 micro-USD, rounded up per request');

my $ga = by_name($s->{groups}, 'team-a');
is($ga->{requests}, 13, 'group team-a: 13 requests');
is($ga->{cost_micro_usd}, 750 + 15, 'group team-a: its cost');
is_deeply([@$ga{qw(refused_402 refused_429)}], [0, 0], 'group team-a: no refusals');
my $gb = by_name($s->{groups}, 'team-b');
is_deeply([@$gb{qw(requests refused_402 refused_429 cost_micro_usd)}], [1, 1, 0, 0],
          'group team-b: one request, refused with 402, nothing spent');
my $gc = by_name($s->{groups}, 'team-c');
is_deeply([@$gc{qw(requests refused_402 refused_429)}], [2, 0, 1],
          'group team-c: two requests, one refused with 429');

my $bad = by_name($s->{channels}, 'bad');
my $good = by_name($s->{channels}, 'good');
is($bad->{outcomes}{'5xx'}, 10, 'channel bad: 10 attempts answered 5xx');
is($bad->{swallowed}, 10, 'channel bad: all 10 swallowed by fallback');
is($bad->{requests}, 10, 'channel bad: 10 attempts (the refused request made none)');
is($good->{outcomes}{ok}, 14, 'channel good: 14 attempts ok (10 gpt-4o, 3 gpt-4o-mini, 1 for the key with rpm)')
    or diag explain $good->{outcomes};
is($good->{swallowed}, 0, 'channel good: none swallowed');
is($good->{inflight}, 0, 'channel good: nothing in flight');
is($good->{latency}{count}, 14, 'channel good: 14 latencies');
is($bad->{state}, 'available', 'channel bad with max_fails=0 is never set aside');
is($bad->{window}{requests}, 10, 'channel bad: the window has its 10 attempts');
is($bad->{window}{error_rate}, 1, 'channel bad: its error rate over the window is 1');
is($good->{window}{error_rate}, 0, 'channel good: its error rate is 0');
ok(defined $good->{window}{latency_p50_ms}, 'channel good: a p50 latency over the window');

my $g = $s->{gateway};
is($g->{requests}, 16, 'gateway: 16 requests reached the gateway past the key check');
is($g->{ingress}{chat}, 16, 'gateway: all through the chat API');
is($g->{usage_records}{delivered}, 16, 'gateway: 16 usage records delivered');
is($g->{usage_records}{lost}, 0, 'gateway: none lost');
is($g->{usage_records}{queued}, 0, 'gateway: none waiting');
is($g->{redis}{connected}, 2, 'gateway: both workers connected to Redis');
ok($g->{redis}{commands} > 16, 'gateway: Redis commands timed');
ok($g->{settlements} >= 1, 'gateway: billing settled');
is($g->{key_cache}{hits} + $g->{key_cache}{misses}, 16, 'gateway: one key-cache lookup per keyed request');
is($s->{workers}, 2, 'two workers');

# ---- 3. N concurrent requests count N; a reload keeps the counts ----

my $before = by_name(status_json()->{models}, 'gpt-4o-mini')->{requests};
my $N = 400;
@r = http_run([map { [$GW, chat_text($KeyA, 'gpt-4o-mini')] } 1 .. $N], concurrency => 64, bound => 60);
is(statuses_of(@r), "200: $N", "$N concurrent requests answered");
$s = status_when(sub { by_name($_[0]{models}, 'gpt-4o-mini')->{requests} - $before >= $N
                       && by_name($_[0]{channels}, 'good')->{outcomes}{ok} >= 14 + $N });
is(by_name($s->{models}, 'gpt-4o-mini')->{requests} - $before, $N, "... and counted $N times over two workers");
is(by_name($s->{channels}, 'good')->{outcomes}{ok}, 14 + $N, '... by the channel too');

my ($rc, $out) = aigw_nginx_reload($Root);
is($rc, 0, 'nginx -s reload') or diag $out;
my $after = status_json();
is(by_name($after->{models}, 'gpt-4o-mini')->{requests}, $before + $N, 'a reload keeps the model counts');
is(by_name($after->{channels}, 'bad')->{swallowed}, 10, 'a reload keeps the channel counts');
is(by_name($after->{groups}, 'team-c')->{refused_429}, 1, 'a reload keeps the group counts');
is(http_request($GW, body => chat_body('gpt-4o-mini'),
                headers => { Authorization => "Bearer $KeyA->{raw}" })->{status}, 200, 'a request after the reload');
is(by_name(status_when(sub { by_name($_[0]{models}, 'gpt-4o-mini')->{requests} > $before + $N })->{models},
           'gpt-4o-mini')->{requests}, $before + $N + 1, '... counts on from there');

my $KeyD = new_key(group => '');
is(http_request($GW, body => chat_body('gpt-4o-mini'),
                headers => { Authorization => "Bearer $KeyD->{raw}" })->{status}, 200, 'a key without a group');
is(by_name(status_when(sub { by_name($_[0]{groups}, '_none')->{requests} })->{groups}, '_none')->{requests},
   1, '... counts under _none');

# ---- 4. Prometheus ----

my $prom = http_request($GW, path => '/aigw/status?format=prometheus');
is($prom->{status}, 200, 'Prometheus text: 200');
like($prom->{h}{'content-type'}, qr{^text/plain; version=0\.0\.4}, '... in the text format 0.0.4');
my $scraped = http_request($GW, path => '/aigw/status',
                           headers => { Accept => 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' });
like($scraped->{h}{'content-type'} // '', qr{^text/plain}, "Prometheus's own Accept gets the text format");
like($prom->{body}, qr/^aigw_model_requests_total\{gen_ai_request_model="gpt-4o"\} 11$/m,
     'aigw_model_requests_total for gpt-4o');
like($prom->{body}, qr/^aigw_channel_swallowed_total\{aigw_channel="bad"\} 10$/m,
     'aigw_channel_swallowed_total for bad');
like($prom->{body}, qr/^gen_ai_client_token_usage_sum\{gen_ai_request_model="gpt-4o",gen_ai_token_type="input"\} 100\.000000$/m,
     'gen_ai_client_token_usage by token type');
like($prom->{body}, qr/^gen_ai_server_request_duration_seconds_count\{aigw_channel="good",gen_ai_provider_name="openai"\} \d+$/m,
     'gen_ai_server_request_duration_seconds per channel');
like($prom->{body}, qr/^aigw_group_refusals_total\{aigw_group="team-b",code="402"\} 1$/m, 'refusals by group and code');
like($prom->{body}, qr/^aigw_model_cost_usd_total\{gen_ai_request_model="gpt-4o"\} 0\.000750$/m,
     'cost in USD, exactly');

SKIP: {
    my $promtool = which('promtool');
    skip 'promtool is not installed (Debian package prometheus)', 1 unless $promtool;
    my $file = "$Root/metrics.txt";
    spew($file, $prom->{body});
    my ($prc, $pout) = run_program({ timeout => 20, merge => 1, stdin => $file }, $promtool, 'check', 'metrics');
    is($prc, 0, 'promtool check metrics: no problem found') or diag $pout;
}

SKIP: {
    my $prometheus = which('prometheus');
    skip 'prometheus is not installed (Debian package prometheus)', 3 unless $prometheus;
    my $dir = "$Root/prometheus";
    remove_tree($dir);
    make_path("$dir/data");
    spew("$dir/prometheus.yml", <<"_EOY_");
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: aigw
    metrics_path: /aigw/status
    static_configs:
      - targets: ['127.0.0.1:$GW']
_EOY_
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$dir/prometheus.log";
        open STDERR, '>&', \*STDOUT;
        exec $prometheus, "--config.file=$dir/prometheus.yml", "--storage.tsdb.path=$dir/data",
             "--web.listen-address=127.0.0.1:$PROM";
        exit 127;
    }
    my $query = sub {
        my ($q) = @_;
        (my $enc = $q) =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge;
        my $r = http_request($PROM, path => "/api/v1/query?query=$enc");
        return undef unless $r->{status} == 200 && ref $r->{json};
        my $res = $r->{json}{data}{result} || [];
        return @$res ? $res->[0]{value}[1] : undef;
    };
    my ($up, $value, $swallowed);
    my $until = time + 30;
    while (time < $until) {
        $up = $query->('up{job="aigw"}');
        $value = $query->('aigw_model_requests_total{gen_ai_request_model="gpt-4o"}');
        $swallowed = $query->('sum(aigw_channel_swallowed_total)');
        last if defined $up && $up eq '1' && defined $value;
        sleep 0.5;
    }
    kill 'TERM', $pid;
    waitpid($pid, 0);
    is($up, '1', 'a real Prometheus scrapes the gateway (up == 1)')
        or diag slurp("$dir/prometheus.log");
    is($value, '11', '... and its query answers the gpt-4o request count');
    is($swallowed, '10', '... and the swallowed attempts summed over channels');
}

# ---- 6. the page, JSON, 405 ----

my $page = http_request($GW, path => '/aigw/status', headers => { Accept => 'text/html,application/xhtml+xml,*/*;q=0.8' });
is($page->{status}, 200, 'a browser gets the page');
like($page->{h}{'content-type'}, qr{^text/html}, '... as HTML');
like($page->{body}, qr/<html/i, '... an HTML document');
is(http_request($GW, path => '/aigw/status?format=html')->{h}{'content-type'} =~ m{^text/html} ? 1 : 0, 1,
   '?format=html gets the page');
my $json = http_request($GW, path => '/aigw/status', headers => { Accept => 'application/json' });
like($json->{h}{'content-type'}, qr{^application/json}, 'Accept: application/json gets JSON');
is($json->{h}{'cache-control'}, 'no-store', '... not to be cached');
my $post = http_request($GW, path => '/aigw/status', body => '{}');
is($post->{status}, 405, 'POST: 405');
is($post->{h}{allow}, 'GET, HEAD', '... with Allow');
is(ref $post->{json} && $post->{json}{error}{code}, 'method_not_allowed', '... as a JSON error');

aigw_nginx_stop_clean('the gateway');

# ---- 5. a zone too small for the models ----

my $models = join '', map { "    aigw_model m$_ good;\n" } 1 .. 70;
aigw_nginx_start(<<"_EOC_", servroot => $SmallRoot, port => $SMALL, workers => 2, log_level => 'info');
    aigw_status_zone 128k;
    aigw_price m* input=1 output=1;
    aigw_channel good location=/_good;
$models
    server {
        listen 127.0.0.1:$SMALL;
        location /v1/ { aigw on; }
        location /_good/ { internal; proxy_pass http://127.0.0.1:@{[ $SMALL + 1 ]}/good/; }
        location = /aigw/status { aigw_status; }
    }
@{[ mock_server($SMALL + 1) ]}
_EOC_
my @st = map { http_request($SMALL, body => chat_body("m$_"))->{status} } 1 .. 70;
is(scalar(grep { $_ == 200 } @st), 70, '70 models answered');
$s = status_json($SMALL);
my $named = grep { $_->{name} ne '_other' } @{ $s->{models} };
my $other = by_name($s->{models}, '_other');
is($named, 62, 'a 128k zone names 62 models (64 slots: the overflow and one kept free)');
is($other->{requests}, 8, 'the 8 others count under _other');
my $total = 0;
$total += $_->{requests} for @{ $s->{models} };
is($total, 70, 'no request lost');
aigw_nginx_stop_clean('the small-zone gateway');

done_testing();
