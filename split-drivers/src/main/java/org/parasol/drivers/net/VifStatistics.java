package org.parasol.drivers.net;

/**
 * One vif's counters as netback keeps them, seen from the guest as xentop shows them (NETTX
 * and NETRX: what the guest sent and received; Linux's {@code vifD.N} counts the other way
 * round, from dom0's side), since the vif was made.
 *
 * @param front     the front end's domain
 * @param devid     the vif's number
 * @param txBytes   bytes of the frames the guest sent that netback took onto the bridge
 * @param txPackets those frames
 * @param txErrors  frames the guest sent that netback refused (bad slots, grants, checksums)
 * @param rxBytes   bytes of the frames netback copied into the guest's buffers
 * @param rxPackets those frames
 * @param rxDropped frames for the guest that could not be copied in
 */
public record VifStatistics(int front, int devid, long txBytes, long txPackets, long txErrors, long rxBytes,
        long rxPackets, long rxDropped) {
}
