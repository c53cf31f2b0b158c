package org.parasol.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code parasol bench}'s command line and number formatting; no benchmark runs here. */
class BenchMainTest {

    private record Outcome(int status, String out, String err) {
    }

    private static Outcome run(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = BenchMain.run(args, o, e);
        }
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0} prints as {1}")
    @DisplayName("every ratio keeps at least three significant digits, the small ones too")
    @CsvSource({
        "0.005123, 0.00512x",
        "0.0049, 0.00490x",
        "0.731, 0.731x",
        "1.0, 1.00x",
        "3.4, 3.40x",
        "10.24, 10.2x",
        "208.4, 208x",
        "1234.5, 1235x",
        "0, 0x",
    })
    void shouldPrintRatiosWithEnoughDigits(double ratio, String printed) {
        assertThat(BenchMain.ratio(ratio)).isEqualTo(printed);
    }

    @Test
    @DisplayName("a ratio without a value (no baseline score, a zero baseline) prints as -")
    void shouldPrintAnUndefinedRatioAsADash() {
        assertThat(BenchMain.ratio(Double.NaN)).isEqualTo("-");
        assertThat(BenchMain.ratio(Double.POSITIVE_INFINITY)).isEqualTo("-");
    }

    @Test
    @DisplayName("the benchmark list is read from JMH's generated index in this build")
    void shouldListTheBenchmarksOfThisBuild() throws IOException {
        assertThat(BenchMain.benchmarkNames())
                .contains("org.parasol.bench.HypercallBench.nullHypercall", "org.parasol.bench.PteBench.trappedWrite1")
                .isSorted()
                .doesNotHaveDuplicates();
    }

    @Test
    @DisplayName("patterns match as JMH includes do: a regex found anywhere in the full name")
    void shouldAcceptPatternsThatMatch() throws IOException {
        List<String> names = BenchMain.benchmarkNames();

        assertThat(BenchMain.unmatchedPattern(List.of(), names)).isNull();
        assertThat(BenchMain.unmatchedPattern(List.of("HypercallBench", "Pte.*trapped"), names)).isNull();
        assertThat(BenchMain.unmatchedPattern(List.of("EventBench|GrantBench"), names)).isNull();
    }

    @Test
    @DisplayName("an unmatched pattern: exit status 2 and one line naming it and listing the benchmarks, no JMH run")
    void shouldRefuseAPatternThatMatchesNothing() throws Exception {
        Outcome o = run("--quick", "HypercallBench", "NoSuchBench");

        assertThat(o.status()).isEqualTo(2);
        assertThat(o.out()).isEmpty();
        assertThat(o.err()).startsWith("parasol bench: no benchmark matches 'NoSuchBench'; the benchmarks are: ")
                .contains("HypercallBench.nullHypercall, ")
                .contains("PteBench.trappedWrite2048")
                .doesNotContain("org.parasol.bench.")
                .hasLineCount(1);
    }

    @Test
    @DisplayName("a pattern that is no regular expression: exit status 2 and one line saying why")
    void shouldRefuseAMalformedPattern() throws Exception {
        Outcome o = run("Hypercall[");

        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).startsWith("parasol bench: 'Hypercall[' is not a regular expression: ").hasLineCount(1);
    }

    @Test
    @DisplayName("an unknown option: exit status 2 with the usage")
    void shouldRefuseAnUnknownOption() throws Exception {
        Outcome o = run("--fast");

        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).contains("parasol bench: unknown option --fast").contains("Usage: parasol bench");
    }

    @Test
    @DisplayName("--store runs the store's figures alone: with a pattern beside it, exit status 2 with the usage")
    void shouldRefuseAPatternBesideStore() throws Exception {
        Outcome o = run("--store", "HypercallBench");

        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).contains("parasol bench: --store runs the store's figures alone; it takes no REGEX")
                .contains("Usage: parasol bench [--quick] [--save FILE] [--store] [--block] [--net] [--lab] [REGEX...]");
    }

    @Test
    @DisplayName("--block runs the block figures alone: with a pattern beside it, exit status 2 with the usage")
    void shouldRefuseAPatternBesideBlock() throws Exception {
        Outcome o = run("--block", "HypercallBench");

        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).contains("parasol bench: --block runs the block figures alone; it takes no REGEX")
                .contains("Usage: parasol bench");
    }
}
