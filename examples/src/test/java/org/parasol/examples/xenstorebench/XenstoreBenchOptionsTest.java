package org.parasol.examples.xenstorebench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The xenstore-bench command line: the phases' sizes, their defaults, and what is refused. */
class XenstoreBenchOptionsTest {

    @Test
    void shouldReadRequestsAndRoundsAndIgnoreOtherWords() {
        assertThat(XenstoreBenchOptions.parse(" console=hvc0 requests=500  rounds=0 "))
                .isEqualTo(new XenstoreBenchOptions(500, 0));
    }

    @Test
    void shouldDefaultToTenThousandRequestsAndAThousandRounds() {
        assertThat(XenstoreBenchOptions.parse("")).isEqualTo(new XenstoreBenchOptions(10_000, 1_000));
    }

    @Test
    void shouldRefuseValuesThatAreNoNumbersOrOutOfRange() {
        assertThatThrownBy(() -> XenstoreBenchOptions.parse("requests=lots")).hasMessageContaining("'requests=lots' is not a number");
        assertThatThrownBy(() -> XenstoreBenchOptions.parse("rounds=-1")).hasMessageContaining("'rounds=-1' is out of range");
        assertThatThrownBy(() -> XenstoreBenchOptions.parse("rounds=1000001")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> XenstoreBenchOptions.parse("requests=10000001")).hasMessageContaining("out of range");
    }
}
