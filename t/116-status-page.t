# The status page (issue #16): what `aigw_status` shows a browser, read from the DOM a real
# headless Chromium renders (the page fetches the JSON and builds its tables in script, so only
# a browser sees what a person sees).
#
#   1. The page against a fixture NGINX serves as static files: every state a short test run
#      of a gateway cannot produce (a probing channel, usage records lost, Redis down in one
#      worker, the "_other" bucket, empty windows, a name with markup in it, large numbers),
#      its money and number formats, its orders; the banner when the JSON cannot be fetched at
#      all, and when it fails after a first success.
#   2. The page a gateway serves after known traffic: a model whose first channel answers 500
#      (set aside after one failure) and falls back to the second, and a second model; what the
#      page shows equals the status JSON of the same gateway and what the traffic must produce
#      (requests, tokens, cost at the configured prices).
# Both at a desktop size and a phone's (390 px wide, where the page must not scroll sideways),
# with screenshots left in t/servroot-status-page/ for a person to look at.
#
# Ports (loopback): 2110 the gateway and its status location; 2111 the mock upstream (same
# NGINX); 2112 the fixture server.

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/lib";

use File::Spec;
use File::Temp ();
use JSON::PP ();
use Test::More;
use Test::AIGW::Host qw(which);

my $Chromium;
BEGIN {
    $Chromium = which('chromium') || which('chromium-browser');
    plan skip_all => 'chromium is not installed (scripts/install-deps installs it)' unless $Chromium;
}

use Test::AIGW 'plain';
use Test::AIGW::Mock::OpenAI qw(q_ngx);

my ($GW, $MOCK, $STATIC) = (2110, 2111, 2112);
my $Root = File::Spec->catdir($FindBin::Bin, 'servroot-status-page');
my $Page = File::Spec->catfile($FindBin::Bin, '..', 'src', 'ngx', 'status_page.html');
my $Tmp = File::Temp->newdir('aigw-status-page-XXXXXX', TMPDIR => 1);
my $JSON = JSON::PP->new->canonical;
my $Dash = "\x{2013}";
binmode(Test::More->builder->$_, ':encoding(UTF-8)') for qw(output failure_output todo_output);

