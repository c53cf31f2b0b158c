package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One kernel, several configurations: the same example images run paravirtualized and under
 * trap-and-emulate must print the same console output, times aside (issue 15's equivalence
 * test). What may differ is named in {@link #normalized}: times and the banner's page counts
 * (a native kernel keeps one page for its privileged text).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VirtEquivalenceTest {

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "hello|''",
            "ticker|ticks=3 period=20",
    })
    @DisplayName("the example prints the same lines under --virt pv and --virt trap, and the trapped run takes VM exits")
    void shouldPrintTheSameUnderEachConfiguration(String image, String cmdline) {
        RunOutcome pv = RunOutcome.of(image, "--cmdline", cmdline, "--virt", "pv");
        RunOutcome trap = RunOutcome.of(image, "--cmdline", cmdline, "--virt", "trap");

        assertThat(pv.status()).as(pv.out() + pv.err()).isZero();
        assertThat(trap.status()).as(trap.out() + trap.err()).isZero();
        List<String> pvLines = normalized(pv.out(), image);
        assertThat(pvLines).as(pv.out()).hasSizeGreaterThan(2);
        assertThat(normalized(trap.out(), image)).as(trap.out()).isEqualTo(pvLines);
        assertThat(pv.out()).containsPattern(image + " +\\d+ poweroff +[0-9.]+ +\\d+ +\\d+\\R")
                .doesNotContain("VM exits");
        Matcher exits = Pattern.compile(image + " +\\d+ poweroff .*\\[trap: (\\d+) VM exits\\]").matcher(trap.out());
        assertThat(exits.find()).as(trap.out()).isTrue();
        assertThat(Long.parseLong(exits.group(1))).as("the UART's set-up alone is 7 exits").isGreaterThan(7);
    }

    @Test
    @DisplayName("xl.cfg's virt = \"trap\" boots the domain trapped, as --virt trap does")
    void shouldTakeTheVirtKeyFromAConfigFile(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("hello.cfg");
        Files.writeString(cfg, "name = \"hello-trap\"\nkernel = \"hello\"\nmemory = 4\nvirt = \"trap\"\n");
        RunOutcome o = RunOutcome.of(cfg.toString());
        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("[hello-trap] Hello from Parasol!")
                .containsPattern("hello-trap +\\d+ poweroff .*\\[trap: \\d+ VM exits\\]");
    }

    @Test
    void shouldRefuseAnUnknownConfiguration() {
        RunOutcome o = RunOutcome.of("hello", "--virt", "hvm");
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).contains("--virt").contains("pv, trap, bare").contains("'hvm'");
    }

    /** The image's own console lines, with times, dates and the banner's page counts masked. */
    static List<String> normalized(String out, String image) {
        String prefix = "[" + image + "] ";
        return out.lines().filter(l -> l.startsWith(prefix))
                .map(l -> l.substring(prefix.length()))
                .map(l -> l.replaceAll("\\(\\d+ free, \\d+ mapped at boot\\)", "(N free, N mapped at boot)"))
                .map(l -> l.replaceAll("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z", "<date>"))
                .map(l -> l.replaceAll("\\d+(\\.\\d+)? ms", "<t> ms"))
                .toList();
    }
}
