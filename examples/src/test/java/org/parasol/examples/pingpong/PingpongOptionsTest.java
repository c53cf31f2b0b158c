package org.parasol.examples.pingpong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The pingpong kernel's command line: only how many rounds and how long to wait; whom to meet is in the store. */
class PingpongOptionsTest {

    @Test
    void shouldReadRoundsAndTimeoutAndIgnoreOtherWords() {
        assertThat(PingpongOptions.parse("rounds=500 console=hvc0 timeout=5 peer=2"))
                .isEqualTo(new PingpongOptions(500, 5));
    }

    @Test
    void shouldDefaultToTenThousandRoundsAndThirtySeconds() {
        assertThat(PingpongOptions.parse("")).isEqualTo(new PingpongOptions(10_000, 30));
        assertThat(PingpongOptions.DEFAULT_ROUNDS).isEqualTo(10_000);
    }

    @Test
    void shouldRefuseValuesOutOfRange() {
        assertThatThrownBy(() -> PingpongOptions.parse("rounds=0")).hasMessageContaining("'rounds=0' is out of range");
        assertThatThrownBy(() -> PingpongOptions.parse("rounds=1000001")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> PingpongOptions.parse("timeout=0")).hasMessageContaining("'timeout=0' is out of range");
        assertThatThrownBy(() -> PingpongOptions.parse("timeout=3601")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> PingpongOptions.parse("rounds=many")).hasMessageContaining("'rounds=many' is not a number");
    }
}
