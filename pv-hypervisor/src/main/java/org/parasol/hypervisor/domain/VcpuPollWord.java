package org.parasol.hypervisor.domain;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.parasol.hypervisor.mm.PollWord;

/**
 * A vCPU's poll word: what other threads ask of the vCPU, taken at its next safe point (the
 * role of a pCPU's pending softirqs and IPIs in Xen). Any thread raises bits; only the vCPU's
 * thread takes them; its MMU sees the word only as a read-only {@link PollWord}, read with one
 * opaque load at every guest access.
 *
 * <pre>
 *   bit 0  FLUSH    empty the TLB and acknowledge the flush generation (a shootdown)
 *   bit 1  PREEMPT  pass a safe point: the time slice ended, the domain was paused, or the
 *                   vCPU was taken down
 *   bit 2  ABORT    the domain is dying: unwind (re-raised at every take, so it stays set)
 * </pre>
 */
final class VcpuPollWord implements PollWord {
    static final int FLUSH = 1;
    static final int PREEMPT = 2;
    static final int ABORT = 4;

    private static final VarHandle BITS;

    static {
        try {
            BITS = MethodHandles.lookup().findVarHandle(VcpuPollWord.class, "bits", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through BITS
    private volatile int bits;

    @Override
    public int pending() {
        return (int) BITS.getOpaque(this);
    }

    /** Raises {@code b} (any thread); the vCPU acts on it at its next safe point. */
    void raise(int b) {
        BITS.getAndBitwiseOr(this, b);
    }

    /** Takes every raised bit (the vCPU's thread). */
    int take() {
        return (int) BITS.getAndSet(this, 0);
    }

    /**
     * Takes the flush bit alone, if raised, leaving the others (the vCPU's thread): for a vCPU
     * that waits in the hypervisor for other vCPUs' acknowledgements while they wait for its.
     */
    boolean takeFlush() {
        if ((pending() & FLUSH) == 0) {
            return false;
        }
        BITS.getAndBitwiseAnd(this, ~FLUSH);
        return true;
    }
}
