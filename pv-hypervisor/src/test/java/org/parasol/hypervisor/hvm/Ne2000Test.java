package org.parasol.hypervisor.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The NE2000 model's register semantics as the DP8390 datasheet and the Linux {@code 8390}
 * driver use them, driven the way a driver drives it: byte registers, the word-wide data port.
 */
class Ne2000Test {
    private static final byte[] MAC = {0x00, 0x16, 0x3e, 0x00, 0x01, 0x00};
    private final List<Boolean> line = new ArrayList<>();
    private final Ne2000 card = new Ne2000(MAC, line::add);

    private void out(int reg, int v) {
        card.write(reg, 1, v);
    }

    private int in(int reg) {
        return (int) card.read(reg, 1);
    }

    /** Linux's NS8390_init with the ring at 0x46-0x7F, transmit page 0x40, word mode, started. */
    private void init(int rcr) {
        out(0x00, 0x21); // STP, no DMA
        out(0x0E, 0x49); // DCR: word-wide
        out(0x0C, rcr);
        out(0x04, 0x40);
        out(0x01, 0x46);
        out(0x03, 0x46);
        out(0x02, 0x80);
        out(0x07, 0xFF);
        out(0x0F, 0x00);
        out(0x00, 0x61); // page 1
        for (int i = 0; i < 6; i++) {
            out(1 + i, MAC[i] & 0xFF);
        }
        out(0x07, 0x47); // CURR
        out(0x00, 0x22); // page 0, started
        out(0x07, 0xFF);
        out(0x0F, 0x1F);
    }

    private byte[] remoteRead(int addr, int count) {
        out(0x0A, count & 0xFF);
        out(0x0B, count >>> 8);
        out(0x08, addr & 0xFF);
        out(0x09, addr >>> 8);
        out(0x00, 0x0A); // remote read, started
        byte[] b = new byte[count];
        for (int i = 0; i < count; i += 2) {
            long w = card.read(Ne2000.DATA, 2);
            b[i] = (byte) w;
            if (i + 1 < count) {
                b[i + 1] = (byte) (w >>> 8);
            }
        }
        return b;
    }

    private void remoteWrite(int addr, byte[] data) {
        out(0x0A, data.length & 0xFF);
        out(0x0B, data.length >>> 8);
        out(0x08, addr & 0xFF);
        out(0x09, addr >>> 8);
        out(0x00, 0x12); // remote write, started
        for (int i = 0; i < data.length; i += 2) {
            card.write(Ne2000.DATA, 2, (data[i] & 0xFF) | (i + 1 < data.length ? (data[i + 1] & 0xFF) << 8 : 0));
        }
    }

    private static byte[] frame(byte[] dst, int length, int seed) {
        byte[] f = new byte[length];
        System.arraycopy(dst, 0, f, 0, 6);
        for (int i = 6; i < length; i++) {
            f[i] = (byte) (seed + i);
        }
        return f;
    }

    private boolean receive(byte[] f) {
        return card.receive(MemorySegment.ofArray(f), 0, f.length);
    }

    @Test
    @DisplayName("after reset the card is stopped with ISR.RST, and the PROM holds the MAC twice per byte and 'WW'")
    void shouldResetIntoThePromLayoutLinuxReads() {
        card.read(Ne2000.RESET, 1);
        assertThat(in(0x00) & 0x01).isEqualTo(0x01);
        assertThat(in(0x07) & 0x80).isEqualTo(0x80);
        out(0x0E, 0x49);
        byte[] prom = remoteRead(0, 32);
        for (int i = 0; i < 6; i++) {
            assertThat(prom[2 * i]).isEqualTo(MAC[i]);
            assertThat(prom[2 * i + 1]).isEqualTo(MAC[i]);
        }
        assertThat(prom[14]).isEqualTo((byte) 0x57);
        assertThat(prom[15]).isEqualTo((byte) 0x57);
        assertThat(in(0x07) & Ne2000.ISR_RDC).as("remote DMA complete").isNotZero();
    }

