package org.parasol.hypercall.guest;

import java.util.Objects;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.MemoryOp;
import org.parasol.hypercall.struct.Layouts;
import org.parasol.hypercall.struct.XenAddToPhysmap;
import org.parasol.hypercall.struct.XenMachphysMapping;
import org.parasol.hypercall.struct.XenMachphysMfnList;
import org.parasol.hypercall.struct.XenMemoryDomain;
import org.parasol.hypercall.struct.XenMemoryReservation;

/**
 * {@code HYPERVISOR_memory_op(cmd, arg)} (hypercall 12): the balloon operations, the M2P
 * table's location and reservation queries, as Mini-OS's {@code mm.c} and Linux's balloon
 * driver call them.
 *
 * <p>Results are {@code >= 0} or {@code -errno}; a bad pointer answers {@code -EFAULT}, an
 * unknown command {@code -ENOSYS}. Unprivileged callers may only name {@code DOMID_SELF}
 * ({@code -EPERM} otherwise); an unknown domain answers {@code -ESRCH}.
 */
public final class MemoryOpCalls {
    private final Cpu cpu;
    private final ArgumentPage page;
    private final XenMemoryReservation reservation = new XenMemoryReservation();
    private final XenMemoryDomain domain = new XenMemoryDomain();
    private final XenMachphysMfnList mfnList = new XenMachphysMfnList();
    private final XenMachphysMapping mapping = new XenMachphysMapping();
    private final XenAddToPhysmap addToPhysmap = new XenAddToPhysmap();

