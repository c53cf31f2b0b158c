package org.parasol.drivers.blk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.abi.Blkif;

/**
 * A raw disk image a back end serves: a host file, opened read-only or read-write, whose size
 * in 512-byte sectors is the disk's. Privileged domains only (host files).
 */
public final class DiskImage implements AutoCloseable {
    /** A flush failed; see {@link #flush}. Set and read by every queue's vCPU. */
    private volatile boolean failed;
    /** What discard writes, made on the first discard (volatile: queues on several vCPUs may race to make it). */
    private volatile ByteBuffer zeroes;

    private final Path path;
    private final FileChannel channel;
    private final boolean readOnly;
    private final long sectors;
    /** Opens the image's channels: the hypervisor's host files, or the JDK's own channels. */
    private final Opener opener;

    /** How a disk's channels are opened. */
    @FunctionalInterface
    private interface Opener {
        FileChannel open(Path path, boolean readOnly) throws IOException;
    }

    private DiskImage(Path path, FileChannel channel, boolean readOnly, long sectors, Opener opener) {
        this.path = path;
        this.channel = channel;
        this.readOnly = readOnly;
        this.sectors = sectors;
        this.opener = opener;
    }

    /**
     * Opens {@code path}.
     *
     * @throws IOException when it cannot be opened (with the reason)
     */
    public static DiskImage open(Path path, boolean readOnly) throws IOException {
        return open(path, readOnly, DiskImage::jdkChannel);
    }

    /**
     * Opens {@code path} as host files of the hypervisor ({@link GuestMemory#openHostFile}, on
     * {@code memory}, the calling vCPU's): each channel on a descriptor the hypervisor owns, which
     * grant I/O reads and writes with one system call per request, without the JDK channel's
     * per-call work. Privileged domains only.
     *
     * @throws IOException when it cannot be opened (with the reason)
     */
    public static DiskImage open(Path path, boolean readOnly, GuestMemory memory) throws IOException {
        java.util.Objects.requireNonNull(memory, "memory");
        return open(path, readOnly, (p, ro) -> memory.openHostFile(p, !ro));
    }

    private static DiskImage open(Path path, boolean readOnly, Opener opener) throws IOException {
        FileChannel ch = opener.open(path, readOnly);
        try {
            return new DiskImage(path, ch, readOnly, ch.size() / Blkif.SECTOR_SIZE, opener);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static FileChannel jdkChannel(Path path, boolean readOnly) throws IOException {
        return readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    public Path path() {
        return path;
    }

    public FileChannel channel() {
        return channel;
    }

    public boolean readOnly() {
        return readOnly;
    }

    /** The disk's size in 512-byte sectors (bytes past the last whole sector are not served). */
    public long sectors() {
        return sectors;
    }

    /**
     * {@code fsync}: everything written so far, data and size, on stable storage. A flush that
     * fails poisons the disk ({@link #failed}): on Linux a failed {@code fsync} may leave the
     * lost pages marked clean, so a later flush could succeed without them.
     */
    public void flush() throws IOException {
        flush(channel);
    }

    /**
     * {@link #flush} through {@code ch}, a channel of {@link #openChannel}: {@code fsync} on any
     * descriptor of the file writes back all of its dirty pages, whichever descriptor wrote them.
     */
    public void flush(FileChannel ch) throws IOException {
        try {
            ch.force(true);
        } catch (IOException e) {
            failed = true;
            throw e;
        }
    }

    /**
     * Another channel on the image, with the same access, for a queue served on a vCPU of its
     * own (its scattering reads move the channel's position). The caller closes it.
     *
     * @throws IOException when the file cannot be opened again
     */
    public FileChannel openChannel() throws IOException {
        return opener.open(path, readOnly);
    }

    /** Whether a flush failed: from then on every request to this disk fails. */
    public boolean failed() {
        return failed;
    }

    /** Discards sectors by writing zeroes over them (a raw file has no cheaper portable way). */
    public void discard(long sector, long count) throws IOException {
        discard(channel, sector, count);
    }

    /** {@link #discard} through {@code ch}, a channel of {@link #openChannel}. */
    public void discard(FileChannel ch, long sector, long count) throws IOException {
        long pos = sector * Blkif.SECTOR_SIZE;
        long end = pos + count * Blkif.SECTOR_SIZE;
        ByteBuffer all = zeroes();
        while (pos < end) {
            ByteBuffer z = all.duplicate().clear();
            z.limit((int) Math.min(z.capacity(), end - pos));
            while (z.hasRemaining()) {
                pos += ch.write(z, pos);
            }
        }
    }

    /** The zeroes discard writes, made on the first discard of any queue (never written to; two racing queues may each make one). */
    private ByteBuffer zeroes() {
        ByteBuffer z = zeroes;
        if (z == null) {
            z = ByteBuffer.allocateDirect(1 << 20);
            zeroes = z;
        }
        return z;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return path + (readOnly ? " (ro, " : " (rw, ") + sectors + " sectors)";
    }
}
