package org.parasol.drivers.ring;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.io.SharedRingHeader;

/**
 * A {@link SharedBuffer} that forwards to another and, for tests, records every access the ring
 * protocol makes by name ({@code "release req_prod"}, {@code "fence"}, {@code "copyIn @64"}) and
 * runs a hook after each ordered access or fence — the points where another CPU could act in
 * between.
 */
final class TracingBuffer implements SharedBuffer {

    /** Called after the {@code n}-th ordered access or fence (counted from 1). */
    interface Hook {
        void after(int n);
    }

    private final SharedBuffer inner;
    private final List<String> trace = new ArrayList<>();
    private boolean recording;
    private Hook hook;
    private int orderedOps;

    TracingBuffer(SharedBuffer inner) {
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
    public long capacity() {
        return inner.capacity();
    }

    @Override
    public long alignment() {
        return inner.alignment();
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
    public void putBytes(long offset, MemorySegment src, long srcOffset, long length) {
        inner.putBytes(offset, src, srcOffset, length);
        log("copyIn " + name(offset));
    }

    @Override
    public void getBytes(long offset, MemorySegment dst, long dstOffset, long length) {
        inner.getBytes(offset, dst, dstOffset, length);
        log("copyOut " + name(offset));
    }

    @Override
    public void setMemory(long offset, long length, byte value) {
        inner.setMemory(offset, length, value);
        log("fill " + name(offset) + "+" + length);
    }

    @Override
    public void fullFence() {
        inner.fullFence();
        log("fence");
        ordered();
    }

    // ---- the rest is forwarded unrecorded: the ring protocol does not use it

    @Override
    public byte getByte(long offset) {
        return inner.getByte(offset);
    }

    @Override
    public void putByte(long offset, byte value) {
        inner.putByte(offset, value);
    }

    @Override
    public short getShort(long offset) {
        return inner.getShort(offset);
    }

    @Override
    public void putShort(long offset, short value) {
        inner.putShort(offset, value);
    }

    @Override
    public int getInt(long offset) {
        return inner.getInt(offset);
    }

    @Override
    public void putInt(long offset, int value) {
        inner.putInt(offset, value);
    }

    @Override
    public long getLong(long offset) {
        return inner.getLong(offset);
    }

    @Override
    public void putLong(long offset, long value) {
        inner.putLong(offset, value);
    }

    @Override
    public byte getByteAcquire(long offset) {
        return inner.getByteAcquire(offset);
    }

    @Override
    public void putByteRelease(long offset, byte value) {
        inner.putByteRelease(offset, value);
    }

    @Override
    public short getShortAcquire(long offset) {
        return inner.getShortAcquire(offset);
    }

    @Override
    public void putShortRelease(long offset, short value) {
        inner.putShortRelease(offset, value);
    }

    @Override
    public long getLongAcquire(long offset) {
        return inner.getLongAcquire(offset);
    }

    @Override
    public void putLongRelease(long offset, long value) {
        inner.putLongRelease(offset, value);
    }

    @Override
    public boolean compareAndSetInt(long offset, int expected, int update) {
        return inner.compareAndSetInt(offset, expected, update);
    }

    @Override
    public boolean compareAndSetLong(long offset, long expected, long update) {
        return inner.compareAndSetLong(offset, expected, update);
    }

    @Override
    public int compareAndExchangeInt(long offset, int expected, int update) {
        return inner.compareAndExchangeInt(offset, expected, update);
    }

    @Override
    public long compareAndExchangeLong(long offset, long expected, long update) {
        return inner.compareAndExchangeLong(offset, expected, update);
    }

    @Override
    public int getAndSetInt(long offset, int value) {
        return inner.getAndSetInt(offset, value);
    }

    @Override
    public long getAndSetLong(long offset, long value) {
        return inner.getAndSetLong(offset, value);
    }

    @Override
    public int getAndAddInt(long offset, int delta) {
        return inner.getAndAddInt(offset, delta);
    }

    @Override
    public long getAndAddLong(long offset, long delta) {
        return inner.getAndAddLong(offset, delta);
    }

    @Override
    public int getAndBitwiseOrInt(long offset, int mask) {
        return inner.getAndBitwiseOrInt(offset, mask);
    }

    @Override
    public long getAndBitwiseOrLong(long offset, long mask) {
        return inner.getAndBitwiseOrLong(offset, mask);
    }

    @Override
    public int getAndBitwiseAndInt(long offset, int mask) {
        return inner.getAndBitwiseAndInt(offset, mask);
    }

    @Override
    public long getAndBitwiseAndLong(long offset, long mask) {
        return inner.getAndBitwiseAndLong(offset, mask);
    }

    @Override
    public int getAndBitwiseXorInt(long offset, int mask) {
        return inner.getAndBitwiseXorInt(offset, mask);
    }

    @Override
    public long getAndBitwiseXorLong(long offset, long mask) {
        return inner.getAndBitwiseXorLong(offset, mask);
    }
}
