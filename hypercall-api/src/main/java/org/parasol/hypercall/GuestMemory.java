package org.parasol.hypercall;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;

/**
 * A vCPU's view of memory through its own page tables: loads, stores and atomics at guest
 * virtual addresses.
 *
 * <p>Every access is translated by the vCPU's software TLB and, on a miss, by a walk of the
 * guest's x86-64 4-level page tables that enforces present and writable and sets Accessed
 * and Dirty. A fault is delivered to the guest's page-fault {@link TrapHandler} and the
 * access retried when it returns; with no handler, or a fault inside the handler, the
 * domain crashes and the call throws {@link GuestAbort}. All values are little-endian.
 *
 * <h2>Access rules</h2>
 * <ul>
 *   <li>Plain loads and stores of 8, 16, 32 and 64 bits may be unaligned; one that crosses a
 *       page boundary is split per page, so it is not single-copy atomic.</li>
 *   <li>Acquire loads and release stores must be naturally aligned.</li>
 *   <li>Atomic operations (compare-and-set, exchange, add, and/or/xor) exist only for
 *       naturally aligned 32- and 64-bit words, which is what the JDK's segment var handles
 *       support. A 16-bit field such as a grant entry's flags is therefore updated, as Xen
 *       does, by a 32-bit compare-and-set over the flags and the domid beside them.</li>
 *   <li>A misaligned acquire, release or atomic access crashes the domain.</li>
 *   <li>A {@code GuestMemory} may be used only on its own vCPU's thread.</li>
 * </ul>
 *
 * <h2>Memory-ordering contract</h2>
 * Every field that the guest and the hypervisor (or another domain) both touch — ring
 * indices, event-channel pending and mask bits, {@code evtchn_upcall_pending}, grant flags,
 * seqlock versions — is accessed with acquire/release or with atomics, never with plain
 * accesses. In particular:
 * <ul>
 *   <li>A producer writes entries with plain stores, then publishes the index with a release
 *       store; the consumer reads the index with an acquire load before reading entries.</li>
 *   <li>Where Xen's macros ask for a full barrier (ring push-and-check-notify, final check),
 *       use {@link java.lang.invoke.VarHandle#fullFence()} between the store and the load.</li>
 *   <li>Seqlock reader ({@code vcpu_time_info.version}, {@code wc_version}): acquire-read the
 *       version; retry while it is odd; plain-read the fields;
 *       {@link java.lang.invoke.VarHandle#loadLoadFence()}; re-read the version and retry if
 *       it changed.</li>
 *   <li>The hypervisor reads each guest-writable field once into a local before checking
 *       it (no double fetch), so a racing guest cannot change a value after validation.</li>
 * </ul>
 */
public interface GuestMemory {

    /** Loads a byte. */
    byte getByte(long va);

    /** Stores a byte. */
    void putByte(long va, byte value);

    /** Loads a little-endian 16-bit value. */
    short getShort(long va);

    /** Stores a little-endian 16-bit value. */
    void putShort(long va, short value);

    /** Loads a little-endian 32-bit value. */
    int getInt(long va);

    /** Stores a little-endian 32-bit value. */
    void putInt(long va, int value);

    /** Loads a little-endian 64-bit value. */
    long getLong(long va);

    /** Stores a little-endian 64-bit value. */
    void putLong(long va, long value);

    /** Loads a byte with acquire ordering. */
    byte getByteAcquire(long va);

    /** Stores a byte with release ordering. */
    void putByteRelease(long va, byte value);

    /** Loads an aligned 16-bit value with acquire ordering. */
    short getShortAcquire(long va);

    /** Stores an aligned 16-bit value with release ordering. */
    void putShortRelease(long va, short value);

    /** Loads an aligned 32-bit value with acquire ordering. */
    int getIntAcquire(long va);

    /** Stores an aligned 32-bit value with release ordering. */
    void putIntRelease(long va, int value);

    /** Loads an aligned 64-bit value with acquire ordering. */
    long getLongAcquire(long va);

    /** Stores an aligned 64-bit value with release ordering. */
    void putLongRelease(long va, long value);

    /** Atomically sets an aligned 32-bit word to {@code update} if it equals {@code expected}. */
    boolean compareAndSetInt(long va, int expected, int update);

    /** Atomically sets an aligned 64-bit word to {@code update} if it equals {@code expected}. */
    boolean compareAndSetLong(long va, long expected, long update);

    /** Atomic compare-and-exchange of an aligned 32-bit word; returns the witness value. */
    int compareAndExchangeInt(long va, int expected, int update);

