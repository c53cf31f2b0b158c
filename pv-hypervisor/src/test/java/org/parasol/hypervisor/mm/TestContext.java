package org.parasol.hypervisor.mm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.parasol.hypercall.GuestAbort;

/**
 * A vCPU stand-in for MMU tests: owns a poll word as the vCPU does, records every fault, bug
 * and safe point; a fault is handed to {@link #handler} (which may fix the mapping and ask for a
 * retry) or crashes with {@link GuestAbort}.
 */
final class TestContext implements MmuContext {
    /** Poll bits as the vCPU defines them. */
    static final int FLUSH = 1;
    static final int PREEMPT = 2;
    static final int ABORT = 4;

    /** What the test's "guest page-fault handler" does; true = retry the access. */
    interface FaultHandler {
        boolean handle(long va, int errorCode);
    }

    /** One delivered #PF. */
    record Fault(long va, int errorCode) {
    }

    final int domid;
    volatile long baseMfn;
    volatile Thread owner = Thread.currentThread();
    FaultHandler handler;
    final List<Fault> faults = new ArrayList<>();
    final List<String> bugs = new ArrayList<>();
    final List<Integer> safePoints = new ArrayList<>();
    volatile int wrongThreadCalls;
    /** The vCPU's poll word; the MMU sees it through {@link #pollWord}. */
    final AtomicInteger poll = new AtomicInteger();
    final PollWord pollWord = poll::getOpaque;
    /** The MMU this context belongs to, for the flush a safe point does. */
    VcpuMmu mmu;

    TestContext(int domid, long baseMfn) {
        this.domid = domid;
        this.baseMfn = baseMfn;
    }

    @Override
    public int domid() {
        return domid;
    }

    @Override
    public long baseMfn() {
        return baseMfn;
    }

    /** Whether the domain is privileged enough for host file I/O. */
    volatile boolean hostIo;

    @Override
    public boolean hostIo() {
        return hostIo;
    }

    @Override
    public void wrongThread() {
        wrongThreadCalls++;
        throw new GuestAbort("crash: wrong thread");
    }

    /** Raises {@code bits} in the poll word, as another thread asking something of the vCPU. */
    void raise(int bits) {
        poll.getAndAccumulate(bits, (a, b) -> a | b);
    }

    /** A flush request as the vCPU makes it: a new generation, then the bit. */
    long requestFlush() {
        long generation = mmu.nextFlushGeneration();
        raise(FLUSH);
        return generation;
    }

    /** Takes the word; flushes for a flush bit; records the other bits; an abort unwinds. */
    @Override
    public void safePoint() {
        int bits = poll.getAndSet(0);
        if ((bits & FLUSH) != 0) {
            mmu.flushForRequests();
        }
        int rest = bits & ~FLUSH;
        if (rest == 0) {
            return;
        }
        safePoints.add(rest);
        if ((rest & ABORT) != 0) {
            throw new GuestAbort("domain died");
        }
    }

    @Override
    public void pageFault(long va, int errorCode) {
        faults.add(new Fault(va, errorCode));
        if (handler == null || !handler.handle(va, errorCode)) {
            throw new GuestAbort("crash: unhandled #PF at 0x" + Long.toHexString(va) + " code " + errorCode);
        }
    }

    @Override
    public void guestBug(String what) {
        bugs.add(what);
        throw new GuestAbort("crash: " + what);
    }
}
