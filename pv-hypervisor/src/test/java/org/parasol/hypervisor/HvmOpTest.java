package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.Errno.EEXIST;
import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.HvmOp;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.HvmOpCalls;
import org.parasol.hypercall.struct.XenHvmParam;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * {@code hvm_op} (34): {@code HVMOP_set_param} and {@code HVMOP_get_param} with Xen's checks in
 * Xen's order ({@code hvmop_set_param}, {@code hvm_allow_set_param}, {@code hvm_allow_get_param}).
 */
class HvmOpTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private Hypervisor hv;
    private BareGuest trap;
    private BareGuest pv;

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
        trap = IdtTest.guest(hv, "trap", Virtualization.TRAP);
        pv = BareGuest.create(hv, "pv", 8192);
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    /** The raw call: xen_hvm_param {domid, index, value} at scratch, then hvm_op(cmd, scratch). */
    static long call(BareGuest g, long cmd, int domid, long index, long value) {
        new XenHvmParam().wrap(new org.parasol.hypercall.GuestMemoryBuffer(g.mem, g.scratch, XenHvmParam.SIZE), 0)
                .clear().domid(domid).index(index).value(value);
        return g.call(Hypercall.HVM_OP, cmd, g.scratch);
    }

    static long valueAt(BareGuest g) {
        return g.mem.getLong(g.scratch + XenHvmParam.VALUE_OFFSET);
    }

    @Test
    @DisplayName("a native (CDF_hvm) domain sets HVM_PARAM_CALLBACK_IRQ to 2 << 56 | vector and reads it back; the "
            + "vector is what upcalls are delivered at")
    void shouldSetAndGetTheCallbackVia() {
        HvmOpCalls calls = new HvmOpCalls(trap.cpu, new ArgumentPage(trap.scratch2));
        assertThat(calls.setParam(HvmOp.PARAM_CALLBACK_IRQ, HvmOp.callbackVia(0xF3))).isZero();
        assertThat(calls.getParam(HvmOp.PARAM_CALLBACK_IRQ)).isEqualTo(2L << 56 | 0xF3);
        assertThat(trap.domain.callbackVector()).isEqualTo(0xF3);
        // A GSI (there is no I/O APIC) or an unknown type: stored, as Xen, but no vector.
        assertThat(calls.setParam(HvmOp.PARAM_CALLBACK_IRQ, 5)).isZero();
        assertThat(trap.domain.callbackVector()).isEqualTo(-1);
        assertThat(calls.setParam(HvmOp.PARAM_CALLBACK_IRQ, 7L << 56 | 0xF3)).isZero();
        assertThat(trap.domain.callbackVector()).isEqualTo(-1);
        assertThat(calls.getParam(HvmOp.PARAM_CALLBACK_IRQ)).isEqualTo(7L << 56 | 0xF3);
    }

    @Test
    @DisplayName("a PV domain is not an HVM domain: -EINVAL for set and get, its own or with DOMID_SELF")
    void shouldRefusePvDomains() {
        assertThat(call(pv, HvmOp.SET_PARAM, DomId.DOMID_SELF, HvmOp.PARAM_CALLBACK_IRQ, HvmOp.callbackVia(0xF3)))
                .isEqualTo(-EINVAL);
        assertThat(call(pv, HvmOp.SET_PARAM, pv.domain.domid(), HvmOp.PARAM_CALLBACK_IRQ, 0)).isEqualTo(-EINVAL);
        assertThat(call(pv, HvmOp.GET_PARAM, DomId.DOMID_SELF, HvmOp.PARAM_CALLBACK_IRQ, 0)).isEqualTo(-EINVAL);
        assertThat(pv.domain.callbackVector()).isEqualTo(-1);
        assertThat(pv.domain.hvmParam(HvmOp.PARAM_CALLBACK_IRQ)).isZero();
    }

    @Test
    @DisplayName("Xen's order: -EFAULT, then index >= HVM_NR_PARAMS -EINVAL, then -ESRCH, then not HVM -EINVAL, then "
            + "XSM_TARGET -EPERM")
    void shouldCheckInXensOrder() throws Exception {
        assertThat(trap.call(Hypercall.HVM_OP, HvmOp.SET_PARAM, 0)).isEqualTo(-EFAULT);
        assertThat(trap.call(Hypercall.HVM_OP, HvmOp.GET_PARAM, 0x0000_4000_0000_0000L)).isEqualTo(-EFAULT);
        assertThat(call(trap, HvmOp.SET_PARAM, 0x7FEF, HvmOp.NR_PARAMS, 0)).as("the index first").isEqualTo(-EINVAL);
        assertThat(call(trap, HvmOp.SET_PARAM, DomId.DOMID_SELF, 0xFFFF_FFFFL, 0)).isEqualTo(-EINVAL);
        assertThat(call(trap, HvmOp.SET_PARAM, 0x7FEF, HvmOp.PARAM_CALLBACK_IRQ, 0)).isEqualTo(-ESRCH);
        assertThat(call(trap, HvmOp.SET_PARAM, pv.domain.domid(), HvmOp.PARAM_CALLBACK_IRQ, 0))
                .as("another domain that is not HVM: -EINVAL before the permission").isEqualTo(-EINVAL);
        BareGuest other = IdtTest.guest(hv, "other", Virtualization.BARE);
        assertThat(call(trap, HvmOp.SET_PARAM, other.domain.domid(), HvmOp.PARAM_CALLBACK_IRQ, HvmOp.callbackVia(0x40)))
                .isEqualTo(-EPERM);
        assertThat(call(trap, HvmOp.GET_PARAM, other.domain.domid(), HvmOp.PARAM_CALLBACK_IRQ, 0)).isEqualTo(-EPERM);
        assertThat(other.domain.callbackVector()).isEqualTo(-1);
        assertThat(trap.call(Hypercall.HVM_OP, 2, trap.scratch)).as("another command").isEqualTo(-ENOSYS);
    }

    @Test
    @DisplayName("hvm_allow_set_param: deprecated -EINVAL, ALTP2M -EEXIST, one a guest may not set -EPERM; a "
            + "privileged domain may set it; the set-once ones -EEXIST when changed")
    void shouldApplyTheParameterRules() throws Exception {
        assertThat(call(trap, HvmOp.SET_PARAM, DomId.DOMID_SELF, HvmOp.PARAM_PAE_ENABLED, 1)).isEqualTo(-EINVAL);
        assertThat(call(trap, HvmOp.SET_PARAM, DomId.DOMID_SELF, HvmOp.PARAM_MEMORY_EVENT_MSR, 1)).isEqualTo(-EINVAL);
        assertThat(call(trap, HvmOp.SET_PARAM, DomId.DOMID_SELF, HvmOp.PARAM_ALTP2M, 1)).isEqualTo(-EEXIST);
        assertThat(call(trap, HvmOp.SET_PARAM, DomId.DOMID_SELF, HvmOp.PARAM_IDENT_PT, 1)).isEqualTo(-EPERM);
        assertThat(call(trap, HvmOp.SET_PARAM, DomId.DOMID_SELF, HvmOp.PARAM_STORE_EVTCHN, 3)).isZero();
        assertThat(call(trap, HvmOp.GET_PARAM, DomId.DOMID_SELF, HvmOp.PARAM_STORE_EVTCHN, 0)).isZero();
        assertThat(valueAt(trap)).isEqualTo(3);
        assertThat(call(trap, HvmOp.GET_PARAM, DomId.DOMID_SELF, HvmOp.PARAM_IDENT_PT, 0)).isEqualTo(-EPERM);
        assertThat(call(trap, HvmOp.GET_PARAM, DomId.DOMID_SELF, HvmOp.PARAM_ALTP2M, 0)).isZero();

        BareGuest dom0 = BareGuest.create(hv, new DomainConfig("dom0", 8192, 8192, 1, null, "", true, null, null, null));
        int id = trap.domain.domid();
        assertThat(call(dom0, HvmOp.SET_PARAM, id, HvmOp.PARAM_IDENT_PT, 0x1000)).isZero();
        assertThat(call(dom0, HvmOp.GET_PARAM, id, HvmOp.PARAM_IDENT_PT, 0)).isZero();
        assertThat(valueAt(dom0)).isEqualTo(0x1000);
        assertThat(call(dom0, HvmOp.SET_PARAM, id, HvmOp.PARAM_IOREQ_PFN, 0x10)).isZero();
        assertThat(call(dom0, HvmOp.SET_PARAM, id, HvmOp.PARAM_IOREQ_PFN, 0x10)).as("the same again").isZero();
        assertThat(call(dom0, HvmOp.SET_PARAM, id, HvmOp.PARAM_IOREQ_PFN, 0x11)).isEqualTo(-EEXIST);
        assertThat(call(dom0, HvmOp.SET_PARAM, id, HvmOp.PARAM_CALLBACK_IRQ, HvmOp.callbackVia(0x50))).isZero();
        assertThat(trap.domain.callbackVector()).as("the toolstack may set it too").isEqualTo(0x50);
    }
}
