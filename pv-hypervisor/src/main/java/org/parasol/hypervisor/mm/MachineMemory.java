package org.parasol.hypervisor.mm;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.parasol.hypercall.abi.Mmu;

/**
 * The host's machine memory: one lazily committed mapping cut into 4 KiB machine frames,
 * numbered by MFN from 0.
 *
 * <p>The mapping is a sparse file in {@code /dev/shm} (or {@code java.io.tmpdir} where that is
 * missing), sized without writing to it, mapped shared into a {@link MemorySegment} and unlinked
 * at once, so creating gigabytes of machine memory costs a few system calls and no resident
 * memory until a frame is first touched. Every frame reads as zero until written. The host
 * must be able to back every frame that is touched: touching more than {@code /dev/shm} can
 * hold makes the JVM raise {@link InternalError} at the access, so size machine memory within
 * it.
 *
 * <p>Freed frames (a domain's memory when it is destroyed, a page given back at run time) are
 * {@linkplain #discard discarded} instead of zeroed: {@code madvise(MADV_REMOVE)} punches a hole
 * in the file, so the host gets the memory back and a frame the guest never touched is never
 * touched by the teardown either. {@link #residentFrames} says how much the host backs.
 *
 * <p>Only the hypervisor sees {@link #segment()}; guests reach frames through their own page
 * tables ({@link VcpuMmu}). Frame ownership, types and reference counts live in
 * {@link FrameTable}.
 *
 * <pre>
 *   maddr = mfn &lt;&lt; PAGE_SHIFT
 *   +--------+--------+--------+-- ... --+----------------+
 *   | mfn 0  | mfn 1  | mfn 2  |         | frameCount - 1 |
 *   +--------+--------+--------+-- ... --+----------------+
 *   0        4096     8192                          byteSize
 * </pre>
 */
public final class MachineMemory implements AutoCloseable {
    /** log2 of the page size. */
    public static final int PAGE_SHIFT = Mmu.PAGE_SHIFT;
    /** The page (frame) size, {@code XEN_PAGE_SIZE}. */
    public static final int PAGE_SIZE = Mmu.PAGE_SIZE;
    /**
     * The largest machine memory supported: 2^32 frames (16 TiB), so that an MFN fits the
     * 32 bits a software-TLB entry keeps for it.
     */
    public static final long MAX_BYTES = 1L << (32 + PAGE_SHIFT);

    /** {@code MADV_REMOVE} (Linux): free the range and its backing store; it reads as zeros after. */
    private static final int MADV_REMOVE = 9;
    /** {@code MADV_POPULATE_WRITE} (Linux 5.14): fault the range in writable, as writes would, in one call. */
    private static final int MADV_POPULATE_WRITE = 23;
    /** {@code int madvise(void *addr, size_t length, int advice)}, or null where it cannot be called. */
    private static final MethodHandle MADVISE = madvise();
    /** {@code int mincore(void *addr, size_t length, unsigned char *vec)}, or null where it cannot be called. */
    private static final MethodHandle MINCORE = mincore();

    private final Arena arena;
    private final MemorySegment segment;
    private final long frameCount;
    /** Cleared at the first failed {@code madvise}: the file system cannot punch holes. */
    private volatile boolean holesPunchable = MADVISE != null;
    /** Cleared at the first failed {@code MADV_POPULATE_WRITE} (a kernel before 5.14). */
    private volatile boolean populatable = MADVISE != null;

    private MachineMemory(Arena arena, MemorySegment segment) {
        this.arena = arena;
        this.segment = segment;
        this.frameCount = segment.byteSize() >>> PAGE_SHIFT;
    }

