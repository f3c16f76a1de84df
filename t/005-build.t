# The build is incremental: once the module is built, `make module` has nothing to do, and a
# changed source file recompiles that object alone (then the module is linked again).
#
#     prove -I t/lib t/005-build.t      (after `make module`; `make integration` runs it)
#
# Plain Test::More; dry runs only (make -q / make -n), so nothing is rebuilt. The build
# directory is the one of the module under test (TEST_NGINX_AIGW_MODULE).

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Spec;
use Test::More;

my $Root = abs_path(File::Spec->catdir(dirname(abs_path(__FILE__)), '..'));
my $module = $ENV{TEST_NGINX_AIGW_MODULE}
    or plan skip_all => 'TEST_NGINX_AIGW_MODULE is not set (make integration sets it)';
$module = abs_path($module);
# <build>/nginx/objs/ngx_http_aigw_module.so
my $nginx_dir = dirname(dirname($module));
my $build = dirname($nginx_dir);
plan skip_all => "the module under test is not from a build directory of this tree ($module)"
    unless -f "$nginx_dir/objs/Makefile" && index($module, $Root) == 0;

# Runs make with these arguments; returns (exit code, output).
sub make {
    my (@args) = @_;
    my $pid = open(my $out, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        exec 'make', '--no-print-directory', @args or exit 127;
    }
    my $text = do { local $/; <$out> };
    close $out;
    return ($? >> 8, $text // '');
}

my ($rc, $text) = make('-q', '-C', $Root, "BUILD=$build", 'module');
is($rc, 0, 'make module: up to date after a build, nothing to configure or compile') or diag($text);

($rc, $text) = make('-n', '-C', $Root, "BUILD=$build", 'module');
unlike($text, qr/configure/, 'make module: does not run configure again') or diag($text);

# What NGINX's objs/Makefile would do if one source were newer (-W: "what if", nothing touched).
for my $src ('src/ngx/module.cpp', 'src/core/accounting/billing.cpp') {
    ($rc, $text) = make('-n', '-C', $nginx_dir, '-f', 'objs/Makefile', '-W', "$Root/$src", 'modules');
    is($rc, 0, "$src changed: the dry run works") or diag($text);
    my @compiled = $text =~ /-o (objs\/addon\/\S+\.o)/g;
    # NGINX names an addon object after the source's folder and file name only.
    my ($dir, $file) = $src =~ m{([^/]+)/([^/]+)\.cpp$};
    my $obj = "objs/addon/$dir/$file.o";
    is_deeply(\@compiled, [$obj], "$src changed: only $obj is compiled") or diag($text);
    like($text, qr/-o objs\/ngx_http_aigw_module\.so/, "$src changed: the module is linked again");
}

done_testing();
