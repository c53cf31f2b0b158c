package org.parasol.examples.pingpong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.parasol.guest.kernel.CommandLine;

/** The pingpong kernel's command line: only how many rounds, how long to wait and the liar's lie; whom to meet is in the store. */
class PingpongOptionsTest {

    @Test
    void shouldReadRoundsTimeoutAndLie() {
        assertThat(PingpongOptions.parse("rounds=500 clock=pit timeout=5 lie=grant"))
                .isEqualTo(new PingpongOptions(500, 5, "grant"));
    }

    @Test
    void shouldDefaultToTenThousandRoundsThirtySecondsAndTheRingRefLie() {
        assertThat(PingpongOptions.parse("")).isEqualTo(new PingpongOptions(10_000, 30, "ring-ref"));
        assertThat(PingpongOptions.DEFAULT_ROUNDS).isEqualTo(10_000);
    }

    @Test
    void shouldRefuseValuesOutOfRange() {
        assertThatThrownBy(() -> PingpongOptions.parse("rounds=0")).hasMessage("pingpong: rounds 0 is out of range 1..1000000");
        assertThatThrownBy(() -> PingpongOptions.parse("rounds=1000001")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> PingpongOptions.parse("timeout=0")).hasMessage("pingpong: timeout 0 is out of range 1..3600");
        assertThatThrownBy(() -> PingpongOptions.parse("timeout=3601")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> PingpongOptions.parse("rounds=many")).hasMessage("pingpong: rounds is not a decimal number: 'many'");
        assertThatThrownBy(() -> PingpongOptions.parse("lie=truth")).hasMessage("pingpong: lie must be ring-ref, grant, port, no-ring: 'truth'");
    }

    @Test
    void shouldRefuseWordsItDoesNotKnowNamingThemAll() {
        assertThatThrownBy(() -> PingpongOptions.parse("rounds=500 console=hvc0 peer=2"))
                .isInstanceOf(CommandLine.BadParameter.class)
                .hasMessageStartingWith("pingpong: unknown parameters 'console=hvc0', 'peer=2'; pingpong takes rounds, timeout, lie");
    }
}
