package org.parasol.examples.pingpong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.abi.XenbusState;

/** How an end reads what the other end wrote into the store: strictly, with a message naming the key. */
class PingpongDeviceTest {

    @Test
    void shouldReadDecimalNumbersInRange() {
        assertThat(PingpongDevice.number("ring-ref", "8", 0, Integer.MAX_VALUE)).isEqualTo(8);
        assertThat(PingpongDevice.number("event-channel", "4095", 1, 4095)).isEqualTo(4095);
        assertThat(PingpongDevice.domid("backend-id", "32751")).isEqualTo(32751);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            ring-ref      | banana       | ring-ref 'banana' is not a decimal number
            ring-ref      | ``           | ring-ref '' is not a decimal number
            ring-ref      | -1           | ring-ref '-1' is not a decimal number
            ring-ref      | 8 | ring-ref '8 ' is not a decimal number
            ring-ref      | 0x8          | ring-ref '0x8' is not a decimal number
            ring-ref      | 99999999999  | ring-ref '99999999999' is not a decimal number
            ring-ref      | 4294967295   | ring-ref 4294967295 is out of range 0..2147483647
            event-channel | 0            | event-channel 0 is out of range 1..4095
            event-channel | 4096         | event-channel 4096 is out of range 1..4095
            """)
    void shouldRefuseWhatAHostileEndWrites(String key, String value, String message) {
        String v = value.equals("8") ? "8 " : value;
        long max = key.equals("ring-ref") ? Integer.MAX_VALUE : 4095;
        long min = key.equals("ring-ref") ? 0 : 1;
        assertThatThrownBy(() -> PingpongDevice.number(key, v, min, max)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void shouldNeverTakeDom0OrAReservedIdForAPeer() {
        assertThatThrownBy(() -> PingpongDevice.domid("frontend-id", "0")).hasMessageContaining("out of range 1..32751");
        assertThatThrownBy(() -> PingpongDevice.domid("frontend-id", "32752")).hasMessageContaining("out of range");
    }

    @Test
    void shouldTakeClosingClosedAndAVanishedStateAsGone() {
        assertThat(PingpongDevice.gone(XenbusState.CLOSING)).isTrue();
        assertThat(PingpongDevice.gone(XenbusState.CLOSED)).isTrue();
        assertThat(PingpongDevice.gone(XenbusState.UNKNOWN)).isTrue();
        assertThat(PingpongDevice.gone(XenbusState.INITIALISING)).isFalse();
        assertThat(PingpongDevice.gone(XenbusState.CONNECTED)).isFalse();
        assertThat(PingpongDevice.shorten("a\u0001b")).isEqualTo("<3 bytes>");
        assertThat(PingpongDevice.describe(XenbusState.INIT_WAIT)).isEqualTo("InitWait (2)");
    }
}
