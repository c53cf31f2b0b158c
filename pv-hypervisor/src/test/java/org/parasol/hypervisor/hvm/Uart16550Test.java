package org.parasol.hypervisor.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.x86.Platform;

class Uart16550Test {
    private final ByteArrayOutputStream wire = new ByteArrayOutputStream();
    private final Uart16550 uart = new Uart16550(wire::write, true);

    private void send(String s) {
        for (byte b : s.getBytes(StandardCharsets.ISO_8859_1)) {
            uart.write(Platform.UART_THR, b);
        }
    }

    @Test
    @DisplayName("with DLAB set, offsets 0 and 1 are the divisor latch; cleared, offset 0 transmits")
    void shouldLatchTheDivisorUnderDlab() {
        uart.write(Platform.UART_LCR, Platform.LCR_DLAB);
        uart.write(0, 0x0C);
        uart.write(1, 0x00);
        assertThat(uart.divisor()).isEqualTo(12); // 9600 baud
        assertThat(uart.read(0)).isEqualTo(0x0C);
        uart.write(Platform.UART_LCR, 0x03);
        send("x\n");
        assertThat(wire.toString(StandardCharsets.US_ASCII)).isEqualTo("x\n");
        assertThat(uart.divisor()).isEqualTo(12);
    }

    @Test
    @DisplayName("LSR always says the transmitter is empty (THRE|TEMT); nothing is ever received")
    void shouldAlwaysBeReadyToSend() {
        assertThat(uart.read(Platform.UART_LSR)).isEqualTo(Platform.LSR_THRE | Platform.LSR_TEMT);
        assertThat(uart.read(Platform.UART_LSR) & Platform.LSR_DR).isZero();
    }

    @Test
    @DisplayName("bytes pass on a line at a time; an unfinished line waits for flush")
    void shouldPassLinesOn() {
        send("one\ntw");
        assertThat(wire.toString(StandardCharsets.US_ASCII)).isEqualTo("one\n");
        uart.flush();
        assertThat(wire.toString(StandardCharsets.US_ASCII)).isEqualTo("one\ntw");
        assertThat(uart.transmitted()).isEqualTo(6);
    }

    @Test
    @DisplayName("an unprivileged guest's escape sequences and control bytes are dropped, as console_io drops them")
    void shouldFilterNonPrintingBytes() {
        send("\u001b[2Jok\u0007\tdone\n");
        assertThat(wire.toString(StandardCharsets.US_ASCII)).isEqualTo("[2Jok\tdone\n");
    }

    @Test
    @DisplayName("a line without end is cut every 256 bytes: a guest cannot grow the buffer")
    void shouldBoundALine() {
        send("a".repeat(600));
        assertThat(wire.size()).isEqualTo(512);
    }

    @Test
    @DisplayName("any offset is accepted: LSR and MSR ignore writes; the scratch register keeps a byte")
    void shouldTakeAnyRegister() {
        uart.write(Platform.UART_LSR, 0);
        uart.write(Platform.UART_SCR, 0x1A5);
        assertThat(uart.read(Platform.UART_SCR)).isEqualTo(0xA5);
        assertThat(uart.read(Platform.UART_LSR)).isEqualTo(0x60);
        assertThat(uart.read(15)).isEqualTo(0xA5); // offsets wrap within the eight registers
    }

    @Test
    @DisplayName("the THR-empty interrupt: raised when IER bit 1 is set and after each byte, reported by IIR (which "
            + "clears it) and by the line only with OUT2 set")
    void shouldRaiseTheThrEmptyInterrupt() {
        assertThat(uart.interruptPending()).isFalse();
        uart.write(Platform.UART_IER, 0x02);
        assertThat(uart.interruptPending()).as("OUT2 gates the line").isFalse();
        uart.write(Platform.UART_MCR, 0x08);
        assertThat(uart.interruptPending()).isTrue();
        assertThat(uart.read(Platform.UART_IIR_FCR) & 0x0F).isEqualTo(0x02);
        assertThat(uart.interruptPending()).isFalse();
        assertThat(uart.read(Platform.UART_IIR_FCR) & 0x0F).isEqualTo(0x01);
        send("x");
        assertThat(uart.interruptPending()).isTrue();
        uart.write(Platform.UART_IER, 0);
        assertThat(uart.interruptPending()).isFalse();
    }
}