    @Test
    @DisplayName("page 1 holds PAR, CURR and MAR; page 2 reads back PSTART, PSTOP, TPSR and RCR/TCR/DCR/IMR")
    void shouldSelectRegisterPages() {
        init(Ne2000.RCR_AB);
        out(0x00, 0x62);
        assertThat(in(0x01)).isEqualTo(MAC[0] & 0xFF);
        assertThat(in(0x07)).isEqualTo(0x47);
        out(0x0D, 0xA5); // MAR5 is read/write (Linux's probe checks it)
        assertThat(in(0x0D)).isEqualTo(0xA5);
        out(0x00, 0xA2);
        assertThat(in(0x01)).isEqualTo(0x46);
        assertThat(in(0x02)).isEqualTo(0x80);
        assertThat(in(0x04)).isEqualTo(0x40);
        assertThat(in(0x0C) & 0x3F).isEqualTo(Ne2000.RCR_AB);
        assertThat(in(0x0E) & 0x7F).isEqualTo(0x49);
        assertThat(in(0x0F) & 0x7F).isEqualTo(0x1F);
        out(0x00, 0x22);
        assertThat(in(0x0D)).as("page 0's tally counter").isZero();
    }

    @Test
    @DisplayName("a frame for the card's address lands at CURR with the 4-byte header (RSR, next page, count = 4 + length), raises PRX and the line")
    void shouldStoreAReceivedFrameInTheRing() {
        init(Ne2000.RCR_AB);
        byte[] f = frame(MAC, 300, 7);
        assertThat(receive(f)).isTrue();
        assertThat(in(0x07) & Ne2000.ISR_PRX).isNotZero();
        assertThat(line).containsExactly(true);
        out(0x00, 0x62);
        assertThat(in(0x07)).as("CURR after 304 bytes: two pages").isEqualTo(0x49);
        out(0x00, 0x22);
        byte[] header = remoteRead(0x4700, 4);
        assertThat(header[0] & 0xFF).isEqualTo(Ne2000.RSR_PRX);
        assertThat(header[1] & 0xFF).isEqualTo(0x49);
        assertThat((header[2] & 0xFF) | (header[3] & 0xFF) << 8).isEqualTo(304);
        assertThat(remoteRead(0x4704, 300)).isEqualTo(f);
        out(0x07, 0xFF);
        assertThat(line).containsExactly(true, false);
    }

    @Test
    @DisplayName("a frame that crosses PSTOP wraps to PSTART, and a remote read follows it round")
    void shouldWrapTheRingAtPstop() {
        init(Ne2000.RCR_AB);
        out(0x00, 0x62);
        out(0x07, 0x7F); // CURR: the last page
        out(0x00, 0x22);
        out(0x03, 0x7E); // BNRY just behind
        byte[] f = frame(MAC, 600, 3);
        assertThat(receive(f)).isTrue();
        out(0x00, 0x62);
        assertThat(in(0x07)).isEqualTo(0x48); // 0x7F + 3 pages, wrapped over 0x46..0x7F
        out(0x00, 0x22);
        assertThat(remoteRead(0x7F04, 600)).isEqualTo(f);
    }

    @Test
    @DisplayName("a full ring drops the frame, counts it and sets OVW; BNRY given back makes room again")
    void shouldDropWhenTheRingIsFull() {
        init(Ne2000.RCR_AB);
        int stored = 0;
        while (receive(frame(MAC, 1514, stored))) {
            stored++;
        }
        assertThat(stored).as("16 KiB less the transmit pages: 58 pages, 6 per frame").isEqualTo(9);
        assertThat(card.rxDropped()).isEqualTo(1);
        assertThat(in(0x07) & Ne2000.ISR_OVW).isNotZero();
        out(0x00, 0x62);
        int curr = in(0x07);
        out(0x00, 0x22);
        out(0x03, curr == 0x46 ? 0x7F : curr - 1); // the driver read everything
        assertThat(receive(frame(MAC, 1514, 99))).isTrue();
    }