    /** Atomic compare-and-exchange of an aligned 64-bit word; returns the witness value. */
    long compareAndExchangeLong(long va, long expected, long update);

    /** Atomic exchange of an aligned 32-bit word ({@code xchg}); returns the old value. */
    int getAndSetInt(long va, int value);

    /** Atomic exchange of an aligned 64-bit word ({@code xchg}); returns the old value. */
    long getAndSetLong(long va, long value);

    /** Atomic add on an aligned 32-bit word; returns the old value. */
    int getAndAddInt(long va, int delta);

    /** Atomic add on an aligned 64-bit word; returns the old value. */
    long getAndAddLong(long va, long delta);

    /** Atomic OR on an aligned 32-bit word ({@code lock or}); returns the old value. */
    int getAndBitwiseOrInt(long va, int mask);

    /** Atomic OR on an aligned 64-bit word; returns the old value. */
    long getAndBitwiseOrLong(long va, long mask);

    /** Atomic AND on an aligned 32-bit word ({@code lock and}); returns the old value. */
    int getAndBitwiseAndInt(long va, int mask);

    /** Atomic AND on an aligned 64-bit word; returns the old value. */
    long getAndBitwiseAndLong(long va, long mask);

    /** Atomic XOR on an aligned 32-bit word; returns the old value. */
    int getAndBitwiseXorInt(long va, int mask);

    /** Atomic XOR on an aligned 64-bit word; returns the old value. */
    long getAndBitwiseXorLong(long va, long mask);

    /** Copies {@code length} bytes from guest memory at {@code va} into {@code dst}. */
    void copyToSegment(long va, MemorySegment dst, long dstOffset, long length);

    /** Copies {@code length} bytes from {@code src} into guest memory at {@code va}. */
    void copyFromSegment(MemorySegment src, long srcOffset, long va, long length);

    /**
     * Copies {@code length} bytes of guest memory from {@code srcVa} to {@code dstVa}
     * ({@code memcpy}: the ranges must not overlap), the source read as loads and the
     * destination written as stores. This default goes through a small heap buffer; the
     * hypervisor's view copies frame to frame.
     *
     * @throws IllegalArgumentException for a negative length or overlapping ranges
     */
    default void copy(long srcVa, long dstVa, long length) {
        if (length < 0 || length > 0 && srcVa - dstVa < length && dstVa - srcVa < length) {
            throw new IllegalArgumentException("copy of " + length + " bytes from 0x" + Long.toHexString(srcVa)
                    + " to 0x" + Long.toHexString(dstVa) + ": negative or overlapping");
        }
        MemorySegment buffer = MemorySegment.ofArray(new byte[(int) Math.min(length, 4096)]);
        for (long done = 0; done < length; done += buffer.byteSize()) {
            long n = Math.min(length - done, buffer.byteSize());
            copyToSegment(srcVa + done, buffer, 0, n);
            copyFromSegment(buffer, 0, dstVa + done, n);
        }
    }

    /** Fills {@code length} bytes of guest memory at {@code va} with {@code value}. */
    void fill(long va, long length, byte value);

    /**
     * Opens an existing host file for a privileged domain's back ends, on a file descriptor the
     * hypervisor opens and owns: for reading, and for writing too when {@code writable}. The
     * channel behaves as one of {@link FileChannel#open} (the same file, reopened through the
     * descriptor); the grant I/O methods below serve it with one {@code preadv} or
     * {@code pwritev} system call on the hypervisor's descriptor straight into or out of the
     * granted frames, without the JDK channel's per-call work. Closing the channel closes the
     * descriptor once no call on it is in progress. Where the hypervisor cannot make system calls
     * of its own (not Linux), it is a plain JDK channel.
     *
     * @throws UnsupportedOperationException in a domain that is not privileged
     * @throws IOException when the file cannot be opened (with the reason)
     */
    default FileChannel openHostFile(java.nio.file.Path path, boolean writable) throws IOException {
        throw new UnsupportedOperationException("host file I/O is for privileged domains");
    }

    /**
     * Host I/O for a privileged domain's back ends (a block back end serving a disk image):
     * reads up to {@code length} bytes of {@code file} at {@code position} straight into guest
     * memory at {@code va}, with no copy in between. The range is translated page by page as a
     * store (writable, faults delivered as for any store), and pages that lie next to each
     * other in machine memory are read with one positional read. Stops early only at the end
     * of the file.
     *
     * @param file a file channel the JDK made ({@link FileChannel#open}); any other
     *     implementation is refused, since it would be handed memory of the domain's frames
     * @return the bytes read, fewer than {@code length} only at the end of the file
     * @throws UnsupportedOperationException in a domain that is not privileged: only a control
     *     or driver domain may reach host files
     * @throws IllegalArgumentException for a channel the JDK did not make, or a negative
     *     position or length
     * @throws IOException as {@link FileChannel#read(java.nio.ByteBuffer, long)} throws it
     */
    default long readFile(FileChannel file, long position, long va, long length) throws IOException {
        throw new UnsupportedOperationException("host file I/O is for privileged domains");
    }

