package org.parasol.drivers.net;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.parasol.hypercall.GuestMemory;

/**
 * Frames crossing from one of dom0's vCPUs to another: the bridge runs on every vCPU that serves
 * a netback queue, and a frame switched on vCPU 1 for a port served on vCPU 2 (a netback queue's
 * RX side, or a port only the boot vCPU serves, such as the TAP uplink) is copied in here by the
 * sender and taken out on the owner's run loop, which the sender then kicks with an event (as
 * Linux's {@code xenvif_kick_thread} wakes the queue's RX kthread after
 * {@code xenvif_rx_queue_tail}).
 *
 * <p>A bounded ring of bytes with many producers (any vCPU) and one consumer (the owner):
 * <pre>
 *   position:   head                          tail
 *               |  committed / reserved ...   |   free ...
 *   record:     [ commit:int | length:int | flags:int | 0:int | frame bytes ... ] padded to 8
 *   commit:     0 reserved, not yet written; &gt; 0 the record's size; &lt; 0 padding to the
 *               ring's end (the record after it starts at offset 0)
 * </pre>
 * A producer reserves a record's room with a compare-and-swap on {@code tail} (failing only when
 * the ring has no room: the frame is refused and counted, never waited for), copies the frame
 * in, and publishes it with a release store of the commit word. The consumer reads the commit
 * word at {@code head} with acquire; a record reserved but not yet committed stops it there (the
 * producer's kick follows the commit). A record taken out is zeroed before {@code head} moves
 * past it (release), so a commit word read ahead of a producer is always 0. Records of one
 * producer come out in the order it offered them; records of several interleave by their
 * reservations. Nothing is allocated after construction.
 *
 * <p>Waking the consumer: it is {@code armed} while it waits for an event. A producer that
 * commits and finds it armed disarms it and sends the kick; the consumer, once it has taken
 * everything, arms itself and looks once more, so a commit racing the arming is never left
 * without a kick (both sides use sequentially consistent operations on {@code armed}).
 */
final class HandOff {
    /** A record's header: commit word, frame length, flags word, a zero. */
    static final int HEADER = 16;
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private final int capacity;
    private final int mask;
    /** The ring, on 8-byte aligned longs so the commit words may be read and written atomically. */
    private final MemorySegment ring;
    /** Reserved up to (producers, by compare-and-swap). */
    private final AtomicLong tail = new AtomicLong();
    /** Taken out up to (the consumer writes it, release; producers read it, acquire). */
    private volatile long head;
    private final AtomicBoolean armed = new AtomicBoolean(true);
    /** The owner stopped taking frames: producers refuse from here on. */
    private volatile boolean closed;
    /** Frames handed over (committed), and refused for want of room or because the owner closed. */
    private final AtomicLong handed = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    /** The consumer's: frames taken out, and dropped by {@link #clear}. Read by others for statistics. */
    private volatile long taken;
    private volatile long cleared;

    /** @param capacity bytes of the ring: a power of two, at least 64 */
    HandOff(int capacity) {
        if (capacity < 64 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity " + capacity + " is not a power of two of at least 64");
        }
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.ring = MemorySegment.ofArray(new long[capacity / 8]);
    }

    /** The largest frame a record holds. */
    int maxFrame() {
        return capacity - HEADER;
    }

    private static int recordSize(int length) {
        return (HEADER + length + 7) & ~7;
    }

    // ------------------------------------------------------------------ producers (any vCPU)

    /**
     * Room for a frame of {@code length} bytes: the record's offset (its bytes go at
     * {@code offset + HEADER}, {@link #bytes}), to be {@link #commit committed}; -1 when the ring
     * has no room or the owner closed (the frame is refused and counted).
     */
    int reserve(int length) {
        if (length < 0 || length > maxFrame() || closed) {
            refused.incrementAndGet();
            return -1;
        }
        int need = recordSize(length);
        for (;;) {
            long h = head;
            long t = tail.get();
            int off = (int) (t & mask);
            int toEnd = capacity - off;
            long total = need <= toEnd ? need : (long) toEnd + need;
            if (t + total - h > capacity) {
                refused.incrementAndGet();
                return -1;
            }
            if (tail.compareAndSet(t, t + total)) {
                if (need <= toEnd) {
                    return off;
                }
                // Too little room before the end: the rest is padding, the record starts at 0.
                INT.setRelease(ring, (long) off, -toEnd);
                return 0;
            }
        }
    }

