package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.time.ManualClock;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * "We can't trust the guest": random hypercalls — random numbers, sub-ops, arguments and
 * pointers — from a hostile domain at victims of 1 MiB. The hypervisor never throws, every
 * call returns a valid result or -errno, and the victims' memory is unchanged.
 *
 * <p>CI runs about 200 tries of 200 calls. {@code -Dparasol.hostile.calls=10000000} runs the
 * long version: that many calls in total, spread over tries of 10 000.
 */
class HostileHypercallProperty {
    private static final long LONG_RUN = Long.getLong("parasol.hostile.calls", 0);
    /** Hypercalls that may stop their caller: shutdown, vCPU down, or a multicall of them. */
    private static final Set<Integer> STOPPING =
            Set.of(Hypercall.SCHED_OP, Hypercall.VCPU_OP, Hypercall.MULTICALL);
    /** jqwik runs no JUnit extension: the container checks for leaks itself once it closed the host. */
    private static final LeakCheck LEAKS = new LeakCheck();
    private static Hypervisor hv;
    private static Domain victimA;
    private static Domain victimB;

    @BeforeContainer
    static void boot() throws Exception {
        hv = LEAKS.track(Hypervisor.boot(HostConfig.defaults(32L << 20).withClock(new ManualClock()).withPcpus(1)));
        victimA = hv.createBareDomain(DomainConfig.of("victim-a", null, 1));
        victimB = hv.createBareDomain(DomainConfig.of("victim-b", null, 1));
    }

    @AfterContainer
    static void close() {
        hv.close();
        LEAKS.verify();
    }

    /** A checksum of every frame a victim owns, and of its shared_info page. */
    private static long checksum(Domain d) {
        CRC32C crc = new CRC32C();
        MemorySegment mem = hv.machine().segment();
        for (long mfn = 0; mfn < hv.frames().frameCount(); mfn++) {
            if (hv.frames().owner(mfn) == d.domid() || mfn == d.sharedInfoMfn()) {
                crc.update(mem.asSlice(MachineMemory.maddr(mfn), MachineMemory.PAGE_SIZE).asByteBuffer());
                crc.update((int) mfn);
            }
        }
        return crc.getValue();
    }

    record Call(int nr, long a1, long a2, long a3, long a4, long a5) {
    }

    @Provide
    Arbitrary<List<Call>> calls() {
        int perTry = LONG_RUN > 0 ? 10_000 : 200;
        return call().list().ofSize(perTry);
    }

    private Arbitrary<Call> call() {
        Arbitrary<Integer> nr = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, Arbitraries.integers().between(0, 55)),
                net.jqwik.api.Tuple.of(6, Arbitraries.of(Hypercall.SCHED_OP, Hypercall.VCPU_OP, Hypercall.MEMORY_OP,
                        Hypercall.EVENT_CHANNEL_OP, Hypercall.MULTICALL, Hypercall.CONSOLE_IO, Hypercall.XEN_VERSION,
                        Hypercall.SET_TRAP_TABLE, Hypercall.CALLBACK_OP, Hypercall.SET_CALLBACKS, Hypercall.VM_ASSIST,
                        Hypercall.MMU_UPDATE, Hypercall.MMUEXT_OP, Hypercall.UPDATE_VA_MAPPING, Hypercall.GRANT_TABLE_OP)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers()));
        Arbitrary<Long> arg = argument();
        return Combinators.combine(nr, arg, arg, arg, arg, arg).as(Call::new);
    }

    /** Interesting register values: small sub-ops, pointers into and around the guest, victims' ids and frames. */
    private Arbitrary<Long> argument() {
        long victimMaddr = MachineMemory.maddr(victimA.layout().l4Mfn());
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.longs().between(-2, 40)),
                net.jqwik.api.Tuple.of(5, Arbitraries.longs().between(0x40_0000L, 0x50_0000L)),
                net.jqwik.api.Tuple.of(2, Arbitraries.longs().between(0x20_0000L, 0x20_1000L)),
                net.jqwik.api.Tuple.of(2, Arbitraries.of(0L, 0x7FF0L, (long) victimA.domid(), (long) victimB.domid(),
                        0x7FF4L, 0xFFFFL, victimMaddr, victimA.layout().l4Mfn(), Long.MIN_VALUE, Long.MAX_VALUE,
                        -1L, 0xFFFF_8000_0000_0000L, 0x0000_7FFF_FFFF_F000L, 1L << 47, 0xFFFF_FFFF_C000_0010L)),
                net.jqwik.api.Tuple.of(2, Arbitraries.longs()));
    }

    @Property(tries = 200, shrinking = ShrinkingMode.BOUNDED)
    void hostileHypercallsNeverThrowAndNeverTouchOtherDomains(@ForAll("calls") List<Call> calls) throws Exception {
        long a = checksum(victimA);
        long b = checksum(victimB);
        long runs = LONG_RUN > 0 ? Math.max(1, LONG_RUN / calls.size() / 200) : 1;
        for (long r = 0; r < runs; r++) {
            BareGuest hostile = BareGuest.create(hv, "hostile", 1024);
            try {
                for (Call c : calls) {
                    long rc;
                    try {
                        rc = hostile.cpu.hypercall(c.nr, c.a1, c.a2, c.a3, c.a4, c.a5);
                    } catch (GuestAbort abort) {
                        // The hostile domain shut itself down, took its vCPU down, or its own watchdog
                        // fired: a legal end. Only a call that asks for it may end the caller, and never
                        // through a fault of the host.
                        String cause = hostile.domain.crashCause();
                        boolean watchdog = cause != null && cause.startsWith("watchdog ");
                        assertThat(watchdog || STOPPING.contains(c.nr)).as("%s ended its caller (%s)", c, cause).isTrue();
                        assertThat(cause == null || watchdog || cause.equals("the guest reported a crash"))
                                .as("why %s ended the caller: %s", c, cause).isTrue();
                        hv.destroy(hostile.domain);
                        hostile = BareGuest.create(hv, "hostile", 1024);
                        continue;
                    }
                    assertThat(rc).as("%s", c).satisfiesAnyOf(
                            x -> assertThat(x).isGreaterThanOrEqualTo(0),
                            x -> assertThat(org.parasol.hypercall.Errno.name(x)).isNotNull());
                    assertThat(hv.unhandledExceptions()).as("exception at the dispatch boundary after %s", c).isZero();
                }
            } finally {
                hv.destroy(hostile.domain);
            }
        }
        assertThat(victimA.mayRun()).isTrue();
        assertThat(victimB.mayRun()).isTrue();
        assertThat(checksum(victimA)).as("victim A's memory").isEqualTo(a);
        assertThat(checksum(victimB)).as("victim B's memory").isEqualTo(b);
    }
}
