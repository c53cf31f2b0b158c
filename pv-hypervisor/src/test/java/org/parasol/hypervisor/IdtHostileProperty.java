package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.x86.Registers.RAX;
import static org.parasol.hypercall.x86.Registers.RDI;
import static org.parasol.hypercall.x86.Registers.RSI;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.x86.Encoder;
import org.parasol.hypercall.x86.Instruction;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * A hostile native kernel's IDT: random gates (valid ones with one field spoiled, random bytes,
 * zeros) at the vectors delivery can reach, a random limit and base; then a page fault and an
 * interrupt from the 8259 pair. The hypervisor throws nothing of its own, a bystander runs on,
 * and the page fault reaches gate 14's handler exactly when an independent reading of that gate
 * says the CPU would use it.
 */
class IdtHostileProperty {
    private static final LeakCheck LEAKS = new LeakCheck();
    private static Hypervisor hv;
    private static BareGuest bystander;
    private static int created;

    /** The vectors a #PF, an IRQ 4 and the faults on their way can reach. */
    static final int[] VECTORS = {8, 11, 13, 14, 0x24};

    @BeforeContainer
    static void boot() throws Exception {
        hv = LEAKS.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
        bystander = IdtTest.guest(hv, "bystander", Virtualization.TRAP);
    }

    @AfterContainer
    static void close() {
        hv.close();
        LEAKS.verify();
    }

    /** How one gate is made: 0 valid, 1 valid with one field spoiled, 2 random, 3 zero. */
    record Gate(int kind, int field, long lo, long hi) {
    }

    record Idt(List<Gate> gates, int limit, int baseKind, long randomBase) {
    }

