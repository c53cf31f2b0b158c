package org.parasol.toolstack.xenstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

import org.parasol.hypercall.abi.XsWire;

/**
 * {@code XS_DIRECTORY_PART} read the way libxenstore's {@code xs_directory_part} reads it: from
 * offset 0, each part's names appended and the offset moved by their bytes, until a part ends
 * with the empty name. Whatever the names, that yields exactly the child list, and every part
 * fits in one payload and carries the generation it was asked under.
 */
class XsDirectoryPartProperties {
    @Provide
    Arbitrary<List<String>> childLists() {
        Arbitrary<String> name = Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789-_@")
                .ofMinLength(1).ofMaxLength(200);
        return name.set().ofMaxSize(400).map(s -> new ArrayList<>(new TreeSet<>(s)));
    }

    @Property(tries = 300)
    @Label("reading the parts in order from offset 0 gives back exactly the child list, each part within 4096 bytes")
    void shouldReassembleAnyChildList(@ForAll("childLists") List<String> children,
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long generation) {
        String gen = Long.toUnsignedString(generation) + "\0";
        List<String> got = new ArrayList<>();
        int off = 0;
        for (int parts = 0;; parts++) {
            assertThat(parts).as("parts needed").isLessThan(1000);
            byte[] part = Xenstored.directoryPart(generation, children, off);
            assertThat(part.length).isLessThanOrEqualTo(XsWire.XENSTORE_PAYLOAD_MAX);
            String text = new String(part, StandardCharsets.ISO_8859_1);
            assertThat(text).startsWith(gen);
            String names = text.substring(gen.length());
            boolean last = names.equals("\0") || names.endsWith("\0\0");
            String body = last ? names.substring(0, names.length() - 1) : names;
            for (String n : body.split("\0")) {
                if (!n.isEmpty()) {
                    got.add(n);
                }
            }
            if (last) {
                break;
            }
            assertThat(body).as("a part that is not the last moves on").isNotEmpty();
            off += body.length();
        }
        assertThat(got).containsExactlyElementsOf(children);
    }
}
