package org.parasol.drivers.blk;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteOrder;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.io.BlkifRequestSegment;

/**
 * blkfront writes an indirect page's descriptors as whole words ({@link BlkFront#descriptor}); the
 * back end and the ABI read them through {@code blkif_request_segment}'s fields.
 */
class BlkFrontDescriptorTest {
    @Property(tries = 300)
    @Label("a descriptor word reads back as blkif_request_segment: gref, first_sect, last_sect, padding 0")
    void shouldLayOutADescriptorAsTheAbiStruct(@ForAll int gref, @ForAll @IntRange(min = 0, max = 7) int first,
            @ForAll @IntRange(min = 0, max = 7) int last) {
        SegmentBuffer page = SegmentBuffer.allocate(2 * BlkifRequestSegment.SIZE);
        page.segment().fill((byte) 0x77); // what a page held before: every byte must be written
        long word = BlkFront.descriptor(gref, first, last);
        page.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                BlkifRequestSegment.SIZE, word);

        BlkifRequestSegment seg = new BlkifRequestSegment().wrap(page, BlkifRequestSegment.SIZE);

        assertThat(seg.gref()).isEqualTo(Integer.toUnsignedLong(gref));
        assertThat(seg.firstSect()).isEqualTo(first);
        assertThat(seg.lastSect()).isEqualTo(last);
        assertThat(page.getShort(BlkifRequestSegment.SIZE + 6)).isZero();
        assertThat(page.getLong(0)).isEqualTo(0x7777_7777_7777_7777L); // the word before is untouched
    }
}
