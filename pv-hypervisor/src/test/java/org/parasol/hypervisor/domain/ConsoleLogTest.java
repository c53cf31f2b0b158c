package org.parasol.hypervisor.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class ConsoleLogTest {

    private static void write(ConsoleLog log, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        log.write(b, 0, b.length);
    }

    @Test
    void shouldBufferFromBirthAndReplayToLateReadersBeforeNewLines() throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            ConsoleLog log = new ConsoleLog(thread);
            write(log, "one\ntw");
            write(log, "o\n");
            List<String> seen = new CopyOnWriteArrayList<>();
            log.subscribe(seen::add);
            write(log, "three\nfour");
            log.close();
            write(log, "after close\n");
            thread.submit(() -> { }).get(5, TimeUnit.SECONDS);
            assertThat(seen).containsExactly("one", "two", "three", "four");
            assertThat(log.lines()).containsExactly("one", "two", "three", "four");
        } finally {
            thread.shutdownNow();
        }
    }

    @Test
    void shouldCutOverlongLinesAndDropTheOldestBeyondTheBound() {
        ConsoleLog log = new ConsoleLog(Runnable::run);
        write(log, "x".repeat(ConsoleLog.MAX_LINE + 10) + "\n");
        assertThat(log.lines()).hasSize(2);
        assertThat(log.lines().getFirst()).hasSize(ConsoleLog.MAX_LINE);
        for (int i = 0; i < ConsoleLog.MAX_LINES; i++) {
            write(log, i + "\n");
        }
        assertThat(log.lines()).hasSize(ConsoleLog.MAX_LINES);
        assertThat(log.dropped()).isEqualTo(2);
        assertThat(log.lines().getFirst()).isEqualTo("0");
    }
}
