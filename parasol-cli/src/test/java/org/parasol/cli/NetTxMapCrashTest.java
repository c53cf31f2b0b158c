package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.testing.GrantMaps;

/**
 * TX by grant map ({@code xen_netback.tx_map=1}) when a front end crashes while dom0 holds
 * maps of its TX pages: a flooding front end (netping {@code role=flood}) is crashed by the
 * test at a moment when dom0's maptrack holds read-only maps of its grants (dom0 paused to
 * keep them there while the crash is made); dom0 then unmaps them, the crashed domain is
 * destroyed with nothing left mapped or pinned and every frame back in the free pool
 * ({@link RunOutcome}'s leak check), and a netping pair on the same bridge goes on.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetTxMapCrashTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("a front end crashed with TX grants mapped by dom0: every map undone, no frame leaked, the pair goes on")
    void shouldUndoEveryMapOfACrashedFrontEnd() throws IOException {
        Path echo = NetGuestCfg.write(dir, "echo", "netping", "role=echo");
        Path flood = NetGuestCfg.write(dir, "flood", "netping", "role=flood");
        Path ping = NetGuestCfg.write(dir, "ping", "netping", "role=ping count=300 size=1514");
        AtomicInteger outstanding = new AtomicInteger(-1);
        AtomicReference<Throwable> failure = new AtomicReference<>();

        RunOutcome o = RunOutcome.of(hv -> Thread.ofPlatform().daemon().name("crasher").start(() -> {
            try {
                outstanding.set(crashWithMapsOutstanding(hv));
            } catch (Throwable t) {
                failure.set(t);
            }
        }), "--dom0-cmdline=xen_netback.tx_map=1", echo.toString(), flood.toString(), ping.toString());

        assertThat(failure.get()).as(o.out()).isNull();
        assertThat(outstanding.get()).as(o.out()).isPositive();
        assertThat(o.out()).contains("[flood] netping: flooding as ")
                .contains("domain crashed: test: crashed with TX grants mapped by dom0")
                .containsPattern("\\[ping\\] netping: 300 replies from ")
                .containsPattern("(?m)^echo\\s+1 poweroff").containsPattern("(?m)^ping\\s+3 poweroff");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "netback: vif2\\.0: .*TX by map: (\\d+) slots mapped, (\\d+) unmapped").matcher(o.out());
        assertThat(m.find()).as(o.out()).isTrue();
        assertThat(Long.parseLong(m.group(1))).isPositive().isEqualTo(Long.parseLong(m.group(2)));
    }

    /**
     * Waits for the flood, then until dom0 holds read-only (TX) maps of the flooder's grants;
     * pauses dom0 so they stay, crashes the flooder, unpauses dom0. How many maps were held.
     */
    private static int crashWithMapsOutstanding(Hypervisor hv) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Domain flooder = null;
        Domain dom0 = null;
        while (System.nanoTime() < deadline && flooder == null) {
            for (Domain d : hv.domains()) {
                if (d.domid() == 0) {
                    dom0 = d;
                } else if (d.name().equals("flood") && d.console().lines().stream().anyMatch(l -> l.contains("flooding as"))) {
                    flooder = d;
                }
            }
            Thread.sleep(5);
        }
        if (flooder == null || dom0 == null) {
            throw new AssertionError("the flood never started");
        }
        while (System.nanoTime() < deadline) {
            if (txMaps(hv, flooder.domid()) > 0) {
                dom0.pause();
                try {
                    Thread.sleep(20); // dom0's vCPU stops at its next safe point
                    int held = txMaps(hv, flooder.domid());
                    if (held > 0) {
                        flooder.crash("test: crashed with TX grants mapped by dom0 (" + held + ")");
                        return held;
                    }
                } finally {
                    dom0.unpause();
                }
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("dom0 never held a TX map of the flooder");
    }

    /** Read-only maps in dom0's maptrack of {@code granter}'s grants: TX slots (its ring maps are writable). */
    private static int txMaps(Hypervisor hv, int granter) {
        return GrantMaps.of(hv, 0, granter, true);
    }

}
