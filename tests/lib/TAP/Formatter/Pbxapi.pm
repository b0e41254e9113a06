# prove --formatter TAP::Formatter::Pbxapi: the console formatter, plus a
# last line "N passed, N failed" counting test points; a test file that
# dies, exits non-zero or breaks its plan counts as one more failure.
# Skipped points ("ok N # SKIP why") and expected failures ("# TODO") are
# not passes: they are counted on a line of their own before it.
package TAP::Formatter::Pbxapi;
use strict;
use warnings;
use parent 'TAP::Formatter::Console';

sub summary {
	my ($self, $agg, $interrupted) = @_;
	$self->SUPER::summary($agg, $interrupted);
	my $skipped = scalar $agg->skipped;
	my $todo = scalar $agg->todo;
	my $passed = scalar $agg->passed - $skipped - $todo;
	my $failed = scalar $agg->failed;
	for my $file ($agg->descriptions) {
		my ($parser) = $agg->parsers($file);
		next unless $parser;
		$failed++ if !$parser->failed &&
		    ($parser->has_problems || $parser->exit || $parser->wait);
	}
	my @not = ();
	push @not, "$skipped skipped" if $skipped;
	push @not, "$todo todo" if $todo;
	print join(", ", @not), " (not counted as passed)\n" if @not;
	print "$passed passed, $failed failed\n";
}

1;
