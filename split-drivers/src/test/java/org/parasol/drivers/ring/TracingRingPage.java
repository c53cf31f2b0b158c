package org.parasol.drivers.ring;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.parasol.hypercall.io.SharedRingHeader;

/**
 * A {@link RingPage} that forwards to another and, for tests, records every access by name
 * ({@code "release req_prod"}, {@code "fence"}, {@code "copyIn @64"}) and runs a hook after each
 * ordered access or fence — the points where another CPU could act in between.
 */
final class TracingRingPage implements RingPage {

    /** Called after the {@code n}-th ordered access or fence (counted from 1). */
    interface Hook {
        void after(int n);
    }

    private final RingPage inner;
    private final List<String> trace = new ArrayList<>();
    private boolean recording;
    private Hook hook;
    private int orderedOps;

    TracingRingPage(RingPage inner) {
        this.inner = inner;
    }

    /** Starts recording afresh. */
    void record() {
        trace.clear();
        recording = true;
    }

    List<String> trace() {
        return List.copyOf(trace);
    }

    /** Installs {@code hook} (or removes it with {@code null}) and restarts the op count. */
    void hook(Hook hook) {
        this.hook = hook;
        this.orderedOps = 0;
    }

    private static String name(long offset) {
        if (offset == SharedRingHeader.REQ_PROD_OFFSET) {
            return "req_prod";
        } else if (offset == SharedRingHeader.REQ_EVENT_OFFSET) {
            return "req_event";
        } else if (offset == SharedRingHeader.RSP_PROD_OFFSET) {
            return "rsp_prod";
        } else if (offset == SharedRingHeader.RSP_EVENT_OFFSET) {
            return "rsp_event";
        }
        return "@" + offset;
    }

    private void log(String event) {
        if (recording) {
            trace.add(event);
        }
    }

    private void ordered() {
        Hook h = hook;
        if (h != null) {
            // The hook runs the other side; its own accesses must not re-enter the hook.
            hook = null;
            try {
                h.after(++orderedOps);
            } finally {
                hook = h;
            }
        }
    }

    @Override
    public long byteSize() {
        return inner.byteSize();
    }

    @Override
    public int getIntAcquire(long offset) {
        int value = inner.getIntAcquire(offset);
        log("acquire " + name(offset));
        ordered();
        return value;
    }

    @Override
    public void putIntRelease(long offset, int value) {
        inner.putIntRelease(offset, value);
        log("release " + name(offset));
        ordered();
    }

    @Override
    public void copyIn(MemorySegment src, long srcOffset, long offset, long length) {
        inner.copyIn(src, srcOffset, offset, length);
        log("copyIn " + name(offset));
    }

    @Override
    public void copyOut(long offset, MemorySegment dst, long dstOffset, long length) {
        inner.copyOut(offset, dst, dstOffset, length);
        log("copyOut " + name(offset));
    }

    @Override
    public void fill(long offset, long length, byte value) {
        inner.fill(offset, length, value);
        log("fill " + name(offset) + "+" + length);
    }

    @Override
    public void fullFence() {
        inner.fullFence();
        log("fence");
        ordered();
    }
}
