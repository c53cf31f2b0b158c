package org.parasol.drivers.ring;

import org.parasol.hypercall.testing.FlatGuestMemory;

/**
 * {@link FlatGuestMemory} that counts its ordered accesses (acquire loads and release stores
 * of every width), so tests can see the ring use them.
 */
final class CountingGuestMemory extends FlatGuestMemory {
    int acquires;
    int releases;

    CountingGuestMemory(long base, int bytes) {
        super(base, bytes);
    }

    @Override
    public byte getByteAcquire(long va) {
        acquires++;
        return super.getByteAcquire(va);
    }

    @Override
    public short getShortAcquire(long va) {
        acquires++;
        return super.getShortAcquire(va);
    }

    @Override
    public int getIntAcquire(long va) {
        acquires++;
        return super.getIntAcquire(va);
    }

    @Override
    public long getLongAcquire(long va) {
        acquires++;
        return super.getLongAcquire(va);
    }

    @Override
    public void putByteRelease(long va, byte value) {
        releases++;
        super.putByteRelease(va, value);
    }

    @Override
    public void putShortRelease(long va, short value) {
        releases++;
        super.putShortRelease(va, value);
    }

    @Override
    public void putIntRelease(long va, int value) {
        releases++;
        super.putIntRelease(va, value);
    }

    @Override
    public void putLongRelease(long va, long value) {
        releases++;
        super.putLongRelease(va, value);
    }
}
