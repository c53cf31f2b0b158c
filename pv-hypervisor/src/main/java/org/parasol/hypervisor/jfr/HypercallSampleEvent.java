package org.parasol.hypervisor.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;

/**
 * One domain's hypercalls of one family since the last sample: emitted each period (1 s by
 * default) from the vCPUs' own counters, so the hypercall path pays nothing for it.
 */
@Name("parasol.Hypercalls")
@Label("Hypercalls per family")
@Category({"Parasol", "Hypercalls"})
@Description("A domain's hypercalls of one family since the previous sample")
@Period("1 s")
public final class HypercallSampleEvent extends Event {
    @Label("Domain id")
    public int domid;
    @Label("Family")
    public String family;
    @Label("Calls since the last sample")
    public long calls;
    @Label("Calls since boot")
    public long total;
}
