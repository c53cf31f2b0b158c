package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The console output the documentation quotes is what the images print: the kernel banner's
 * page counts, the crash lines of {@code faulty}, the summary table's columns. Timings and
 * counts that vary from run to run are compared by shape only.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DocumentedOutputTest {

    /** Pages, free and mapped at boot: what a 4 MiB domain (the default) prints in its banner. */
    private static final Pattern BANNER =
            Pattern.compile("Parasol guest kernel \\S+ on Xen \\S+: \\d+ pages \\(\\d+ free, \\d+ mapped at boot\\)");
    private static final Pattern SUMMARY_HEADER = Pattern.compile("(?m)^Name +ID +Ended.*$");

    /** Files that quote console output of a default-sized domain. */
    private static final List<String> QUOTING = List.of("README.md", "docs/journey.md", "docs/guest-kernel.md",
            "docs/writing-an-image.md", "examples/src/main/java/org/parasol/examples/hello/HelloKernel.java");

    private static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("docs"))) {
                return p;
            }
        }
        throw new IllegalStateException("no Parasol checkout above " + Path.of("").toAbsolutePath());
    }

    private static List<String> all(Pattern p, String text) {
        List<String> found = new ArrayList<>();
        Matcher m = p.matcher(text);
        while (m.find()) {
            found.add(m.group());
        }
        return found;
    }

    /** A summary row with every number replaced by {@code #} and runs of spaces by one. */
    private static String shape(String row) {
        return row.replaceAll("\\d+(\\.\\d+)?", "#").replaceAll(" +", " ").strip();
    }

    /**
     * A console line with what differs between the launcher and this test, or with unrelated
     * edits, taken out: source line numbers, and the hypervisor's module name and version,
     * which frames show only when it runs on the module path (the launcher), not the class
     * path (tests).
     */
    private static String frame(String line) {
        return line.replaceAll("\\.java:\\d+\\)", ".java)")
                .replaceAll("org\\.parasol\\.hypervisor@[^/]*/", "");
    }

    /** The banners a run printed on the consoles of domains other than dom0 ({@code [Domain-0]}). */
    private static List<String> guestBanners(String out) {
        return all(BANNER, String.join("\n", out.lines().filter(l -> !l.startsWith("[Domain-0] ")).toList()));
    }

    @Test
    @DisplayName("every banner the docs quote has the page counts a default domain prints, built by dom0 with its store "
            + "page (pingpong's pair too), or dom0's own, or a trapped domain's; and the summary header as printed")
    void shouldQuoteTheBannerAndHeaderAsPrinted() throws IOException {
        RunOutcome hello = RunOutcome.of("hello");
        assertThat(hello.status()).as(hello.err()).isZero();
        List<String> banner = guestBanners(hello.out());
        assertThat(banner).hasSize(1);
        List<String> dom0Banner = all(BANNER, String.join("\n",
                hello.out().lines().filter(l -> l.startsWith("[Domain-0] ")).toList()));
        assertThat(dom0Banner).hasSize(1);
        String header = all(SUMMARY_HEADER, hello.out()).getFirst();
        RunOutcome pingpong = RunOutcome.of("pingpong", "--cmdline", "rounds=1");
        assertThat(pingpong.status()).as(pingpong.err()).isZero();
        assertThat(guestBanners(pingpong.out())).as("pingpong's pair is built by dom0 like any domain")
                .hasSize(2).containsOnly(banner.getFirst());

        // journey.md's third leg quotes the banner of hello under trap-and-emulate (docs/lab.md).
        RunOutcome trapped = RunOutcome.of("hello", "--virt", "trap");
        assertThat(trapped.status()).as(trapped.err()).isZero();
        List<String> trapBanner = guestBanners(trapped.out());
        assertThat(trapBanner).hasSize(1);

        for (String file : QUOTING) {
            String text = Files.readString(root().resolve(file));
            assertThat(all(BANNER, text)).as("banners quoted in %s", file).isNotEmpty()
                    .allSatisfy(quoted -> assertThat(quoted).as("a banner in %s", file)
                            .isIn(banner.getFirst(), dom0Banner.getFirst(), trapBanner.getFirst()));
            assertThat(all(SUMMARY_HEADER, text)).as("summary headers quoted in %s", file)
                    .allSatisfy(quoted -> assertThat(quoted).as("the summary header in %s", file).isEqualTo(header));
        }
    }

    @Test
    @DisplayName("the tutorial's faulty run quotes the crash lines faulty prints and summary rows of the same shape")
    void shouldQuoteFaultysCrashAsPrinted() throws IOException {
        RunOutcome run = RunOutcome.of("faulty", "hello");
        assertThat(run.status()).isEqualTo(1);
        String doc = Files.readString(root().resolve("docs/guest-kernel.md"));
        List<String> lines = doc.lines().toList();
        int start = lines.indexOf("$ ./parasol run faulty hello");
        assertThat(start).as("the faulty run in guest-kernel.md").isNotNegative();
        List<String> rest = lines.subList(start + 1, lines.size());
        List<String> quoted = rest.subList(0, rest.indexOf("```"));

        List<String> crash = quoted.stream().filter(l -> l.startsWith("[faulty] ")).map(DocumentedOutputTest::frame).toList();
        assertThat(crash).as("faulty's console as quoted").hasSizeGreaterThan(3);
        assertThat(run.out().lines().map(DocumentedOutputTest::frame).toList()).containsAll(crash);

        List<String> realRows = run.out().lines().filter(l -> l.startsWith("faulty ") || l.startsWith("hello "))
                .map(DocumentedOutputTest::shape).toList();
        List<String> quotedRows = quoted.stream().filter(l -> l.startsWith("faulty ") || l.startsWith("hello "))
                .map(DocumentedOutputTest::shape).toList();
        assertThat(quotedRows).hasSize(2).isEqualTo(realRows);
    }
}
