# prove --formatter TAP::Formatter::Pbxapi: the console formatter, plus a
# last line "N passed, N failed" counting test points; a test file that
# dies, exits non-zero or breaks its plan counts as one more failure.
package TAP::Formatter::Pbxapi;
use strict;
use warnings;
use parent 'TAP::Formatter::Console';

sub summary {
	my ($self, $agg, $interrupted) = @_;
	$self->SUPER::summary($agg, $interrupted);
	my $passed = scalar $agg->passed;
	my $failed = scalar $agg->failed;
	for my $file ($agg->descriptions) {
		my ($parser) = $agg->parsers($file);
		next unless $parser;
		$failed++ if !$parser->failed &&
		    ($parser->has_problems || $parser->exit || $parser->wait);
	}
	print "$passed passed, $failed failed\n";
}

1;
