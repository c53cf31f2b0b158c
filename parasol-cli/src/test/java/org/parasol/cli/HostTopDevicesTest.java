package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.control.client.ControlClient;
import org.parasol.control.v1.DomainState;
import org.parasol.control.v1.DomainStatistics;
import org.parasol.control.v1.ListDomainsRequest;
import org.parasol.control.v1.StatisticsRequest;

/**
 * top's device columns from real back ends: a disk that blkcheck wrote over and read back, and
 * a pair of vifs that exchanged 50 frames, counted by dom0's blkback and netback and read by
 * the host with {@code xl devstat}; events sent and grant maps from the hypervisor.
 */
class HostTopDevicesTest {
    private static final int FRAMES = 50;
    private static final int SIZE = 1514;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    @DisplayName("top shows each domain's disk (VBD_RD/WR/RSECT/WSECT) and vif (NETTX/NETRX) counters, its events/s and grant maps")
    void shouldShowDiskAndNetworkCounters() throws Exception {
        try (HostProcess h = HostProcess.start(); ControlClient c = ControlClient.connect(h.socket)) {
            Path disk = h.dir.resolve("disk.img");
            Path blk = h.dir.resolve("blk.cfg");
            Files.writeString(blk, "name='blk'\nkernel='blkcheck'\nmemory=16\ncmdline='seed=7'\non_poweroff='preserve'\n"
                    + "disk=[ 'format=raw, vdev=xvda, access=rw, size=1M, target=" + disk + "' ]\n");
            Path echo = h.dir.resolve("echo.cfg");
            Files.writeString(echo, "name='echo'\nkernel='netping'\nmemory=8\ncmdline='role=echo'\non_poweroff='preserve'\n"
                    + "vif=[ 'bridge=xenbr0' ]\n");
            Path ping = h.dir.resolve("ping.cfg");
            Files.writeString(ping, "name='ping'\nkernel='netping'\nmemory=8\ncmdline='role=ping count=" + FRAMES + " size="
                    + SIZE + "'\non_poweroff='preserve'\nvif=[ 'mac=00:16:3e:aa:bb:01, bridge=xenbr0' ]\n");
            for (Path cfg : new Path[] {blk, echo, ping}) {
                HostProcess.Result r = h.cli("create", cfg.toString());
                assertThat(r.status()).as(r.err()).isZero();
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < until && !allShutDown(c)) {
                Thread.sleep(100);
            }
            assertThat(allShutDown(c)).as("blkcheck and the netping pair ran to their end").isTrue();

            Map<String, DomainStatistics> s = c.call(c.request().setStatistics(StatisticsRequest.getDefaultInstance()).build())
                    .getStatistics().getDomainsList().stream().collect(Collectors.toMap(DomainStatistics::getName, x -> x));
            DomainStatistics b = s.get("blk");
            assertThat(b.getVbds()).isEqualTo(1);
            assertThat(b.getVbdWsect()).as("blkcheck writes the whole 1 MiB: 2048 sectors").isGreaterThanOrEqualTo(2048);
            assertThat(b.getVbdRsect()).as("and reads it back").isGreaterThanOrEqualTo(2048);
            assertThat(b.getVbdWr()).isPositive();
            assertThat(b.getVbdRd()).isPositive();
            assertThat(b.getVbdOo()).isZero();
            assertThat(b.getVifs()).isZero();
            assertThat(b.getEventsSent()).as("blkfront notified its back end").isPositive();

            DomainStatistics p = s.get("ping");
            assertThat(p.getVifs()).isEqualTo(1);
            assertThat(p.getNetTxPackets()).isGreaterThanOrEqualTo(FRAMES);
            assertThat(p.getNetRxPackets()).isGreaterThanOrEqualTo(FRAMES);
            assertThat(p.getNetTxBytes()).isGreaterThanOrEqualTo((long) FRAMES * SIZE);
            assertThat(p.getNetRxBytes()).isGreaterThanOrEqualTo((long) FRAMES * SIZE);
            assertThat(s.get("echo").getNetRxPackets()).isGreaterThanOrEqualTo(FRAMES);
            assertThat(p.getVbds()).isZero();

            DomainStatistics dom0 = s.get("Domain-0");
            assertThat(dom0.getEventsSent()).isPositive();

            HostProcess.Result top = h.cli("top", "-b", "-i", "2", "-d", "0.2");
            assertThat(top.status()).as(top.err()).isZero();
            assertThat(top.out()).contains("EVENTS/s").contains("GNTMAPS").contains("NETTX(k)").contains("VBD_WSECT");
            String[] header = top.out().lines().filter(l -> l.startsWith("NAME")).findFirst().orElseThrow().split("\\s+");
            String[] row = top.out().lines().filter(l -> l.startsWith("ping ")).reduce((a, z) -> z).orElseThrow().split("\\s+");
            java.util.List<String> cols = java.util.List.of(header);
            assertThat(row).hasSameSizeAs(header);
            assertThat(row[cols.indexOf("NETS")]).isEqualTo("1");
            assertThat(Long.parseLong(row[cols.indexOf("NETTX(k)")])).isGreaterThanOrEqualTo((long) FRAMES * SIZE / 1024);
            String[] blkRow = top.out().lines().filter(l -> l.startsWith("blk ")).reduce((a, z) -> z).orElseThrow().split("\\s+");
            assertThat(Long.parseLong(blkRow[cols.indexOf("VBD_WSECT")])).isGreaterThanOrEqualTo(2048);
            assertThat(h.terminate()).isZero();
        }
    }

    private static boolean allShutDown(ControlClient c) throws Exception {
        return c.call(c.request().setList(ListDomainsRequest.getDefaultInstance()).build()).getDomains().getDomainsList()
                .stream().filter(d -> d.getDomid() != 0)
                .allMatch(d -> d.getState() == DomainState.DOMAIN_STATE_SHUTDOWN);
    }
}
