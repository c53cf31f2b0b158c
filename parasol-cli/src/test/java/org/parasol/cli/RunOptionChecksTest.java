package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Options are checked before anything starts: one line naming the option and its range, exit
 * status 2, never a stack trace. Run as a user runs it, in a JVM of its own.
 */
class RunOptionChecksTest {

    @ParameterizedTest(name = "parasol {0} -> {1}")
    @DisplayName("A wrong option is one line naming it and the allowed range, exit 2")
    @CsvSource(delimiter = '|', textBlock = """
            run --memory 2147483647 hello      | parasol run: --memory must be 1..1048576 MiB, not 2147483647
            run --memory 0 hello               | parasol run: --memory must be 1..1048576 MiB, not 0
            run --pcpus 0 hello                | parasol run: --pcpus must be 1..4096, not 0
            run --vcpus 100000 hello           | parasol run: --vcpus must be 1..32, not 100000
            run --domains 0 hello              | parasol run: --domains must be 1..1000000, not 0
            run --domains 1000001 hello        | parasol run: --domains must be 1..1000000, not 1000001
            run --images /nonexistent/x hello  | parasol run: --images /nonexistent/x: not a folder
            run /nonexistent/x.cfg             | parasol run: /nonexistent/x.cfg: no such file
            host --memory 0                    | parasol host: --memory must be 16..1048576 MiB, not 0
            host --pcpus 0                     | parasol host: --pcpus must be 1..4096, not 0
            """)
    void shouldRefuseWithOneLine(String args, String line) throws Exception {
        Process p = new ProcessBuilder(LauncherJvm.command(List.of("-XX:TieredStopAtLevel=1"), args.split(" ")))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isEqualTo(2);
        assertThat(out.strip()).isEqualTo(line);
    }
}
