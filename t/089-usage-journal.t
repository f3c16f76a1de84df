# The usage-record journal: with Redis away and the queue full, records go to the worker's
# journal file instead of being dropped, and come back in order once Redis is back; a journal
# at its size bound loses records, and says how many; a worker killed (SIGKILL) mid-outage
# leaves its journal, which the worker that replaces it sends; a worker that exits with
# records Redis did not take leaves them in its journal for the next start.
#
#     prove -I t/lib t/089-usage-journal.t
#
# Plain Test::More: Test::AIGW's redis-server on a free loopback port, stopped and restarted
# on that same port; NGINX (a master and one worker, so the order of records is the order
# served) started per scenario with aigw_nginx_start. Fixed loopback ports:
#   2200  the gateway
#   2201  the mock upstream (same NGINX)

use strict;
use warnings;

use lib 't/lib';
use Test::AIGW 'plain', 'redis';

use File::Path qw(remove_tree);
use File::Spec;
use Time::HiRes qw(sleep time);

my ($GwPort, $MockPort) = (2200, 2201);
my $ServRoot = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
my $ErrorLog = "$ServRoot/logs/error.log";
my $RedisPort = redis_port();
my $JournalDir = "$ServRoot/aigw_usage";       # the default: beside client_body_temp
my $KeptDir = "$ServRoot/journal-kept";        # journal_path=: survives a restart here

my $JsonChat = '{"id":"chatcmpl-AIGWjrnl0001","object":"chat.completion","created":1733000011,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Hi there!","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}';

sub gateway_conf {
    my ($usage) = @_;
    return <<"_EOC_";
    aigw_redis 127.0.0.1:$RedisPort timeout=200ms;
    aigw_keys off;
    aigw_billing off;
    aigw_usage_log $usage;
    aigw_price gpt-4o input=2.5 output=10;
    # A cache: NGINX starts its cache manager, which must not open a journal of its own.
    proxy_cache_path $ServRoot/cache_temp keys_zone=journal_test:1m;

    server {
        listen 127.0.0.1:$GwPort;
        location /v1/ {
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
        location = /v1/chat/completions {
            return 200 '$JsonChat';
        }
    }
_EOC_
}

sub start_gateway {
    my ($usage) = @_;
    aigw_nginx_start(gateway_conf($usage), port => $GwPort, log_level => 'info', workers => 1,
                     wait_redis => 1);
}

# `n` chat requests, one at a time, with X-Request-Id "$prefix-1" ...; returns how many were
# not answered 200.
sub serve {
    my ($prefix, $n) = @_;
    my @resp = http_run([map { [$GwPort, http_request_text(path => '/v1/chat/completions',
                                   headers => { 'X-Request-Id' => "$prefix-$_" },
                                   body => '{"model":"gpt-4o","messages":[]}')] } 1 .. $n],
                        concurrency => 1);
    return scalar grep { http_parse($_)->{status} != 200 } @resp;
}

sub journal_files { my ($dir) = @_; my @f = sort glob("$dir/usage.*.journal"); return @f }

# The journal files' sizes once they stopped changing (synced: the thread writes in batches).
sub settled_sizes {
    my ($dir) = @_;
    my $last = '';
    for (1 .. 100) {
        my $now = join ',', map { -s $_ } journal_files($dir);
        return $now if $now eq $last && length $now;
        $last = $now;
        sleep 0.1;
    }
    return $last;
}

sub request_ids { return map { $_->{request_id} } @_ }

sub distinct { my %s; return scalar grep { !$s{$_}++ } @_ }

# ---- a. Redis away, a queue of 4: 200 requests, every record kept and sent in order ----
{
    my $what = 'spill and replay';
    start_gateway('redis queue=4');
    redis_q('DEL', 'aigw:usage');
    redis_server_down();
    tail_new($ErrorLog);
    is(serve('spill', 200), 0, "$what: all 200 requests answered 200 while Redis is away");
    my @files = journal_files($JournalDir);
    my @stray = grep { $_ ne $JournalDir } glob("$ServRoot/aigw_usage*");
    is("@stray", '', "$what: NGINX made the journal directory by its exact name, nothing beside it");
    is(scalar @files, 1, "$what: the worker's journal is in NGINX's temp path (aigw_usage), "
       . "and only the worker has one (not the cache manager)");
    my $size = settled_sizes($JournalDir);
    ok($size > 196 * 400, "$what: ... holding the 196 records the queue could not ($size bytes)");
    my $log = tail_new($ErrorLog);
    unlike($log, qr/records lost|queue full/, "$what: nothing lost, nothing said lost");

    redis_server_up();
    my $t0 = time;
    is(usage_wait_xlen(200, 20), 200, sprintf("$what: Redis back: all 200 records arrive (%.1fs)", time - $t0));
    sleep 1.2;   # a retry must not add copies
    my @recs = usage_take();
    is_deeply([request_ids(@recs)], [map { "spill-$_" } 1 .. 200], "$what: in the order served, each once");
    is(distinct(map { $_->{record_id} } @recs), 200, "$what: 200 distinct record ids");
    is(scalar(grep { $_->{cost} != 53 || $_->{status} ne 'ok' } @recs), 0,
       "$what: the records are whole (cost 53 each)");
    my $deadline = time + 5;
    sleep 0.1 while time < $deadline && settled_sizes($JournalDir) ne '32';
    is(settled_sizes($JournalDir), '32', "$what: delivered, the journal is back to its header");

    # A second outage: the same file takes the records again.
    redis_server_down();
    is(serve('again', 30), 0, "$what, again: 30 requests answered 200");
    redis_server_up();
    is(usage_wait_xlen(30, 20), 30, "$what, again: all 30 arrive");
    is_deeply([request_ids(usage_take())], [map { "again-$_" } 1 .. 30], "$what, again: in order");
    $log = aigw_nginx_stop_clean($what);
    unlike($log, qr/records lost|did not take|torn/, "$what: error.log reports no loss");
}

# ---- b. a journal at its bound: what fits is kept, the rest lost and counted ----
{
    my $what = 'journal full';
    start_gateway('redis queue=4 journal=64k');
    redis_q('DEL', 'aigw:usage');
    redis_server_down();
    tail_new($ErrorLog);
    is(serve('full', 300), 0, "$what: all 300 requests answered 200");
    my $log = tail_new($ErrorLog);
    like($log, qr/\[error\] [^\n]*aigw: usage record journal "[^"]+\/usage\.\d+\.journal" full \(65536 bytes\) and the queue too: 1 records lost, 1 in total/,
         "$what: the first lost record is logged at once, naming the file and its bound") or diag($log);
    my $size = settled_sizes($JournalDir);
    ok($size <= 65536 && $size > 60000, "$what: the file stays within its bound ($size bytes)");
    redis_server_up();
    my $len = usage_wait_xlen(60, 20);
    sleep 1.5;
    my @recs = usage_take();
    my $kept = scalar @recs;
    ok($kept > 60 && $kept < 150, "$what: the queue's 4 and what the journal held arrive ($kept)");
    is_deeply([request_ids(@recs)], [map { "full-$_" } 1 .. $kept], "$what: the first $kept, in order");
    $log = aigw_nginx_stop_clean($what);
    my ($total) = $log =~ /records lost since the last report, (\d+) in total/;
    is($total, 300 - $kept, "$what: the loss is counted exactly: " . (300 - $kept) . " records")
        or diag($log);
}

