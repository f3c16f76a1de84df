package Test::AIGW::Runner::Blocks;

# The blocks of a .t file: its __DATA__ section parsed into `=== TEST n: title` blocks of
# `--- section` values, the section filters applied (eval, chomp, chop, lines, trim, norm),
# and the ONLY / SKIP / LAST selection made, as Test::Base does for Test::Nginx.

use strict;
use warnings;

use Carp ();
use Exporter 'import';
use Test::More ();

our @EXPORT_OK = qw(blocks set_data_package eval_in_main);

my $Caller = 'main';        # the package whose __DATA__ holds the blocks
my $Blocks;                 # parsed, selected and filtered blocks (cached)

sub set_data_package { $Caller = shift; return }

{
    package Test::AIGW::Runner::Blocks::Block;
    our $AUTOLOAD;

    sub new { my ($class, %v) = @_; return bless { %v }, $class }

    # Values are stored as lists, like Test::Base: `$block->x` gives the first
    # value in scalar context and all of them in list context.
    sub set_value {
        my ($self, $name, @values) = @_;
        $self->{$name} = [@values];
        return;
    }

    sub AUTOLOAD {
        my $self = shift;
        (my $name = $AUTOLOAD) =~ s/.*:://;
        return if $name eq 'DESTROY';
        Carp::croak("Not allowed to set values for '$name'") if @_;
        my @list = @{ $self->{$name} || [] };
        return wantarray ? @list : $list[0];
    }

    sub can {
        my ($self, $method) = @_;
        my $code = $self->SUPER::can($method);
        return $code if $code || !ref $self || !exists $self->{$method};
        return sub { my $s = shift; my @l = @{ $s->{$method} || [] }; wantarray ? @l : $l[0] };
    }
}

my %Filters = (
    norm => sub {
        map { my $t = defined $_ ? $_ : ''; $t =~ s/\015\012/\n/g; $t =~ s/\r/\n/g; $t } @_;
    },
    trim => sub {
        map { my $t = $_; if (defined $t && !ref $t) { $t =~ s/\A([ \t]*\n)+//; $t =~ s/(?<=\n)\s*\z//g } $t } @_;
    },
    chomp => sub { map { my $t = $_; chomp $t if defined $t && !ref $t; $t } @_ },
    chop  => sub { map { my $t = $_; chop $t if defined $t && !ref $t; $t } @_ },
    lines => sub { my $t = join '', @_; length $t ? ($t =~ /^(.*\n?)/gm) : () },
    eval  => sub {
        my ($code, $where) = @_;
        my @r = eval_in_main($code, $where);
        die "$where: eval failed: $@" if $@;
        return @r;
    },
);

# Perl code of a block (an eval filter, --- init, --- skip_eval) runs in package main, where
# the .t file's subs and `our` variables are.
sub eval_in_main {
    my ($code, $where) = @_;
    $where =~ s/"//g;
    ## no critic (ProhibitStringyEval)
    return eval "package main; no strict; no warnings;\n#line 1 \"$where\"\n$code";
}

sub _read_spec {
    no strict 'refs';
    for my $pkg ($Caller, 'main') {
        my $fh = \*{"${pkg}::DATA"};
        next unless defined fileno($fh);
        local $/;
        my $spec = <$fh>;
        return $spec if defined $spec;
    }
    die "no __DATA__ section with test blocks found in $0\n";
}

sub _make_block {
    my ($hunk) = @_;
    $hunk .= "\n" unless $hunk =~ /\n\z/;
    $hunk =~ s/\A===[ \t]*(.*)\s+// or die "bad block: $hunk";
    my $name = $1;
    $name =~ s/\s+\z//;
    my @parts = split /^---[ ]+\(?(\w+)\)?[ ]*(.*)?\n/m, $hunk;
    my $description = shift @parts;
    $description = $name unless defined $description && $description =~ /\S/;
    $description =~ s/\s*\z//;

    my $block = Test::AIGW::Runner::Blocks::Block->new(
        _section_order => [], _section_filters => {});
    $block->set_value(name => $name);
    $block->set_value(description => $description);
    while (@parts) {
        my ($type, $filters, $value) = splice @parts, 0, 3;
        $value   = '' unless defined $value;
        $filters = '' unless defined $filters;
        # `--- name: value` (or `--- name filter: value`) is a one-line value.
        if ($filters =~ /:(\s|\z)/) {
            die "$name: extra lines not allowed in the one-line '$type' section\n"
                if $value =~ /\S/;
            ($filters, $value) = split /\s*:(?:\s+|\z)/, $filters, 2;
            $value = '' unless defined $value;
            $value =~ s/^\s*(.*?)\s*$/$1/;
        }
        push @{ $block->{_section_order} }, $type;
        $block->{_section_filters}{$type} = $filters;
        $block->set_value($type, $value);
    }
    return $block;
}

sub _run_filters {
    my ($block) = @_;
    my $name = $block->name;
    for my $type (@{ $block->{_section_order} }) {
        my @filters = ('norm', 'trim');
        my @append;
        for my $f (split ' ', $block->{_section_filters}{$type}) {
            if ($f =~ s/^-//) { @filters = grep { $_ ne $f } @filters }
            elsif ($f =~ s/^\+//) { push @append, $f }
            else { push @filters, $f }
        }
        my @value = @{ $block->{$type} };
        for my $f (@filters, @append) {
            my $code = $Filters{$f}
                or die "$name: unknown filter '$f' in section '$type'"
                     . " (supported: " . join(', ', sort keys %Filters) . ")\n";
            @value = $f eq 'eval' ? $code->(join('', @value), "$name --- $type")
                                  : $code->(@value);
        }
        $block->set_value($type, @value);
    }
    return;
}

# All the blocks run_tests will run, after ONLY / SKIP / LAST selection.
sub blocks {
    return @$Blocks if $Blocks;
    my $spec = _read_spec();
    my @hunks = ($spec =~ /^(===.*?(?=^===|\z))/msg);
    my @chosen;
    for my $hunk (@hunks) {
        my $block = _make_block($hunk);
        if (exists $block->{ONLY}) {
            Test::More::diag("I found ONLY: maybe you're debugging?");
            @chosen = ($block);
            last;
        }
        next if exists $block->{SKIP};
        push @chosen, $block;
        last if exists $block->{LAST};
    }
    my $seq = 0;
    for my $block (@chosen) {
        $block->{seq_num} = ++$seq;
        _run_filters($block);
    }
    $Blocks = \@chosen;
    return @chosen;
}

1;
