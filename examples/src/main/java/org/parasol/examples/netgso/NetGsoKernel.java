package org.parasol.examples.netgso;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Random;

import org.parasol.drivers.net.NetFront;
import org.parasol.drivers.net.Vif;
import org.parasol.drivers.net.stack.Checksum;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.CommandLine;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.sched.Timer;

/**
 * netgso: TCP/IPv4 GSO ({@code feature-gso-tcpv4}) end to end, with raw frames (the guest IP
 * stack has no TCP). One domain sends ({@code role=send peers=P count=N mss=M sizes=A,B,...}):
 * frame {@code k} is a whole TCP/IPv4 packet of {@code sizes[k % len]} bytes (Ethernet, a
 * 20-byte IPv4 header with id {@code 100 k}, a 32-byte TCP header with timestamp options,
 * sequence number {@code k << 20}, flags CWR|ACK|PSH|FIN, port 40000 to 9, a payload whose byte
 * at stream offset {@code o} is {@link TcpFrame#pattern}: {@link TcpFrame}'s frame), sent with
 * {@link NetFront#transmitGso} at MSS {@code M} and its checksum blank, to an address nobody has (so dom0's bridge floods it to
 * every receiver). Receivers ({@code role=recv gso=1|0}) take it whole with its MSS (gso=1:
 * {@code feature-gso-tcpv4} = 1) or as dom0's segments (gso=0), and check every frame or
 * segment as a TCP receiver would: the IPv4 header checksum and the TCP checksum verify (the
 * receivers decline checksum offload, so dom0 fills in what was blank), the IPv4 total length,
 * the id ({@code 100 k} + the segment's number), the sequence number, FIN and PSH only on the
 * last segment and CWR only on the first, at most an MSS of payload (exactly one but for the
 * last), and the payload byte for byte. A receiver that has all of frame {@code k} answers
 * "ACK k" (EtherType 0x88B7); the sender sends the next frame once every receiver has answered
 * (the one before again after 500 ms without, up to 20 times). Receivers say "READY" until the
 * first frame comes; the sender says "BYE" at the end. With {@code peers=0} nobody answers (the
 * host's TAP uplink, read raw by a test): the first frame goes {@code start=} ms after the
 * interface is up, then one each {@code gap=} ms, none sent again.
 *
 * <p>{@code role=liar frames=N seed=S}: a hostile front end. It sends N frames, each with a GSO
 * extra of a type and size drawn from the seed (TCPv4 most often; any type 0..255, sizes 0,
 * under {@code TCP_MIN_MSS}, or anything to 65535) on a frame drawn from the seed (a whole TCP
 * packet to port 7777, UDP, a frame that is no IPv4, an IPv4 fragment, a total length past the
 * frame), works out which dom0 must refuse (all but a TCPv4 extra of at least 88 on a whole TCP
 * packet) and prints the count: {@code netgso: liar sent N GSO frames, R to be refused}.
 *
 * <p>Expected output: {@code netgso: sent 12 GSO frames at MSS 1448 to 2 receivers, 0 resent}
 * and, per receiver, {@code netgso: received 12 frames (... segments, ... payload bytes) ...;
 * checksums, lengths, ids, sequence numbers, flags and bytes right}.
 */
public final class NetGsoKernel extends ApplicationKernel {
    private static final int CONTROL = 0x88B7;
    private static final int READY = 1;
    private static final int ACK = 2;
    private static final int BYE = 3;
    private static final int PORT = 9;
    private static final int TCP_FLAGS = TcpFrame.FLAGS;
    private static final int HEADERS = TcpFrame.HEADERS;
    private static final long NOBODY = 0x02_00_00_00_00_99L;
    private static final long BROADCAST = 0xFFFF_FFFF_FFFFL;
    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    private Kernel k;
    private NetFront nic;
    private final MemorySegment out = MemorySegment.ofArray(new byte[Vif.MAX_SG_FRAME]);
    private final byte[] seen = new byte[Vif.MAX_SG_FRAME];
    private Promise<Integer> done;
    private int count = 12;
    private int mss = 1448;
    private int[] sizes = {1514, 9000, 30000, 65535};
    private int peers = 1;
    private boolean gso;
    private long seed = 1;
    private int liarFrames = 200;
    /** role=send peers=0: no receivers answer (the host's TAP); the first frame after start ms, the next each gap ms. */
    private long startMs = 2000;
    private long gapMs = 300;