    /**
     * The other way: writes {@code length} bytes of guest memory at {@code va} into
     * {@code file} at {@code position}, straight from the frames (translated as loads).
     * Growing the file is the caller's business: it writes past the end as
     * {@link FileChannel#write(java.nio.ByteBuffer, long)} does.
     *
     * @return the bytes written: {@code length}
     * @throws UnsupportedOperationException in a domain that is not privileged
     * @throws IllegalArgumentException as for {@link #readFile}
     * @throws IOException as {@link FileChannel#write(java.nio.ByteBuffer, long)} throws it
     */
    default long writeFile(FileChannel file, long position, long va, long length) throws IOException {
        throw new UnsupportedOperationException("host file I/O is for privileged domains");
    }

    /**
     * {@link #readFile} of several pieces of guest memory, in order, from one place in the file:
     * piece {@code i} is {@code lengths[i]} bytes at {@code vas[i]}, and the file is read from
     * {@code position} on, as if the pieces were one buffer. One seek and one scattering read
     * (Linux's {@code readv}) move them all, instead of a positional read per piece. The
     * channel's own position is used and left after the data: a privileged domain that shares
     * the channel between its vCPUs must not mix this with its own position-based reads.
     *
     * @return the bytes read, fewer than the pieces' total only at the end of the file
     * @throws UnsupportedOperationException in a domain that is not privileged
     * @throws IllegalArgumentException as for {@link #readFile}, or for arrays shorter than
     *     {@code count} or a negative length
     * @throws IOException as {@link FileChannel#read(java.nio.ByteBuffer[])} throws it
     */
    default long readFileScattered(FileChannel file, long position, long[] vas, int[] lengths, int count)
            throws IOException {
        throw new UnsupportedOperationException("host file I/O is for privileged domains");
    }

    /**
     * The other way: {@code writev} of several pieces of guest memory to {@code file} from
     * {@code position} on ({@link #readFileScattered}'s rules).
     *
     * @return the bytes written: the pieces' total
     */
    default long writeFileGathered(FileChannel file, long position, long[] vas, int[] lengths, int count)
            throws IOException {
        throw new UnsupportedOperationException("host file I/O is for privileged domains");
    }

    /**
     * Grant I/O, Parasol's file-backed {@code GNTTABOP_copy} for a privileged domain's back
     * ends: reads {@code file} from {@code position} on straight into pieces of pages that
     * domain {@code domid} granted to this one, with no mapping and no copy in between. Piece
     * {@code i} is {@code lengths[i]} bytes at byte {@code offsets[i]} of the page granted by
     * reference {@code refs[i]}; the file is read as if the pieces were one buffer, with one
     * scattering read ({@code readv}) for them all. Each grant is checked and pinned as
     * {@code GNTTABOP_copy} checks and pins a destination reference (writable, granted to this
     * domain, not read-only) for the length of the call; nothing moves unless every piece
     * passes. As with {@link #readFileScattered}, the channel's own position is used.
     *
     * <p>A departure from Xen (whose back ends read into their own pages and then copy or map
     * them): here the back end's file read lands in the front end's frame itself. It is counted
     * as one {@code grant_table_op} hypercall of the caller.
     *
     * @param count pieces, at most 256
     * @return the bytes read (fewer than the pieces' total only at the end of the file), or a
     *     negative {@code GNTST_*} code when a piece was refused: {@code bad_domain} for an
     *     unknown domain, {@code bad_gntref}, {@code general_error} or {@code bad_page} for a
     *     reference as {@code GNTTABOP_copy} refuses it, {@code bad_copy_arg} for a piece that
     *     leaves its page
     * @throws UnsupportedOperationException in a domain that is not privileged
     * @throws IllegalArgumentException for a channel the JDK did not make, a negative
     *     position, arrays shorter than {@code count}, or {@code count} beyond 256
     * @throws IOException as {@link FileChannel#read(java.nio.ByteBuffer[])} throws it (the
     *     pins are dropped first)
     */
    default long readFileToGrants(FileChannel file, long position, int domid, int[] refs, int[] offsets,
            int[] lengths, int count) throws IOException {
        throw new UnsupportedOperationException("host file I/O is for privileged domains");
    }

