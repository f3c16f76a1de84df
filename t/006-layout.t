# The include layout (see src/README.md): read from the sources, no NGINX needed.
#
#     prove t/006-layout.t
#
# - No include cycle. A header and its source file (same path but the suffix) are one unit, so
#   two files that need each other form a cycle even when only one of them is a header: a .cpp
#   that includes a header which includes the .cpp's own header back.
# - Only src/ngx/ngx.hpp includes NGINX's headers.
# - The core (src/core, include/aigw) includes nothing of the glue (src/ngx).
#
# Includes in quotes are looked up next to the including file, then in include/ and src/ (the
# build's include paths); NGINX's headers are recognised in either form of #include.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Find;
use File::Spec;
use Test::More;

my $Root = abs_path(File::Spec->catdir(dirname(abs_path(__FILE__)), '..'));
my @roots = ('include', 'src');
my $ngx_include = 'src/ngx/ngx.hpp';

# Every source and header under src/ and include/, relative to the root.
my @files;
find({ no_chdir => 1, wanted => sub {
    return unless -f $_ && /\.(?:hpp|cpp|h|c|cc|hh)\z/;
    push @files, File::Spec->abs2rel($_, $Root);
} }, map { "$Root/$_" } grep { -d "$Root/$_" } @roots);
@files = sort @files;
ok(scalar(grep { m{^src/ngx/} } @files), 'found the glue sources') or BAIL_OUT('no sources');
my %is_file = map { $_ => 1 } @files;

sub unit_of { my ($f) = @_; (my $u = $f) =~ s/\.[^.\/]+\z//; return $u }

# "a/b/../c" -> "a/c"
sub tidy {
    my @out;
    for my $p (split m{/}, shift) {
        next if $p eq '.' || $p eq '';
        if ($p eq '..') { pop @out } else { push @out, $p }
    }
    return join '/', @out;
}

# The project file an include names, or undef for a system or library header.
sub resolve {
    my ($from, $name) = @_;
    for my $dir (dirname($from), @roots) {
        my $path = tidy("$dir/$name");
        return $path if $is_file{$path};
    }
    return undef;
}

my (%deps, @ngx_headers, @core_to_glue, @unresolved);
for my $f (@files) {
    open my $fh, '<', "$Root/$f" or die "$f: $!";
    my $n = 0;
    while (my $line = <$fh>) {
        $n++;
        next unless $line =~ /^\s*#\s*include\s*([<"])([^>"]+)[>"]/;
        my ($form, $name) = ($1, $2);
        my $base = (split m{/}, $name)[-1];
        if ($base =~ /\A(?:ngx_[A-Za-z0-9_]+|nginx)\.h\z/ && $f ne $ngx_include) {
            push @ngx_headers, "$f:$n includes $name";
        }
        next unless $form eq '"';
        my $target = resolve($f, $name);
        if (!defined $target) {
            push @unresolved, "$f:$n includes \"$name\"";
            next;
        }
        if ($f =~ m{^(?:src/core|include/aigw)/} && $target =~ m{^src/ngx/}) {
            push @core_to_glue, "$f:$n includes $name";
        }
        my ($u, $v) = (unit_of($f), unit_of($target));
        $deps{$u}{$v} = "$f:$n" unless $u eq $v;
    }
    close $fh;
}

is_deeply(\@unresolved, [], 'every #include "..." names a file of the tree')
    or diag(join "\n", @unresolved);
is_deeply(\@ngx_headers, [], "only $ngx_include includes NGINX's headers")
    or diag(join "\n", @ngx_headers);
is_deeply(\@core_to_glue, [], 'the core includes nothing from src/ngx')
    or diag(join "\n", @core_to_glue);

# Cycles: strongly connected components of more than one unit (Tarjan).
my (%index, %low, %on_stack, @stack, @cycles);
my $next = 0;
sub visit {
    my ($u) = @_;
    $index{$u} = $low{$u} = $next++;
    push @stack, $u;
    $on_stack{$u} = 1;
    for my $v (sort keys %{ $deps{$u} || {} }) {
        if (!exists $index{$v}) {
            visit($v);
            $low{$u} = $low{$v} if $low{$v} < $low{$u};
        } elsif ($on_stack{$v}) {
            $low{$u} = $index{$v} if $index{$v} < $low{$u};
        }
    }
    return unless $low{$u} == $index{$u};
    my @scc;
    while (1) {
        my $w = pop @stack;
        $on_stack{$w} = 0;
        push @scc, $w;
        last if $w eq $u;
    }
    push @cycles, [sort @scc] if @scc > 1;
}
visit($_) for grep { !exists $index{$_} } sort map { unit_of($_) } @files;

# One include path around each cycle, to say where to cut it.
sub path_around {
    my ($scc) = @_;
    my %in = map { $_ => 1 } @$scc;
    my $start = $scc->[0];
    my %prev = ($start => undef);
    my @queue = ($start);
    while (@queue) {
        my $u = shift @queue;
        for my $v (sort keys %{ $deps{$u} || {} }) {
            next unless $in{$v};
            if ($v eq $start) {
                my @path = ($u);
                unshift @path, $prev{$path[0]} while defined $prev{$path[0]};
                return join("\n", map {
                        my $to = $_ + 1 < @path ? $path[$_ + 1] : $start;
                        "  $path[$_] -> $to   ($deps{ $path[$_] }{$to})"
                    } 0 .. $#path);
            }
            next if exists $prev{$v};
            $prev{$v} = $u;
            push @queue, $v;
        }
    }
    return '  ' . join(' ', @$scc);
}

is(scalar(@cycles), 0, 'no include cycle (a header and its source count as one unit)')
    or diag(join "\n", map { "cycle among " . join(', ', @$_) . ", for one:\n" . path_around($_) } @cycles);

done_testing();
