package org.parasol.guest.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The line discipline fed by a device driver's {@link ConsoleInput.Source} (a native kernel's UART). */
class ConsoleInputSourceTest {
    /** A source handing out {@code bytes}, at most {@code per} a read. */
    private static final class Wire implements ConsoleInput.Source {
        private final byte[] bytes;
        private final int per;
        private int at;
        int reads;

        Wire(String s, int per) {
            this.bytes = s.getBytes(StandardCharsets.ISO_8859_1);
            this.per = per;
        }

        @Override
        public int read(byte[] b) {
            reads++;
            int n = Math.min(Math.min(per, b.length), bytes.length - at);
            System.arraycopy(bytes, at, b, 0, n);
            at += n;
            return n;
        }
    }

    @Test
    @DisplayName("lines end at CR or LF; DEL and BS erase, Ctrl-U drops the line, other control bytes are dropped")
    void shouldCutLines() {
        Wire w = new Wire("echo hi\rab\u007fc\bd\nxx\u0015yes\u0001\n", 5);
        ConsoleInput in = new ConsoleInput(w);
        List<String> lines = new ArrayList<>();
        in.onLine(lines::add);
        assertThat(in.poll()).isEqualTo(w.bytes.length);
        assertThat(lines).containsExactly("echo hi", "ad", "yes");
        assertThat(in.linesRead()).isEqualTo(3);
        assertThat(in.bytesRead()).isEqualTo(w.bytes.length);
        assertThat(in.poll()).isZero();
    }

    @Test
    @DisplayName("one poll takes at most SOURCE_BUDGET bytes, so a flood cannot hold the run loop; the next poll goes on")
    void shouldStopAtTheBudget() {
        String flood = "y".repeat(3000) + "\n";
        Wire w = new Wire(flood, 64);
        ConsoleInput in = new ConsoleInput(w);
        List<String> lines = new ArrayList<>();
        in.onLine(lines::add);
        assertThat(in.poll()).isEqualTo(ConsoleInput.SOURCE_BUDGET);
        assertThat(lines).isEmpty();
        assertThat(in.poll()).isEqualTo(ConsoleInput.SOURCE_BUDGET);
        assertThat(in.poll()).isEqualTo(flood.length() - 2 * ConsoleInput.SOURCE_BUDGET);
        assertThat(lines).as("cut at LINE_MAX").containsExactly("y".repeat(ConsoleInput.LINE_MAX));
    }
}
