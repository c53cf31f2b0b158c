package org.parasol.hypercall.io;

/**
 * How many entries a shared ring holds and where the entry for an index lives; mirrors
 * {@code io/ring.h}: {@code __CONST_RING_SIZE} / {@code __RING_SIZE} and {@code MASK_RING_IDX}.
 *
 * <pre>
 *  ring bytes (pages x 4096)
 *  +--------------+-------+-------+-----+-----------+---------------+
 *  | header (64)  | slot0 | slot1 | ... | slot n-1  | unused tail   |
 *  +--------------+-------+-------+-----+-----------+---------------+
 *  n = (ring bytes - 64) / entry size, rounded down to a power of two
 * </pre>
 *
 * <p>Invariants: {@code size} is a power of two (so the slot of any free-running index is
 * {@code index & (size - 1)}, also across 32-bit wraparound) and at most 2<sup>30</sup>, so index
 * differences stay meaningful; {@code entrySize} is positive. For one 4 KiB page: blkif (112-byte
 * entries) 32 slots, netif tx (12) 256, netif rx (8) 256.
 *
 * @param size the number of entries, a power of two
 * @param entrySize bytes per entry (the size of the request/response union)
 */
public record RingGeometry(int size, long entrySize) {

    /** Xen's page size for every ABI purpose. */
    private static final long XEN_PAGE_SIZE = 4096;

    public RingGeometry {
        if (size <= 0 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("ring size must be a positive power of two: " + size);
        }
        if (entrySize <= 0) {
            throw new IllegalArgumentException("entry size must be positive: " + entrySize);
        }
    }

    /**
     * The geometry of a ring of {@code ringBytes} bytes (header included) with entries of
     * {@code entrySize} bytes.
     *
     * @throws IllegalArgumentException if not even one entry fits
     */
    public static RingGeometry of(long ringBytes, long entrySize) {
        if (entrySize <= 0) {
            throw new IllegalArgumentException("entry size must be positive: " + entrySize);
        }
        long fitting = (ringBytes - SharedRingHeader.SIZE) / entrySize;
        if (ringBytes < SharedRingHeader.SIZE || fitting < 1) {
            throw new IllegalArgumentException(
                    "no " + entrySize + "-byte entry fits in a " + ringBytes + "-byte ring");
        }
        long size = Math.min(Long.highestOneBit(fitting), 1L << 30);
        return new RingGeometry((int) size, entrySize);
    }

    /** The geometry of a ring in one 4 KiB page. */
    public static RingGeometry onePage(long entrySize) {
        return of(XEN_PAGE_SIZE, entrySize);
    }

    /** The slot a free-running index names: {@code index & (size - 1)}. */
    public int slot(int index) {
        return index & (size - 1);
    }

    /** Byte offset, from the start of the shared ring, of the entry for {@code index}. */
    public long slotOffset(int index) {
        return SharedRingHeader.RING_OFFSET + slot(index) * entrySize;
    }
}
