package org.parasol.hypervisor.domain;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.parasol.hypervisor.hvm.DmaMemory;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;

/**
 * A domain's IOMMU, for the emulated bus masters of its native configuration: what a DMA
 * from its ATA disk may touch. We can't trust the guest's PRD tables, so each 4 KiB page a
 * transfer touches is checked as Xen's IOMMU code maps a PV domain's memory for a device
 * assigned to it — only frames the domain owns, never another domain's, never the
 * hypervisor's (not even the hypervisor pages shared with the domain, such as
 * {@code shared_info}) — and, for a device-to-memory transfer, only a frame the guest may
 * write: one that takes a {@code PGT_writable_page} type reference, as a grant copy's
 * destination must (so never a page table or a descriptor page in use).
 *
 * <p>Each page is pinned for the copy with a general reference (and the type reference for a
 * write), taken and dropped around it, so a frame freed or retyped by another vCPU at the same
 * moment is either refused or still the domain's while the bytes move. Allocates nothing.
 */
final class DomainDma implements DmaMemory {
    private final FrameTable frames;
    private final MemorySegment machine;
    private final int domid;

    DomainDma(FrameTable frames, MachineMemory memory, int domid) {
        this.frames = frames;
        this.machine = memory.segment();
        this.domid = domid;
    }

    @Override
    public boolean read(long address, byte[] array, int offset, int length) {
        return move(address, array, offset, length, false);
    }

    @Override
    public boolean write(long address, byte[] array, int offset, int length) {
        return move(address, array, offset, length, true);
    }

    private boolean move(long address, byte[] array, int offset, int length, boolean toMemory) {
        if (address < 0 || length <= 0 || offset < 0 || length > array.length - offset
                || address > Long.MAX_VALUE - length) {
            return false;
        }
        long at = address;
        int done = 0;
        while (done < length) {
            long mfn = at >>> MachineMemory.PAGE_SHIFT;
            int n = (int) Math.min(length - done, MachineMemory.PAGE_SIZE - (at & (MachineMemory.PAGE_SIZE - 1)));
            if (frames.owner(mfn) != domid || !frames.getPage(mfn, domid)) {
                return false;
            }
            try {
                if (frames.owner(mfn) != domid) {
                    return false; // a shared hypervisor page: mappable by the domain, not a device's
                }
                if (toMemory) {
                    if (!frames.getPageType(mfn, FrameTable.PGT_WRITABLE_PAGE)) {
                        return false; // a page table or descriptor page: read-only to the guest
                    }
                    try {
                        MemorySegment.copy(array, offset + done, machine, ValueLayout.JAVA_BYTE, at, n);
                    } finally {
                        frames.putPageType(mfn);
                    }
                } else {
                    MemorySegment.copy(machine, ValueLayout.JAVA_BYTE, at, array, offset + done, n);
                }
            } finally {
                frames.putPage(mfn);
            }
            at += n;
            done += n;
        }
        return true;
    }
}
