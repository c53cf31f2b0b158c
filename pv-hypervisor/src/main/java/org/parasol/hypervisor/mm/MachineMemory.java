package org.parasol.hypervisor.mm;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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

    private final Arena arena;
    private final MemorySegment segment;
    private final long frameCount;

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
