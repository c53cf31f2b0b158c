package org.parasol.hypervisor.jfr;

import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Recording;

/**
 * Whether each hot-path event is enabled in some recording, as plain flags the hot paths read
 * before they allocate an event. Updated whenever a recording changes state; until then (no
 * recording ever) every flag is false.
 */
public final class JfrSwitch {
    /** {@link EventSendEvent} is on in a recording. */
    public static volatile boolean evtchnSend;
    /** {@link GrantMapEvent} is on in a recording. */
    public static volatile boolean grantMap;
    /** {@link TlbShootdownEvent} is on in a recording. */
    public static volatile boolean tlbShootdown;
    /** {@link HypercallSampleEvent} is on in a recording (a dying domain's last sample). */
    public static volatile boolean hypercalls;

    private static boolean installed;

    private JfrSwitch() {
    }

    /** Follows the recordings from now on (idempotent); a recording already running counts. */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        FlightRecorder.addListener(new FlightRecorderListener() {
            @Override
            public void recorderInitialized(FlightRecorder recorder) {
                refresh();
            }

            @Override
            public void recordingStateChanged(Recording recording) {
                refresh();
            }
        });
    }

    private static void refresh() {
        evtchnSend = EventType.getEventType(EventSendEvent.class).isEnabled();
        grantMap = EventType.getEventType(GrantMapEvent.class).isEnabled();
        tlbShootdown = EventType.getEventType(TlbShootdownEvent.class).isEnabled();
        hypercalls = EventType.getEventType(HypercallSampleEvent.class).isEnabled();
    }
}
