package org.parasol.hypervisor.grant;

import java.util.ArrayList;
import java.util.List;

import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.abi.Gntmap;
import org.parasol.hypercall.abi.Gnttab;

/**
 * What a grant table and a maptrack still hold, in words, for the leak check
 * ({@link org.parasol.hypervisor.testing.LeakCheck}): the test-side reader of their
 * package-private accessors.
 */
public final class GrantLeaks {
    private GrantLeaks() {
    }

    /** Every entry of {@code gt} still pinned (in use by a mapping or a copy), one line each. */
    public static List<String> pinnedEntries(GrantTable gt) {
        List<String> out = new ArrayList<>();
        int entries = gt.allocatedFrames() * Gnttab.ENTRIES_PER_FRAME_V1;
        for (int ref = 0; ref < entries; ref++) {
            int pin = gt.pinOf(ref);
            long frame = gt.activeFrame(ref);
            if (pin != 0) {
                out.add("gref " + ref + " in use by d" + gt.activeDomain(ref) + " (pin 0x"
                        + Integer.toHexString(pin) + ", " + (frame < 0 ? "no frame" : Mfn.of(frame)) + ")");
            }
        }
        return out;
    }

    /** Every maptrack handle of {@code m} still in use, one line each. */
    public static List<String> liveMappings(Maptrack m) {
        List<String> out = new ArrayList<>();
        for (int h : m.handlesInUse()) {
            GrantTable gt = m.granter(h);
            int flags = m.flags(h);
            out.add("maptrack handle " + h + ": gref " + m.ref(h) + " of "
                    + (gt == null ? "no granter" : "d" + gt.domid()) + ", " + Mfn.of(m.mfn(h))
                    + ((flags & Gntmap.READONLY) != 0 ? ", read-only" : "")
                    + ((flags & Gntmap.DEVICE_MAP) != 0 ? ", device map" : ""));
        }
        return out;
    }
}
