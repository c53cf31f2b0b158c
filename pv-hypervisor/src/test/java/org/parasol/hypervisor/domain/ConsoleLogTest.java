package org.parasol.hypervisor.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
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

    @Test
    @DisplayName("xenconsoled's bound: history never holds more than MAX_CHARS characters, whatever the guest writes")
    void shouldBoundTheHistoryByCharacters() {
        ConsoleLog log = new ConsoleLog(Runnable::run);
        String line = "y".repeat(ConsoleLog.MAX_LINE - 1);
        for (int i = 0; i < 1000; i++) {
            write(log, line + "\n");
        }
        long kept = log.lines().stream().mapToLong(String::length).sum();
        assertThat(kept).isLessThanOrEqualTo(ConsoleLog.MAX_CHARS);
        assertThat(log.lines().size() + log.dropped()).isEqualTo(1000);
    }

    @Test
    @DisplayName("a reader that blocks (a stuck standard output) stalls neither the writer nor the queue; it is told what it missed")
    void shouldNeverLetASlowReaderStallTheWriterOrGrowAQueue() throws Exception {
        ThreadPoolExecutor thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
        try {
            ConsoleLog log = new ConsoleLog(thread);
            CountDownLatch release = new CountDownLatch(1);
            List<String> seen = new CopyOnWriteArrayList<>();
            log.subscribe(l -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                seen.add(l);
            });
            int lines = 3 * ConsoleLog.MAX_LINES;
            int mostQueued = 0;
            for (int i = 0; i < lines; i++) {
                write(log, "line " + i + "\n");
                mostQueued = Math.max(mostQueued, thread.getQueue().size());
            }
            assertThat(mostQueued).as("drain tasks queued at once").isLessThanOrEqualTo(1);
            assertThat(log.lines()).hasSize(ConsoleLog.MAX_LINES);
            release.countDown();
            log.close();
            for (int i = 0; i < 100 && !seen.contains("line " + (lines - 1)); i++) {
                thread.submit(() -> { }).get(5, TimeUnit.SECONDS);
            }
            assertThat(seen).last().isEqualTo("line " + (lines - 1));
            assertThat(seen).anyMatch(l -> l.startsWith("[parasol] console: ") && l.contains("lines dropped"));
            assertThat(seen.size()).isLessThan(lines);
        } finally {
            thread.shutdownNow();
        }
    }
}
