package org.parasol.hypervisor.jfr;

import jdk.jfr.Category;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * One TLB shootdown of a domain's vCPUs (Xen's {@code flush_tlb_mask} over the domain's dirty
 * mask): who asked for it, how many vCPUs had to acknowledge it from their own threads, and
 * whether all did before the deadline. The event's duration is the wait. Off by default (one
 * per unmap batch or deferred page-table put when on).
 */
@Name("parasol.TlbShootdown")
@Label("TLB shootdown")
@Category({"Parasol", "Memory"})
@Enabled(false)
@StackTrace(false)
public final class TlbShootdownEvent extends Event {
    @Label("Domain")
    public int domid;
    @Label("vCPUs")
    public int vcpus;
    @Label("vCPUs waited for")
    public int waitedFor;
    @Label("Completed")
    public boolean completed;
}
