package org.parasol.drivers.blk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class VbdTest {
    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({"xvda, 51712", "xvdb, 51728", "xvda1, 51713", "xvdp15, 51967", "xvdq, 268439552", "xvdaa, 268442112",
        "xvda16, 268435472", "sda, 2048", "sdb2, 2066", "202, 202"})
    @DisplayName("vdev names encode as Xen's vbd-interface.txt says, and decode back")
    void shouldEncodeVdevs(String vdev, int devid) {
        assertThat(Vbd.devid(vdev)).isEqualTo(devid);
        if (!vdev.matches("\\d+")) {
            assertThat(Vbd.name(devid)).isEqualTo(vdev);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "hda", "xvd", "xvda0", "xvda256", "sdq", "sda16", "xvdA", "0", "-1", "xvda 1",
        "99999999999"})
    void shouldRefuseBadVdevs(String vdev) {
        assertThatThrownBy(() -> Vbd.devid(vdev)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("numbers from the store are strict decimals in range")
    void shouldReadStrictNumbers() {
        assertThat(Vbd.number("k", "0", 0, 5)).isZero();
        assertThat(Vbd.number("k", "42", 0, 100)).isEqualTo(42);
        for (String bad : new String[] {"", "-1", "+1", " 1", "01", "1x", "0x10", "12345678901234567890", "101"}) {
            assertThatThrownBy(() -> Vbd.number("k", bad, 0, 100)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> Vbd.number("k", null, 0, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
