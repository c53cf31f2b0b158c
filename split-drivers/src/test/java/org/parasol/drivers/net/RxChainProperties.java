package org.parasol.drivers.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Netif;

/**
 * RX scatter-gather: netback's cut of a frame into RX slots and netfront's reassembly
 * ({@link RxChain}) give back every frame byte for byte, within {@link Vif#MAX_RX_SLOTS} slots;
 * chains a lying back end makes (too many slots, a chain that runs on, sizes that disagree with
 * the page or the frame's limit, an error slot) are dropped whole, counted once each, and the
 * next good frame after one is taken as if nothing had happened.
 */
class RxChainProperties {

    /** One RX response: status, offset, flags, and the page its bytes are in. */
    private record Slot(int status, int offset, int flags, byte[] page) {
    }

    /** What netback gives a frame: its slots, as {@code NetBack.Queue.deliver} fills them. */
    private static List<Slot> cut(byte[] frame, int firstFlags) {
        List<Slot> out = new ArrayList<>();
        int n = RxChain.slotsFor(frame.length);
        for (int i = 0; i < n; i++) {
            int part = RxChain.slotLength(frame.length, i);
            byte[] page = new byte[Mmu.PAGE_SIZE];
            System.arraycopy(frame, i * Mmu.PAGE_SIZE, page, 0, part);
            out.add(new Slot(part, 0, RxChain.slotFlags(n, i, firstFlags), page));
        }
        return out;
    }

    /** netfront's side: every frame the chain gives, in order. */
    private static List<byte[]> reassemble(RxChain chain, List<Slot> slots) {
        List<byte[]> frames = new ArrayList<>();
        byte[] frame = new byte[Vif.MAX_SG_FRAME];
        for (Slot s : slots) {
            int r = chain.slot(s.status(), s.offset(), s.flags());
            if (r == RxChain.MORE || r == RxChain.DONE) {
                System.arraycopy(s.page(), s.offset(), frame, chain.at(), s.status());
            }
            if (r == RxChain.DONE) {
                frames.add(java.util.Arrays.copyOf(frame, chain.length()));
            }
        }
        return frames;
    }

