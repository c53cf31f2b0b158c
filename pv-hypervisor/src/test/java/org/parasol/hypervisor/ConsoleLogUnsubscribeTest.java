package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypervisor.domain.ConsoleLog;

/** A console reader that goes away is forgotten: attaching and detaching leaves nothing behind. */
class ConsoleLogUnsubscribeTest {

    @Test
    @DisplayName("unsubscribe removes the reader: no more lines, and the reader count goes back down")
    void shouldForgetAReaderThatUnsubscribes() {
        ConsoleLog log = new ConsoleLog(Runnable::run);
        List<String> got = new CopyOnWriteArrayList<>();
        Consumer<String> reader = got::add;
        log.subscribe(reader);
        byte[] one = "one\n".getBytes(StandardCharsets.US_ASCII);
        log.write(one, 0, one.length);
        assertThat(got).containsExactly("one");
        for (int i = 0; i < 1000; i++) {
            Consumer<String> r = line -> { };
            log.subscribe(r);
            log.unsubscribe(r);
        }
        assertThat(log.readers()).isEqualTo(1);
        log.unsubscribe(reader);
        assertThat(log.readers()).isZero();
        byte[] two = "two\n".getBytes(StandardCharsets.US_ASCII);
        log.write(two, 0, two.length);
        assertThat(got).containsExactly("one");
    }
}
