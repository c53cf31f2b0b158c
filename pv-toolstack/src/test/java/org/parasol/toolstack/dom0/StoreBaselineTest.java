package org.parasol.toolstack.dom0;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** dom0's {@code xsbench=<ms>}: when it measures the store's baseline, and what it refuses. */
class StoreBaselineTest {

    @Test
    @DisplayName("xsbench=<ms> among dom0's other words asks for the baseline; without it, none")
    void shouldReadTheMillisecondsPerPhase() {
        assertThat(StoreBaseline.requested("build=hello xsbench=2000 quiet")).isEqualTo(2000);
        assertThat(StoreBaseline.requested("")).isZero();
        assertThat(StoreBaseline.requested("build=hello")).isZero();
    }

    @Test
    @DisplayName("a value that is no number, or none from 1 ms to a minute, is refused with the word")
    void shouldRefuseBadValues() {
        assertThatThrownBy(() -> StoreBaseline.requested("xsbench=long")).hasMessageContaining("'xsbench=long' is not a number");
        assertThatThrownBy(() -> StoreBaseline.requested("xsbench=0")).hasMessageContaining("'xsbench=0' is out of range 1..60000");
        assertThatThrownBy(() -> StoreBaseline.requested("xsbench=60001")).hasMessageContaining("out of range");
    }
}
