package org.parasol.guest.console;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.FakePvOps;

class ConsoleTest {
    private final FakePvOps ops = new FakePvOps();
    private final Console console = new Console(ops);

    @Test
    @DisplayName("line-buffered: one console_io write per completed line, nothing for a partial one")
    void shouldWriteWholeLinesOnly() {
        console.print("ab");
        console.print("c\nde");
        assertThat(ops.consoleText()).isEqualTo("abc\n");
        assertThat(ops.consoleWrites).containsExactly(4);
        assertThat(console.buffered()).isEqualTo(2);
        console.println("f");
        assertThat(ops.consoleText()).isEqualTo("abc\ndef\n");
        assertThat(console.linesWritten()).isEqualTo(2);
    }

    @Test
    @DisplayName("never lost at shutdown: flush writes an unterminated tail")
    void shouldFlushAPartialLine() {
        console.print("last words");
        console.flush();
        console.flush();
        assertThat(ops.consoleText()).isEqualTo("last words");
        assertThat(ops.consoleWrites).containsExactly(10);
    }

    @Test
    void shouldWriteAnOverlongLineInBufferSizedPieces() {
        String line = "x".repeat(Console.BUFFER * 2 + 10);
        console.println(line);
        assertThat(ops.consoleText()).isEqualTo(line + "\n");
        assertThat(ops.consoleWrites).containsExactly(Console.BUFFER, Console.BUFFER, 11);
    }
}
