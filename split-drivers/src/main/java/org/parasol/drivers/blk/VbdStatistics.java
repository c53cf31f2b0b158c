package org.parasol.drivers.blk;

/**
 * One virtual disk's counters as blkback keeps them, Linux's {@code statistics/} of a vbd
 * (what xentop shows as VBD_OO, VBD_RD, VBD_WR, VBD_RSECT and VBD_WSECT): since the device was
 * made, over every connection and queue.
 *
 * @param front  the front end's domain
 * @param devid  the device (the vdev's number, 51712 for xvda)
 * @param ooReq  requests that waited for a free request slot ({@code oo_req}): always 0 here,
 *               since each request is served as it is taken off the ring
 * @param rdReq  reads that reached the disk ({@code rd_req}); an indirect read counts once
 * @param wrReq  writes that reached the disk ({@code wr_req}), barriers included
 * @param fReq   cache flushes and barriers ({@code f_req})
 * @param dsReq  discards ({@code ds_req})
 * @param rdSect 512-byte sectors read ({@code rd_sect})
 * @param wrSect 512-byte sectors written ({@code wr_sect})
 */
public record VbdStatistics(int front, int devid, long ooReq, long rdReq, long wrReq, long fReq, long dsReq, long rdSect,
        long wrSect) {
    static final int RD_REQ = 0;
    static final int WR_REQ = 1;
    static final int F_REQ = 2;
    static final int DS_REQ = 3;
    static final int RD_SECT = 4;
    static final int WR_SECT = 5;
    /** Counters a queue keeps, indexed by the constants above. */
    static final int COUNTERS = 6;

    static VbdStatistics of(int front, int devid, long[] c) {
        return new VbdStatistics(front, devid, 0, c[RD_REQ], c[WR_REQ], c[F_REQ], c[DS_REQ], c[RD_SECT], c[WR_SECT]);
    }
}
