package org.parasol.hypervisor.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A domain created, shut down (with its reason) or destroyed. */
@Name("parasol.DomainLifecycle")
@Label("Domain lifecycle")
@Category({"Parasol", "Domains"})
@Description("A domain created, shut down (with its reason) or destroyed")
public final class DomainLifecycleEvent extends Event {
    @Label("Domain id")
    public int domid;
    @Label("Name")
    public String name;
    @Label("What")
    public String what;
    @Label("Shutdown reason")
    public String reason;

    /** Commits one, if the event is enabled. */
    public static void emit(int domid, String name, String what, String reason) {
        DomainLifecycleEvent e = new DomainLifecycleEvent();
        if (e.shouldCommit()) {
            e.domid = domid;
            e.name = name;
            e.what = what;
            e.reason = reason;
            e.commit();
        }
    }
}
