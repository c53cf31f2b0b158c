package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.cli.relay.XenstoredSocket;
import org.parasol.hypercall.abi.XsWire;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * Hostile clients of xenstored's socket, with raw bytes: a header announcing more than 4096
 * payload bytes, garbage types, a client that never reads its replies or its watch events,
 * more clients than the bound, and churn. The relay and the store go on serving the others,
 * nothing a client does makes the host or dom0 hold more than a bounded amount for it, and
 * every slot, page and port comes back.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class XenstoredSocketHostileTest {
    private static final int MAX_CLIENTS = 4;

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    @TempDir
    Path tmp;
    private Hypervisor hv;
    private XenstoredSocket socket;
    private Domain dom0;
    private final List<String> socketLog = new CopyOnWriteArrayList<>();

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20)));
        hv.setKernelSource(TreeImages.dom0AndExamples());
        socket = XenstoredSocket.open(tmp.resolve("xenstored"), hv.hostRelay(), MAX_CLIENTS, socketLog::add);
        Dom0Module module = new Dom0Module().add(new DomainConfig("ticker", 4096, 4096, 1, "ticker",
                "ticks=100000 period=1000", false, DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY,
                DomainConfig.Action.DESTROY), DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY,
                DomainConfig.Action.DESTROY);
        dom0 = hv.createDom0(new DomainConfig("Domain-0", 16 * 1024, 16 * 1024, 1, "dom0", "", true,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE),
                module.bytes());
        try (RawXsClient c = client()) {
            awaitTrue("d1 is in the store", () -> {
                try {
                    return c.call(XsWire.XS_READ, "/local/domain/1/name").type() == XsWire.XS_READ;
                } catch (java.io.IOException e) {
                    return false;
                }
            });
        }
    }

    @AfterEach
    void close() {
        socket.close();
        hv.close();
        assertThat(hv.unhandledExceptions()).isZero();
    }

    private RawXsClient client() throws java.io.IOException {
        return new RawXsClient(socket.path());
    }

    private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** A well-behaved client's read of dom0's name, answered. */
    private static void assertServes(RawXsClient c) throws java.io.IOException {
        RawXsClient.Msg m = c.call(XsWire.XS_READ, "/local/domain/0/name");
        assertThat(m).isNotNull();
        assertThat(m.type()).isEqualTo(XsWire.XS_READ);
        assertThat(m.text()).isEqualTo("Domain-0");
    }

    @Test
    @DisplayName("a header announcing 4097 payload bytes ends that client (XENSTORE_ERROR_PROTO, the socket closed); "
            + "another client is served before and after")
    void shouldEndOnlyTheClientWhoseHeaderIsTooLong() throws Exception {
        try (RawXsClient good = client(); RawXsClient bad = client()) {
            assertServes(good);
            ByteBuffer header = ByteBuffer.allocate(XsWire.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(XsWire.XS_WRITE).putInt(1).putInt(0).putInt(XsWire.XENSTORE_PAYLOAD_MAX + 1).flip();
            bad.send(header, 10);
            try {
                bad.send(ByteBuffer.allocate(2000), 10); // some of the payload it promised
            } catch (java.io.IOException closedAlready) {
                // the relay may close the socket on the header alone, before these bytes go: a broken pipe then
            }
            assertThat(bad.closedWithin(30)).as("the relay closed the bad client's socket").isTrue();
            assertServes(good);
        }
        awaitTrue("dom0 logged the bad client", () -> dom0.console().lines().stream()
                .anyMatch(l -> l.startsWith("xenstored: socket client ") && l.contains("broke the protocol")));
        awaitTrue("every slot back", () -> hv.hostRelay().inUse() == 0);
    }

    @Test
    @DisplayName("garbage types and malformed requests are answered with XS_ERROR, and the same connection goes on")
    void shouldAnswerGarbageWithErrors() throws Exception {
        try (RawXsClient c = client()) {
            c.send(RawXsClient.message(12345, 1, 0, new byte[] {1, 2, 3}), 10);
            RawXsClient.Msg m = c.read(30);
            assertThat(m.type()).isEqualTo(XsWire.XS_ERROR);
            assertThat(m.text()).isEqualTo("ENOSYS\0");
            c.send(RawXsClient.message(XsWire.XS_READ, 2, 0, "no NUL, a relative path".getBytes()), 10);
            assertThat(c.read(30).type()).isEqualTo(XsWire.XS_ERROR);
            c.send(RawXsClient.message(XsWire.XS_WATCH_EVENT, 3, 0, new byte[0]), 10);
            assertThat(c.read(30).text()).isEqualTo("EINVAL\0");
            c.send(RawXsClient.message(XsWire.XS_READ, 4, 99, "/local\0".getBytes()), 10);
            assertThat(c.read(30).type()).as("an unknown transaction").isEqualTo(XsWire.XS_ERROR);
            assertServes(c);
        }
    }

    @Test
    @DisplayName("a client that never reads its replies nor its watch events: its writes stop being taken after a bounded "
            + "amount, and other clients are served meanwhile")
    void shouldBoundAClientThatNeverReads() throws Exception {
        try (RawXsClient deaf = client(); RawXsClient writer = client(); RawXsClient other = client()) {
            deaf.send(RawXsClient.request(XsWire.XS_WATCH, 1, "/tool/flood", "t"), 10);
            // Watch events for the deaf client, far more than it would ever be given room for.
            for (int i = 0; i < 3000; i++) {
                writer.send(RawXsClient.request(XsWire.XS_WRITE, i, "/tool/flood", "x".repeat(100)), 10);
            }
            // Requests from the deaf client, as fast as the socket takes them, for a few seconds.
            ByteBuffer read = RawXsClient.request(XsWire.XS_READ, 2, "/local/domain/0/name");
            long taken = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
            while (System.nanoTime() < end) {
                read.rewind();
                int n = deaf.offer(read);
                taken += n;
                if (n == 0) {
                    Thread.sleep(5);
                }
            }
            assertThat(taken).as("bytes the never-reading client got written: kernel socket buffers and one ring, not"
                    + " an unbounded queue").isLessThan(16L << 20);
            assertServes(other);
            // The writer reads its 3000 replies: they were all answered.
            int replies = 0;
            RawXsClient.Msg m;
            while (replies < 3000 && (m = writer.read(30)) != null) {
                assertThat(m.type()).isEqualTo(XsWire.XS_WRITE);
                replies++;
            }
            assertThat(replies).isEqualTo(3000);
            assertServes(other);
        }
        awaitTrue("every slot back once the clients left", () -> hv.hostRelay().inUse() == 0);
        try (RawXsClient again = client()) {
            assertServes(again);
        }
    }

    @Test
    @DisplayName("a socket that cannot be bound (its folder does not exist) is refused with an IOException naming the "
            + "path, and its event loop's thread does not outlive the refusal")
    void shouldLetGoOfTheLoopWhenTheBindFails(@TempDir Path tmp) throws Exception {
        Path nowhere = tmp.resolve("no-such-folder").resolve("xenstored");
        assertThatThrownBy(() -> XenstoredSocket.open(nowhere, hv.hostRelay(), 4, line -> { }))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining(nowhere.toString());
        awaitTrue("the refused socket's loop thread ends", () -> Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive).filter(t -> t.getName().startsWith("xenstored-socket"))
                .count() == 1); // the fixture's own socket's loop, and no other
    }

    @Test
    @DisplayName("clients beyond the bound are turned away with a log line; once others leave, new ones are served; "
            + "a hundred short connections leave no slot behind")
    void shouldBoundTheClientsAndReclaimTheirSlots() throws Exception {
        List<RawXsClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_CLIENTS; i++) {
                RawXsClient c = client();
                clients.add(c);
                assertServes(c);
            }
            try (RawXsClient extra = client()) {
                assertThat(extra.closedWithin(30)).as("the client past the bound is closed").isTrue();
            }
            assertThat(socketLog).anyMatch(l -> l.equals("refused a client: " + MAX_CLIENTS + " connected already"));
            assertThat(socket.refused()).isEqualTo(1);
            for (RawXsClient c : clients) {
                assertServes(c);
            }
        } finally {
            for (RawXsClient c : clients) {
                c.close();
            }
        }
        awaitTrue("every slot back", () -> hv.hostRelay().inUse() == 0 && socket.connected() == 0);
        for (int i = 0; i < 100; i++) {
            try (RawXsClient c = client()) {
                assertServes(c);
            }
        }
        awaitTrue("every slot back after the churn", () -> hv.hostRelay().inUse() == 0 && socket.connected() == 0);
        assertThat(dom0.console().lines()).noneMatch(l -> l.contains("cannot be attached") || l.contains("no page"));
    }
}
