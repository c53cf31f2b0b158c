package org.parasol.hypervisor.mm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * One io_uring instance of the hypervisor's own, through the foreign function interface (libc's
 * {@code syscall} and {@code mmap}; no library of its own): the submission and completion rings
 * mapped into the host process, read and written as the kernel's {@code io_uring.h} lays them
 * out, with the acquire/release order it asks for. A {@link HostFileChannel} makes one beside its
 * descriptor for grant I/O batches ({@link HostFileChannel#vectors}): a batch of scattering reads
 * and gathering writes goes to the kernel with one {@code io_uring_enter}, which also waits for
 * all of them.
 *
 * <pre>
 *  SQ ring (shared)            SQEs (shared)              CQ ring (shared)
 *  head  (kernel advances)     [slot] opcode fd off       head  (we advance, release)
 *  tail  (we advance, release) addr len user_data         tail  (kernel advances; we acquire)
 *  array[slot] = slot          (written before the tail)  cqes[head &amp; mask]: user_data res
 * </pre>
 *
 * <p>What the kernel may do with it is only what the hypervisor writes into its own SQEs: the
 * ring's descriptor, its mappings and its memory never reach a guest (or dom0), and nothing is
 * registered with it (no fixed files, no fixed buffers, no polling thread). Every I/O a caller
 * submits is complete when {@link #submitAndWait} returns. A vCPU's in-flight table of
 * asynchronous grant I/O (deviation 54) keeps one of its own and uses the other half:
 * {@link #submit} or {@link #submitAndAwait} without waiting for all, {@link #reap(long[], int[], int)}
 * later, {@link #prepareCancel} to cancel.
 *
 * <p>Not thread-safe: one thread at a time (its owner keeps it so).
 */
public final class IoUring implements AutoCloseable {
    // asm-generic system call numbers: the same on x86-64 and AArch64.
    private static final long SYS_IO_URING_SETUP = 425;
    private static final long SYS_IO_URING_ENTER = 426;

    /** {@code IORING_OP_READV}, {@code IORING_OP_WRITEV}. */
    public static final int OP_READV = 1;
    public static final int OP_WRITEV = 2;
    /** {@code IORING_OP_ASYNC_CANCEL}: cancel the request whose {@code user_data} is the SQE's {@code addr}. */
    public static final int OP_ASYNC_CANCEL = 14;
    /** {@code IOSQE_ASYNC}: go straight to the kernel's io-wq workers, not inline first. */
    public static final int SQE_ASYNC = 1 << 4;

    /** {@code IORING_SETUP_SUBMIT_ALL}: a bad SQE does not stop the ones after it. */
    private static final int SETUP_SUBMIT_ALL = 1 << 7;
    private static final int ENTER_GETEVENTS = 1;
    private static final int ENTER_EXT_ARG = 1 << 3;
    private static final int FEAT_SINGLE_MMAP = 1;
    private static final int FEAT_EXT_ARG = 1 << 8;
    private static final long OFF_SQ_RING = 0L;
    private static final long OFF_SQES = 0x10000000L;

    // struct io_uring_params: 10 u32 fields, then io_sqring_offsets and io_cqring_offsets (40 bytes each).
    private static final long PARAMS_BYTES = 120;
    private static final long P_SQ_ENTRIES = 0;
    private static final long P_CQ_ENTRIES = 4;
    private static final long P_FLAGS = 8;
    private static final long P_FEATURES = 20;
    private static final long P_SQ_OFF = 40;
    private static final long P_CQ_OFF = 80;
    // io_sqring_offsets / io_cqring_offsets: head, tail, ring_mask, ring_entries, then their own.
    private static final long O_HEAD = 0;
    private static final long O_TAIL = 4;
    private static final long O_RING_MASK = 8;
    private static final long SQ_O_ARRAY = 24;
    private static final long CQ_O_CQES = 20;

    // struct io_uring_sqe (64 bytes) and struct io_uring_cqe (16 bytes).
    private static final long SQE_BYTES = 64;
    private static final long SQE_OPCODE = 0;
    private static final long SQE_FLAGS = 1;
    private static final long SQE_FD = 4;
    private static final long SQE_OFF = 8;
    private static final long SQE_ADDR = 16;
    private static final long SQE_LEN = 24;
    private static final long SQE_USER_DATA = 32;
    private static final long CQE_BYTES = 16;
    private static final long CQE_USER_DATA = 0;
    private static final long CQE_RES = 8;
    /** {@code struct io_uring_getevents_arg}: sigmask, sigmask_sz, min_wait_usec, ts (all zero: none). */
    public static final long GETEVENTS_ARG_BYTES = 24;
    /** Where {@code struct io_uring_getevents_arg} holds its {@code ts} pointer (a {@code __kernel_timespec}). */
    public static final long GETEVENTS_ARG_TS = 16;
    /** {@code ETIME}: a wait's timeout passed. */
    private static final int ETIME = 62;

    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int EBUSY = 16;
    private static final int ENOSYS = 38;
    private static final int PROT_READ_WRITE = 3;
    private static final int MAP_SHARED_POPULATE = 0x01 | 0x8000;

    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** 32-bit ring indices in the shared mapping, read with acquire and written with release. */
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    /** {@code long syscall(long nr, ...)} as {@code io_uring_setup(entries, params)}. */
    private static final MethodHandle SETUP;
    /** {@code long syscall(long nr, ...)} as {@code io_uring_enter(fd, to_submit, min_complete, flags, arg, argsz)}. */
    private static final MethodHandle ENTER;
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle CLOSE;

    static {
        MethodHandle setup = null;
        MethodHandle enter = null;
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        MethodHandle close = null;
        try {
            if (System.getProperty("os.name", "").startsWith("Linux") && ValueLayout.ADDRESS.byteSize() == 8) {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                MemorySegment syscall = libc.find("syscall").orElseThrow();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                // Everything after the number is variadic; every argument a 64-bit register.
                setup = linker.downcallHandle(syscall, FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
                        errno, Linker.Option.firstVariadicArg(1));
                enter = linker.downcallHandle(syscall, FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
                        errno, Linker.Option.firstVariadicArg(1));
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG), errno);
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                close = linker.downcallHandle(libc.find("close").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            }
        } catch (RuntimeException e) {
            setup = enter = mmap = munmap = close = null; // no native access here
        }
        SETUP = setup;
        ENTER = enter;
        MMAP = mmap;
        MUNMAP = munmap;
        CLOSE = close;
    }

    /**
     * Tests only: when non-zero, {@link #open} fails as if {@code io_uring_setup} had returned
     * this errno (a container's seccomp profile answers {@code EPERM}, an old kernel
     * {@code ENOSYS}), so the fallback can be exercised on a host where io_uring works.
     */
    static volatile int failSetupForTests;

    private final int fd;
    /** The SQ and CQ rings (one mapping), and the SQE array. */
    private final MemorySegment rings;
    private final MemorySegment sqes;
    private final int entries;
    private final int sqMask;
    private final int cqMask;
    private final long sqHead;
    private final long sqTail;
    private final long sqArray;
    private final long cqHead;
    private final long cqTail;
    private final long cqes;
    /** Our copy of the SQ tail (we are its only writer) and of the CQ head. */
    private int sqTailPvt;
    private int cqHeadPvt;
    /** SQEs written since the last {@link #submitAndWait}. */
    private int prepared;
    private boolean closed;

    private IoUring(int fd, MemorySegment rings, MemorySegment sqes, MemorySegment params) {
        this.fd = fd;
        this.rings = rings;
        this.sqes = sqes;
        this.entries = params.get(ValueLayout.JAVA_INT, P_SQ_ENTRIES);
        this.sqMask = rings.get(ValueLayout.JAVA_INT, params.get(ValueLayout.JAVA_INT, P_SQ_OFF + O_RING_MASK));
        this.cqMask = rings.get(ValueLayout.JAVA_INT, params.get(ValueLayout.JAVA_INT, P_CQ_OFF + O_RING_MASK));
        this.sqHead = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, P_SQ_OFF + O_HEAD));
        this.sqTail = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, P_SQ_OFF + O_TAIL));
        this.sqArray = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, P_SQ_OFF + SQ_O_ARRAY));
        this.cqHead = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, P_CQ_OFF + O_HEAD));
        this.cqTail = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, P_CQ_OFF + O_TAIL));
        this.cqes = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, P_CQ_OFF + CQ_O_CQES));
        this.sqTailPvt = (int) INT.getAcquire(rings, sqTail);
        this.cqHeadPvt = (int) INT.getAcquire(rings, cqHead);
    }

    /** Whether this host can try io_uring at all (Linux, 64-bit, native access). */
    public static boolean supported() {
        return SETUP != null;
    }

    /**
     * Sets up a ring of {@code entries} submission slots (a power of two; the completion ring is
     * twice as large, so it cannot overflow with every slot in flight) and maps it.
     *
     * @throws IOException when {@code io_uring_setup} fails (its errno in the message: ENOSYS
     *     without io_uring, EPERM where it is forbidden), the kernel lacks a feature this needs
     *     (one mapping for both rings, {@code IORING_ENTER_EXT_ARG}: Linux 5.11), or a mapping fails
     */
    public static IoUring open(int entries) throws IOException {
        if (entries < 1 || entries > 4096 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("entries " + entries);
        }
        if (SETUP == null) {
            throw new IOException("io_uring_setup: no system calls of our own on this host (errno " + ENOSYS + ")");
        }
        int forced = failSetupForTests;
        if (forced != 0) {
            throw new IOException("io_uring_setup failed, errno " + forced + " (forced by a test)");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = a.allocate(CAPTURE);
            MemorySegment params = a.allocate(PARAMS_BYTES, 8);
            params.set(ValueLayout.JAVA_INT, P_FLAGS, SETUP_SUBMIT_ALL);
            long fd = (long) SETUP.invokeExact(errno, SYS_IO_URING_SETUP, (long) entries, params);
            if (fd < 0) {
                throw new IOException("io_uring_setup failed, errno " + (int) ERRNO.get(errno, 0L));
            }
            int ringFd = (int) fd;
            int features = params.get(ValueLayout.JAVA_INT, P_FEATURES);
            if ((features & FEAT_SINGLE_MMAP) == 0 || (features & FEAT_EXT_ARG) == 0) {
                closeFd(ringFd);
                throw new IOException("io_uring lacks IORING_FEAT_SINGLE_MMAP or IORING_FEAT_EXT_ARG (features 0x"
                        + Integer.toHexString(features) + ")");
            }
            int sqEntries = params.get(ValueLayout.JAVA_INT, P_SQ_ENTRIES);
            int cqEntries = params.get(ValueLayout.JAVA_INT, P_CQ_ENTRIES);
            long sqBytes = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, P_SQ_OFF + SQ_O_ARRAY))
                    + 4L * sqEntries;
            long cqBytes = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, P_CQ_OFF + CQ_O_CQES))
                    + CQE_BYTES * cqEntries;
            long ringBytes = Math.max(sqBytes, cqBytes);
            MemorySegment rings = map(ringBytes, ringFd, OFF_SQ_RING, errno);
            if (rings == null) {
                int e = (int) ERRNO.get(errno, 0L);
                closeFd(ringFd);
                throw new IOException("mmap of the io_uring rings failed, errno " + e);
            }
            MemorySegment sqes = map(SQE_BYTES * sqEntries, ringFd, OFF_SQES, errno);
            if (sqes == null) {
                int e = (int) ERRNO.get(errno, 0L);
                unmap(rings);
                closeFd(ringFd);
                throw new IOException("mmap of the io_uring SQEs failed, errno " + e);
            }
            return new IoUring(ringFd, rings, sqes, params);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("io_uring_setup", t);
        }
    }

    private static MemorySegment map(long bytes, int fd, long offset, MemorySegment errno) throws Throwable {
        MemorySegment at = (MemorySegment) MMAP.invokeExact(errno, MemorySegment.NULL, bytes, PROT_READ_WRITE,
                MAP_SHARED_POPULATE, fd, offset);
        if (at.address() == -1L || at.address() == 0L) {
            return null;
        }
        return at.reinterpret(bytes);
    }

    private static void unmap(MemorySegment s) {
        try {
            int rc = (int) MUNMAP.invokeExact(s, s.byteSize());
        } catch (Throwable t) {
            // our own mapping: nothing to do about a failure
        }
    }

    private static void closeFd(int fd) {
        try {
            int rc = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            // our own descriptor: nothing to do about a failure
        }
    }

    /** The submission slots: the most I/Os one {@link #submitAndWait} carries. */
    public int entries() {
        return entries;
    }

    /** SQEs written and not yet submitted. */
    public int prepared() {
        return prepared;
    }

    /**
     * Writes one SQE: a scattering read ({@link #OP_READV}) or gathering write ({@link #OP_WRITEV})
     * of file descriptor {@code fd} at {@code offset}, over {@code iovcnt} iovecs at native address
     * {@code iovecs}, tagged {@code userData} in its completion. Nothing reaches the kernel before
     * {@link #submitAndWait}.
     *
     * @throws IllegalStateException when every slot is already prepared
     */
    public void prepareVector(int opcode, int fd, long iovecs, int iovcnt, long offset, long userData, int flags) {
        long at = nextSqe(opcode, flags, fd);
        sqes.set(ValueLayout.JAVA_LONG, at + SQE_OFF, offset);
        sqes.set(ValueLayout.JAVA_LONG, at + SQE_ADDR, iovecs);
        sqes.set(ValueLayout.JAVA_INT, at + SQE_LEN, iovcnt);
        sqes.set(ValueLayout.JAVA_LONG, at + SQE_USER_DATA, userData);
    }

    /**
     * Submits every prepared SQE with {@code io_uring_enter} and waits until each has completed:
     * the completion of the SQE tagged {@code i} (its {@code userData}, below {@code res.length})
     * lands in {@code res[i]} (bytes moved, or {@code -errno}). Interrupted waits are resumed; no
     * I/O is left in flight when this returns, whatever happened, so memory the SQEs named may be
     * reused at once.
     *
     * @param arg {@link #GETEVENTS_ARG_BYTES} zeroed bytes (no signal mask, no timeout) passed to
     *     the kernel as a segment: its arena stays open, and so its memory mapped, while the
     *     kernel waits in the call (the hypervisor passes one of machine memory's)
     * @param errno an errno capture segment ({@link HostFileChannel#errnoCapture})
     * @return the SQEs completed by the kernel: all of them, or, after an error of
     *     {@code io_uring_enter} itself with none in flight, fewer (the rest were withdrawn
     *     unsubmitted and their {@code res} left as it was)
     */
    public int submitAndWait(int[] res, MemorySegment arg, MemorySegment errno) throws IOException {
        int n = prepared;
        prepared = 0;
        if (n == 0) {
            return 0;
        }
        // The SQEs and the array entries before the tail that publishes them.
        INT.setRelease(rings, sqTail, sqTailPvt);
        int unsubmitted = n;
        int done = 0;
        int failures = 0;
        try {
            while (done < n) {
                long r = (long) ENTER.invokeExact(errno, SYS_IO_URING_ENTER, (long) fd, (long) unsubmitted,
                        (long) (n - done), (long) (ENTER_GETEVENTS | ENTER_EXT_ARG), arg, GETEVENTS_ARG_BYTES);
                if (r >= 0) {
                    unsubmitted -= (int) Math.min(r, unsubmitted);
                } else {
                    int e = (int) ERRNO.get(errno, 0L);
                    if (e != EINTR && e != EAGAIN && e != EBUSY) {
                        done += reap(res);
                        if (done + unsubmitted == n) {
                            // Nothing in flight: withdraw what the kernel has not taken, and say so.
                            withdraw(unsubmitted);
                            return done;
                        }
                        // I/O in flight into memory the caller will reuse: wait for it, whatever it takes.
                        if (++failures > 3) {
                            LockSupport.parkNanos(1_000_000L);
                        }
                    }
                }
                done += reap(res);
            }
            return done;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("io_uring_enter", t);
        }
    }

    /** Takes every completion there is, by its tag; how many. */
    private int reap(int[] res) {
        // The kernel's CQEs before its tail.
        int tail = (int) INT.getAcquire(rings, cqTail);
        int head = cqHeadPvt;
        int got = 0;
        while (head != tail) {
            long at = cqes + (head & cqMask) * CQE_BYTES;
            long tag = rings.get(ValueLayout.JAVA_LONG, at + CQE_USER_DATA);
            if (tag >= 0 && tag < res.length) {
                res[(int) tag] = rings.get(ValueLayout.JAVA_INT, at + CQE_RES);
            }
            head++;
            got++;
        }
        cqHeadPvt = head;
        // Our reads of the CQEs before the kernel may reuse their slots.
        INT.setRelease(rings, cqHead, head);
        return got;
    }

    /**
     * Writes one {@link #OP_ASYNC_CANCEL} SQE: the kernel is asked to cancel the request tagged
     * {@code target}; the cancel's own completion is tagged {@code userData}. Nothing reaches the
     * kernel before {@link #submit}.
     *
     * @throws IllegalStateException when every slot is already prepared
     */
    public void prepareCancel(long target, long userData) {
        long at = nextSqe(OP_ASYNC_CANCEL, 0, -1);
        sqes.set(ValueLayout.JAVA_LONG, at + SQE_ADDR, target);
        sqes.set(ValueLayout.JAVA_LONG, at + SQE_USER_DATA, userData);
    }

    /**
     * Takes the next submission slot for one SQE, zeroed, with its opcode, flags and file
     * descriptor written, and puts it in the submission array; returns its offset in the SQE
     * array.
     *
     * @throws IllegalStateException when every slot is already prepared
     */
    private long nextSqe(int opcode, int flags, int fd) {
        if (prepared == entries) {
            throw new IllegalStateException("all " + entries + " submission slots are prepared");
        }
        int slot = sqTailPvt & sqMask;
        long at = slot * SQE_BYTES;
        for (long o = 0; o < SQE_BYTES; o += 8) {
            sqes.set(ValueLayout.JAVA_LONG, at + o, 0L);
        }
        sqes.set(ValueLayout.JAVA_BYTE, at + SQE_OPCODE, (byte) opcode);
        sqes.set(ValueLayout.JAVA_BYTE, at + SQE_FLAGS, (byte) flags);
        sqes.set(ValueLayout.JAVA_INT, at + SQE_FD, fd);
        rings.set(ValueLayout.JAVA_INT, sqArray + 4L * slot, slot);
        sqTailPvt++;
        prepared++;
        return at;
    }

    /**
     * Submits every prepared SQE with {@code io_uring_enter} and returns without waiting for any
     * of them: their completions are taken later ({@link #reap(long[], int[], int)}). An
     * interrupted or busy enter is tried again a few times; what the kernel did not take is then
     * withdrawn, unsubmitted.
     *
     * @return the SQEs the kernel took (each will complete), counted from the first prepared
     */
    public int submit(MemorySegment errno) throws IOException {
        int n = prepared;
        prepared = 0;
        if (n == 0) {
            return 0;
        }
        // The SQEs and the array entries before the tail that publishes them.
        INT.setRelease(rings, sqTail, sqTailPvt);
        int taken = 0;
        try {
            for (int tries = 0; taken < n && tries < 4; tries++) {
                long r = (long) ENTER.invokeExact(errno, SYS_IO_URING_ENTER, (long) fd, (long) (n - taken), 0L, 0L,
                        MemorySegment.NULL, 0L);
                if (r >= 0) {
                    taken += (int) Math.min(r, n - taken);
                    tries = -1; // progress: keep going
                    if (r == 0) {
                        break;
                    }
                } else {
                    int e = (int) ERRNO.get(errno, 0L);
                    if (e != EINTR && e != EAGAIN && e != EBUSY) {
                        break;
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("io_uring_enter", t);
        }
        if (taken < n) {
            withdraw(n - taken);
        }
        return taken;
    }

    /**
     * Submits every prepared SQE and, with {@code min} above 0, waits in the same
     * {@code io_uring_enter} until at least {@code min} completions are there or the timeout
     * {@code arg} names passes: one system call for both. What the kernel did not take is
     * withdrawn, unsubmitted.
     *
     * @return the SQEs the kernel took, counted from the first prepared
     */
    public int submitAndAwait(int min, MemorySegment arg, MemorySegment errno) throws IOException {
        int n = prepared;
        if (n == 0 || min <= 0) {
            return submit(errno);
        }
        prepared = 0;
        // The SQEs and the array entries before the tail that publishes them.
        INT.setRelease(rings, sqTail, sqTailPvt);
        int taken = 0;
        try {
            long r = (long) ENTER.invokeExact(errno, SYS_IO_URING_ENTER, (long) fd, (long) n, (long) min,
                    (long) (ENTER_GETEVENTS | ENTER_EXT_ARG), arg, GETEVENTS_ARG_BYTES);
            if (r >= 0) {
                taken = (int) Math.min(r, n);
            } else {
                int e = (int) ERRNO.get(errno, 0L);
                // A timeout or a signal after the submission: how many it took is the SQ head's to say.
                if (e == ETIME || e == EINTR) {
                    int head = (int) INT.getAcquire(rings, sqHead);
                    taken = n - (sqTailPvt - head);
                }
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("io_uring_enter", t);
        }
        if (taken < n) {
            prepared = n - taken;
            // What is left goes again without waiting; then, whatever the kernel still refuses, back.
            int more = submit(errno);
            taken += more;
        }
        return taken;
    }

    /**
     * Waits in {@code io_uring_enter} until at least {@code min} completions are there, the
     * timeout {@code arg} names passes ({@link #GETEVENTS_ARG_TS}), or a signal comes: a wait on
     * the kernel's I/O only.
     *
     * @return whether it returned for completions (not for the timeout)
     */
    public boolean await(int min, MemorySegment arg, MemorySegment errno) throws IOException {
        try {
            long r = (long) ENTER.invokeExact(errno, SYS_IO_URING_ENTER, (long) fd, 0L, (long) min,
                    (long) (ENTER_GETEVENTS | ENTER_EXT_ARG), arg, GETEVENTS_ARG_BYTES);
            return r >= 0 || (int) ERRNO.get(errno, 0L) != ETIME;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("io_uring_enter", t);
        }
    }

    /** Completions waiting to be taken. */
    public int completionsReady() {
        // The kernel's CQEs before its tail.
        return (int) INT.getAcquire(rings, cqTail) - cqHeadPvt;
    }

    /**
     * Takes up to {@code max} completions in the order the kernel posted them: the
     * {@code user_data} of the {@code i}th in {@code userData[i]}, its result in {@code res[i]};
     * how many.
     */
    public int reap(long[] userData, int[] res, int max) {
        // The kernel's CQEs before its tail.
        int tail = (int) INT.getAcquire(rings, cqTail);
        int head = cqHeadPvt;
        int got = 0;
        while (head != tail && got < max) {
            long at = cqes + (head & cqMask) * CQE_BYTES;
            userData[got] = rings.get(ValueLayout.JAVA_LONG, at + CQE_USER_DATA);
            res[got] = rings.get(ValueLayout.JAVA_INT, at + CQE_RES);
            head++;
            got++;
        }
        cqHeadPvt = head;
        // Our reads of the CQEs before the kernel may reuse their slots.
        INT.setRelease(rings, cqHead, head);
        return got;
    }

    /** Takes back the last {@code count} SQEs the kernel has not consumed (after a failed enter). */
    private void withdraw(int count) {
        int head = (int) INT.getAcquire(rings, sqHead);
        int back = Math.min(count, sqTailPvt - head);
        sqTailPvt -= back;
        INT.setRelease(rings, sqTail, sqTailPvt);
    }

    /** Unmaps the rings and closes the ring's descriptor; at most once, with nothing in flight. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        unmap(sqes);
        unmap(rings);
        closeFd(fd);
    }
}
