package Test::AIGW::SDK;

# The real clients of t/sdk for the plain Test::More files: whether they are installed, a node
# script's TAP turned into results of the calling test, Claude Code and Codex run headless, and
# the gateway's channel locations they go through to a mock upstream.
#
#     use Test::AIGW::SDK qw(sdk_missing sdk_tap claude_run codex_run channel_location claude_gateway);
#     BEGIN { my $why = sdk_missing('@anthropic-ai/sdk'); plan skip_all => $why if $why }
#     my $location = channel_location(claude => "http://127.0.0.1:$mock/", 'x-api-key' => 'sk-ant-upstream');
#     aigw_nginx_start(claude_gateway($gw, $mock));
#     sdk_tap('gateway', 'anthropic-smoke.mjs', args => ['--base-url', $url]);
#     my ($rc, $out, $err) = claude_run(base_url => $url, args => ['-p', 'say hi']);
#     my ($rc, $out, $err, $took) = codex_run(base_url => "$url/v1", model => 'gpt-5-codex', args => ['say hi']);

use strict;
use warnings;

use Exporter 'import';
use File::Basename qw(dirname);
use File::Spec;
use File::Temp ();
use Test::More ();

use Test::AIGW::Host qw(which run_program spew);

our @EXPORT_OK = qw(sdk_dir sdk_missing sdk_tap claude_bin claude_run codex_bin codex_config codex_run
                    channel_location claude_gateway);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# t/sdk, where package.json is.
sub sdk_dir {
    return File::Spec->rel2abs(File::Spec->catdir(dirname(__FILE__), File::Spec->updir,
                                                  File::Spec->updir, File::Spec->updir, 'sdk'));
}

# Why the clients cannot run (node, or one of these npm packages, is not installed), else undef.
sub sdk_missing {
    my (@packages) = @_;
    return 'node is not installed (scripts/install-deps installs it)' unless which('node');
    return 'env is not installed' unless which('env');
    for my $p (@packages) {
        next if -e File::Spec->catfile(sdk_dir(), 'node_modules', split(m{/}, $p), 'package.json');
        return "$p is not installed in t/sdk/node_modules (run scripts/install-deps, or `npm ci` there)";
    }
    return;
}

