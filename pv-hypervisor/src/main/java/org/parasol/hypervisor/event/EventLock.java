package org.parasol.hypervisor.event;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A domain's event lock: Xen's per-domain {@code event_lock} as a reader-writer spin lock.
 *
 * <p>Readers are senders (EVTCHNOP_send, a VIRQ raised by a timer): they only read the port
 * table and set bits in shared_info, so many may run at once. Writers change the table
 * (bind, close, bind_vcpu, reset, death). A writer first claims the writer bit, which stops
 * new readers, then waits for the readers inside to leave. Every critical section is a few
 * array reads and atomic bit operations: no guest code, no allocation, no wait for a vCPU.
 * So a waiter spins briefly and then yields or parks for a microsecond, never for long.
 *
 * <p>Taking and releasing allocates nothing, which keeps event send free of allocation even
 * under contention (a {@code ReentrantLock} would allocate a queue node when contended).
 * Not reentrant.
 *
 * <p>A reader that only copies a few fields out and acts on nothing it read (EVTCHNOP_status)
 * can read optimistically instead, as with a {@code StampedLock} or Linux's seqlock: each
 * writer makes a sequence number odd while it holds the lock and even again before it leaves,
 * and the reader keeps what it read only if the number was even and unchanged across its
 * reads ({@link #optimisticRead}, {@link #validate}). That costs the reader no atomic
 * operation and no store.
 */
final class EventLock {
    private static final int WRITER = 1 << 31;
    private static final VarHandle STATE;
    private static final VarHandle SEQ;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(EventLock.class, "state", int.class);
            SEQ = l.findVarHandle(EventLock.class, "seq", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Writer bit and reader count. */
    @SuppressWarnings("unused")
    private volatile int state;
    /** Odd while a writer holds the lock; changed only by the writer. */
    @SuppressWarnings("unused")
    private volatile int seq;

    /** Enters as a reader: waits while a writer holds or claims the lock. */
    void readLock() {
        int spins = 0;
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if ((s & WRITER) == 0 && STATE.compareAndSet(this, s, s + 1)) {
                return;
            }
            spins = backOff(spins);
        }
    }

    /**
     * Enters as a reader unless a writer holds or claims the lock: for host threads that must
     * never wait on a vCPU. Retries only while other readers race it.
     */
    boolean tryReadLock() {
        for (int i = 0; i < 64; i++) {
            int s = (int) STATE.getVolatile(this);
            if ((s & WRITER) != 0) {
                return false;
            }
            if (STATE.compareAndSet(this, s, s + 1)) {
                return true;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    /** Whether the lock is free (no writer, no reader): for tests that check nothing leaked. */
    boolean isFree() {
        return (int) STATE.getVolatile(this) == 0;
    }

    /** Leaves as a reader. */
    void readUnlock() {
        STATE.getAndAdd(this, -1);
    }

    /** Enters as the writer: claims the writer bit, then waits for the readers to drain. */
    void writeLock() {
        int spins = 0;
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if ((s & WRITER) == 0 && STATE.compareAndSet(this, s, s | WRITER)) {
                break;
            }
            spins = backOff(spins);
        }
        spins = 0;
        while (((int) STATE.getVolatile(this) & ~WRITER) != 0) {
            spins = backOff(spins);
        }
        // Odd before any write of the table: an optimistic reader who sees one of them sees this.
        SEQ.setOpaque(this, (int) SEQ.getOpaque(this) + 1);
        VarHandle.storeStoreFence();
    }

    /** Leaves as the writer. */
    void writeUnlock() {
        // Even again after every write of the table (release): a reader who sees it sees them.
        SEQ.setRelease(this, (int) SEQ.getOpaque(this) + 1);
        STATE.getAndBitwiseAnd(this, ~WRITER);
    }

    /**
     * Starts an optimistic read: the stamp to {@link #validate} against. No store, no atomic.
     */
    int optimisticRead() {
        return (int) SEQ.getAcquire(this);
    }

    /**
     * Whether what was read since {@link #optimisticRead} returned {@code stamp} is consistent:
     * no writer held the lock then or entered since. The reads are ordered before the check;
     * if this answers false, read again or under {@link #readLock}.
     */
    boolean validate(int stamp) {
        VarHandle.loadLoadFence();
        return (stamp & 1) == 0 && (int) SEQ.getOpaque(this) == stamp;
    }

    /** One step of a waiter's back-off: spin, then yield, then park for a microsecond. */
    static int backOff(int spins) {
        if (spins < 64) {
            Thread.onSpinWait();
        } else if (spins < 128) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(1_000);
        }
        return spins + 1;
    }
}
