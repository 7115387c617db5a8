# A perl workload for tests/programs/perl.sh: hashes, regular expressions,
# sort and sprintf over 100k items.  Its output must not depend on the
# allocator.
use strict;
use warnings;
use Digest::MD5 qw(md5_hex);

my $seed = 12345;
sub rnd { $seed = ($seed * 1103515245 + 12345) % 2147483648; return $seed >> 16; }

my @letters = ('a' .. 'p');
my (@items, %count, %byfirst);
for my $i (0 .. 99_999) {
    my $len = 2 + rnd() % 8;
    my $w = join '', map { $letters[rnd() % 16] } 1 .. $len;
    my $line = sprintf("%06d:%s:%.4f:%x", $i, $w, (rnd() % 100000) / 7, rnd());
    push @items, $line;
    $count{$w}++;
    push @{ $byfirst{ substr($w, 0, 1) } }, $i;
}
printf "items %d distinct %d\n", scalar @items, scalar keys %count;

my @top = (sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count)[0 .. 4];
print "top @top\n";

my $matches = 0;
my %caps;
for (@items) {
    if (/^(\d+):([a-d]+)([e-h]*):(\d+)\.(\d+)/) {
        $matches++;
        $caps{ length($2) . '/' . length($3) }++;
    }
}
print "matches $matches\n";
print join(',', map { "$_=$caps{$_}" } sort keys %caps), "\n";

my @sorted = sort { (split /:/, $a)[2] <=> (split /:/, $b)[2] || $a cmp $b } @items;
print "first $sorted[0]\nlast $sorted[-1]\n";

my @bykey = map { $_->[1] } sort { $a->[0] cmp $b->[0] } map { [ (split /:/)[1], $_ ] } @items;
print "mid $bykey[50000]\n";

(my $s = join(' ', @items[0 .. 20000])) =~ s/([aeiou])+/uc($1)/ge;
print "subst ", md5_hex($s), "\n";

my %inv;
while (my ($k, $v) = each %count) { push @{ $inv{$v} }, $k; }
print join(' ', map { "$_:" . scalar @{ $inv{$_} } } sort { $a <=> $b } keys %inv), "\n";
for my $l (sort keys %byfirst) {
    printf "%s %d %d\n", $l, scalar @{ $byfirst{$l} }, $byfirst{$l}[-1];
}
my $big = '';
$big .= sprintf("%08.3f|", $_ / 3) for 1 .. 50_000;
print "big ", length($big), " ", md5_hex($big), "\n";
print "digest ", md5_hex(join "\n", @sorted, @bykey), "\n";
