package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A recording of a real run shows the hypervisor's timeline: each domain's lifecycle, its
 * hypercalls per family, event-channel sends, grant maps and the TLB shootdowns unmaps cause (pingpong: two domains that grant,
 * map and notify each other).
 */
class FlightRecorderEventsTest {

    @Test
    @DisplayName("jfr shows domain lifecycle, hypercalls per family, event sends, grant map/unmap and TLB shootdowns")
    void shouldRecordTheHypervisorsEvents() throws Exception {
        Path file = Files.createTempFile("parasol", ".jfr");
        try (Recording r = new Recording()) {
            r.enable("parasol.DomainLifecycle");
            r.enable("parasol.Hypercalls").withPeriod(java.time.Duration.ofMillis(100));
            r.enable("parasol.EvtchnSend");
            r.enable("parasol.GrantMap");
            r.enable("parasol.TlbShootdown");
            r.start();
            RunOutcome o = RunOutcome.of("pingpong");
            assertThat(o.status()).as(o.err()).isZero();
            Thread.sleep(300); // one more hypercall sample
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        Files.deleteIfExists(file);
        assertThat(events).filteredOn(e -> e.getEventType().getName().equals("parasol.DomainLifecycle"))
                .extracting(e -> e.getString("what")).contains("created", "shutdown", "destroyed");
        assertThat(events).filteredOn(e -> e.getEventType().getName().equals("parasol.Hypercalls"))
                .extracting(e -> e.getString("family")).contains("event_channel_op", "grant_table_op");
        assertThat(events).filteredOn(e -> e.getEventType().getName().equals("parasol.EvtchnSend")).isNotEmpty();
        assertThat(events).filteredOn(e -> e.getEventType().getName().equals("parasol.GrantMap"))
                .extracting(e -> e.getString("op")).contains("map", "unmap");
        // Each unmap batch ends in one shootdown of the mapper's vCPUs.
        assertThat(events).filteredOn(e -> e.getEventType().getName().equals("parasol.TlbShootdown"))
                .isNotEmpty()
                .allSatisfy(e -> assertThat(e.getInt("vcpus")).isPositive());
    }
}
