package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.control.client.ControlClient;
import org.parasol.control.v1.DomainInfo;
import org.parasol.control.v1.DomainRef;
import org.parasol.control.v1.DomainState;
import org.parasol.control.v1.HostInfoRequest;
import org.parasol.control.v1.ListDomainsRequest;
import org.parasol.control.v1.MemSetRequest;
import org.parasol.control.v1.Response;
import org.parasol.control.v1.VcpuSetRequest;

/**
 * {@code parasol mem-set} and {@code vcpu-set} with real processes: a {@code parasol host}, the
 * real CLI against its socket (and, to keep the JVMs few, the same requests through the client library), and a ticker domain built with maxmem above memory and maxvcpus
 * above vcpus. The verbs go through the CLI; the test watches the domain through the same
 * control API {@code list} reads (polling, bounded), then destroys it and finds every frame back.
 */
class HostMemVcpuSetTest {
    private static final long POLL_SECONDS = 20;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    @DisplayName("xl mem-set: the balloon follows memory/target down and up to maxmem; xl vcpu-set: vCPUs follow cpu/K/availability; nothing leaks")
    void shouldBalloonAndHotplugThroughTheCli() throws Exception {
        try (HostProcess h = HostProcess.start("--pcpus", "2"); ControlClient c = ControlClient.connect(h.socket)) {
            long freeBefore = freeKiB(c);
            Path cfg = h.dir.resolve("bal.cfg");
            Files.writeString(cfg, "name = \"bal\"\nkernel = \"ticker\"\nmemory = 8\nmaxmem = 16\nvcpus = 2\nmaxvcpus = 4\n"
                    + "cmdline = \"ticks=600 period=200\"\non_crash = \"preserve\"\n");
            HostProcess.Result created = h.cli("create", cfg.toString());
            assertThat(created.status()).as(created.err()).isZero();
            await(c, "built with 8 MiB and 2 of 4 vCPUs online", d -> d.getMemoryKib() == 8192 && d.getVcpus() == 2);
            assertThat(domain(c).getMaxMemoryKib()).as("max_pages is maxmem until a mem-set").isEqualTo(16384);

            HostProcess.Result down = h.cli("mem-set", "bal", "4m");
            assertThat(down.status()).as(down.err()).isZero();
            assertThat(down.out()).contains("memory target 4096 KiB (maxmem 16384 KiB)");
            await(c, "ballooned down to 4 MiB", d -> d.getMemoryKib() == 4096);
            assertThat(domain(c).getMaxMemoryKib()).as("xl's enforce: max_pages is the target plus 1024 KiB")
                    .isEqualTo(4096 + 1024);
            assertThat(c.call(c.request().setMemSet(MemSetRequest.newBuilder().setDomain(name("bal")).setTargetKib(16384))
                    .build()).hasError()).isFalse();
            await(c, "ballooned up to maxmem, 16 MiB, beyond the 8 it was built with", d -> d.getMemoryKib() == 16384);
            assertThat(domain(c).getMaxMemoryKib()).isEqualTo(16384 + 1024);
            HostProcess.Result over = h.cli("mem-set", "bal", "17m");
            assertThat(over.status()).isEqualTo(1);
            assertThat(over.err()).contains("EINVAL").contains("memory_static_max");

            HostProcess.Result overcommit = h.cli("vcpu-set", "bal", "4");
            assertThat(overcommit.status()).as("4 online on a host of 2 pCPUs, as xl: refused").isEqualTo(1);
            assertThat(overcommit.err()).contains("EINVAL").contains("You are overcommitting! You have 2 physical CPUs")
                    .contains("--ignore-host");
            HostProcess.Result all = h.cli("vcpu-set", "--ignore-host", "bal", "4");
            assertThat(all.status()).as(all.err()).isZero();
            await(c, "4 vCPUs online", d -> d.getVcpus() == 4);
            assertThat(c.call(c.request().setVcpuSet(VcpuSetRequest.newBuilder().setDomain(name("bal")).setVcpus(1)).build())
                    .hasError()).isFalse();
            await(c, "1 vCPU online: the others called VCPUOP_down on themselves", d -> d.getVcpus() == 1);
            assertThat(c.call(c.request().setVcpuSet(VcpuSetRequest.newBuilder().setDomain(name("bal")).setVcpus(2)).build())
                    .hasError()).as("up to the host's pCPUs needs no --ignore-host").isFalse();
            await(c, "2 online again", d -> d.getVcpus() == 2);
            assertThat(c.call(c.request().setVcpuSet(VcpuSetRequest.newBuilder().setDomain(name("bal")).setVcpus(3)
                    .setIgnoreHost(true)).build()).hasError()).isFalse();
            await(c, "3 online again: VCPUOP_up resumed them", d -> d.getVcpus() == 3);
            HostProcess.Result tooMany = h.cli("vcpu-set", "-i", "bal", "5");
            assertThat(tooMany.status()).isEqualTo(1);
            assertThat(tooMany.err()).contains("EINVAL").contains("maxcpus is 4");

            HostProcess.Result list = h.cli("list");
            assertThat(list.out()).containsPattern("bal\\s+\\d+\\s+16\\s+3\\s");

            // Xen's errno names for the rest: no such domain, domain 0, a zero vCPU count.
            assertThat(error(c.call(c.request().setMemSet(MemSetRequest.newBuilder().setDomain(name("nosuch"))
                    .setTargetKib(4096)).build()))).isEqualTo("ESRCH");
            assertThat(error(c.call(c.request().setMemSet(MemSetRequest.newBuilder()
                    .setDomain(DomainRef.newBuilder().setDomid(0)).setTargetKib(4096)).build()))).isEqualTo("EPERM");
            assertThat(error(c.call(c.request().setVcpuSet(VcpuSetRequest.newBuilder().setDomain(name("bal"))
                    .setVcpus(0)).build()))).isEqualTo("EINVAL");
            assertThat(domain(c).getState()).as("the ticker kept running through all of it")
                    .isNotIn(DomainState.DOMAIN_STATE_CRASHED, DomainState.DOMAIN_STATE_SHUTDOWN);

            HostProcess.Result destroyed = h.cli("destroy", "bal");
            assertThat(destroyed.status()).as(destroyed.err()).isZero();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(POLL_SECONDS);
            while (freeKiB(c) != freeBefore && System.nanoTime() < until) {
                Thread.sleep(100);
            }
            assertThat(freeKiB(c)).as("every frame back, the populated ones included").isEqualTo(freeBefore);
            assertThat(h.terminate()).isZero();
        }
    }

    private static DomainRef name(String n) {
        return DomainRef.newBuilder().setName(n).build();
    }

    private static String error(Response r) {
        return r.hasError() ? r.getError().getName() : "no error";
    }

    private static long freeKiB(ControlClient c) throws Exception {
        return c.call(c.request().setHostInfo(HostInfoRequest.getDefaultInstance()).build()).getHostInfo().getFreeMemoryKib();
    }

    private static DomainInfo domain(ControlClient c) throws Exception {
        return c.call(c.request().setList(ListDomainsRequest.getDefaultInstance()).build()).getDomains().getDomainsList()
                .stream().filter(d -> d.getName().equals("bal")).findFirst().orElseThrow();
    }

    /** Polls list until {@code ok} holds for the domain (at most {@value #POLL_SECONDS} s). */
    private static void await(ControlClient c, String what, Predicate<DomainInfo> ok) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(POLL_SECONDS);
        DomainInfo d = domain(c);
        while (!ok.test(d) && System.nanoTime() < until) {
            Thread.sleep(50);
            d = domain(c);
        }
        assertThat(ok.test(d)).as(what + ": " + d.getMemoryKib() + " KiB, " + d.getVcpus() + " vCPUs, " + d.getState())
                .isTrue();
    }
}
