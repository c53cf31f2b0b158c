package org.parasol.drivers.blk;

import java.util.List;

import org.parasol.guest.blk.BlockDevice;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.x86.AtaDriver;

/**
 * The disks a kernel has, whatever drives them: the one place an application asks, so that it
 * runs unchanged paravirtualized and native. A native kernel ({@code NativeOps}) with an ATA
 * disk on the primary channel (a native domain's {@code disk=} entry) has that disk, as
 * {@code hda} ({@value AtaDriver#DEVID}); its vbds (a disk added later with
 * {@code xl block-attach}, which stays paravirtual as an HVM guest's PV disks do) follow.
 * Every other kernel has its vbds through blkfront.
 */
public final class Disks {
    private Disks() {
    }

    /** The device ids of the kernel's disks: the ATA disk's first, if it has one, then its vbds'. */
    public static Promise<List<Integer>> list(Kernel k) {
        AtaDriver ata = AtaDriver.probe(k);
        if (ata == null) {
            return BlkFront.list(k);
        }
        return BlkFront.list(k).map(ids -> {
            java.util.ArrayList<Integer> all = new java.util.ArrayList<>();
            all.add(AtaDriver.DEVID);
            all.addAll(ids);
            return List.copyOf(all);
        });
    }

    /**
     * Connects to disk {@code devid}: the ATA disk for {@value AtaDriver#DEVID} in a native
     * kernel that has one, else vbd {@code devid} through blkfront with {@code options}.
     */
    public static Promise<BlockDevice> connect(Kernel k, int devid, BlkFront.Options options) {
        if (devid == AtaDriver.DEVID) {
            AtaDriver ata = AtaDriver.probe(k);
            if (ata != null) {
                return k.loop().completed(ata);
            }
        }
        return BlkFront.connect(k, devid, options).map(f -> f);
    }
}