ok(-s $Page && -s $Page < 30_000, 'the page is one file under 30 KB') or diag(-s $Page);
my $source = slurp($Page);
unlike($source, qr/<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=|\@import|url\(|\@font-face/i,
       'the page loads nothing: no external script, style, image, font');
unlike($source, qr/innerHTML|outerHTML|insertAdjacentHTML|document\.write/,
       'the page never parses data as HTML');

# ---------------------------------------------------------------------------
# Chromium and the DOM it dumps

# One headless Chromium run against $url; returns its stdout and stderr. A profile and HOME of
# its own.
sub chromium {
    my ($url, @args) = @_;
    my ($rc, $out, $err) = run_program(
        { timeout => 30, env => { HOME => "$Tmp", XDG_CONFIG_HOME => "$Tmp/config", XDG_CACHE_HOME => "$Tmp/cache" } },
        $Chromium, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
        '--disable-extensions', '--disable-background-networking', "--user-data-dir=$Tmp/profile",
        @args, $url);
    diag("chromium exited $rc: " . join "\n", grep { !/dbus|^\s*$|unexpected operator/ } split /\n/, $err)
        if $rc != 0;
    return ($out, $err);
}

# The DOM of $url after the page ran for `budget` ms of virtual time (default 5000), parsed;
# and one test result: no script error reached the console.
sub page_dom {
    my ($url, %o) = @_;
    my ($html, $err) = chromium($url, '--virtual-time-budget=' . ($o{budget} || 5000),
                                '--window-size=' . ($o{size} || '1280,900'),
                                '--enable-logging=stderr', '--v=0', '--dump-dom');
    ok($err !~ /Uncaught/, "$url: no uncaught script error")
        or diag(join "\n", grep { /Uncaught/ } split /\n/, $err);
    return dom_parse($html);
}

# A screenshot of $url at $w x $h into the servroot: a PNG of that size.
sub screenshot {
    my ($url, $w, $h, $name) = @_;
    my $file = "$Root/$name";
    unlink $file;
    chromium($url, '--virtual-time-budget=5000', '--hide-scrollbars', "--window-size=$w,$h",
             "--screenshot=$file");
    my $png = slurp($file);
    my ($pw, $ph) = length $png > 24 ? unpack('NN', substr($png, 16, 8)) : (0, 0);
    ok(substr($png, 0, 8) eq "\x89PNG\r\n\x1a\n" && length $png > 5000 && $pw == $w && $ph == $h,
       "$name: a ${w}x$h PNG") or diag(length($png) . " bytes, ${pw}x$ph");
    return;
}

# Chromium's serialisation of a DOM as a tree: {tag, attr => {}, kids => [nodes or text]}.
# Enough for what it writes (quoted attributes, closed elements, raw script and style).
my %Void = map { $_ => 1 } qw(area base br col embed hr img input link meta source track wbr);
sub _unescape {
    my ($s) = @_;
    $s =~ s/&(lt|gt|quot|amp|nbsp|#(\d+)|#x([0-9a-fA-F]+));/
        $2 ? chr($2) : $3 ? chr(hex $3) : { lt => '<', gt => '>', quot => '"', amp => '&', nbsp => "\x{a0}" }->{$1}/ge;
    return $s;
}
sub dom_parse {
    my ($html) = @_;
    utf8::decode($html);
    my $root = { tag => '#root', attr => {}, kids => [] };
    my @open = ($root);
    while ($html =~ /\G(?:<!--.*?-->|<![^>]*>|<\/([\w-]+)\s*>|<([\w-]+)((?:\s+[^\s=>\/]+(?:="[^"]*")?)*)\s*\/?>|([^<]+))/gcs) {
        my ($close, $tag, $attrs, $text) = ($1, $2, $3, $4);
        if (defined $close) {
            $close = lc $close;
            my ($i) = grep { $open[$_]{tag} eq $close } reverse 1 .. $#open;
            splice @open, $i if defined $i;
        } elsif (defined $tag) {
            my $el = { tag => lc $tag, attr => {}, kids => [] };
            $el->{attr}{ lc $1 } = _unescape($2 // '') while $attrs =~ /([^\s=]+)(?:="([^"]*)")?/g;
            push @{ $open[-1]{kids} }, $el;
            if ($el->{tag} eq 'script' || $el->{tag} eq 'style') {
                $html =~ /\G(.*?)<\/$el->{tag}>/gcs and push @{ $el->{kids} }, $1;
            } elsif (!$Void{ $el->{tag} }) {
                push @open, $el;
            }
        } elsif (defined $text) {
            push @{ $open[-1]{kids} }, _unescape($text);
        }
    }
    return $root;
}
sub dom_all {
    my ($node, $want) = @_;
    my @found;
    for my $k (grep { ref } @{ $node->{kids} }) {
        push @found, $k if $want->($k);
        push @found, dom_all($k, $want);
    }
    return @found;
}
sub dom_text {
    my ($node) = @_;
    # An element's edge is a word's edge (the page's cells put their parts in blocks).
    my $t = join '', map { ref $_ ? ($_->{tag} =~ /^(?:script|style)$/ ? '' : ' ' . dom_text($_) . ' ') : $_ } @{ $node->{kids} };
    $t =~ s/\s+/ /g;
    $t =~ s/^ | $//g;
    return $t;
}
sub dom_html { my ($dom) = @_; my ($h) = dom_all($dom, sub { $_[0]{tag} eq 'html' }); return $h || { attr => {} } }
sub dom_field {
    my ($node, $name) = @_;
    my ($el) = dom_all($node, sub { ($_[0]{attr}{'data-field'} // '') eq $name });
    return $el;
}
# The rows of a table carrying data-$key, in page order: [name, {field => {text, value, class}},
# the row].
sub dom_rows {
    my ($dom, $key) = @_;
    return map {
        my $tr = $_;
        my %f = map { ($_->{attr}{'data-field'} => { text => dom_text($_), value => $_->{attr}{'data-value'},
                                                     class => $_->{attr}{class} // '' }) }
                dom_all($tr, sub { defined $_[0]{attr}{'data-field'} });
        [$tr->{attr}{"data-$key"}, \%f, $tr];
    } dom_all($dom, sub { $_[0]{tag} eq 'tr' && defined $_[0]{attr}{"data-$key"} });
}

# The page in a 390 px wide frame (a phone's width; a headless window is at least 500 wide):
# the wrapper copies what the page measured of itself onto its own root once it has loaded.
my $PhoneWrapper = <<'_HTML_';
<!DOCTYPE html>
<html><body style="margin:0">
<iframe id="f" style="width:390px;height:844px;border:0"></iframe>
<script>
var f = document.getElementById('f');
f.src = decodeURIComponent(location.search.slice(1));
setInterval(function () {
  var r = f.contentDocument && f.contentDocument.documentElement;
  if (!r || r.getAttribute('data-loaded') !== '1') return;
  ['data-loaded', 'data-overflow', 'data-scroll-width', 'data-viewport-width', 'data-wide-tables'].forEach(function (a) {
    document.documentElement.setAttribute('phone-' + a.slice(5), r.getAttribute(a));
  });
}, 100);
</script>
</body></html>
_HTML_

sub phone_fits {
    my ($port, $path, $what) = @_;
    my $h = dom_html(page_dom("http://127.0.0.1:$port/phone.html?$path"))->{attr};
    is($h->{'phone-loaded'}, '1', "$what, 390 px wide: loaded");
    ok(defined $h->{'phone-viewport-width'} && $h->{'phone-viewport-width'} <= 390
       && $h->{'phone-scroll-width'} <= $h->{'phone-viewport-width'} && $h->{'phone-overflow'} eq '0',
       "$what, 390 px wide: the page does not scroll sideways")
        or diag(explain($h));
    is($h->{'phone-wide-tables'}, '', "$what, 390 px wide: no table scrolls in its box either (rows are cards)");
    return;
}

# ---------------------------------------------------------------------------
# 1. The fixture

my $F = {
    aigw_status => 1, time_ms => 1764934800123, uptime_s => 93784, window_s => 287, workers => 2,
    gateway => {
        requests => 1234567,
        ingress => { chat => 1000000, completions => 0, embeddings => 10000, responses => 100000,
                     messages => 120000, gemini => 4567, other => 0 },
        translations => 224567,
        usage_records => { queued => 17, delivered => 1230000, lost => 12 },
        redis => { connected => 1, commands => 5000000, latency => { p50_ms => 0.4, p95_ms => 1.2 } },
        settlements => 40123,
        key_cache => { hits => 1200000, misses => 3400 },
    },
    channels => [
        _channel('openai-a', 'available', 0, 0, 3, 900123,
                 { requests => 120, errors => 2, error_rate => 0.0167, latency_p50_ms => 110,
                   latency_p95_ms => 7000, ttft_p50_ms => 80, ttft_p95_ms => 240 }),
        _channel('claude-eu', 'set_aside', 23500, 5, 0, 321,
                 { requests => 40, errors => 31, error_rate => 0.775, latency_p50_ms => 1500,
                   latency_p95_ms => 30000, ttft_p50_ms => undef, ttft_p95_ms => undef }),
        _channel('gemini', 'probing', 0, 2, 1, 55,
                 { requests => 0, errors => 0, error_rate => 0, latency_p50_ms => undef,
                   latency_p95_ms => undef, ttft_p50_ms => undef, ttft_p95_ms => undef }),
        _channel('<b>x</b>&amp;', 'available', 0, 1, 0, 3,
                 { requests => 3, errors => 1, error_rate => 0.3333, latency_p50_ms => 4.2,
                   latency_p95_ms => 9, ttft_p50_ms => undef, ttft_p95_ms => undef }),
    ],
    models => [
        _spend('gpt-4o-mini', 5000, 12345678, 2000000, 3051852),
        _spend('gpt-4o', 1000, 50000, 20000, 1234567890),
        _spend('claude-sonnet-4', 10, 500, 200, 4500),
        _spend('embed', 10, 50, 0, 1),
        _spend('_other', 7, 70, 7, 0),
        _spend('cheap', 3, 3, 3, 123456),
    ],
    groups => [
        { %{ _spend('default', 1200, 50000, 20000, 1234567) }, refused_402 => 3, refused_429 => 7 },
        { %{ _spend('research', 100, 1, 1, 98765432) }, refused_402 => 0, refused_429 => 0 },
        { %{ _spend('_other', 1, 1, 1, 0) }, refused_402 => 0, refused_429 => 0 },
        { %{ _spend('_none', 2, 1, 1, 5) }, refused_402 => 0, refused_429 => 0 },
    ],
};
sub _channel {
    my ($name, $state, $left, $fails, $inflight, $requests, $window) = @_;
    return { name => $name, provider => 'openai', location => "/_aigw/$name", state => $state,
             set_aside_ms => $left, consecutive_failures => $fails, inflight => $inflight,
             requests => $requests, swallowed => 0,
             outcomes => { ok => $requests, '4xx' => 0, 429 => 0, '5xx' => 0, timeout => 0,
                           connect_failure => 0, cut => 0, client_closed => 0 },
             latency => { count => 0, sum_ms => 0, p50_ms => undef, p95_ms => undef },
             ttft => { count => 0, sum_ms => 0, p50_ms => undef, p95_ms => undef },
             window => $window };
}
sub _spend {
    my ($name, $requests, $in, $out, $cost) = @_;
    return { name => $name, requests => $requests,
             tokens => { input => $in, output => $out, cached => 0, cache_write => 0, reasoning => 0 },
             cost_micro_usd => $cost };
}

my $static = <<"_EOC_";
    limit_req_zone \$server_port zone=status_once:1m rate=1r/m;
    server {
        listen 127.0.0.1:$STATIC;
        root html;
        location = /phone.html { }
        # The page, and its JSON where it asks for it (?format=json).
        location = /aigw/status {
            default_type text/html;
            if (\$arg_format = json) { rewrite ^ /fixture.json last; }
            alias $Page;
        }
        # The page whose JSON never comes: a 502.
        location = /broken/status {
            default_type text/html;
            if (\$arg_format = json) { return 502; }
            alias $Page;
        }
        # The page whose JSON comes once, then 503s (one request a minute).
        location = /flaky/status {
            default_type text/html;
            if (\$arg_format = json) { rewrite ^ /flaky.json last; }
            alias $Page;
        }
        location = /fixture.json { internal; default_type application/json; }
        location = /flaky.json {
            internal;
            limit_req zone=status_once;
            limit_req_status 503;
            default_type application/json;
            try_files /fixture.json =404;
        }
    }
_EOC_

aigw_nginx_start($static, servroot => $Root, port => $STATIC);
spew("$Root/html/fixture.json", $JSON->encode($F));
spew("$Root/html/phone.html", $PhoneWrapper);

{
    my $dom = page_dom("http://127.0.0.1:$STATIC/aigw/status");
    my $html = dom_html($dom)->{attr};
    is($html->{'data-loaded'}, '1', 'fixture: the page loaded its JSON (data-loaded on the root)');
    is($html->{'data-stale'}, '0', 'fixture: not stale');
    is($html->{'data-wide-tables'}, '', 'fixture, 1280 px wide: every table fits its box');
    my ($banner) = dom_all($dom, sub { ($_[0]{attr}{id} // '') eq 'banner' });
    ok($banner && exists $banner->{attr}{hidden}, 'fixture: no error banner');
    like(dom_text(dom_field($dom, 'summary')), qr/^4 channels: 1 available, 1 failing, 1 probing, 1 set aside$/,
         'fixture: the summary counts channels by state');
    is(dom_text(dom_field($dom, 'window')), '4 m 47 s', 'fixture: the window, in words');
    is(dom_text(dom_field($dom, 'uptime')), '1 d 2 h', 'fixture: uptime');

    my @ch = dom_rows($dom, 'channel');
    is_deeply([map { $_->[0] } @ch], [map { $_->{name} } @{ $F->{channels} }], 'fixture: one row per channel, in order');
    my %ch = map { $_->[0] => $_ } @ch;

    my $ok = $ch{'openai-a'}[1];
    like($ok->{state}{class}, qr/\bstate-ok\b/, 'available: state-ok');
    is($ok->{state}{text}, 'available', 'available: says so');
    is($ok->{error_rate}{text}, '1.7 %', 'error rate in per cent');
    is($ok->{latency_p50}{text}, '110 ms', 'latency p50 in ms');
    is($ok->{latency_p95}{text}, '7.00 s', 'latency p95 over a second in s');
    is($ok->{ttft_p50}{text}, '80 ms', 'TTFT p50');
    is($ok->{ttft_p95}{text}, '240 ms', 'TTFT p95');
    is($ok->{inflight}{text}, '3', 'in flight');
    is($ok->{requests}{text}, '900,123', 'requests with thousands separators');
    is($ok->{requests}{value}, '900123', 'requests: exact value in data-value');
    is($ok->{failures}{text}, '0', 'no failures');

    my $aside = $ch{'claude-eu'};
    like($aside->[1]{state}{class}, qr/\bstate-failing\b/, 'set aside: state-failing');
    like($aside->[2]{attr}{class}, qr/\bfailing\b/, 'set aside: the row is marked failing');
    my ($left) = $aside->[1]{state}{text} =~ /^set aside probe in (\d+) s$/;
    ok(defined $left && $left >= 15 && $left <= 24, 'set aside: says so, with a countdown to its probe that ran down')
        or diag($aside->[1]{state}{text});
    is($aside->[1]{error_rate}{text}, '78 %', 'set aside: error rate');
    like($aside->[1]{error_rate}{class}, qr/\bbad\b/, 'set aside: the error rate marked bad');
    is($aside->[1]{ttft_p50}{text}, $Dash, 'a null percentile shows a dash');
    is($aside->[1]{latency_p95}{text}, '30.0 s', 'latency of 30 s');
    is($aside->[1]{failures}{text}, '5', 'consecutive failures');

    my $probe = $ch{gemini}[1];
    like($probe->{state}{class}, qr/\bstate-probing\b/, 'probing: state-probing');
    is($probe->{state}{text}, 'probing', 'probing: says so');
    is_deeply([map { $probe->{$_}{text} } qw(error_rate latency_p50 latency_p95 ttft_p50 ttft_p95)],
              [($Dash) x 5], 'an empty window: dashes, not 0 %');

    my $odd = $ch{'<b>x</b>&amp;'};
    ok($odd, 'a name with markup: its row keyed by the name as it is');
    is(dom_text(($odd->[2]{kids}[0])), '<b>x</b>&amp; openai', 'a name with markup shows as text');
    is(scalar(dom_all($odd->[2], sub { $_[0]{tag} eq 'b' })), 0, 'a name with markup makes no element');
    like($odd->[1]{state}{class}, qr/\bstate-degraded\b/, 'available with a failure in a row: degraded');
    is($odd->[1]{state}{text}, 'available, failing', 'available with a failure in a row: says it is failing');
    is($odd->[1]{latency_p50}{text}, '4.2 ms', 'latency under 10 ms with a decimal');

    my @m = dom_rows($dom, 'model');
    is_deeply([map { $_->[0] } @m], [qw(gpt-4o gpt-4o-mini cheap claude-sonnet-4 embed _other)],
              'models sorted by cost');
    my %m = map { $_->[0] => $_->[1] } @m;
    is_deeply([map { $m{$_}{cost}{text} } qw(gpt-4o gpt-4o-mini cheap claude-sonnet-4 embed _other)],
              ['$1,234.57', '$3.05', '$0.1235', '$0.0045', '$0.000001', '$0'], 'money: cents from a dollar, more digits below');
    is($m{'gpt-4o'}{cost}{value}, '1234567890', 'money: exact micro-USD in data-value');
    is((grep { $_->[0] eq 'cheap' } @m)[0][2]{kids}[4]{attr}{title}, '$0.123456', 'money: exact USD on hover');
    is($m{'gpt-4o-mini'}{input_tokens}{text}, '12.3 M', 'tokens in millions');
    is($m{'gpt-4o-mini'}{input_tokens}{value}, '12345678', 'tokens: exact in data-value');
    is($m{'gpt-4o'}{input_tokens}{text}, '50,000', 'tokens below a million, exact');
    is($m{'gpt-4o'}{output_tokens}{text}, '20,000', 'output tokens');
    is($m{'gpt-4o'}{requests}{text}, '1,000', 'model requests');
    my ($other) = grep { $_->[0] eq '_other' } @m;
    is(dom_text($other->[2]{kids}[0]), '(other)', 'the overflow bucket shows as (other)');

    my @g = dom_rows($dom, 'group');
    is_deeply([map { $_->[0] } @g], [qw(research default _none _other)], 'groups sorted by spend');
    is_deeply([map { dom_text($_->[2]{kids}[0]) } @g], ['research', 'default', '(no group)', '(other)'],
              'keys without a group show as (no group)');
    my %g = map { $_->[0] => $_->[1] } @g;
    is_deeply([map { $g{default}{$_}{text} } qw(requests cost refused_402 refused_429)],
              ['1,200', '$1.23', '3', '7'], 'a group: requests, spend, refusals');
    like($g{default}{refused_429}{class}, qr/\bwarn\b/, 'refusals marked');

    my %gw = map { $_ => dom_field($dom, $_) } qw(records_lost records_queued records_delivered
        redis_connected key_cache_hit_rate gateway_requests translations ingress_chat);
    is($gw{records_lost}{attr}{'data-value'}, '12', 'records lost');
    like(dom_text(dom_field($dom, 'records_lost_note')), qr/ALARM/, 'records lost: an alarm in words');
    my ($lost) = dom_all($dom, sub { ($_[0]{attr}{id} // '') eq 't-lost' });
    like($lost->{attr}{class}, qr/\balarm\b/, 'records lost: the tile is an alarm');
    is($gw{records_queued}{attr}{'data-value'}, '17', 'records queued');
    is(dom_text($gw{records_delivered}), '1.23 M', 'records delivered, short');
    is($gw{records_delivered}{attr}{'data-value'}, '1230000', 'records delivered, exact');
    is(dom_text($gw{redis_connected}), '1 / 2', 'Redis connections of workers');
    like(dom_text(dom_field($dom, 'redis_note')), qr/DISCONNECTED in 1 worker/, 'Redis down in a worker: said');
    is(dom_text($gw{key_cache_hit_rate}), '99.7 %', 'key cache hit rate');
    is($gw{gateway_requests}{attr}{'data-value'}, '1234567', 'gateway requests');
    is($gw{ingress_chat}{attr}{'data-value'}, '1000000', 'ingress: chat');
    is(dom_text($gw{translations}), '224.6 k', 'translations, short in a tile');
    is(dom_text(dom_field($dom, 'settlements')), '40,123', 'settlements, exact below 100,000');
    is(dom_text(dom_field($dom, 'redis_p50')), '0.4 ms', 'Redis latency under a millisecond');

    screenshot("http://127.0.0.1:$STATIC/aigw/status", 1280, 900, 'fixture-desktop.png');
    screenshot("http://127.0.0.1:$STATIC/aigw/status", 390, 844, 'fixture-phone.png');
    phone_fits($STATIC, '/aigw/status', 'fixture');
}

{
    my $dom = page_dom("http://127.0.0.1:$STATIC/broken/status");
    my $html = dom_html($dom)->{attr};
    is($html->{'data-loaded'}, '0', 'JSON never came: not loaded');
    is($html->{'data-stale'}, '1', 'JSON never came: stale');
    my ($banner) = dom_all($dom, sub { ($_[0]{attr}{id} // '') eq 'banner' });
    ok(!exists $banner->{attr}{hidden}, 'JSON never came: the banner shows');
    like(dom_text($banner), qr/^Refresh failed \(HTTP 502\) at [\d:]+\. No figures yet\.$/, 'JSON never came: the banner says why');
}

{
    # Two refreshes: the page's JSON comes once, the refresh 5 s later gets a 503.
    my $dom = page_dom("http://127.0.0.1:$STATIC/flaky/status", budget => 8000);
    my $html = dom_html($dom)->{attr};
    is($html->{'data-loaded'}, '1', 'JSON failed after a success: loaded');
    is($html->{'data-stale'}, '1', 'JSON failed after a success: stale');
    my ($banner) = dom_all($dom, sub { ($_[0]{attr}{id} // '') eq 'banner' });
    like(dom_text($banner), qr/^Refresh failed \(HTTP 503\) at [\d:]+\. The figures below are from [\d:]+\.$/,
         'JSON failed after a success: the banner says since when the figures are old');
    is(scalar(dom_rows($dom, 'channel')), 4, 'JSON failed after a success: the last figures stay');
}

aigw_nginx_stop_clean('fixture server');

# ---------------------------------------------------------------------------
# 2. A gateway after known traffic

# The mock's answer: 1000 prompt and 200 completion tokens, so a request of `alpha` costs
# 1000 * 2.50 + 200 * 10.00 = 4500 micro-USD and one of `beta` 1000 * 0.15 + 200 * 0.60 = 270.
my $Answer = '{"id":"chatcmpl-status0001","object":"chat.completion","created":1733000001,"model":"up","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200}}';
my $Err500 = '{"error":{"message":"The server had an error.","type":"server_error","param":null,"code":null}}';
my ($AlphaN, $BetaN) = (20, 5);

my $gateway = <<"_EOC_";
    aigw_channel bad  location=/_aigw/bad  priority=0 max_fails=1 fail_timeout=60s;
    aigw_channel good location=/_aigw/good priority=1;
    aigw_price alpha input=2.50 output=10.00;
    aigw_price beta  input=0.15 output=0.60;

    server {
        listen 127.0.0.1:$MOCK;
        default_type application/json;
        location /ok/ { return 200 @{[ q_ngx($Answer) ]}; }
        location /e500/ { return 500 @{[ q_ngx($Err500) ]}; }
    }

    server {
        listen 127.0.0.1:$GW;
        root html;
        location /v1/ {
            aigw on;
            aigw_model alpha bad:gpt-4o good:gpt-4o;
            aigw_model beta  good:gpt-4o-mini;
        }
        location /_aigw/bad/ { internal; proxy_pass http://127.0.0.1:$MOCK/e500/; }
        location /_aigw/good/ { internal; proxy_pass http://127.0.0.1:$MOCK/ok/; }
        location = /aigw/status { aigw_status; }
        location = /phone.html { }
    }
_EOC_

aigw_nginx_start($gateway, servroot => $Root, port => $GW, workers => 2, log_level => 'info');
spew("$Root/html/phone.html", $PhoneWrapper);

my @status;
for my $model ((('alpha') x $AlphaN), (('beta') x $BetaN)) {
    my $r = http_request($GW, body => qq({"model":"$model","messages":[{"role":"user","content":"hi"}]}));
    push @status, $r->{status};
}
is_deeply(\@status, [(200) x ($AlphaN + $BetaN)], 'traffic: every request answered 200 (the bad channel falls back)');

# A request is counted in its log phase, which may run just after the client read its answer
# (lingering close): wait, boundedly, until the last one is in.
{
    my $until = time + 5;
    while (time < $until) {
        my $js = http_request($GW, path => '/aigw/status?format=json')->{json};
        my ($b) = grep { $_->{name} eq 'beta' } @{ ref $js eq 'HASH' ? $js->{models} : [] };
        last if $b && $b->{requests} == $BetaN;
        sleep 0.05;
    }
}

my $page = http_request($GW, path => '/aigw/status', headers => { Accept => 'text/html,application/xhtml+xml' });
is($page->{status}, 200, 'a browser gets the page');
like($page->{h}{'content-type'} // '', qr{^text/html}, 'as HTML');
is($page->{body}, $source, 'the page served is the page in the source tree');
my $asked = http_request($GW, path => '/aigw/status?format=html');
ok($asked->{status} == 200 && $asked->{body} eq $source, '?format=html gets the page too');

my $j = http_request($GW, path => '/aigw/status?format=json')->{json};
if (!ok($j && $j->{aigw_status}, 'the status JSON')) {
    aigw_nginx_stop();
    done_testing();
    exit;
}
my %jch = map { $_->{name} => $_ } @{ $j->{channels} };
my %jm = map { $_->{name} => $_ } @{ $j->{models} };

# What the traffic must produce, in the JSON.
is($jm{alpha}{requests}, $AlphaN, 'JSON: alpha requests');
is($jm{beta}{requests}, $BetaN, 'JSON: beta requests');
is($jm{alpha}{cost_micro_usd}, 4500 * $AlphaN, 'JSON: alpha cost');
is($jm{beta}{cost_micro_usd}, 270 * $BetaN, 'JSON: beta cost');
is($jch{bad}{state}, 'set_aside', 'JSON: the bad channel is set aside');
is($jch{good}{state}, 'available', 'JSON: the good channel is available');
is($jch{bad}{requests}, 1, 'JSON: the bad channel was tried once');
is($jch{good}{requests}, $AlphaN + $BetaN, 'JSON: the good channel answered every request');
is($jch{bad}{window}{requests}, 1, "JSON: the bad channel's attempt is in the window");
is($jch{good}{window}{requests}, $AlphaN + $BetaN, "JSON: the good channel's attempts are in the window");

my $dom = page_dom("http://127.0.0.1:$GW/aigw/status");
is(dom_html($dom)->{attr}{'data-loaded'}, '1', 'gateway: the page loaded its JSON');
is(dom_html($dom)->{attr}{'data-stale'}, '0', 'gateway: not stale');

my %ch = map { $_->[0] => $_ } dom_rows($dom, 'channel');
is_deeply([sort keys %ch], [qw(bad good)], 'gateway: a row per channel');
my ($bad, $good) = map { $ch{$_}[1] } qw(bad good);
like($bad->{state}{class}, qr/\bstate-failing\b/, 'bad: marked failing');
# The page says "1 m 0 s" for a full minute left, "59 s" below it.
like($bad->{state}{text}, qr/^set aside probe in (?:\d+ m )?\d+ s$/, 'bad: set aside, with its countdown');
my ($min, $sec) = $bad->{state}{text} =~ /in (?:(\d+) m )?(\d+) s$/;
my $left = defined $sec ? ($min // 0) * 60 + $sec : undef;
ok($left && $left <= 60, 'bad: the countdown is within its fail_timeout') or diag($bad->{state}{text});
is($bad->{failures}{value}, $jch{bad}{consecutive_failures}, 'bad: failures in a row as in the JSON');
cmp_ok($bad->{failures}{value}, '>=', 1, 'bad: at least one failure in a row');
is($bad->{requests}{value}, $jch{bad}{requests}, 'bad: requests as in the JSON');
is($bad->{error_rate}{text}, '100 %', 'bad: every request in the window failed');
like($good->{state}{class}, qr/\bstate-ok\b/, 'good: marked available');
is($good->{state}{text}, 'available', 'good: says available');
is($good->{requests}{value}, $jch{good}{requests}, 'good: requests as in the JSON');
is($good->{requests}{text}, $AlphaN + $BetaN, 'good: every request ended there');
is($good->{error_rate}{text}, '0 %', 'good: no errors in the window');
like($good->{latency_p50}{text}, qr/^\d+(?:\.\d+)? m?s$/, 'good: latency p50 shown');
like($good->{latency_p95}{text}, qr/^\d+(?:\.\d+)? m?s$/, 'good: latency p95 shown');
is($good->{inflight}{text}, '0', 'good: nothing in flight');

my %m = map { $_->[0] => $_->[1] } dom_rows($dom, 'model');
is_deeply([map { $_->[0] } dom_rows($dom, 'model')], [qw(alpha beta)], 'gateway: models by cost');
is_deeply([map { $m{alpha}{$_}{text} } qw(requests input_tokens output_tokens cost)],
          ['20', '20,000', '4,000', '$0.09'], 'alpha: requests, tokens, cost');
is_deeply([map { $m{beta}{$_}{text} } qw(requests input_tokens output_tokens cost)],
          ['5', '5,000', '1,000', '$0.00135'], 'beta: requests, tokens, cost');
for my $name (qw(alpha beta)) {
    is_deeply([map { $m{$name}{$_}{value} } qw(requests input_tokens output_tokens cost)],
              [@{ $jm{$name} }{qw(requests)}, @{ $jm{$name}{tokens} }{qw(input output)}, $jm{$name}{cost_micro_usd}],
              "$name: as in the JSON");
}

my %g = map { $_->[0] => $_->[1] } dom_rows($dom, 'group');
# No client keys here, so no key groups (the fixture shows groups and refusals).
is_deeply($j->{groups}, [], 'JSON: no key groups without client keys');
my ($groups) = dom_all($dom, sub { ($_[0]{attr}{id} // '') eq 'groups' });
is(dom_text((dom_all($groups, sub { $_[0]{tag} eq 'tbody' }))[0]), 'No groups yet', 'gateway: the groups table says it is empty');
is_deeply([sort keys %g], [sort map { $_->{name} } @{ $j->{groups} }], 'gateway: a row per group of the JSON');
for my $jg (@{ $j->{groups} }) {
    is_deeply([map { $g{ $jg->{name} }{$_}{value} } qw(requests cost refused_402 refused_429)],
              [@$jg{qw(requests cost_micro_usd refused_402 refused_429)}], "group $jg->{name}: as in the JSON");
}

my $gj = $j->{gateway};
for (['gateway_requests', $gj->{requests}], ['records_queued', $gj->{usage_records}{queued}],
     ['records_delivered', $gj->{usage_records}{delivered}], ['records_lost', $gj->{usage_records}{lost}],
     ['redis_connected', $gj->{redis}{connected}], ['translations', $gj->{translations}],
     ['ingress_chat', $gj->{ingress}{chat}]) {
    is(dom_field($dom, $_->[0])->{attr}{'data-value'}, $_->[1], "gateway: $_->[0] as in the JSON");
}
is(dom_field($dom, 'ingress_chat')->{attr}{'data-value'}, $AlphaN + $BetaN, 'gateway: every request came as OpenAI chat');

screenshot("http://127.0.0.1:$GW/aigw/status", 1280, 900, 'gateway-desktop.png');
screenshot("http://127.0.0.1:$GW/aigw/status", 390, 844, 'gateway-phone.png');
phone_fits($GW, '/aigw/status', 'gateway');

aigw_nginx_stop_clean('gateway');
done_testing();
