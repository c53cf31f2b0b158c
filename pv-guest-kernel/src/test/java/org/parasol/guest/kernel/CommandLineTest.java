package org.parasol.guest.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link CommandLine}: an image's parameters on the kernel command line, as Linux's {@code parse_args}. */
class CommandLineTest {
    private final List<String> seen = new ArrayList<>();

    /** rounds=N (1..1000), sizes=N,N (60..9000), role=ping|echo, target=TEXT, verbose, and the pair's lie=. */
    private CommandLine demo() {
        return new CommandLine("demo")
                .number("rounds", 1, 1000, v -> seen.add("rounds " + v))
                .numbers("sizes", 60, 9000, v -> seen.add("sizes " + java.util.Arrays.toString(v)))
                .choice("role", v -> seen.add("role " + v), "ping", "echo")
                .string("target", v -> seen.add("target '" + v + "'"))
                .flag("verbose", () -> seen.add("verbose"))
                .others("lie");
    }

    @Test
    @DisplayName("words split at blanks reach their setters in order; a key given twice takes its last value")
    void shouldHandEachWordToItsSetterInOrder() {
        demo().parse("  rounds=5\tsizes=60,1514  role=echo target= verbose rounds=7\n");

        assertThat(seen).containsExactly("rounds 5", "sizes [60, 1514]", "role echo", "target ''", "verbose", "rounds 7");
    }

    @Test
    @DisplayName("an empty or null line sets nothing")
    void shouldAcceptAnEmptyLine() {
        demo().parse("");
        demo().parse(null);
        demo().parse("   ");

        assertThat(seen).isEmpty();
    }

    @Test
    @DisplayName("the kernel's own parameters (clock=) and another's declared keys pass on any image's line, untouched")
    void shouldPassOverTheKernelsParametersAndOthers() {
        demo().parse("clock=pit lie=ring-ref lie rounds=2");

        assertThat(seen).containsExactly("rounds 2");
    }

    @Test
    @DisplayName("a key may name its image, as Linux's module.param: the image's own is its word, another image's is passed over")
    void shouldTakeItsOwnDottedKeysAndPassOverOthers() {
        demo().parse("demo.rounds=9 ticker.ticks=25 pingpong.timeout=x demo.verbose other.rounds=oops");

        assertThat(seen).containsExactly("rounds 9", "verbose");
        assertThatThrownBy(() -> demo().parse("demo.colour=blue")).hasMessageStartingWith("demo: unknown parameter 'colour=blue'");
        assertThatThrownBy(() -> demo().parse("demo.rounds=0")).hasMessage("demo: rounds 0 is out of range 1..1000");
        assertThatThrownBy(() -> new CommandLine("x").flag("a.b", () -> { })).hasMessageContaining("'a.b'");
        // a dot with nothing before or after it names no image: an unknown key, not someone else's
        for (String word : List.of(".=1", ".", ".rounds=2", "demo.=3", "..")) {
            assertThatThrownBy(() -> demo().parse("rounds=3 " + word)).as(word)
                    .hasMessageStartingWith("demo: unknown parameter '" + word + "'");
        }
        assertThat(seen).as("no setter ran for a refused line").containsExactly("rounds 9", "verbose");
    }

    @Test
    @DisplayName("every unknown word is named in one message, before any setter runs")
    void shouldNameEveryUnknownWordAtOnce() {
        assertThatThrownBy(() -> demo().parse("rounds=3 colour=blue quiet =x"))
                .isInstanceOf(CommandLine.BadParameter.class)
                .hasMessage("demo: unknown parameters 'colour=blue', 'quiet', '=x'; demo takes rounds, sizes, role, target, verbose,"
                        + " lie (and the kernel's clock)");
        assertThat(seen).as("no setter ran").isEmpty();
        assertThatThrownBy(() -> new CommandLine("hello").parse("x"))
                .hasMessage("hello: unknown parameter 'x'; hello takes none (and the kernel's clock)");
    }

