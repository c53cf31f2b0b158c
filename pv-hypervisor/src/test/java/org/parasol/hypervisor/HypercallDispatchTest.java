package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.Errno.EBUSY;
import static org.parasol.hypercall.Errno.EEXIST;
import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOENT;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.ConsoleIo;
import org.parasol.hypercall.abi.EvtchnOp;
import org.parasol.hypercall.abi.MemoryOp;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypercall.abi.Virq;
import org.parasol.hypercall.abi.VmAssist;
import org.parasol.hypercall.abi.XenVersion;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.time.ManualClock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

class HypercallDispatchTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;
    private BareGuest g;

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(32L << 20).withClock(new ManualClock()).withPcpus(2)));
        g = BareGuest.create(hv, "guest", 1024);
    }

    @AfterEach
    void shutdown() {
        assertThat(hv.unhandledExceptions()).as("exceptions at the dispatch boundary").isZero();
        hv.close();
    }

    @Test
    @DisplayName("slots 11 and 43-47, and numbers outside the table, answer -ENOSYS")
    void shouldAnswerEnosysForUndefinedHypercalls() {
        for (int nr : new int[] {11, 43, 44, 45, 46, 47, 56, 127, 128, -1, 4096, Integer.MIN_VALUE}) {
            assertThat(g.call(nr, 1, 2, 3)).as("hypercall %d", nr).isEqualTo(-ENOSYS);
        }
    }

    @Test
    void shouldReportXenVersionAsMajorShiftedSixteenOrMinor() {
        assertThat(g.call(Hypercall.XEN_VERSION, XenVersion.VERSION, 0)).isEqualTo((4L << 16) | 19);
        assertThat(g.call(Hypercall.XEN_VERSION, XenVersion.PAGESIZE, 0)).isEqualTo(4096);
    }

    @Test
    void shouldCopyExtraversionOutThroughTheCallersMmu() {
        assertThat(g.call(Hypercall.XEN_VERSION, XenVersion.EXTRAVERSION, g.scratch)).isZero();
        assertThat(g.mem.getByte(g.scratch)).isEqualTo((byte) '-');
    }

    @Test
    @DisplayName("a pointer the caller cannot access is -EFAULT, and nothing is written")
    void shouldAnswerEfaultForBadPointers() {
        assertThat(g.call(Hypercall.XEN_VERSION, XenVersion.EXTRAVERSION, 0x10)).isEqualTo(-EFAULT);
        assertThat(g.call(Hypercall.XEN_VERSION, XenVersion.EXTRAVERSION, 0xFFFF_8000_0000_0000L)).isEqualTo(-EFAULT);
        long ptBase = g.mem.getLong(g.domain.startInfoVa() + 88);
        long before = g.mem.getLong(ptBase);
        assertThat(g.call(Hypercall.XEN_VERSION, XenVersion.EXTRAVERSION, ptBase))
                .as("page tables are mapped read-only").isEqualTo(-EFAULT);
        assertThat(g.mem.getLong(ptBase)).isEqualTo(before);
        assertThat(g.call(Hypercall.CONSOLE_IO, ConsoleIo.WRITE, 10, 0x20)).isEqualTo(-EFAULT);
        assertThat(g.domain.console().lines()).isEmpty();
    }

    @Test
    void shouldAppendConsoleWritesAsLines() {
        g.putString(g.scratch, "hello\nwor");
        assertThat(g.call(Hypercall.CONSOLE_IO, ConsoleIo.WRITE, 9, g.scratch)).isZero();
        g.putString(g.scratch, "ld\n");
        assertThat(g.call(Hypercall.CONSOLE_IO, ConsoleIo.WRITE, 3, g.scratch)).isZero();
        assertThat(g.domain.console().lines()).containsExactly("hello", "world");
    }

    @Test
    void shouldRefuseConsoleReadToUnprivilegedDomains() {
        assertThat(g.call(Hypercall.CONSOLE_IO, ConsoleIo.READ, 16, g.scratch)).isEqualTo(-EPERM);
    }

    @Test
    void shouldCountHypercallsPerVcpu() {
        long before = g.domain.hypercalls();
        for (int i = 0; i < 5; i++) {
            g.call(Hypercall.XEN_VERSION, XenVersion.VERSION, 0);
        }
        assertThat(g.domain.hypercalls() - before).isEqualTo(5);
        assertThat(g.domain.vcpu(0).hypercallCounts()[Hypercall.XEN_VERSION]).isGreaterThanOrEqualTo(5);
    }

    @Test
    @DisplayName("multicall runs every entry, writes each result, does not stop on an error, refuses nesting")
    void shouldRunMulticallEntriesWithPerEntryResults() {
        long list = g.scratch2;
        long[][] entries = {
            {Hypercall.XEN_VERSION, XenVersion.VERSION, 0},
            {Hypercall.XEN_VERSION, XenVersion.EXTRAVERSION, 0x10},
            {Hypercall.MULTICALL, list, 1},
            {11, 0, 0},
            {Hypercall.XEN_VERSION, XenVersion.PAGESIZE, 0},
        };
        for (int i = 0; i < entries.length; i++) {
            long e = list + 64L * i;
            g.mem.putLong(e, entries[i][0]);
            g.mem.putLong(e + 8, 0x5555);
            g.mem.putLong(e + 16, entries[i][1]);
            g.mem.putLong(e + 24, entries[i][2]);
            for (int a = 2; a < 6; a++) {
                g.mem.putLong(e + 16 + 8L * a, 0);
            }
        }
        assertThat(g.call(Hypercall.MULTICALL, list, entries.length)).isZero();
        assertThat(g.mem.getLong(list + 8)).isEqualTo((4L << 16) | 19);
        assertThat(g.mem.getLong(list + 64 + 8)).isEqualTo(-EFAULT);
        assertThat(g.mem.getLong(list + 128 + 8)).isEqualTo(-EINVAL);
        assertThat(g.mem.getLong(list + 192 + 8)).isEqualTo(-ENOSYS);
        assertThat(g.mem.getLong(list + 256 + 8)).isEqualTo(4096);
        assertThat(g.call(Hypercall.MULTICALL, 0x10, 1)).isEqualTo(-EFAULT);
    }

    @Test
    void shouldReportReservationsAndGrowToMaximum() throws Exception {
        BareGuest big = BareGuest.create(hv, new DomainConfig("growable", 1024, 1024 + 16, 1, null, "", false, null, null, null));
        long self = 0x7FF0;
        big.mem.putShort(big.scratch, (short) self);
        assertThat(big.call(Hypercall.MEMORY_OP, MemoryOp.CURRENT_RESERVATION, big.scratch)).isEqualTo(256);
        assertThat(big.call(Hypercall.MEMORY_OP, MemoryOp.MAXIMUM_RESERVATION, big.scratch)).isEqualTo(260);
        // xen_memory_reservation: extent_start, nr_extents, extent_order, mem_flags, domid
        big.mem.putLong(big.scratch, big.scratch2);
        big.mem.putLong(big.scratch + 8, 10);
        big.mem.putInt(big.scratch + 16, 0);
        big.mem.putInt(big.scratch + 20, 0);
        big.mem.putShort(big.scratch + 24, (short) self);
        assertThat(big.call(Hypercall.MEMORY_OP, MemoryOp.INCREASE_RESERVATION, big.scratch))
                .as("only 4 more pages fit under max_pages").isEqualTo(4);
        long mfn = big.mem.getLong(big.scratch2);
        assertThat(hv.frames().owner(mfn)).isEqualTo(big.domain.domid());
        big.mem.putShort(big.scratch, (short) self);
        assertThat(big.call(Hypercall.MEMORY_OP, MemoryOp.CURRENT_RESERVATION, big.scratch)).isEqualTo(260);
        big.mem.putShort(big.scratch, (short) g.domain.domid());
        assertThat(big.call(Hypercall.MEMORY_OP, MemoryOp.CURRENT_RESERVATION, big.scratch)).isEqualTo(-EPERM);
        assertThat(big.call(Hypercall.MEMORY_OP, MemoryOp.MAXIMUM_RAM_PAGE, 0)).isEqualTo(hv.frames().frameCount() - 1);
    }

    @Test
    @DisplayName("increase_reservation takes extents up to a domU's max_order (9): 2^order aligned, contiguous frames; order 10 does nothing")
    void shouldHandOutExtentsUpToTheCallersMaxOrder() throws Exception {
        BareGuest big = BareGuest.create(hv, new DomainConfig("extents", 1024, 1024 + 4096, 1, null, "", false, null, null, null));
        long self = 0x7FF0;
        long free = hv.frames().freeFrames();
        // xen_memory_reservation: extent_start, nr_extents, extent_order, mem_flags, domid
        big.mem.putLong(big.scratch, big.scratch2);
        big.mem.putLong(big.scratch + 8, 1);
        big.mem.putInt(big.scratch + 16, 10);
        big.mem.putInt(big.scratch + 20, 0);
        big.mem.putShort(big.scratch + 24, (short) self);
        assertThat(big.call(Hypercall.MEMORY_OP, MemoryOp.INCREASE_RESERVATION, big.scratch))
                .as("order 10 is above a domU's max_order").isZero();
        assertThat(hv.frames().freeFrames()).isEqualTo(free);
        big.mem.putInt(big.scratch + 16, 9);
        assertThat(big.call(Hypercall.MEMORY_OP, MemoryOp.INCREASE_RESERVATION, big.scratch)).isEqualTo(1);
        long mfn = big.mem.getLong(big.scratch2);
        assertThat(mfn % 512).isZero();
        for (long m = mfn; m < mfn + 512; m++) {
            assertThat(hv.frames().owner(m)).isEqualTo(big.domain.domid());
        }
        assertThat(hv.frames().freeFrames()).isEqualTo(free - 512);
        // decrease_reservation with the same order gives the whole extent back.
        assertThat(big.call(Hypercall.MEMORY_OP, MemoryOp.DECREASE_RESERVATION, big.scratch)).isEqualTo(1);
        assertThat(hv.frames().owner(mfn + 511)).isNotEqualTo(big.domain.domid());
        assertThat(hv.frames().freeFrames()).isEqualTo(free);
    }

    @Test
    void shouldAcceptWritablePagetablesAssistAndRefuseUnknownTypes() {
        assertThat(g.call(Hypercall.VM_ASSIST, VmAssist.CMD_ENABLE, VmAssist.TYPE_WRITABLE_PAGETABLES)).isZero();
        assertThat(g.domain.writablePageTables()).isTrue();
        assertThat(g.call(Hypercall.VM_ASSIST, VmAssist.CMD_DISABLE, VmAssist.TYPE_WRITABLE_PAGETABLES)).isZero();
        assertThat(g.domain.writablePageTables()).isFalse();
        assertThat(g.call(Hypercall.VM_ASSIST, VmAssist.CMD_ENABLE, 0)).isEqualTo(-EINVAL);
        assertThat(g.call(Hypercall.VM_ASSIST, 7, 2)).isEqualTo(-ENOSYS);
    }

    @Test
    @DisplayName("bind_virq: NR_VIRQS and beyond -EINVAL, twice -EEXIST, no such vCPU -ENOENT, global VIRQ -EBUSY")
    void shouldApplyBindVirqRules() {
        assertThat(bindVirq(Virq.TIMER, 0)).isPositive();
        assertThat(bindVirq(Virq.TIMER, 0)).isEqualTo(-EEXIST);
        assertThat(bindVirq(24, 0)).isEqualTo(-EINVAL);
        assertThat(bindVirq(5, 0)).as("get_virq_type: an undefined VIRQ is global").isEqualTo(-EBUSY);
        assertThat(bindVirq(Virq.DEBUG, 3)).isEqualTo(-ENOENT);
        assertThat(bindVirq(Virq.CONSOLE, 0)).isEqualTo(-EBUSY);
        assertThat(bindVirq(Virq.ARGO, 1)).as("per-domain VIRQ on vCPU 1").isEqualTo(-EINVAL);
    }

    @Test
    void shouldCloseBoundPortsOnceAndRefuseFreeOnes() {
        int port = (int) bindVirq(Virq.TIMER, 0);
        g.mem.putInt(g.scratch, port);
        assertThat(g.call(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.CLOSE, g.scratch)).isZero();
        assertThat(g.call(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.CLOSE, g.scratch)).isEqualTo(-EINVAL);
        g.mem.putInt(g.scratch, 0);
        assertThat(g.call(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.CLOSE, g.scratch)).as("port 0 is reserved").isEqualTo(-EINVAL);
        assertThat(g.call(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.SEND, g.scratch)).as("send on port 0").isEqualTo(-EINVAL);
    }

    @Test
    void shouldApplyVcpuOpRules() {
        assertThat(g.call(Hypercall.VCPU_OP, VcpuOp.UP, 1, 0)).as("no vCPU 1").isEqualTo(-ENOENT);
        assertThat(g.call(Hypercall.VCPU_OP, VcpuOp.IS_UP, 0, 0)).isEqualTo(1);
        g.mem.putLong(g.scratch, 999_999);
        assertThat(g.call(Hypercall.VCPU_OP, VcpuOp.SET_PERIODIC_TIMER, 0, g.scratch)).as("< 1 ms").isEqualTo(-EINVAL);
        g.mem.putLong(g.scratch, 1_000_000);
        assertThat(g.call(Hypercall.VCPU_OP, VcpuOp.SET_PERIODIC_TIMER, 0, g.scratch)).isZero();
        assertThat(g.domain.vcpu(0).timers().periodNs()).isEqualTo(1_000_000);
        assertThat(g.call(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0)).isZero();
        assertThat(g.domain.vcpu(0).timers().periodNs()).isZero();
        assertThat(g.call(Hypercall.VCPU_OP, 99, 0, 0)).isEqualTo(-ENOSYS);
    }

    @Test
    void shouldRefuseSecondaryVcpuUpBeforeInitialise() throws Exception {
        BareGuest two = BareGuest.create(hv, new DomainConfig("smp", 1024, 1024, 2, null, "", false, null, null, null));
        assertThat(two.call(Hypercall.VCPU_OP, VcpuOp.UP, 1, 0)).isEqualTo(-EINVAL);
        assertThat(two.call(Hypercall.VCPU_OP, VcpuOp.IS_UP, 1, 0)).isZero();
        assertThat(two.call(Hypercall.VCPU_OP, VcpuOp.SET_SINGLESHOT_TIMER, 1, two.scratch))
                .as("only the calling vCPU").isEqualTo(-EINVAL);
        // vcpu_guest_context with a non-zero unmodelled field is refused
        two.mem.fill(two.scratch2, 5168 > 8192 - 4096 ? 4096 : 4096, (byte) 0);
        assertThat(two.call(Hypercall.VCPU_OP, VcpuOp.INITIALISE, 1, 0x10)).isEqualTo(-EFAULT);
    }

    private long bindVirq(int virq, int vcpu) {
        g.mem.putInt(g.scratch, virq);
        g.mem.putInt(g.scratch + 4, vcpu);
        g.mem.putInt(g.scratch + 8, -1);
        long rc = g.call(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.BIND_VIRQ, g.scratch);
        return rc < 0 ? rc : g.mem.getInt(g.scratch + 8);
    }
}
