package org.parasol.hypervisor.jfr;

import jdk.jfr.Category;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** GNTTABOP_map_grant_ref or unmap_grant_ref, one grant. Off by default (one per grant when on). */
@Name("parasol.GrantMap")
@Label("Grant map/unmap")
@Category({"Parasol", "Grants"})
@Enabled(false)
@StackTrace(false)
public final class GrantMapEvent extends Event {
    @Label("Mapping domain")
    public int domid;
    @Label("Operation")
    public String op;
    @Label("Granting domain")
    public int granter;
    @Label("Grant ref or handle")
    public long ref;
    @Label("Status")
    public int status;

    /** Commits one (the caller has checked {@link JfrSwitch#grantMap}). */
    public static void emit(int domid, String op, int granter, long ref, int status) {
        GrantMapEvent e = new GrantMapEvent();
        e.domid = domid;
        e.op = op;
        e.granter = granter;
        e.ref = ref;
        e.status = status;
        e.commit();
    }
}
