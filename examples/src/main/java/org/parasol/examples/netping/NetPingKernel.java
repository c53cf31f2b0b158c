package org.parasol.examples.netping;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

import org.parasol.drivers.net.NetFront;
import org.parasol.drivers.net.Vif;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.CommandLine;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.sched.Timer;

/**
 * netping: two domains exchange raw Ethernet frames through netfront, dom0's netback and its
 * bridge, without an IP stack. One echoes ({@code role=echo}), the other pings
 * ({@code role=ping count=N}): it sends frame {@code i} (EtherType 0x88B5, the IEEE's local
 * experimental type, payload: a magic, the sequence number, a send time and filler up to
 * {@code size=} bytes) to the broadcast address until it learns the echo's MAC from the first
 * answer, then to that MAC; each answer must carry the same payload byte for byte. A lost
 * frame is sent again after 50 ms, up to 200 times. After {@code count} answers the pinger
 * prints the round-trip percentiles and tells the echo to stop (payload magic "BYE!").
 *
 * <p>{@code role=flood} sends frames without end (EtherType 0x88B6, which the echo ignores, to an
 * address nobody has, so the bridge floods them), alternately of 1514 bytes (one TX slot) and
 * 3000 (two), as fast as its TX ring takes them: a front end for a test to crash while dom0
 * is in the middle of its frames. With {@code frames=N} it stops after N frames and powers off,
 * and {@code delay=MS} waits that long after connecting before it starts.
 *
 * With {@code time=MS} it floods for that long instead, then powers off.
 *
 * <p>{@code role=count frames=N delay=MS} waits {@code delay} ms, connects, and counts the frames
 * that come (a flooder's), with a handler that uses the interface connect's promise gave it (no
 * other): a frame handed over before that promise's callback ran would find none, and crash the
 * domain. After N frames it prints how many, and how many RX slots had waited in the ring for the
 * callback ({@link NetFront#rxHeldAtStart}), and powers off. With {@code hold=MS} that callback
 * stays busy for MS ms before it returns (an image with work to do as its interface comes up),
 * so a flooder's frames are sure to wait in the ring for it however the host schedules.
 *
 * <p>{@code role=deaf time=MS} connects, then stops reading its RX ring and posting RX buffers
 * ({@link NetFront#stopReceiving}), as a guest whose stack hangs, for {@code time} ms, then
 * powers off: dom0 must queue what comes for it, then drop it, and stall nobody.
 *
 * <p>Expected output of the pinger: {@code netping: 100 replies from 00:16:3e:00:01:00, 0 resent;
 * round trip p50 ... us, p99 ... us}.
 */
public final class NetPingKernel extends ApplicationKernel {
    private static final int ETHERTYPE = 0x88B5;
    private static final int MAGIC = 0x50494e47; // "PING"
    private static final int BYE = 0x42594521; // "BYE!"
    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    private Kernel k;
    private NetFront nic;
    private final MemorySegment out = MemorySegment.ofArray(new byte[Vif.MAX_SG_FRAME]);
    /** role=echo: how many pingers' "BYE!" it waits for (peers=N). */
    private int peers = 1;
    private Promise<Integer> done;
    private int count;
    private int size;
    private long peer = 0xFFFF_FFFF_FFFFL;
    private int seq;
    private int answered;
    private int resent;
    private int tries;
    private long[] rtts;
    private Timer retry;
    private int echoed;
    /** role=flood: frames to send (0: without end) and the wait before the first; role=deaf: how long. */
    private long floodFrames;
    private long delayMs;
    private long timeMs = 1000;
    private boolean timed;
    private long floodEnd;
    /** role=count: frames counted, and how long the callback that takes the interface stays busy. */
    private long counted;
    private long holdMs;

