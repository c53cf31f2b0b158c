package org.parasol.hypervisor.jfr;

import jdk.jfr.Category;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** EVTCHNOP_send by a domain on one of its ports. Off by default (one per send when on). */
@Name("parasol.EvtchnSend")
@Label("Event-channel send")
@Category({"Parasol", "Events"})
@Enabled(false)
@StackTrace(false)
public final class EventSendEvent extends Event {
    @Label("Domain id")
    public int domid;
    @Label("Port")
    public int port;
    @Label("Result")
    public int result;
}
