package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * netfront hands no frame to the image before the image holds the interface: a flooder keeps
 * every vif's RX ring busy while a counter (netping {@code role=count}) connects, so frames are
 * already waiting in its ring when its back end connects and when its connect promise completes.
 * The counter's callback stays busy for 300 ms ({@code hold=300}) so that frames wait whatever
 * the host's scheduling (a CI run under load once had none in the bare window between the back
 * end's Connected and the callback); the counter prints how many RX slots waited, and the test
 * requires at least one, so it cannot pass without the race having been there. The counter's
 * handler uses only the interface its promise's callback stored: a frame handed over before that
 * callback ran crashes the domain, as one crashed netgso's sender in CI.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetFrontEarlyFramesTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("frames that reach a front end while it connects wait in its RX ring until connect's promise has given the image the interface")
    void shouldHoldFramesUntilTheImageHasTheInterface() throws IOException {
        Path flood = NetGuestCfg.write(dir, "flood", "netping", "role=flood time=6000");
        Path count = NetGuestCfg.write(dir, "count", "netping", "role=count frames=2000 delay=1500 hold=300");

        RunOutcome o = RunOutcome.of(flood.toString(), count.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).containsPattern("\\[flood\\] netping: flooded \\d+ frames")
                .containsPattern("\\[count\\] netping: counted 2000 frames, none before connect's promise gave the interface; "
                        + "[1-9]\\d* RX slots had waited in the ring for it")
                .containsPattern("(?m)^count\\s+2 poweroff");
    }
}
