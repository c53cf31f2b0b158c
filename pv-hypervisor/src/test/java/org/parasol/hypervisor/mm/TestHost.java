package org.parasol.hypervisor.mm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Machine memory, a frame table and helpers to build domains on them, for tests. */
final class TestHost implements AutoCloseable {
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final MachineMemory memory;
    final FrameTable frames;

    TestHost(long bytes) {
        memory = MachineMemory.create(bytes);
        frames = new FrameTable(memory);
    }

    /** A built domain: its accounting, layout, shared_info and a vCPU MMU on the calling thread. */
    record Domain(DomainPages pages, BootLayout layout, TestContext context, VcpuMmu mmu) {
        int domid() {
            return pages.domid();
        }
    }

    Domain domain(int domid, long nrPages) {
        DomainPages pages = new DomainPages(domid, nrPages);
        long sharedInfo = frames.allocateShared(domid);
        BootLayout layout = BootstrapBuilder.build(frames, pages, nrPages, sharedInfo);
        TestContext context = new TestContext(domid, layout.l4Mfn());
        VcpuMmu mmu = new VcpuMmu(frames, context, context.pollWord);
        context.mmu = mmu;
        mmu.setOwner(context.owner);
        return new Domain(pages, layout, context, mmu);
    }

    MemorySegment mem() {
        return memory.segment();
    }

    /** The MFN of {@code pfn}, read from the domain's P2M list in its own memory. */
    long mfnOf(Domain d, long pfn) {
        long p2mPage = pfnToMfnViaL1(d, d.layout().p2mVa() + ((pfn >>> 9) << 12));
        frames.ensureP2mWritten(p2mPage); // read as the hypervisor reads a frame: the list's page written first
        return mem().get(U64, MachineMemory.maddr(p2mPage) + 8 * (pfn & 511));
    }

    /** Machine address of the L1 entry that maps {@code va} (tables read directly, no checks). */
    long l1EntryAddress(Domain d, long va) {
        long table = d.context().baseMfn;
        for (int level = 4; level > 1; level--) {
            long pte = mem().get(U64, MachineMemory.maddr(table) + 8L * PageTableEntry.index(va, level));
            table = PageTableEntry.mfn(pte);
        }
        return MachineMemory.maddr(table) + 8L * PageTableEntry.index(va, 1);
    }

    long l1Entry(Domain d, long va) {
        return mem().get(U64, l1EntryAddress(d, va));
    }

    void setL1Entry(Domain d, long va, long pte) {
        mem().set(U64, l1EntryAddress(d, va), pte);
    }

    private long pfnToMfnViaL1(Domain d, long va) {
        return PageTableEntry.mfn(l1Entry(d, va));
    }

    @Override
    public void close() {
        memory.close();
    }
}
