package org.parasol.drivers.net;

import java.util.ArrayList;
import java.util.List;

import org.parasol.drivers.net.stack.FrameReceiver;
import org.parasol.drivers.net.stack.MacAddress;
import org.parasol.drivers.net.stack.NetDevice;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.x86.Ne2kDriver;

/**
 * The network interfaces a kernel has, whatever drives them: the one place an application asks,
 * so that it runs unchanged paravirtualized and native, as {@code Disks} is for disks. A native
 * kernel ({@code NativeOps}) with an NE2000 at {@code 0x300} (a native domain's {@code vif=}
 * entry) has that card, as device {@value Ne2kDriver#DEVID}; its vifs (one added later with
 * {@code xl network-attach} stays paravirtual, as an HVM guest's PV NICs do) follow. Every
 * other kernel has its vifs through netfront.
 */
public final class Nics {
    private Nics() {
    }

    /** An interface as the IP stack uses it, and its end. */
    public interface Nic extends NetDevice {
        /** Stops the interface; completes when it is down. */
        Promise<Void> close();

        /** What drives it, for the boot log. */
        String describe();

        /** Frames received with blank checksums (netfront's NETRXF_csum_blank); 0 for a card without offload. */
        default long checksumBlankReceived() {
            return 0;
        }

        /** Whole UDP datagrams received with checksum 0. */
        default long udpWithoutChecksumReceived() {
            return 0;
        }
    }

    /** The device ids of the kernel's interfaces: the NE2000's first, if it has one, then its vifs'. */
    public static Promise<List<Integer>> list(Kernel k) {
        if (!Ne2kDriver.present(k)) {
            return NetFront.list(k);
        }
        return NetFront.list(k).map(ids -> {
            List<Integer> all = new ArrayList<>();
            all.add(Ne2kDriver.DEVID);
            all.addAll(ids);
            return List.copyOf(all);
        });
    }

    /** Connects interface {@code devid}: the NE2000 for {@value Ne2kDriver#DEVID}, else vif {@code devid}. */
    public static Promise<Nic> connect(Kernel k, int devid) {
        return connect(k, devid, true);
    }

    /** {@link #connect(Kernel, int)}; a vif takes blank checksums or declines them ({@code checksumOffload}). */
    public static Promise<Nic> connect(Kernel k, int devid, boolean checksumOffload) {
        if (devid == Ne2kDriver.DEVID) {
            Ne2kDriver card = Ne2kDriver.probe(k);
            if (card == null) {
                Promise<Nic> p = k.loop().promise();
                k.loop().execute(() -> p.fail(new IllegalStateException("no NE2000 answers at 0x300")));
                return p;
            }
            k.println("eth0: " + card.describe());
            return k.loop().completed(new Ne2k(card));
        }
        return NetFrontDevice.connect(k, devid, checksumOffload).map(Vif0::new);
    }

    /** The NE2000 as a {@link Nic}. */
    private static final class Ne2k implements Nic {
        private final Ne2kDriver card;
        private final MacAddress mac;

        Ne2k(Ne2kDriver card) {
            this.card = card;
            long bits = 0;
            for (byte b : card.mac()) {
                bits = bits << 8 | (b & 0xFF);
            }
            this.mac = new MacAddress(bits);
        }

        @Override
        public MacAddress mac() {
            return mac;
        }

        @Override
        public int mtu() {
            return NetFrontDevice.MTU;
        }

        @Override
        public boolean transmit(byte[] frame, int offset, int length) {
            if (length > Vif.ETH_HEADER + NetFrontDevice.MTU) {
                throw new IllegalArgumentException("frame of " + length + " bytes");
            }
            return card.transmit(frame, offset, length);
        }

        @Override
        public void setReceiver(FrameReceiver r) {
            card.setReceiver(r == null ? null : r::receive);
        }

        @Override
        public Promise<Void> close() {
            return card.close();
        }

        @Override
        public String describe() {
            return card.describe();
        }
    }

    /** A netfront vif as a {@link Nic}. */
    private static final class Vif0 implements Nic {
        private final NetFrontDevice dev;

        Vif0(NetFrontDevice dev) {
            this.dev = dev;
        }

        @Override
        public MacAddress mac() {
            return dev.mac();
        }

        @Override
        public int mtu() {
            return dev.mtu();
        }

        @Override
        public boolean transmit(byte[] frame, int offset, int length) {
            return dev.transmit(frame, offset, length);
        }

        @Override
        public boolean checksumOffload() {
            return dev.checksumOffload();
        }

        @Override
        public long checksumBlankReceived() {
            return dev.nic().checksumBlankReceived();
        }

        @Override
        public long udpWithoutChecksumReceived() {
            return dev.udpWithoutChecksumReceived();
        }

        @Override
        public void setReceiver(FrameReceiver r) {
            dev.setReceiver(r);
        }

        @Override
        public Promise<Void> close() {
            return dev.nic().close();
        }

        @Override
        public String describe() {
            return "netfront, " + dev.mac();
        }
    }
}
