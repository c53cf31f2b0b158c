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
        public void run() { // once, by clean() or by the cleaner
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
            long done = 0;
            int first = 0;
            while (done < total && first < count) {
                MemorySegment at = first == 0 ? iov : iov.asSlice((long) first * IOVEC_BYTES);
                long r = toMemory ? (long) PREADV.invokeExact(errno, fd.fd, at, count - first, position + done)
                        : (long) PWRITEV.invokeExact(errno, fd.fd, at, count - first, position + done);
                if (r < 0) {
                    int e = (int) ERRNO.get(errno, 0L);
                    if (e == EINTR) {
                        continue;
                    }
                    throw new IOException((toMemory ? "preadv" : "pwritev") + " at " + (position + done)
                            + " failed, errno " + e);
                }
                if (r == 0) {
                    if (toMemory) {
                        break; // the end of the file
                    }
                    throw new IOException("a gathering write made no progress at " + (position + done));
                }
                done += r;
                // Past the iovecs the call filled, and into the one it filled in part.
                while (first < count && r >= iov.get(ValueLayout.JAVA_LONG, (long) first * IOVEC_BYTES + 8)) {
                    r -= iov.get(ValueLayout.JAVA_LONG, (long) first * IOVEC_BYTES + 8);
                    first++;
                }
                if (r > 0) {
                    long o = (long) first * IOVEC_BYTES;
                    iov.set(ValueLayout.JAVA_LONG, o, iov.get(ValueLayout.JAVA_LONG, o) + r);
                    iov.set(ValueLayout.JAVA_LONG, o + 8, iov.get(ValueLayout.JAVA_LONG, o + 8) - r);
                }
            }
            return done;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
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

    /** Whether the raw descriptor is still open (tests). */
    boolean descriptorOpen() {
        return fd.enter() && exitTrue();
    }

    private boolean exitTrue() {
        fd.exit();
        return true;
    }
}
