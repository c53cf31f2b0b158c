package org.parasol.drivers.net;

import java.lang.foreign.MemorySegment;

import org.parasol.drivers.net.stack.FrameReceiver;
import org.parasol.drivers.net.stack.MacAddress;
import org.parasol.drivers.net.stack.NetDevice;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;

/**
 * A {@link NetFront} as the IP stack's {@link NetDevice}: frames are copied between the stack's
 * byte arrays and the interface's pages. The MTU is 1500 (frames of up to 1514 bytes).
 */
public final class NetFrontDevice implements NetDevice, NetFront.Receiver {
    /** Ethernet's MTU. */
    public static final int MTU = 1500;

    private NetFront nic;
    private FrameReceiver receiver;
    private final MemorySegment tx = MemorySegment.ofArray(new byte[Vif.MAX_FRAME]);
    private final byte[] rx = new byte[Vif.MAX_FRAME];
    private final MemorySegment rxSegment = MemorySegment.ofArray(rx);
    private long udpWithoutChecksum;

    private NetFrontDevice() {
    }

    /** Connects vif {@code devid} (one queue, checksum offload) and wraps it. */
    public static Promise<NetFrontDevice> connect(Kernel k, int devid) {
        return connect(k, devid, true);
    }

    /**
     * Connects vif {@code devid} and wraps it; with {@code checksumOffload} the stack leaves UDP
     * checksums blank and this device sends them {@code NETTXF_csum_blank}, and received frames
     * may be blank; without, the front end writes {@code feature-no-csum-offload} = 1.
     */
    public static Promise<NetFrontDevice> connect(Kernel k, int devid, boolean checksumOffload) {
        NetFrontDevice d = new NetFrontDevice();
        return NetFront.connect(k, devid, 1, checksumOffload, d).map(n -> {
            d.nic = n;
            return d;
        });
    }

    /** The interface underneath. */
    public NetFront nic() {
        return nic;
    }

    @Override
    public MacAddress mac() {
        return new MacAddress(nic.mac());
    }

    @Override
    public int mtu() {
        return MTU;
    }

    /** Whole UDP datagrams received with checksum 0 (none, or blank and never filled in). */
    public long udpWithoutChecksumReceived() {
        return udpWithoutChecksum;
    }

    @Override
    public boolean checksumOffload() {
        return nic.checksumOffload();
    }

    @Override
    public boolean transmit(byte[] frame, int offset, int length) {
        if (offset < 0 || length < Vif.ETH_HEADER || length > Vif.ETH_HEADER + MTU || offset > frame.length - length) {
            throw new IllegalArgumentException("frame [" + offset + ", +" + length + ") of " + frame.length + " bytes");
        }
        MemorySegment.copy(MemorySegment.ofArray(frame), offset, tx, 0, length);
        return nic.transmit(tx, length, nic.checksumOffload() && blankUdp(frame, offset, length));
    }

    /**
     * A whole (unfragmented) IPv4 UDP datagram whose checksum is 0: left blank by the stack
     * (which never sends a computed 0), to be filled in by whoever needs it.
     */
    static boolean blankUdp(byte[] f, int off, int len) {
        if (len < 14 + 20 + 8 || f[off + 12] != 0x08 || f[off + 13] != 0 || (f[off + 14] & 0xF0) != 0x40
                || f[off + 23] != 17 || ((f[off + 20] & 0x3F) | f[off + 21]) != 0) {
            return false;
        }
        int ihl = (f[off + 14] & 15) * 4;
        int total = (f[off + 16] & 0xFF) << 8 | (f[off + 17] & 0xFF);
        return ihl >= 20 && total >= ihl + 8 && 14 + total <= len && f[off + 14 + ihl + 6] == 0 && f[off + 14 + ihl + 7] == 0;
    }

    @Override
    public void setReceiver(FrameReceiver r) {
        this.receiver = r;
    }

    @Override
    public void frame(NetFront from, MemorySegment bytes, int length) {
        nic = from;
        if (receiver != null && length <= rx.length) {
            MemorySegment.copy(bytes, 0, rxSegment, 0, length);
            if (blankUdp(rx, 0, length)) {
                udpWithoutChecksum++;
            }
            receiver.receive(rx, 0, length);
        }
    }
}
