package org.parasol.drivers.net;

import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Netif;

/**
 * RX scatter-gather ({@code NETRXF_more_data}) on both sides of the ring: how netback cuts a
 * frame into RX slots (one posted page each, filled in order), and how netfront puts the
 * slots' responses back together, refusing chains a back end could not have made.
 *
 * <p>A frame of {@code n} bytes takes {@code ceil(n / 4096)} slots; slot {@code i} carries
 * bytes {@code [4096 i, min(n, 4096 (i + 1)))} at offset 0 of its buffer; every slot's response
 * but the last has {@code NETRXF_more_data}, and each response's {@code status} is the bytes
 * in its own slot (Linux's netback puts the checksum flags on the first). The front end
 * ({@link #slot}) drops, and counts once, a chain with a slot whose status is an error or
 * whose bytes lie outside its page, one longer than {@code maxFrame} bytes or
 * {@link Vif#MAX_RX_SLOTS} slots, or an empty frame; it goes on dropping to the chain's end
 * (a response without {@code NETRXF_more_data}), then takes the next frame afresh, so a chain
 * that never ends costs the slots it takes and nothing else.
 *
 * <p>Not thread-safe; allocates nothing.
 */
public final class RxChain {
    /** {@link #slot}: keep this slot's bytes at {@link #at()} and wait for more. */
    public static final int MORE = 0;
    /** {@link #slot}: keep this slot's bytes at {@link #at()}; the frame ({@link #length()}) is whole. */
    public static final int DONE = 1;
    /** {@link #slot}: drop this slot's bytes (the chain is refused); more of it may follow. */
    public static final int DROP = 2;
    /** {@link #slot}: drop this slot's bytes; the refused chain ended here. */
    public static final int DROPPED = 3;

    private final int maxFrame;
    private int length;
    private int slots;
    private int at;
    private boolean dropping;
    /** The last slot ended a frame: the next slot starts another. */
    private boolean done;
    private long dropped;

    /** A chain of frames of at most {@code maxFrame} bytes (4096 without scatter-gather). */
    public RxChain(int maxFrame) {
        if (maxFrame < 1 || maxFrame > Vif.MAX_SG_FRAME) {
            throw new IllegalArgumentException("max frame: " + maxFrame);
        }
        this.maxFrame = maxFrame;
    }

    /** RX slots netback gives a frame of {@code length} bytes. */
    public static int slotsFor(int length) {
        return (length + Mmu.PAGE_SIZE - 1) / Mmu.PAGE_SIZE;
    }

    /** The bytes slot {@code i} of a frame of {@code length} bytes carries. */
    public static int slotLength(int length, int i) {
        return Math.min(Mmu.PAGE_SIZE, length - i * Mmu.PAGE_SIZE);
    }

    /** The flags of slot {@code i} of {@code slots}: {@code NETRXF_more_data} on all but the last, {@code first} on the first. */
    public static int slotFlags(int slots, int i, int first) {
        return (i == 0 ? first : 0) | (i < slots - 1 ? Netif.NETRXF_MORE_DATA : 0);
    }

    /**
     * One RX response of the chain: its {@code status} (bytes, or a negative error), its
     * {@code offset} in the buffer and its {@code flags}. Returns {@link #MORE} or {@link #DONE}
     * (copy the slot's bytes to {@link #at()} of the frame) or {@link #DROP} or {@link #DROPPED}.
     */
    public int slot(int status, int offset, int flags) {
        if (done) {
            reset();
        }
        boolean more = (flags & Netif.NETRXF_MORE_DATA) != 0;
        if (!dropping) {
            at = length;
            boolean bad = status < 0 || offset < 0 || offset > Mmu.PAGE_SIZE - Math.max(0, status)
                    || status > maxFrame - length || ++slots > Vif.MAX_RX_SLOTS || !more && length + status == 0;
            if (!bad) {
                length += status;
                if (more) {
                    return MORE;
                }
                done = true;
                return DONE;
            }
            dropping = true;
            dropped++;
        }
        if (more) {
            return DROP;
        }
        reset();
        return DROPPED;
    }

    /** Where the last slot's bytes go in the frame. */
    public int at() {
        return at;
    }

    /** The frame's length so far (the whole frame's after {@link #DONE}, until the next slot). */
    public int length() {
        return length;
    }

    /** Whether a chain is under way (slots taken, its end not seen). */
    public boolean pending() {
        return !done && (slots > 0 || dropping);
    }

    /** Forgets any chain under way (the next slot starts a frame). */
    public void reset() {
        done = false;
        length = 0;
        slots = 0;
        at = 0;
        dropping = false;
    }

    /** Chains refused. */
    public long dropped() {
        return dropped;
    }
}
