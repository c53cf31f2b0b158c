package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.Domctl;
import org.parasol.hypercall.abi.MemoryOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.struct.ParasolDomctlLoadImage;
import org.parasol.hypercall.struct.XenDomctl;
import org.parasol.hypercall.struct.XenDomctlCreatedomain;
import org.parasol.hypercall.struct.XenDomctlMaxMem;
import org.parasol.hypercall.struct.XenDomctlMaxVcpus;
import org.parasol.hypercall.struct.XenDomctlVcpucontext;
import org.parasol.hypercall.struct.XenMemoryReservation;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.image.ImageException;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.time.ManualClock;

/**
 * "We can't trust the guest", even a control domain's toolstack: random {@code xen_domctl}
 * structures — random commands, versions, domain ids, union bytes and pointers, the
 * hypervisor's reserved range among them — from a privileged and from an unprivileged domain,
 * mixed with populate_physmap for the domains they name. The hypervisor never throws, every
 * call answers {@code >= 0} or a known {@code -errno}, neither caller is ended, and a
 * bystander domain no call names keeps its memory, its state and its pause count. After each
 * try every domain the calls created is destroyed and every frame is back.
 */
class HostileDomctlProperty {
    /** Stands for the calling domain's own id, resolved when the call is made. */
    private static final int OWN_ID = -1;
    /** Stands for the id of a domain this try created, if any. */
    private static final int CREATED_ID = -2;
    /** Stands for the bystander's id: only the unprivileged caller may name it. */
    private static final int BYSTANDER_ID = -3;
    private static final long RESERVED = Mmu.HYPERVISOR_VIRT_START;

    private static Hypervisor hv;
    private static Domain bystander;

    @BeforeContainer
    static void boot() throws Exception {
        hv = Hypervisor.boot(HostConfig.defaults(48L << 20).withClock(new ManualClock()).withPcpus(1));
        hv.setKernelSource((image, privileged) -> {
            if (!image.startsWith("h")) {
                throw new ImageException("unknown image '" + image + "'");
            }
            return domid -> TestKernels.poweroff("built by a hostile toolstack");
        });
        bystander = hv.createBareDomain(DomainConfig.of("bystander", null, 1));
    }

    @AfterContainer
    static void close() {
        hv.close();
    }

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

    /**
     * One hostile call: a {@code xen_domctl} ({@code cmd}, {@code version}, {@code domain},
     * 16 union words) passed at {@code pointer} ({@code 0} in the list stands for the caller's
     * scratch page), or, when {@code memoryOp}, a populate_physmap of {@code union[0]} extents
     * for {@code domain}. A {@code plausible} call replaces the union with a member a toolstack
     * could send (a small vCPU count, a small max_mem, an image name), so that the calls build
     * domains far enough for the later commands to reach their own checks.
     */
    record Call(boolean memoryOp, boolean plausible, int cmd, long version, int domain, List<Long> union,
            long pointer) {
    }

    @Provide
    Arbitrary<List<Call>> calls() {
        return call().list().ofSize(150);
    }

