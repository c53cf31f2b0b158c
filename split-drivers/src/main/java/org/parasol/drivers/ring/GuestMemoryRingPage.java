package org.parasol.drivers.ring;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import org.parasol.hypercall.GuestMemory;

/**
 * A {@link RingPage} at a guest virtual address: the shared ring page as a driver inside a domain
 * sees it. The front end allocates the page from its own memory and grants it; the back end maps
 * the grant into its address space; each then reaches the same machine frame through its own
 * vCPU's {@link GuestMemory}, with every access translated by that vCPU's MMU.
 *
 * <p>Offset {@code o} is the guest virtual address {@code va + o}. Like every {@code GuestMemory}
 * user, a page is used only on its own vCPU's thread; a fault on the page is the guest's page
 * fault, delivered as {@code GuestMemory} describes.
 */
public final class GuestMemoryRingPage implements RingPage {

    private final GuestMemory memory;
    private final long va;
    private final long byteSize;

    /**
     * A ring of {@code byteSize} bytes mapped at {@code va}.
     *
     * @throws IllegalArgumentException if {@code va} is not 4-byte aligned (the indices need
     *         naturally aligned words) or {@code byteSize} is not positive, or the range wraps
     */
    public GuestMemoryRingPage(GuestMemory memory, long va, long byteSize) {
        this.memory = Objects.requireNonNull(memory, "memory");
        if ((va & (Integer.BYTES - 1)) != 0) {
            throw new IllegalArgumentException("ring page address must be 4-byte aligned: 0x" + Long.toHexString(va));
        }
        if (byteSize <= 0 || Long.compareUnsigned(va + byteSize, va) < 0) {
            throw new IllegalArgumentException("bad ring page size " + byteSize + " at 0x" + Long.toHexString(va));
        }
        this.va = va;
        this.byteSize = byteSize;
    }

    /** The guest virtual address of the page's first byte. */
    public long va() {
        return va;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    private long address(long offset, long length) {
        return va + Objects.checkFromIndexSize(offset, length, byteSize);
    }

    @Override
    public int getIntAcquire(long offset) {
        return memory.getIntAcquire(address(offset, Integer.BYTES));
    }

    @Override
    public void putIntRelease(long offset, int value) {
        memory.putIntRelease(address(offset, Integer.BYTES), value);
    }

    @Override
    public void copyIn(MemorySegment src, long srcOffset, long offset, long length) {
        memory.copyFromSegment(src, srcOffset, address(offset, length), length);
    }

    @Override
    public void copyOut(long offset, MemorySegment dst, long dstOffset, long length) {
        memory.copyToSegment(address(offset, length), dst, dstOffset, length);
    }

    @Override
    public void fill(long offset, long length, byte value) {
        memory.fill(address(offset, length), length, value);
    }

    @Override
    public void fullFence() {
        VarHandle.fullFence();
    }
}