    /** Wrappers for {@code cpu}, marshalling through {@code page} (the same vCPU's). */
    public MemoryOpCalls(Cpu cpu, ArgumentPage page) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.page = Objects.requireNonNull(page, "page");
    }

    /**
     * {@code XENMEM_increase_reservation}: allocates {@code nrExtents} extents of
     * {@code 2^extentOrder} pages and writes their base MFNs to the {@code u64} array at
     * {@code extentStartVa} (0 to discard them).
     *
     * @return extents allocated (fewer than asked when memory or the domain's limit runs
     *     out), or {@code -errno}
     */
    public long increaseReservation(long extentStartVa, long nrExtents, int extentOrder, int memFlags, DomId dom) {
        return reservation(MemoryOp.INCREASE_RESERVATION, extentStartVa, nrExtents, extentOrder, memFlags, dom);
    }

    /**
     * {@code XENMEM_decrease_reservation}: gives back the extents whose GMFNs are in the
     * array at {@code extentStartVa}.
     *
     * @return extents released (stopping at the first frame the domain does not own), or
     *     {@code -errno}
     */
    public long decreaseReservation(long extentStartVa, long nrExtents, int extentOrder, int memFlags, DomId dom) {
        return reservation(MemoryOp.DECREASE_RESERVATION, extentStartVa, nrExtents, extentOrder, memFlags, dom);
    }

    /**
     * {@code XENMEM_populate_physmap}: backs the GPFNs in the array at {@code extentStartVa}
     * with new frames, overwriting each entry with the frame allocated.
     *
     * @return extents populated, or {@code -errno}
     */
    public long populatePhysmap(long extentStartVa, long nrExtents, int extentOrder, int memFlags, DomId dom) {
        return reservation(MemoryOp.POPULATE_PHYSMAP, extentStartVa, nrExtents, extentOrder, memFlags, dom);
    }

    /**
     * A reservation command with the extent array on the argument page: sends the first
     * {@code count} entries of {@code extents} and, for increase and populate, copies the
     * frames Xen wrote back into {@code extents}.
     *
     * @param cmd {@code XENMEM_increase_reservation}, {@code decrease_reservation} or
     *     {@code populate_physmap}
     * @return as the command's address form
     */
    public long reservation(int cmd, long[] extents, int count, int extentOrder, int memFlags, DomId dom) {
        if (cmd != MemoryOp.INCREASE_RESERVATION && cmd != MemoryOp.DECREASE_RESERVATION
                && cmd != MemoryOp.POPULATE_PHYSMAP) {
            throw new IllegalArgumentException("not a reservation command: " + cmd);
        }
        Objects.checkFromIndexSize(0, count, extents.length);
        long bytes = (long) count * Long.BYTES;
        long list = page.push(bytes);
        try {
            GuestMemory memory = cpu.memory();
            for (int i = 0; i < count; i++) {
                page.scratch().set(Layouts.U64, list + (long) i * Long.BYTES, extents[i]);
            }
            page.copyIn(memory, list, bytes);
            long rc = reservation(cmd, page.address(list), count, extentOrder, memFlags, dom);
            if (rc > 0 && cmd != MemoryOp.DECREASE_RESERVATION) {
                page.copyOut(memory, list, bytes);
                for (int i = 0; i < rc && i < count; i++) {
                    extents[i] = page.scratch().get(Layouts.U64, list + (long) i * Long.BYTES);
                }
            }
            return rc;
        } finally {
            page.pop(list);
        }
    }

    /** {@code XENMEM_maximum_ram_page}: the highest MFN of RAM. Never fails. */
    public long maximumRamPage() {
        return cpu.hypercall(Hypercall.MEMORY_OP, MemoryOp.MAXIMUM_RAM_PAGE, 0);
    }

    /** {@code XENMEM_current_reservation}: pages {@code dom} holds, or {@code -errno}. */
    public long currentReservation(DomId dom) {
        return withDomain(MemoryOp.CURRENT_RESERVATION, dom);
    }

    /** {@code XENMEM_maximum_reservation}: pages {@code dom} may hold, or {@code -errno}. */
    public long maximumReservation(DomId dom) {
        return withDomain(MemoryOp.MAXIMUM_RESERVATION, dom);
    }

    /** {@code XENMEM_maximum_gpfn}: the highest GPFN {@code dom} has used, or {@code -errno}. */
    public long maximumGpfn(DomId dom) {
        return withDomain(MemoryOp.MAXIMUM_GPFN, dom);
    }

    /**
     * {@code XENMEM_machphys_mfn_list}: writes up to {@code maxExtents} MFNs of the 2 MiB
     * chunks of the M2P table to the {@code u64} array at {@code extentStartVa}.
     *
     * @return the number of MFNs written, or {@code -errno}
     */
    public long machphysMfnList(int maxExtents, long extentStartVa) {
        long off = page.push(XenMachphysMfnList.SIZE);
        try {
            mfnList.wrap(page.buffer(), off).maxExtents(maxExtents).extentStart(extentStartVa);
            GuestMemory memory = cpu.memory();
            page.copyIn(memory, off, XenMachphysMfnList.SIZE);
            long rc = cpu.hypercall(Hypercall.MEMORY_OP, MemoryOp.MACHPHYS_MFN_LIST, page.address(off));
            if (rc < 0) {
                return rc;
            }
            page.copyOut(memory, off, XenMachphysMfnList.SIZE);
            return mfnList.wrap(page.buffer(), off).nrExtents();
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code XENMEM_machphys_mapping}: where the read-only M2P table is mapped.
     *
     * @return the mapping; {@code result} is 0 or {@code -errno}
     */
    public MachphysMapping machphysMapping() {
        long off = page.push(XenMachphysMapping.SIZE);
        try {
            GuestMemory memory = cpu.memory();
            page.copyIn(memory, off, XenMachphysMapping.SIZE);
            long rc = cpu.hypercall(Hypercall.MEMORY_OP, MemoryOp.MACHPHYS_MAPPING, page.address(off));
            if (rc < 0) {
                return new MachphysMapping(rc, 0, 0, 0);
            }
            page.copyOut(memory, off, XenMachphysMapping.SIZE);
            XenMachphysMapping m = mapping.wrap(page.buffer(), off);
            return new MachphysMapping(rc, m.vStart(), m.vEnd(), m.maxMfn());
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code XENMEM_add_to_physmap}: maps frame {@code idx} of {@code space}
     * ({@code XENMAPSPACE_*}) at {@code gpfn} of {@code dom}. Meant for translated guests.
     *
     * @return 0, or {@code -EINVAL} for an unknown space or index (and for classic PV
     *     guests, which own no physmap), {@code -EPERM} for another domain
     */
    public long addToPhysmap(DomId dom, int size, int space, long idx, long gpfn) {
        long off = page.push(XenAddToPhysmap.SIZE);
        try {
            addToPhysmap.wrap(page.buffer(), off).domid(dom.value()).size(size).space(space).idx(idx).gpfn(gpfn);
            page.copyIn(cpu.memory(), off, XenAddToPhysmap.SIZE);
            return cpu.hypercall(Hypercall.MEMORY_OP, MemoryOp.ADD_TO_PHYSMAP, page.address(off));
        } finally {
            page.pop(off);
        }
    }

    private long reservation(int cmd, long extentStartVa, long nrExtents, int extentOrder, int memFlags, DomId dom) {
        long off = page.push(XenMemoryReservation.SIZE);
        try {
            reservation.wrap(page.buffer(), off).extentStart(extentStartVa).nrExtents(nrExtents)
                    .extentOrder(extentOrder).memFlags(memFlags).domid(dom.value());
            page.copyIn(cpu.memory(), off, XenMemoryReservation.SIZE);
            return cpu.hypercall(Hypercall.MEMORY_OP, cmd, page.address(off));
        } finally {
            page.pop(off);
        }
    }

    private long withDomain(int cmd, DomId dom) {
        long off = page.push(XenMemoryDomain.SIZE);
        try {
            domain.wrap(page.buffer(), off).domid(dom.value());
            page.copyIn(cpu.memory(), off, XenMemoryDomain.SIZE);
            return cpu.hypercall(Hypercall.MEMORY_OP, cmd, page.address(off));
        } finally {
            page.pop(off);
        }
    }

    /**
     * Where the M2P table is mapped.
     *
     * @param result 0, or {@code -errno} (then every other field is 0)
     * @param vStart first virtual address of the mapping
     * @param vEnd end of the mapping
     * @param maxMfn highest MFN covered
     */
    public record MachphysMapping(long result, long vStart, long vEnd, long maxMfn) {
    }
}
