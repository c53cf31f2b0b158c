package org.parasol.examples.pingpong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The two command lines the launcher gives the pingpong domains, and what is refused. */
class PingpongOptionsTest {

    @Test
    void shouldReadTheOfferingSidesCommandLine() {
        PingpongOptions o = PingpongOptions.parse("peer=2 rounds=500 console=hvc0");

        assertThat(o).isEqualTo(new PingpongOptions(2, -1, -1, 500));
        assertThat(o.accepting()).isFalse();
    }

    @Test
    void shouldDefaultToTenThousandRounds() {
        assertThat(PingpongOptions.parse("peer=7").rounds()).isEqualTo(PingpongOptions.DEFAULT_ROUNDS).isEqualTo(10_000);
    }

    @Test
    void shouldReadTheAcceptingSidesCommandLine() {
        PingpongOptions o = PingpongOptions.parse("  peer=1 gref=8   port=3 rounds=5 ");

        assertThat(o).isEqualTo(new PingpongOptions(1, 8, 3, 5));
        assertThat(o.accepting()).isTrue();
    }

    @Test
    void shouldRefuseAMissingPeerAHalfOfferAndValuesOutOfRange() {
        assertThatThrownBy(() -> PingpongOptions.parse("rounds=3")).hasMessageContaining("needs peer=<domid>");
        assertThatThrownBy(() -> PingpongOptions.parse("")).hasMessageContaining("needs peer=<domid>");
        assertThatThrownBy(() -> PingpongOptions.parse("peer=1 gref=8")).hasMessageContaining("both gref=<n> and port=<p>");
        assertThatThrownBy(() -> PingpongOptions.parse("peer=1 port=3")).hasMessageContaining("both gref=<n> and port=<p>");
        assertThatThrownBy(() -> PingpongOptions.parse("peer=32752")).hasMessageContaining("'peer=32752' is out of range");
        assertThatThrownBy(() -> PingpongOptions.parse("peer=1 gref=8 port=0")).hasMessageContaining("'port=0' is out of range");
        assertThatThrownBy(() -> PingpongOptions.parse("peer=1 gref=8 port=4096")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> PingpongOptions.parse("peer=1 rounds=0")).hasMessageContaining("'rounds=0' is out of range");
        assertThatThrownBy(() -> PingpongOptions.parse("peer=one")).hasMessageContaining("'peer=one' is not a number");
    }
}
