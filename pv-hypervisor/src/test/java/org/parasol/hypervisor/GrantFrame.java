package org.parasol.hypervisor;

import java.lang.foreign.MemorySegment;

import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.struct.GrantEntryV1;
import org.parasol.hypervisor.mm.MachineMemory;

/**
 * A granter's grant frame seen from the host side: tests write v1 entries straight into its
 * machine memory through the {@link GrantEntryV1} flyweight, standing in for the granter's own
 * mapping of the frame, in the order a guest must publish them (domid, frame, then flags with
 * release ordering).
 */
record GrantFrame(SegmentBuffer machine, long mfn) {

    GrantFrame(MemorySegment machine, long mfn) {
        this(new SegmentBuffer(machine), mfn);
    }

    /** Machine address of entry {@code ref}. */
    long entry(int ref) {
        return MachineMemory.maddr(mfn) + GrantEntryV1.SIZE * ref;
    }

    /** The flyweight over entry {@code ref}. */
    GrantEntryV1 at(int ref) {
        return new GrantEntryV1().wrap(machine, entry(ref));
    }

    /** Publishes entry {@code ref}: {@code domid} may use {@code frame} as {@code flags} say. */
    void grant(int ref, int domid, long frame, int flags) {
        at(ref).domid(domid).frame(frame).flagsRelease(flags);
    }

    /** The entry's flags as the hypervisor left them. */
    int flags(int ref) {
        return at(ref).flagsAcquire();
    }

    /** The entry's header word: flags | domid &lt;&lt; 16. */
    int header(int ref) {
        return at(ref).headerAcquire();
    }

    /** Overwrites the header word (a granter ending access, or ignoring the busy bits). */
    void setHeader(int ref, int header) {
        machine.putIntRelease(entry(ref), header);
    }
}
