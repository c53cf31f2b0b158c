package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.parasol.hypercall.Errno.E2BIG;
import static org.parasol.hypercall.Errno.EBUSY;
import static org.parasol.hypercall.Errno.EEXIST;
import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSPC;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.abi.ConsoleIo;
import org.parasol.hypercall.abi.Evtchn2l;
import org.parasol.hypercall.abi.EvtchnOp;
import org.parasol.hypercall.abi.Gntcopy;
import org.parasol.hypercall.abi.Gntmap;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.GnttabOp;
import org.parasol.hypercall.abi.MemoryOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypercall.abi.XenVersion;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.guest.GrantTableCalls;
import org.parasol.hypercall.struct.EvtchnBindInterdomain;
import org.parasol.hypercall.struct.EvtchnStatus;
import org.parasol.hypercall.struct.GnttabCopy;
import org.parasol.hypercall.struct.GnttabGetStatusFrames;
import org.parasol.hypercall.struct.GnttabMapGrantRef;
import org.parasol.hypercall.struct.GnttabSetupTable;
import org.parasol.hypercall.struct.SchedPoll;
import org.parasol.hypercall.struct.SchedRemoteShutdown;
import org.parasol.hypercall.struct.SchedShutdown;
import org.parasol.hypercall.struct.VcpuSetPeriodicTimer;
import org.parasol.hypercall.struct.XenMemoryDomain;
import org.parasol.hypercall.struct.XenMemoryReservation;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.time.ManualClock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * The order in which Xen checks a hypercall's arguments, and so which errno a guest written
 * against the ABI sees when several are wrong at once: each test names the rule of Xen's
 * sources it holds Parasol to (event_channel.c, grant_table.c, memory.c, sched/core.c,
 * domain.c's vcpu ops, x86 mm.c, multicall.c, console.c, x86_64 uaccess.h).
 *
 * <p>Structures are written into the guests' memory with the ABI's own flyweights over the
 * guests' mappings, as a guest would.
 */
class XenOrderOfChecksTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    /** The start of Xen's reserved hole, mapped read-only for the M2P table in every guest. */
    private static final long RESERVED = Mmu.HYPERVISOR_VIRT_START;
    private static final int UNKNOWN_DOMAIN = 0x1234;

    private ManualClock clock;
    private Hypervisor hv;
    private BareGuest a;
    private BareGuest b;
    private EventChannelCalls ea;
    private EventChannelCalls eb;

    @BeforeEach
    void boot() throws Exception {
        clock = new ManualClock();
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(32L << 20).withClock(clock).withPcpus(1)));
        a = BareGuest.create(hv, "a", 1024);
        b = BareGuest.create(hv, "b", 1024);
        a.domain.vcpu(0).attach();
        ea = new EventChannelCalls(a.cpu, new ArgumentPage(a.scratch));
        eb = new EventChannelCalls(b.cpu, new ArgumentPage(b.scratch));
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    private static DomId id(BareGuest g) {
        return DomId.of(g.domain.domid());
    }

    /** {@code g}'s second scratch page, where the tests build structures, through the ABI's accessor. */
    private static GuestMemoryBuffer arg(BareGuest g) {
        return new GuestMemoryBuffer(g.mem, g.scratch2, Mmu.PAGE_SIZE);
    }

    /** Makes the test thread {@code g}'s vCPU (a bare vCPU belongs to the thread that attached it last). */
    private static void as(BareGuest g) {
        g.domain.vcpu(0).attach();
    }

    @Nested
    @DisplayName("access_ok")
    class AccessOk {
        @Test
        @DisplayName("a pointer into the hypervisor's reserved range is -EFAULT for a read, not what the M2P mapping holds there")
        void shouldRefuseReadsFromTheReservedRange() {
            assertThatCode(() -> a.mem.getLong(RESERVED)).as("the guest itself may read the M2P table there")
                    .doesNotThrowAnyException();
            assertThat(a.call(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.SEND, RESERVED)).isEqualTo(-EFAULT);
            assertThat(a.call(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.CLOSE, RESERVED + 8)).isEqualTo(-EFAULT);
            assertThat(a.call(Hypercall.XEN_VERSION, XenVersion.GET_FEATURES, RESERVED)).isEqualTo(-EFAULT);
            assertThat(a.call(Hypercall.MEMORY_OP, MemoryOp.CURRENT_RESERVATION, Mmu.MACH2PHYS_VIRT_END - 8))
                    .isEqualTo(-EFAULT);
        }

        @Test
        @DisplayName("and for a write: an OUT structure in the reserved range is -EFAULT")
        void shouldRefuseWritesToTheReservedRange() {
            assertThat(a.call(Hypercall.XEN_VERSION, XenVersion.PLATFORM_PARAMETERS, RESERVED)).isEqualTo(-EFAULT);
            assertThat(a.call(Hypercall.VCPU_OP, VcpuOp.GET_RUNSTATE_INFO, 0, RESERVED)).isEqualTo(-EFAULT);
        }

        @Test
        @DisplayName("guest_handle_okay: a batch whose array starts in the reserved range is -EFAULT before any element")
        void shouldRefuseArraysInTheReservedRangeUpFront() {
            assertThat(a.call(Hypercall.GRANT_TABLE_OP, GnttabOp.MAP_GRANT_REF, RESERVED, 0)).isEqualTo(-EFAULT);
            assertThat(a.call(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, RESERVED, 0)).isEqualTo(-EFAULT);
            assertThat(a.call(Hypercall.MULTICALL, RESERVED, 0)).isEqualTo(-EFAULT);
            assertThat(a.cpu.hypercall(Hypercall.MMU_UPDATE, RESERVED, 0, 0, DomId.DOMID_SELF, 0)).isEqualTo(-EFAULT);
            assertThat(a.call(Hypercall.MULTICALL, a.scratch, 1L << 60)).as("more entries than fit").isEqualTo(-EFAULT);
        }
    }

    @Nested
    @DisplayName("event_channel.c")
    class EventChannels {
        @Test
        @DisplayName("evtchn_alloc_unbound: rcu_lock_domain_by_any_id comes first, so an unknown dom is -ESRCH for anyone")
        void shouldLookUpAllocUnboundsDomainBeforePermission() {
            assertThat(ea.allocUnbound(DomId.of(UNKNOWN_DOMAIN), DomId.SELF)).isEqualTo(-ESRCH);
            assertThat(ea.allocUnbound(id(b), DomId.SELF)).isEqualTo(-EPERM);
        }

        @Test
        @DisplayName("evtchn_alloc_unbound: the port is allocated before XSM is asked, so a full table is -ENOSPC")
        void shouldReportAFullTableBeforeRefusingPermission() {
            as(b);
            int opened = 0;
            while (eb.allocUnbound(DomId.SELF, DomId.SELF) > 0) {
                opened++;
            }
            assertThat(opened).isEqualTo(Evtchn2l.NR_CHANNELS - 1);
            as(a);
            assertThat(ea.allocUnbound(id(b), DomId.SELF)).isEqualTo(-ENOSPC);
        }

        @Test
        @DisplayName("evtchn_status: -ESRCH for an unknown domain, then -EINVAL for a port beyond the table, then -EPERM")
        void shouldCheckStatusInXensOrder() {
            assertThat(ea.status(DomId.of(UNKNOWN_DOMAIN), Port.of(1)).result()).isEqualTo(-ESRCH);
            var status = new EvtchnStatus().wrap(arg(a), 0)
                    .dom(b.domain.domid()).port(Evtchn2l.NR_CHANNELS);
            assertThat(status.port()).isEqualTo(Evtchn2l.NR_CHANNELS);
            assertThat(a.call(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.STATUS, a.scratch2)).isEqualTo(-EINVAL);
            assertThat(ea.status(id(b), Port.of(1)).result()).isEqualTo(-EPERM);
        }

        @Test
        @DisplayName("evtchn_bind_virq: a global VIRQ on a vCPU other than 0 is -EINVAL before the handler's -EBUSY")
        void shouldRefuseAGlobalVirqOnVcpu1AsInvalid() {
            assertThat(ea.bindVirq(Virq.CONSOLE, 1)).isEqualTo(-EINVAL);
            assertThat(ea.bindVirq(Virq.DOM_EXC, 7)).isEqualTo(-EINVAL);
            assertThat(ea.bindVirq(Virq.CONSOLE, 0)).isEqualTo(-EBUSY);
        }

        @Test
        @DisplayName("evtchn_bind_interdomain: the local port is allocated first, so a full table is -ENOSPC before a bad remote port")
        void shouldReportAFullLocalTableBeforeABadRemotePort() {
            while (ea.allocUnbound(DomId.SELF, DomId.SELF) > 0) {
                // fill a's table
            }
            new EvtchnBindInterdomain().wrap(arg(a), 0).remoteDom(b.domain.domid()).remotePort(Evtchn2l.NR_CHANNELS + 5);
            assertThat(a.call(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.BIND_INTERDOMAIN, a.scratch2)).isEqualTo(-ENOSPC);
            assertThat(ea.bindInterdomain(DomId.of(UNKNOWN_DOMAIN), Port.of(1))).as("the remote domain first")
                    .isEqualTo(-ESRCH);
        }

        @Test
        @DisplayName("evtchn_reset: -ESRCH before -EPERM; another domain only while its controller keeps it paused (-EINVAL)")
        void shouldResetOnlyAPausedOtherDomain() throws Exception {
            assertThat(ea.reset(DomId.of(UNKNOWN_DOMAIN))).isEqualTo(-ESRCH);
            assertThat(ea.reset(id(b))).isEqualTo(-EPERM);
            BareGuest dom0 = BareGuest.create(hv, new DomainConfig("dom0", 1024, 1024, 1, null, "", true, null, null, null));
            EventChannelCalls e0 = new EventChannelCalls(dom0.cpu, new ArgumentPage(dom0.scratch));
            assertThat(e0.reset(id(b))).isEqualTo(-EINVAL);
            b.domain.pause();
            assertThat(e0.reset(id(b))).isZero();
        }

        @Test
        @DisplayName("do_event_channel_op: bind_pirq copies its structure in first (-EFAULT) before refusing the IRQ")
        void shouldCopyBindPirqInFirst() {
            assertThat(a.call(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.BIND_PIRQ, RESERVED)).isEqualTo(-EFAULT);
            assertThat(a.call(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.BIND_PIRQ, a.scratch2)).isEqualTo(-EPERM);
        }
    }

    @Nested
    @DisplayName("grant_table.c")
    class GrantTables {
        private GrantTableCalls ga;

        @BeforeEach
        void calls() {
            ga = new GrantTableCalls(a.cpu, new ArgumentPage(a.scratch));
        }

        @Test
        @DisplayName("map_grant_ref: the granter is found by rcu_lock_domain_by_id, so DOMID_SELF is bad_domain")
        void shouldNotAcceptDomidSelfAsTheGranter() {
            GnttabMapGrantRef op = new GnttabMapGrantRef().wrap(arg(a), 0)
                    .hostAddr(a.scratch).flags(Gntmap.HOST_MAP).ref(8).dom(DomId.DOMID_SELF);
            assertThat(a.call(Hypercall.GRANT_TABLE_OP, GnttabOp.MAP_GRANT_REF, a.scratch2, 1)).isZero();
            assertThat(op.status()).isEqualTo(Gntst.BAD_DOMAIN);
            op.dom(a.domain.domid());
            assertThat(a.call(Hypercall.GRANT_TABLE_OP, GnttabOp.MAP_GRANT_REF, a.scratch2, 1)).isZero();
            assertThat(op.status()).as("its own id names a domain: the entry is then checked").isEqualTo(Gntst.GENERAL_ERROR);
        }

        @Test
        @DisplayName("gnttab_copy_one: a copy of length 0 succeeds before its domains are looked at")
        void shouldCopyNothingBeforeCheckingAnything() {
            GnttabCopy op = new GnttabCopy().wrap(arg(a), 0)
                    .sourceDomid(UNKNOWN_DOMAIN).sourceRef(8).flags(Gntcopy.SOURCE_GREF)
                    .destDomid(0x7777).destGmfn(1).len(0);
            assertThat(a.call(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, a.scratch2, 1)).isZero();
            assertThat(op.status()).isEqualTo(Gntst.OKAY);
            op.len(1);
            assertThat(a.call(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, a.scratch2, 1)).isZero();
            assertThat(op.status()).isEqualTo(Gntst.BAD_DOMAIN);
        }

        @Test
        @DisplayName("gnttab_get_version: -ESRCH for an unknown domain before -EPERM")
        void shouldLookUpGetVersionsDomainFirst() {
            assertThat(ga.getVersion(DomId.of(UNKNOWN_DOMAIN))).isEqualTo(-ESRCH);
            assertThat(ga.getVersion(id(b))).isEqualTo(-EPERM);
        }

        @Test
        @DisplayName("gnttab_setup_table and get_status_frames: guest_handle_okay(frame_list) is -EFAULT before the domain is looked up")
        void shouldCheckFrameListsBeforeDomains() {
            new GnttabSetupTable().wrap(arg(a), 0).dom(UNKNOWN_DOMAIN).nrFrames(1).frameList(RESERVED);
            assertThat(a.call(Hypercall.GRANT_TABLE_OP, GnttabOp.SETUP_TABLE, a.scratch2, 1)).isEqualTo(-EFAULT);
            new GnttabGetStatusFrames().wrap(arg(a), 0).dom(UNKNOWN_DOMAIN).nrFrames(0).frameList(RESERVED);
            assertThat(a.call(Hypercall.GRANT_TABLE_OP, GnttabOp.GET_STATUS_FRAMES, a.scratch2, 1)).isEqualTo(-EFAULT);
        }

        @Test
        @DisplayName("gnttab_get_status_frames: a v1 table has none, so 0 frames is okay and 1 is general_error")
        void shouldAnswerZeroStatusFramesOfAVersionOneTable() {
            GnttabGetStatusFrames op = new GnttabGetStatusFrames().wrap(arg(a), 0)
                    .dom(DomId.DOMID_SELF).nrFrames(0).frameList(a.scratch);
            assertThat(a.call(Hypercall.GRANT_TABLE_OP, GnttabOp.GET_STATUS_FRAMES, a.scratch2, 1)).isZero();
            assertThat(op.status()).isEqualTo(Gntst.OKAY);
            op.nrFrames(1);
            assertThat(a.call(Hypercall.GRANT_TABLE_OP, GnttabOp.GET_STATUS_FRAMES, a.scratch2, 1)).isZero();
            assertThat(op.status()).isEqualTo(Gntst.GENERAL_ERROR);
        }

        @Test
        @DisplayName("do_grant_table_op: a cmd with bits above GNTTABOP_CMD_MASK is -EINVAL; dump_table is -ENOSYS")
        void shouldRefuseContinuationBitsAndDumpTable() {
            assertThat(a.call(Hypercall.GRANT_TABLE_OP, GnttabOp.QUERY_SIZE | (1 << 12), a.scratch2, 1)).isEqualTo(-EINVAL);
            assertThat(a.call(Hypercall.GRANT_TABLE_OP, GnttabOp.DUMP_TABLE, a.scratch2, 1)).isEqualTo(-ENOSYS);
        }
    }

    @Nested
    @DisplayName("memory.c")
    class MemoryOps {
        @Test
        @DisplayName("do_memory_op: a reservation that cannot be carried out returns its start extent, never an errno")
        void shouldReturnTheStartExtentForAFailedReservation() {
            XenMemoryReservation r = new XenMemoryReservation().wrap(arg(a), 0)
                    .extentStart(a.scratch).nrExtents(1).extentOrder(0).domid(UNKNOWN_DOMAIN);
            assertThat(a.call(Hypercall.MEMORY_OP, MemoryOp.INCREASE_RESERVATION, a.scratch2)).as("unknown domain").isZero();
            r.domid(b.domain.domid());
            assertThat(a.call(Hypercall.MEMORY_OP, MemoryOp.INCREASE_RESERVATION, a.scratch2)).as("another domain").isZero();
            r.domid(DomId.DOMID_SELF).extentOrder(1);
            assertThat(a.call(Hypercall.MEMORY_OP, MemoryOp.INCREASE_RESERVATION, a.scratch2)).as("order 1").isZero();
            assertThat(a.call(Hypercall.MEMORY_OP, MemoryOp.DECREASE_RESERVATION, RESERVED)).as("unreadable").isZero();
            r.extentOrder(0).nrExtents(3);
            assertThat(a.call(Hypercall.MEMORY_OP, MemoryOp.INCREASE_RESERVATION | (5L << MemoryOp.MEMOP_EXTENT_SHIFT),
                    a.scratch2)).as("a start beyond nr_extents").isEqualTo(5);
        }

        @Test
        @DisplayName("current_reservation: -ESRCH for an unknown domain before -EPERM")
        void shouldLookUpReservationsDomainFirst() {
            XenMemoryDomain d = new XenMemoryDomain().wrap(arg(a), 0).domid(UNKNOWN_DOMAIN);
            assertThat(a.call(Hypercall.MEMORY_OP, MemoryOp.CURRENT_RESERVATION, a.scratch2)).isEqualTo(-ESRCH);
            d.domid(b.domain.domid());
            assertThat(a.call(Hypercall.MEMORY_OP, MemoryOp.CURRENT_RESERVATION, a.scratch2)).isEqualTo(-EPERM);
        }

        @Test
        @DisplayName("commands without a continuation refuse a start extent: -EINVAL in common code, -ENOSYS in the architecture's")
        void shouldRefuseAStartExtentWhereNoneIsTaken() {
            long start = 1L << MemoryOp.MEMOP_EXTENT_SHIFT;
            assertThat(a.call(Hypercall.MEMORY_OP, MemoryOp.MAXIMUM_RAM_PAGE | start, 0)).isEqualTo(-EINVAL);
            assertThat(a.call(Hypercall.MEMORY_OP, MemoryOp.CURRENT_RESERVATION | start, a.scratch2)).isEqualTo(-EINVAL);
            assertThat(a.call(Hypercall.MEMORY_OP, MemoryOp.MACHPHYS_MAPPING | start, a.scratch2)).isEqualTo(-ENOSYS);
            assertThat(a.call(Hypercall.MEMORY_OP, MemoryOp.MACHPHYS_MAPPING, a.scratch2)).isZero();
        }
    }

    @Nested
    @DisplayName("sched/core.c")
    class SchedOps {
        @Test
        @DisplayName("SCHEDOP_remote_shutdown: copy in (-EFAULT), rcu_lock_domain_by_id (-ESRCH), then XSM (-EPERM)")
        void shouldCheckRemoteShutdownInXensOrder() {
            assertThat(a.call(Hypercall.SCHED_OP, SchedOp.REMOTE_SHUTDOWN, RESERVED)).isEqualTo(-EFAULT);
            SchedRemoteShutdown op = new SchedRemoteShutdown().wrap(arg(a), 0).domainId(UNKNOWN_DOMAIN).reason(0);
            assertThat(a.call(Hypercall.SCHED_OP, SchedOp.REMOTE_SHUTDOWN, a.scratch2)).isEqualTo(-ESRCH);
            op.domainId(DomId.DOMID_SELF);
            assertThat(a.call(Hypercall.SCHED_OP, SchedOp.REMOTE_SHUTDOWN, a.scratch2)).as("by id: DOMID_SELF names none")
                    .isEqualTo(-ESRCH);
            op.domainId(b.domain.domid());
            assertThat(a.call(Hypercall.SCHED_OP, SchedOp.REMOTE_SHUTDOWN, a.scratch2)).isEqualTo(-EPERM);
            assertThat(b.domain.mayRun()).isTrue();
        }

        @Test
        @DisplayName("SCHEDOP_shutdown_code: Xen keeps the first code; SCHEDOP_shutdown takes any u8 reason")
        void shouldLatchTheFirstShutdownCode() {
            as(b);
            SchedShutdown op = new SchedShutdown().wrap(arg(b), 0).reason(Shutdown.REBOOT);
            assertThat(b.call(Hypercall.SCHED_OP, SchedOp.SHUTDOWN_CODE, b.scratch2)).isZero();
            op.reason(Shutdown.POWEROFF);
            assertThat(b.call(Hypercall.SCHED_OP, SchedOp.SHUTDOWN_CODE, b.scratch2)).isZero();
            b.domain.shutdown(Shutdown.CRASH, null);
            assertThat(b.domain.shutdownReason()).isEqualTo(Shutdown.REBOOT);
        }

        @Test
        @DisplayName("do_poll: more than 128 ports -EINVAL, then guest_handle_okay -EFAULT, then the ports one by one")
        void shouldPollInXensOrder() {
            SchedPoll op = new SchedPoll().wrap(arg(a), 0).ports(RESERVED).nrPorts(SchedOp.POLL_MAX_PORTS + 1).timeout(0);
            assertThat(a.call(Hypercall.SCHED_OP, SchedOp.POLL, a.scratch2)).isEqualTo(-EINVAL);
            op.nrPorts(1);
            assertThat(a.call(Hypercall.SCHED_OP, SchedOp.POLL, a.scratch2)).isEqualTo(-EFAULT);

            int pending = (int) ea.bindIpi(0);
            assertThat(ea.send(Port.of(pending))).isZero();
            long ports = a.scratch2 + SchedPoll.SIZE;
            a.mem.putInt(ports, pending);
            a.mem.putInt(ports + Integer.BYTES, Evtchn2l.NR_CHANNELS + 1);
            op.ports(ports).nrPorts(2);
            assertThat(a.call(Hypercall.SCHED_OP, SchedOp.POLL, a.scratch2))
                    .as("evtchn_port_poll: a pending port ends the poll before a bad one is read").isZero();
            a.mem.putInt(ports, Evtchn2l.NR_CHANNELS + 1);
            assertThat(a.call(Hypercall.SCHED_OP, SchedOp.POLL, a.scratch2)).isEqualTo(-EINVAL);
        }
    }

    @Nested
    @DisplayName("vcpu ops")
    class VcpuOps {
        @Test
        @DisplayName("default_initialise_vcpu: the context is copied in (-EFAULT) before an initialised vCPU is refused (-EEXIST)")
        void shouldCopyTheContextBeforeRefusingAnInitialisedVcpu() {
            assertThat(a.call(Hypercall.VCPU_OP, VcpuOp.INITIALISE, 0, RESERVED)).isEqualTo(-EFAULT);
            assertThat(a.call(Hypercall.VCPU_OP, VcpuOp.INITIALISE, 0, a.scratch2)).isEqualTo(-EEXIST);
        }

        @Test
        @DisplayName("VCPUOP_set_periodic_timer: below 1 ms or above STIME_DELTA_MAX is -EINVAL")
        void shouldRefuseAPeriodBeyondStimeDeltaMax() {
            VcpuSetPeriodicTimer op = new VcpuSetPeriodicTimer().wrap(arg(a), 0).periodNs(1L << 62);
            assertThat(a.call(Hypercall.VCPU_OP, VcpuOp.SET_PERIODIC_TIMER, 0, a.scratch2)).isEqualTo(-EINVAL);
            op.periodNs((1L << 62) - 1);
            assertThat(a.call(Hypercall.VCPU_OP, VcpuOp.SET_PERIODIC_TIMER, 0, a.scratch2)).isZero();
            op.periodNs(-1L);
            assertThat(a.call(Hypercall.VCPU_OP, VcpuOp.SET_PERIODIC_TIMER, 0, a.scratch2)).isEqualTo(-EINVAL);
            assertThat(a.call(Hypercall.VCPU_OP, VcpuOp.IS_UP, 1L << 32, 0)).as("vcpuid is an unsigned int").isEqualTo(1);
        }
    }

    @Nested
    @DisplayName("x86 mm.c")
    class PvMmu {
        @Test
        @DisplayName("mmu_update asks XSM per request: no requests, no refusal; mmuext_op asks before any op")
        void shouldAskPermissionWhereXenDoes() {
            assertThat(a.cpu.hypercall(Hypercall.MMU_UPDATE, a.scratch2, 0, 0, b.domain.domid(), 0)).isZero();
            assertThat(a.cpu.hypercall(Hypercall.MMUEXT_OP, a.scratch2, 0, 0, b.domain.domid(), 0)).isEqualTo(-EPERM);
            assertThat(a.cpu.hypercall(Hypercall.MMUEXT_OP, a.scratch2, 0, 0, UNKNOWN_DOMAIN, 0)).isEqualTo(-ESRCH);
            assertThat(a.cpu.hypercall(Hypercall.MMUEXT_OP, a.scratch2, 0, 0, DomId.DOMID_IO, 0)).isEqualTo(-EPERM);
        }
    }

    @Nested
    @DisplayName("console.c")
    class Console {
        @Test
        @DisplayName("do_console_io: XSM first, so an unprivileged domain's unknown command is -EPERM, not -ENOSYS")
        void shouldAskPermissionBeforeTheCommand() {
            assertThat(a.call(Hypercall.CONSOLE_IO, 7, 0, 0)).isEqualTo(-EPERM);
            assertThat(a.call(Hypercall.CONSOLE_IO, ConsoleIo.READ, 1, a.scratch2)).isEqualTo(-EPERM);
        }

        @Test
        @DisplayName("CONSOLEIO_read: count beyond INT_MAX -E2BIG; input leaves the queue only once copied, so -EFAULT loses none")
        void shouldKeepInputAFaultingReadDidNotTake() throws Exception {
            BareGuest dom0 = BareGuest.create(hv, new DomainConfig("dom0", 1024, 1024, 1, null, "", true, null, null, null));
            hv.consoleInput("hello");
            assertThat(dom0.call(Hypercall.CONSOLE_IO, ConsoleIo.READ, 0x8000_0000L, dom0.scratch2)).isEqualTo(-E2BIG);
            assertThat(dom0.call(Hypercall.CONSOLE_IO, ConsoleIo.READ, 5, RESERVED)).isEqualTo(-EFAULT);
            assertThat(dom0.call(Hypercall.CONSOLE_IO, ConsoleIo.READ, 5, dom0.scratch2)).isEqualTo(5);
            byte[] read = new byte[5];
            for (int i = 0; i < read.length; i++) {
                read[i] = dom0.mem.getByte(dom0.scratch2 + i);
            }
            assertThat(new String(read, StandardCharsets.US_ASCII)).isEqualTo("hello");
        }

        @Test
        @DisplayName("guest_console_write: any unsigned count, written chunk by chunk; a chunk that faults is -EFAULT after the ones before")
        void shouldWriteChunkByChunk() {
            long end = a.domain.layout().mappedEnd();
            long start = end - 4096 - 10;
            for (long va = start; va < end; va++) {
                a.mem.putByte(va, (byte) 'x');
            }
            a.mem.putByte(start + 9, (byte) '\n');
            assertThat(a.call(Hypercall.CONSOLE_IO, ConsoleIo.WRITE, 4096 + 10 + 1, start)).isEqualTo(-EFAULT);
            hv.drainConsole();
            assertThat(a.domain.console().lines()).contains("xxxxxxxxx");
        }
    }

    @Test
    @DisplayName("do_set_timer_op: a timeout more than 2^50 ns ahead fires 100 ms from now")
    void shouldClampAbsurdTimeouts() {
        a.call(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);
        int port = (int) ea.bindVirq(Virq.TIMER, 0);
        clock.advance(1000);
        assertThat(a.call(Hypercall.SET_TIMER_OP, hv.systemTime() + (1L << 50) + 1)).isZero();
        clock.advance(99_999_999);
        assertThat(a.pending(port)).isFalse();
        clock.advance(1);
        assertThat(a.pending(port)).isTrue();
    }
}
