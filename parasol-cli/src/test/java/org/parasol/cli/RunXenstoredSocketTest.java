package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code parasol run} prints xenstored's socket, and xenstore-ls works against it while the
 * run is up: the "done when".
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RunXenstoredSocketTest {
    private static final Pattern PRINTED = Pattern.compile("(?m)^parasol run: xenstored socket (\\S+) \\(XENSTORED_PATH\\)$");

    @TempDir
    Path tmp;

    @Test
    @DisplayName("while a run is up, XENSTORED_PATH=<the printed path> xenstore-ls lists the domains; the socket goes "
            + "with the run")
    void shouldServeXenstoreLsWhileARunIsUp() throws Exception {
        Path path = tmp.resolve("xs.sock");
        try (BackgroundRun run = BackgroundRun.start("ticker", "--domains", "2", "--cmdline", "ticks=40 period=250",
                "--xenstored-socket", path.toString())) {
            Matcher m = run.awaitOut(PRINTED, 60);
            assertThat(Path.of(m.group(1))).isEqualTo(path.toAbsolutePath());
            XenstoreTools xs = new XenstoreTools(Path.of(m.group(1)));
            assertThat(xs.await("/local/domain/2/name")).isEqualTo("ticker-2");
            String listed = xs.ok("xenstore-ls", "/local/domain");
            assertThat(listed.lines().toList()).as(listed).contains("0 = \"\"", " name = \"Domain-0\"", "1 = \"\"",
                    " name = \"ticker-1\"", "2 = \"\"", " name = \"ticker-2\"");

            assertThat(run.status(120)).as(run.err().text()).isZero();
            run.verifyLeaks();
            assertThat(path).as("removed when the run ends").doesNotExist();
            assertThat(run.out().text()).containsPattern("ticker-1 +\\d+ poweroff").containsPattern("ticker-2 +\\d+ poweroff");
        }
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
