package org.parasol.cli.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** dom0's {@code xl devstat} lines summed per domain; what does not read as such a line is left out. */
class DeviceCountersTest {

    @Test
    @DisplayName("a domain's disks and vifs are summed; other lines, other domains and malformed counters are left out")
    void shouldSumDevicesPerDomain() {
        Map<Integer, DeviceCounters.Sums> m = DeviceCounters.parse(List.of(
                "dom0: devstat d5 vbd 51712 oo=0 rd=12 wr=3 f=1 ds=0 rsect=96 wsect=24",
                "dom0: devstat d5 vbd 51728 oo=0 rd=1 wr=1 f=0 ds=0 rsect=8 wsect=8",
                "dom0: devstat d5 vif 0 tx_bytes=1514 tx_packets=1 tx_errors=0 rx_bytes=98 rx_packets=1 rx_dropped=0",
                "dom0: devstat d7 vif 1 tx_bytes=10 tx_packets=2 tx_errors=0 rx_bytes=20 rx_packets=3 rx_dropped=0",
                "dom0: devstat d7 vbd 51712 rd=99999999999999999999",
                "dom0: devstat d7 vbd x rd=1",
                "dom0: devstat d7 cdrom 1 rd=1",
                "dom0: built d9 (x) from hello",
                "dom0: xl: command 'parasol-sentinel-3' is not one dom0 carries out"));
        assertThat(m).containsOnlyKeys(5, 7);
        DeviceCounters.Sums d5 = m.get(5);
        assertThat(d5.vbds()).isEqualTo(2);
        assertThat(d5.rd()).isEqualTo(13);
        assertThat(d5.wr()).isEqualTo(4);
        assertThat(d5.rsect()).isEqualTo(104);
        assertThat(d5.wsect()).isEqualTo(32);
        assertThat(d5.vifs()).isEqualTo(1);
        assertThat(d5.txBytes()).isEqualTo(1514);
        assertThat(d5.rxPackets()).isEqualTo(1);
        DeviceCounters.Sums d7 = m.get(7);
        assertThat(d7.vbds()).as("the malformed disk lines are left out").isZero();
        assertThat(d7.vifs()).isEqualTo(1);
        assertThat(d7.rxBytes()).isEqualTo(20);
    }

    @Test
    @DisplayName("a sample is stale before dom0 first answers and a second after it did")
    void shouldAgeSamples() {
        DeviceCounters c = new DeviceCounters();
        assertThat(c.stale(5)).isTrue();
        c.update(1_000, List.of());
        assertThat(c.stale(1_000 + DeviceCounters.MAX_AGE_NANOS)).isFalse();
        assertThat(c.stale(1_001 + DeviceCounters.MAX_AGE_NANOS)).isTrue();
        assertThat(c.last().of(3)).isEqualTo(DeviceCounters.Sums.NONE);
    }

    @Property(tries = 500)
    @Label("any lines dom0 may print are read without an exception")
    void shouldNeverThrow(@ForAll @Size(max = 8) List<String> tails) {
        List<String> lines = tails.stream().map(t -> DeviceCounters.PREFIX + t).toList();
        assertThat(DeviceCounters.parse(lines)).isNotNull();
    }
}