    /** The most requests one {@link #grantIoBatch} takes. */
    int GRANT_IO_BATCH = 64;
    /** The most pieces of all of a {@link #grantIoBatch}'s requests together. */
    int GRANT_IO_BATCH_PIECES = 1024;
    /**
     * A {@link #grantIoBatch} result at or below this is a request whose host system call failed:
     * its errno is {@code GRANT_IO_HOST_ERROR - result}. Below every {@code GNTST_*} code.
     */
    long GRANT_IO_HOST_ERROR = -(1L << 16);

    /**
     * Grant I/O of a batch: the requests a back end took off its ring in one run, each as
     * {@link #readFileToGrants} ({@code writes[r]} false) or {@link #writeFileFromGrants} would
     * move it, all in one call. Request {@code r} is at {@code positions[r]} in the file, and its
     * pieces are {@code [r == 0 ? 0 : pieceEnds[r - 1], pieceEnds[r])} of {@code refs},
     * {@code offsets} and {@code lengths}. Each request is checked and pinned on its own, so a
     * refused piece fails its request only. On the hypervisor's own descriptor
     * ({@link #openHostFile}) the checked requests go to the host kernel at once (io_uring, where
     * the host has it) and run in parallel; every one has completed, and every pin is dropped,
     * when the call returns. The outcome is what the requests would leave done one after the
     * other in order, for the file: a request whose range overlaps an earlier one's where either
     * writes waits for it. (Two requests of a batch into the same granted frame are not ordered
     * between themselves, as two requests a front end has in flight are not.) Counted as one
     * {@code grant_table_op} hypercall of the caller.
     *
     * @param count requests, at most {@link #GRANT_IO_BATCH}; each of at most 256 pieces, at most
     *     {@link #GRANT_IO_BATCH_PIECES} in all
     * @param results out: per request, the bytes moved (for a read, fewer than its pieces' total
     *     only at the end of the file), a negative {@code GNTST_*} code as
     *     {@link #readFileToGrants} returns them, or {@link #GRANT_IO_HOST_ERROR} minus the errno
     *     of its failed system call
     * @throws UnsupportedOperationException in a domain that is not privileged
     * @throws IllegalArgumentException for a channel the JDK did not make, a negative position,
     *     arrays shorter than {@code count}, piece ends out of order, or counts beyond the limits
     * @throws IOException for a closed channel (nothing moved, no pin left)
     */
    default void grantIoBatch(FileChannel file, int domid, int count, boolean[] writes, long[] positions,
            int[] pieceEnds, int[] refs, int[] offsets, int[] lengths, long[] results) throws IOException {
        throw new UnsupportedOperationException("host file I/O is for privileged domains");
    }

    /** The most grant I/O requests one vCPU has in flight at once ({@link #grantIoSubmit}). */
    int GRANT_IO_IN_FLIGHT = 32;
    /** The most pieces of one request {@link #grantIoSubmit} takes. */
    int GRANT_IO_ASYNC_PIECES = 64;
    /**
     * {@link #grantIoSubmit}'s answer when it took nothing and checked nothing ({@code EBUSY} in
     * {@link #GRANT_IO_HOST_ERROR}'s form): the vCPU's in-flight table is full, the host has no
     * io_uring, the file is not the hypervisor's, or the request has more pieces than
     * {@link #GRANT_IO_ASYNC_PIECES}. The caller moves it synchronously instead.
     */
    long GRANT_IO_BUSY = GRANT_IO_HOST_ERROR - 16;

    /**
     * Asynchronous grant I/O: one request as {@link #readFileToGrants} ({@code write} false) or
     * {@link #writeFileFromGrants} would move it, checked and pinned now, and returned from at
     * once; it goes to the host kernel (the hypervisor's io_uring, its io-wq workers making the
     * copy on another core) with this vCPU's next {@link #grantIoReap} or {@link #grantIoCancel},
     * one system call for every request submitted since and the look for completions. The hypervisor, not the caller, holds the request's pins, in this
     * vCPU's in-flight table (at most {@link #GRANT_IO_IN_FLIGHT} requests), until the kernel is
     * done with it and {@link #grantIoReap} hands its completion back; while it is in flight the
     * granter cannot end its grants (they are in use, as in a copy), and a granter that dies
     * leaves its frames pinned, not freed or reused, until then. Requests in flight are not
     * ordered among themselves: a caller does not submit a request whose file range overlaps
     * one in flight where either writes. Counted as one {@code grant_table_op} hypercall.
     *
     * @param tag the caller's name for the request, handed back with its completion
     * @return 0 when the request is in flight; a negative {@code GNTST_*} code as
     *     {@link #readFileToGrants} returns them when a piece was refused (nothing in flight,
     *     no pin left); or {@link #GRANT_IO_BUSY} (nothing done: move it synchronously)
     * @throws UnsupportedOperationException in a domain that is not privileged
     * @throws IllegalArgumentException as {@link #readFileToGrants} throws it
     * @throws IOException for a closed channel (nothing in flight, no pin left)
     */
    default long grantIoSubmit(FileChannel file, int domid, boolean write, long position, int[] refs, int[] offsets,
            int[] lengths, int count, long tag) throws IOException {
        throw new UnsupportedOperationException("host file I/O is for privileged domains");
    }

