package org.parasol.hypervisor.grant;

import java.util.ArrayList;
import java.util.List;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.abi.Gntmap;
import org.parasol.hypercall.abi.Gnttab;

/**
 * What a grant table and a maptrack still hold, for the leak check
 * ({@link org.parasol.hypervisor.testing.LeakCheck}): the test-side reader of their
 * package-private accessors.
 */
public final class GrantLeaks {
    private GrantLeaks() {
    }

    /**
     * A grant entry still pinned: in use by a mapping or a copy.
     *
     * @param ref   the grant reference
     * @param user  the domain using it
     * @param pin   the pin word (Xen's {@code GNTPIN_*} counters)
     * @param frame the frame it pins, or -1
     */
    public record Pin(int ref, int user, int pin, long frame) {
        @Override
        public String toString() {
            return "gref " + ref + " in use by " + DomId.of(user) + " (pin 0x" + Integer.toHexString(pin) + ", "
                    + (frame < 0 ? "no frame" : Mfn.of(frame)) + ")";
        }
    }

    /**
     * A maptrack handle still in use: a mapping of another domain's grant.
     *
     * @param handle  the maptrack handle
     * @param ref     the grant reference mapped
     * @param granter the granting domain, or -1
     * @param frame   the frame mapped
     * @param flags   its {@code GNTMAP_*} flags
     */
    public record Mapping(int handle, int ref, int granter, long frame, int flags) {
        @Override
        public String toString() {
            return "maptrack handle " + handle + ": gref " + ref + " of "
                    + (granter < 0 ? "no granter" : DomId.of(granter).toString()) + ", " + Mfn.of(frame)
                    + ((flags & Gntmap.READONLY) != 0 ? ", read-only" : "")
                    + ((flags & Gntmap.DEVICE_MAP) != 0 ? ", device map" : "");
        }
    }

    /** Every entry of {@code gt} still pinned. */
    public static List<Pin> pins(GrantTable gt) {
        List<Pin> out = new ArrayList<>();
        int entries = gt.allocatedFrames() * Gnttab.ENTRIES_PER_FRAME_V1;
        for (int ref = 0; ref < entries; ref++) {
            int pin = gt.pinOf(ref);
            if (pin != 0) {
                out.add(new Pin(ref, gt.activeDomain(ref), pin, gt.activeFrame(ref)));
            }
        }
        return out;
    }

    /** Every maptrack handle of {@code m} still in use. */
    public static List<Mapping> mappings(Maptrack m) {
        List<Mapping> out = new ArrayList<>();
        for (int h : m.handlesInUse()) {
            GrantTable gt = m.granter(h);
            out.add(new Mapping(h, m.ref(h), gt == null ? -1 : gt.domid(), m.mfn(h), m.flags(h)));
        }
        return out;
    }
}