    // role=send
    private final long[] peerMac = new long[8];
    private int peersReady;
    private boolean started;
    private int current;
    private int acked; // bit i: peer i answered the current frame
    private int resent;
    private int tries;
    private Timer retry;

    // role=recv
    private Timer ready;
    private int expect;
    private int nextOff;
    private long frames;
    private long segments;
    private long payloadBytes;
    private boolean finished;

    /** The kernel class an image names needs a public no-argument constructor. */
    public NetGsoKernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        String[] role = {"recv"};
        new CommandLine("netgso")
                .choice("role", v -> role[0] = v, "recv", "send", "liar")
                .number("count", 1, 4000, v -> count = (int) v)
                .number("mss", 88, 65535, v -> mss = (int) v)
                .number("peers", 0, 8, v -> peers = (int) v)
                .number("start", 0, 600_000, v -> startMs = v)
                .number("gap", 1, 60_000, v -> gapMs = v)
                .number("gso", 0, 1, v -> gso = v == 1)
                .number("seed", 0, Long.MAX_VALUE, v -> seed = v)
                .number("frames", 1, 100_000, v -> liarFrames = (int) v)
                .numbers("sizes", HEADERS + 1, Vif.MAX_SG_FRAME, v -> sizes = v)
                .parse(k.commandLine());
        done = k.loop().promise();
        String r = role[0];
        return NetFront.list(k).then(ids -> {
            if (ids.isEmpty()) {
                throw new IllegalStateException("netgso: this domain has no vif");
            }
            boolean receiver = r.equals("recv");
            // Receivers decline checksum offload: dom0 fills in what the sender left blank, and they verify it.
            return NetFront.connect(k, ids.get(0), 1, !receiver, true, receiver && gso,
                    r.equals("send") ? this::senderFrame : receiver ? this::receiverFrame : (n, b, l) -> { });
        }).then(n -> {
            nic = n;
            switch (r) {
                case "send" -> {
                    if (!n.gso()) {
                        throw new IllegalStateException("netgso: the back end does not offer feature-gso-tcpv4");
                    }
                    if (peers == 0) {
                        k.println("netgso: sending as " + Vif.formatMac(n.mac()) + " (feature-gso-tcpv4 offered), unanswered,"
                                + " from " + startMs + " ms, one frame each " + gapMs + " ms");
                        k.after(Duration.ofMillis(startMs), this::sendUnanswered);
                    } else {
                        k.println("netgso: sending as " + Vif.formatMac(n.mac()) + " (feature-gso-tcpv4 offered), waiting for "
                                + peers + (peers == 1 ? " receiver" : " receivers"));
                    }
                }
                case "recv" -> {
                    k.println("netgso: receiving as " + Vif.formatMac(n.mac()) + (n.rxGso() ? " (GSO frames whole)"
                            : " (segments: no feature-gso-tcpv4)"));
                    sayReady();
                    k.after(Duration.ofSeconds(90), () -> {
                        if (!finished) {
                            finished = true;
                            done.fail(new IllegalStateException("netgso: no BYE within 90 s; " + frames + " frames whole"));
                        }
                    });
                }
                case "liar" -> lie();
                default -> throw new IllegalStateException("netgso: role=" + r + "?");
            }
            return done;
        }).then(v -> nic.close().map(x -> v));
    }

    private static void putMac(MemorySegment f, long at, long mac) {
        for (int i = 0; i < 6; i++) {
            f.set(ValueLayout.JAVA_BYTE, at + i, (byte) (mac >>> (8 * (5 - i))));
        }
    }

    private static long mac(MemorySegment f, long at) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = (v << 8) | (f.get(ValueLayout.JAVA_BYTE, at + i) & 0xFF);
        }
        return v;
    }

    private void control(long to, int type, int value) {
        MemorySegment c = MemorySegment.ofArray(new byte[60]);
        putMac(c, 0, to);
        putMac(c, 6, nic.mac());
        c.set(BE_SHORT, 12, (short) CONTROL);
        c.set(ValueLayout.JAVA_BYTE, 14, (byte) type);
        c.set(BE_INT, 15, value);
        nic.transmit(c, 60);
    }

    // ---- the sender ----

    /** Frame {@code kf} into {@link #out} ({@link TcpFrame#build}): its length. */
    private int build(int kf, int size, long dst, int dport, int proto) {
        return TcpFrame.build(out, nic.mac(), dst, kf, size, dport, proto);
    }

    private void senderFrame(NetFront from, MemorySegment f, int len) {
        if (len < 19 || (f.get(BE_SHORT, 12) & 0xFFFF) != CONTROL) {
            return;
        }
        int type = f.get(ValueLayout.JAVA_BYTE, 14);
        int value = f.get(BE_INT, 15);
        long src = mac(f, 6);
        int p = 0;
        while (p < peersReady && peerMac[p] != src) {
            p++;
        }
        if (type == READY && p == peersReady && peersReady < peers) {
            peerMac[peersReady++] = src;
            if (peersReady == peers && !started) {
                started = true;
                send();
            }
        } else if (type == ACK && p < peersReady && started && value == current && current < count) {
            acked |= 1 << p;
            if (acked == (1 << peers) - 1) {
                retry.cancel();
                acked = 0;
                tries = 0;
                if (++current == count) {
                    k.println("netgso: sent " + count + " GSO frames at MSS " + mss + " to " + peers + " receivers, " + resent
                            + " resent");
                    control(BROADCAST, BYE, count);
                    k.after(Duration.ofMillis(200), () -> {
                        control(BROADCAST, BYE, count); // once more, should the first be lost
                        done.complete(count);
                    });
                    return;
                }
                send();
            }
        }
    }

    private void send() {
        int len = build(current, sizes[current % sizes.length], NOBODY, PORT, 6);
        if (!nic.transmitGso(out, len, mss, true)) {
            nic.whenTxSpace(this::send);
            return;
        }
        retry = k.after(Duration.ofMillis(500), this::lost);
    }

    /** peers=0: frames to whoever listens (the host's TAP), one each gap, none sent again. */
    private void sendUnanswered() {
        int len = build(current, sizes[current % sizes.length], NOBODY, PORT, 6);
        if (!nic.transmitGso(out, len, mss, true)) {
            nic.whenTxSpace(this::sendUnanswered);
            return;
        }
        if (++current == count) {
            k.println("netgso: sent " + count + " GSO frames at MSS " + mss + ", unanswered");
            k.after(Duration.ofMillis(gapMs), () -> done.complete(count));
            return;
        }
        k.after(Duration.ofMillis(gapMs), this::sendUnanswered);
    }

    private void lost() {
        if (++tries > 20) {
            done.fail(new IllegalStateException("netgso: frame " + current + " not answered by every receiver after 20 tries"));
            return;
        }
        resent++;
        send();
    }

    // ---- a receiver ----

    private void sayReady() {
        if (expect == 0 && nextOff == 0 && !finished) {
            control(BROADCAST, READY, 0);
            ready = k.after(Duration.ofMillis(200), this::sayReady);
        }
    }

    private void receiverFrame(NetFront from, MemorySegment f, int len) {
        if (finished || len < 14) {
            return;
        }
        int type = f.get(BE_SHORT, 12) & 0xFFFF;
        if (type == CONTROL && len >= 19 && f.get(ValueLayout.JAVA_BYTE, 14) == BYE) {
            finish(f.get(BE_INT, 15));
            return;
        }
        if (type != 0x0800 || len < HEADERS || (f.get(ValueLayout.JAVA_BYTE, 23) & 0xFF) != 6
                || (f.get(BE_SHORT, 36) & 0xFFFF) != PORT) {
            return; // not the sender's TCP (a liar's frame, a control frame)
        }
        String bad = check(f, len);
        if (bad != null) {
            finished = true;
            done.fail(new IllegalStateException("netgso: frame " + expect + " at offset " + nextOff + ": " + bad));
        }
    }

    /** Checks one frame or segment as a TCP receiver would; null if right. */
    private String check(MemorySegment f, int len) {
        MemorySegment.copy(f, ValueLayout.JAVA_BYTE, 0, seen, 0, len);
        int ihl = (seen[14] & 15) * 4;
        int total = f.get(BE_SHORT, 16) & 0xFFFF;
        if (ihl != 20 || 14 + total != len) {
            return "IPv4 header length " + ihl + ", total length " + total + " in a frame of " + len;
        }
        if (Checksum.of(seen, 14, ihl) != 0) {
            return "the IPv4 header checksum does not verify";
        }
        int tcp = 14 + ihl;
        int seg = total - ihl;
        long acc = Checksum.pseudoHeader(f.get(BE_INT, 26), f.get(BE_INT, 30), 6, seg);
        if (Checksum.finish(Checksum.add(acc, seen, tcp, seg)) != 0) {
            return "the TCP checksum does not verify";
        }
        int thl = ((seen[tcp + 12] & 0xFF) >>> 4) * 4;
        int seq = f.get(BE_INT, tcp + 4);
        int kf = seq >>> 20;
        int off = seq & 0xFFFFF;
        int bytes = seg - thl;
        if (kf < expect) {
            control(mac(f, 6), ACK, kf); // a frame sent again: it was whole here already
            return null;
        }
        if (kf > expect) {
            return "frame " + kf + " came first";
        }
        if (ready != null) {
            ready.cancel();
            ready = null;
        }
        int payload = sizes[kf % sizes.length] - HEADERS;
        if (off != nextOff) {
            if (off == 0) {
                nextOff = 0; // sent again from its start after a loss
            } else {
                return null; // a segment after a lost one: the whole frame comes again
            }
        }
        boolean whole = nic.gsoSize() != 0;
        if (nic.rxGso() && payload > mss && (!whole || nic.gsoSize() != mss)) {
            return "a GSO receiver got no GSO frame with MSS " + mss + " (" + nic.gsoSize() + ")";
        }
        if (!nic.rxGso() && whole) {
            return "a GSO extra for a receiver that did not ask for one";
        }
        int expectBytes = whole ? payload : Math.min(mss, payload - off);
        if (bytes != expectBytes) {
            return bytes + " payload bytes, not " + expectBytes;
        }
        int id = f.get(BE_SHORT, 18) & 0xFFFF;
        if (id != ((kf * 100 + off / mss) & 0xFFFF)) {
            return "IP id " + id;
        }
        int flags = seen[tcp + 13] & 0xFF;
        int want = TCP_FLAGS;
        if (off + bytes < payload) {
            want &= ~0x09;
        }
        if (off > 0) {
            want &= ~0x80;
        }
        if (flags != want) {
            return "TCP flags " + Integer.toHexString(flags) + ", not " + Integer.toHexString(want);
        }
        for (int i = 0; i < bytes; i++) {
            if (seen[tcp + thl + i] != TcpFrame.pattern(kf, off + i)) {
                return "payload byte " + (off + i) + " differs";
            }
        }
        segments++;
        payloadBytes += bytes;
        nextOff = off + bytes;
        if (nextOff == payload) {
            frames++;
            expect++;
            nextOff = 0;
            control(mac(f, 6), ACK, kf);
        }
        return null;
    }

    private void finish(int sent) {
        if (finished) {
            return;
        }
        finished = true;
        if (frames != sent) {
            done.fail(new IllegalStateException("netgso: " + frames + " frames whole of the " + sent + " sent"));
            return;
        }
        k.println("netgso: received " + frames + " frames (" + segments + " segments, " + payloadBytes + " payload bytes) "
                + (nic.rxGso() ? "whole with their MSS (" + nic.gsoReceived() + " GSO frames)" : "as dom0's segments")
                + "; checksums, lengths, ids, sequence numbers, flags and bytes right");
        done.complete((int) frames);
    }

    // ---- the liar ----

    private Random random;
    private int lies;
    private int toRefuse;

    private void lie() {
        if (!nic.gso()) {
            throw new IllegalStateException("netgso: the back end does not offer feature-gso-tcpv4");
        }
        random = new Random(seed);
        k.println("netgso: liar as " + Vif.formatMac(nic.mac()) + ", seed " + seed);
        nextLie();
    }

    private void nextLie() {
        while (lies < liarFrames) {
            int size = HEADERS + 1 + random.nextInt(20000);
            int kind = random.nextInt(6); // 0, 1: a whole TCP packet; then UDP, no IPv4, a fragment, a length past the frame
            int len = build(lies, size, NOBODY, 7777, kind == 2 ? 17 : 6);
            if (kind == 3) {
                out.set(BE_SHORT, 12, (short) 0x88B5);
            } else if (kind == 4) {
                out.set(BE_SHORT, 20, (short) 0x2000); // more fragments
            } else if (kind == 5) {
                out.set(BE_SHORT, 16, (short) (size - 14 + 1 + random.nextInt(100)));
            }
            int type = random.nextInt(4) != 0 ? 1 : random.nextInt(256);
            int gsoSize = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> random.nextInt(88);
                default -> random.nextInt(65536);
            };
            if (!nic.transmitGso(out, len, type, gsoSize, random.nextBoolean())) {
                nic.whenTxSpace(this::nextLie);
                return;
            }
            boolean stands = type == 1 && gsoSize >= 88 && kind <= 1;
            if (!stands) {
                toRefuse++;
            }
            lies++;
        }
        k.println("netgso: liar sent " + lies + " GSO frames, " + toRefuse + " to be refused");
        k.after(Duration.ofMillis(500), () -> done.complete(lies));
    }
}