    /** The kernel class an image names needs a public no-argument constructor. */
    public NetPingKernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        String[] role = {"echo"};
        boolean[] sg = {true};
        count = 100;
        size = 64;
        new CommandLine("netping")
                .choice("role", v -> role[0] = v, "echo", "ping", "flood", "deaf", "count")
                .number("count", 1, 1_000_000, v -> count = (int) v)
                .number("size", 60, Vif.MAX_SG_FRAME, v -> size = (int) v)
                .number("sg", 0, 1, v -> sg[0] = v == 1)
                .number("peers", 1, 64, v -> peers = (int) v)
                .number("frames", 1, 1_000_000_000, v -> floodFrames = v)
                .number("delay", 0, 3_600_000, v -> delayMs = v)
                .number("hold", 0, 10_000, v -> holdMs = v)
                .number("time", 1, 3_600_000, v -> {
                    timeMs = v;
                    timed = true;
                })
                .parse(k.commandLine());
        rtts = new long[count];
        done = k.loop().promise();
        boolean pinger = role[0].equals("ping");
        boolean flooder = role[0].equals("flood");
        boolean deaf = role[0].equals("deaf");
        boolean scatterGather = sg[0];
        boolean counter = role[0].equals("count");
        Promise<Long> waited = counter ? k.sleep(Duration.ofMillis(delayMs)) : k.loop().completed(0L);
        return waited.then(t -> NetFront.list(k)).then(ids -> {
            if (ids.isEmpty()) {
                throw new IllegalStateException("netping: this domain has no vif");
            }
            return NetFront.connect(k, ids.get(0), 1, true, scatterGather,
                    pinger ? this::pingerFrame : counter ? this::countFrame : flooder || deaf ? (f, b, l) -> { } : this::echoFrame);
        }).then(n -> {
            nic = n;
            if (counter) {
                k.println("netping: counting as " + Vif.formatMac(n.mac()));
                long until = k.now() + holdMs * 1_000_000L;
                while (k.now() - until < 0) {
                    Thread.onSpinWait(); // busy, not waiting: no task of this domain runs meanwhile
                }
                return done;
            }
            if (flooder) {
                k.after(Duration.ofMillis(delayMs), () -> {
                    k.println("netping: flooding as " + Vif.formatMac(n.mac()) + (timed ? " for " + timeMs + " ms" : ""));
                    floodEnd = k.now() + timeMs * 1_000_000L;
                    flood();
                });
                return done;
            }
            if (deaf) {
                n.stopReceiving();
                k.println("netping: deaf as " + Vif.formatMac(n.mac()) + " for " + timeMs + " ms");
                k.after(Duration.ofMillis(timeMs), () -> {
                    k.println("netping: deaf for " + timeMs + " ms; " + n.framesReceived() + " frames read");
                    done.complete(0);
                });
                return done;
            }
            k.println("netping: " + (pinger ? "pinging" : "echoing") + " as " + Vif.formatMac(n.mac())
                    + (n.scatterGather() ? "" : " (no scatter-gather: frames of at most " + n.maxFrame() + " bytes)"));
            if (pinger && size > n.maxFrame()) {
                throw new IllegalStateException("netping: size=" + size + " is over this interface's largest frame, "
                        + n.maxFrame() + " bytes");
            }
            if (pinger) {
                send();
            }
            return done;
        }).then(v -> nic.close().map(x -> v));
    }

    private long mac(MemorySegment f, long at) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = (v << 8) | (f.get(ValueLayout.JAVA_BYTE, at + i) & 0xFF);
        }
        return v;
    }

    private void putMac(MemorySegment f, long at, long mac) {
        for (int i = 0; i < 6; i++) {
            f.set(ValueLayout.JAVA_BYTE, at + i, (byte) (mac >>> (8 * (5 - i))));
        }
    }

    private void send() {
        putMac(out, 0, peer);
        putMac(out, 6, nic.mac());
        out.set(BE_SHORT, 12, (short) ETHERTYPE);
        out.set(BE_INT, 14, MAGIC);
        out.set(BE_INT, 18, seq);
        out.set(BE_LONG, 22, k.now());
        for (int i = 30; i < size; i++) {
            out.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + seq));
        }
        nic.transmit(out, size);
        retry = k.after(Duration.ofMillis(50), this::lost);
    }

    /** role=flood: every TX slot kept busy, the frames alternately one slot and two; never ends. */
    private void flood() {
        putMac(out, 0, 0x02_00_00_00_00_01L); // locally administered, nobody's: flooded
        putMac(out, 6, nic.mac());
        out.set(BE_SHORT, 12, (short) (ETHERTYPE + 1));
        for (int i = 14; i < 3000; i++) {
            out.set(ValueLayout.JAVA_BYTE, i, (byte) i);
        }
        int sent = 0;
        while (sent < 64 && (floodFrames == 0 || seq < floodFrames) && nic.transmit(out, (seq & 1) == 0 ? 1514 : 3000)) {
            seq++;
            sent++;
        }
        if (floodFrames > 0 && seq == floodFrames || timed && k.now() - floodEnd >= 0) {
            k.println("netping: flooded " + seq + " frames");
            done.complete(0);
        } else if (sent == 64) {
            k.execute(this::flood);
        } else {
            k.after(Duration.ofMillis(1), this::flood);
        }
    }

    /** role=count: a frame, counted with the interface connect's promise gave (never {@code from}). */
    private void countFrame(NetFront from, MemorySegment f, int len) {
        if (nic != from) {
            throw new IllegalStateException("netping: a frame came before connect's promise gave this domain its interface");
        }
        if (++counted == floodFrames) {
            k.println("netping: counted " + counted + " frames, none before connect's promise gave the interface; "
                    + nic.rxHeldAtStart() + " RX slots had waited in the ring for it");
            done.complete(0);
        }
    }

    private void lost() {
        if (++tries > 200) {
            done.fail(new IllegalStateException("netping: no answer to frame " + seq + " after 200 tries"));
            return;
        }
        resent++;
        send();
    }

    private void pingerFrame(NetFront from, MemorySegment f, int len) {
        nic = from;
        if (len < 30 || (f.get(BE_SHORT, 12) & 0xFFFF) != ETHERTYPE || f.get(BE_INT, 14) != MAGIC
                || f.get(BE_INT, 18) != seq || mac(f, 0) != nic.mac()) {
            return; // not the answer we wait for (a late duplicate, someone else's frame)
        }
        if (len != size || mismatch(f)) {
            done.fail(new IllegalStateException("netping: answer " + seq + " differs from what was sent"));
            return;
        }
        retry.cancel();
        tries = 0;
        peer = mac(f, 6);
        rtts[answered++] = k.now() - f.get(BE_LONG, 22);
        if (answered == count) {
            java.util.Arrays.sort(rtts);
            k.println("netping: " + count + " replies from " + Vif.formatMac(peer) + ", " + resent + " resent; round trip p50 "
                    + rtts[count / 2] / 1000 + " us, p99 " + rtts[Math.min(count - 1, count * 99 / 100)] / 1000 + " us; "
                    + nic.framesSentMultiSlot() + " frames sent over several slots, " + nic.framesReceivedMultiSlot()
                    + " received over several");
            out.set(BE_INT, 14, BYE);
            putMac(out, 0, peer);
            nic.transmit(out, size);
            done.complete(count);
            return;
        }
        seq++;
        send();
    }

    /**
     * Whether the answer's bytes differ from the frame sent, but for its send time (bytes 22..29):
     * the late answer to a frame sent again carries the first send's time.
     */
    private boolean mismatch(MemorySegment f) {
        for (int i = 14; i < size; i++) {
            if ((i < 22 || i >= 30) && f.get(ValueLayout.JAVA_BYTE, i) != out.get(ValueLayout.JAVA_BYTE, i)) {
                return true;
            }
        }
        return false;
    }

    private void echoFrame(NetFront from, MemorySegment f, int len) {
        nic = from;
        if (len < 30 || (f.get(BE_SHORT, 12) & 0xFFFF) != ETHERTYPE) {
            return;
        }
        if (f.get(BE_INT, 14) == BYE) {
            if (--peers > 0) {
                return;
            }
            k.println("netping: echoed " + echoed + " frames; told to stop");
            done.complete(echoed);
            return;
        }
        long src = mac(f, 6);
        MemorySegment.copy(f, 0, out, 0, len);
        putMac(out, 0, src);
        putMac(out, 6, nic.mac());
        if (nic.transmit(out, len)) {
            echoed++;
        }
    }
}
