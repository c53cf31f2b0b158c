package org.parasol.hypercall;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * Bytes that two parties may touch at once, addressed by offset: the one accessor every ABI
 * flyweight ({@code org.parasol.hypercall.struct}, {@code org.parasol.hypercall.io}) and every
 * shared ring reads and writes through, in the spirit of Agrona's {@code AtomicBuffer}.
 *
 * <p>Two implementations, one per way of reaching memory:
 * <ul>
 *   <li>{@link SegmentBuffer}: a {@link MemorySegment} the caller holds outright. The
 *       hypervisor's per-vCPU hypercall scratch and the machine pages it shares with a guest
 *       (shared_info, grant frames), and a guest's private heap scratch.</li>
 *   <li>{@link GuestMemoryBuffer}: a range of guest virtual addresses reached through a vCPU's
 *       {@link GuestMemory}. What a guest sees of the pages it shares (its shared_info, its ring
 *       pages, its grant table).</li>
 * </ul>
 * A flyweight {@code wrap}s a buffer at a base offset and reads its fields at named offsets
 * from there, so the same class decodes a structure on both sides of the ABI.
 *
 * <h2>Access rules</h2>
 * The rules are {@link GuestMemory}'s, whichever memory is underneath:
 * <ul>
 *   <li>Every value is little-endian. Offsets are bytes from the start of the buffer; an
 *       access that does not lie wholly inside {@code [0, capacity())} throws
 *       {@link IndexOutOfBoundsException}.</li>
 *   <li>Plain loads and stores of 8, 16, 32 and 64 bits may be unaligned, and are not ordered
 *       with respect to anything.</li>
 *   <li>Acquire loads and release stores need the field naturally aligned in memory; atomics
 *       (compare-and-set, exchange, add, and/or/xor) exist for naturally aligned 32- and
 *       64-bit words only. A 16-bit field both sides change (a grant entry's flags) is changed
 *       with a 32-bit compare-and-set over the word that holds it, as Xen does. A misaligned
 *       ordered access fails: {@link IllegalArgumentException} or
 *       {@link IllegalStateException} on a segment, a crash of the domain on guest memory.</li>
 *   <li>Bulk copies and fills are plain accesses.</li>
 * </ul>
 *
 * <h2>Who sees what</h2>
 * Every field that two parties touch (ring indices, event pending and mask bits,
 * {@code evtchn_upcall_pending}, grant flags, seqlock versions) is read with acquire or an
 * atomic and written with release or an atomic, never plainly. A producer writes entries with
 * plain stores and then publishes an index with a release store; a consumer reads the index
 * with an acquire load before the entries. A seqlock reader acquire-reads the version, reads
 * the fields plainly, issues {@link java.lang.invoke.VarHandle#loadLoadFence()} and re-reads
 * the version. Where Xen's macros ask for a full barrier between a store and a load, the caller
 * issues {@link #fullFence()}.
 *
 * <p>A buffer is as thread-safe as the memory under it: a {@link GuestMemoryBuffer} is used
 * only on its vCPU's thread; a {@link SegmentBuffer} from any thread. Neither allocates on any
 * access.
 */
public interface SharedBuffer {

    /** How many bytes the buffer spans. */
    long capacity();

    /**
     * The alignment of offset 0's address: the largest power of two that divides it (for a
     * heap segment, what the JDK guarantees for its array). An ordered or atomic access of
     * {@code n} bytes at offset {@code o} needs {@code alignment() >= n} and {@code o % n == 0};
     * a structure that needs aligned fields checks this once when it is set up.
     */
    long alignment();

    /**
     * Checks that {@code length} bytes from {@code offset} lie inside the buffer, as every
     * flyweight's {@code wrap} does, and returns {@code offset}.
     *
     * @throws IndexOutOfBoundsException if they do not (a negative offset or length included)
     */
    default long checkBounds(long offset, long length) {
        return Objects.checkFromIndexSize(offset, length, capacity());
    }

    // ---- plain: any alignment, no ordering

    byte getByte(long offset);

    void putByte(long offset, byte value);

    short getShort(long offset);

    void putShort(long offset, short value);

    int getInt(long offset);

    void putInt(long offset, int value);

    long getLong(long offset);

    void putLong(long offset, long value);

    // ---- ordered: naturally aligned

    byte getByteAcquire(long offset);

    void putByteRelease(long offset, byte value);

    short getShortAcquire(long offset);

    void putShortRelease(long offset, short value);

    int getIntAcquire(long offset);

    void putIntRelease(long offset, int value);

    long getLongAcquire(long offset);

    void putLongRelease(long offset, long value);

    // ---- atomic: naturally aligned 32- and 64-bit words

    /** Sets the word to {@code update} if it equals {@code expected}; whether it did. */
    boolean compareAndSetInt(long offset, int expected, int update);

    /** Sets the word to {@code update} if it equals {@code expected}; whether it did. */
    boolean compareAndSetLong(long offset, long expected, long update);

    /** {@code cmpxchg}: sets the word to {@code update} if it equals {@code expected}; returns the witness. */
    int compareAndExchangeInt(long offset, int expected, int update);

    /** {@code cmpxchg}: sets the word to {@code update} if it equals {@code expected}; returns the witness. */
    long compareAndExchangeLong(long offset, long expected, long update);

    /** {@code xchg}; returns the old value. */
    int getAndSetInt(long offset, int value);

    /** {@code xchg}; returns the old value. */
    long getAndSetLong(long offset, long value);

    /** {@code lock xadd}; returns the old value. */
    int getAndAddInt(long offset, int delta);

    /** {@code lock xadd}; returns the old value. */
    long getAndAddLong(long offset, long delta);

    /** {@code lock or}; returns the old value. */
    int getAndBitwiseOrInt(long offset, int mask);

    /** {@code lock or}; returns the old value. */
    long getAndBitwiseOrLong(long offset, long mask);

    /** {@code lock and}; returns the old value. */
    int getAndBitwiseAndInt(long offset, int mask);

    /** {@code lock and}; returns the old value. */
    long getAndBitwiseAndLong(long offset, long mask);

    /** {@code lock xor}; returns the old value. */
    int getAndBitwiseXorInt(long offset, int mask);

    /** {@code lock xor}; returns the old value. */
    long getAndBitwiseXorLong(long offset, long mask);

    // ---- bulk: plain

    /** Copies {@code length} bytes at {@code offset} out into private memory {@code dst}. */
    void getBytes(long offset, MemorySegment dst, long dstOffset, long length);

    /** Copies {@code length} bytes of private memory {@code src} in at {@code offset}. */
    void putBytes(long offset, MemorySegment src, long srcOffset, long length);

    /** Fills {@code length} bytes at {@code offset} with {@code value}. */
    void setMemory(long offset, long length, byte value);

    /**
     * A full two-way fence, Xen's {@code xen_mb()}: every load and store to this buffer before
     * it is ordered before every one after it. Where a protocol stores and then loads (a ring's
     * push-and-check-notify or final check) this sits between the two.
     */
    default void fullFence() {
        VarHandle.fullFence();
    }

    /** Whether every byte in {@code [offset, offset + length)} is zero (plain loads). */
    default boolean isZero(long offset, long length) {
        checkBounds(offset, length);
        long end = offset + length;
        long i = offset;
        for (; i + Long.BYTES <= end; i += Long.BYTES) {
            if (getLong(i) != 0) {
                return false;
            }
        }
        for (; i < end; i++) {
            if (getByte(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
