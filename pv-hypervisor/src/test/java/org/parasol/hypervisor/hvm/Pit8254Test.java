package org.parasol.hypervisor.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The 8254's register semantics, with time passed in: nothing ticks but the arithmetic. */
class Pit8254Test {
    private static final long MS = 1_000_000L;
    private final Pit8254 pit = new Pit8254();

    /** Channel 0, mode {@code mode}, low then high byte, {@code count}, at {@code now}. */
    private void program(int mode, int count, long now) {
        pit.write(0x43, 0x30 | mode << 1, now);
        pit.write(0x40, count & 0xFF, now);
        pit.write(0x40, count >>> 8 & 0xFF, now);
    }

    private int readWord(long now) {
        int lo = pit.read(0x40, now);
        int hi = pit.read(0x40, now);
        return lo | hi << 8;
    }

    private static long ticks(long n) {
        return Pit8254.nanosAt(n);
    }

    @Test
    @DisplayName("mode 2 with a count of 1193 is a 1 kHz rate generator: one IRQ 0 edge per period, none before the "
            + "first period ends, and the halt's wake-up time is the next edge")
    void shouldGenerateARate() {
        program(2, 1193, 0);
        assertThat(pit.armed()).isTrue();
        assertThat(pit.takeEdges(ticks(1193))).isZero();
        assertThat(pit.nextEdge(0)).isEqualTo(ticks(1 + 1193));
        assertThat(pit.takeEdges(ticks(1 + 1193))).isEqualTo(1);
        assertThat(pit.takeEdges(ticks(1 + 1193 * 11))).isEqualTo(10);
        assertThat(pit.takeEdges(ticks(1 + 1193 * 11))).as("taken edges are not given twice").isZero();
        assertThat(pit.edgesWaiting(ticks(1 + 1193 * 12))).isTrue();
        assertThat(pit.takeEdges(1000 * MS)).isBetween(980L, 1000L);
    }

    @Test
    @DisplayName("the count reads back as it runs down (N..1 in mode 2, by twos in mode 3), low byte then high byte")
    void shouldReadTheRunningCount() {
        program(2, 1000, 0);
        assertThat(readWord(ticks(1))).isEqualTo(1000);
        assertThat(readWord(ticks(1 + 300))).isEqualTo(700);
        assertThat(readWord(ticks(1 + 1000 + 1))).isEqualTo(999);
        program(3, 1000, 0);
        assertThat(readWord(ticks(1 + 100))).isEqualTo(800);
        assertThat(pit.takeEdges(ticks(1 + 5000))).isGreaterThan(0);
    }

    @Test
    @DisplayName("the latch command freezes the count until both bytes are read; the counter runs on behind it")
    void shouldLatchTheCount() {
        program(2, 5000, 0);
        pit.write(0x43, 0x00, ticks(1 + 100)); // latch channel 0
        int lo = pit.read(0x40, ticks(1 + 900));
        pit.write(0x43, 0x00, ticks(1 + 1000)); // a second latch before the first is read is ignored
        int hi = pit.read(0x40, ticks(1 + 2000));
        assertThat(lo | hi << 8).isEqualTo(4900);
        assertThat(readWord(ticks(1 + 3000))).isEqualTo(2000);
    }

    @Test
    @DisplayName("low-byte-only and high-byte-only access write and read one byte of the count")
    void shouldTakeOneByteAccessModes() {
        pit.write(0x43, 0x14, 0); // channel 0, low byte only, mode 2
        pit.write(0x40, 200, 0);
        assertThat(pit.read(0x40, ticks(1 + 50))).isEqualTo(150);
        pit.write(0x43, 0x24, 0); // high byte only
        pit.write(0x40, 2, 0);
        assertThat(pit.read(0x40, ticks(1))).isEqualTo(2);
        assertThat(pit.takeEdges(ticks(1 + 512 * 4))).isGreaterThanOrEqualTo(4);
    }

    @Test
    @DisplayName("a control word stops the channel until a count is written; a count written while mode 2 counts "
            + "takes effect at the end of the period")
    void shouldStopOnAControlWordAndReloadAtThePeriodsEnd() {
        program(2, 1000, 0);
        pit.takeEdges(ticks(1 + 2500)); // two periods
        pit.write(0x43, 0x34, ticks(1 + 2500));
        assertThat(pit.armed()).isFalse();
        assertThat(pit.nextEdge(ticks(5000))).isEqualTo(-1);
        assertThat(pit.takeEdges(ticks(100_000))).isZero();

        program(2, 1000, 0);
        pit.takeEdges(0);
        pit.write(0x40, 0xF4, ticks(1 + 500)); // 500: low byte ...
        pit.write(0x40, 0x01, ticks(1 + 500)); // ... high byte
        assertThat(readWord(ticks(1 + 700))).as("the old count runs its period out").isEqualTo(300);
        assertThat(pit.nextEdge(ticks(1 + 700))).isEqualTo(ticks(1 + 1000));
        assertThat(pit.takeEdges(ticks(1 + 1000 + 500 * 4))).isEqualTo(1 + 4);
    }

