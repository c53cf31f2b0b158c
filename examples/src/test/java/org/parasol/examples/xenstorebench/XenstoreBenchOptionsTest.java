package org.parasol.examples.xenstorebench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The xenstore-bench command line: the phases' sizes, their defaults, and what is refused. */
class XenstoreBenchOptionsTest {

    @Test
    void shouldReadRequestsAndRounds() {
        assertThat(XenstoreBenchOptions.parse(" clock=pit requests=500  rounds=0 "))
                .isEqualTo(new XenstoreBenchOptions(500, 0, 0, 0));
    }

    @Test
    void shouldRefuseWordsItDoesNotKnow() {
        assertThatThrownBy(() -> XenstoreBenchOptions.parse("console=hvc0 requests=500"))
                .hasMessageStartingWith("xenstore-bench: unknown parameter 'console=hvc0'; xenstore-bench takes requests, rounds, start, phase");
    }

    @Test
    void shouldReadTimedPhasesOnlyWithBothStartAndPhase() {
        XenstoreBenchOptions o = XenstoreBenchOptions.parse("start=3000 phase=250");

        assertThat(o).isEqualTo(new XenstoreBenchOptions(10_000, 1_000, 3000, 250));
        assertThat(o.windowed()).isTrue();
        assertThat(XenstoreBenchOptions.parse("").windowed()).isFalse();
        assertThatThrownBy(() -> XenstoreBenchOptions.parse("start=3000")).hasMessageContaining("both start=<ms> and phase=<ms>");
        assertThatThrownBy(() -> XenstoreBenchOptions.parse("phase=100")).hasMessageContaining("both start=<ms> and phase=<ms>");
        assertThatThrownBy(() -> XenstoreBenchOptions.parse("start=1 phase=0")).hasMessageContaining("both start=<ms> and phase=<ms>");
    }

    @Test
    void shouldDefaultToTenThousandRequestsAndAThousandRounds() {
        assertThat(XenstoreBenchOptions.parse("")).isEqualTo(new XenstoreBenchOptions(10_000, 1_000, 0, 0));
    }

    @Test
    void shouldRefuseValuesThatAreNoNumbersOrOutOfRange() {
        assertThatThrownBy(() -> XenstoreBenchOptions.parse("requests=lots"))
                .hasMessage("xenstore-bench: requests is not a decimal number: 'lots'");
        assertThatThrownBy(() -> XenstoreBenchOptions.parse("rounds=-1")).hasMessage("xenstore-bench: rounds is not a decimal number: '-1'");
        assertThatThrownBy(() -> XenstoreBenchOptions.parse("rounds=1000001")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> XenstoreBenchOptions.parse("requests=10000001"))
                .hasMessage("xenstore-bench: requests 10000001 is out of range 0..10000000");
    }
}
