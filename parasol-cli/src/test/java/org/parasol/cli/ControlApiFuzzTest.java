package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.parasol.control.client.ControlClient;
import org.parasol.control.v1.BlockOp;
import org.parasol.control.v1.BlockRequest;
import org.parasol.control.v1.DestroyDomainRequest;
import org.parasol.control.v1.DomainRef;
import org.parasol.control.v1.PauseDomainRequest;
import org.parasol.control.v1.Request;
import org.parasol.control.v1.Response;
import org.parasol.control.v1.ShutdownDomainRequest;
import org.parasol.control.v1.StatisticsRequest;
import org.parasol.control.v1.StreamCancelRequest;
import org.parasol.control.v1.UnpauseDomainRequest;

/**
 * Random bytes, and random well-formed requests that are wrong (domains that are not there,
 * domain 0, out-of-range numbers, streams that do not exist), sent to a real host: every one gets
 * an error or the connection is dropped, and a fresh client is served after each.
 */
class ControlApiFuzzTest {
    static HostProcess host;

    @BeforeContainer
    static void start() throws Exception {
        host = HostProcess.start();
    }

    @AfterContainer
    static void stop() throws Exception {
        if (host != null) {
            assertThat(host.terminate()).as(host.output()).isZero();
            host.close();
        }
    }

    @Property(tries = 150)
    @Label("Random bytes as a frame: an error reply or a dropped connection, and the host serves on")
    void randomBytes(@ForAll byte[] body) throws Exception {
        try (ControlClient c = ControlClient.connect(host.socket)) {
            c.sendRaw(body);
            c.send(c.request().setList(org.parasol.control.v1.ListDomainsRequest.getDefaultInstance()).build());
            try {
                Response r = c.read();
                // Either the bytes happened to be a Request (of version 0: refused), or not one at all.
                assertThat(r.hasError() || r.hasDomains()).as("%s", r).isTrue();
            } catch (IOException dropped) {
                // dropped: allowed
            }
        }
        HostProcess.assertServes(host.socket);
    }

    @Provide
    Arbitrary<Request> wrongRequests() {
        Arbitrary<DomainRef> refs = Arbitraries.oneOf(
                Arbitraries.integers().between(0, Integer.MAX_VALUE).map(i -> DomainRef.newBuilder().setDomid(i).build()),
                Arbitraries.strings().ofMaxLength(80).map(s -> DomainRef.newBuilder().setName(s).build()),
                Arbitraries.just(DomainRef.getDefaultInstance()));
        return Arbitraries.oneOf(
                refs.map(d -> Request.newBuilder().setDestroy(DestroyDomainRequest.newBuilder().setDomain(d))),
                refs.map(d -> Request.newBuilder().setPause(PauseDomainRequest.newBuilder().setDomain(d))),
                refs.map(d -> Request.newBuilder().setUnpause(UnpauseDomainRequest.newBuilder().setDomain(d))),
                refs.map(d -> Request.newBuilder().setShutdown(ShutdownDomainRequest.newBuilder().setDomain(d))),
                refs.map(d -> Request.newBuilder().setBlock(BlockRequest.newBuilder().setDomain(d).setOp(BlockOp.BLOCK_OP_LIST))),
                Arbitraries.integers().between(1, 99).map(i -> Request.newBuilder()
                        .setStatistics(StatisticsRequest.newBuilder().setIntervalMs(i))),
                Arbitraries.longs().map(i -> Request.newBuilder().setCancel(StreamCancelRequest.newBuilder().setStreamId(i))))
                .map(b -> b.setVersion(ControlClient.VERSION).setId(7).build());
    }

    @Property(tries = 150)
    @Label("Well-formed but wrong requests: each an errno with its Xen name")
    void wrongButValid(@ForAll("wrongRequests") Request r) throws Exception {
        try (ControlClient c = ControlClient.connect(host.socket)) {
            Response resp = c.call(r);
            assertThat(resp.hasError()).as("%s -> %s", r, resp).isTrue();
            assertThat(resp.getError().getName()).matches("E[A-Z]+");
        }
    }
}