    @Test
    @DisplayName("mode 0 interrupts once on terminal count, then wraps without another edge; modes 1 and 5 wait for "
            + "a GATE edge channel 0 (tied high) never gets")
    void shouldFireOneShotsOnce() {
        program(0, 100, 0);
        assertThat(pit.takeEdges(ticks(1 + 99))).isZero();
        assertThat(pit.takeEdges(ticks(1 + 100))).isEqualTo(1);
        assertThat(pit.takeEdges(ticks(1 + 100_000))).isZero();
        assertThat(pit.nextEdge(ticks(1 + 200))).isEqualTo(-1);
        program(1, 100, 0);
        assertThat(pit.armed()).isFalse();
        assertThat(pit.takeEdges(ticks(100_000))).isZero();
    }

    @Test
    @DisplayName("read-back latches the status byte (OUT, null count, access, mode, BCD) and the count")
    void shouldReadBack() {
        pit.write(0x43, 0x34, 0); // channel 0, word, mode 2: null count until written
        pit.write(0x43, 0xE2, 0); // read-back, status only, channel 0
        assertThat(pit.read(0x40, 0)).isEqualTo(0x80 | 0x40 | 0x30 | 2 << 1);
        pit.write(0x40, 0x10, 0);
        pit.write(0x40, 0x00, 0);
        pit.write(0x43, 0xC2, ticks(1 + 6)); // count and status
        assertThat(pit.read(0x40, ticks(1 + 9)) & 0x40).as("status first; the count is loaded").isZero();
        assertThat(readWord(ticks(1 + 9))).isEqualTo(0x10 - 6);
    }

    @Test
    @DisplayName("a count of 0 is 65536; the command port reads as all ones; ports outside 0x40-0x43 are not the PIT's")
    void shouldTakeTheEdges() {
        program(2, 0, 0);
        assertThat(pit.nextEdge(0)).isEqualTo(ticks(1 + 65536));
        assertThat(pit.read(0x43, 0)).isEqualTo(0xFF);
        assertThat(Pit8254.claims(0x3F)).isFalse();
        assertThat(Pit8254.claims(0x44)).isFalse();
        pit.write(0x44, 0xFF, 0);
        assertThat(pit.read(0x44, 0)).isEqualTo(0xFF);
    }

    /** Channel 2, mode {@code mode}, low then high byte, {@code count}, at {@code now}. */
    private void program2(int mode, int count, long now) {
        pit.write(0x43, 0xB0 | mode << 1, now);
        pit.write(0x42, count & 0xFF, now);
        pit.write(0x42, count >>> 8 & 0xFF, now);
    }

    private int readWord2(long now) {
        int lo = pit.read(0x42, now);
        int hi = pit.read(0x42, now);
        return lo | hi << 8;
    }

    private boolean out2(long now) {
        return (pit.readPortB(now) & 0x20) != 0;
    }

    @Test
    @DisplayName("port B: channel 2's GATE is bit 0, low at reset, so a mode 0 count stands still until it rises; "
            + "then OUT (bit 5) rises at terminal count; bit 1 reads back; channel 0 does not notice")
    void shouldGateChannel2ThroughPortB() {
        assertThat(pit.readPortB(0) & 0x23).isZero();
        program2(0, 100, 0);
        assertThat(readWord2(ticks(5000))).as("GATE low: loaded, not counting").isEqualTo(100);
        assertThat(out2(ticks(5000))).isFalse();
        pit.writePortB(0x03, ticks(5000));
        assertThat(pit.readPortB(ticks(5000)) & 0x03).isEqualTo(0x03);
        assertThat(out2(ticks(5000 + 99))).isFalse();
        assertThat(readWord2(ticks(5000 + 40))).isEqualTo(60);
        assertThat(out2(ticks(5000 + 100))).isTrue();
        // GATE falling stops mode 0 where it is; rising lets it go on from there.
        program2(0, 100, ticks(6000));
        pit.writePortB(0x01, ticks(6000 + 31));
        pit.writePortB(0x00, ticks(6000 + 31));
        assertThat(readWord2(ticks(9000))).isEqualTo(70);
        pit.writePortB(0x01, ticks(9000));
        assertThat(readWord2(ticks(9000 + 20))).isEqualTo(50);
        assertThat(out2(ticks(9000 + 69))).isFalse();
        assertThat(out2(ticks(9000 + 70))).isTrue();
        // Channel 0 (GATE tied high) is not moved by port B.
        program(2, 1193, ticks(10_000));
        pit.writePortB(0x00, ticks(10_000 + 500));
        pit.writePortB(0x01, ticks(10_000 + 600));
        assertThat(pit.takeEdges(ticks(10_000 + 1 + 1193 * 3))).isEqualTo(3);
    }

