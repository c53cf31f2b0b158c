package org.parasol.examples.netbench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

import org.parasol.drivers.net.NetFront;
import org.parasol.drivers.net.Vif;
import org.parasol.examples.netgso.TcpFrame;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.CommandLine;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.sched.Timer;
import org.parasol.guest.x86.Ne2kDriver;

/**
 * netbench: guest-to-guest network figures over netfront, dom0's netback and its bridge, with
 * raw Ethernet frames (EtherType 0x88B6), no IP stack. Two domains: a sink ({@code role=sink})
 * and a source ({@code role=source}). For each frame size in {@code sizes=} the source runs
 *
 * <ol>
 *   <li>a stream: frames sent as fast as its TX slots free up, {@code warmup=} ms untimed, then a
 *       {@code gap=} ms pause (the harness reads the hypercall counters when "netbench: timing"
 *       is printed), a START the sink acknowledges, {@code time=} ms of frames, and an END the
 *       sink answers with the frames and bytes it received since START (frames it had no RX
 *       buffer for are lost, and not counted);</li>
 *   <li>round trips: {@code rounds=} frames one at a time, each echoed by the sink, after a
 *       tenth as many untimed; the round-trip percentiles.</li>
 * </ol>
 *
 * <p>{@code queues=N} (both roles) connects the vif with up to N queues; the stream is then one
 * flow per queue (stream frames of N EtherTypes, each hashing to its own queue), round trips
 * one flow.
 *
 * <p>{@code mss=M} (both roles): a TCP/IPv4 GSO stream instead of the raw sizes, as a Linux
 * sender's TCP hands its netfront (no round trips). The source sends {@link TcpFrame}s of
 * {@code gsoframe=} bytes (by default the largest whose payload is a whole number of MSS within
 * 64 KiB: 65226 bytes, 45 segments of 1448 at MSS 1448, each segment a 1514-byte frame) with a
 * GSO extra at MSS M and the TCP checksum blank, their sequence numbers running on as a stream's
 * do. The sink takes them whole with their MSS ({@code gso=1}: it writes
 * {@code feature-gso-tcpv4} = 1) or as dom0's segments ({@code gso=0}, the default), and checks
 * each cheaply: an IPv4 TCP packet to netbench's port whose IPv4 total length is the frame's,
 * a whole frame's MSS M, a segment's payload at most M, its sequence number the one after the
 * last (a jump ahead is a gap: counted, with the payload bytes it skipped; one behind is
 * counted as bad). A frame that fails is counted as bad, nothing else of it. At END the sink
 * answers with the frames, the segments they stand for and their wire bytes (a whole frame
 * counts the Ethernet frames dom0 would have cut it into: headers each), the gaps, the bytes
 * they skipped and the bad frames; the source prints
 * {@code netbench: result mode=gso size=65226 mss=1448 frames=N segments=S bytes=W ns=T sent=F
 * notifications=K gaps=G lost=L bad=X events=E}.
 *
 * <p>Each prints a line the bench harness reads:
 * {@code netbench: result mode=stream size=1514 frames=N bytes=B ns=T sent=S notifications=K events=E}
 * and {@code netbench: result mode=rr size=64 rounds=N p50=NS p99=NS ns=T notifications=K events=E} (the
 * source's sent notifications and the events that woke its front end in the timed stream or rounds);
 * the sink prints {@code netbench: sink stream frames=N ns=T events=E} at each END (the events that
 * woke its front end while it counted).
 * Control frames (HELLO, START, END, BYE) are sent again every 20 ms until answered (BYE at most
 * 50 times: a source whose sink has gone still ends).
 */
public final class NetBenchKernel extends ApplicationKernel {
    private static final int ETHERTYPE = 0x88B6;
    private static final int HELLO = 1;
    private static final int HELLO_ACK = 2;
    private static final int DATA = 3;
    private static final int START = 4;
    private static final int START_ACK = 5;
    private static final int END = 6;
    private static final int COUNT = 7;
    private static final int RR = 8;
    private static final int BYE = 9;
    private static final int BYE_ACK = 10;
    /** BYE is sent again every 20 ms until answered, this many times at most (then the source ends anyway). */
    private static final int BYE_TRIES = 50;
    /** The GSO stream's TCP destination port (discard). */
    private static final int PORT = 9;
    private static final long BROADCAST = 0xFFFF_FFFF_FFFFL;
    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    /** Type (4), sequence (4), time (8), two values (8 + 8). */
    private static final int MIN = 14 + 32;
    /** A COUNT of the GSO stream: four values more (segments, gaps, lost bytes, bad frames: 4 x 8). */
    private static final int COUNT_GSO = MIN + 32;