    @Test
    @DisplayName("the filter takes the station address, broadcast with AB, multicast by MAR's hash with AM, everything with PRO")
    void shouldFilterAsRcrSays() {
        init(0);
        byte[] other = {0x00, 0x16, 0x3e, 0x00, 0x09, 0x09};
        byte[] bcast = {-1, -1, -1, -1, -1, -1};
        byte[] mcast = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
        assertThat(receive(frame(other, 64, 1))).isFalse();
        assertThat(receive(frame(bcast, 64, 1))).isFalse();
        out(0x0C, Ne2000.RCR_AB);
        assertThat(receive(frame(bcast, 64, 1))).isTrue();
        out(0x0C, Ne2000.RCR_AM);
        assertThat(receive(frame(mcast, 64, 1))).as("MAR all zero").isFalse();
        int bit = Ne2000.multicastHash(MemorySegment.ofArray(mcast), 0);
        out(0x00, 0x62);
        out(8 + (bit >>> 3), 1 << (bit & 7));
        out(0x00, 0x22);
        assertThat(receive(frame(mcast, 64, 1))).isTrue();
        out(0x0C, Ne2000.RCR_PRO);
        assertThat(receive(frame(other, 64, 1))).isTrue();
        assertThat(card.rxFiltered()).isEqualTo(3);
    }

    @Test
    @DisplayName("a short frame is padded to 60 bytes in the ring, as the wire's minimum is")
    void shouldPadRuntFrames() {
        init(Ne2000.RCR_AB);
        byte[] f = frame(MAC, 42, 5);
        assertThat(receive(f)).isTrue();
        byte[] header = remoteRead(0x4700, 4);
        assertThat((header[2] & 0xFF) | (header[3] & 0xFF) << 8).isEqualTo(64);
        byte[] stored = remoteRead(0x4704, 60);
        assertThat(java.util.Arrays.copyOf(stored, 42)).isEqualTo(f);
        assertThat(java.util.Arrays.copyOfRange(stored, 42, 60)).containsOnly(0);
    }

    @Test
    @DisplayName("CR.TXP queues TBCR bytes from page TPSR for dom0; TXP reads set until dom0 takes the frame, then PTX and TSR.PTX")
    void shouldTransmitFromTheBuffer() {
        init(Ne2000.RCR_AB);
        byte[] f = frame(new byte[] {-1, -1, -1, -1, -1, -1}, 98, 11);
        remoteWrite(0x4000, f);
        out(0x07, Ne2000.ISR_RDC);
        out(0x04, 0x40);
        out(0x05, 98);
        out(0x06, 0);
        out(0x00, 0x26);
        assertThat(in(0x00) & Ne2000.CR_TXP).as("still on its way to the wire").isNotZero();
        assertThat(in(0x07) & Ne2000.ISR_PTX).as("not sent yet").isZero();
        MemorySegment into = MemorySegment.ofArray(new byte[Ne2000.MAX_FRAME]);
        assertThat(card.takeTransmitted(into, 0)).isEqualTo(98);
        assertThat(in(0x00) & Ne2000.CR_TXP).as("dom0 took it").isZero();
        assertThat(in(0x07) & Ne2000.ISR_PTX).isNotZero();
        assertThat(in(0x04) & Ne2000.TSR_PTX).isNotZero();
        assertThat(line).as("PTX is enabled in IMR: the line rose when dom0 took the frame").endsWith(true);
        assertThat(into.asSlice(0, 98).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).isEqualTo(f);
        assertThat(card.takeTransmitted(into, 0)).isZero();
    }

    @Test
    @DisplayName("the transmit queue is bounded: past 32 frames a send is aborted (TSR.ABT, ISR.TXE) and counted")
    void shouldAbortTransmitsPastTheQueue() {
        init(Ne2000.RCR_AB);
        remoteWrite(0x4000, frame(MAC, 60, 0));
        out(0x05, 60);
        for (int i = 0; i < Ne2000.TX_QUEUE + 3; i++) {
            out(0x00, 0x26);
        }
        assertThat(card.transmitted()).isEqualTo(Ne2000.TX_QUEUE);
        assertThat(card.txDropped()).isEqualTo(3);
        assertThat(in(0x07) & Ne2000.ISR_TXE).isNotZero();
        assertThat(in(0x04) & Ne2000.TSR_ABT).isNotZero();
    }