    private Arbitrary<Call> call() {
        Arbitrary<Integer> cmd = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.of(Domctl.CREATEDOMAIN, Domctl.DESTROYDOMAIN, Domctl.PAUSEDOMAIN,
                        Domctl.UNPAUSEDOMAIN, Domctl.GETDOMAININFO, Domctl.MAX_MEM, Domctl.SETVCPUCONTEXT,
                        Domctl.GETVCPUCONTEXT, Domctl.MAX_VCPUS, Domctl.GET_DOMAIN_STATE, Domctl.PARASOL_LOAD_IMAGE)),
                Tuple.of(2, Arbitraries.integers().between(0, 100)),
                Tuple.of(1, Arbitraries.integers()));
        Arbitrary<Long> version = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.just((long) Domctl.INTERFACE_VERSION)),
                Tuple.of(1, Arbitraries.just(0L)),
                Tuple.of(1, Arbitraries.longs().between(0, 0xFFFF_FFFFL)));
        Arbitrary<Integer> domain = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.of(OWN_ID, CREATED_ID, CREATED_ID, BYSTANDER_ID)),
                Tuple.of(3, Arbitraries.of(DomId.DOMID_ANY, DomId.DOMID_SELF, DomId.DOMID_INVALID, DomId.DOMID_IO,
                        0, 0xFFFF, 0x7FEF)),
                Tuple.of(2, Arbitraries.integers().between(0, 40)),
                Tuple.of(1, Arbitraries.integers().between(0, 0xFFFF)));
        Arbitrary<Long> word = Arbitraries.frequencyOf(
                Tuple.of(5, Arbitraries.longs().between(-2, 40)),
                Tuple.of(3, Arbitraries.longs().between(0x40_0000L, 0x50_0000L)),
                Tuple.of(2, Arbitraries.of(0L, RESERVED, RESERVED + 0x1000, Mmu.MACH2PHYS_VIRT_END - 8, -1L,
                        Long.MIN_VALUE, Long.MAX_VALUE, 0xFFFF_FFFF_C000_0010L, 255L, 256L, 1023L, 1024L, 0xFFFF_FFFFL)),
                Tuple.of(1, Arbitraries.longs()));
        Arbitrary<Long> pointer = Arbitraries.frequencyOf(
                Tuple.of(10, Arbitraries.just(0L)),
                Tuple.of(1, Arbitraries.of(1L, RESERVED, RESERVED + 64, 0x0000_7FFF_FFFF_FFF0L, -144L)),
                Tuple.of(1, Arbitraries.longs()));
        Arbitrary<Boolean> memoryOp = Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.just(false)),
                Tuple.of(1, Arbitraries.just(true)));
        Arbitrary<Boolean> plausible = Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.just(false)),
                Tuple.of(1, Arbitraries.just(true)));
        return Combinators.combine(memoryOp, plausible, cmd, version, domain, word.list().ofSize(16), pointer)
                .as(Call::new);
    }

    @Property(tries = 60, shrinking = ShrinkingMode.BOUNDED)
    void hostileDomctlsNeverThrowAndNeverTouchABystander(@ForAll("calls") List<Call> calls) throws Exception {
        long sum = checksum(bystander);
        long free = hv.freeFrames();
        BareGuest privileged = BareGuest.create(hv, new DomainConfig("hostile-dom0", 1024, 1024, 1, null, "", true,
                null, null, null));
        BareGuest unprivileged = BareGuest.create(hv, "hostile-domU", 1024);
        List<Integer> created = new ArrayList<>();
        try {
            int spared = unprivileged.domain.domid();
            for (Call c : calls) {
                run(unprivileged, c, created, false, spared);
                run(privileged, c, created, true, spared);
            }
            assertThat(privileged.domain.mayRun()).isTrue();
            assertThat(unprivileged.domain.mayRun()).isTrue();
        } finally {
            for (Domain d : hv.domains()) {
                if (d != bystander) {
                    hv.destroy(d);
                }
            }
        }
        assertThat(hv.unhandledExceptions()).isZero();
        assertThat(bystander.state()).isEqualTo(DomainState.RUNNING);
        assertThat(bystander.pauseCount()).isZero();
        assertThat(checksum(bystander)).as("the bystander's memory").isEqualTo(sum);
        assertThat(hv.freeFrames()).as("every frame back").isEqualTo(free);
    }

    /** A union member a toolstack could send for {@code c.cmd}, over the zeroed union. */
    private static void plausibleUnion(BareGuest g, Call c, GuestMemoryBuffer u) {
        int small = (int) Math.floorMod(c.union.get(0), 4) + 1;
        switch (c.cmd) {
            case Domctl.CREATEDOMAIN -> new XenDomctlCreatedomain().wrap(u, 0).maxVcpus(small);
            case Domctl.MAX_VCPUS -> new XenDomctlMaxVcpus().wrap(u, 0).max(small);
            case Domctl.MAX_MEM -> new XenDomctlMaxMem().wrap(u, 0).maxMemkb(Math.floorMod(c.union.get(1), 4096));
            case Domctl.SETVCPUCONTEXT -> new XenDomctlVcpucontext().wrap(u, 0).vcpu(small - 1).ctxt(g.scratch);
            case Domctl.PARASOL_LOAD_IMAGE -> {
                g.putString(g.scratch + 4000, "hello");
                new ParasolDomctlLoadImage().wrap(u, 0).image(g.scratch + 4000).imageLen(small == 1 ? 6 : 5);
            }
            default -> {
            }
        }
    }

    /**
     * Makes {@code c} from {@code g}. A privileged caller may act on any domain it names, so it
     * is never given the bystander's id nor {@code spared} (the unprivileged caller, which must
     * live through the try); those become {@code DOMID_INVALID}.
     */
    private static void run(BareGuest g, Call c, List<Integer> created, boolean privileged, int spared) {
        g.domain.vcpu(0).attach();
        int domain = switch (c.domain) {
            case OWN_ID -> g.domain.domid();
            case CREATED_ID -> created.isEmpty() ? DomId.DOMID_ANY : created.get(created.size() - 1);
            case BYSTANDER_ID -> bystander.domid();
            default -> c.domain;
        };
        if (privileged && (domain == bystander.domid() || domain == spared)) {
            domain = DomId.DOMID_INVALID;
        }
        long rc;
        if (c.memoryOp) {
            new XenMemoryReservation().wrap(new GuestMemoryBuffer(g.mem, g.scratch2, XenMemoryReservation.SIZE), 0)
                    .extentStart(g.scratch).nrExtents(Math.floorMod(c.union.get(0), 600)).extentOrder(0)
                    .memFlags(0).domid(domain);
            for (int i = 0; i < 512; i++) {
                g.mem.putLong(g.scratch + 8L * i, i);
            }
            rc = g.call(Hypercall.MEMORY_OP, MemoryOp.POPULATE_PHYSMAP, g.scratch2);
        } else {
            XenDomctl op = new XenDomctl().wrap(new GuestMemoryBuffer(g.mem, g.scratch2, XenDomctl.SIZE), 0)
                    .cmd(c.cmd).interfaceVersion(c.version).domain(domain);
            long u = g.scratch2 + XenDomctl.U_OFFSET;
            for (int i = 0; i < c.union.size(); i++) {
                g.mem.putLong(u + 8L * i, c.plausible ? 0 : c.union.get(i));
            }
            if (c.plausible) {
                plausibleUnion(g, c, new GuestMemoryBuffer(g.mem, u, XenDomctl.U_SIZE));
            }
            long pointer = c.pointer == 0 ? g.scratch2 : c.pointer;
            rc = g.call(Hypercall.DOMCTL, pointer);
            if (rc == 0 && c.cmd == Domctl.CREATEDOMAIN && pointer == g.scratch2) {
                created.add(op.domain());
            }
        }
        assertThat(rc).as("%s from %s", c, g.domain.name()).satisfiesAnyOf(
                x -> assertThat(x).isGreaterThanOrEqualTo(0),
                x -> assertThat(Errno.name(x)).isNotNull());
        if (!privileged && !c.memoryOp) {
            assertThat(rc).as("an unprivileged %s", c).isNegative();
        }
        assertThat(hv.unhandledExceptions()).as("exception at the dispatch boundary after %s", c).isZero();
        assertThat(bystander.mayRun()).isTrue();
    }
}