    private Kernel k;
    private Link nic;
    /** The NE2000's receive array and a segment over it (the driver lends the same array each time). */
    private byte[] rxArray;
    private MemorySegment rxSegment;
    private final MemorySegment out = MemorySegment.ofArray(new byte[Vif.MAX_SG_FRAME]);
    private final MemorySegment ctl = MemorySegment.ofArray(new byte[COUNT_GSO]);
    private Promise<Integer> done;
    private long peer = BROADCAST;
    private int[] sizes = {1514, 64};
    private int warmupMs = 500;
    private int timeMs = 1000;
    private int gapMs = 30;
    private int rounds = 2000;
    private int queues = 1;
    /** mss=: the GSO stream's MSS (0: raw frames); gso=1: the sink takes GSO frames whole. */
    private int mss;
    private boolean rxGso;
    private int gsoFrame;
    /** Per queue, the EtherType (0x88B6 + 0..63) whose stream frames hash to it: one flow per queue. */
    private int[] flowType = {ETHERTYPE};
    private int flow;

    // the source's state
    private int sizeIndex;
    private int size;
    private int phase;
    private long phaseEnd;
    private long sent;
    private long startNs;
    private long notifications0;
    private long events0;
    private int expect;
    private int byeTries;
    private Timer retry;
    private long[] rtts;
    private int round;
    private int seq;

    // the sink's state
    private boolean counting;
    private long frames;
    private long bytes;
    /** The sink's interface events and clock at START: its wake-ups per frame in the timed stream. */
    private long sinkEvents0;
    private long sinkStartNs;
    /** The GSO stream at the sink: the next sequence number expected (once one came), and the window's counts. */
    private boolean haveSeq;
    private int nextSeq;
    private long segments;
    private long gaps;
    private long lost;
    private long bad;

    // the source's GSO stream: the next frame's IPv4 id and sequence number
    private int ipId;
    private int tcpSeq;

