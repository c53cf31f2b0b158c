package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A round trip wakes the source once: netbench's frames one at a time (source to dom0 to sink
 * and back) leave the source's front end with one event per round trip, its answer, and not a
 * second one for the TX response that says its sent frame's slot is free (netfront asks for TX
 * events only when a sender waits for room or the ring runs low).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetRoundTripWakeupsTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("frames one at a time: the source's front end takes about one event a round trip, not two")
    void shouldWakeTheSourceOnceARoundTrip() throws IOException {
        Path sink = dir.resolve("sink.cfg");
        Files.writeString(sink, "name='sink'\nkernel='netbench'\nmemory=8\ncmdline='role=sink'\nvif=[ 'bridge=xenbr0' ]\n");
        Path source = dir.resolve("source.cfg");
        Files.writeString(source, "name='source'\nkernel='netbench'\nmemory=8\n"
                + "cmdline='role=source sizes=64 warmup=50 time=50 rounds=400 gap=10'\nvif=[ 'bridge=xenbr0' ]\n");

        RunOutcome o = RunOutcome.of(sink.toString(), source.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        Matcher m = Pattern.compile("\\[source\\] netbench: result mode=rr size=64 rounds=400 .* notifications=(\\d+) events=(\\d+)")
                .matcher(o.out());
        assertThat(m.find()).as(o.out()).isTrue();
        long notifications = Long.parseLong(m.group(1));
        long events = Long.parseLong(m.group(2));
        assertThat(notifications).as("one notification sent per frame").isBetween(400L, 440L);
        // Each answer wakes the source at most once (an answer that comes back before the source's
        // handler has finished is taken in the same run, without an event); a TX response event of
        // its own would make it about two a round trip (800 before netfront stopped asking for them).
        assertThat(events).as("events that woke the source's front end in 400 round trips").isBetween(1L, 480L);
    }
}