    /** The ring itself, for the producer's copy into a reserved record (and the consumer's out of one). */
    MemorySegment bytes() {
        return ring;
    }

    /** Publishes the record reserved at {@code offset}: {@code length} bytes with {@code flags}. */
    void commit(int offset, int length, int flags) {
        ring.set(ValueLayout.JAVA_INT, offset + 4L, length);
        ring.set(ValueLayout.JAVA_INT, offset + 8L, flags);
        handed.incrementAndGet();
        INT.setRelease(ring, (long) offset, recordSize(length)); // the bytes and fields above before the commit
    }

    /**
     * A frame in the producer's memory ({@code mem}, its own vCPU's) handed over whole:
     * reserved, copied in, committed. False: refused and counted.
     */
    boolean offer(GuestMemory mem, long va, int length, int flags) {
        int at = reserve(length);
        if (at < 0) {
            return false;
        }
        mem.copyToSegment(va, ring, at + (long) HEADER, length);
        commit(at, length, flags);
        return true;
    }

    /** After a commit: whether the consumer waits for a kick (and this producer must send it). */
    boolean needsKick() {
        VarHandle.fullFence(); // the commit before the look at armed (the consumer fences the other way)
        return armed.get() && armed.getAndSet(false);
    }

    // ------------------------------------------------------------------ the consumer (the owner's vCPU)

    /** The oldest committed record's offset, or -1 when none is (padding before it is passed over). */
    int peek() {
        for (;;) {
            long h = head;
            int off = (int) (h & mask);
            int c = (int) INT.getAcquire(ring, (long) off);
            if (c == 0) {
                return -1;
            }
            if (c > 0) {
                return off;
            }
            INT.set(ring, (long) off, 0); // padding: only its commit word was written
            head = h - c;
        }
    }

    /** The frame length of the record at {@code offset}. */
    int length(int offset) {
        return ring.get(ValueLayout.JAVA_INT, offset + 4L);
    }

    /** The flags word of the record at {@code offset}. */
    int flags(int offset) {
        return ring.get(ValueLayout.JAVA_INT, offset + 8L);
    }

    /** The record at {@code offset} (the one {@link #peek} gave) is taken out: zeroed, its room freed. */
    void pop(int offset) {
        int size = (int) INT.get(ring, (long) offset);
        for (int i = 8; i < size; i += 8) {
            ring.set(ValueLayout.JAVA_LONG, offset + (long) i, 0L);
        }
        ring.set(ValueLayout.JAVA_LONG, offset, 0L);
        taken++;
        head = head + size; // release: the zeroes before the room is offered again
    }

    /**
     * The consumer has taken what it could and will wait for a kick: true when it may (nothing is
     * committed); false when a frame came meanwhile, and the consumer goes on taking.
     */
    boolean arm() {
        armed.set(true);
        VarHandle.fullFence(); // armed before the look at the commit word (producers fence the other way)
        if (peek() < 0) {
            return true;
        }
        return !armed.getAndSet(false); // a producer disarmed it first: its kick is coming
    }

    /**
     * The owner stops taking frames: producers refuse from here on, and the committed frames
     * still here are dropped and counted ({@link #cleared}), up to the first record a producer
     * is still copying in (its commit word is 0, so nothing behind it can be read). That record,
     * the committed ones behind it and any a producer that reserved before the close commits
     * after it go into a ring nobody reads again, counted in {@link #handed} only: every frame
     * handed over and never taken is {@code handed - taken} after close (the cleared included).
     */
    void close() {
        closed = true;
        for (int at = peek(); at >= 0; at = peek()) {
            pop(at);
            taken--;
            cleared++;
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Frames handed over (committed). Any thread. */
    long handed() {
        return handed.get();
    }

    /** Frames refused: no room, or the owner closed. Any thread. */
    long refused() {
        return refused.get();
    }

    /** Frames the consumer took out. Any thread (may lag). */
    long taken() {
        return taken;
    }

    /** Frames dropped by {@link #close}. */
    long cleared() {
        return cleared;
    }

    /** Bytes reserved and not taken out yet (a reading). */
    long held() {
        return tail.get() - head;
    }
}