# ---- c. the worker killed (SIGKILL) mid-outage: its journal is sent by the next worker ----
{
    my $what = 'worker killed';
    start_gateway('redis queue=4');
    redis_q('DEL', 'aigw:usage');
    redis_server_down();
    is(serve('killed', 50), 0, "$what: 50 requests answered 200");
    settled_sizes($JournalDir);
    my ($worker) = aigw_worker_pids($ServRoot);
    kill 'KILL', $worker;
    my $deadline = time + 10;
    my @now;
    while (time < $deadline) {
        @now = aigw_worker_pids($ServRoot);
        last if @now && $now[0] != $worker;
        sleep 0.05;
    }
    ok(@now && $now[0] != $worker, "$what: the master started another worker");
    redis_server_up();
    is(usage_wait_xlen(46, 20), 46, "$what: Redis back: the 46 journaled records arrive");
    sleep 1.2;
    # The queue's first 4 were in the dead worker's memory: those are what a crash loses.
    is_deeply([request_ids(usage_take())], [map { "killed-$_" } 5 .. 50],
              "$what: every journaled record, in order, once");
    $deadline = time + 5;
    sleep 0.1 while time < $deadline && grep { /usage\.$worker\.journal$/ } journal_files($JournalDir);
    is(scalar(grep { /usage\.$worker\.journal$/ } journal_files($JournalDir)), 0,
       "$what: the dead worker's journal is removed once delivered");
    my $log = aigw_nginx_stop();
    like($log, qr/\[warn\] [^\n]*aigw: usage records: adopted the journal "[^"]+\/usage\.$worker\.journal" of an exited worker/,
         "$what: the adoption is logged");
    my @bad = grep { /\[(?:alert|crit|emerg)\]/ && !/exited on signal 9/ } split /^/m, $log;
    is(scalar @bad, 0, "$what: no [alert] but the kill") or diag(@bad);
}

# ---- d. a worker that exits with records Redis did not take: kept for the next start ----
{
    my $what = 'exit, then start';
    remove_tree($KeptDir);
    start_gateway("redis queue=4 journal_path=$KeptDir");
    redis_q('DEL', 'aigw:usage');
    redis_server_down();
    is(serve('exit', 20), 0, "$what: 20 requests answered 200");
    my $took = aigw_nginx_quit();
    ok($took >= 4 && $took < 9, sprintf("$what: the worker keeps trying for its 5 s grace, then exits (%.1fs)", $took));
    my $log = aigw_nginx_stop_clean($what);
    like($log, qr/\[warn\] [^\n]*aigw: worker exits with usage records redis did not take \(4 in its queue\); they are kept in the journal "\Q$KeptDir\E\/usage\.\d+\.journal" for the next worker/,
         "$what: the worker says where it left them") or diag($log);
    unlike($log, qr/records lost|lost to/, "$what: nothing lost");
    is(scalar(journal_files($KeptDir)), 1, "$what: one journal left");
    redis_server_up();
    start_gateway("redis queue=4 journal_path=$KeptDir");
    is(usage_wait_xlen(20, 15), 20, "$what: the next start sends all 20");
    sleep 1.2;
    # The queue's 4 were written behind the 16 the journal held: the order within each is kept.
    my @ids = request_ids(usage_take());
    is_deeply([sort @ids], [sort map { "exit-$_" } 1 .. 20], "$what: each record once");
    is_deeply([grep { /^exit-(?:[5-9]|\d\d)$/ } @ids], [map { "exit-$_" } 5 .. 20], "$what: the journaled 16 in order");
    my $deadline = time + 5;
    sleep 0.1 while time < $deadline && journal_files($KeptDir) > 1;
    is(scalar(journal_files($KeptDir)), 1, "$what: the old journal removed once delivered (the new worker's own remains)");
    aigw_nginx_stop_clean("$what, second start");
    remove_tree($KeptDir);
}

redis_server_down();
done_testing();
