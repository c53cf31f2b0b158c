package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The offer line's words: what parses, and that anything else is a {@link LaunchException}. */
class OfferTest {

    @Property
    void shouldParseEveryWellFormedOfferInAnyOrder(@ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int gref,
            @ForAll @IntRange(min = 1, max = 4095) int port, @ForAll @IntRange(min = 1, max = 0x7FEF) int peer,
            @ForAll long seed) throws LaunchException {
        List<String> words = new ArrayList<>(List.of("gref=" + gref, "port=" + port, "peer=" + peer));
        Collections.shuffle(words, new Random(seed));

        assertThat(Offer.parse(String.join(" ", words))).isEqualTo(new Offer(gref, port, peer));
    }

    @Property
    void shouldRefuseHostileWordsWithALaunchExceptionOnly(@ForAll("hostile") String words) {
        try {
            Offer o = Offer.parse(words);
            // Whatever parses is in range.
            assertThat(o.gref()).isNotNegative();
            assertThat(o.port()).isBetween(1, 4095);
            assertThat(o.peer()).isBetween(1, 0x7FEF);
        } catch (LaunchException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    @Provide
    Arbitrary<String> hostile() {
        Arbitrary<String> key = Arbitraries.of("gref", "port", "peer", "ring", "", "gref ", "GREF");
        Arbitrary<String> value = Arbitraries.oneOf(Arbitraries.longs().map(v -> Long.toString(v)),
                Arbitraries.strings().ofMaxLength(12), Arbitraries.of("", "-0", "+1", "00000000003", "4096", "99999999999"));
        Arbitrary<String> word = Arbitraries.oneOf(
                key.flatMap(k -> value.map(v -> k + "=" + v)),
                Arbitraries.strings().ofMaxLength(20));
        return word.list().ofMaxSize(6).map(ws -> String.join(" ", ws));
    }

    @Test
    void shouldNameWhatIsWrong() {
        assertThatThrownBy(() -> Offer.parse("gref=1 port=2")).hasMessage("no peer=");
        assertThatThrownBy(() -> Offer.parse("gref=1 port=4096 peer=2")).hasMessage("'port=4096' is out of range 1..4095");
        assertThatThrownBy(() -> Offer.parse("gref=1 port=2 peer=32752")).hasMessage("'peer=32752' is out of range 1..32751");
        assertThatThrownBy(() -> Offer.parse("gref=-1 port=2 peer=3")).hasMessage("'gref=-1' is not gref=<decimal number>");
        assertThatThrownBy(() -> Offer.parse("gref=2147483648 port=2 peer=3"))
                .hasMessage("'gref=2147483648' is out of range 0..2147483647");
        assertThatThrownBy(() -> Offer.parse("gref=1 port=2 port=2 peer=3")).hasMessage("'port=' appears twice");
        assertThatThrownBy(() -> Offer.parse("gref=1 port=2 peer=3 evtchn=4"))
                .hasMessage("unexpected word 'evtchn=4' (expected gref=, port=, peer=)");
        assertThatThrownBy(() -> Offer.parse("  ")).hasMessageStartingWith("nothing after the prefix");
    }

    @Test
    void shouldGiveTheAcceptingDomainItsCommandLine() {
        assertThat(new Offer(8, 3, 2).acceptArguments(1)).isEqualTo("peer=1 gref=8 port=3");
    }
}