    @Provide
    Arbitrary<Idt> idts() {
        Arbitrary<Gate> gate = Combinators.combine(Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 5), Arbitraries.longs(), Arbitraries.longs()).as(Gate::new);
        Arbitrary<Integer> limit = Arbitraries.oneOf(Arbitraries.of(0, 7, 0x87, 14 * 16 + 14, 14 * 16 + 15, 0x24 * 16 + 15,
                0x2FF, 0xFFF, 0xFFFF), Arbitraries.integers().between(0, 0xFFFF));
        return Combinators.combine(gate.list().ofSize(VECTORS.length), limit, Arbitraries.integers().between(0, 9),
                Arbitraries.longs()).as(Idt::new);
    }

    @Property(tries = 60)
    @Label("random IDT contents and limits never throw in the hypervisor, crash only the guest, and gate 14 is used "
            + "exactly when it is a usable gate")
    void shouldContainHostileIdts(@ForAll("idts") Idt idt) throws Exception {
        BareGuest g = IdtTest.guest(hv, "hostile" + created++, Virtualization.TRAP);
        try {
            List<Integer> seen = new ArrayList<>();
            TrapHandler h = (cpu, vector, errorCode, address) -> seen.add(vector);
            long handler = g.cpu.registerCode(h);
            long base = idt.baseKind() == 0 ? idt.randomBase() : idt.baseKind() == 1 ? IdtTest.UNMAPPED : IdtTest.idt(g);
            for (int i = 0; i < VECTORS.length; i++) {
                Gate gt = idt.gates().get(i);
                long at = IdtTest.idt(g) + 16L * VECTORS[i];
                long lo = handler & 0xFFFFL | 0x10L << 16 | 0x8EL << 40 | (handler >>> 16 & 0xFFFFL) << 48;
                long hi = handler >>> 32;
                switch (gt.kind()) {
                    case 1 -> {
                        switch (gt.field()) {
                            case 0 -> lo &= ~(0x80L << 40); // not present
                            case 1 -> lo = lo & ~(0x1FL << 40) | (gt.lo() & 0x1FL) << 40; // any type
                            case 2 -> lo &= ~(0xFFFFL << 16); // null selector
                            case 3 -> hi = gt.hi(); // the upper half: target 63:32 and reserved bits
                            case 4 -> lo ^= 1L << (gt.hi() & 63); // one bit flipped
                            default -> lo = lo & ~(7L << 32) | (gt.lo() & 7) << 32; // an IST, ignored
                        }
                    }
                    case 2 -> {
                        lo = gt.lo();
                        hi = gt.hi();
                    }
                    case 3 -> {
                        lo = 0;
                        hi = 0;
                    }
                    default -> {
                    }
                }
                g.mem.putLong(at, lo);
                g.mem.putLong(at + 8, hi);
            }
            boolean loaded = false;
            boolean usable = false;
            try {
                g.mem.putShort(IdtTest.descriptor(g), (short) idt.limit());
                g.mem.putLong(IdtTest.descriptor(g) + 2, base);
                g.cpu.registers().set(RDI, IdtTest.descriptor(g));
                byte[] l = buf();
                exec(g, Encoder.lidt(l, 0, RDI, Instruction.NONE, 1, 0), 0, 1, l);
                loaded = true;
                usable = usable(g, base, idt.limit(), 14, handler);
                // A store to an unmapped page: the #PF is delivered with IF set before it (sti).
                byte[] b = buf();
                int n = Encoder.sti(b, 0);
                n += Encoder.movStore(b, n, 8, RDI, Instruction.NONE, 1, 0, RSI);
                g.cpu.registers().set(RDI, IdtTest.UNMAPPED);
                exec(g, n, 0x40, 2, b);
                if (!usable) {
                    assertThat(seen).as("a refused #PF gate: #DF, or a contributory fault's gate").isNotEmpty()
                            .allMatch(v -> v == 8 || v == 11 || v == 13 || v == 14);
                }
                Statistics.label("#PF").collect(usable ? "through gate 14" : "through another gate");
                // IRQ 4 from the 8259 pair.
                var pic = g.domain.pic();
                int[][] init = {{0x20, 0x11}, {0x21, 0x20}, {0x21, 4}, {0x21, 1}, {0xA0, 0x11}, {0xA1, 0x28}, {0xA1, 2},
                    {0xA1, 1}, {0x21, 0xEF}, {0xA1, 0xFF}};
                for (int[] w : init) {
                    pic.write(w[0], w[1]);
                }
                pic.setIrq(4, true);
                n = Encoder.sti(b, 0);
                n += Encoder.cpuid(b, n);
                g.cpu.registers().set(RAX, 0);
                exec(g, n, 0x80, 2, b);
                Statistics.label("ended").collect("no");
            } catch (GuestAbort ended) {
                Statistics.label("ended").collect(loaded ? "while delivering" : "at lidt");
                assertThat(g.domain.state()).isEqualTo(DomainState.SHUTDOWN);
                assertThat(g.domain.crashCause()).containsAnyOf("triple fault", "no code", "non-canonical",
                        "inside the page-fault handler");
            }
            assertThat(count(seen, 14)).as("gate 14 used").isEqualTo(usable ? 1 : 0);
            assertThat(hv.unhandledExceptions()).isZero();
            assertThat(bystander.domain.state()).isNotEqualTo(DomainState.SHUTDOWN);
        } finally {
            hv.destroy(g.domain);
        }
    }

    private static byte[] buf() {
        return new byte[32];
    }

    private static void exec(BareGuest g, int n, int off, int count, byte[] b) {
        for (int i = 0; i < n; i++) {
            g.mem.putByte(g.scratch + off + i, b[i]);
        }
        g.cpu.registers().rip(g.scratch + off);
        g.cpu.execute(count);
    }

    private static int count(List<Integer> seen, int vector) {
        return (int) seen.stream().filter(v -> v == vector).count();
    }

    /** The SDM's reading of gate {@code vector}: within the limit, an interrupt or trap gate, present, a selector, a canonical target that is the handler. */
    private static boolean usable(BareGuest g, long base, int limit, int vector, long handler) {
        if (vector * 16 + 15 > limit || base != IdtTest.idt(g)) {
            return false;
        }
        long lo = g.mem.getLong(base + 16L * vector);
        long hi = g.mem.getLong(base + 16L * vector + 8);
        int type = (int) (lo >>> 40) & 0x1F;
        boolean present = (lo >>> 47 & 1) != 0;
        int selector = (int) (lo >>> 16) & 0xFFFF;
        long target = lo & 0xFFFFL | (lo >>> 48 & 0xFFFFL) << 16 | (hi & 0xFFFF_FFFFL) << 32;
        return (type == 0xE || type == 0xF) && (hi >>> 40 & 0x1F) == 0 && present && (selector & 0xFFFC) != 0
                && target == handler;
    }
}