# Runs node on a script of t/sdk (`args`, `env`, `timeout` seconds, default 90: the script has
# its own, shorter watchdog) and makes each of its TAP results one result here, named
# "$label: ..." (a skipped one a skip), its comments notes (diagnostics after a failure); then
# three results of the run itself: it finished in time, exited 0, and printed every check it
# planned.
sub sdk_tap {
    my ($label, $script, %o) = @_;
    my $timeout = $o{timeout} // 90;
    my ($rc, $out) = run_program({ timeout => $timeout, env => $o{env} || {}, dir => sdk_dir(), merge => 1 },
                                 which('node'), File::Spec->catfile(sdk_dir(), $script), @{ $o{args} || [] });
    my ($plan, $results, $last_ok) = (undef, 0, 1);
    my @stray;
    for my $line (split /\n/, $out) {
        if ($line =~ /^ok \d+\s*(?:-\s*)?(.*?)\s*# SKIP\s*(.*)$/i) {
            $results++;
            Test::More->builder->skip("$label: $1: $2");
        } elsif ($line =~ /^(not )?ok (\d+)\s*(?:-\s*)?(.*)$/) {
            $last_ok = !$1;
            $results++;
            Test::More::ok($last_ok, "$label: $3");
        } elsif ($line =~ /^1\.\.(\d+)/) {
            $plan = $1;
        } elsif ($line =~ /^#\s?(.*)$/) {
            if ($last_ok) { Test::More::note($1) } else { Test::More::diag($1) }
        } elsif ($line =~ /\S/) {
            push @stray, $line;
        }
    }
    Test::More::ok($rc != -1, "$label: $script finished within ${timeout}s");
    Test::More::ok($rc == 0, "$label: node exited with status 0") or Test::More::diag("exit status $rc");
    Test::More::ok(defined $plan && $plan == $results && $results > 0, "$label: $script printed every check it planned")
        or Test::More::diag('planned ' . ($plan // 'nothing') . ", ran $results");
    Test::More::diag("node output outside TAP:\n" . join("\n", @stray)) if @stray;
    return;
}

# The claude program npm installed in t/sdk.
sub claude_bin { return File::Spec->catfile(sdk_dir(), 'node_modules', '.bin', 'claude') }

# Runs `claude ARGS` headless against `base_url`, with `key` (default sk-ant-test) as
# ANTHROPIC_API_KEY, or `token` as ANTHROPIC_AUTH_TOKEN: nothing of this machine's environment
# but PATH, a HOME and a working directory of its own, no retries, nothing sent but to
# base_url, stdin from /dev/null. Returns (exit code, stdout, stderr); -1 when it was killed
# after `timeout` seconds (default 60).
sub claude_run {
    my (%o) = @_;
    my $home = File::Temp->newdir('aigw-claude-XXXXXX', TMPDIR => 1);
    my $work = File::Temp->newdir('aigw-claude-cwd-XXXXXX', TMPDIR => 1);
    my @env = (
        "PATH=$ENV{PATH}",
        "HOME=$home",
        "ANTHROPIC_BASE_URL=$o{base_url}",
        defined $o{token} ? "ANTHROPIC_AUTH_TOKEN=$o{token}" : 'ANTHROPIC_API_KEY=' . ($o{key} // 'sk-ant-test'),
        'CLAUDE_CODE_MAX_RETRIES=0',                   # an error fails at once, never minutes later
        'API_TIMEOUT_MS=20000',
        'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1',  # no telemetry, error reports, update checks
        'DISABLE_AUTOUPDATER=1',
        'DISABLE_TELEMETRY=1',
        'DISABLE_ERROR_REPORTING=1',
        map { "$_=$o{env}{$_}" } sort keys %{ $o{env} || {} },
    );
    my ($rc, $out, $err) = run_program({ timeout => $o{timeout} // 60, dir => "$work" },
                                       which('env'), '-i', @env, claude_bin(), @{ $o{args} || [] });
    return ($rc, $out, $err);
}

# The internal location /_aigw/NAME/ of the channel `aigw_channel NAME location=/_aigw/NAME`, for
# a gateway's server block: proxied to UPSTREAM (a URL with its path, as proxy_pass takes it)
# over keep-alive HTTP/1.1 with the channel's HEADERS (name => value pairs, in order: the
# provider's key and version), 2 s to connect and 10 s to read. Without a final newline: it
# stands on a line of its own in the server block's heredoc.
sub channel_location {
    my ($name, $upstream, @headers) = @_;
    my $set = '';
    while (my ($header, $value) = splice @headers, 0, 2) {
        $set .= qq{            proxy_set_header $header "$value";\n};
    }
    chomp(my $location = <<"_EOC_");
        location /_aigw/$name/ {
            internal;
            proxy_pass $upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
$set            proxy_connect_timeout 2s;
            proxy_read_timeout 10s;
        }
_EOC_
    return $location;
}

# The gateway on 127.0.0.1:PORT that t/910 and t/912 put in front of the mock Anthropic upstream
# on MOCK, for the Anthropic SDK and the openai SDK alike: under /v1/, claude-sonnet-4-5 and
# claude-* -> the channel claude (provider=anthropic), which sends the mock the key
# sk-ant-upstream as x-api-key and anthropic-version 2023-06-01; 404 anywhere else.
sub claude_gateway {
    my ($port, $mock) = @_;
    my $claude = channel_location(claude => "http://127.0.0.1:$mock/",
                                  'x-api-key' => 'sk-ant-upstream', 'anthropic-version' => '2023-06-01');
    return <<"_EOC_";
    aigw_channel claude location=/_aigw/claude provider=anthropic;

    server {
        listen 127.0.0.1:$port;
        location /v1/ {
            aigw on;
            aigw_model claude-sonnet-4-5 claude;
            aigw_model claude-* claude;
        }
$claude
        location / {
            return 404;
        }
    }
_EOC_
}

# The codex program npm installed in t/sdk.
sub codex_bin { return File::Spec->catfile(sdk_dir(), 'node_modules', '.bin', 'codex') }

# The config.toml of a Codex that talks to `base_url` (with /v1) only, as the provider aigw
# (the Responses API, the key from AIGW_KEY), asking for `model`: never asking for approval, a
# read-only sandbox, no analytics (ab.chatgpt.com) and no plugins (git ls-remote of
# github.com/openai/plugins, api.github.com, chatgpt.com), nothing but base_url on the network;
# no retries (an error fails at once, and a refused websocket is tried twice, not seven times)
# unless `retries`; `provider`: more lines of the provider's table.
sub codex_config {
    my (%o) = @_;
    return qq(model = "$o{model}"\nmodel_provider = "aigw"\napproval_policy = "never"\nsandbox_mode = "read-only"\n)
         . qq(check_for_update_on_startup = false\n\n)
         . qq([model_providers.aigw]\nname = "aigw"\nbase_url = "$o{base_url}"\nenv_key = "AIGW_KEY"\nwire_api = "responses"\n)
         . ($o{retries} ? '' : "request_max_retries = 0\nstream_max_retries = 0\n")
         . ($o{provider} ? "$o{provider}\n" : '')
         . qq(\n[analytics]\nenabled = false\n\n[features]\nplugins = false\n);
}

# Runs `codex exec ARGS` headless (ARGS end with the prompt) with codex_config(%o) in a
# CODEX_HOME of its own, `key` (default sk-codex-test) as AIGW_KEY: nothing of this machine's
# environment but PATH, a HOME and a working directory of its own, no session files, no colours,
# stdin from /dev/null. Returns (exit code, stdout, stderr, seconds taken); -1 when it was killed
# after `timeout` seconds (default 60).
sub codex_run {
    my (%o) = @_;
    my $home = File::Temp->newdir('aigw-codex-XXXXXX', TMPDIR => 1);
    my $work = File::Temp->newdir('aigw-codex-cwd-XXXXXX', TMPDIR => 1);
    spew("$home/config.toml", codex_config(%o));
    my @env = ("PATH=$ENV{PATH}", "HOME=$home", "CODEX_HOME=$home", 'AIGW_KEY=' . ($o{key} // 'sk-codex-test'));
    return run_program({ timeout => $o{timeout} // 60, dir => "$work" }, which('env'), '-i', @env, codex_bin(),
                       'exec', '--skip-git-repo-check', '--ephemeral', '--color', 'never', @{ $o{args} || [] });
}

1;
