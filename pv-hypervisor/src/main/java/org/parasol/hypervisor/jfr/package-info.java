/**
 * JDK Flight Recorder events for what the hypervisor does: domain lifecycle, hypercalls per
 * family (sampled each second from the vCPUs' counters, the ones {@code parasol top} reads),
 * event-channel sends and grant map/unmap. {@code jfr print --events 'parasol.*'} or JDK Mission
 * Control shows them on a timeline without setup beyond starting a recording.
 *
 * <p>Cheap when off: the hot paths (send, map, unmap) test one static boolean per event kind
 * ({@link JfrSwitch}) before they make an event object; the flags follow the recordings' settings
 * through a recorder listener, so with no recording they stay false and nothing is allocated.
 */
package org.parasol.hypervisor.jfr;
