package org.parasol.toolstack.xenstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.kernel.ShutdownRequest;
import org.parasol.guest.kernel.ShutdownWatcher;
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.abi.XsWire;

/**
 * The guest kernel's watch on {@code control/shutdown} against xenstored's ring server, as
 * Linux's {@code drivers/xen/manage.c} behaves: the toolstack writes a request, the kernel
 * acknowledges it by writing {@code ""} in a transaction, asks the application, and shuts down
 * with the request's reason; what it does not handle it leaves in the node.
 */
class ShutdownWatcherTest {
    private static final String NODE = "/local/domain/1/control/shutdown";

    private XenbusHarness h;
    private XenbusHarness.Guest d1;
    private final List<ShutdownRequest> asked = new ArrayList<>();
    private final List<Integer> shutdowns = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    /** What the application's hook answers; null: comply at once. */
    private Promise<?> hookAnswer;
    private RuntimeException hookThrows;

    @BeforeEach
    void boot() {
        h = new XenbusHarness(XsQuota.DEFAULT);
        d1 = h.guest(1, -100);
        // What dom0 writes for a new domain: control/ read-only to it, control/shutdown its own.
        h.tool(XsWire.XS_WRITE, "/local/domain/1/control\0");
        h.tool(XsWire.XS_SET_PERMS, "/local/domain/1/control\0n0\0r1\0");
        for (String own : List.of("shutdown", "feature-poweroff", "feature-reboot", "feature-suspend")) {
            h.tool(XsWire.XS_WRITE, "/local/domain/1/control/" + own + "\0");
            h.tool(XsWire.XS_SET_PERMS, "/local/domain/1/control/" + own + "\0n1\0");
        }
    }

    private ShutdownWatcher watcher(boolean canSuspend) {
        ShutdownWatcher w = new ShutdownWatcher(d1.xenbus, d1.loop, canSuspend, new ShutdownWatcher.Actions() {
            @Override
            public Promise<?> request(ShutdownRequest request) {
                asked.add(request);
                if (hookThrows != null) {
                    throw hookThrows;
                }
                return hookAnswer;
            }

            @Override
            public void shutdown(int reason) {
                shutdowns.add(reason);
            }

            @Override
            public void log(String line) {
                log.add(line);
            }
        });
        h.await(w.start());
        return w;
    }

    private String node(String path) {
        return h.tool(XsWire.XS_READ, path + "\0");
    }

    private void toolstackWrites(String value) {
        h.tool(XsWire.XS_WRITE, NODE + "\0" + value);
        h.pump();
    }

    @Test
    @DisplayName("at start the kernel advertises feature-poweroff and feature-reboot, and feature-suspend only if it can "
            + "suspend (setup_shutdown_watcher); the watch's first event reads the empty node and does nothing")
    void shouldAdvertiseWhatItHandles() {
        watcher(false);

        assertThat(node("/local/domain/1/control/feature-poweroff")).isEqualTo("1");
        assertThat(node("/local/domain/1/control/feature-reboot")).isEqualTo("1");
        assertThat(node("/local/domain/1/control/feature-suspend")).as("left as dom0 made it").isEmpty();
        assertThat(asked).isEmpty();
        assertThat(shutdowns).isEmpty();
        assertThat(log).isEmpty();

        h = new XenbusHarness(XsQuota.DEFAULT);
        d1 = h.guest(1, 0);
        watcher(true);
        assertThat(node("/local/domain/1/control/feature-suspend")).isEqualTo("1");
    }

    @Test
    @DisplayName("xl shutdown writes poweroff: the kernel writes \"\" (acknowledges), asks the application and shuts down "
            + "with SHUTDOWN_poweroff")
    void shouldAcknowledgeAndPowerOff() {
        watcher(false);

        toolstackWrites("poweroff");

        assertThat(node(NODE)).as("acknowledged").isEmpty();
        assertThat(asked).containsExactly(ShutdownRequest.POWEROFF);
        assertThat(shutdowns).containsExactly(Shutdown.POWEROFF);
        assertThat(log).containsExactly("xen: shutdown request from the toolstack: poweroff");
    }

    @Test
    @DisplayName("a node the domain may not write (dom0 made it read-only) cannot be acknowledged, and the request is "
            + "carried out all the same, as Linux ignores the write's result")
    void shouldActWhenTheAcknowledgementIsRefused() {
        watcher(false);
        h.tool(XsWire.XS_SET_PERMS, NODE + "\0n0\0r1\0");

        toolstackWrites("poweroff");

        assertThat(node(NODE)).as("not acknowledged: EACCES").isEqualTo("poweroff");
        assertThat(shutdowns).containsExactly(Shutdown.POWEROFF);
    }

