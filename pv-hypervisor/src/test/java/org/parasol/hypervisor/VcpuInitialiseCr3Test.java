package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.Errno.EEXIST;
import static org.parasol.hypercall.Errno.EINVAL;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.VcpuEntry;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.time.ManualClock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * The CR3 of a secondary vCPU given by {@code VCPUOP_initialise}: validated as an L4 of the
 * domain and referenced by the vCPU, as Xen's {@code arch_set_info_guest} does and as
 * {@code MMUEXT_NEW_BASEPTR} does for a running vCPU.
 */
class VcpuInitialiseCr3Test {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;
    private BareGuest g;
    private long entry;

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(32L << 20).withClock(new ManualClock()).withPcpus(1)));
        g = BareGuest.create(hv, new DomainConfig("smp", 8192, 8192, 2, null, "", false,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE));
        entry = g.cpu.registerCode((VcpuEntry) (cpu, arg) -> {
            throw new AssertionError("vCPU 1 is never brought up here");
        });
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    /** VCPUOP_initialise of vCPU 1 with {@code cr3 = mfn << 12}; the context spans scratch and scratch2. */
    private long initialise(long l4Mfn) {
        g.mem.fill(g.scratch, 8192, (byte) 0);
        g.mem.putLong(g.scratch + SmpTest.CTX_RIP, entry);
        g.mem.putLong(g.scratch + SmpTest.CTX_CR3, l4Mfn << 12);
        return g.call(Hypercall.VCPU_OP, VcpuOp.INITIALISE, 1, g.scratch);
    }

    private FrameTable frames() {
        return hv.frames();
    }

    /** General count and type word of a frame, for before/after comparisons. */
    private long[] counts(long mfn) {
        return new long[] {frames().refCount(mfn), frames().typeInfo(mfn)};
    }

    @Test
    @DisplayName("arch_set_info_guest: the new vCPU's CR3 takes a general and an L4 type reference on its L4")
    void shouldTakeTheBaseReferenceOfTheNewVcpu() {
        long l4 = g.domain.layout().l4Mfn();
        int refs = frames().refCount(l4);
        long types = FrameTable.typeCount(frames().typeInfo(l4));

        assertThat(initialise(l4)).isZero();

        assertThat(frames().refCount(l4)).isEqualTo(refs + 1);
        assertThat(FrameTable.typeCount(frames().typeInfo(l4))).isEqualTo(types + 1);
        assertThat(g.domain.vcpu(1).mmu().baseRef()).isEqualTo(l4);
        assertThat(g.domain.vcpu(1).baseMfn()).isEqualTo(l4);
    }

    @Test
    @DisplayName("a fresh frame of the domain is validated as an L4 on the spot, as new_baseptr would")
    void shouldValidateAnUntypedFrameAsAnL4() {
        long spare = g.mem.getLong(g.domain.layout().p2mVa() + 8 * g.domain.layout().mappedPages());
        assertThat(FrameTable.pageType(frames().typeInfo(spare))).isEqualTo(FrameTable.PGT_NONE);

        assertThat(initialise(spare)).isZero();

        long x = frames().typeInfo(spare);
        assertThat(FrameTable.pageType(x)).isEqualTo(FrameTable.PGT_L4_PAGE_TABLE);
        assertThat(FrameTable.isValidated(x)).isTrue();
        assertThat(FrameTable.typeCount(x)).isEqualTo(1);
        assertThat(g.domain.vcpu(1).mmu().baseRef()).isEqualTo(spare);
    }

    @Test
    @DisplayName("a CR3 that does not validate as an L4 of the caller is -EINVAL and takes no reference")
    void shouldRefuseACr3ThatIsNotAnL4OfTheDomain() throws Exception {
        long l1 = TlbShootdownTest.l1EntryAddress(hv.machine().segment(), g.domain.layout().l4Mfn(), g.scratch) >>> 12;
        long writable = g.domain.vcpu(0).mmu().translate(g.scratch, false) >>> 12;
        long foreign = hv.createBareDomain(DomainConfig.of("other", null, 1)).layout().l4Mfn();

        for (long mfn : new long[] {l1, writable, foreign}) {
            long[] before = counts(mfn);
            assertThat(initialise(mfn)).as("mfn %#x", mfn).isEqualTo(-EINVAL);
            assertThat(counts(mfn)).as("mfn %#x", mfn).containsExactly(before);
        }
        assertThat(initialise(frames().frameCount() + 5)).as("beyond machine memory").isEqualTo(-EINVAL);
        assertThat(g.domain.vcpu(1).initialised()).isFalse();
        assertThat(g.domain.vcpu(1).mmu().baseRef()).isEqualTo(-1);
    }

    @Test
    @DisplayName("VCPUOP_initialise is once per vCPU: a second one is -EEXIST and leaves the counts as they were")
    void shouldNotLeakAReferenceOnASecondInitialise() {
        long l4 = g.domain.layout().l4Mfn();
        assertThat(initialise(l4)).isZero();
        long[] before = counts(l4);

        assertThat(initialise(l4)).isEqualTo(-EEXIST);

        assertThat(counts(l4)).containsExactly(before);
    }

    @Test
    @DisplayName("reclamation: the secondary vCPU's CR3 reference is dropped at destroy and every frame is free again")
    void shouldDropTheReferenceAtDestroy() {
        long freeAtBoot = frames().freeFrames() + g.domain.pages().totPages() + 1;
        long spare = g.mem.getLong(g.domain.layout().p2mVa() + 8 * g.domain.layout().mappedPages());
        assertThat(initialise(spare)).isZero();

        assertThat(hv.destroy(g.domain)).isTrue();

        assertThat(frames().ownedBy(g.domain.domid())).isZero();
        assertThat(frames().freeFrames()).isEqualTo(freeAtBoot);
    }
}
