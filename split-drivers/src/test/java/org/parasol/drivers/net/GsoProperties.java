package org.parasol.drivers.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import org.parasol.drivers.net.stack.Checksum;
import org.parasol.hypercall.abi.Netif;
import org.parasol.hypercall.testing.FlatGuestMemory;

/**
 * TCP/IPv4 GSO ({@code feature-gso-tcpv4}): dom0's software segmentation cuts any whole IPv4
 * TCP packet up to 64 KiB, at any MSS a GSO extra may carry, into segments that a TCP receiver
 * takes: each at most one MSS of payload, the payload put back together byte for byte, every
 * IPv4 header and TCP checksum valid, sequence numbers and IP ids counting up, FIN and PSH only
 * on the last, CWR only on the first. Through the bridge, a port that takes GSO gets the frame
 * whole with its MSS and the others get the segments, also when the bridge's segment scratch
 * wraps before the ports copy (they copy on flush). What a GSO extra may say is checked.
 */
class GsoProperties {
    private static final long BASE = 0x10000;

    /** A whole TCP/IPv4 frame: IPv4 and TCP options as NOPs, the given payload, flags and seq. */
    static byte[] tcpFrame(byte[] payload, int ipOptWords, int tcpOptWords, int seq, int tcpFlags, int id) {
        int ihl = 20 + 4 * ipOptWords;
        int thl = 20 + 4 * tcpOptWords;
        int total = ihl + thl + payload.length;
        ByteBuffer b = ByteBuffer.allocate(14 + total);
        b.put(new byte[] {0x00, 0x16, 0x3e, 0x00, 0x00, 0x02, 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01}).putShort((short) 0x0800);
        b.put((byte) (0x40 | ihl / 4)).put((byte) 0).putShort((short) total).putShort((short) id).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 6).putShort((short) 0).putInt(0x0A000001).putInt(0x0A000002);
        for (int i = 20; i < ihl; i++) {
            b.put((byte) 1);
        }
        b.putShort((short) 40000).putShort((short) 80).putInt(seq).putInt(0x12345678).put((byte) (thl / 4 << 4))
                .put((byte) tcpFlags).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        for (int i = 20; i < thl; i++) {
            b.put((byte) 1);
        }
        b.put(payload);
        byte[] f = b.array();
        int ipSum = Checksum.of(f, 14, ihl);
        f[24] = (byte) (ipSum >>> 8);
        f[25] = (byte) ipSum;
        return f;
    }

    /** Checks one segment as a TCP receiver would; returns its payload. */
    static byte[] checkSegment(byte[] s, int seqExpected, int idExpected, int mss, boolean first, boolean last, int origFlags) {
        int ihl = (s[14] & 15) * 4;
        int total = (s[16] & 0xFF) << 8 | s[17] & 0xFF;
        assertThat(14 + total).as("IPv4 total length").isEqualTo(s.length);
        assertThat(Checksum.of(s, 14, ihl)).as("IPv4 header checksum verifies").isZero();
        assertThat(((s[18] & 0xFF) << 8 | s[19] & 0xFF)).as("IP id").isEqualTo(idExpected & 0xFFFF);
        int tcp = 14 + ihl;
        int thl = ((s[tcp + 12] & 0xFF) >>> 4) * 4;
        int seg = total - ihl;
        long acc = Checksum.pseudoHeader(ByteBuffer.wrap(s, 26, 4).getInt(), ByteBuffer.wrap(s, 30, 4).getInt(), 6, seg);
        assertThat(Checksum.finish(Checksum.add(acc, s, tcp, seg))).as("TCP checksum verifies").isZero();
        assertThat(ByteBuffer.wrap(s, tcp + 4, 4).getInt()).as("sequence number").isEqualTo(seqExpected);
        int fl = s[tcp + 13] & 0xFF;
        int expect = origFlags;
        if (!last) {
            expect &= ~0x09;
        }
        if (!first) {
            expect &= ~0x80;
        }
        assertThat(fl).as("TCP flags").isEqualTo(expect);
        int payload = seg - thl;
        assertThat(payload).isLessThanOrEqualTo(mss);
        byte[] p = new byte[payload];
        System.arraycopy(s, tcp + thl, p, 0, payload);
        return p;
    }

    /** Checks a run of segments of {@code frame} cut at {@code mss}: every segment valid, the payload whole again. */
    static void checkSegments(byte[] frame, List<byte[]> segs, int mss) {
        int ihl = (frame[14] & 15) * 4;
        int tcp = 14 + ihl;
        int thl = ((frame[tcp + 12] & 0xFF) >>> 4) * 4;
        int payload = frame.length - tcp - thl;
        int seq = ByteBuffer.wrap(frame, tcp + 4, 4).getInt();
        int id = (frame[18] & 0xFF) << 8 | frame[19] & 0xFF;
        int flags = frame[tcp + 13] & 0xFF;
        assertThat(segs).hasSize(Gso.segments(payload, mss));
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        for (int i = 0; i < segs.size(); i++) {
            byte[] s = segs.get(i);
            assertThat(s).startsWith(java.util.Arrays.copyOf(frame, 14)); // Ethernet header kept
            byte[] p = checkSegment(s, seq + got.size(), id + i, mss, i == 0, i == segs.size() - 1, flags);
            if (i < segs.size() - 1) {
                assertThat(p.length).as("every segment but the last carries a full MSS").isEqualTo(mss);
            }
            got.writeBytes(p);
        }
        assertThat(got.toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(frame, tcp + thl, frame.length));
    }

    @Property(tries = 200)
    @Label("any whole TCP/IPv4 frame up to 64 KiB cut at any MSS a GSO extra may carry: valid segments, the payload byte for byte")
    void shouldSegmentLikeATcpSender(@ForAll @IntRange(min = 0, max = 65535 - 14 - 120) int payloadLen,
            @ForAll @IntRange(min = Gso.MIN_SIZE, max = 65535) int mss, @ForAll @IntRange(min = 0, max = 10) int ipOpt,
            @ForAll @IntRange(min = 0, max = 10) int tcpOpt, @ForAll int seq, @ForAll @IntRange(min = 0, max = 255) int flags,
            @ForAll @IntRange(min = 0, max = 65535) int id, @ForAll long seed) {
        byte[] payload = new byte[payloadLen];
        new Random(seed).nextBytes(payload);
        byte[] frame = tcpFrame(payload, ipOpt, tcpOpt, seq, flags, id);
        Gso g = new Gso();
        MemorySegment.copy(MemorySegment.ofArray(frame), 0, g.in(), 0, frame.length);
        List<byte[]> segs = new ArrayList<>();
        int n = g.segment(frame.length, mss, (bytes, length, index) -> {
            assertThat(index).isEqualTo(segs.size());
            segs.add(bytes.asSlice(0, length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        });
        assertThat(n).isEqualTo(segs.size());
        checkSegments(frame, segs, mss);
    }

    @Property(tries = 200)
    @Label("segmentHeaders reads only the frame's headers and names each segment's payload in the frame:"
            + " headers and payload together are segment()'s segment without a TCP checksum, byte for byte")
    void shouldMakeTheSameSegmentsFromHeadersAlone(@ForAll @IntRange(min = 0, max = 65535 - 14 - 120) int payloadLen,
            @ForAll @IntRange(min = Gso.MIN_SIZE, max = 65535) int mss, @ForAll @IntRange(min = 0, max = 10) int ipOpt,
            @ForAll @IntRange(min = 0, max = 10) int tcpOpt, @ForAll int seq, @ForAll @IntRange(min = 0, max = 255) int flags,
            @ForAll @IntRange(min = 0, max = 65535) int id, @ForAll long seed) {
        Random r = new Random(seed);
        byte[] payload = new byte[payloadLen];
        r.nextBytes(payload);
        byte[] frame = tcpFrame(payload, ipOpt, tcpOpt, seq, flags, id);
        Gso full = new Gso();
        MemorySegment.copy(MemorySegment.ofArray(frame), 0, full.in(), 0, frame.length);
        List<byte[]> expected = new ArrayList<>();
        int n = full.segment(frame.length, mss, false,
                (bytes, length, index) -> expected.add(bytes.asSlice(0, length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));

        Gso headers = new Gso();
        byte[] junk = new byte[(int) headers.in().byteSize()];
        r.nextBytes(junk); // what a frame cut before left there: never read past the headers
        MemorySegment.copy(MemorySegment.ofArray(junk), 0, headers.in(), 0, junk.length);
        MemorySegment.copy(MemorySegment.ofArray(frame), 0, headers.in(), 0, Math.min(frame.length, Gso.MAX_HEADERS));
        List<byte[]> got = new ArrayList<>();
        int m = headers.segmentHeaders(frame.length, mss, (h, hl, off, bytes, index) -> {
            assertThat(index).isEqualTo(got.size());
            assertThat(off + bytes).isLessThanOrEqualTo(frame.length);
            byte[] seg = new byte[hl + bytes];
            MemorySegment.copy(h, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, seg, 0, hl);
            System.arraycopy(frame, off, seg, hl, bytes);
            got.add(seg);
        });
        assertThat(m).isEqualTo(n);
        assertThat(got).hasSize(expected.size());
        for (int i = 0; i < n; i++) {
            assertThat(got.get(i)).as("segment %d", i).isEqualTo(expected.get(i));
        }
        assertThat(headers.segmentsMade()).isEqualTo(n);
    }

    @Property(tries = 300)
    @Label("a GSO extra stands only as XEN_NETIF_GSO_TYPE_TCPV4 with a size of at least TCP_MIN_MSS")
    void shouldCheckExtras(@ForAll @IntRange(min = 0, max = 255) int type, @ForAll @IntRange(min = 0, max = 65535) int size) {
        assertThat(Gso.check(type, size) == Gso.OK).isEqualTo(type == Netif.GSO_TYPE_TCPV4 && size >= Gso.MIN_SIZE);
    }

    @Property(tries = 300)
    @Label("what is no whole, unfragmented IPv4 TCP packet has no GSO headers")
    void shouldRefuseWhatIsNotTcpV4(@ForAll @IntRange(min = 0, max = 120) int cut, @ForAll @IntRange(min = 0, max = 7) int lie,
            @ForAll @IntRange(min = 0, max = 255) int value) {
        byte[] f = tcpFrame(new byte[100], 0, 0, 1, 0x10, 1);
        int length = f.length;
        switch (lie) {
            case 0 -> f[12] = (byte) value; // EtherType
            case 1 -> f[14] = (byte) value; // version and ihl
            case 2 -> f[23] = (byte) value; // protocol
            case 3 -> f[20] = (byte) (value | 0x20); // more fragments
            case 4 -> f[14 + 20 + 12] = (byte) (value & 0x40); // TCP data offset under 20
            case 5 -> f[16] = (byte) (value | 1); // total length past the frame
            case 6 -> length = Math.min(length, 14 + cut / 3); // cut short: under the headers
            default -> f[21] = (byte) (value | 1); // a fragment offset
        }
        int hl = Gso.headerLength(MemorySegment.ofArray(f), length);
        boolean still = lie == 0 && value == 0x08 || lie == 1 && value == 0x45 || lie == 2 && value == 6
                || lie == 4 && false;
        assertThat(hl).as("lie %d value %d", lie, value).isEqualTo(still ? 54 : -1);
    }

    /** A port that takes GSO or not, and copies what it took only on flush (as netback does). */
    private static final class LazyPort implements Bridge.Port {
        final FlatGuestMemory mem;
        final boolean gso;
        final boolean blankOk;
        final List<long[]> taken = new ArrayList<>();
        final List<byte[]> frames = new ArrayList<>();
        final List<Integer> mss = new ArrayList<>();
        final List<Integer> rxFlags = new ArrayList<>();

        LazyPort(FlatGuestMemory mem, boolean gso) {
            this(mem, gso, gso);
        }

        LazyPort(FlatGuestMemory mem, boolean gso, boolean blankOk) {
            this.mem = mem;
            this.gso = gso;
            this.blankOk = blankOk;
        }

        @Override
        public boolean deliver(long va, int length) {
            taken.add(new long[] {va, length, 0, -1});
            return true;
        }

        @Override
        public boolean deliver(long va, int length, int flags) {
            taken.add(new long[] {va, length, 0, flags});
            return true;
        }

        @Override
        public boolean acceptsGso() {
            return gso;
        }

        @Override
        public boolean acceptsBlankChecksums() {
            return blankOk; // the GSO port takes the frame as sent, its checksum blank
        }

        @Override
        public boolean deliverGso(long va, int length, int rxFlags, int gsoSize) {
            taken.add(new long[] {va, length, gsoSize, rxFlags});
            return true;
        }

        @Override
        public void flush() {
            for (long[] t : taken) {
                byte[] b = new byte[(int) t[1]];
                mem.copyToSegment(t[0], MemorySegment.ofArray(b), 0, b.length);
                frames.add(b);
                mss.add((int) t[2]);
                rxFlags.add((int) t[3]);
            }
            taken.clear();
        }
    }

    /** Segments whose TCP checksum was left blank, with it filled in as a receiver's offload would (IPv4 10.0.0.1 to .2). */
    static List<byte[]> withTcpChecksums(List<byte[]> segs, int tcp) {
        List<byte[]> out = new ArrayList<>();
        for (byte[] seg : segs) {
            assertThat(seg[tcp + 16] | seg[tcp + 17]).as("the TCP checksum left as sent (blank)").isZero();
            int total = seg.length - tcp;
            long acc = Checksum.pseudoHeader(0x0A000001, 0x0A000002, 6, total);
            int sum = Checksum.finish(Checksum.add(acc, seg, tcp, total));
            byte[] c = seg.clone();
            c[tcp + 16] = (byte) (sum >>> 8);
            c[tcp + 17] = (byte) sum;
            out.add(c);
        }
        return out;
    }

    @Property(tries = 40)
    @Label("through the bridge: whole with its MSS to a port that takes GSO, segments to one that does not, byte for byte, the scratch wrapping")
    void shouldSwitchGsoFrames(@ForAll @IntRange(min = 1, max = 4) int frames, @ForAll @IntRange(min = 100, max = 60000) int payloadLen,
            @ForAll @IntRange(min = Gso.MIN_SIZE, max = 9000) int mss, @ForAll boolean cutTakesBlank, @ForAll long seed) {
        FlatGuestMemory mem = new FlatGuestMemory(BASE, 1 << 20);
        Bridge bridge = new Bridge("xenbr0", mem, () -> 0);
        bridge.segmentScratch(BASE + (1 << 19), 1 << 16);
        LazyPort from = new LazyPort(mem, false);
        LazyPort whole = new LazyPort(mem, true);
        // A port that takes blank checksums gets segments whose payload the bridge copied from the
        // frame itself (Gso#segmentHeaders); one that does not, segments made whole in Gso's arrays.
        LazyPort cut = new LazyPort(mem, false, cutTakesBlank);
        bridge.attach(from);
        bridge.attach(whole);
        bridge.attach(cut);
        Random r = new Random(seed);
        List<byte[]> sent = new ArrayList<>();
        long at = BASE;
        for (int i = 0; i < frames; i++) { // several frames before one flush: each in its own place, as a TX batch's
            byte[] payload = new byte[payloadLen / (i + 1)];
            r.nextBytes(payload);
            byte[] f = tcpFrame(payload, i % 3, (i + 1) % 4, r.nextInt(), 0x18 | 0x80 | 0x01, r.nextInt(65536));
            mem.copyFromSegment(MemorySegment.ofArray(f), 0, at, f.length);
            bridge.inputGso(from, at, f.length, 0, Netif.NETTXF_CSUM_BLANK, mss);
            sent.add(f);
            at += 65536;
        }
        bridge.flush();
        assertThat(from.frames).isEmpty();
        assertThat(whole.frames).hasSize(frames);
        int next = 0;
        for (int i = 0; i < frames; i++) {
            byte[] f = sent.get(i);
            assertThat(whole.frames.get(i)).isEqualTo(f);
            assertThat(whole.mss.get(i)).isEqualTo(mss);
            int ihl = (f[14] & 15) * 4;
            int thl = ((f[14 + ihl + 12] & 0xFF) >>> 4) * 4;
            int n = Gso.segments(f.length - 14 - ihl - thl, mss);
            List<byte[]> segs = cut.frames.subList(next, next + n);
            if (cutTakesBlank) {
                segs = withTcpChecksums(segs, 14 + ihl);
                assertThat(cut.rxFlags.subList(next, next + n)).containsOnly(Netif.NETRXF_CSUM_BLANK | Netif.NETRXF_DATA_VALIDATED);
            }
            checkSegments(f, segs, mss);
            assertThat(cut.mss.subList(next, next + n)).containsOnly(0);
            next += n;
        }
        assertThat(cut.frames).hasSize(next);
        assertThat(bridge.gsoWhole()).isEqualTo(frames);
        assertThat(bridge.gsoSegmented()).isEqualTo(frames);
    }

    @Property(tries = 40)
    @Label("segments for ports that all take blank checksums keep the frame's blank TCP checksum, flagged NETRXF_csum_blank;"
            + " one port that does not makes them all computed")
    void shouldLeaveBlankChecksumsToPortsThatTakeThem(@ForAll @IntRange(min = 100, max = 60000) int payloadLen,
            @ForAll @IntRange(min = Gso.MIN_SIZE, max = 9000) int mss, @ForAll boolean oneDeclines, @ForAll long seed) {
        FlatGuestMemory mem = new FlatGuestMemory(BASE, 1 << 20);
        Bridge bridge = new Bridge("xenbr0", mem, () -> 0);
        bridge.segmentScratch(BASE + (1 << 19), 1 << 16);
        LazyPort from = new LazyPort(mem, false);
        LazyPort offload = new LazyPort(mem, false, true);
        bridge.attach(from);
        bridge.attach(offload);
        LazyPort declines = new LazyPort(mem, false, false);
        if (oneDeclines) {
            bridge.attach(declines);
        }
        Random r = new Random(seed);
        byte[] payload = new byte[payloadLen];
        r.nextBytes(payload);
        byte[] f = tcpFrame(payload, 1, 2, r.nextInt(), 0x18 | 0x80 | 0x01, r.nextInt(65536));
        mem.copyFromSegment(MemorySegment.ofArray(f), 0, BASE, f.length);
        bridge.inputGso(from, BASE, f.length, 0, Netif.NETTXF_CSUM_BLANK, mss);
        bridge.flush();

        int tcp = 14 + 24;
        int n = Gso.segments(f.length - tcp - 28, mss);
        assertThat(offload.frames).hasSize(n);
        List<byte[]> completed = new ArrayList<>();
        for (byte[] seg : offload.frames) {
            if (!oneDeclines) {
                assertThat(seg[tcp + 16] | seg[tcp + 17]).as("the TCP checksum left as sent (blank)").isZero();
                int total = seg.length - 14 - 24;
                long acc = Checksum.pseudoHeader(0x0A000001, 0x0A000002, 6, total);
                int sum = Checksum.finish(Checksum.add(acc, seg, tcp, total));
                seg = seg.clone();
                seg[tcp + 16] = (byte) (sum >>> 8);
                seg[tcp + 17] = (byte) sum;
            }
            completed.add(seg);
        }
        checkSegments(f, completed, mss); // all else right, and the checksum right once a receiver's offload fills it in
        int flags = oneDeclines ? Netif.NETRXF_DATA_VALIDATED : Netif.NETRXF_CSUM_BLANK | Netif.NETRXF_DATA_VALIDATED;
        assertThat(offload.rxFlags).containsOnly(flags);
        if (oneDeclines) {
            checkSegments(f, declines.frames, mss);
            assertThat(declines.rxFlags).containsOnly(flags);
        }
    }
}
