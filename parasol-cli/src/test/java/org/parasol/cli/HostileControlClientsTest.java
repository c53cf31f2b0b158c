package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.control.client.ControlClient;
import org.parasol.control.v1.ConsoleAttachRequest;
import org.parasol.control.v1.DomainRef;
import org.parasol.control.v1.ListDomainsRequest;
import org.parasol.control.v1.Request;
import org.parasol.control.v1.Response;
import org.parasol.control.v1.StatisticsRequest;
import org.parasol.control.v1.WatchEventsRequest;

/**
 * Hostile clients of a real {@code parasol host}: each gets an error or is dropped, and the host
 * goes on serving the others (checked by a fresh client's list after each).
 */
class HostileControlClientsTest {
    static HostProcess host;

    @BeforeAll
    static void start() throws Exception {
        host = HostProcess.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) {
            assertThat(host.terminate()).as(host.output()).isZero();
            host.close();
        }
    }

    private static Request list(ControlClient c) {
        return c.request().setList(ListDomainsRequest.getDefaultInstance()).build();
    }

    @Test
    @DisplayName("A frame over 1 MiB gets EMSGSIZE and the connection is closed")
    void shouldRefuseAnOversizedFrame() throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(host.socket));
            ByteBuffer b = ByteBuffer.allocate(4 + 64);
            b.putInt(ControlClient.MAX_FRAME + 1).put(new byte[64]).flip();
            ch.write(b);
            ByteBuffer in = ByteBuffer.allocate(4096);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ch.read(in) >= 0 && System.nanoTime() < until) {
                // until the host closes
            }
            in.flip();
            int len = in.getInt();
            Response r = Response.parseFrom(java.util.Arrays.copyOfRange(in.array(), 4, 4 + len));
            assertThat(r.getError().getName()).isEqualTo("EMSGSIZE");
        }
        HostProcess.assertServes(host.socket);
    }

    @Test
    @DisplayName("Malformed bytes, a wrong version, no operation, unknown fields, an unknown virt: an errno each, and the"
            + " connection serves on")
    void shouldAnswerWrongRequestsWithErrnos() throws Exception {
        try (ControlClient c = ControlClient.connect(host.socket)) {
            c.sendRaw(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x07});
            assertThat(c.read().getError().getName()).isEqualTo("EINVAL");
            Response old = c.call(Request.newBuilder().setVersion(0).setId(5).setList(ListDomainsRequest.getDefaultInstance()).build());
            assertThat(old.getError().getName()).isEqualTo("EPROTONOSUPPORT");
            assertThat(old.getError().getMessage()).contains("version 1").contains("older client");
            Response none = c.call(c.request().build());
            assertThat(none.getError().getName()).isEqualTo("EINVAL");
            // A field this version does not know (number 999, a varint) is skipped, as proto3 does.
            byte[] known = list(c).toByteArray();
            byte[] withUnknown = java.util.Arrays.copyOf(known, known.length + 3);
            withUnknown[known.length] = (byte) 0xb8; // field 999, varint: (999 << 3) = 7992 = 0xb8 0x3e
            withUnknown[known.length + 1] = 0x3e;
            withUnknown[known.length + 2] = 0x01;
            c.sendRaw(withUnknown);
            Response r = c.read();
            assertThat(r.hasError()).as("%s", r).isFalse();
            assertThat(r.getDomains().getDomainsCount()).isPositive();
            Response nobody = c.call(c.request().setConsole(ConsoleAttachRequest.newBuilder()
                    .setDomain(DomainRef.newBuilder().setName("nobody"))).build());
            assertThat(nobody.getError().getName()).isEqualTo("ESRCH");
            // A virt the host does not know, past the CLI's own check: EINVAL, nothing built.
            Response hvm = c.call(c.request().setCreate(org.parasol.control.v1.CreateDomainRequest.newBuilder()
                    .setConfig(org.parasol.control.v1.DomainConfig.newBuilder().setName("hvm1").setKernel("hello")
                            .setMemoryMib(4).setVcpus(1).setVirt("hvm"))).build());
            assertThat(hvm.getError().getName()).as("%s", hvm).isEqualTo("EINVAL");
            assertThat(hvm.getError().getMessage()).contains("virt").contains("'hvm'");
        }
        HostProcess.assertServes(host.socket);
    }

    @Test
    @DisplayName("A client that never reads is dropped after the write-buffer water mark; the host serves on")
    void shouldDropAClientThatNeverReads() throws Exception {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(host.socket));
        byte[] req;
        try (ControlClient c = ControlClient.connect(host.socket)) {
            req = list(c).toByteArray();
        }
        ByteBuffer one = ByteBuffer.allocate(4 + req.length);
        one.putInt(req.length).put(req).flip();
        ByteBuffer many = ByteBuffer.allocate(one.remaining() * 4096);
        for (int i = 0; i < 4096; i++) {
            many.put(one.duplicate());
        }
        ExecutorService writer = Executors.newSingleThreadExecutor();
        Future<Boolean> dropped = writer.submit(() -> {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            try {
                while (System.nanoTime() < until) {
                    many.flip().position(0).limit(many.capacity());
                    while (many.hasRemaining()) {
                        ch.write(many); // blocks once the host stops reading; fails once it has closed
                    }
                }
                return false;
            } catch (IOException closed) {
                return true;
            }
        });
        try {
            assertThat(dropped.get(25, TimeUnit.SECONDS)).as("the host closed the connection").isTrue();
        } finally {
            ch.close();
            writer.shutdownNow();
        }
        HostProcess.assertServes(host.socket);
        try (ControlClient c = ControlClient.connect(host.socket)) {
            Response d = c.call(c.request().setDmesg(org.parasol.control.v1.DmesgRequest.getDefaultInstance()).build());
            assertThat(String.join("\n", d.getLines().getLinesList())).contains("dropped a client that does not read");
        }
    }

    @Test
    @DisplayName("100 clients at once each get their list")
    void shouldServeAHundredClientsAtOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(100);
        try {
            List<Future<Response>> answers = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                answers.add(pool.submit(() -> {
                    try (ControlClient c = ControlClient.connect(host.socket)) {
                        return c.call(list(c));
                    }
                }));
            }
            for (Future<Response> f : answers) {
                Response r = f.get(30, TimeUnit.SECONDS);
                assertThat(r.hasError()).isFalse();
                assertThat(r.getDomains().getDomainsCount()).isPositive();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("Clients that hang up mid-stream (console, events, statistics) leave the host serving")
    void shouldSurviveDisconnectsMidStream() throws Exception {
        for (int i = 0; i < 5; i++) {
            ControlClient c = ControlClient.connect(host.socket);
            c.send(c.request().setConsole(ConsoleAttachRequest.newBuilder().setDomain(DomainRef.newBuilder().setDomid(0))).build());
            c.send(c.request().setEvents(WatchEventsRequest.getDefaultInstance()).build());
            c.send(c.request().setStatistics(StatisticsRequest.newBuilder().setIntervalMs(100)).build());
            Response first = c.read();
            assertThat(first.hasError()).as("%s", first).isFalse();
            c.close();
        }
        HostProcess.assertServes(host.socket);
        try (ControlClient c = ControlClient.connect(host.socket)) {
            Request stats = c.request().setStatistics(StatisticsRequest.newBuilder().setIntervalMs(100)).build();
            c.send(stats);
            assertThat(c.read().getStatistics().getDomainsCount()).isPositive();
            Response cancelled = c.call(c.request().setCancel(org.parasol.control.v1.StreamCancelRequest.newBuilder()
                    .setStreamId(stats.getId())).build());
            assertThat(cancelled.hasError()).isFalse();
        } catch (EOFException e) {
            throw new AssertionError("the host closed a good client", e);
        }
    }
}
