package org.parasol.hypercall.abi;

/**
 * The 2-level event-channel ABI's sizes, mirrors {@code public/xen.h} ({@code shared_info}'s
 * {@code evtchn_pending[]}/{@code evtchn_mask[]}) and {@code EVTCHN_2L_NR_CHANNELS}.
 *
 * <p>Port {@code p} is bit {@code p % 64} of word {@code p / 64} in both arrays, and the
 * selector bit {@code p / 64} in {@code vcpu_info.evtchn_pending_sel}.
 */
public final class Evtchn2l {
    private Evtchn2l() {
    }

    /** {@code EVTCHN_2L_NR_CHANNELS}: ports of the 2-level ABI on 64-bit. */
    public static final int NR_CHANNELS = 4096;
    /** Ports per {@code xen_ulong_t} word of {@code evtchn_pending}/{@code evtchn_mask}. */
    public static final int BITS_PER_WORD = 64;
    /** Words in each of {@code evtchn_pending[]} and {@code evtchn_mask[]}. */
    public static final int NR_WORDS = 64;
}
