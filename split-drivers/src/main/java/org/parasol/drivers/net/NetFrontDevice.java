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

    private NetFrontDevice() {
    }

    /** Connects vif {@code devid} and wraps it. */
    public static Promise<NetFrontDevice> connect(Kernel k, int devid) {
        NetFrontDevice d = new NetFrontDevice();
        return NetFront.connect(k, devid, d).map(n -> {
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

    @Override
    public boolean transmit(byte[] frame, int offset, int length) {
        if (offset < 0 || length < Vif.ETH_HEADER || length > Vif.ETH_HEADER + MTU || offset > frame.length - length) {
            throw new IllegalArgumentException("frame [" + offset + ", +" + length + ") of " + frame.length + " bytes");
        }
        MemorySegment.copy(MemorySegment.ofArray(frame), offset, tx, 0, length);
        return nic.transmit(tx, length);
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
            receiver.receive(rx, 0, length);
        }
    }
}
