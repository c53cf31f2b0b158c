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
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A host file a privileged domain's back end serves, opened by the hypervisor on a descriptor it
 * owns ({@link org.parasol.hypercall.GuestMemory#openHostFile}). To the domain it is a
 * {@link FileChannel} like any (every method goes to a JDK channel on the same open file, reopened
 * through {@code /proc/self/fd}); to the hypervisor's host I/O it is also the descriptor, which
 * {@link #vector} reads into or writes from machine memory with one {@code preadv}/{@code pwritev}
 * system call through the foreign function interface: none of the JDK channel's per-call work
 * (its blocking bookkeeping, the buffer's session, a {@code ByteBuffer} per piece), and a
 * scattering call at a position without a seek.
 *
 * <p>A batch of such calls ({@link #vectors}, grant I/O of a run of blkback's requests) goes
 * through an io_uring of the file's own ({@link IoUring}), made at the first batch beside the
 * descriptor and closed with it: one {@code io_uring_enter} submits the batch and waits for all
 * of it. Where the ring cannot be made, the batch goes one system call per request.
 *
 * <p>The descriptor is closed once: when the channel is closed and no raw call is in progress
 * (a call in progress finishes on the open descriptor, so its number is never reused under
 * it), or when the channel becomes unreachable without being closed. Instances are made only
 * by the hypervisor; the class is final.
 */
public final class HostFileChannel extends FileChannel {
    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000; // Linux, x86-64 and AArch64
    private static final int EINTR = 4;
    /** {@code struct iovec}: a base address and a length, 8 bytes each on a 64-bit Linux. */
    public static final int IOVEC_BYTES = 16;

    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN;
    private static final MethodHandle CLOSE;
    /** {@code ssize_t preadv(int fd, const struct iovec *iov, int iovcnt, off_t offset)}, errno captured. */
    private static final MethodHandle PREADV;
    private static final MethodHandle PWRITEV;
    /** {@code int fsync(int fd)} and {@code int fdatasync(int fd)}, errno captured. */
    private static final MethodHandle FSYNC;
    private static final MethodHandle FDATASYNC;
    private static final Cleaner CLEANER = Cleaner.create();

    static {
        MethodHandle open = null;
        MethodHandle close = null;
        MethodHandle preadv = null;
        MethodHandle pwritev = null;
        MethodHandle fsync = null;
        MethodHandle fdatasync = null;
        try {
            if (System.getProperty("os.name", "").startsWith("Linux") && ValueLayout.ADDRESS.byteSize() == 8) {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                open = linker.downcallHandle(libc.find("open").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), errno);
                close = linker.downcallHandle(libc.find("close").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                FunctionDescriptor vec = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG);
                preadv = linker.downcallHandle(libc.find("preadv").orElseThrow(), vec, errno);
                pwritev = linker.downcallHandle(libc.find("pwritev").orElseThrow(), vec, errno);
                FunctionDescriptor sync = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
                fsync = linker.downcallHandle(libc.find("fsync").orElseThrow(), sync, errno);
                fdatasync = linker.downcallHandle(libc.find("fdatasync").orElseThrow(), sync, errno);
            }
        } catch (RuntimeException e) {
            open = close = preadv = pwritev = fsync = fdatasync = null; // no native access here: plain JDK channels
        }
        OPEN = open;
        CLOSE = close;
        PREADV = preadv;
        PWRITEV = pwritev;
        FSYNC = fsync;
        FDATASYNC = fdatasync;
    }

    /**
     * Submission slots of a file's io_uring: a batch of more requests goes in several waves.
     * blkback takes at most 64 requests a turn.
     */
    public static final int RING_ENTRIES = 64;
    /**
     * Whether batches use io_uring at all ({@code -Dparasol.uring=false}: one {@code preadv}/
     * {@code pwritev} per request, as without it).
     */
    static final boolean URING = !"false".equals(System.getProperty("parasol.uring"));
    /**
     * The smallest request of a batch marked {@code IOSQE_ASYNC}
     * ({@code -Dparasol.uring.asyncBytes}; {@code -Dparasol.uring.async=true} is 0, {@code false}
     * never): handed to the kernel's io-wq workers at once, which copy in parallel on every core,
     * instead of being tried inline in the submitting thread first (a page-cache hit then
     * completes there, one after the other, for no more than the copy itself costs).
     */
    static final long URING_ASYNC_BYTES = asyncBytes();

    private static long asyncBytes() {
        String async = System.getProperty("parasol.uring.async");
        if (async != null) {
            return Boolean.parseBoolean(async) ? 0 : Long.MAX_VALUE;
        }
        return Long.getLong("parasol.uring.asyncBytes", Long.MAX_VALUE);
    }

    /**
     * The fewest requests a batch sends through io_uring ({@code -Dparasol.uring.min}); a smaller
     * one goes one synchronous system call per request, the cheaper way for one request alone.
     */
    static final int URING_MIN = Math.max(1, Integer.getInteger("parasol.uring.min", 2));
    private static final java.util.concurrent.atomic.AtomicBoolean FALLBACK_LOGGED =
            new java.util.concurrent.atomic.AtomicBoolean();

    /** One log line for the process, the first time a ring cannot be made. */
    private static void ringUnavailable(Exception e) {
        if (FALLBACK_LOGGED.compareAndSet(false, true)) {
            System.getLogger("org.parasol.hypervisor.mm").log(System.Logger.Level.WARNING,
                    "io_uring unavailable (" + e.getMessage() + "): grant I/O batches fall back to one "
                            + "preadv/pwritev per request");
        }
    }

    /** Closed bit of {@link Descriptor#state}; the bits below count raw calls in progress. */
    private static final long CLOSED = 1L << 62;

    /** The descriptor and its users: what the cleaner may reach (never the channel itself). */
    private static final class Descriptor implements Runnable {
        private static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Descriptor.class, "state", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final int fd;
        @SuppressWarnings("unused") // through STATE
        private volatile long state;
        Cleaner.Cleanable cleanable;
        /** The io_uring beside the descriptor, made at the first batch; used by one thread at a time (RING). */
        IoUring ring;
        /** Whether {@link #ring} could not be made: batches go one system call per request. */
        boolean ringFailed;
        /** 1 while a thread uses {@link #ring}: a second one goes without it rather than wait. */
        @SuppressWarnings("unused") // through RING
        private volatile int ringBusy;
        private static final VarHandle RING;

        static {
            try {
                RING = MethodHandles.lookup().findVarHandle(Descriptor.class, "ringBusy", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** Takes the ring for this thread (made now if new); null when it is busy or cannot be made. */
        IoUring takeRing() {
            if (!RING.compareAndSet(this, 0, 1)) {
                return null;
            }
            if (ring == null && !ringFailed) {
                try {
                    ring = IoUring.open(RING_ENTRIES);
                } catch (IOException | RuntimeException e) {
                    ringFailed = true;
                    ringUnavailable(e);
                }
            }
            if (ring == null) {
                RING.setRelease(this, 0);
            }
            return ring;
        }

        void giveRing() {
            RING.setRelease(this, 0);
        }

        Descriptor(int fd) {
            this.fd = fd;
        }

        /** A raw call begins: false once the channel is closed. */
        boolean enter() {
            long s;
            do {
                s = (long) STATE.getVolatile(this);
                if ((s & CLOSED) != 0) {
                    return false;
                }
            } while (!STATE.compareAndSet(this, s, s + 1));
            return true;
        }

        /** A raw call ended: the last one after a close closes the descriptor. */
        void exit() {
            long s = (long) STATE.getAndAdd(this, -1L) - 1;
            if (s == CLOSED) {
                cleanable.clean();
            }
        }

        /** The channel closes: the descriptor now, or at the end of the last call in progress. */
        void close() {
            long s = (long) STATE.getAndBitwiseOr(this, CLOSED);
            if (s == 0) {
                cleanable.clean();
            }
        }

        @Override
        public void run() { // once, by clean() or by the cleaner: no call in progress, none in flight
            IoUring r = ring;
            if (r != null) {
                r.close();
            }
            try {
                int rc = (int) CLOSE.invokeExact(fd);
            } catch (Throwable t) {
                // close(2) of our own descriptor: nothing to do about a failure
            }
        }
    }

    private final FileChannel channel;
    private final Descriptor fd;
    private final boolean writable;

    private HostFileChannel(FileChannel channel, Descriptor fd, boolean writable) {
        this.channel = channel;
        this.fd = fd;
        this.writable = writable;
    }

    /** Whether this host can open host files on a descriptor of its own (Linux, native access). */
    public static boolean available() {
        return OPEN != null;
    }

    /**
     * Opens {@code path} (which must exist) for reading, and writing when {@code writable}: a
     * host file channel where {@link #available}, else the JDK's own channel.
     *
     * @throws IOException as {@code open(2)} or {@link FileChannel#open} fails
     */
    public static FileChannel open(Path path, boolean writable) throws IOException {
        StandardOpenOption[] options = writable
                ? new StandardOpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE}
                : new StandardOpenOption[] {StandardOpenOption.READ};
        if (!available()) {
            return FileChannel.open(path, options);
        }
        int fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = a.allocate(CAPTURE);
            fd = (int) OPEN.invokeExact(errno, a.allocateFrom(path.toString()),
                    (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
            if (fd < 0) {
                throw new IOException(path + ": open failed, errno " + (int) ERRNO.get(errno, 0L));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(path + ": open failed", t);
        }
        Descriptor d = new Descriptor(fd);
        FileChannel jdk;
        try {
            // The same open file (not whatever the path names by now), through the descriptor's own name.
            jdk = FileChannel.open(Path.of("/proc/self/fd/" + fd), options);
        } catch (IOException | RuntimeException e) {
            d.run(); // no channel: close the descriptor here
            throw e;
        }
        HostFileChannel c = new HostFileChannel(jdk, d, writable);
        d.cleanable = CLEANER.register(c, d);
        return c;
    }

    /** A zeroed errno capture segment for {@link #vector}, allocated in {@code arena}. */
    public static MemorySegment errnoCapture(Arena arena) {
        return arena.allocate(CAPTURE);
    }

    /**
     * One scattering read ({@code toMemory}) or gathering write of the file from {@code position}
     * on, into or from the {@code count} iovecs at the start of {@code iov} (which the call may
     * rewrite: a short transfer advances them and goes on), {@code total} bytes in all. Reads stop
     * early only at the end of the file. The caller has checked that every iovec lies in memory
     * that stays mapped for the call; {@code iov} is passed as a segment, so its arena stays open
     * until the call returns.
     *
     * @return the bytes moved
     * @throws ClosedChannelException when the channel was closed
     * @throws IOException for an error of the system call, or a write that made no progress
     */
    public long vector(MemorySegment iov, int count, long total, long position, boolean toMemory,
            MemorySegment errno) throws IOException {
        if (!toMemory && !writable) {
            throw new java.nio.channels.NonWritableChannelException();
        }
        if (!fd.enter()) {
            throw new ClosedChannelException();
        }
        try {
            long r = rest(iov, 0, count, total, 0, position, toMemory, errno);
            if (r < 0) {
                throw new IOException((toMemory ? "preadv" : "pwritev") + " at " + position + " failed, errno "
                        + (r == NO_PROGRESS ? "none (a gathering write made no progress)" : Long.toString(-r)));
            }
            return r;
        } finally {
            fd.exit();
        }
    }

    /** {@link #rest}'s answer for a gathering write that made no progress. */
    private static final long NO_PROGRESS = Long.MIN_VALUE;

    /**
     * The system-call loop of one vector request: {@code preadv}/{@code pwritev} on the
     * descriptor (entered by the caller) from {@code position + done} on, over the iovecs
     * {@code [first, first + count)} of {@code iov} (the first {@code done} bytes of which are
     * already moved: they are skipped, and the iovecs rewritten as the loop advances), until
     * {@code total} bytes are moved or a read meets the end of the file.
     *
     * @return the bytes moved in all ({@code done} included), {@code -errno} for a failed call,
     *     or {@link #NO_PROGRESS}
     */
    private long rest(MemorySegment iov, int first, int count, long total, long done, long position,
            boolean toMemory, MemorySegment errno) {
        int end = first + count;
        first = skip(iov, first, end, done);
        try {
            while (done < total && first < end) {
                MemorySegment at = first == 0 ? iov : iov.asSlice((long) first * IOVEC_BYTES);
                long r = toMemory ? (long) PREADV.invokeExact(errno, fd.fd, at, end - first, position + done)
                        : (long) PWRITEV.invokeExact(errno, fd.fd, at, end - first, position + done);
                if (r < 0) {
                    int e = (int) ERRNO.get(errno, 0L);
                    if (e == EINTR) {
                        continue;
                    }
                    return -e;
                }
                if (r == 0) {
                    if (toMemory) {
                        break; // the end of the file
                    }
                    return NO_PROGRESS;
                }
                done += r;
                first = skip(iov, first, end, r);
            }
            return done;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Past the iovecs from {@code first} that {@code bytes} fill, and into the one filled in
     * part, which is rewritten to start after them; the first iovec not yet full.
     */
    private static int skip(MemorySegment iov, int first, int end, long bytes) {
        while (first < end && bytes > 0) {
            long o = (long) first * IOVEC_BYTES;
            long len = iov.get(ValueLayout.JAVA_LONG, o + 8);
            if (bytes >= len) {
                bytes -= len;
                first++;
            } else {
                iov.set(ValueLayout.JAVA_LONG, o, iov.get(ValueLayout.JAVA_LONG, o) + bytes);
                iov.set(ValueLayout.JAVA_LONG, o + 8, len - bytes);
                bytes = 0;
            }
        }
        return first;
    }

    /**
     * A batch of {@link #vector} requests at once: request {@code i} moves {@code totals[i]}
     * bytes at {@code positions[i]}, into memory ({@code writes[i]} false) or out of it, over the
     * {@code iovCounts[i]} iovecs of {@code iov} from index {@code iovFirsts[i]} on. With two or
     * more requests (and io_uring on this host), each is one {@code IORING_OP_READV}/
     * {@code IORING_OP_WRITEV} on this file's own ring, all submitted with one
     * {@code io_uring_enter} that also waits for every completion; a short transfer is finished
     * with {@code preadv}/{@code pwritev} from where it stopped. Otherwise (one request, no ring,
     * or another thread using this file's ring now) one system call per request, in order. The
     * requests of a batch are not ordered among themselves: the caller puts requests whose file
     * ranges overlap a write into different batches. Every I/O has completed when this returns.
     *
     * @param results out: per request, the bytes moved (fewer than its total only where a read met
     *     the end of the file) or {@code -errno} of its failed system call
     * @param arg {@link IoUring#GETEVENTS_ARG_BYTES} zeroed bytes in memory that must stay mapped
     *     while I/O is in flight (as {@code iov}, passed to the kernel as a segment)
     * @return how many requests went through io_uring (0: none)
     * @throws ClosedChannelException when the channel was closed
     * @throws java.nio.channels.NonWritableChannelException for a write to a read-only file
     *     (before anything moves)
     */
    public int vectors(MemorySegment iov, int[] iovFirsts, int[] iovCounts, long[] totals, long[] positions,
            boolean[] writes, int count, long[] results, MemorySegment errno, MemorySegment arg) throws IOException {
        for (int i = 0; i < count; i++) {
            if (writes[i] && !writable) {
                throw new java.nio.channels.NonWritableChannelException();
            }
        }
        if (!fd.enter()) {
            throw new ClosedChannelException();
        }
        try {
            IoUring ring = URING && count >= URING_MIN ? fd.takeRing() : null;
            if (ring == null) {
                for (int i = 0; i < count; i++) {
                    results[i] = oneResult(rest(iov, iovFirsts[i], iovCounts[i], totals[i], 0, positions[i],
                            !writes[i], errno));
                }
                return 0;
            }
            try {
                return batch(ring, iov, iovFirsts, iovCounts, totals, positions, writes, count, results, errno, arg);
            } finally {
                fd.giveRing();
            }
        } finally {
            fd.exit();
        }
    }

    private static long oneResult(long r) {
        return r == NO_PROGRESS ? -EIO : r;
    }

    private static final int EIO = 5;
    private static final int EAGAIN = 11;
    /** A completion not (yet) seen. */
    private static final int NOT_DONE = Integer.MIN_VALUE;
    /** Per-thread scratch would allocate; the ring has one user at a time, so the ring's own does. */
    private final int[] completions = new int[RING_ENTRIES];

    private int batch(IoUring ring, MemorySegment iov, int[] iovFirsts, int[] iovCounts, long[] totals,
            long[] positions, boolean[] writes, int count, long[] results, MemorySegment errno, MemorySegment arg)
            throws IOException {
        int[] res = completions;
        long base = iov.address();
        int through = 0;
        for (int from = 0; from < count; from += ring.entries()) {
            int wave = Math.min(ring.entries(), count - from);
            for (int k = 0; k < wave; k++) {
                int i = from + k;
                res[k] = NOT_DONE;
                ring.prepareVector(writes[i] ? IoUring.OP_WRITEV : IoUring.OP_READV, fd.fd,
                        base + (long) iovFirsts[i] * IOVEC_BYTES, iovCounts[i], positions[i], k,
                        totals[i] >= URING_ASYNC_BYTES ? IoUring.SQE_ASYNC : 0);
            }
            ring.submitAndWait(res, arg, errno);
            for (int k = 0; k < wave; k++) {
                int i = from + k;
                int r = res[k];
                boolean toMemory = !writes[i];
                if (r == NOT_DONE || r == -EINTR || r == -EAGAIN) {
                    // Never submitted (the ring failed) or to be tried again: synchronously, from the start.
                    results[i] = oneResult(rest(iov, iovFirsts[i], iovCounts[i], totals[i], 0, positions[i],
                            toMemory, errno));
                    continue;
                }
                through++;
                if (r < 0) {
                    results[i] = r;
                } else if (r < totals[i] && (r > 0 || !toMemory)) {
                    // A short transfer (a read at the end of the file stops with 0 and needs nothing more).
                    results[i] = oneResult(rest(iov, iovFirsts[i], iovCounts[i], totals[i], r, positions[i],
                            toMemory, errno));
                } else {
                    results[i] = r;
                }
            }
        }
        return through;
    }

    /**
     * The smallest asynchronous request ({@link #prepareAsync}) marked {@code IOSQE_ASYNC}
     * ({@code -Dparasol.uring.asyncSubmitBytes}, 0 by default: all of them): it goes to the
     * kernel's io-wq workers at once, so the submitting thread does not make the copy itself.
     */
    static final long ASYNC_SUBMIT_BYTES = Long.getLong("parasol.uring.asyncSubmitBytes", 0L);

    /**
     * Prepares one vector request ({@link #vector}'s arguments; {@code iov} at native address
     * {@code iov}, which must stay mapped, with the memory it names, until the request is
     * completed) on {@code ring}, tagged {@code userData}, for the caller to submit and reap
     * later. The descriptor is held open from here until {@link #completeAsync} or
     * {@link #abandonAsync}: a close meanwhile leaves its number unused until then.
     *
     * @return false when the channel was closed (nothing prepared, nothing held)
     * @throws java.nio.channels.NonWritableChannelException for a write to a read-only file
     */
    public boolean prepareAsync(IoUring ring, long iov, int iovCount, long total, long position, boolean write,
            long userData) {
        if (write && !writable) {
            throw new java.nio.channels.NonWritableChannelException();
        }
        if (!fd.enter()) {
            return false;
        }
        ring.prepareVector(write ? IoUring.OP_WRITEV : IoUring.OP_READV, fd.fd, iov, iovCount, position, userData,
                total >= ASYNC_SUBMIT_BYTES ? IoUring.SQE_ASYNC : 0);
        return true;
    }

    /** Whether grant I/O may use io_uring at all ({@code -Dparasol.uring=false}: never). */
    public static boolean uringEnabled() {
        return URING && IoUring.supported();
    }

    /** Whether the file was opened for writing. */
    public boolean isWritableFile() {
        return writable;
    }

    /** Lets go of the descriptor {@link #prepareAsync} held, for a request the kernel never took. */
    public void abandonAsync() {
        fd.exit();
    }

    /**
     * The end of a request {@link #prepareAsync} prepared (its iovecs from index {@code iovFirst}
     * of {@code iov}), whose completion said {@code res}: a
     * short transfer is finished with {@code preadv}/{@code pwritev} from where it stopped, an
     * {@code EAGAIN} or {@code EINTR} done again synchronously; then the descriptor is let go.
     *
     * @return the bytes moved (fewer than {@code total} only where a read met the end of the
     *     file), or {@code -errno}
     */
    public long completeAsync(int res, MemorySegment iov, int iovFirst, int iovCount, long total, long position,
            boolean write, MemorySegment errno) {
        try {
            boolean toMemory = !write;
            if (res == -EINTR || res == -EAGAIN) {
                return oneResult(rest(iov, iovFirst, iovCount, total, 0, position, toMemory, errno));
            }
            if (res < 0) {
                return res;
            }
            if (res < total && (res > 0 || !toMemory)) {
                return oneResult(rest(iov, iovFirst, iovCount, total, res, position, toMemory, errno));
            }
            return res;
        } finally {
            fd.exit();
        }
    }

    // ------------------------------------------------------------ FileChannel, through the JDK's channel

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return channel.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return channel.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return channel.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return channel.write(srcs, offset, length);
    }

    @Override
    public long position() throws IOException {
        return channel.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        channel.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return channel.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        channel.truncate(size);
        return this;
    }

    /**
     * {@code fsync} ({@code fdatasync} without {@code metaData}) on the hypervisor's descriptor,
     * the one grant I/O writes through (on Linux either descriptor of the file would write back
     * all of its dirty pages; this one is what a trace of the writes shows).
     */
    @Override
    public void force(boolean metaData) throws IOException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
        if (!fd.enter()) {
            throw new ClosedChannelException();
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = a.allocate(CAPTURE);
            while (true) {
                int rc = metaData ? (int) FSYNC.invokeExact(errno, fd.fd) : (int) FDATASYNC.invokeExact(errno, fd.fd);
                if (rc == 0) {
                    return;
                }
                int e = (int) ERRNO.get(errno, 0L);
                if (e != EINTR) {
                    throw new IOException((metaData ? "fsync" : "fdatasync") + " failed, errno " + e);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        } finally {
            fd.exit();
        }
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return channel.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        return channel.transferFrom(src, position, count);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return channel.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        return channel.write(src, position);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return channel.map(mode, position, size);
    }

    @Override
    public MemorySegment map(MapMode mode, long offset, long size, Arena arena) throws IOException {
        return channel.map(mode, offset, size, arena);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return channel.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return channel.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        try {
            channel.close();
        } finally {
            fd.close();
        }
    }

    /** The raw descriptor (tests). */
    int descriptor() {
        return fd.fd;
    }

    /** Whether this file has an io_uring beside its descriptor now (tests). */
    boolean hasRing() {
        return fd.ring != null;
    }

    /** Whether the raw descriptor is still open (tests). */
    boolean descriptorOpen() {
        return fd.enter() && exitTrue();
    }

    private boolean exitTrue() {
        fd.exit();
        return true;
    }
}
