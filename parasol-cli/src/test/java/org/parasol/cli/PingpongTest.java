package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.ImageRepository;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * The packaged {@code pingpong} image run as its launch plan says, on a hypervisor of the
 * test's own, so that what the two domains leave behind can be counted: after both power off
 * and are destroyed, every machine frame (the ring page that was granted and mapped
 * included) is back in the free pool.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PingpongTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;

    @BeforeEach
    void boot() {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(24L << 20)));
        hv.setKernelSource(Hypervisor.images(new ImageLoader(ImageRepository.standard())));
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    @Test
    @DisplayName("pingpong from its launch plan: both domains power off after the rounds, and every frame comes back")
    void shouldExchangeTheRoundsAndLeaveNothingBehind() throws Exception {
        LaunchPlan plan = LaunchPlan.read(ImageRepository.defaultDirectory(), "pingpong");
        assertThat(plan.kind()).isEqualTo(LaunchPlan.Kind.OFFER_ACCEPT);
        long freeAtBoot = hv.freeFrames();
        OfferAcceptLauncher launcher = new OfferAcceptLauncher(hv,
                (cfg, domid) -> domid < 0 ? hv.createDomain(cfg) : hv.createDomain(cfg, domid));

        List<Domain> pair = launcher.launch(plan, DomainConfig.of(plan.offerName(), "pingpong", 4).withCmdline("rounds=500"),
                DomainConfig.of(plan.acceptName(), "pingpong", 4));

        Domain ping = pair.get(0);
        Domain pong = pair.get(1);
        // Both configs destroy on shutdown: death means reclaimed.
        assertThat(ping.awaitDeath(60, TimeUnit.SECONDS)).as("ping ended").isTrue();
        assertThat(pong.awaitDeath(60, TimeUnit.SECONDS)).as("pong ended").isTrue();
        hv.drainConsole();
        String console = String.join("\n", ping.console().lines()) + "\n" + String.join("\n", pong.console().lines());
        assertThat(ping.shutdownReason()).as(console).isEqualTo(Shutdown.POWEROFF);
        assertThat(pong.shutdownReason()).as(console).isEqualTo(Shutdown.POWEROFF);
        assertThat(ping.console().lines()).anyMatch(l -> l.startsWith("pingpong: offer gref="))
                .anyMatch(l -> l.matches("pingpong: 500 round trips in .* ms: p50 .* us, p99 .* us, max .* us"))
                .noneMatch(l -> l.contains("still mapped"));
        assertThat(pong.console().lines()).contains("pingpong: answered 500 pings; ring unmapped, port closed");
        assertThat(hv.domains()).isEmpty();
        assertThat(hv.freeFrames()).as("every frame back").isEqualTo(freeAtBoot);
    }
}
