package org.parasol.hypervisor.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class Pic8259Test {
    private Pic8259 pic;

    /** What a PC's BIOS (and Linux's init_8259A) does: vectors 0x20 and 0x28, cascade on IR2, 8086 mode. */
    private static Pic8259 programmed(int masterImr, int slaveImr) {
        Pic8259 p = new Pic8259();
        p.write(0x20, 0x11); // ICW1: edge, cascade, ICW4 needed
        p.write(0x21, 0x20); // ICW2: vector base
        p.write(0x21, 0x04); // ICW3: slave on IR2
        p.write(0x21, 0x01); // ICW4: 8086
        p.write(0xA0, 0x11);
        p.write(0xA1, 0x28);
        p.write(0xA1, 0x02);
        p.write(0xA1, 0x01);
        p.write(0x21, masterImr);
        p.write(0xA1, slaveImr);
        return p;
    }

    @BeforeEach
    void init() {
        pic = programmed(0x00, 0x00);
    }

    @Test
    @DisplayName("before initialization every line is masked: a raised IRQ is latched in IRR but not delivered")
    void shouldStartMasked() {
        Pic8259 p = new Pic8259();
        p.setIrq(4, true);
        assertThat(p.pending()).isFalse();
        assertThat(p.imr()).isEqualTo(0xFFFF);
        assertThat(p.irr() & 1 << 4).isNotZero();
    }

    @Test
    @DisplayName("an edge on IR4 gives vector 0x24 at INTA, sets ISR and clears IRR; EOI clears ISR")
    void shouldDeliverAndEndAnInterrupt() {
        pic.setIrq(4, true);
        assertThat(pic.pending()).isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x24);
        assertThat(pic.isr()).isEqualTo(1 << 4);
        assertThat(pic.irr() & 1 << 4).isZero();
        assertThat(pic.pending()).isFalse();
        pic.setIrq(4, true); // still high: no new edge
        assertThat(pic.pending()).isFalse();
        pic.write(0x20, 0x20); // non-specific EOI
        assertThat(pic.isr()).isZero();
    }

    @Test
    @DisplayName("IRQ 14 arrives through the slave and the master's IR2: vector 0x2E, in service on both chips")
    void shouldCascadeTheSlave() {
        pic.setIrq(14, true);
        assertThat(pic.pending()).isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x2E);
        assertThat(pic.isr()).isEqualTo(1 << 14 | 1 << 2);
        pic.write(0xA0, 0x20);
        pic.write(0x20, 0x20);
        assertThat(pic.isr()).isZero();
    }

    @Test
    @DisplayName("fully nested: while IR3 is in service IR5 waits and IR1 gets through; EOI of IR3 lets IR5 in")
    void shouldNestByPriority() {
        pic.setIrq(3, true);
        assertThat(pic.acknowledge()).isEqualTo(0x23);
        pic.setIrq(5, true);
        assertThat(pic.pending()).isFalse();
        pic.setIrq(1, true);
        assertThat(pic.pending()).isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x21);
        pic.write(0x20, 0x20); // ends IR1, the highest in service
        assertThat(pic.pending()).isFalse();
        pic.write(0x20, 0x63); // specific EOI of IR3
        assertThat(pic.acknowledge()).isEqualTo(0x25);
    }

    @Test
    @DisplayName("OCW1 masks a line; OCW3 selects IRR or ISR for the command port read")
    void shouldMaskAndReadRegisters() {
        pic.write(0x21, 1 << 6);
        pic.setIrq(6, true);
        assertThat(pic.pending()).isFalse();
        assertThat(pic.read(0x21)).isEqualTo(1 << 6);
        pic.write(0x20, 0x0A); // OCW3: read IRR
        assertThat(pic.read(0x20)).isEqualTo(1 << 6);
        pic.write(0x21, 0);
        pic.acknowledge();
        pic.write(0x20, 0x0B); // OCW3: read ISR
        assertThat(pic.read(0x20)).isEqualTo(1 << 6);
    }

    @Test
    @DisplayName("an INTA with nothing to give is the spurious IR7 vector, with no ISR bit set")
    void shouldAnswerSpuriously() {
        assertThat(pic.acknowledge()).isEqualTo(0x27);
        assertThat(pic.isr()).isZero();
    }

    @Test
    @DisplayName("auto-EOI (ICW4 bit 1) leaves nothing in service; the poll command (OCW3) acknowledges by reading")
    void shouldAutoEoiAndPoll() {
        Pic8259 p = new Pic8259();
        p.write(0x20, 0x13); // single, ICW4
        p.write(0x21, 0x40);
        p.write(0x21, 0x03); // AEOI, 8086
        p.write(0x21, 0x00);
        p.setIrq(0, true);
        assertThat(p.acknowledge()).isEqualTo(0x40);
        assertThat(p.isr()).isZero();
        p.setIrq(0, false);
        p.setIrq(5, true);
        p.write(0x20, 0x0C); // OCW3: poll
        assertThat(p.read(0x20)).isEqualTo(0x80 | 5);
    }

    @Test
    @DisplayName("level-triggered mode (ICW1's LTIM) follows the line: lowered before INTA, nothing is delivered")
    void shouldFollowALevel() {
        Pic8259 p = new Pic8259();
        p.write(0x20, 0x19); // level, ICW4
        p.write(0x21, 0x20);
        p.write(0x21, 0x04);
        p.write(0x21, 0x01);
        p.write(0x21, 0x00);
        p.setIrq(1, true);
        assertThat(p.pending()).isTrue();
        p.setIrq(1, false);
        assertThat(p.pending()).isFalse();
    }

    @Property(tries = 300)
    @Label("a hostile guest may write any byte to the four ports in any order and raise any line: nothing throws, "
            + "every vector is a byte, and the registers stay bytes")
    void shouldSurviveHostileSequences(@ForAll("ops") java.util.List<Integer> ops) {
        Pic8259 p = new Pic8259();
        int[] ports = {0x20, 0x21, 0xA0, 0xA1};
        for (int op : ops) {
            int kind = op >>> 16 & 3;
            switch (kind) {
                case 0 -> p.write(ports[op >>> 8 & 3], op & 0xFF);
                case 1 -> assertThat(p.read(ports[op >>> 8 & 3])).isBetween(0, 0xFF);
                case 2 -> p.setIrq(op >>> 8 & 0x1F, (op & 1) != 0);
                default -> {
                    if (p.pending()) {
                        assertThat(p.acknowledge()).isBetween(0, 0xFF);
                    }
                }
            }
        }
        assertThat(p.imr()).isBetween(0, 0xFFFF);
        assertThat(p.isr()).isBetween(0, 0xFFFF);
    }

    @Provide
    Arbitrary<java.util.List<Integer>> ops() {
        return Arbitraries.integers().between(0, (1 << 18) - 1).list().ofMaxSize(400);
    }
}
