package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code parasol run --console-input}, with a real launcher process: its standard input reaches
 * the {@code shell} image through the PV console ring ({@code --virt pv}) and through COM1's
 * receive interrupt ({@code --virt trap}), and the same answers come back.
 */
class RunConsoleInputTest {

    @Test
    @DisplayName("parasol run --console-input types standard input at the first guest: the shell answers the same under pv and trap")
    void shouldCarryStandardInputToTheGuest(@TempDir Path dir) throws Exception {
        for (String virt : List.of("pv", "trap")) {
            List<String> cmd = new ArrayList<>(LauncherJvm.command(List.of("-XX:TieredStopAtLevel=1"), "run", "shell",
                    "--virt", virt, "--memory", "8", "--console-input", "--timeout", "60", "--xenstored-socket",
                    dir.resolve(virt + ".sock").toString()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (OutputStream keys = p.getOutputStream()) {
                keys.write("echo typed at run\nlines\npoweroff\n".getBytes(StandardCharsets.US_ASCII));
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(90, TimeUnit.SECONDS)).as(out).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).as(virt).contains("[shell] shell: ready", "[shell] shell> echo typed at run",
                    "[shell] typed at run", "[shell] 2 lines, 24 bytes read", "[shell] shell: bye");
            assertThat(out).as(virt).containsPattern("shell\\s+\\d+ poweroff");
        }
    }
}
