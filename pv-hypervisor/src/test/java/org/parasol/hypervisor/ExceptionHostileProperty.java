package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.x86.Registers.RAX;
import static org.parasol.hypercall.x86.Registers.RCX;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.x86.Encoder;
import org.parasol.hypercall.x86.Registers;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * A hostile native kernel raising exceptions: a random faulting instruction (ud2, random bytes,
 * rdmsr or wrmsr of a random MSR, mov to cr3 of a random value, an instruction over 15 bytes)
 * under a random configuration, with random gates at the vectors its delivery can reach and a
 * random IDT limit, and a handler that may move its frame's rip anywhere. The hypervisor throws
 * nothing of its own, only that domain may end, a bystander runs on, and the exception reaches
 * its own gate exactly when an independent reading of the gate says the CPU would use it.
 */
class ExceptionHostileProperty {
    private static final LeakCheck LEAKS = new LeakCheck();
    private static Hypervisor hv;
    private static BareGuest bystander;
    private static int created;

    /** The vectors a #UD or #GP and the faults on their way can reach. */
    static final int[] VECTORS = {6, 8, 11, 13};

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

    /** How one gate is made: 0 valid, 1 not present, 2 random, 3 zero. */
    record Gate(int kind, long lo, long hi) {
    }

    /** The faulting instruction: 0 ud2, 1 random bytes, 2 rdmsr, 3 wrmsr, 4 mov cr3, 5 over 15 bytes. */
    record Fault(int source, long value, byte[] bytes, Virtualization virt, List<Gate> gates, int limit,
            boolean moveRip, long newRip) {
    }

    @Provide
    Arbitrary<Fault> faults() {
        Arbitrary<Gate> gate = Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.longs(),
                Arbitraries.longs()).as(Gate::new);
        Arbitrary<Integer> limit = Arbitraries.oneOf(Arbitraries.of(0x2FF, 0x2FF, 6 * 16 + 15, 13 * 16 + 14, 0xFFFF),
                Arbitraries.integers().between(0, 0xFFFF));
        return Combinators.combine(Arbitraries.integers().between(0, 5), Arbitraries.longs(),
                Arbitraries.bytes().array(byte[].class).ofSize(16),
                Arbitraries.of(Virtualization.TRAP, Virtualization.BT, Virtualization.BARE),
                gate.list().ofSize(VECTORS.length), limit, Arbitraries.of(false, true), Arbitraries.longs())
                .as(Fault::new);
    }

    @Property(tries = 60)
    @Label("random exceptions under random IDTs never throw in the hypervisor, end at most that domain, and reach "
            + "their own gate exactly when it is usable")
    void shouldContainHostileExceptions(@ForAll("faults") Fault f) throws Exception {
        BareGuest g = IdtTest.guest(hv, "hostile" + created++, f.virt());
        try {
            List<Integer> seen = new ArrayList<>();
            TrapHandler h = (cpu, vector, errorCode, address) -> {
                seen.add(vector);
                if (f.moveRip()) {
                    cpu.setFrameRip(f.newRip());
                }
            };
            long handler = g.cpu.registerCode(h);
            for (int i = 0; i < VECTORS.length; i++) {
                Gate gt = f.gates().get(i);
                long lo = handler & 0xFFFFL | 0x10L << 16 | 0x8EL << 40 | (handler >>> 16 & 0xFFFFL) << 48;
                long hi = handler >>> 32;
                switch (gt.kind()) {
                    case 1 -> lo &= ~(0x80L << 40);
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
                long at = IdtTest.idt(g) + 16L * VECTORS[i];
                g.mem.putLong(at, lo);
                g.mem.putLong(at + 8, hi);
            }
            ExceptionDeliveryTest.lidt(g, f.limit());
            byte[] b = new byte[32];
            int n;
            int expected;
            switch (f.source()) {
                case 0 -> {
                    n = Encoder.ud2(b, 0);
                    expected = 6;
                }
                case 1 -> {
                    System.arraycopy(f.bytes(), 0, b, 0, 16);
                    n = 16;
                    expected = -1; // random bytes may be an instruction of the subset
                }
                case 2, 3 -> {
                    int msr = (int) f.value();
                    // What the model has: the TSC and APIC base read-only, the timer's two read-write.
                    boolean known = msr == 0x6E0 || msr == 0x832 || f.source() == 2 && (msr == 0x10 || msr == 0x1B);
                    g.cpu.registers().set(RCX, f.value());
                    g.cpu.registers().set(RAX, 0);
                    n = f.source() == 2 ? Encoder.rdmsr(b, 0) : Encoder.wrmsr(b, 0);
                    expected = known ? -1 : 13;
                }
                case 4 -> {
                    g.cpu.registers().set(RAX, f.value());
                    n = Encoder.movToCr(b, 0, Registers.CR3, RAX);
                    expected = -1; // a random value may name the current L4
                }
                default -> {
                    for (int i = 0; i < 15; i++) {
                        b[i] = 0x66;
                    }
                    b[15] = (byte) 0x90;
                    n = 16;
                    expected = 13;
                }
            }
            boolean usable = expected >= 0 && usable(g, f.limit(), expected, handler);
            try {
                ExceptionDeliveryTest.exec(g, b, n, 0x40, 1);
                Statistics.label("ended").collect("no");
            } catch (GuestAbort ended) {
                Statistics.label("ended").collect("yes");
                assertThat(g.domain.state()).isEqualTo(DomainState.SHUTDOWN);
                assertThat(g.domain.crashCause()).containsAnyOf("triple fault", "no code", "#UD", "#GP", "nested",
                        "hlt with interrupts disabled", "not emulated", "page fault", "inside the page-fault handler");
            }
            if (expected >= 0) {
                assertThat(seen.contains(expected)).as("gate %d used", expected).isEqualTo(usable);
                Statistics.label("through its own gate").collect(usable);
            }
            assertThat(hv.unhandledExceptions()).isZero();
            assertThat(bystander.domain.state()).isNotEqualTo(DomainState.SHUTDOWN);
        } finally {
            hv.destroy(g.domain);
        }
    }

    /** The SDM's reading of gate {@code vector}: within the limit, an interrupt or trap gate, present, a selector, a canonical target that is the handler. */
    private static boolean usable(BareGuest g, int limit, int vector, long handler) {
        if (vector * 16 + 15 > limit) {
            return false;
        }
        long lo = g.mem.getLong(IdtTest.idt(g) + 16L * vector);
        long hi = g.mem.getLong(IdtTest.idt(g) + 16L * vector + 8);
        int type = (int) (lo >>> 40) & 0x1F;
        boolean present = (lo >>> 47 & 1) != 0;
        int selector = (int) (lo >>> 16) & 0xFFFF;
        long target = lo & 0xFFFFL | (lo >>> 48 & 0xFFFFL) << 16 | (hi & 0xFFFF_FFFFL) << 32;
        return (type == 0xE || type == 0xF) && (hi >>> 40 & 0x1F) == 0 && present && (selector & 0xFFFC) != 0
                && target == handler;
    }
}