    @Test
    @DisplayName("halt powers off as poweroff does; reboot shuts down with SHUTDOWN_reboot")
    void shouldMapHaltAndReboot() {
        watcher(false);
        toolstackWrites("halt");
        assertThat(shutdowns).containsExactly(Shutdown.POWEROFF);
        assertThat(asked).containsExactly(ShutdownRequest.HALT);

        h = new XenbusHarness(XsQuota.DEFAULT);
        d1 = h.guest(1, 0);
        shutdowns.clear();
        watcher(false);
        toolstackWrites("reboot");
        assertThat(shutdowns).containsExactly(Shutdown.REBOOT);
    }

    @Test
    @DisplayName("the application's cleanup runs first: the domain shuts down only when the hook's promise completes")
    void shouldWaitForTheApplicationsCleanup() {
        hookAnswer = d1.loop.promise();
        watcher(false);

        toolstackWrites("poweroff");

        assertThat(node(NODE)).as("acknowledged at once").isEmpty();
        assertThat(asked).containsExactly(ShutdownRequest.POWEROFF);
        assertThat(shutdowns).as("the cleanup is still running").isEmpty();

        @SuppressWarnings("unchecked")
        Promise<Object> cleanup = (Promise<Object>) hookAnswer;
        cleanup.complete("done");
        h.pump();
        assertThat(shutdowns).containsExactly(Shutdown.POWEROFF);
    }

    @Test
    @DisplayName("a hook that throws or whose promise fails does not keep the domain up: it shuts down with the reason asked")
    void shouldShutDownWhenTheHookFails() {
        hookThrows = new IllegalStateException("cleanup broke");
        watcher(false);
        toolstackWrites("reboot");
        assertThat(shutdowns).containsExactly(Shutdown.REBOOT);
        assertThat(log).anyMatch(l -> l.contains("shutdown hook failed: java.lang.IllegalStateException: cleanup broke"));

        h = new XenbusHarness(XsQuota.DEFAULT);
        d1 = h.guest(1, 0);
        shutdowns.clear();
        hookThrows = null;
        Promise<Object> failing = d1.loop.promise();
        hookAnswer = failing;
        watcher(false);
        toolstackWrites("poweroff");
        failing.fail(new IllegalStateException("late failure"));
        h.pump();
        assertThat(shutdowns).containsExactly(Shutdown.POWEROFF);
    }

    @Test
    @DisplayName("suspend, which this kernel cannot do, is not acknowledged and only logged, as Linux without "
            + "CONFIG_HIBERNATE_CALLBACKS: 'Ignoring shutdown request: suspend'; a kernel that can suspend takes it")
    void shouldIgnoreSuspendItCannotDo() {
        watcher(false);

        toolstackWrites("suspend");

        assertThat(node(NODE)).as("left for the toolstack's timeout").isEqualTo("suspend");
        assertThat(asked).isEmpty();
        assertThat(shutdowns).isEmpty();
        assertThat(log).containsExactly("Ignoring shutdown request: suspend");

        h = new XenbusHarness(XsQuota.DEFAULT);
        d1 = h.guest(1, 0);
        watcher(true);
        toolstackWrites("suspend");
        assertThat(shutdowns).containsExactly(Shutdown.SUSPEND);
    }

    @Test
    @DisplayName("an unknown value is left in the node and quoted on the console, cut short and with unprintable bytes "
            + "replaced; an empty value and a removed node change nothing")
    void shouldIgnoreUnknownValues() {
        watcher(false);

        toolstackWrites("explode\u0001" + "x".repeat(200));
        toolstackWrites("");
        h.tool(XsWire.XS_RM, NODE + "\0");
        h.pump();

        assertThat(asked).isEmpty();
        assertThat(shutdowns).isEmpty();
        assertThat(log).containsExactly("Ignoring shutdown request: explode?" + "x".repeat(56) + "...");
    }

    @Test
    @DisplayName("once a request is taken, later ones are ignored and left unacknowledged (Linux's shutting_down)")
    void shouldTakeOnlyTheFirstRequest() {
        hookAnswer = d1.loop.promise();
        ShutdownWatcher w = watcher(false);
        toolstackWrites("poweroff");

        toolstackWrites("reboot");

        assertThat(w.taken()).isEqualTo(ShutdownRequest.POWEROFF);
        assertThat(node(NODE)).isEqualTo("reboot");
        assertThat(asked).containsExactly(ShutdownRequest.POWEROFF);
    }

    @Test
    @DisplayName("a flood of writes to control/shutdown costs the guest a bounded number of reads, and the request "
            + "after it is taken once")
    void shouldFoldAFloodOfEvents() {
        watcher(false);

        for (int i = 0; i < 300; i++) {
            h.tool(XsWire.XS_WRITE, NODE + "\0junk" + i);
        }
        assertThat(d1.xenbus.waiting()).isZero();
        h.pump();
        toolstackWrites("poweroff");

        assertThat(d1.xenbus.broken()).isNull();
        assertThat(asked).containsExactly(ShutdownRequest.POWEROFF);
        assertThat(shutdowns).containsExactly(Shutdown.POWEROFF);
        assertThat(log.size()).as("one line per read, far fewer than the writes").isLessThan(10);
    }
}