    @Test
    @DisplayName("TCR loopback gives a sent frame straight back to the receive ring")
    void shouldLoopBack() {
        init(Ne2000.RCR_AB);
        out(0x0D, 0x02);
        byte[] f = frame(MAC, 80, 2);
        remoteWrite(0x4000, f);
        out(0x05, 80);
        out(0x00, 0x26);
        assertThat(card.received()).isEqualTo(1);
        assertThat(card.transmitPending()).isFalse();
        assertThat(remoteRead(0x4704, 80)).isEqualTo(f);
    }

    @Test
    @DisplayName("a stopped card takes no frames; the line follows ISR & IMR only")
    void shouldIgnoreFramesWhileStopped() {
        assertThat(receive(frame(MAC, 64, 0))).isFalse();
        init(Ne2000.RCR_AB);
        out(0x0F, 0);
        assertThat(receive(frame(MAC, 64, 0))).isTrue();
        assertThat(card.interruptPending()).isFalse();
        out(0x0F, Ne2000.ISR_PRX);
        assertThat(card.interruptPending()).isTrue();
    }

    @Property(tries = 200)
    @Label("a hostile guest may put any byte on any of the card's 32 ports at any size, with frames arriving between:"
            + " nothing throws, reads stay in their width, the transmit queue never passes its bound")
    void shouldSurviveHostilePortSequences(@ForAll("accesses") List<Tuple.Tuple4<Integer, Integer, Long, Integer>> seq) {
        List<Boolean> levels = new ArrayList<>();
        Ne2000 c = new Ne2000(MAC, levels::add);
        MemorySegment into = MemorySegment.ofArray(new byte[Ne2000.MAX_FRAME]);
        for (var a : seq) {
            int offset = a.get1();
            int size = a.get2();
            switch (a.get4()) {
                case 0 -> c.write(offset, size, a.get3());
                case 1 -> {
                    long v = c.read(offset, size);
                    assertThat(v).isBetween(0L, size == 4 ? 0xFFFF_FFFFL : (1L << (8 * size)) - 1);
                }
                case 2 -> {
                    int len = (int) (a.get3() & 0x7FF);
                    byte[] f = new byte[Math.max(len, 1)];
                    java.util.Arrays.fill(f, (byte) a.get3().longValue());
                    c.receive(MemorySegment.ofArray(f), 0, f.length);
                }
                default -> {
                    int n = c.takeTransmitted(into, 0);
                    assertThat(n).isBetween(0, Ne2000.MAX_FRAME);
                }
            }
        }
        assertThat(c.transmitted() - c.txDropped()).isLessThanOrEqualTo(c.transmitted());
        for (int i = 0; i <= Ne2000.TX_QUEUE; i++) {
            if (c.takeTransmitted(into, 0) == 0) {
                return;
            }
        }
        throw new AssertionError("more than " + Ne2000.TX_QUEUE + " frames queued");
    }

    @Provide
    Arbitrary<List<Tuple.Tuple4<Integer, Integer, Long, Integer>>> accesses() {
        Arbitrary<Integer> offset = Arbitraries.oneOf(Arbitraries.integers().between(0, 0x1F),
                Arbitraries.of(0x00, 0x07, 0x10, 0x1F));
        Arbitrary<Integer> size = Arbitraries.of(1, 2, 4);
        Arbitrary<Long> value = Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.longs().between(0, 0xFF),
                Arbitraries.of(0x22L, 0x26L, 0x0AL, 0x12L, 0x61L, 0xA2L, 0x46L, 0x80L, 0x40L, 0xFFL, 0x00L));
        Arbitrary<Integer> kind = Arbitraries.frequency(Tuple.of(6, 0), Tuple.of(3, 1), Tuple.of(1, 2), Tuple.of(1, 3));
        return Combinators.combine(offset, size, value, kind).as(Tuple::of).list().ofMaxSize(800);
    }
}