    private static byte[] bytes(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Property(tries = 400)
    @Label("a frame of any length up to 65535 bytes is cut into at most 16 page slots and put back together byte for byte")
    void shouldReassembleAnyFrame(@ForAll @IntRange(min = 14, max = Vif.MAX_SG_FRAME) int length, @ForAll long seed) {
        byte[] frame = bytes(length, seed);
        List<Slot> slots = cut(frame, Netif.NETRXF_CSUM_BLANK | Netif.NETRXF_DATA_VALIDATED);
        assertThat(slots).hasSizeLessThanOrEqualTo(Vif.MAX_RX_SLOTS).hasSize((length + 4095) / 4096);
        assertThat(slots.stream().mapToInt(Slot::status).sum()).isEqualTo(length);
        assertThat(slots.get(0).flags() & Netif.NETRXF_CSUM_BLANK).isNotZero();
        assertThat(slots.subList(1, slots.size())).allMatch(s -> (s.flags() & Netif.NETRXF_CSUM_BLANK) == 0);
        assertThat(slots.get(slots.size() - 1).flags() & Netif.NETRXF_MORE_DATA).isZero();

        RxChain chain = new RxChain(Vif.MAX_SG_FRAME);
        List<byte[]> got = reassemble(chain, slots);

        assertThat(got).hasSize(1);
        assertThat(got.get(0)).isEqualTo(frame);
        assertThat(chain.dropped()).isZero();
        assertThat(chain.pending()).isFalse();
    }

    /** A lie of a back end: a chain that must be dropped whole. */
    enum Lie { TOO_MANY_SLOTS, RUNS_ON, OUTSIDE_PAGE, OVER_MAX_FRAME, ERROR_SLOT, NEGATIVE_OFFSET, EMPTY }

    private static List<Slot> lie(Lie lie, int maxFrame, int n, Random r) {
        List<Slot> out = new ArrayList<>();
        byte[] page = new byte[Mmu.PAGE_SIZE];
        int more = Netif.NETRXF_MORE_DATA;
        switch (lie) {
            case TOO_MANY_SLOTS -> { // small slots, within the frame's limit, but more of them than any frame needs
                int count = Vif.MAX_RX_SLOTS + 1 + n % 8;
                for (int i = 0; i < count; i++) {
                    out.add(new Slot(1 + n % 64, 0, i < count - 1 ? more : 0, page));
                }
            }
            case RUNS_ON -> { // more_data on slot after slot (the ring's worth), ending only at last
                int count = 40 + n % 200;
                for (int i = 0; i < count; i++) {
                    out.add(new Slot(0, 0, i < count - 1 ? more : 0, page));
                }
            }
            case OUTSIDE_PAGE -> {
                out.add(new Slot(100, 0, more, page));
                out.add(new Slot(Mmu.PAGE_SIZE - n % 100, 1 + n % 100 + n % 7, 0, page)); // offset + status > 4096
            }
            case OVER_MAX_FRAME -> { // whole pages past the frame's limit
                int count = maxFrame / Mmu.PAGE_SIZE + 1;
                for (int i = 0; i < count; i++) {
                    out.add(new Slot(Mmu.PAGE_SIZE, 0, i < count - 1 ? more : 0, page));
                }
            }
            case ERROR_SLOT -> {
                out.add(new Slot(Mmu.PAGE_SIZE, 0, more, page));
                out.add(new Slot(Netif.RSP_ERROR, 0, more, page));
                out.add(new Slot(10, 0, 0, page));
            }
            case NEGATIVE_OFFSET -> out.add(new Slot(20, -1 - n % 50, 0, page));
            case EMPTY -> out.add(new Slot(0, 0, 0, page));
            default -> throw new AssertionError(lie);
        }
        return out;
    }

    @Provide
    Arbitrary<List<Integer>> script() {
        // each element: -1 - lie ordinal, or a good frame's length
        Arbitrary<Integer> good = Arbitraries.integers().between(14, Vif.MAX_SG_FRAME);
        Arbitrary<Integer> bad = Arbitraries.of(Lie.values()).map(l -> -1 - l.ordinal());
        return Arbitraries.oneOf(good, bad).list().ofMinSize(1).ofMaxSize(12);
    }

    @Property(tries = 300)
    @Label("lying chains (too many slots, one that runs on, bytes outside the page or over the limit, an error, empty) are dropped whole and counted once; every good frame around them arrives byte for byte")
    void shouldDropLyingChainsAndKeepTheRest(@ForAll("script") List<Integer> script, @ForAll boolean sg, @ForAll long seed) {
        int maxFrame = sg ? Vif.MAX_SG_FRAME : Vif.MAX_FRAME;
        Random r = new Random(seed);
        List<Slot> slots = new ArrayList<>();
        List<byte[]> expected = new ArrayList<>();
        int lies = 0;
        for (int e : script) {
            if (e >= 0) {
                int length = sg ? e : 14 + e % (Vif.MAX_FRAME - 13);
                byte[] frame = bytes(length, r.nextLong());
                expected.add(frame);
                slots.addAll(cut(frame, 0));
            } else {
                slots.addAll(lie(Lie.values()[-1 - e], maxFrame, r.nextInt(1 << 20), r));
                lies++;
            }
        }
        RxChain chain = new RxChain(maxFrame);

        List<byte[]> got = reassemble(chain, slots);

        assertThat(got).hasSameSizeAs(expected);
        for (int i = 0; i < got.size(); i++) {
            assertThat(got.get(i)).as("frame %d", i).isEqualTo(expected.get(i));
        }
        assertThat(chain.dropped()).isEqualTo(lies);
        assertThat(chain.pending()).isFalse();
    }

    @Property(tries = 100)
    @Label("without scatter-gather a frame over one page is refused even when its slots are each sound")
    void shouldRefuseOverAPageWithoutScatterGather(@ForAll @IntRange(min = Mmu.PAGE_SIZE + 1, max = Vif.MAX_SG_FRAME) int length,
            @ForAll long seed) {
        RxChain chain = new RxChain(Vif.MAX_FRAME);
        List<byte[]> got = reassemble(chain, cut(bytes(length, seed), 0));
        assertThat(got).isEmpty();
        assertThat(chain.dropped()).isEqualTo(1);
    }

}
