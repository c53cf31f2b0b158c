package org.parasol.guest.blk;

import org.parasol.guest.sched.Promise;

/**
 * A disk as an application sees it: 512-byte sectors read into and written from its own
 * memory, asynchronously, on the kernel's promises. Two drivers give it: blkfront (the split
 * driver, {@code org.parasol.drivers.blk.BlkFront}) and the native ATA driver
 * ({@link org.parasol.guest.x86.AtaDriver}); {@code org.parasol.drivers.blk.Disks} finds the
 * one the machine has, so an application does not change between the paravirtual and the
 * native configurations.
 *
 * <pre>
 *  disk.read(sector, va, bytes)     into memory at va (the kernel's direct map); bytes a
 *  disk.write(sector, va, bytes)      multiple of sectorSize(), the range inside the disk
 *  disk.flush()                     every write completed before it is on stable storage
 *  disk.discard(sector, count)      where the device offers it (canDiscard)
 *  disk.close()                     I/O after it fails
 * </pre>
 *
 * <p>Not thread-safe: one vCPU's run loop owns a device. Completion is always reported from a
 * later task of that loop, never from inside the call that started the I/O.
 */
public interface BlockDevice {
    /** The device id: a vbd's {@code virtual-device}, or Xen's number for an emulated disk ({@code hda} = 768). */
    int devid();

    /** The name a Linux guest would give it ({@code xvda}, {@code hda}). */
    String name();

    /** Size in 512-byte sectors. */
    long sectors();

    /** The logical sector size (I/O must be aligned to it). */
    int sectorSize();

    boolean readOnly();

    /** Whether {@link #flush} is offered. */
    boolean canFlush();

    /** Whether {@link #discard} is offered. */
    boolean canDiscard();

    /** Reads {@code length} bytes from {@code sector} into memory at {@code va}. */
    Promise<Void> read(long sector, long va, long length);

    /** Writes {@code length} bytes at {@code va} to the disk from {@code sector}. */
    Promise<Void> write(long sector, long va, long length);

    /** Once this completes, every write that completed before it was called is on stable storage. */
    Promise<Void> flush();

    /**
     * Discards {@code count} sectors from {@code sector}; they read back as zeroes. Where
     * {@link #canDiscard} is false the promise fails and nothing is sent to the device (the ATA
     * disk: {@link UnsupportedOperationException}, as it has no TRIM; blkfront: its
     * {@code BlkException} with {@code BLKIF_RSP_EOPNOTSUPP}, what a back end would answer).
     */
    Promise<Void> discard(long sector, long count);

    /** Requests (blkif requests, or ATA commands) sent to the device so far. */
    long requests();

    /**
     * How many times the driver told the device there was work: event-channel sends for
     * blkfront, command-register writes for ATA.
     */
    long notifications();

    /** One line on how the device is driven, for a log: queues and grants, or the transfer mode. */
    String describe();

    /** Closes the device; I/O in flight or later fails. */
    Promise<Void> close();
}
