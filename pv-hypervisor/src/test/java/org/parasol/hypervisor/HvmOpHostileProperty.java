package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.HvmOp;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * Random {@code hvm_op} calls from a PV and a native guest: any command, domain id, index, value
 * and argument address. The hypervisor never throws, a PV domain never gets an HVM parameter,
 * nothing a guest sets reaches another domain, and the callback vector is exactly what a
 * successful set of {@code HVM_PARAM_CALLBACK_IRQ} of type vector said.
 */
class HvmOpHostileProperty {
    private static final LeakCheck LEAKS = new LeakCheck();
    private static Hypervisor hv;
    private static BareGuest pv;
    private static BareGuest trap;
    private static BareGuest bystander;

    @BeforeContainer
    static void boot() throws Exception {
        hv = LEAKS.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
        pv = BareGuest.create(hv, "pv", 8192);
        trap = IdtTest.guest(hv, "trap", Virtualization.TRAP);
        bystander = IdtTest.guest(hv, "bystander", Virtualization.BT);
    }

    @AfterContainer
    static void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
        LEAKS.verify();
    }

    @Provide
    Arbitrary<Long> commands() {
        return Arbitraries.oneOf(Arbitraries.of(0L, 0L, 0L, 1L, 1L, 2L, 0xFFFF_FFFFL), Arbitraries.longs());
    }

    @Provide
    Arbitrary<Integer> domids() {
        return Arbitraries.oneOf(Arbitraries.of(DomId.DOMID_SELF, DomId.DOMID_SELF, 1, 2, 3, 0x7FF1, 0xFFFF),
                Arbitraries.integers().between(0, 0xFFFF));
    }

    @Provide
    Arbitrary<Long> indexes() {
        return Arbitraries.oneOf(Arbitraries.longs().between(0, 40), Arbitraries.of(0L, 0L, 0xFFFF_FFFFL, 39L),
                Arbitraries.longs().between(0, 0xFFFF_FFFFL));
    }

    @Provide
    Arbitrary<Long> values() {
        return Arbitraries.oneOf(Arbitraries.integers().between(0, 255).map(v -> HvmOp.callbackVia(v)),
                Arbitraries.of(0L, 2L << 56, 3L << 56, -1L), Arbitraries.longs());
    }

    @Provide
    Arbitrary<Integer> addresses() {
        return Arbitraries.integers().between(0, 4);
    }

    @Property(tries = 400, shrinking = ShrinkingMode.OFF)
    @Label("random hvm_op calls never throw, never give a PV domain a parameter, never touch a bystander")
    void shouldContainRandomHvmOps(@ForAll("commands") long cmd, @ForAll("domids") int domid,
            @ForAll("indexes") long index, @ForAll("values") long value, @ForAll("addresses") int where,
            @ForAll boolean fromPv) {
        BareGuest g = fromPv ? pv : trap;
        long before = trap.domain.callbackVector();
        long bystanderParam = bystander.domain.hvmParam(HvmOp.PARAM_CALLBACK_IRQ);
        long rc;
        if (where == 0) {
            rc = HvmOpTest.call(g, cmd, domid, index, value);
        } else {
            long[] bad = {0, 0x0000_4000_0000_0000L, -1L, g.scratch + 4096 - 8};
            rc = g.call(Hypercall.HVM_OP, cmd, bad[where - 1]);
        }
        assertThat(rc).isLessThanOrEqualTo(0);
        assertThat(pv.domain.callbackVector()).isEqualTo(-1);
        for (int i = 0; i < HvmOp.NR_PARAMS; i++) {
            assertThat(pv.domain.hvmParam(i)).isZero();
        }
        assertThat(bystander.domain.hvmParam(HvmOp.PARAM_CALLBACK_IRQ)).isEqualTo(bystanderParam);
        assertThat(bystander.domain.state()).isEqualTo(DomainState.RUNNING);
        boolean setsOwnCallback = where == 0 && !fromPv && rc == 0 && cmd == HvmOp.SET_PARAM
                && index == HvmOp.PARAM_CALLBACK_IRQ;
        if (setsOwnCallback) {
            assertThat(trap.domain.callbackVector()).isEqualTo(value >>> 56 == 2 ? (int) (value & 0xFF) : -1);
        } else {
            assertThat(trap.domain.callbackVector()).isEqualTo(before);
        }
        assertThat(hv.unhandledExceptions()).isZero();
    }
}
