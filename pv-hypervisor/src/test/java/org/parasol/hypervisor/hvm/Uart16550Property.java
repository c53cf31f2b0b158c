package org.parasol.hypervisor.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import org.parasol.hypercall.x86.Platform;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * A hostile guest and a flooding host against the 16550A: random register accesses (any offset,
 * any value, DLAB and loopback included) interleaved with host input of random lengths.
 */
class Uart16550Property {

    @Provide
    Arbitrary<int[]> steps() {
        return Arbitraries.integers().between(0, Integer.MAX_VALUE).array(int[].class).ofMinSize(1).ofMaxSize(400);
    }

    @Property(tries = 400)
    @Label("random port sequences and host input never throw and never grow anything beyond its bound; the line "
            + "alternates, follows IIR and OUT2, and every byte the host sent is read, waits, or was refused")
    void shouldStayBounded(@ForAll("steps") int[] steps) {
        int[] outputBytes = {0};
        int[] biggestWrite = {0};
        boolean[] level = {false};
        int[] flips = {0};
        Uart16550 u = new Uart16550((b, off, len) -> {
            outputBytes[0] += len;
            biggestWrite[0] = Math.max(biggestWrite[0], len);
        }, (steps[0] & 1) == 0, l -> {
            assertThat(l).as("the line only ever changes").isNotEqualTo(level[0]);
            level[0] = l;
            flips[0]++;
        });
        byte[] chunk = new byte[3000];
        long offered = 0;
        long taken = 0;
        for (int step : steps) {
            int offset = step & 7;
            int value = step >>> 3 & 0xFF;
            switch (step >>> 11 & 3) {
                case 0 -> u.write(offset, value);
                case 1 -> u.read(offset);
                case 2 -> {
                    int n = step >>> 13 & 0xFFF;
                    n = Math.min(n, chunk.length);
                    int got = u.receive(chunk, 0, n);
                    assertThat(got).isBetween(0, n);
                    offered += n;
                    taken += got;
                }
                default -> u.write(Platform.UART_MCR, value & 0x1F); // modem control flips often
            }
            assertThat(u.waiting()).isBetween(0, Uart16550.LINE_QUEUE + Uart16550.RX_FIFO);
            assertThat(u.interruptPending()).isEqualTo(level[0]);
        }
        // What was taken is read, still waiting, or dropped by a FIFO reset; never more.
        assertThat(u.received() + u.waiting()).isLessThanOrEqualTo(taken + u.transmitted());
        assertThat(taken).isLessThanOrEqualTo(offered);
        assertThat(biggestWrite[0]).isLessThanOrEqualTo(Uart16550.LINE);
        assertThat(outputBytes[0]).isLessThanOrEqualTo((int) u.transmitted());
        // The line is what IIR says (a read of IIR may clear THRE, so look at the line first).
        boolean out2 = (u.read(Platform.UART_MCR) & 0x18) == 0x08;
        boolean raised = u.interruptPending();
        int iir = (u.read(Platform.UART_LCR) & 0x80) != 0 ? -1 : u.read(Platform.UART_IIR_FCR);
        if (iir >= 0) {
            assertThat(raised).isEqualTo(out2 && (iir & Platform.IIR_NO_INT) == 0);
        }
    }
}
