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
 */
final class EventLock {
    private static final int WRITER = 1 << 31;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(EventLock.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Writer bit and reader count. */
    @SuppressWarnings("unused")
    private volatile int state;

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
    }

    /** Leaves as the writer. */
    void writeUnlock() {
        STATE.getAndBitwiseAnd(this, ~WRITER);
    }

    private static int backOff(int spins) {
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