    @Test
    @DisplayName("channel 2 in mode 3: GATE low holds OUT high and the count; rising reloads the count (a fresh "
            + "period), as the 8254 and Xen's pit_set_gate do")
    void shouldRestartAPeriodicChannelOnARisingGate() {
        pit.writePortB(0x01, 0);
        program2(3, 1000, 0);
        assertThat(readWord2(ticks(1 + 100))).isEqualTo(800);
        pit.writePortB(0x00, ticks(1 + 600));
        assertThat(out2(ticks(1 + 700))).as("GATE low: OUT high").isTrue();
        assertThat(readWord2(ticks(50_000))).isEqualTo(1000 - 2 * (600 % 500));
        pit.writePortB(0x01, ticks(50_000));
        assertThat(readWord2(ticks(50_000 + 1))).as("reloaded").isEqualTo(1000);
        assertThat(out2(ticks(50_000 + 1 + 499))).isTrue();
        assertThat(out2(ticks(50_000 + 1 + 500))).as("the second half of the square wave").isFalse();
    }

    @Test
    @DisplayName("modes 1 and 5 start on a rising GATE: mode 1's OUT is low until terminal count and a new edge "
            + "retriggers it; mode 5 strobes OUT low for one clock; the refresh bit toggles every 2^14 ns")
    void shouldTriggerOneShotsOnAGateEdge() {
        program2(1, 50, 0);
        assertThat(out2(ticks(1000))).as("not triggered: OUT high").isTrue();
        assertThat(readWord2(ticks(1000))).isEqualTo(50);
        pit.writePortB(0x01, ticks(1000));
        assertThat(out2(ticks(1000 + 1 + 49))).isFalse();
        assertThat(out2(ticks(1000 + 1 + 50))).isTrue();
        pit.writePortB(0x00, ticks(2000));
        pit.writePortB(0x01, ticks(2000));
        assertThat(out2(ticks(2000 + 10))).as("retriggered").isFalse();
        assertThat(readWord2(ticks(2000 + 1 + 20))).isEqualTo(30);

        program2(5, 10, ticks(3000));
        pit.writePortB(0x00, ticks(3000));
        pit.writePortB(0x01, ticks(3000));
        assertThat(out2(ticks(3000 + 1 + 9))).isTrue();
        assertThat(out2(ticks(3000 + 1 + 10))).as("the strobe").isFalse();
        assertThat(out2(ticks(3000 + 1 + 11))).isTrue();

        assertThat(pit.readPortB(0) & 0x10).isNotEqualTo(pit.readPortB(1L << 14) & 0x10);
    }

    @Provide
    Arbitrary<int[]> portBytes() {
        return Arbitraries.integers().between(0, 0xFFF).array(int[].class).ofMinSize(1).ofMaxSize(200);
    }

    @Property(tries = 300)
    @Label("hostile port sequences: any byte to any PIT port or port B at any time (forwards or backwards) never throws, edges "
            + "never go negative, and the next edge is -1 or not before now")
    void shouldSurviveHostileSequences(@ForAll("portBytes") int[] ops, @ForAll long seed) {
        Pit8254 p = new Pit8254();
        java.util.Random r = new java.util.Random(seed);
        long now = 0;
        for (int op : ops) {
            now = r.nextInt(8) == 0 ? r.nextLong() : now + r.nextInt(2_000_000);
            int port = 0x40 + (op >>> 8 & 3);
            if ((op & 0x800) != 0) {
                if ((op & 0x400) != 0) {
                    assertThat(p.readPortB(now)).isBetween(0, 0xFF);
                } else {
                    p.writePortB(op & 0xFF, now);
                }
            } else if ((op & 0x400) != 0) {
                p.read(port, now);
            } else {
                p.write(port, op & 0xFF, now);
            }
            assertThat(p.takeEdges(now)).isNotNegative();
            long next = p.nextEdge(now);
            assertThat(next == -1 || next > now).as("next edge %d at %d", next, now).isTrue();
            assertThat(p.read(0x40 + r.nextInt(3), now)).isBetween(0, 0xFF);
        }
    }
}
