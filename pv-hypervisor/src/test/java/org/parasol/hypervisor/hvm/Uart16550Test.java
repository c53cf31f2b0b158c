package org.parasol.hypervisor.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

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
    @DisplayName("LSR says the transmitter is empty (THRE|TEMT) and, until something is received, no data ready")
    void shouldAlwaysBeReadyToSend() {
        assertThat(uart.read(Platform.UART_LSR)).isEqualTo(Platform.LSR_THRE | Platform.LSR_TEMT);
        assertThat(uart.read(Platform.UART_THR)).as("RBR with nothing received").isZero();
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

    // ---------------------------------------------------------------- the receive path

    private final List<Boolean> levels = new ArrayList<>();
    private final Uart16550 rx = new Uart16550(wire::write, true, levels::add);

    private int receive(Uart16550 u, String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return u.receive(b, 0, b.length);
    }

    private String drain(Uart16550 u) {
        StringBuilder sb = new StringBuilder();
        while ((u.read(Platform.UART_LSR) & Platform.LSR_DR) != 0) {
            sb.append((char) u.read(Platform.UART_THR));
        }
        return sb.toString();
    }

    /** FIFOs on with {@code trigger} (FCR bits 6-7), DTR|RTS|OUT2: as a driver sets the port up. */
    private void open(Uart16550 u, int triggerBits) {
        u.write(Platform.UART_IIR_FCR, 0x07 | triggerBits << 6);
        u.write(Platform.UART_MCR, 0x0B);
    }

    @Test
    @DisplayName("received bytes reach RBR in order with LSR.DR set while any wait; the line feeds the 16-byte FIFO as it empties")
    void shouldReceiveInOrder() {
        open(rx, 0);
        String text = "the quick brown fox jumps over the lazy dog, twice: the quick brown fox";
        assertThat(receive(rx, text)).isEqualTo(text.length());
        assertThat(rx.waiting()).isEqualTo(text.length());
        assertThat(rx.read(Platform.UART_LSR) & Platform.LSR_DR).isEqualTo(Platform.LSR_DR);
        assertThat(drain(rx)).isEqualTo(text);
        assertThat(rx.read(Platform.UART_LSR)).isEqualTo(Platform.LSR_THRE | Platform.LSR_TEMT);
        assertThat(rx.received()).isEqualTo(text.length());
        assertThat(rx.waiting()).isZero();
        assertThat(wire.size()).as("nothing received is transmitted").isZero();
    }

    @Test
    @DisplayName("a guest that never reads holds the line's 1 KiB and the FIFO's 16 bytes: the rest is refused to the sender, not lost or kept")
    void shouldBoundWhatWaits() {
        open(rx, 0);
        byte[] flood = new byte[5000];
        assertThat(rx.receive(flood, 0, flood.length)).as("the line's worth; 16 move on into the FIFO")
                .isEqualTo(Uart16550.LINE_QUEUE);
        assertThat(rx.receive(flood, 0, flood.length)).isEqualTo(Uart16550.RX_FIFO);
        assertThat(rx.receive(flood, 0, flood.length)).isZero();
        assertThat(rx.waiting()).isEqualTo(Uart16550.LINE_QUEUE + Uart16550.RX_FIFO);
        rx.read(Platform.UART_THR);
        assertThat(rx.receive(flood, 0, flood.length)).as("one read, one byte of room").isEqualTo(1);
        assertThat(rx.overruns()).as("flow-controlled: the host never overruns the FIFO").isZero();
    }

    @Test
    @DisplayName("without RTS (MCR bit 1) the line holds its bytes back, as a sender under hardware flow control does")
    void shouldHoldBackWithoutRts() {
        rx.write(Platform.UART_IIR_FCR, 0x07);
        rx.write(Platform.UART_MCR, 0x09); // DTR|OUT2, no RTS
        assertThat(receive(rx, "abc")).isEqualTo(3);
        assertThat(rx.read(Platform.UART_LSR) & Platform.LSR_DR).isZero();
        rx.write(Platform.UART_MCR, 0x0B);
        assertThat(drain(rx)).isEqualTo("abc");
    }

    @Test
    @DisplayName("IIR: RDA at the trigger level (1, 4, 8, 14), character timeout below it once the line is idle, both cleared by reading RBR")
    void shouldReportRdaAndTimeout() {
        open(rx, 3); // 14 bytes
        rx.write(Platform.UART_IER, Platform.IER_RDI);
        assertThat(rx.read(Platform.UART_IIR_FCR)).as("FIFOs on, nothing pending").isEqualTo(0xC1);
        receive(rx, "12345");
        assertThat(rx.read(Platform.UART_IIR_FCR)).as("5 < 14, the line idle").isEqualTo(0xC0 | Platform.IIR_CTI);
        receive(rx, "6789abcdefghij"); // 19: the FIFO holds 16, 3 on the line
        assertThat(rx.read(Platform.UART_IIR_FCR)).isEqualTo(0xC0 | Platform.IIR_RDI);
        for (int i = 0; i < 5; i++) {
            rx.read(Platform.UART_THR); // the line refills the FIFO to 16, then 15, 14
        }
        assertThat(rx.read(Platform.UART_IIR_FCR)).as("14 left: still at the level").isEqualTo(0xC0 | Platform.IIR_RDI);
        rx.read(Platform.UART_THR);
        assertThat(rx.read(Platform.UART_IIR_FCR)).as("13 left, nothing more coming").isEqualTo(0xC0 | Platform.IIR_CTI);
        assertThat(drain(rx)).isEqualTo("789abcdefghij");
        assertThat(rx.read(Platform.UART_IIR_FCR)).isEqualTo(0xC1);

        for (int bits = 0; bits < 4; bits++) {
            int level = new int[] {1, 4, 8, 14}[bits];
            rx.write(Platform.UART_IIR_FCR, 0x01 | bits << 6);
            receive(rx, "x".repeat(level - 1));
            assertThat(rx.read(Platform.UART_IIR_FCR) & 0x0F).as("level %d, one short", level)
                    .isEqualTo(level == 1 ? 0x01 : Platform.IIR_CTI);
            receive(rx, "x");
            assertThat(rx.read(Platform.UART_IIR_FCR) & 0x0F).as("level %d", level).isEqualTo(Platform.IIR_RDI);
            drain(rx);
        }
    }

    @Test
    @DisplayName("IIR's priority: line status (overrun) over received data over THR empty; LSR's read clears OE, IIR's read clears THRE")
    void shouldPrioritizeInterrupts() {
        rx.write(Platform.UART_IIR_FCR, 0x00); // FIFOs off: a one-byte holding register
        rx.write(Platform.UART_MCR, 0x1B); // loopback
        rx.write(Platform.UART_IER, Platform.IER_RDI | Platform.IER_THRI | Platform.IER_RLSI);
        rx.write(Platform.UART_THR, 'a');
        rx.write(Platform.UART_THR, 'b'); // the holding register is full: overrun
        assertThat(rx.overruns()).isEqualTo(1);
        assertThat(rx.read(Platform.UART_IIR_FCR)).as("no FIFO bits, line status").isEqualTo(Platform.IIR_RLSI);
        assertThat(rx.read(Platform.UART_IIR_FCR)).as("unchanged until LSR is read").isEqualTo(Platform.IIR_RLSI);
        assertThat(rx.read(Platform.UART_LSR)).isEqualTo(Platform.LSR_DR | Platform.LSR_OE | Platform.LSR_THRE
                | Platform.LSR_TEMT);
        assertThat(rx.read(Platform.UART_LSR) & Platform.LSR_OE).as("OE clears on read").isZero();
        assertThat(rx.read(Platform.UART_IIR_FCR)).isEqualTo(Platform.IIR_RDI);
        assertThat(rx.read(Platform.UART_THR)).as("the FIFO kept the first byte").isEqualTo('a');
        assertThat(rx.read(Platform.UART_IIR_FCR)).as("RBR read: THRE is next").isEqualTo(Platform.IIR_THRI);
        assertThat(rx.read(Platform.UART_IIR_FCR)).as("cleared by the read that reported it").isEqualTo(Platform.IIR_NO_INT);
        assertThat(wire.size()).as("loopback sends nothing out").isZero();
    }

    @Test
    @DisplayName("THRE is not cleared by an IIR read that reports something higher")
    void shouldKeepThreBehindHigherPriorities() {
        open(rx, 0);
        rx.write(Platform.UART_IER, Platform.IER_RDI | Platform.IER_THRI);
        receive(rx, "z");
        assertThat(rx.read(Platform.UART_IIR_FCR) & 0x0F).isEqualTo(Platform.IIR_RDI);
        assertThat(rx.read(Platform.UART_IIR_FCR) & 0x0F).isEqualTo(Platform.IIR_RDI);
        rx.read(Platform.UART_THR);
        assertThat(rx.read(Platform.UART_IIR_FCR) & 0x0F).isEqualTo(Platform.IIR_THRI);
        assertThat(rx.read(Platform.UART_IIR_FCR) & 0x0F).isEqualTo(Platform.IIR_NO_INT);
    }

    @Test
    @DisplayName("FCR: bit 1 clears the receive FIFO, a change of bit 0 clears it too, bits 6-7 set the trigger level")
    void shouldResetFifos() {
        rx.write(Platform.UART_IIR_FCR, 0x01);
        rx.write(Platform.UART_MCR, 0x10); // loopback: nothing refills from the line
        for (char c : "abcdef".toCharArray()) {
            rx.write(Platform.UART_THR, c);
        }
        rx.write(Platform.UART_IIR_FCR, 0x03);
        assertThat(rx.read(Platform.UART_LSR) & Platform.LSR_DR).isZero();
        rx.write(Platform.UART_THR, 'g');
        rx.write(Platform.UART_IIR_FCR, 0x00); // FIFOs off: cleared
        assertThat(rx.read(Platform.UART_LSR) & Platform.LSR_DR).isZero();
        assertThat(rx.read(Platform.UART_IIR_FCR) & 0xC0).isZero();
        rx.write(Platform.UART_IIR_FCR, 0xC1); // on again, level 14
        rx.write(Platform.UART_IER, Platform.IER_RDI);
        rx.write(Platform.UART_THR, 'h');
        assertThat(rx.read(Platform.UART_IIR_FCR)).as("1 < 14: the timeout").isEqualTo(0xC0 | Platform.IIR_CTI);
    }

    @Test
    @DisplayName("loopback: THR feeds RBR, MSR shows the modem outputs (CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2) with their deltas, "
            + "and host input waits on the line")
    void shouldLoopBack() {
        rx.write(Platform.UART_IIR_FCR, 0x07);
        rx.write(Platform.UART_MCR, Platform.MCR_LOOP | 0x0A); // RTS|OUT2, as Linux's autoconfig checks
        assertThat(rx.read(Platform.UART_MSR) & 0xF0).isEqualTo(0x90);
        rx.write(Platform.UART_MCR, Platform.MCR_LOOP | 0x05); // DTR|OUT1
        assertThat(rx.read(Platform.UART_MSR)).as("DSR|RI, and DCTS|DDSR|DDCD").isEqualTo(0x60 | 0x0B);
        assertThat(rx.read(Platform.UART_MSR)).as("deltas clear on read").isEqualTo(0x60);
        rx.write(Platform.UART_MCR, Platform.MCR_LOOP | 0x01);
        assertThat(rx.read(Platform.UART_MSR) & 0x0F).as("RI's trailing edge").isEqualTo(0x04);
        assertThat(receive(rx, "host")).isEqualTo(4);
        for (char c : "echo".toCharArray()) {
            rx.write(Platform.UART_THR, c);
        }
        assertThat(drain(rx)).isEqualTo("echo");
        rx.write(Platform.UART_MCR, 0x0B); // out of loopback, RTS set: the line delivers
        assertThat(drain(rx)).isEqualTo("host");
        assertThat(rx.read(Platform.UART_MSR)).as("not in loopback: DCD|DSR|CTS").isEqualTo(0xB0);
        assertThat(wire.size()).isZero();
    }

    @Test
    @DisplayName("the interrupt line follows IIR, gated by OUT2 and off in loopback: raised by the host's bytes, lowered when RBR is read empty")
    void shouldDriveTheLine() {
        rx.write(Platform.UART_IIR_FCR, 0x07);
        rx.write(Platform.UART_MCR, 0x03); // DTR|RTS, no OUT2
        rx.write(Platform.UART_IER, Platform.IER_RDI);
        receive(rx, "ab");
        assertThat(levels).as("OUT2 gates the line").isEmpty();
        rx.write(Platform.UART_MCR, 0x0B);
        assertThat(levels).containsExactly(true);
        rx.read(Platform.UART_THR);
        assertThat(levels).as("one byte left: still pending").containsExactly(true);
        rx.read(Platform.UART_THR);
        assertThat(levels).containsExactly(true, false);
        receive(rx, "c");
        assertThat(levels).containsExactly(true, false, true);
        rx.write(Platform.UART_MCR, 0x1B); // loopback forces OUT2's pin inactive
        assertThat(levels).containsExactly(true, false, true, false);
        assertThat(rx.interruptPending()).isFalse();
    }
}
