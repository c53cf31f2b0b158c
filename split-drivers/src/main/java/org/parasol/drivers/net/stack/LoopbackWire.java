package org.parasol.drivers.net.stack;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

import org.parasol.guest.sched.RunLoop;

/**
 * An in-memory Ethernet segment: a hub joining any number of {@link NetDevice} ports, each
 * frame copied to every other port. Delivery is a task on the run loop, never inside
 * {@code transmit}, as {@link NetDevice} requires. For property tests the wire can lose,
 * duplicate and reorder frames, from a seeded {@link Random}, so a failing run replays.
 *
 * <pre>
 *   wire = new LoopbackWire(loop, seed, Impairments.NONE)
 *   NetDevice a = wire.attach(MacAddress.parse("00:16:3e:00:00:01"), 1500)
 *   NetDevice b = wire.attach(MacAddress.parse("00:16:3e:00:00:02"), 1500)
 *   a.transmit(frame) -> copy -> loop.execute(deliver to b)     (and to any other port)
 * </pre>
 *
 * <p>Filtering by destination is the receiver's job, as on a real hub.
 */
public final class LoopbackWire {
    /**
     * What the wire does to each copy of a frame, as probabilities in [0, 1].
     *
     * @param loss a copy is dropped
     * @param duplicate a delivered copy is delivered twice
     * @param reorder a delivered copy is held back behind frames sent after it
     */
    public record Impairments(double loss, double duplicate, double reorder) {
        /** A perfect wire. */
        public static final Impairments NONE = new Impairments(0, 0, 0);

        /** @throws IllegalArgumentException if a probability is outside [0, 1] */
        public Impairments {
            for (double p : new double[] {loss, duplicate, reorder}) {
                if (!(p >= 0 && p <= 1)) {
                    throw new IllegalArgumentException("a probability is in [0, 1]: " + p);
                }
            }
        }
    }

    private final RunLoop loop;
    private final Random random;
    private final List<Port> ports = new ArrayList<>();
    private Impairments impairments;
    private long carried;
    private long lost;
    private long duplicated;
    private long reordered;

    /** A wire delivering on {@code loop}, impaired as {@code impairments} says, with random choices from {@code seed}. */
    public LoopbackWire(RunLoop loop, long seed, Impairments impairments) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.random = new Random(seed);
        this.impairments = Objects.requireNonNull(impairments, "impairments");
    }

    /** Changes the impairments from now on. */
    public void impair(Impairments next) {
        impairments = Objects.requireNonNull(next, "next");
    }

    /** A new port with address {@code mac} and MTU {@code mtu}. */
    public NetDevice attach(MacAddress mac, int mtu) {
        if (mtu < 576 || mtu > 65535) {
            throw new IllegalArgumentException("MTU 576..65535: " + mtu);
        }
        Port p = new Port(Objects.requireNonNull(mac, "mac"), mtu);
        ports.add(p);
        return p;
    }

    /** Frames handed to the wire by its ports. */
    public long carried() {
        return carried;
    }

    /** Copies the wire lost on purpose. */
    public long lost() {
        return lost;
    }

    /** Copies it delivered twice. */
    public long duplicated() {
        return duplicated;
    }

    /** Copies it held back behind later frames. */
    public long reordered() {
        return reordered;
    }

    private void carry(Port from, byte[] frame) {
        carried++;
        Impairments imp = impairments;
        for (Port to : ports) {
            if (to == from) {
                continue;
            }
            if (imp.loss() > 0 && random.nextDouble() < imp.loss()) {
                lost++;
                continue;
            }
            Runnable deliver = () -> to.deliver(frame);
            if (imp.reorder() > 0 && random.nextDouble() < imp.reorder()) {
                reordered++;
                // Two hops through the ready queue: frames sent meanwhile overtake it.
                loop.execute(() -> loop.execute(deliver));
            } else {
                loop.execute(deliver);
            }
            if (imp.duplicate() > 0 && random.nextDouble() < imp.duplicate()) {
                duplicated++;
                loop.execute(deliver);
            }
        }
    }

    private final class Port implements NetDevice {
        private final MacAddress mac;
        private final int mtu;
        private FrameReceiver receiver;

        Port(MacAddress mac, int mtu) {
            this.mac = mac;
            this.mtu = mtu;
        }

        @Override
        public MacAddress mac() {
            return mac;
        }

        @Override
        public int mtu() {
            return mtu;
        }

        @Override
        public boolean transmit(byte[] frame, int offset, int length) {
            Objects.requireNonNull(frame, "frame");
            if (!Bytes.inBounds(frame.length, offset, length)) {
                throw new IllegalArgumentException("frame range " + offset + "+" + length + " outside " + frame.length + " bytes");
            }
            if (length < Ethernet.HEADER_LENGTH || length > Ethernet.HEADER_LENGTH + mtu) {
                throw new IllegalArgumentException("an Ethernet frame on this port is 14.." + (Ethernet.HEADER_LENGTH + mtu)
                        + " bytes: " + length);
            }
            carry(this, Arrays.copyOfRange(frame, offset, offset + length));
            return true;
        }

        @Override
        public void setReceiver(FrameReceiver r) {
            receiver = r;
        }

        void deliver(byte[] frame) {
            FrameReceiver r = receiver;
            if (r != null) {
                r.receive(frame, 0, frame.length);
            }
        }
    }
}
