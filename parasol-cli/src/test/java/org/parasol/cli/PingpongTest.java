package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.parasol.architecture.ParasolModules;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.ImageRepository;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * The packaged {@code pingpong} image run as its launch plan says, built by dom0 on a
 * hypervisor of the test's own, so that what the domains leave behind can be counted: the
 * device dom0 wrote into the store goes with the domains (dom0's node count at the end is its
 * count at boot), and every machine frame (the ring page that was granted and mapped, the store
 * pages) is back in the free pool. Then the same with a front end that lies: the back end fails
 * with a message, dom0 reaps both, and the store and the frames come back all the same.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PingpongTest {
    private static final Pattern NODES_UP = Pattern.compile("dom0: xenstored up: (\\d+) nodes");
    private static final Pattern NODES_LEFT = Pattern.compile(
            "dom0: xenstored: (\\d+) nodes left; /local/domain lists \\[0\\]; 0 rings connected");

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;
    private final CountDownLatch dom0Ended = new CountDownLatch(1);
    /** Each built domain's console by name, taken when it shut down (dom0 destroys it right after), and how it ended. */
    private final Map<String, List<String>> consoles = new ConcurrentHashMap<>();
    private final Map<String, Integer> reasons = new ConcurrentHashMap<>();

    @BeforeEach
    void boot() {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20)));
        Path root = ParasolModules.root();
        hv.setKernelSource(Hypervisor.images(new ImageLoader(new ImageRepository(List.of(
                root.resolve("pv-toolstack/target/images"), ImageRepository.defaultDirectory())))));
        hv.onShutdown(d -> {
            if (d.domid() == 0) {
                dom0Ended.countDown();
            } else {
                consoles.put(d.name(), List.copyOf(d.console().lines()));
                reasons.put(d.name(), d.shutdownReason());
            }
        });
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    /** dom0 with a boot module of {@code image}'s launch plan, every domain given {@code cmdline}; returns dom0's console. */
    private List<String> runPlan(String image, String cmdline) throws Exception {
        LaunchPlan plan = LaunchPlan.read(ImageRepository.defaultDirectory(), image);
        Dom0Module module = new Dom0Module();
        for (LaunchPlan.Member m : plan.domains()) {
            List<String> devices = new ArrayList<>();
            for (LaunchPlan.Device d : m.devices()) {
                devices.add(d.value(""));
            }
            module.add(DomainConfig.of(m.name(), m.image(), 4).withCmdline(cmdline), DomainConfig.Action.DESTROY,
                    DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY, devices);
        }
        byte[] bytes = module.bytes();
        long kib = 16 * 1024 + (bytes.length + 4095) / 4096 * 4;
        Domain dom0 = hv.createDom0(new DomainConfig("Domain-0", kib, kib, 1, "dom0", "", true,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE), bytes);
        assertThat(dom0Ended.await(90, TimeUnit.SECONDS)).as("dom0 powered off").isTrue();
        List<String> lines = List.copyOf(dom0.console().lines());
        assertThat(dom0.shutdownReason()).as(String.join("\n", lines)).isEqualTo(Shutdown.POWEROFF);
        hv.destroy(dom0);
        return lines;
    }

    /** dom0 says how many nodes the store had at boot and has at the end: the same number. */
    private static void assertStoreAsAtBoot(List<String> dom0) {
        String all = String.join("\n", dom0);
        Matcher up = NODES_UP.matcher(all);
        Matcher left = NODES_LEFT.matcher(all);
        assertThat(up.find()).as(all).isTrue();
        assertThat(left.find()).as(all).isTrue();
        assertThat(left.group(1)).as("nodes at the end, the devices' included, against nodes at boot")
                .isEqualTo(up.group(1));
    }

    @Test
    @DisplayName("pingpong through the store: dom0 adds ping's device served by pong, they run the XenbusState "
            + "handshake and the rounds, both power off, the store is as at boot and every frame comes back")
    void shouldExchangeTheRoundsAndLeaveNothingBehind() throws Exception {
        long freeAtBoot = hv.freeFrames();

        List<String> dom0 = runPlan("pingpong", "rounds=500");

        String all = String.join("\n", dom0);
        assertThat(dom0).as(all).anyMatch(l -> l.matches("dom0: built d1 \\(pong\\) from pingpong .*"))
                .anyMatch(l -> l.matches("dom0: d2 \\(ping\\): pingpong 0 served by d1 \\(pong\\)"))
                .contains("dom0: d1 (pong) shut down: poweroff; destroyed", "dom0: d2 (ping) shut down: poweroff; destroyed");
        List<String> ping = consoles.get("ping");
        List<String> pong = consoles.get("pong");
        String both = ping + "\n" + pong;
        assertThat(reasons).as(both).containsEntry("ping", Shutdown.POWEROFF).containsEntry("pong", Shutdown.POWEROFF);
        assertThat(ping).as(both).containsSubsequence(
                "pingpong: front end of device/pingpong/0, served by domain 1; 500 round trips, one at a time")
                .anyMatch(l -> l.matches("pingpong: published ring-ref \\d+ and event-channel \\d+; Initialised"))
                .anyMatch(l -> l.matches("pingpong: 500 round trips in .* ms: p50 .* us, p99 .* us, max .* us"))
                .noneMatch(l -> l.contains("still mapped"));
        assertThat(pong).as(both).containsSubsequence("pingpong: back end, waiting for a front end under backend/pingpong",
                "pingpong: serving backend/pingpong/2/0 for domain 2")
                .anyMatch(l -> l.matches("pingpong: mapped gref \\d+ of domain 2 at 0x[0-9a-f]+, bound its port \\d+ "
                        + "as local port \\d+; Connected"))
                .contains("pingpong: answered 500 pings; ring unmapped, port closed");
        assertStoreAsAtBoot(dom0);
        assertThat(hv.domains()).isEmpty();
        assertThat(hv.freeFrames()).as("every frame back").isEqualTo(freeAtBoot);
    }

    @ParameterizedTest(name = "lie={0}")
    @DisplayName("a front end that lies: the back end fails with a message naming the lie and switches Closed, the liar "
            + "sees it and powers off, dom0 reaps both; the store is as at boot and every frame comes back")
    @CsvSource(delimiter = '|', textBlock = """
            ring-ref | the front end's ring: ring-ref 'banana' is not a decimal number
            grant    | the front end's ring: map_grant_ref of gref 100 from d2: GNTST_
            port     | the front end's ring: bind_interdomain failed: -22
            no-ring  | the front end's ring: XS_READ /local/domain/2/device/pingpong/0/ring-ref: ENOENT
            """)
    void shouldFailTheBackEndCleanlyOnALie(String lie, String why) throws Exception {
        long freeAtBoot = hv.freeFrames();

        List<String> dom0 = runPlan("pingpong-liar", "lie=" + lie + " timeout=20");

        List<String> pong = consoles.get("pong");
        List<String> liar = consoles.get("liar");
        String both = String.join("\n", dom0) + "\n" + liar + "\n" + pong;
        assertThat(reasons).as(both).containsEntry("pong", Shutdown.CRASH).containsEntry("liar", Shutdown.POWEROFF);
        assertThat(pong).as(both).anyMatch(l -> l.startsWith("*** guest crash: java.lang.IllegalStateException: pingpong: "
                + why));
        // Closed, or gone already when the liar reads it (dom0 may have reaped the back end by then).
        assertThat(liar).as(both).anyMatch(l -> l.equals("pingpong-liar: the back end answered the lie with Closed (6)")
                || l.startsWith("pingpong-liar: the back end answered the lie with Unknown"));
        assertThat(dom0).as(both).contains("dom0: d1 (pong) shut down: crash; destroyed",
                "dom0: d2 (liar) shut down: poweroff; destroyed");
        assertStoreAsAtBoot(dom0);
        assertThat(hv.freeFrames()).as("every frame back").isEqualTo(freeAtBoot);
    }
}
