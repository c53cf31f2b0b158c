package org.parasol.drivers.ring;

import java.lang.foreign.MemorySegment;

/**
 * The memory a shared ring lives in, as the ring protocol needs it: ordered 32-bit loads and
 * stores for the four indices, plain bulk copies for the entries, and a full fence.
 *
 * <p>In Xen the shared ring ({@code struct <name>_sring}) is a page the front end allocates and
 * grants, and the back end maps; both then touch it concurrently. A {@code RingPage} is one side's
 * view of those bytes, addressed by offset from the start of the page. {@link GuestMemoryRingPage}
 * is the real one (a guest virtual address in the domain's own address space, reached through
 * {@link org.parasol.hypercall.GuestMemory}); {@link SegmentRingPage} is a plain
 * {@link MemorySegment}, for tests and benchmarks.
 *
 * <p>Contract:
 * <ul>
 *   <li>Offsets are byte offsets from the start of the page, {@code 0 <= offset},
 *       {@code offset + length <= byteSize()}; an access outside throws
 *       {@link IndexOutOfBoundsException}.</li>
 *   <li>{@link #getIntAcquire} and {@link #putIntRelease} are single-copy atomic on naturally
 *       aligned little-endian words and carry acquire / release ordering (the JMM's
 *       {@code VarHandle} modes of the same names).</li>
 *   <li>{@link #copyIn} and {@link #copyOut} are plain accesses: no ordering, no atomicity.
 *       Their order with respect to the index accesses is what the acquire/release pairs
 *       give.</li>
 *   <li>{@link #fullFence} orders every earlier load and store before every later one, the
 *       {@code xen_mb()} that the notify and final checks need between a store and a load.</li>
 *   <li>Implementations allocate nothing on any of these calls.</li>
 * </ul>
 */
public interface RingPage {

    /** How many bytes of the page the ring may use (header and entries). */
    long byteSize();

    /** Loads the aligned 32-bit little-endian word at {@code offset} with acquire ordering. */
    int getIntAcquire(long offset);

    /** Stores the aligned 32-bit little-endian word at {@code offset} with release ordering. */
    void putIntRelease(long offset, int value);

    /** Copies {@code length} bytes from private memory {@code src} into the page at {@code offset}. */
    void copyIn(MemorySegment src, long srcOffset, long offset, long length);

    /** Copies {@code length} bytes from the page at {@code offset} into private memory {@code dst}. */
    void copyOut(long offset, MemorySegment dst, long dstOffset, long length);

    /** Fills {@code length} bytes of the page at {@code offset} with {@code value} (plain stores). */
    void fill(long offset, long length, byte value);

    /** A full two-way memory fence: {@code xen_mb()}. */
    void fullFence();
}