    /**
     * Creates {@code bytes} of zeroed machine memory.
     *
     * @param bytes a positive multiple of {@link #PAGE_SIZE}, at most {@link #MAX_BYTES}
     * @throws IllegalArgumentException if {@code bytes} is not such a size
     * @throws UncheckedIOException if the backing file cannot be created or mapped
     */
    public static MachineMemory create(long bytes) {
        if (bytes <= 0 || (bytes & (PAGE_SIZE - 1)) != 0 || bytes > MAX_BYTES) {
            throw new IllegalArgumentException("machine memory must be a positive multiple of "
                    + PAGE_SIZE + " bytes up to " + MAX_BYTES + ", not " + bytes);
        }
        Path file = createBackingFile();
        Arena arena = Arena.ofShared();
        try {
            MemorySegment segment;
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                // ftruncate: the file is a hole, nothing is committed until a frame is touched.
                raf.setLength(bytes);
                FileChannel channel = raf.getChannel();
                segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
            } finally {
                // The mapping keeps the memory alive; the name is not needed any more.
                Files.deleteIfExists(file);
            }
            return new MachineMemory(arena, segment);
        } catch (IOException | RuntimeException e) {
            arena.close();
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot map " + bytes + " bytes of machine memory", io);
            }
            throw (RuntimeException) e;
        }
    }

    private static Path createBackingFile() {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            try {
                return Files.createTempFile(shm, "parasol-machine-", ".mem");
            } catch (IOException e) {
                // Fall through to the temporary directory.
            }
        }
        try {
            return Files.createTempFile("parasol-machine-", ".mem");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the machine memory file", e);
        }
    }

    /** The number of machine frames, {@code byteSize / PAGE_SIZE}. */
    public long frameCount() {
        return frameCount;
    }

    /** The whole of machine memory. Hypervisor only: never hand it, or a slice, to a guest. */
    public MemorySegment segment() {
        return segment;
    }

    /** The machine address of frame {@code mfn}: {@code mfn << PAGE_SHIFT}. */
    public static long maddr(long mfn) {
        return mfn << PAGE_SHIFT;
    }

    /** Whether {@code mfn} names a frame of this memory. */
    public boolean isValidMfn(long mfn) {
        return mfn >= 0 && mfn < frameCount;
    }

    /**
     * Fills frame {@code mfn} with zeros.
     *
     * @throws IndexOutOfBoundsException if {@code mfn} is not a frame of this memory
     */
    public void zeroFrame(long mfn) {
        checkMfn(mfn);
        segment.asSlice(maddr(mfn), PAGE_SIZE).fill((byte) 0);
    }

    /**
     * Zeroes {@code count} frames from {@code firstMfn} by giving their memory back to the host
     * (a hole punched in the backing file); falls back to {@link #zeroFrame} where holes
     * cannot be punched. A frame nobody touched costs nothing here, where filling it would
     * make the host back it first.
     *
     * @throws IndexOutOfBoundsException if the run leaves this memory
     */
    public void discard(long firstMfn, long count) {
        checkMfn(firstMfn);
        checkMfn(firstMfn + count - 1);
        if (holesPunchable) {
            try {
                MemorySegment run = segment.asSlice(maddr(firstMfn), count << PAGE_SHIFT);
                if ((int) MADVISE.invokeExact(run, run.byteSize(), MADV_REMOVE) == 0) {
                    return;
                }
            } catch (Throwable t) {
                // Not callable after all: fill instead, from now on.
            }
            holesPunchable = false;
        }
        segment.asSlice(maddr(firstMfn), count << PAGE_SHIFT).fill((byte) 0);
    }

    /**
     * Has the host back {@code count} frames from {@code firstMfn} that are about to be written
     * whole, with one {@code madvise(MADV_POPULATE_WRITE)} instead of a page fault per frame
     * (the domain builder's P2M list: 2,048 frames for a 4 GiB domain). Their contents do not
     * change. Does nothing where the kernel cannot (the writes then fault the frames in).
     *
     * @throws IndexOutOfBoundsException if the run leaves this memory
     */
    public void populate(long firstMfn, long count) {
        checkMfn(firstMfn);
        checkMfn(firstMfn + count - 1);
        if (!populatable) {
            return;
        }
        try {
            MemorySegment run = segment.asSlice(maddr(firstMfn), count << PAGE_SHIFT);
            if ((int) MADVISE.invokeExact(run, run.byteSize(), MADV_POPULATE_WRITE) == 0) {
                return;
            }
        } catch (Throwable t) {
            // Not callable after all.
        }
        populatable = false;
    }

    /**
     * How many frames of machine memory the host backs right now (resident pages of the
     * mapping, by {@code mincore}): what machine memory costs the host. Pages the kernel
     * swapped out are not counted. For tests and measurements; a system call and a byte per
     * frame of temporary memory.
     *
     * @return the count, or -1 where {@code mincore} cannot be called
     */
    public long residentFrames() {
        if (MINCORE == null) {
            return -1;
        }
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment vec = scratch.allocate(frameCount);
            if ((int) MINCORE.invokeExact(segment, segment.byteSize(), vec) != 0) {
                return -1;
            }
            long n = 0;
            for (long i = 0; i < frameCount; i++) {
                n += vec.get(ValueLayout.JAVA_BYTE, i) & 1;
            }
            return n;
        } catch (Throwable t) {
            return -1;
        }
    }

    private static MethodHandle mincore() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("mincore")
                    .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG, ValueLayout.ADDRESS)))
                    .orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static MethodHandle madvise() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("madvise")
                    .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)))
                    .orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * {@code bytes} of native memory (8-byte aligned, zeroed) in machine memory's own arena, for
     * the hypervisor's raw host I/O: handed to a system call as a segment, it keeps machine memory
     * mapped until the call returns (closing it meanwhile fails), so a call whose buffers lie in
     * machine memory never writes to an address that was unmapped under it. Lives as long as
     * machine memory; callers allocate once (a privileged vCPU's first grant I/O).
     */
    public MemorySegment allocateScratch(long bytes) {
        return arena.allocate(bytes, 8);
    }

    void checkMfn(long mfn) {
        if (!isValidMfn(mfn)) {
            throw new IndexOutOfBoundsException("mfn " + mfn + " outside 0.." + (frameCount - 1));
        }
    }

    /** Unmaps machine memory; every later access to {@link #segment()} fails. */
    @Override
    public void close() {
        arena.close();
    }
}
