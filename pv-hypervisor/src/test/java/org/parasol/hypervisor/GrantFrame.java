package org.parasol.hypervisor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.parasol.hypercall.struct.GrantEntryV1;
import org.parasol.hypervisor.mm.MachineMemory;

/**
 * A granter's grant frame seen from the host side: tests write v1 entries straight into its
 * machine memory, standing in for the granter's own mapping of the frame, in the order a
 * guest must publish them (domid, frame, then flags with release ordering).
 */
record GrantFrame(MemorySegment machine, long mfn) {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;

    /** Machine address of entry {@code ref}. */
    long entry(int ref) {
        return MachineMemory.maddr(mfn) + 8L * ref;
    }

    /** Publishes entry {@code ref}: {@code domid} may use {@code frame} as {@code flags} say. */
    void grant(int ref, int domid, long frame, int flags) {
        machine.set(U16, entry(ref) + 2, (short) domid);
        machine.set(U32, entry(ref) + 4, (int) frame);
        GrantEntryV1.flagsRelease(machine, entry(ref), flags);
    }

    /** The entry's flags as the hypervisor left them. */
    int flags(int ref) {
        return GrantEntryV1.flagsAcquire(machine, entry(ref));
    }

    /** The entry's header word: flags | domid &lt;&lt; 16. */
    int header(int ref) {
        return machine.get(U32, entry(ref));
    }

    /** Overwrites the header word (a granter ending access, or ignoring the busy bits). */
    void setHeader(int ref, int header) {
        machine.set(U32, entry(ref), header);
    }
}
