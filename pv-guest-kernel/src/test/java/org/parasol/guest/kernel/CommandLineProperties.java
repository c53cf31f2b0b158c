package org.parasol.guest.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.StringLength;

/**
 * {@link CommandLine} against generated lines: what an image declares comes back from the words
 * made of it, and a hostile line (any characters, any shape) makes the parser refuse with its
 * own error or accept, nothing else.
 */
class CommandLineProperties {
    private static final List<String> KEYS = List.of("rounds", "size", "mode", "name", "quiet", "sizes");

    /** What the setters saw, last value per key, in the order the keys were first set. */
    private static final class Seen {
        final Map<String, String> values = new LinkedHashMap<>();
    }

    private static CommandLine declared(Seen seen) {
        return new CommandLine("gen")
                .number("rounds", 0, Long.MAX_VALUE, v -> seen.values.put("rounds", Long.toString(v)))
                .number("size", 60, 65535, v -> seen.values.put("size", Long.toString(v)))
                .choice("mode", v -> seen.values.put("mode", v), "read", "write", "randread")
                .string("name", v -> seen.values.put("name", v))
                .flag("quiet", () -> seen.values.put("quiet", ""))
                .numbers("sizes", 1, 9000, v -> {
                    StringBuilder b = new StringBuilder();
                    for (long x : v) {
                        b.append(b.isEmpty() ? "" : ",").append(x);
                    }
                    seen.values.put("sizes", b.toString());
                })
                .others("lie");
    }

    /** One well-formed word: the key and the value it should set ("" for the flag). */
    record Word(String key, String value) {
        String text() {
            return key.equals("quiet") ? key : key + "=" + value;
        }
    }

    @Provide
    Arbitrary<List<Word>> words() {
        Arbitrary<Word> rounds = Arbitraries.longs().between(0, Long.MAX_VALUE).map(v -> new Word("rounds", Long.toString(v)));
        Arbitrary<Word> size = Arbitraries.longs().between(60, 65535).map(v -> new Word("size", Long.toString(v)));
        Arbitrary<Word> mode = Arbitraries.of("read", "write", "randread").map(v -> new Word("mode", v));
        Arbitrary<Word> name = Arbitraries.strings().withCharRange('!', '~').ofMaxLength(30).map(v -> new Word("name", v));
        Arbitrary<Word> quiet = Arbitraries.just(new Word("quiet", ""));
        Arbitrary<Word> sizes = Arbitraries.longs().between(1, 9000).list().ofMinSize(1).ofMaxSize(5)
                .map(l -> new Word("sizes", String.join(",", l.stream().map(String::valueOf).toList())));
        return Arbitraries.oneOf(rounds, size, mode, name, quiet, sizes).list().ofMaxSize(12);
    }

    @Provide
    Arbitrary<String> blanks() {
        return Arbitraries.of(" ", "  ", "\t", " \n ").list().ofMinSize(1).ofMaxSize(1).map(l -> l.get(0));
    }

    @Property(tries = 500)
    @Label("generated key=value words (some named gen.key), joined by any blanks with the kernel's, another's and another image's"
            + " words among them, set exactly their last values")
    void shouldRoundTripGeneratedWords(@ForAll("words") List<Word> words, @ForAll("blanks") String blank,
            @ForAll boolean kernelWords, @ForAll boolean prefixed) {
        List<String> text = new ArrayList<>();
        Map<String, String> expected = new LinkedHashMap<>();
        for (Word w : words) {
            text.add(prefixed && text.size() % 3 == 0 ? "gen." + w.text() : w.text());
            expected.put(w.key(), w.value());
            if (kernelWords) {
                text.add(text.size() % 2 == 0 ? "clock=pit" : text.size() % 3 == 0 ? "other." + w.text() + "x" : "lie=grant");
            }
        }
        Seen seen = new Seen();

        declared(seen).parse(blank + String.join(blank, text) + blank);

        assertThat(seen.values).isEqualTo(expected);
    }

    @Provide
    Arbitrary<String> hostile() {
        Arbitrary<String> any = Arbitraries.strings().all().ofMaxLength(200);
        Arbitrary<String> ascii = Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(200);
        // Lines made of the declared keys with mangled values: '=' runs, commas, signs, huge digits, blanks.
        Arbitrary<String> piece = Arbitraries.oneOf(Arbitraries.of(KEYS), Arbitraries.of("=", "==", ",", ",,", "-", "+", " ", "\t",
                "0", "00", "99999999999999999999999", "9223372036854775808", "clock", "lie", "read", "\u0000", "\u00e9"),
                Arbitraries.strings().withCharRange('0', '9').ofMaxLength(25));
        Arbitrary<String> shaped = piece.list().ofMaxSize(30).map(l -> String.join("", l));
        return Arbitraries.oneOf(any, ascii, shaped);
    }

    @Property(tries = 2000)
    @Label("a hostile line is accepted or refused with the parser's own error, never anything else")
    void shouldThrowNothingButItsOwnError(@ForAll("hostile") String line) {
        try {
            declared(new Seen()).parse(line);
        } catch (CommandLine.BadParameter e) {
            assertThat(e.getMessage()).startsWith("gen: ").hasSizeLessThan(2_000);
        }
    }

    @Property(tries = 300)
    @Label("any one word whose key is not declared refuses the whole line, and is named")
    void shouldRefuseAnyUnknownKey(@ForAll("words") List<Word> words, @ForAll @StringLength(min = 1, max = 12) String key) {
        StringBuilder b = new StringBuilder();
        for (char c : key.toCharArray()) {
            // no blank (any character up to the space) and no '=' in a key; no '.' either, since
            // 'image.key' is another image's word, passed over (CommandLineTest has the dotted cases)
            b.append(c <= ' ' || c == '=' || c == '.' ? 'x' : c);
        }
        String k = b.toString();
        if (KEYS.contains(k) || k.equals("lie") || k.equals("clock")) {
            return;
        }
        List<String> text = new ArrayList<>(words.stream().map(Word::text).toList());
        text.add(text.size() / 2, k + "=1");
        Seen seen = new Seen();
        try {
            declared(seen).parse(String.join(" ", text));
            throw new AssertionError("accepted an unknown key '" + k + "'");
        } catch (CommandLine.BadParameter e) {
            assertThat(e.getMessage()).startsWith("gen: unknown parameter '");
            assertThat(seen.values).as("no setter ran").isEmpty();
        }
    }
}
