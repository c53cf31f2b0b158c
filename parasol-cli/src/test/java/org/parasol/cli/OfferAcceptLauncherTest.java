package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parasol.cli.ScriptedKernels.End;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * The offer-accept handshake against scripted kernels (one per image name): the accepting
 * domain gets the reserved id and the offer on its command line, and every way the offer can
 * fail to come is a {@link LaunchException} that says why, without a hang or a leftover domain.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OfferAcceptLauncherTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private static final LaunchPlan PLAN = new LaunchPlan(LaunchPlan.Kind.OFFER_ACCEPT, "test: offer ",
            Duration.ofSeconds(20), "offering", "accepting");

    private Hypervisor hv;
    private final Map<String, GuestKernel> kernels = new ConcurrentHashMap<>();
    private final List<Domain> started = new ArrayList<>();
    private OfferAcceptLauncher launcher;
    private long freeAtBoot;

    @BeforeEach
    void boot() {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20)));
        hv.setKernelSource((image, privileged) -> domid -> kernels.get(image));
        freeAtBoot = hv.freeFrames();
        launcher = new OfferAcceptLauncher(hv, (cfg, domid) -> {
            Domain d = domid < 0 ? hv.createDomain(cfg) : hv.createDomain(cfg, domid);
            started.add(d);
            return d;
        });
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    /** A 1 MiB domain of image {@code image}, destroyed when it shuts down. */
    private static DomainConfig cfg(String name, String image, String cmdline) {
        return DomainConfig.of(name, image, 1).withCmdline(cmdline);
    }

    private void offering(End end, String... lines) {
        kernels.put("offer-image", ScriptedKernels.printing(List.of(lines), end));
        kernels.put("accept-image", ScriptedKernels.printing(List.of("accepted with '$CMDLINE'"), End.POWEROFF));
    }

    private List<Domain> launch(LaunchPlan plan) throws Exception {
        return launcher.launch(plan, cfg("offering", "offer-image", "rounds=5"),
                cfg("accepting", "accept-image", "rounds=5"));
    }

    /** Every domain started is dead and every frame is back in the free pool. */
    private void assertNothingLeft() throws InterruptedException {
        for (Domain d : started) {
            assertThat(d.awaitDeath(20, TimeUnit.SECONDS)).as("%s reclaimed", d.name()).isTrue();
        }
        assertThat(hv.domains()).isEmpty();
        assertThat(hv.freeFrames()).as("every frame back").isEqualTo(freeAtBoot);
    }

    @Test
    @DisplayName("the accepting domain gets the reserved id the offer names, and the offer and the offering domid on its command line")
    void shouldCreateTheAcceptingDomainFromTheOffer() throws Exception {
        offering(End.POWEROFF, "booting", "test: offer gref=9 port=3 peer=$PEER", "offered");

        List<Domain> pair = launch(PLAN);

        Domain offer = pair.get(0);
        Domain accept = pair.get(1);
        assertThat(offer.config().cmdline()).isEqualTo("peer=" + accept.domid() + " rounds=5");
        assertThat(accept.config().cmdline()).isEqualTo("peer=" + offer.domid() + " gref=9 port=3 rounds=5");
        assertThat(accept.awaitDeath(20, TimeUnit.SECONDS)).isTrue();
        assertThat(accept.console().lines()).containsExactly("accepted with 'peer=" + offer.domid() + " gref=9 port=3 rounds=5'");
        assertThat(accept.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        assertNothingLeft();
    }

    @Test
    @DisplayName("an offering domain that prints no offer line fails the launch after the plan's timeout, and is shut down")
    void shouldFailWhenNoOfferLineComesInTime() throws Exception {
        offering(End.BLOCK, "booting", "test: offers nothing");
        LaunchPlan quick = new LaunchPlan(LaunchPlan.Kind.OFFER_ACCEPT, "test: offer ", Duration.ofSeconds(1),
                "offering", "accepting");

        assertThatThrownBy(() -> launch(quick))
                .isInstanceOf(LaunchException.class)
                .hasMessage("domain 'offering' (" + started.get(0).domid() + ") printed no offer line "
                        + "('test: offer gref=<n> port=<p> peer=<domid>') within 1 s");

        assertThat(started).hasSize(1);
        assertThat(started.get(0).shutdownReason()).isEqualTo(Shutdown.CRASH);
        assertThat(started.get(0).crashCause()).startsWith("launch failed: ");
        assertNothingLeft();
    }

    @Test
    @DisplayName("an offering domain that powers off first fails the launch at once, not after the timeout")
    void shouldFailAtOnceWhenTheOfferingDomainPowersOffFirst() throws Exception {
        offering(End.POWEROFF, "booting");
        LaunchPlan patient = new LaunchPlan(LaunchPlan.Kind.OFFER_ACCEPT, "test: offer ", Duration.ofMinutes(10),
                "offering", "accepting");

        assertThatThrownBy(() -> launch(patient))
                .isInstanceOf(LaunchException.class)
                .hasMessageEndingWith("powered off before it printed its offer line");
        assertNothingLeft();
    }

    @Test
    @DisplayName("an offering domain that crashes first fails the launch with its crash")
    void shouldFailWhenTheOfferingDomainCrashesFirst() throws Exception {
        offering(End.CRASH, "booting");

        assertThatThrownBy(() -> launch(PLAN))
                .isInstanceOf(LaunchException.class)
                .hasMessageContaining("domain 'offering'")
                .hasMessageContaining("crashed")
                .hasMessageEndingWith("before it printed its offer line");
        assertNothingLeft();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "test: offer gref=9 port=3",
        "test: offer gref=nine port=3 peer=$PEER",
        "test: offer gref=9 port=0 peer=$PEER",
        "test: offer gref=9 port=3 peer=$PEER ring=1",
        "test: offer gref=9 gref=9 port=3 peer=$PEER",
        "test: offer ",
    })
    @DisplayName("a malformed offer line fails the launch naming the line, and the offering domain is shut down")
    void shouldFailOnAMalformedOfferLine(String line) throws Exception {
        offering(End.BLOCK, line);

        assertThatThrownBy(() -> launch(PLAN))
                .isInstanceOf(LaunchException.class)
                .hasMessageContaining("printed a malformed offer line 'test: offer");
        assertThat(started).hasSize(1);
        assertNothingLeft();
    }

    @Test
    @DisplayName("an offer for another domain than the reserved one fails the launch")
    void shouldFailOnAnOfferForAnotherDomain() throws Exception {
        offering(End.BLOCK, "test: offer gref=9 port=3 peer=4000");

        assertThatThrownBy(() -> launch(PLAN))
                .isInstanceOf(LaunchException.class)
                .hasMessageContaining("offered to domain 4000, but the accepting domain 'accepting' is domain");
        assertNothingLeft();
    }

    @Test
    @DisplayName("after a failed launch the reserved id is free again")
    void shouldReleaseTheReservedIdWhenTheLaunchFails() throws Exception {
        offering(End.POWEROFF, "booting");
        assertThatThrownBy(() -> launch(PLAN)).isInstanceOf(LaunchException.class);
        String peer = started.get(0).config().cmdline().replaceAll("^peer=(\\d+).*", "$1");

        assertThat(hv.releaseDomid(Integer.parseInt(peer))).as("no reservation left behind").isFalse();
    }
}
