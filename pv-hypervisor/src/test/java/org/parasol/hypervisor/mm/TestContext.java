package org.parasol.hypervisor.mm;

import java.util.ArrayList;
import java.util.List;
import org.parasol.hypercall.GuestAbort;

/**
 * A vCPU stand-in for MMU tests: records every fault, bug and safe point; a fault is handed to
 * {@link #handler} (which may fix the mapping and ask for a retry) or crashes with
 * {@link GuestAbort}.
 */
final class TestContext implements MmuContext {
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

    @Override
    public boolean onOwnThread() {
        return Thread.currentThread() == owner;
    }

    @Override
    public void wrongThread() {
        wrongThreadCalls++;
        throw new GuestAbort("crash: wrong thread");
    }

    @Override
    public void safePoint(int pollBits) {
        safePoints.add(pollBits);
        if ((pollBits & VcpuMmu.POLL_ABORT) != 0) {
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
