package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.Errno.EACCES;
import static org.parasol.hypercall.Errno.EBUSY;
import static org.parasol.hypercall.Errno.EEXIST;
import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOENT;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EOVERFLOW;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.Domctl;
import org.parasol.hypercall.abi.Gnttab;
import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypercall.abi.MemoryOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.DomctlCalls;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.guest.MemoryOpCalls;
import org.parasol.hypercall.struct.GrantEntryV1;
import org.parasol.hypercall.struct.StartInfo;
import org.parasol.hypercall.struct.VcpuGuestContext;
import org.parasol.hypercall.struct.XenDomctl;
import org.parasol.hypercall.struct.XenDomctlCreatedomain;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.image.ImageException;
import org.parasol.hypervisor.mm.BootLayout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * The domctl family (hypercall 36) from a privileged bare domain acting as dom0: the build
 * sequence libxl and libxenguest run (createdomain, max_vcpus, max_mem, populate_physmap,
 * Parasol's load-image, setvcpucontext, unpause), the domain running and shutting down,
 * getdomaininfo seeing it, destroydomain returning every frame; the refusals of every
 * command; and {@code do_domctl}'s order of checks.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DomctlTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    /** Pages the built domain gets: 1 MiB. */
    private static final int PAGES = 256;
    private static final long RESERVED = Mmu.HYPERVISOR_VIRT_START;
    private static final int UNKNOWN_DOMAIN = 0x1234;

    private Hypervisor hv;
    private BareGuest dom0;
    private BareGuest domU;
    private DomctlCalls dc;
    private MemoryOpCalls mc;

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(32L << 20)));
        hv.setKernelSource((image, privileged) -> {
            if (!image.equals("hello")) {
                throw new ImageException("unknown image '" + image + "'");
            }
            return domid -> TestKernels.poweroff("hello from d" + domid);
        });
        domU = BareGuest.create(hv, "domU", 1024);
        dom0 = BareGuest.create(hv, new DomainConfig("dom0", 1024, 1024, 1, null, "", true, null, null, null));
        dc = new DomctlCalls(dom0.cpu, new ArgumentPage(dom0.scratch));
        mc = new MemoryOpCalls(dom0.cpu, new ArgumentPage(dom0.scratch));
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    /** Makes the test thread dom0's vCPU again. */
    private void asDom0() {
        dom0.domain.vcpu(0).attach();
    }

    private void asDomU() {
        domU.domain.vcpu(0).attach();
    }

    /** createdomain, max_vcpus, max_mem and populate_physmap of PFNs 0..n-1: a domain ready for its image. */
    private DomId createPopulated(int pages) {
        long id = dc.createDomain(DomId.ANY, 1, null);
        assertThat(id).as("createdomain").isPositive();
        DomId d = DomId.of((int) id);
        assertThat(dc.maxVcpus(d, 1)).isZero();
        assertThat(dc.maxMem(d, pages * 4L)).isZero();
        long[] gpfns = new long[pages];
        for (int i = 0; i < pages; i++) {
            gpfns[i] = i;
        }
        assertThat(mc.reservation(MemoryOp.POPULATE_PHYSMAP, gpfns, pages, 0, 0, d)).isEqualTo(pages);
        return d;
    }

    private Domain domain(DomId d) {
        return hv.lookup(d.value());
    }

    @Test
    @DisplayName("dom0 builds a domain by domctl, it runs and powers off, getdomaininfo says so, destroy returns every frame")
    void shouldBuildRunAndDestroyADomainByDomctl() {
        long free = hv.freeFrames();
        byte[] handle = {(byte) 0xDE, (byte) 0xAD, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, (byte) 0xFF};
        long id = dc.createDomain(DomId.ANY, 1, handle);
        assertThat(id).isPositive().isNotIn((long) dom0.domain.domid(), (long) domU.domain.domid());
        DomId d = DomId.of((int) id);

        DomctlCalls.DomainInfo created = dc.getDomainInfo(d);
        assertThat(created.result()).isZero();
        assertThat(created.domain()).isEqualTo(d.value());
        assertThat(created.paused()).as("created paused by its controller").isTrue();
        assertThat(created.totPages()).isZero();
        assertThat(created.maxPages()).isZero();
        assertThat(created.nrOnlineVcpus()).isZero();
        assertThat(created.maxVcpuId()).as("no vCPUs before max_vcpus").isEqualTo(Domctl.INVALID_MAX_VCPU_ID);
        assertThat(created.handle()).containsExactly(handle);
        assertThat(created.flags() & (Domctl.DOMINF_RUNNING | Domctl.DOMINF_BLOCKED | Domctl.DOMINF_SHUTDOWN)).isZero();

        assertThat(dc.maxVcpus(d, 1)).isZero();
        assertThat(dc.getDomainInfo(d).maxVcpuId()).isZero();
        assertThat(dc.getDomainInfo(d).nrOnlineVcpus()).as("allocated vCPUs are down").isZero();
        assertThat(dc.maxMem(d, PAGES * 4L)).isZero();
        assertThat(dc.getDomainInfo(d).maxPages()).isEqualTo(PAGES);
        long[] gpfns = new long[PAGES];
        for (int i = 0; i < PAGES; i++) {
            gpfns[i] = i;
        }
        assertThat(mc.reservation(MemoryOp.POPULATE_PHYSMAP, gpfns, PAGES, 0, 0, d)).isEqualTo(PAGES);
        assertThat(gpfns).as("the MFNs come back over the GPFNs").doesNotHaveDuplicates();
        for (int pfn = 0; pfn < PAGES; pfn++) {
            assertThat(hv.frames().owner(gpfns[pfn])).isEqualTo(d.value());
            assertThat(hv.frames().m2p(gpfns[pfn])).as("M2P of pfn %d", pfn).isEqualTo(pfn);
        }
        assertThat(dc.getDomainInfo(d).totPages()).isEqualTo(PAGES);

        DomctlCalls.LoadedImage image = dc.loadImage(d, "hello", "quiet loglevel=3");
        assertThat(image.result()).isZero();
        assertThat(image.nrPages()).isEqualTo(PAGES);
        Domain built = domain(d);
        assertThat(image.startInfo()).isEqualTo(built.layout().startInfoVa());
        assertThat(image.cr3()).isEqualTo(built.layout().l4Mfn() << Mmu.PAGE_SHIFT);
        assertThat(image.entry()).isNotZero();

        assertThat(dc.setVcpuContext(d, 0, dom0.scratch2, VcpuGuestContext.VGCF_ONLINE | VcpuGuestContext.VGCF_IN_KERNEL,
                image.entry(), image.stack(), image.startInfo(), image.cr3())).isZero();
        DomctlCalls.DomainInfo ready = dc.getDomainInfo(d);
        assertThat(ready.nrOnlineVcpus()).as("VGCF_online").isEqualTo(1);
        assertThat(ready.paused()).isTrue();
        assertThat(built.console().lines()).as("nothing runs while paused").isEmpty();

        assertThat(dc.unpauseDomain(d)).isZero();
        Eventually.until(Duration.ofSeconds(20), () -> dc.getDomainInfo(d).shutdown());
        DomctlCalls.DomainInfo after = dc.getDomainInfo(d);
        assertThat(after.shutdownCode()).isEqualTo(Shutdown.POWEROFF);
        assertThat(after.paused()).isFalse();
        assertThat(built.console().lines()).containsExactly("hello from d" + d.value());
        assertThat(built.state()).as("the toolstack, not the hypervisor, destroys it").isEqualTo(DomainState.SHUTDOWN);
        assertThat(dc.setVcpuContext(d, 0, dom0.scratch2, VcpuGuestContext.VGCF_ONLINE, image.entry(), image.stack(),
                image.startInfo(), image.cr3())).as("no new context for a domain that shut down").isEqualTo(-EINVAL);

        assertThat(dc.destroyDomain(d)).isZero();
        assertThat(built.state()).isEqualTo(DomainState.DEAD);
        assertThat(hv.lookup(d.value())).isNull();
        assertThat(dc.getDomainInfo(d).result()).isEqualTo(-ESRCH);
        assertThat(hv.freeFrames()).as("every frame returned").isEqualTo(free);
    }

    @Test
    @DisplayName("load-image gives the domain a store page after start_info, names it and the store port in start_info, "
            + "and seeds grant ref 1 (GNTTAB_RESERVED_XENSTORE) for the store's domain, as xc_dom_gnttab_seed does")
    void shouldGiveTheDomainAStorePageAndPort() {
        long free = hv.freeFrames();
        DomId d = createPopulated(PAGES);
        EventChannelCalls ec = new EventChannelCalls(dom0.cpu, new ArgumentPage(dom0.scratch));
        DomId store = DomId.of(dom0.domain.domid());
        long port = ec.allocUnbound(d, store);
        assertThat(port).as("a privileged caller allocates a port in the new domain for itself").isPositive();
        long forOther = ec.allocUnbound(d, DomId.of(domU.domain.domid()));
        assertThat(forOther).isPositive();

        assertThat(dc.loadImage(d, "hello", "", (int) forOther, store).result()).as("a port unbound for another domain")
                .isEqualTo(-EINVAL);
        assertThat(dc.loadImage(d, "hello", "", 4095, store).result()).as("a closed port").isEqualTo(-EINVAL);
        assertThat(dc.loadImage(d, "hello", "", 4096, store).result()).as("a port beyond the table").isEqualTo(-EINVAL);
        assertThat(dc.loadImage(d, "hello", "", (int) port, DomId.SELF).result()).as("store_domid DOMID_SELF")
                .isEqualTo(-EINVAL);
        assertThat(domain(d).layout()).as("nothing laid out by a refusal").isNull();

        DomctlCalls.LoadedImage image = dc.loadImage(d, "hello", "", (int) port, store);

        assertThat(image.result()).isZero();
        Domain built = domain(d);
        BootLayout l = built.layout();
        assertThat(image.storeMfn()).isEqualTo(l.storeMfn()).isPositive();
        assertThat(l.storePfn()).as("right after start_info, as libxc's xenstore_pfn").isEqualTo(l.startInfoPfn() + 1);
        assertThat(l.consolePfn()).as("the console's page right after it, as libxc's console_pfn")
                .isEqualTo(l.storePfn() + 1);
        assertThat(l.ptBaseVa()).as("below the page tables, so below the guest's free memory")
                .isEqualTo(l.vaOfPfn(l.consolePfn() + 1));
        assertThat(hv.frames().owner(l.storeMfn())).isEqualTo(d.value());
        assertThat(hv.frames().m2p(l.storeMfn())).isEqualTo((int) l.storePfn());
        long maddr = l.storeMfn() << Mmu.PAGE_SHIFT;
        assertThat(hv.machine().segment().asSlice(maddr, Mmu.PAGE_SIZE).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                .as("the ring starts empty").containsOnly((byte) 0);
        StartInfo si = new StartInfo().wrap(new org.parasol.hypercall.SegmentBuffer(
                hv.machine().segment().asSlice(l.startInfoMfn() << Mmu.PAGE_SHIFT, Mmu.PAGE_SIZE)), 0);
        assertThat(si.storeMfn()).isEqualTo(l.storeMfn());
        assertThat(si.storeEvtchn()).isEqualTo(port);
        assertThat(built.grants().header(Gnttab.RESERVED_XENSTORE))
                .isEqualTo(GrantEntryV1.header(Gtf.PERMIT_ACCESS, store.value()));
        assertThat(built.grants().frame(Gnttab.RESERVED_XENSTORE)).isEqualTo(l.storeMfn());
        assertThat(built.grants().header(Gnttab.RESERVED_CONSOLE)).as("the console's entry stays empty").isZero();

        assertThat(dc.destroyDomain(d)).isZero();
        assertThat(hv.freeFrames()).as("the store page and the grant frame come back").isEqualTo(free);
    }

    @Test
    @DisplayName("load-image gives the domain a console ring (page, Xen-bound port, start_info.console.domU); input "
            + "fills its in half up to 1 KiB, a guest's in_cons frees room, an impossible in_cons stops input, teardown "
            + "returns the page")
    void shouldGiveTheDomainAConsoleRing() {
        long free = hv.freeFrames();
        DomId d = createPopulated(PAGES);
        EventChannelCalls ec = new EventChannelCalls(dom0.cpu, new ArgumentPage(dom0.scratch));
        DomId store = DomId.of(dom0.domain.domid());
        long storePort = ec.allocUnbound(d, store);
        assertThat(dc.loadImage(d, "hello", "", (int) storePort, store).result()).isZero();
        Domain built = domain(d);
        BootLayout l = built.layout();
        var ring = built.consoleRing();
        assertThat(ring).isNotNull();
        assertThat(ring.mfn()).isEqualTo(l.consoleMfn());
        assertThat(hv.frames().owner(l.consoleMfn())).isEqualTo(d.value());
        StartInfo si = new StartInfo().wrap(new org.parasol.hypercall.SegmentBuffer(
                hv.machine().segment().asSlice(l.startInfoMfn() << Mmu.PAGE_SHIFT, Mmu.PAGE_SIZE)), 0);
        assertThat(si.consoleMfn()).isEqualTo(l.consoleMfn());
        assertThat(si.consoleEvtchn()).isEqualTo(ring.port()).isNotEqualTo(storePort);
        assertThat(built.events().remoteDomain(ring.port())).as("its back end is the hypervisor").isEqualTo(DomId.DOMID_XEN);

        org.parasol.hypercall.io.XenconsInterface page = new org.parasol.hypercall.io.XenconsInterface().wrap(
                new org.parasol.hypercall.SegmentBuffer(hv.machine().segment().asSlice(l.consoleMfn() << Mmu.PAGE_SHIFT,
                        Mmu.PAGE_SIZE)), 0);
        byte[] typed = new byte[2000];
        for (int i = 0; i < typed.length; i++) {
            typed[i] = (byte) ('a' + i % 26);
        }
        assertThat(hv.consoleInput(built, typed, 0, typed.length)).as("the ring's 1 KiB").isEqualTo(1024);
        assertThat(hv.consoleInput(built, typed, 1024, 976)).as("full until the guest reads").isZero();
        assertThat(page.inProdAcquire()).isEqualTo(1024);
        assertThat(page.in(0)).isEqualTo('a');
        assertThat(page.in(1023)).isEqualTo(typed[1023]);
        page.inConsRelease(500); // the guest read 500 bytes
        assertThat(hv.consoleInput(built, typed, 1024, 976)).isEqualTo(500);
        assertThat(page.in(org.parasol.hypercall.io.XenconsInterface.inSlot(1024))).as("wrapped around").isEqualTo(typed[1024]);
        page.inProd(0); // a guest scribbling the back end's index changes nothing: it is kept in the hypervisor
        page.inConsRelease(1524);
        assertThat(hv.consoleInput(built, typed, 0, 10)).isEqualTo(10);
        assertThat(page.inProdAcquire()).isEqualTo(1534);
        page.inConsRelease(9999); // ahead of what was produced
        assertThat(hv.consoleInput(built, typed, 0, 1)).isEqualTo(-org.parasol.hypercall.Errno.EIO);
        assertThat(ring.broken()).isTrue();
        assertThat(ring.bytesIn()).isEqualTo(1534);

        // The domain gives the ring's page back (XENMEM_decrease_reservation, here by its
        // toolstack on its behalf): the ring's reference keeps the frame out of the free pool, so
        // no other domain can be handed it while input could still be written there.
        long freeBefore = hv.freeFrames();
        long given = mc.reservation(MemoryOp.DECREASE_RESERVATION, new long[] {l.consolePfn()}, 1, 0, 0, d);
        assertThat(given).as("the page is given back, or refused while mapped").isBetween(0L, 1L);
        assertThat(hv.freeFrames()).as("the frame is not free while the ring holds it").isEqualTo(freeBefore);
        assertThat(hv.consoleInput(built, typed, 0, 1)).as("and input does not throw").isLessThanOrEqualTo(1);

        assertThat(dc.destroyDomain(d)).isZero();
        assertThat(hv.consoleInput(built, typed, 0, 1)).as("after its death").isEqualTo(-ESRCH);
        assertThat(hv.freeFrames()).as("the console page comes back with the rest").isEqualTo(free);
    }

    @Test
    @DisplayName("the command line reaches start_info, and start_info.nr_pages is what was populated")
    void shouldWriteTheCommandLineIntoStartInfo() {
        DomId d = createPopulated(PAGES);
        assertThat(dc.loadImage(d, "hello", "root=/dev/xvda1").result()).isZero();
        Domain built = domain(d);
        long si = built.layout().startInfoMfn() << Mmu.PAGE_SHIFT;
        var startInfo = new org.parasol.hypercall.struct.StartInfo().wrap(
                new org.parasol.hypercall.SegmentBuffer(hv.machine().segment().asSlice(si, Mmu.PAGE_SIZE)), 0);
        assertThat(startInfo.cmdLine()).isEqualTo("root=/dev/xvda1");
        assertThat(startInfo.nrPages()).isEqualTo(PAGES);
        assertThat(startInfo.flags()).as("not privileged").isZero();
        assertThat(dc.destroyDomain(d)).isZero();
    }

    @Test
    @DisplayName("destroying a domain that never ran, or one that runs, returns every frame")
    void shouldDestroyDomainsInEveryState() throws Exception {
        long free = hv.freeFrames();
        long empty = dc.createDomain(DomId.ANY, 2, null);
        assertThat(dc.destroyDomain(DomId.of((int) empty))).isZero();
        DomId populated = createPopulated(PAGES);
        assertThat(dc.destroyDomain(populated)).isZero();
        assertThat(hv.freeFrames()).isEqualTo(free);
        DomId waiting = createPopulated(PAGES);
        DomctlCalls.LoadedImage loaded = dc.loadImage(waiting, "hello", "");
        assertThat(dc.setVcpuContext(waiting, 0, dom0.scratch2, VcpuGuestContext.VGCF_ONLINE, loaded.entry(),
                loaded.stack(), loaded.startInfo(), loaded.cr3())).isZero();
        Domain parked = domain(waiting);
        assertThat(parked.vcpu(0).thread()).as("online: its thread waits for the unpause").isNotNull();
        assertThat(dc.destroyDomain(waiting)).as("never unpaused").isZero();
        assertThat(parked.console().lines()).isEmpty();
        assertThat(hv.freeFrames()).isEqualTo(free);

        AtomicBoolean spinning = new AtomicBoolean();
        hv.setKernelSource((image, privileged) -> domid -> TestKernels.busy(spinning));
        asDom0();
        DomId running = createPopulated(PAGES);
        DomctlCalls.LoadedImage image = dc.loadImage(running, "busy", "");
        assertThat(dc.setVcpuContext(running, 0, dom0.scratch2, VcpuGuestContext.VGCF_ONLINE, image.entry(),
                image.stack(), image.startInfo(), image.cr3())).isZero();
        assertThat(dc.unpauseDomain(running)).isZero();
        Eventually.until(Duration.ofSeconds(20), spinning::get);
        assertThat(dc.getDomainInfo(running).flags() & Domctl.DOMINF_SHUTDOWN).isZero();
        Domain d = domain(running);
        assertThat(dc.destroyDomain(running)).as("destroy continues until the vCPU has stopped").isZero();
        assertThat(d.state()).isEqualTo(DomainState.DEAD);
        assertThat(hv.freeFrames()).isEqualTo(free);
    }

    @Test
    @DisplayName("pause and unpause count: the domain runs only at zero; -EOVERFLOW past 255, -EINVAL below 0")
    void shouldCountControllerPauses() {
        DomId d = DomId.of(domU.domain.domid());
        for (int i = 0; i < Domain.MAX_CONTROLLER_PAUSES; i++) {
            assertThat(dc.pauseDomain(d)).isZero();
        }
        assertThat(dc.pauseDomain(d)).isEqualTo(-EOVERFLOW);
        assertThat(dc.getDomainInfo(d).paused()).isTrue();
        for (int i = 0; i < Domain.MAX_CONTROLLER_PAUSES; i++) {
            assertThat(dc.unpauseDomain(d)).isZero();
        }
        assertThat(dc.getDomainInfo(d).paused()).isFalse();
        assertThat(domU.domain.state()).isEqualTo(DomainState.RUNNING);
        assertThat(dc.unpauseDomain(d)).isEqualTo(-EINVAL);
    }

    @Test
    @DisplayName("getdomaininfo of a running domain: online vCPU, its memory, no shutdown bit; all-ones code as Xen's SHUTDOWN_CODE_INVALID")
    void shouldDescribeARunningLauncherDomain() {
        DomctlCalls.DomainInfo info = dc.getDomainInfo(DomId.of(domU.domain.domid()));
        assertThat(info.result()).isZero();
        assertThat(info.nrOnlineVcpus()).isEqualTo(1);
        assertThat(info.maxVcpuId()).isZero();
        assertThat(info.totPages()).isEqualTo(256);
        assertThat(info.maxPages()).isEqualTo(256);
        assertThat(info.sharedInfoFrame()).isEqualTo(domU.domain.sharedInfoMfn());
        assertThat(info.shutdown()).isFalse();
        assertThat(info.dying()).isFalse();
        assertThat(info.shutdownCode()).isEqualTo(Domctl.DOMINF_SHUTDOWNMASK);
    }

    @Test
    @DisplayName("createdomain takes the id asked for, -EEXIST when it is taken; DOMID_ANY never hands out a live id")
    void shouldAllocateIdsAsDomidAlloc() {
        long asked = dc.createDomain(DomId.of(77), 1, null);
        assertThat(asked).isEqualTo(77);
        assertThat(dc.createDomain(DomId.of(77), 1, null)).isEqualTo(-EEXIST);
        assertThat(dc.createDomain(DomId.of(domU.domain.domid()), 1, null)).isEqualTo(-EEXIST);
        assertThat(dc.createDomain(DomId.SELF, 1, null)).as("a reserved id other than DOMID_ANY").isEqualTo(-EEXIST);
        assertThat(dc.createDomain(DomId.INVALID, 1, null)).isEqualTo(-EEXIST);
        long any = dc.createDomain(DomId.ANY, 1, null);
        assertThat(any).isPositive().isNotIn(77L, (long) domU.domain.domid(), (long) dom0.domain.domid());
        assertThat(dc.destroyDomain(DomId.of(77))).isZero();
        assertThat(dc.createDomain(DomId.of(77), 1, null)).as("free again once destroyed").isEqualTo(77);
    }

    @Test
    @DisplayName("createdomain refuses what a Parasol domain cannot be (-EINVAL) and gives the id back")
    void shouldSanitiseTheConfig() {
        assertThat(dc.createDomain(DomId.of(40), 0, null)).as("no vCPUs").isEqualTo(-EINVAL);
        assertThat(dc.createDomain(DomId.of(40), 33, null)).as("more vCPUs than vcpu_info slots").isEqualTo(-EINVAL);
        assertThat(dc.createDomain(DomId.of(40), Domctl.CDF_HVM | Domctl.CDF_HAP, 1, null))
                .as("hardware-assisted paging is not modelled").isEqualTo(-EINVAL);
        assertThat(dc.createDomain(DomId.of(40), Domctl.CDF_HAP, 1, null)).isEqualTo(-EINVAL);
        assertThat(dc.createDomain(DomId.of(40), Domctl.CDF_IOMMU, 1, null)).isEqualTo(-EINVAL);
        assertThat(dc.createDomain(DomId.of(40), 1 << 9, 1, null)).as("an unknown CDF flag").isEqualTo(-EINVAL);
        assertThat(dc.createDomain(DomId.of(40), Domctl.CDF_XS_DOMAIN, 1, null)).isEqualTo(40);
    }

    @Test
    @DisplayName("max_vcpus must repeat createdomain's count; max_mem stops populate at max_pages")
    void shouldHoldVcpusAndMemoryToWhatWasSet() {
        long id = dc.createDomain(DomId.ANY, 2, null);
        DomId d = DomId.of((int) id);
        assertThat(dc.maxVcpus(d, 1)).isEqualTo(-EINVAL);
        assertThat(dc.maxVcpus(d, 3)).isEqualTo(-EINVAL);
        assertThat(dc.maxVcpus(d, 2)).isZero();
        assertThat(dc.getDomainInfo(d).maxVcpuId()).isEqualTo(1);
        long[] none = new long[4];
        assertThat(mc.reservation(MemoryOp.POPULATE_PHYSMAP, none, 4, 0, 0, d)).as("max_pages is 0").isZero();
        assertThat(dc.maxMem(d, 8)).isZero();
        long[] gpfns = {0, 1, 2, 3};
        assertThat(mc.reservation(MemoryOp.POPULATE_PHYSMAP, gpfns, 4, 0, 0, d)).isEqualTo(2);
        assertThat(dc.maxMem(d, -1L)).as("clamped to an unsigned int of pages").isZero();
        assertThat(dc.getDomainInfo(d).maxPages()).isEqualTo(0xFFFF_FFFFL);
    }

    @Test
    @DisplayName("load-image names the domain (Parasol's field): the host is told once, with the name, before it runs; "
            + "a name another domain has is -EEXIST, a malformed one -EINVAL, and both leave the name as it was")
    void shouldNameTheDomainAndAnnounceIt() {
        java.util.List<String> announced = new java.util.concurrent.CopyOnWriteArrayList<>();
        hv.onDomainCreated(dom -> announced.add(dom.name() + "@" + dom.domid() + (dom.mayRun() ? "" : "!")));
        DomId d = createPopulated(PAGES);
        assertThat(domain(d).name()).as("createdomain's name").isEqualTo("d" + d.value());

        assertThat(dc.loadImage(d, "hello", "", 0, DomId.DOM0, "domU").result()).as("domU's name").isEqualTo(-EEXIST);
        assertThat(dc.loadImage(d, "hello", "", 0, DomId.DOM0, "web server").result()).as("a space")
                .isEqualTo(-EINVAL);
        assertThat(dc.loadImage(d, "hello", "", 0, DomId.DOM0, "x".repeat(65)).result()).as("65 bytes")
                .isEqualTo(-EINVAL);
        assertThat(domain(d).name()).isEqualTo("d" + d.value());
        assertThat(announced).as("nothing loaded, nothing announced").isEmpty();

        assertThat(dc.loadImage(d, "hello", "", 0, DomId.DOM0, "web-1").result()).isZero();

        assertThat(domain(d).name()).isEqualTo("web-1");
        assertThat(hv.domain("web-1")).as("found by its new name").map(Domain::domid).contains(d.value());
        assertThat(announced).containsExactly("web-1@" + d.value());
        assertThat(dc.destroyDomain(d)).isZero();
        assertThat(hv.domain("web-1")).as("the name is free again").isEmpty();
    }

        @Test
    @DisplayName("load-image refuses: no vCPUs, memory not PFNs 0..n-1, too little memory, an unknown image, twice")
    void shouldRefuseToLoadIntoTheWrongDomain() {
        long id = dc.createDomain(DomId.ANY, 1, null);
        DomId d = DomId.of((int) id);
        assertThat(dc.loadImage(d, "hello", "").result()).as("no vCPUs, no memory").isEqualTo(-EINVAL);
        assertThat(dc.maxVcpus(d, 1)).isZero();
        assertThat(dc.maxMem(d, PAGES * 4L)).isZero();
        long[] sparse = {0, 1, 5};
        assertThat(mc.reservation(MemoryOp.POPULATE_PHYSMAP, sparse, 3, 0, 0, d)).isEqualTo(3);
        assertThat(dc.loadImage(d, "hello", "").result()).as("a hole at pfn 2").isEqualTo(-EINVAL);
        assertThat(dc.destroyDomain(d)).isZero();

        DomId tiny = createPopulated(4);
        assertThat(dc.loadImage(tiny, "hello", "").result()).as("too small for the bootstrap region").isEqualTo(-EINVAL);
        DomId ok = createPopulated(PAGES);
        assertThat(dc.loadImage(ok, "nonesuch", "").result()).isEqualTo(-ENOENT);
        assertThat(dc.loadImage(ok, "", "").result()).isEqualTo(-EINVAL);
        assertThat(dc.loadImage(ok, "x".repeat(256), "").result()).isEqualTo(-EINVAL);
        assertThat(dc.loadImage(ok, "hello", "c".repeat(1024)).result()).isEqualTo(-EINVAL);
        assertThat(dc.loadImage(ok, "hello", "caf\u00e9").result()).as("start_info.cmd_line is ASCII").isEqualTo(-EINVAL);
        assertThat(dc.loadImage(ok, "hel\0lo", "").result()).isEqualTo(-EINVAL);
        assertThat(dc.loadImage(ok, "hello", "").result()).isZero();
        assertThat(dc.loadImage(ok, "hello", "").result()).isEqualTo(-EBUSY);
        assertThat(dc.loadImage(DomId.of(dom0.domain.domid()), "hello", "").result()).as("itself").isEqualTo(-EINVAL);
    }

    @Test
    @DisplayName("setvcpucontext: -EINVAL for itself, an unallocated vCPU or a bad field; -EEXIST the second time")
    void shouldCheckTheVcpuContext() {
        DomId d = createPopulated(PAGES);
        DomctlCalls.LoadedImage image = dc.loadImage(d, "hello", "");
        DomId self = DomId.of(dom0.domain.domid());
        assertThat(dc.setVcpuContext(self, 0, dom0.scratch2, 0, image.entry(), 0, 0, image.cr3())).isEqualTo(-EINVAL);
        assertThat(dc.setVcpuContext(d, 1, dom0.scratch2, 0, image.entry(), 0, 0, image.cr3())).isEqualTo(-EINVAL);
        assertThat(dc.setVcpuContext(d, 0, 0)).as("a NULL context: vcpu_reset").isEqualTo(-EINVAL);
        assertThat(dc.setVcpuContext(d, 0, RESERVED)).isEqualTo(-EFAULT);
        assertThat(dc.setVcpuContext(d, 0, dom0.scratch2, 0, image.entry() + 16, 0, 0, image.cr3()))
                .as("an entry that is not in its code table").isEqualTo(-EINVAL);
        assertThat(dc.setVcpuContext(d, 0, dom0.scratch2, 0, image.entry(), 0, 0,
                dom0.domain.layout().l4Mfn() << Mmu.PAGE_SHIFT)).as("dom0's own L4").isEqualTo(-EINVAL);
        assertThat(dc.setVcpuContext(d, 0, dom0.scratch2, 0, image.entry(), 0, image.startInfo(), image.cr3())).isZero();
        assertThat(dc.getDomainInfo(d).nrOnlineVcpus()).as("not VGCF_online: stays down").isZero();
        assertThat(dc.setVcpuContext(d, 0, dom0.scratch2, 0, image.entry(), 0, image.startInfo(), image.cr3()))
                .isEqualTo(-EEXIST);
        long free = hv.freeFrames();
        assertThat(dc.destroyDomain(d)).isZero();
        assertThat(hv.freeFrames()).as("the CR3 reference went with it").isGreaterThan(free + PAGES - 1);
    }

    @Test
    @DisplayName("dom0 cannot destroy or pause itself, nor set its own vCPU count (-EINVAL)")
    void shouldRefuseToActOnItself() {
        DomId self = DomId.of(dom0.domain.domid());
        assertThat(dc.destroyDomain(self)).isEqualTo(-EINVAL);
        assertThat(dc.pauseDomain(self)).isEqualTo(-EINVAL);
        assertThat(dc.maxVcpus(self, 1)).isEqualTo(-EINVAL);
        assertThat(dc.unpauseDomain(self)).as("not paused").isEqualTo(-EINVAL);
        assertThat(dom0.domain.mayRun()).isTrue();
    }

    @Test
    @DisplayName("an unprivileged caller gets -EPERM for every command, whatever the domain, and nothing changes")
    void shouldRefuseEveryCommandToAnUnprivilegedCaller() {
        long victim = dc.createDomain(DomId.ANY, 1, null);
        asDomU();
        DomctlCalls du = new DomctlCalls(domU.cpu, new ArgumentPage(domU.scratch));
        int[] cmds = {Domctl.CREATEDOMAIN, Domctl.DESTROYDOMAIN, Domctl.PAUSEDOMAIN, Domctl.UNPAUSEDOMAIN,
            Domctl.GETDOMAININFO, Domctl.MAX_MEM, Domctl.SETVCPUCONTEXT, Domctl.GETVCPUCONTEXT, Domctl.MAX_VCPUS,
            Domctl.PARASOL_LOAD_IMAGE, 6, 99, 1000};
        int[] ids = {domU.domain.domid(), dom0.domain.domid(), (int) victim, UNKNOWN_DOMAIN, DomId.DOMID_SELF,
            DomId.DOMID_ANY, DomId.DOMID_INVALID, 0};
        for (int cmd : cmds) {
            for (int id : ids) {
                assertThat(du.simple(cmd, DomId.of(id))).as("cmd %d on %d", cmd, id).isEqualTo(-EPERM);
            }
        }
        assertThat(du.createDomain(DomId.ANY, 1, null)).isEqualTo(-EPERM);
        assertThat(du.getDomainInfo(DomId.of(domU.domain.domid())).result()).as("not even itself").isEqualTo(-EPERM);
        assertThat(du.loadImage(DomId.of((int) victim), "hello", "").result()).isEqualTo(-EPERM);
        assertThat(hv.lookup((int) victim).state()).isEqualTo(DomainState.PAUSED);
        assertThat(hv.lookup((int) victim).layout()).isNull();
        assertThat(dom0.domain.mayRun()).isTrue();
    }

    @Test
    @DisplayName("populate_physmap for another domain without privilege does nothing and answers 0 extents, as Xen's XSM check")
    void shouldPopulateForeignDomainsOnlyWhenPrivileged() {
        long id = dc.createDomain(DomId.ANY, 1, null);
        DomId d = DomId.of((int) id);
        assertThat(dc.maxMem(d, 64)).isZero();
        asDomU();
        MemoryOpCalls mu = new MemoryOpCalls(domU.cpu, new ArgumentPage(domU.scratch));
        long free = hv.freeFrames();
        long[] gpfns = {0, 1, 2};
        assertThat(mu.reservation(MemoryOp.POPULATE_PHYSMAP, gpfns, 3, 0, 0, d)).isZero();
        assertThat(hv.freeFrames()).isEqualTo(free);
        assertThat(hv.lookup(d.value()).pages().totPages()).isZero();
        assertThat(mu.reservation(MemoryOp.POPULATE_PHYSMAP, gpfns, 3, 0, 0, DomId.SELF)).as("its own: up to max_pages")
                .isZero(); // domU is at its max_pages already
    }

    @Nested
    @DisplayName("do_domctl's order of checks")
    class OrderOfChecks {
        private long raw(BareGuest g, int cmd, long version, int domain) {
            new XenDomctl().wrap(new GuestMemoryBuffer(g.mem, g.scratch2, XenDomctl.SIZE), 0)
                    .clear().cmd(cmd).interfaceVersion(version).domain(domain);
            return g.call(Hypercall.DOMCTL, g.scratch2);
        }

        @Test
        @DisplayName("copy_from_guest first: an unreadable xen_domctl is -EFAULT for anyone")
        void shouldFaultBeforeAnythingElse() {
            assertThat(dom0.call(Hypercall.DOMCTL, 0)).isEqualTo(-EFAULT);
            assertThat(dom0.call(Hypercall.DOMCTL, RESERVED)).isEqualTo(-EFAULT);
            assertThat(dom0.call(Hypercall.DOMCTL, dom0.domain.layout().mappedEnd() - 8)).as("runs off the mapping")
                    .isEqualTo(-EFAULT);
            asDomU();
            assertThat(domU.call(Hypercall.DOMCTL, RESERVED)).isEqualTo(-EFAULT);
        }

        @Test
        @DisplayName("then interface_version: -EACCES before the privilege check, the domain and the command")
        void shouldCheckTheVersionBeforePrivilege() {
            assertThat(raw(dom0, 999, 0x17, UNKNOWN_DOMAIN)).isEqualTo(-EACCES);
            assertThat(raw(dom0, Domctl.CREATEDOMAIN, 0, DomId.DOMID_ANY)).isEqualTo(-EACCES);
            asDomU();
            assertThat(raw(domU, Domctl.GETDOMAININFO, 0x19, domU.domain.domid())).isEqualTo(-EACCES);
        }

        @Test
        @DisplayName("get_domain_state is a stable op: its interface_version must be 0, not 0x18")
        void shouldWantVersionZeroForTheStableOp() {
            assertThat(raw(dom0, Domctl.GET_DOMAIN_STATE, Domctl.INTERFACE_VERSION, DomId.DOMID_INVALID))
                    .isEqualTo(-EACCES);
            assertThat(raw(dom0, Domctl.GET_DOMAIN_STATE, 0, DomId.DOMID_INVALID)).as("not implemented")
                    .isEqualTo(-ENOSYS);
        }

        @Test
        @DisplayName("then the domain: -ESRCH for a control domain, -EPERM for anyone else, before the command is known")
        void shouldLookTheDomainUpBeforeTheCommand() {
            assertThat(raw(dom0, 999, Domctl.INTERFACE_VERSION, UNKNOWN_DOMAIN)).isEqualTo(-ESRCH);
            assertThat(raw(dom0, Domctl.GETDOMAININFO, Domctl.INTERFACE_VERSION, DomId.DOMID_SELF))
                    .as("rcu_lock_domain_by_id: DOMID_SELF names no domain").isEqualTo(-ESRCH);
            assertThat(raw(dom0, 999, Domctl.INTERFACE_VERSION, domU.domain.domid())).isEqualTo(-ENOSYS);
            assertThat(raw(dom0, Domctl.GETVCPUCONTEXT, Domctl.INTERFACE_VERSION, domU.domain.domid()))
                    .isEqualTo(-ENOSYS);
            asDomU();
            assertThat(raw(domU, 999, Domctl.INTERFACE_VERSION, UNKNOWN_DOMAIN)).isEqualTo(-EPERM);
        }

        @Test
        @DisplayName("getdomaininfo answers for exactly the id asked: -ESRCH for an id with no domain, not the next one")
        void shouldNotSkipToTheNextDomain() {
            int below = Math.min(domU.domain.domid(), dom0.domain.domid()) - 1;
            assertThat(hv.lookup(below)).isNull();
            assertThat(dc.getDomainInfo(DomId.of(below)).result()).isEqualTo(-ESRCH);
        }

        @Test
        @DisplayName("createdomain: domid_alloc before sanitise_domain_config, so a taken id is -EEXIST even with bad flags")
        void shouldAllocateTheIdBeforeCheckingTheConfig() {
            assertThat(dc.createDomain(DomId.of(domU.domain.domid()), Domctl.CDF_HAP, 0, null)).isEqualTo(-EEXIST);
            assertThat(dc.createDomain(DomId.of(50), Domctl.CDF_HAP, 1, null)).isEqualTo(-EINVAL);
            assertThat(dc.createDomain(DomId.of(50), 1, null)).as("the refused creation gave id 50 back").isEqualTo(50);
        }

        @Test
        @DisplayName("setvcpucontext: the vCPU is checked before its context is copied in")
        void shouldCheckTheVcpuBeforeTheCopy() {
            long id = dc.createDomain(DomId.ANY, 1, null);
            DomId d = DomId.of((int) id);
            assertThat(dc.setVcpuContext(d, 0, RESERVED)).as("not allocated yet").isEqualTo(-EINVAL);
            assertThat(dc.maxVcpus(d, 1)).isZero();
            assertThat(dc.setVcpuContext(d, 0, RESERVED)).isEqualTo(-EFAULT);
        }

        @Test
        @DisplayName("load-image: the lengths are checked before the bytes are read")
        void shouldCheckLengthsBeforeReading() {
            long id = dc.createDomain(DomId.ANY, 1, null);
            var u = new org.parasol.hypercall.struct.ParasolDomctlLoadImage().wrap(
                    new GuestMemoryBuffer(dom0.mem, dom0.scratch2 + XenDomctl.U_OFFSET,
                            org.parasol.hypercall.struct.ParasolDomctlLoadImage.SIZE), 0);
            new XenDomctl().wrap(new GuestMemoryBuffer(dom0.mem, dom0.scratch2, XenDomctl.SIZE), 0).clear()
                    .cmd(Domctl.PARASOL_LOAD_IMAGE).interfaceVersion(Domctl.INTERFACE_VERSION).domain((int) id);
            u.image(RESERVED).imageLen(300);
            assertThat(dom0.call(Hypercall.DOMCTL, dom0.scratch2)).isEqualTo(-EINVAL);
            u.imageLen(5);
            assertThat(dom0.call(Hypercall.DOMCTL, dom0.scratch2)).isEqualTo(-EFAULT);
        }

        @Test
        @DisplayName("load-image: a non-zero pad, or a store_domid that names no domain, is -EINVAL before any image is loaded")
        void shouldRefuseABadPadOrStoreDomain() {
            DomId d = createPopulated(PAGES);
            dom0.putString(dom0.scratch2 + 3000, "hello");
            var u = new org.parasol.hypercall.struct.ParasolDomctlLoadImage().wrap(
                    new GuestMemoryBuffer(dom0.mem, dom0.scratch2 + XenDomctl.U_OFFSET,
                            org.parasol.hypercall.struct.ParasolDomctlLoadImage.SIZE), 0);
            new XenDomctl().wrap(new GuestMemoryBuffer(dom0.mem, dom0.scratch2, XenDomctl.SIZE), 0).clear()
                    .cmd(Domctl.PARASOL_LOAD_IMAGE).interfaceVersion(Domctl.INTERFACE_VERSION).domain(d.value());
            u.image(dom0.scratch2 + 3000).imageLen(5).pad(1);
            assertThat(dom0.call(Hypercall.DOMCTL, dom0.scratch2)).as("pad").isEqualTo(-EINVAL);
            u.pad(0).storeDomid(DomId.DOMID_IO);
            assertThat(dom0.call(Hypercall.DOMCTL, dom0.scratch2)).as("DOMID_IO").isEqualTo(-EINVAL);
            assertThat(domain(d).layout()).isNull();
            u.storeDomid(0);
            assertThat(dom0.call(Hypercall.DOMCTL, dom0.scratch2)).as("no store port: none in start_info").isZero();
            assertThat(u.storeMfn()).isEqualTo(domain(d).layout().storeMfn());
            assertThat(dc.destroyDomain(d)).isZero();
        }
    }

    @Test
    @DisplayName("the union is copied back whole: createdomain's other fields come back as they went")
    void shouldCopyTheStructureBackWhole() {
        var header = new XenDomctl().wrap(new GuestMemoryBuffer(dom0.mem, dom0.scratch2, XenDomctl.SIZE), 0).clear()
                .cmd(Domctl.CREATEDOMAIN).interfaceVersion(Domctl.INTERFACE_VERSION).domain(DomId.DOMID_ANY);
        var create = new XenDomctlCreatedomain().wrap(
                new GuestMemoryBuffer(dom0.mem, dom0.scratch2 + XenDomctl.U_OFFSET, XenDomctlCreatedomain.SIZE), 0)
                .maxVcpus(1).maxGrantFrames(-1).ssidref(0x1234);
        assertThat(dom0.call(Hypercall.DOMCTL, dom0.scratch2)).isZero();
        assertThat(header.domain()).isNotEqualTo(DomId.DOMID_ANY);
        assertThat(hv.lookup(header.domain())).isNotNull();
        assertThat(create.ssidref()).isEqualTo(0x1234);
        assertThat(create.maxGrantFrames()).isEqualTo(-1);
    }
}