    /**
     * Takes completions of this vCPU's {@link #grantIoSubmit} requests, and only of them: up to
     * {@code max}, each as its {@code tag} in {@code tags[i]} and its outcome in
     * {@code results[i]} (as {@link #grantIoBatch} gives it: the bytes moved, fewer than the
     * pieces' total only where a read met the end of the file, or {@link #GRANT_IO_HOST_ERROR}
     * minus the errno; {@code ECANCELED} for one {@link #grantIoCancel} cancelled). Each
     * request's pins are dropped when its completion is taken from the kernel. With
     * {@code wait}, when none is complete yet and some are in flight, waits for one in the host
     * kernel (an I/O's own time, at most a few milliseconds: 0 may still come back); never on
     * anything another domain holds. Not counted as a hypercall (a look at the vCPU's own table).
     *
     * @return how many completions were taken
     * @throws UnsupportedOperationException in a domain that is not privileged
     * @throws IllegalArgumentException for arrays shorter than {@code max}
     */
    default int grantIoReap(long[] tags, long[] results, int max, boolean wait) throws IOException {
        throw new UnsupportedOperationException("host file I/O is for privileged domains");
    }

    /**
     * Cancels every request of this vCPU in flight on {@code file} ({@code IORING_OP_ASYNC_CANCEL})
     * and waits, a bounded time, until the kernel is done with each: a back end closing a device.
     * Their completions (cancelled, or done after all) are then taken by {@link #grantIoReap}. A
     * request the kernel still holds after the wait keeps its pins: its frames stay the kernel's.
     *
     * @return the requests on {@code file} still in flight after the wait (0 but in a host in trouble)
     */
    default int grantIoCancel(FileChannel file) throws IOException {
        throw new UnsupportedOperationException("host file I/O is for privileged domains");
    }

    /** This vCPU's {@link #grantIoSubmit} requests not yet reaped. */
    default int grantIoInFlight() {
        return 0;
    }

    /**
     * Grant read, grant I/O's form for small reads into a privileged domain's own memory: copies
     * {@code length} bytes at byte {@code offset} of the page that domain {@code domid} granted
     * to this one by {@code ref} to {@code va} in this domain (which must not cross a page, and
     * is translated as a write would translate it, faults delivered). The grant is checked and
     * pinned as {@code GNTTABOP_copy} checks and pins a source reference (granted to this
     * domain; read-only grants will do) for the length of the copy, and unpinned after it. A
     * back end reads a front end's indirect descriptors with it: {@code GNTTABOP_copy}'s work
     * without the hypercall's argument copies and the claim of its own frame.
     *
     * <p>A departure from Xen, as grant I/O is. It is counted as one {@code grant_table_op}
     * hypercall of the caller.
     *
     * @return {@code GNTST_okay} (0), or a negative {@code GNTST_*} code as
     *     {@link #readFileToGrants} returns them ({@code bad_copy_arg} for a piece that leaves
     *     the granted page)
     * @throws UnsupportedOperationException in a domain that is not privileged
     * @throws IllegalArgumentException for a negative length or a destination that crosses a page
     */
    default int readGrant(int domid, int ref, int offset, long va, int length) {
        throw new UnsupportedOperationException("grant reads are for privileged domains");
    }

    /**
     * The other way: writes pieces of pages that domain {@code domid} granted to this one
     * (read-only grants will do) to {@code file} from {@code position} on, with one gathering
     * write ({@link #readFileToGrants}'s rules).
     *
     * @return the bytes written (the pieces' total), or a negative {@code GNTST_*} code
     */
    default long writeFileFromGrants(FileChannel file, long position, int domid, int[] refs, int[] offsets,
            int[] lengths, int count) throws IOException {
        throw new UnsupportedOperationException("host file I/O is for privileged domains");
    }
}
