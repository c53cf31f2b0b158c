package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.hypervisor.testing.LeakCheck;

import picocli.CommandLine;

/**
 * {@code parasol run} prints xenstored's socket, and xenstore-ls works against it while the
 * run is up: the "done when".
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RunXenstoredSocketTest {
    private static final Pattern PRINTED = Pattern.compile("(?m)^parasol run: xenstored socket (\\S+) \\(XENSTORED_PATH\\)$");

    @TempDir
    Path tmp;

    /** Standard output that the test can read while the run writes it. */
    private static final class Captured extends ByteArrayOutputStream {
        synchronized String text() {
            return toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    @DisplayName("while a run is up, XENSTORED_PATH=<the printed path> xenstore-ls lists the domains; the socket goes "
            + "with the run")
    void shouldServeXenstoreLsWhileARunIsUp() throws Exception {
        Path path = tmp.resolve("xs.sock");
        Captured out = new Captured();
        Captured err = new Captured();
        RunCommand cmd = new RunCommand();
        new CommandLine(cmd).parseArgs("ticker", "--domains", "2", "--cmdline", "ticks=40 period=250",
                "--xenstored-socket", path.toString());
        LeakCheck leaks = new LeakCheck();
        cmd.booted = leaks::track;
        CompletableFuture<Integer> status = CompletableFuture.supplyAsync(() -> {
            try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
                return cmd.run(o, e);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return -1;
            }
        });

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Matcher m;
        while (!(m = PRINTED.matcher(out.text())).find()) {
            assertThat(System.nanoTime()).as("the socket line: " + out.text() + err.text()).isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(Path.of(m.group(1))).isEqualTo(path.toAbsolutePath());
        XenstoreTools xs = new XenstoreTools(Path.of(m.group(1)));
        assertThat(xs.await("/local/domain/2/name")).isEqualTo("ticker-2");
        String listed = xs.ok("xenstore-ls", "/local/domain");
        assertThat(listed.lines().toList()).as(listed).contains("0 = \"\"", " name = \"Domain-0\"", "1 = \"\"",
                " name = \"ticker-1\"", "2 = \"\"", " name = \"ticker-2\"");

        assertThat(status.get(120, TimeUnit.SECONDS)).as(err.text()).isZero();
        leaks.verify();
        assertThat(path).as("removed when the run ends").doesNotExist();
        assertThat(out.text()).containsPattern("ticker-1 +\\d+ poweroff").containsPattern("ticker-2 +\\d+ poweroff");
    }

    @Test
    @DisplayName("a run refuses a socket path a live socket holds, before anything boots a domain (exit 2)")
    void shouldRefuseALiveSocketPath() throws Exception {
        Path path = tmp.resolve("taken");
        try (var live = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            live.bind(java.net.UnixDomainSocketAddress.of(path));
            RunOutcome o = RunOutcome.of("hello", "--xenstored-socket", path.toString());
            assertThat(o.status()).isEqualTo(2);
            assertThat(o.err()).contains("parasol run: xenstored socket: " + path + " is in use by a live socket");
            assertThat(o.out()).doesNotContain("[hello]");
        }
    }
}