    /** The kernel class an image names needs a public no-argument constructor. */
    public NetBenchKernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        boolean[] role = {false}; // the source
        new CommandLine("netbench")
                .choice("role", v -> role[0] = v.equals("source"), "sink", "source")
                .number("warmup", 0, 600_000, v -> warmupMs = (int) v)
                .number("time", 1, 600_000, v -> timeMs = (int) v)
                .number("gap", 0, 10_000, v -> gapMs = (int) v)
                .number("rounds", 1, 1_000_000, v -> rounds = (int) v)
                .number("queues", 1, NetFront.MAX_QUEUES, v -> queues = (int) v)
                .number("mss", 88, 65535, v -> mss = (int) v)
                .number("gso", 0, 1, v -> rxGso = v == 1)
                .number("gsoframe", TcpFrame.HEADERS + 1, Vif.MAX_SG_FRAME, v -> gsoFrame = (int) v)
                .numbers("sizes", MIN, Vif.MAX_SG_FRAME, v -> sizes = v)
                .parse(k.commandLine());
        boolean source = role[0];
        if (mss > 0 && gsoFrame == 0) { // the most whole segments a frame of at most 64 KiB holds
            gsoFrame = Math.max(TcpFrame.HEADERS + 1, TcpFrame.HEADERS + (Vif.MAX_SG_FRAME - TcpFrame.HEADERS) / mss * mss);
        }
        if (mss > 0 && queues > 1) {
            throw new IllegalStateException("netbench: the GSO stream (mss=) is one flow on one queue");
        }
        if (mss > 0) {
            sizes = new int[] {gsoFrame};
        }
        rtts = new long[rounds];
        done = k.loop().promise();
        boolean src = source;
        Promise<Link> link;
        if (Ne2kDriver.present(k)) {
            // A native kernel's vif= is the NE2000 on the ISA ports (Nics chooses the same way).
            Ne2kDriver card = Ne2kDriver.probe(k);
            if (card == null) {
                throw new IllegalStateException("netbench: no NE2000 answers at 0x300");
            }
            Ne2kLink l = new Ne2kLink(card);
            card.setReceiver((b, off, len) -> {
                if (b != rxArray) {
                    rxArray = b;
                    rxSegment = MemorySegment.ofArray(b);
                }
                if (nic == null) {
                    nic = l;
                }
                MemorySegment f = off == 0 ? rxSegment : rxSegment.asSlice(off);
                if (src) {
                    sourceFrame(f, len);
                } else {
                    sinkFrame(f, len);
                }
            });
            link = k.loop().completed(l);
        } else {
            link = NetFront.list(k).then(ids -> {
                if (ids.isEmpty()) {
                    throw new IllegalStateException("netbench: this domain has no vif");
                }
                // No frame reaches this handler before link's callback below has set nic: netfront
                // holds them in the RX ring until connect's value is taken (the map), and that
                // callback's task is queued before the first delivery's.
                return NetFront.connect(k, ids.get(0), queues, true, true, !src && rxGso, (from, f, len) -> {
                    if (src) {
                        sourceFrame(f, len);
                    } else {
                        sinkFrame(f, len);
                    }
                });
            }).map(FrontLink::new);
        }
        return link.then(n -> {
            nic = n;
            k.println("netbench: " + (src ? "source" : "sink") + " as " + Vif.formatMac(n.mac()) + " (" + n.kind() + "), "
                    + n.queues() + (n.queues() == 1 ? " queue" : " queues") + (n.splitEventChannels() ? ", split event channels" : "")
                    + (mss == 0 ? "" : src ? ", TCP/IPv4 GSO stream of " + gsoFrame + "-byte frames at MSS " + mss
                            : n.rxGso() ? ", GSO frames whole" : ", GSO frames as dom0's segments"));
            if (src) {
                control(HELLO, HELLO_ACK, 0, 0);
            }
            return done;
        }).then(v -> nic.close().map(x -> v));
    }

    // ---------------------------------------------------------------- frames

    private void header(MemorySegment f, long to, int type, int sq, long a, long b) {
        putMac(f, 0, to);
        putMac(f, 6, nic.mac());
        f.set(BE_SHORT, 12, (short) ETHERTYPE);
        f.set(BE_INT, 14, type);
        f.set(BE_INT, 18, sq);
        f.set(BE_LONG, 22, k.now());
        f.set(BE_LONG, 30, a);
        f.set(BE_LONG, 38, b);
    }

    private static long mac(MemorySegment f, long at) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = (v << 8) | (f.get(ValueLayout.JAVA_BYTE, at + i) & 0xFF);
        }
        return v;
    }

    private static void putMac(MemorySegment f, long at, long mac) {
        for (int i = 0; i < 6; i++) {
            f.set(ValueLayout.JAVA_BYTE, at + i, (byte) (mac >>> (8 * (5 - i))));
        }
    }

    private static boolean ours(MemorySegment f, int len) {
        int t = (f.get(BE_SHORT, 12) & 0xFFFF) - ETHERTYPE;
        return len >= MIN && t >= 0 && t < 64;
    }

    // ---------------------------------------------------------------- the sink

    private void sinkFrame(MemorySegment f, int len) {
        if (mss > 0 && len >= TcpFrame.HEADERS && f.get(BE_SHORT, 12) == 0x0800) {
            tcpFrame(f, len);
            return;
        }
        if (!ours(f, len)) {
            return;
        }
        int type = f.get(BE_INT, 14);
        switch (type) {
            case DATA -> {
                if (counting) {
                    frames++;
                    bytes += len;
                }
            }
            case RR -> {
                MemorySegment.copy(f, 0, out, 0, len);
                putMac(out, 0, mac(f, 6));
                putMac(out, 6, nic.mac());
                nic.transmit(out, len);
            }
            case HELLO -> reply(f, HELLO_ACK, 0, 0);
            case START -> {
                if (!counting) {
                    sinkEvents0 = nic.events();
                    sinkStartNs = k.now();
                }
                counting = true;
                frames = 0;
                bytes = 0;
                segments = 0;
                gaps = 0;
                lost = 0;
                bad = 0;
                reply(f, START_ACK, 0, 0);
            }
            case END -> {
                if (counting) {
                    k.println("netbench: sink stream frames=" + frames + " ns=" + (k.now() - sinkStartNs) + " events="
                            + (nic.events() - sinkEvents0) + (mss == 0 ? "" : " segments=" + segments + " gaps=" + gaps
                            + " lost=" + lost + " bad=" + bad));
                }
                counting = false;
                if (mss == 0) {
                    reply(f, COUNT, frames, bytes);
                } else {
                    header(ctl, mac(f, 6), COUNT, f.get(BE_INT, 18), frames, bytes);
                    ctl.set(BE_LONG, MIN, segments);
                    ctl.set(BE_LONG, MIN + 8, gaps);
                    ctl.set(BE_LONG, MIN + 16, lost);
                    ctl.set(BE_LONG, MIN + 24, bad);
                    nic.transmit(ctl, COUNT_GSO);
                }
            }
            case BYE -> {
                reply(f, BYE_ACK, 0, 0); // each time: the source sends BYE again until an answer reaches it
                if (!counting && frames >= 0) {
                    frames = -1;
                    k.println("netbench: sink done");
                    // a while to answer a BYE sent again because this answer was lost, then power off
                    k.after(Duration.ofMillis(100), () -> done.complete(0));
                }
            }
            default -> {
            }
        }
    }

    /**
     * One frame of the GSO stream (whole, or one of dom0's segments), checked cheaply and counted
     * while counting: see the class comment.
     */
    private void tcpFrame(MemorySegment f, int len) {
        if ((f.get(ValueLayout.JAVA_BYTE, 23) & 0xFF) != 6 || (f.get(BE_SHORT, TcpFrame.TCP + 2) & 0xFFFF) != PORT) {
            return; // not the stream
        }
        int ihl = (f.get(ValueLayout.JAVA_BYTE, 14) & 15) * 4;
        int hl = 14 + ihl + ((f.get(ValueLayout.JAVA_BYTE, 14 + ihl + 12) & 0xFF) >>> 4) * 4;
        int payload = len - hl;
        int gso = nic.gsoSize();
        if (ihl < 20 || payload <= 0 || 14 + (f.get(BE_SHORT, 16) & 0xFFFF) != len
                || (gso == 0 ? payload > mss : gso != mss || !rxGso)) {
            if (counting) {
                bad++;
            }
            return;
        }
        int seq = f.get(BE_INT, 14 + ihl + 4);
        int behind = seq - nextSeq;
        if (haveSeq && behind < 0) {
            if (counting) {
                bad++; // a sequence number already seen: nothing new
            }
            return;
        }
        if (haveSeq && behind > 0 && counting) {
            gaps++;
            lost += behind;
        }
        haveSeq = true;
        nextSeq = seq + payload;
        if (counting) {
            int segs = gso == 0 ? 1 : (payload + gso - 1) / gso;
            frames++;
            segments += segs;
            bytes += payload + (long) segs * hl;
        }
    }

    private void reply(MemorySegment f, int type, long a, long b) {
        header(ctl, mac(f, 6), type, f.get(BE_INT, 18), a, b);
        nic.transmit(ctl, MIN);
    }

    // ---------------------------------------------------------------- the source

    /** Sends a control frame every 20 ms until the answer {@code answer} comes. */
    private void control(int type, int answer, long a, long b) {
        expect = answer;
        seq++;
        sendControl(type, a, b);
    }

    private void sendControl(int type, long a, long b) {
        if (type == BYE && ++byeTries > BYE_TRIES) {
            k.println("netbench: source done; the sink did not answer BYE in " + BYE_TRIES + " tries");
            expect = 0;
            done.complete(0);
            return;
        }
        header(ctl, peer, type, seq, a, b);
        nic.transmit(ctl, MIN);
        retry = k.after(Duration.ofMillis(20), () -> sendControl(type, a, b));
    }

    private void sourceFrame(MemorySegment f, int len) {
        if (!ours(f, len)) {
            return;
        }
        int type = f.get(BE_INT, 14);
        int sq = f.get(BE_INT, 18);
        if (type == RR) {
            if (sq != seq || len != size) {
                return; // a late duplicate
            }
            retry.cancel();
            long rtt = k.now() - f.get(BE_LONG, 22);
            int warm = Math.max(1, rounds / 10);
            if (round >= warm) {
                rtts[round - warm] = rtt;
            }
            round++;
            if (round == warm) {
                notifications0 = nic.notifications();
                events0 = nic.events();
                startNs = k.now();
            }
            if (round < warm + rounds) {
                sendRr();
            } else {
                long ns = k.now() - startNs;
                java.util.Arrays.sort(rtts);
                k.println("netbench: result mode=rr size=" + size + " rounds=" + rounds + " p50=" + rtts[rounds / 2]
                        + " p99=" + rtts[Math.min(rounds - 1, rounds * 99 / 100)] + " ns=" + ns + " notifications="
                        + (nic.notifications() - notifications0) + " events=" + (nic.events() - events0));
                nextSize();
            }
            return;
        }
        if (type != expect || sq != seq) {
            return;
        }
        retry.cancel();
        expect = 0;
        switch (type) {
            case BYE_ACK -> {
                k.println("netbench: source done");
                done.complete(0);
            }
            case HELLO_ACK -> {
                peer = mac(f, 6);
                sizeIndex = -1;
                nextSize();
            }
            case START_ACK -> {
                phase = 2;
                sent = 0;
                notifications0 = nic.notifications();
                events0 = nic.events();
                startNs = k.now();
                phaseEnd = startNs + timeMs * 1_000_000L;
                pump();
            }
            case COUNT -> {
                long ns = k.now() - startNs;
                if (mss > 0) {
                    boolean full = len >= COUNT_GSO;
                    k.println("netbench: result mode=gso size=" + size + " mss=" + mss + " frames=" + f.get(BE_LONG, 30)
                            + " segments=" + (full ? f.get(BE_LONG, MIN) : -1) + " bytes=" + f.get(BE_LONG, 38) + " ns=" + ns
                            + " sent=" + sent + " notifications=" + (nic.notifications() - notifications0) + " gaps="
                            + (full ? f.get(BE_LONG, MIN + 8) : -1) + " lost=" + (full ? f.get(BE_LONG, MIN + 16) : -1)
                            + " bad=" + (full ? f.get(BE_LONG, MIN + 24) : -1) + " events=" + (nic.events() - events0));
                    nextSize(); // no round trips for a GSO stream
                    return;
                }
                k.println("netbench: result mode=stream size=" + size + " frames=" + f.get(BE_LONG, 30) + " bytes="
                        + f.get(BE_LONG, 38) + " ns=" + ns + " sent=" + sent + " notifications="
                        + (nic.notifications() - notifications0) + " events=" + (nic.events() - events0));
                // round trips at this size, after the counters' gap
                k.after(Duration.ofMillis(gapMs), () -> {
                    k.println("netbench: timing rr size=" + size);
                    round = 0;
                    sendRr();
                });
            }
            default -> {
            }
        }
    }

    private void nextSize() {
        sizeIndex++;
        if (sizeIndex == sizes.length) {
            // Answered like every control frame: a BYE sent just before the source closes its vif
            // can be lost (dom0 on several vCPUs may see the close before the queue takes the
            // frame), and the sink would wait for it until the harness gave up.
            byeTries = 0;
            control(BYE, BYE_ACK, 0, 0);
            return;
        }
        size = sizes[sizeIndex];
        if (mss > 0) {
            TcpFrame.build(out, nic.mac(), peer, 0, size, PORT, 6);
        } else {
            header(out, peer, DATA, 0, 0, 0);
            for (int i = MIN; i < size; i++) {
                out.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7));
            }
        }
        if (mss > 0) {
            flowType = new int[] {0x0800};
        } else {
            flows();
        }
        phase = 1;
        phaseEnd = k.now() + warmupMs * 1_000_000L;
        pump();
    }

    /**
     * With several queues, a stream frame's EtherType per queue that the front end's flow hash
     * sends to it (the back end hashes alike on the sink's side), so the stream is one flow per
     * queue, as a real host's many connections would be.
     */
    private void flows() {
        int n = nic.queues();
        flowType = new int[n];
        boolean[] found = new boolean[n];
        int left = n;
        for (int t = 0; t < 64 && left > 0; t++) {
            out.set(BE_SHORT, 12, (short) (ETHERTYPE + t));
            int q = Integer.remainderUnsigned(Vif.flowHash(out, size), n);
            if (!found[q]) {
                found[q] = true;
                flowType[q] = ETHERTYPE + t;
                left--;
            }
        }
        if (left > 0) {
            throw new IllegalStateException("netbench: no EtherType reaches every queue");
        }
        out.set(BE_SHORT, 12, (short) ETHERTYPE);
    }

    /** Frames while TX slots are free; then again when some free up; the phase ends on time. */
    private void pump() {
        long now = k.now();
        if (now >= phaseEnd) {
            if (phase == 1) {
                phase = 0;
                k.after(Duration.ofMillis(gapMs), () -> {
                    k.println("netbench: timing stream size=" + size);
                    control(START, START_ACK, 0, 0);
                });
            } else if (phase == 2) {
                phase = 0;
                control(END, COUNT, 0, 0);
            }
            return;
        }
        for (int i = 0; i < 256; i++) {
            if (flowType.length > 1) { // one flow per queue, in turn
                out.set(BE_SHORT, 12, (short) flowType[flow]);
                flow = flow + 1 == flowType.length ? 0 : flow + 1;
            }
            if (mss > 0) {
                TcpFrame.stamp(out, ipId, tcpSeq);
            }
            if (!(mss > 0 ? nic.transmitGso(out, size, mss) : nic.transmit(out, size))) {
                nic.whenTxSpace(this::pump);
                return;
            }
            if (mss > 0) {
                ipId += (size - TcpFrame.HEADERS + mss - 1) / mss;
                tcpSeq += size - TcpFrame.HEADERS;
            }
            if (phase == 2) {
                sent++;
            }
        }
        k.execute(this::pump); // let the run loop's other tasks (events) go first
    }

    private void sendRr() {
        seq++;
        header(out, peer, RR, seq, 0, 0);
        for (int i = MIN; i < size; i++) {
            out.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + seq));
        }
        nic.transmit(out, size);
        retry = k.after(Duration.ofMillis(100), this::resendRr);
    }

    /** A lost round trip: the same frame again, with a fresh send time. */
    private void resendRr() {
        out.set(BE_LONG, 22, k.now());
        nic.transmit(out, size);
        retry = k.after(Duration.ofMillis(100), this::resendRr);
    }

    // ---------------------------------------------------------------- the interface

    /** What netbench needs of its interface: netfront's vif, or a native kernel's NE2000. */
    private interface Link {
        long mac();

        boolean transmit(MemorySegment frame, int length);

        /** A TCP/IPv4 GSO frame at MSS {@code mss}, its TCP checksum blank: netfront only. */
        default boolean transmitGso(MemorySegment frame, int length, int mss) {
            throw new IllegalStateException("netbench: " + kind() + " sends no GSO frames");
        }

        /** The MSS of the GSO frame being received (0: none). */
        default int gsoSize() {
            return 0;
        }

        /** Whether GSO frames come whole ({@code feature-gso-tcpv4} agreed for RX). */
        default boolean rxGso() {
            return false;
        }

        /** Calls {@code r} when a frame refused for want of room may be sent again. */
        void whenTxSpace(Runnable r);

        /** Notifications taken: event-channel upcalls for netfront, IRQ 10 interrupts for the NE2000. */
        long notifications();

        /** Events that woke the interface's handlers: netfront's port events, the NE2000's interrupts. */
        default long events() {
            return notifications();
        }

        Promise<Void> close();

        String kind();

        /** The queues the interface connected: netfront's, or 1. */
        default int queues() {
            return 1;
        }

        default boolean splitEventChannels() {
            return false;
        }
    }

    private record FrontLink(NetFront n) implements Link {
        @Override
        public int queues() {
            return n.queues();
        }

        @Override
        public boolean splitEventChannels() {
            return n.splitEventChannels();
        }

        @Override
        public long mac() {
            return n.mac();
        }

        @Override
        public boolean transmit(MemorySegment frame, int length) {
            return n.transmit(frame, length);
        }

        @Override
        public boolean transmitGso(MemorySegment frame, int length, int mss) {
            return n.transmitGso(frame, length, mss, true);
        }

        @Override
        public int gsoSize() {
            return n.gsoSize();
        }

        @Override
        public boolean rxGso() {
            return n.rxGso();
        }

        @Override
        public void whenTxSpace(Runnable r) {
            n.whenTxSpace(r);
        }

        @Override
        public long notifications() {
            return n.notifications();
        }

        @Override
        public long events() {
            return n.events();
        }

        @Override
        public Promise<Void> close() {
            return n.close();
        }

        @Override
        public String kind() {
            return "netfront";
        }
    }

    private final class Ne2kLink implements Link {
        private final Ne2kDriver card;
        private final long mac;

        Ne2kLink(Ne2kDriver card) {
            this.card = card;
            long m = 0;
            for (byte b : card.mac()) {
                m = m << 8 | (b & 0xFF);
            }
            this.mac = m;
        }

        @Override
        public long mac() {
            return mac;
        }

        @Override
        public boolean transmit(MemorySegment frame, int length) {
            return card.transmit(frame, 0, length);
        }

        @Override
        public void whenTxSpace(Runnable r) {
            card.whenTxSpace(r); // the card aborted the send (its queue to dom0 full): at its next PTX
        }

        @Override
        public long notifications() {
            return card.interrupts();
        }

        @Override
        public Promise<Void> close() {
            return card.close();
        }

        @Override
        public String kind() {
            return "NE2000";
        }
    }
}
