package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.Domctl;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.DomctlCalls;
import org.parasol.hypercall.struct.XenDomctl;
import org.parasol.hypercall.struct.XenDomctlSchedulerOp;
import org.parasol.hypercall.struct.XenDomctlVcpuaffinity;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.sched.CpuMask;
import org.parasol.hypervisor.sched.CreditScheduler;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * The scheduling domctls from a privileged bare domain acting as dom0: {@code scheduler_op}
 * (16) with the credit scheduler's weight and cap, {@code setvcpuaffinity} (9) and
 * {@code getvcpuaffinity} (25) with {@code xenctl_bitmap}s, and createdomain's
 * {@code cpupool_id}; each refusal with Xen's errno.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DomctlSchedulingTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private Hypervisor hv;
    private BareGuest dom0;
    private DomctlCalls dc;
    private int pool;

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(32L << 20).withPcpus(4)));
        pool = hv.scheduler().createPool("pool1", CpuMask.of(2, 3));
        dom0 = BareGuest.create(hv, new DomainConfig("dom0", 1024, 1024, 1, null, "", true, null, null, null));
        dc = new DomctlCalls(dom0.cpu, new ArgumentPage(dom0.scratch));
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    private DomId create(int vcpus, int cpupool) {
        long id = dc.createDomain(DomId.ANY, 0, vcpus, null, cpupool);
        assertThat(id).as("createdomain").isPositive();
        DomId d = DomId.of((int) id);
        assertThat(dc.maxVcpus(d, vcpus)).isZero();
        return d;
    }

    private Domain domain(DomId d) {
        return hv.lookup(d.value());
    }

    @Test
    @DisplayName("scheduler_op putinfo sets weight and cap, getinfo reads them back; 0 and 0xFFFF leave them, as csched_dom_cntl")
    void shouldSetAndGetCreditParams() {
        DomId d = create(1, 0);
        assertThat(dc.getCredit(d)).isEqualTo(new DomctlCalls.CreditParams(0, 256, 0));

        assertThat(dc.setCredit(d, 512, 50)).isZero();
        assertThat(dc.getCredit(d)).isEqualTo(new DomctlCalls.CreditParams(0, 512, 50));
        assertThat(hv.scheduler().weight(domain(d).scheduling())).isEqualTo(512);

        assertThat(dc.setCredit(d, 0, 0xFFFF)).isZero();
        assertThat(dc.getCredit(d)).isEqualTo(new DomctlCalls.CreditParams(0, 512, 50));
        assertThat(dc.setCredit(d, 0, 0)).as("cap 0: uncapped").isZero();
        assertThat(dc.getCredit(d).cap()).isZero();
    }

    @Test
    @DisplayName("scheduler_op for another scheduler, or with putvcpuinfo/getvcpuinfo or an unknown command, is -EINVAL (sched_adjust)")
    void shouldRefuseOtherSchedulersAndCommands() {
        DomId d = create(1, 0);
        assertThat(rawSchedulerOp(d, Domctl.SCHEDULER_CREDIT2, Domctl.SCHEDOP_PUTINFO, 512, 0)).isEqualTo(-Errno.EINVAL);
        assertThat(rawSchedulerOp(d, Domctl.SCHEDULER_CREDIT, Domctl.SCHEDOP_PUTVCPUINFO, 512, 0)).isEqualTo(-Errno.EINVAL);
        assertThat(rawSchedulerOp(d, Domctl.SCHEDULER_CREDIT, 7, 512, 0)).isEqualTo(-Errno.EINVAL);
        assertThat(dc.getCredit(d).weight()).as("nothing changed").isEqualTo(256);
        assertThat(dc.setCredit(DomId.of(0x1234), 512, 0)).isEqualTo(-Errno.ESRCH);
    }

    @Test
    @DisplayName("an unprivileged caller gets -EPERM from scheduler_op and setvcpuaffinity")
    void shouldRefuseUnprivilegedCallers() throws Exception {
        DomId d = create(1, 0);
        BareGuest domU = BareGuest.create(hv, "domU", 1024);
        DomctlCalls udc = new DomctlCalls(domU.cpu, new ArgumentPage(domU.scratch));
        assertThat(udc.setCredit(d, 1, 0)).isEqualTo(-Errno.EPERM);
        assertThat(udc.setVcpuAffinity(d, 0, new byte[] {1}, null, 8).result()).isEqualTo(-Errno.EPERM);
        dom0.domain.vcpu(0).attach();
        assertThat(dc.getCredit(d).weight()).isEqualTo(256);
    }

    @Test
    @DisplayName("setvcpuaffinity sets hard and soft affinity and answers the affinity in effect; getvcpuaffinity reads it")
    void shouldSetAndGetAffinity() {
        DomId d = create(2, 0);
        DomctlCalls.Affinity set = dc.setVcpuAffinity(d, 1, new byte[] {0b0010}, new byte[] {0b0011}, 8);
        assertThat(set.result()).isZero();
        assertThat(set.hard()).containsExactly(0b0010);
        assertThat(set.soft()).as("soft within hard").containsExactly(0b0010);
        var unit = domain(d).vcpu(1).sched().unit();
        assertThat(hv.scheduler().hardAffinity(unit)).isEqualTo(CpuMask.of(1));
        assertThat(hv.scheduler().softAffinity(unit)).isEqualTo(CpuMask.of(0, 1));

        DomctlCalls.Affinity got = dc.getVcpuAffinity(d, 1, 8);
        assertThat(got.result()).isZero();
        assertThat(got.hard()).containsExactly(0b0010);
        DomctlCalls.Affinity other = dc.getVcpuAffinity(d, 0, 8);
        assertThat(other.hard()).as("vCPU 0: every pCPU of Pool-0").containsExactly(0b0011);
    }

    @Test
    @DisplayName("bits beyond nr_bits are ignored: nr_bits 2 of 0xFF is pCPUs 0 and 1 (xenctl_bitmap_to_bitmap)")
    void shouldIgnoreBitsBeyondNrBits() {
        DomId d = create(1, 0);
        DomctlCalls.Affinity set = dc.setVcpuAffinity(d, 0, new byte[] {(byte) 0xFF}, null, 2);
        assertThat(set.result()).isZero();
        assertThat(hv.scheduler().hardAffinity(domain(d).vcpu(0).sched().unit())).isEqualTo(CpuMask.of(0, 1));
    }

    @Test
    @DisplayName("setvcpuaffinity refusals: a vCPU beyond max_vcpus -EINVAL, no flag -EINVAL, a null bitmap -EINVAL, a hard affinity outside the pool -EINVAL, a bad bitmap address -EFAULT")
    void shouldRefuseBadAffinities() {
        DomId d = create(1, 0);
        assertThat(dc.setVcpuAffinity(d, 1, new byte[] {1}, null, 8).result()).isEqualTo(-Errno.EINVAL);
        assertThat(dc.setVcpuAffinity(d, 0, null, null, 8).result()).as("no flag").isEqualTo(-Errno.EINVAL);
        assertThat(dc.setVcpuAffinity(d, 0, new byte[] {0b1100}, null, 8).result())
                .as("pCPUs 2 and 3 are pool1's").isEqualTo(-Errno.EINVAL);
        assertThat(hv.scheduler().hardAffinity(domain(d).vcpu(0).sched().unit())).as("unchanged").isEqualTo(CpuMask.ALL);
        assertThat(rawAffinity(d, Domctl.VCPUAFFINITY_HARD, 0, 8)).as("a null bitmap").isEqualTo(-Errno.EINVAL);
        assertThat(rawAffinity(d, Domctl.VCPUAFFINITY_HARD, 0xFFFF_8000_0000_0000L, 8)).as("a reserved address").isEqualTo(-Errno.EFAULT);
    }

    @Test
    @DisplayName("setvcpuaffinity on a created domain whose vCPUs are not yet allocated is -ESRCH")
    void shouldRefuseUnallocatedVcpus() {
        long id = dc.createDomain(DomId.ANY, 1, null);
        assertThat(dc.setVcpuAffinity(DomId.of((int) id), 0, new byte[] {1}, null, 8).result()).isEqualTo(-Errno.ESRCH);
    }

    @Test
    @DisplayName("createdomain's cpupool_id places the domain in that pool; a pool that does not exist is -ESRCH (cpupool_add_domain)")
    void shouldPlaceCreatedDomainsInTheirPool() {
        DomId d = create(1, pool);
        assertThat(hv.scheduler().poolOf(domain(d).scheduling()).name()).isEqualTo("pool1");
        DomctlCalls.Affinity got = dc.getVcpuAffinity(d, 0, 8);
        assertThat(got.hard()).as("the affinity in effect: pool1's pCPUs").containsExactly(0b1100);
        assertThat(dc.setVcpuAffinity(d, 0, new byte[] {0b0001}, null, 8).result()).isEqualTo(-Errno.EINVAL);

        long before = hv.domains().size();
        assertThat(dc.createDomain(DomId.ANY, 0, 1, null, 9)).isEqualTo(-Errno.ESRCH);
        assertThat(hv.domains()).hasSize((int) before);
        assertThat(hv.scheduler().poolOf(dom0.domain.scheduling()).id()).isEqualTo(CreditScheduler.POOL0);
    }

    /** A scheduler_op with any sched_id and command, marshalled by hand. */
    private long rawSchedulerOp(DomId d, int schedId, int cmd, int weight, int cap) {
        ArgumentPage page = new ArgumentPage(dom0.scratch);
        long off = page.push(XenDomctl.SIZE);
        new XenDomctl().wrap(page.buffer(), off).cmd(Domctl.SCHEDULER_OP).interfaceVersion(Domctl.INTERFACE_VERSION)
                .domain(d.value());
        new XenDomctlSchedulerOp().wrap(page.buffer(), off + XenDomctl.U_OFFSET).schedId(schedId).cmd(cmd)
                .creditWeight(weight).creditCap(cap);
        page.copyIn(dom0.cpu.memory(), off, XenDomctl.SIZE);
        return dom0.cpu.hypercall(Hypercall.DOMCTL, page.address(off));
    }

    /** A setvcpuaffinity of vCPU 0 with the hard bitmap at any address. */
    private long rawAffinity(DomId d, int flags, long hardVa, int nrBits) {
        ArgumentPage page = new ArgumentPage(dom0.scratch);
        long off = page.push(XenDomctl.SIZE);
        new XenDomctl().wrap(page.buffer(), off).cmd(Domctl.SETVCPUAFFINITY).interfaceVersion(Domctl.INTERFACE_VERSION)
                .domain(d.value());
        new XenDomctlVcpuaffinity().wrap(page.buffer(), off + XenDomctl.U_OFFSET).vcpu(0).flags(flags)
                .hardBitmap(hardVa).hardNrBits(nrBits);
        page.copyIn(dom0.cpu.memory(), off, XenDomctl.SIZE);
        return dom0.cpu.hypercall(Hypercall.DOMCTL, page.address(off));
    }
}
