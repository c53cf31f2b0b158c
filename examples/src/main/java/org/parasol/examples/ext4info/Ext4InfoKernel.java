package org.parasol.examples.ext4info;

import java.lang.foreign.MemorySegment;

import org.parasol.drivers.blk.BlkFront;
import org.parasol.drivers.blk.Vbd;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.sched.Promise;

/**
 * ext4info: reads the superblock of the domain's first disk through blkfront (sectors 2 and 3:
 * bytes 1024..2047 of the device) and prints what {@code dumpe2fs -h} would say of it: label,
 * block size, block count, and more ({@link Ext4Superblock#describe}). The bytes were written by
 * a real tool on the host ({@code mkfs.ext4}); the guest reads them only through the split
 * driver. A disk that holds no ext2/3/4 file system crashes the domain with the reason.
 */
public final class Ext4InfoKernel extends ApplicationKernel {
    /** The kernel class an image names needs a public no-argument constructor. */
    public Ext4InfoKernel() {
    }

    @Override
    public Promise<?> main(Kernel k) {
        return BlkFront.list(k).then(ids -> {
            if (ids.isEmpty()) {
                throw new IllegalStateException("ext4info: this domain has no disk");
            }
            int devid = ids.get(0);
            for (int id : ids) {
                devid = Math.min(devid, id);
            }
            return BlkFront.connect(k, devid, BlkFront.Options.plain());
        }).then(disk -> {
            PageRun page = k.memory().allocatePages(1);
            long from = Ext4Superblock.FIRST_SECTOR * Ext4Superblock.SECTOR_SIZE;
            return disk.read(Ext4Superblock.FIRST_SECTOR, page.va() + from, Ext4Superblock.SIZE).then(v -> {
                MemorySegment bytes = MemorySegment.ofArray(new byte[Ext4Superblock.SIZE]);
                k.cpu().memory().copyToSegment(page.va() + from, bytes, 0, Ext4Superblock.SIZE);
                Ext4Superblock sb = Ext4Superblock.decode(bytes);
                k.println("ext4info: " + Vbd.name(disk.devid()) + ": " + disk.sectors() + " sectors");
                for (String line : sb.describe()) {
                    k.println(line);
                }
                return disk.close();
            });
        });
    }
}