    @ParameterizedTest(name = "{0}")
    @DisplayName("a refused value names the image, the key and why")
    @CsvSource(delimiter = '|', textBlock = """
            rounds=0                                    | demo: rounds 0 is out of range 1..1000
            rounds=1001                                 | demo: rounds 1001 is out of range 1..1000
            rounds=many                                 | demo: rounds is not a decimal number: 'many'
            rounds=                                     | demo: rounds is not a decimal number: ''
            rounds=-1                                   | demo: rounds is not a decimal number: '-1'
            rounds=+1                                   | demo: rounds is not a decimal number: '+1'
            rounds=007                                  | demo: rounds is not a decimal number: '007'
            rounds=0x10                                 | demo: rounds is not a decimal number: '0x10'
            rounds=99999999999999999999                 | demo: rounds 99999999999999999999 is out of range 1..1000
            rounds=9223372036854775807                  | demo: rounds 9223372036854775807 is out of range 1..1000
            rounds                                      | demo: rounds needs a value (rounds=...)
            verbose=1                                   | demo: verbose takes no value: 'verbose=1'
            role=pong                                   | demo: role must be ping, echo: 'pong'
            sizes=60,,64                                | demo: sizes is not a comma-separated list of decimal numbers: '60,,64'
            sizes=                                      | demo: sizes is not a comma-separated list of decimal numbers: ''
            sizes=64,                                   | demo: sizes is not a comma-separated list of decimal numbers: '64,'
            sizes=64,59                                 | demo: sizes 59 is out of range 60..9000
            rounds=1234567890123456789012345678901234567890123 | demo: rounds 1234567890123456789012345678901234567890... is out of range 1..1000
            rounds=123456789012345678901234567890123456789x123 | demo: rounds is not a decimal number: '123456789012345678901234567890123456789x...'
            """)
    void shouldRefuseABadValueNamingTheKey(String line, String message) {
        assertThatThrownBy(() -> demo().parse(line)).isInstanceOf(CommandLine.BadParameter.class).hasMessage(message);
    }

    @Test
    @DisplayName("a setter's own refusal comes out with the image's name, and an IllegalArgumentException of it with the word")
    void shouldWrapASettersRefusal() {
        CommandLine c = new CommandLine("demo")
                .string("mode", v -> {
                    throw new CommandLine.BadParameter("mode must be read or write: '" + v + "'");
                })
                .string("ip", v -> {
                    throw new IllegalArgumentException("not an IPv4 address");
                });

        assertThatThrownBy(() -> c.parse("mode=scan")).isInstanceOf(CommandLine.BadParameter.class)
                .hasMessage("demo: mode must be read or write: 'scan'");
        assertThatThrownBy(() -> c.parse("ip=10.0.0")).isInstanceOf(CommandLine.BadParameter.class)
                .hasMessage("demo: 'ip=10.0.0': not an IPv4 address").hasCauseInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("an image cannot declare a key twice, a kernel's key, a key with '=' or a blank, or a range below zero")
    void shouldRefuseABadDeclaration() {
        assertThatThrownBy(() -> new CommandLine("x").flag("a", () -> { }).number("a", 0, 1, v -> { }))
                .hasMessageContaining("declared twice");
        assertThatThrownBy(() -> new CommandLine("x").others("clock")).hasMessageContaining("'clock'");
        assertThatThrownBy(() -> new CommandLine("x").flag("a=b", () -> { })).hasMessageContaining("'a=b'");
        assertThatThrownBy(() -> new CommandLine("x").flag("a b", () -> { })).hasMessageContaining("'a b'");
        assertThatThrownBy(() -> new CommandLine("x").flag("", () -> { })).hasMessageContaining("''");
        assertThatThrownBy(() -> new CommandLine("x").number("n", -1, 5, v -> { })).hasMessageContaining("-1..5");
        assertThatThrownBy(() -> new CommandLine("x").numbers("n", 9, 5, v -> { })).hasMessageContaining("9..5");
        assertThatThrownBy(() -> new CommandLine("x").choice("c", v -> { })).hasMessageContaining("nothing");
    }

    @Test
    @DisplayName("decimal: an image's own number (a size's digits, a list's element) under the same rules")
    void shouldParseADecimalForAnImage() {
        assertThat(CommandLine.decimal("bs", "4096", 512, 1 << 22)).isEqualTo(4096);
        assertThat(CommandLine.decimal("seed", "9223372036854775807", 0, Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
        assertThat(CommandLine.decimal("seed", "0", 0, 1)).isZero();
        assertThatThrownBy(() -> CommandLine.decimal("seed", "9223372036854775808", 0, Long.MAX_VALUE))
                .isInstanceOf(CommandLine.BadParameter.class).hasMessage("seed 9223372036854775808 is out of range 0..9223372036854775807");
        assertThatThrownBy(() -> CommandLine.decimal("bs", null, 0, 1)).hasMessage("bs is not a decimal number: ''");
    }
}
