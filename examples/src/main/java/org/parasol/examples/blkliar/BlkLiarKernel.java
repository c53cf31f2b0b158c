package org.parasol.examples.blkliar;

import java.util.ArrayList;
import java.util.List;

import org.parasol.drivers.blk.BlkRequest;
import org.parasol.drivers.blk.BlkResponse;
import org.parasol.drivers.blk.BlkifCodec;
import org.parasol.drivers.blk.Vbd;
import org.parasol.drivers.ring.FrontRing;
import org.parasol.drivers.ring.RingOverflowException;
import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.grant.GrantedPage;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.CommandLine;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.xenbus.Xenbus;
import org.parasol.guest.xenbus.XenbusWatch;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.abi.Blkif;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.XenbusState;
import org.parasol.hypercall.io.BlkifRequestSegment;

/**
 * blk-liar: a block front end that lies to dom0's block back end on purpose, one lie per
 * request, to show that every lie costs the liar its request and nothing else. It connects to
 * its two disks by hand (the first read-write, the second read-only: one queue, one ring page,
 * no features), then sends, one at a time, and prints each answer:
 *
 * <pre>
 *  ok-read            a good read (the control)                         expect  0 (okay)
 *  bad-gref           a reference this domain never granted             expect -1 (error)
 *  foreign-gref       a page granted to another domain, not dom0        expect -1
 *  too-many-segments  nr_segments 12                                    expect -1
 *  first-after-last   first_sect 5, last_sect 2                         expect -1
 *  last-outside-page  last_sect 8                                       expect -1
 *  beyond-disk        a sector past the end                             expect -1
 *  negative-sector    sector 2^64 - 1                                   expect -1
 *  reserved-op        BLKIF_OP_RESERVED_1                               expect -2 (not supported)
 *  unknown-op         operation 99                                      expect -2
 *  indirect-not-owned an indirect page reference never granted          expect -1
 *  indirect-zero      an indirect request of 0 segments                 expect -1
 *  indirect-ok        an indirect read of one good segment (a control)  expect  0
 *  indirect-foreign   an indirect page granted to another domain        expect -1
 *  indirect-bad-seg   an indirect page whose descriptor names a
 *                     reference never granted                           expect -1
 *  discard-beyond     a discard past the end                            expect -1
 *  write-read-only    a write to the read-only disk                     expect -1
 *  run-with-bad-gref  six reads pushed at once (one run, one batch of
 *                     dom0's grant I/O), the fifth naming a reference
 *                     never granted                                     expect  0 0 0 0 -1 0
 *  req-prod-far-ahead req_prod 1000 past the ring: dom0 closes that one disk
 *                     (with ring=backwards on the command line: req_prod 5 behind what
 *                     the back end consumed, req-prod-backwards)
 * </pre>
 * With {@code persistent=1} on the command line it offers {@code feature-persistent}, so the
 * back end maps the indirect pages it is given (and keeps them) instead of copying them.
 * Each line reads {@code blk-liar: <case>: status <s>}; the last one
 * {@code blk-liar: req-prod-far-ahead: the back end went Closed}. Then it powers off.
 */
public final class BlkLiarKernel extends ApplicationKernel {
    private static final String TAG = "blk-liar: ";

    private Kernel k;
    /** persistent=1: offer feature-persistent. */
    private boolean persistent;
    /** ring=backwards: the last lie puts req_prod behind what the back end took (ring=ahead, the default: far ahead). */
    private boolean backwards;
    private Xenbus xb;

    /** One disk, connected by hand. */
    private final class Conn {
        final int devid;
        String backendPath;
        DomId back;
        PageRun ringPage;
        GrantedPage ringGrant;
        FrontRing<BlkRequest, BlkResponse> ring;
        BoundPort port;
        Promise<BlkResponse> answer;
        /** The statuses of a run of requests sent at once, by id from runBase; how many are still out. */
        Promise<int[]> runAnswer;
        int[] runStatus;
        long runBase;
        int runLeft;
        final BlkResponse response = new BlkResponse();
        XenbusWatch watch;
        XenbusState backState = XenbusState.UNKNOWN;
        Promise<XenbusState> waitingFor;
        XenbusState wanted;

        Conn(int devid) {
            this.devid = devid;
        }

        String dir() {
            return "device/vbd/" + devid;
        }

        /** Completes when the back end's state is {@code s} (or later, for Closed). */
        Promise<XenbusState> await(XenbusState s) {
            waitingFor = k.loop().promise();
            wanted = s;
            check();
            return waitingFor;
        }

        void check() {
            if (waitingFor != null && !waitingFor.isDone() && backState.wire() >= wanted.wire()) {
                waitingFor.complete(backState);
            }
        }

        Promise<XenbusState> connect() {
            return xb.read(dir() + "/" + Vbd.BACKEND_ID).then(id -> {
                back = DomId.of(Integer.parseInt(id));
                return xb.read(dir() + "/" + Vbd.BACKEND);
            }).then(path -> {
                backendPath = path;
                watch = xb.watch(path + "/" + Vbd.STATE, p -> xb.readState(path + "/" + Vbd.STATE).whenDone((s, e) -> {
                    backState = e != null ? XenbusState.UNKNOWN : s;
                    check();
                }));
                return await(XenbusState.INIT_WAIT);
            }).then(s -> {
                ringPage = k.memory().allocatePages(1);
                ring = new FrontRing<>(new GuestMemoryBuffer(k.cpu().memory(), ringPage.va(), Mmu.PAGE_SIZE),
                        new BlkifCodec.Requests(), new BlkifCodec.Responses(), () -> port.notifyRemote()).init();
                ringGrant = k.grants().grantAccess(back, k.memory().mfn(ringPage.pfn()), false);
                port = k.events().allocUnbound(back, k.loop().deferred(p -> onEvent()));
                return xb.write(dir() + "/" + Vbd.RING_REF, Integer.toString(ringGrant.ref().value()));
            }).then(v -> xb.write(dir() + "/" + Vbd.EVENT_CHANNEL, Integer.toString(port.port().value())))
                    .then(v -> xb.write(dir() + "/" + Vbd.FEATURE_PERSISTENT,
                            persistent ? "1" : "0"))
                    .then(v -> xb.switchState(dir() + "/" + Vbd.STATE, XenbusState.INITIALISED))
                    .then(v -> await(XenbusState.CONNECTED));
        }

        void onEvent() {
            try {
                do {
                    while (ring.consumeResponse(response)) {
                        if (runAnswer != null && !runAnswer.isDone() && response.id >= runBase
                                && response.id < runBase + runStatus.length) {
                            runStatus[(int) (response.id - runBase)] = response.status;
                            if (--runLeft == 0) {
                                runAnswer.complete(runStatus);
                            }
                        } else if (answer != null && !answer.isDone()) {
                            answer.complete(response);
                        }
                    }
                } while (ring.finalCheckForResponses());
            } catch (RingOverflowException e) {
                k.println(TAG + "the back end broke the ring: " + e.getMessage());
            }
        }

        /** Requests with ids {@code base, base + 1, ...} pushed together: one notification, one run for the back end. */
        Promise<int[]> sendRun(List<BlkRequest> rs, long base) {
            runAnswer = k.loop().promise();
            runStatus = new int[rs.size()];
            runBase = base;
            runLeft = rs.size();
            for (BlkRequest r : rs) {
                ring.produceRequest(r);
            }
            ring.pushRequestsAndCheckNotify();
            return runAnswer;
        }

        Promise<BlkResponse> send(BlkRequest r) {
            answer = k.loop().promise();
            ring.produceRequest(r);
            ring.pushRequestsAndCheckNotify();
            return answer;
        }
    }

    /** The kernel class an image names needs a public no-argument constructor. */
    public BlkLiarKernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        new CommandLine("blk-liar")
                .number("persistent", 0, 1, v -> persistent = v == 1)
                .choice("ring", v -> backwards = v.equals("backwards"), "ahead", "backwards")
                .parse(k.commandLine());
        this.xb = k.xenbus();
        Conn rw = new Conn(Vbd.devid("xvda"));
        Conn ro = new Conn(Vbd.devid("xvdb"));
        PageRun data = k.memory().allocatePages(1);
        PageRun other = k.memory().allocatePages(1);
        List<String> results = new ArrayList<>();
        long[] sectorsOf = new long[1];
        return rw.connect().then(s -> ro.connect()).then(s -> xb.read(rw.backendPath + "/" + Vbd.SECTORS)).then(n -> {
            sectorsOf[0] = Vbd.number(Vbd.SECTORS, n, 0, Long.MAX_VALUE);
            GrantedPage good = k.grants().grantAccess(rw.back, k.memory().mfn(data.pfn()), false);
            // Granted to a domain that is not the back end: dom0 may not use it.
            GrantedPage foreign = k.grants().grantAccess(DomId.of(7), k.memory().mfn(other.pfn()), false);
            long sectors = sectorsOf[0];
            int g = good.ref().value();
            int unused = 400;
            // Indirect descriptor pages (granted read-only, as blkfront grants them): one good
            // segment; one naming a reference never granted; a good one granted to another domain.
            int indOk = indirectPage(rw.back, g, true);
            int indBad = indirectPage(rw.back, unused, true);
            int indForeign = indirectPage(DomId.of(7), g, true);
            List<Case> cases = List.of(
                    new Case("ok-read", rw, r -> r.direct(Blkif.OP_READ, 1, 0).segment(g, 0, 7)),
                    new Case("bad-gref", rw, r -> r.direct(Blkif.OP_READ, 2, 0).segment(unused, 0, 7)),
                    new Case("foreign-gref", rw, r -> r.direct(Blkif.OP_READ, 3, 0).segment(foreign.ref().value(), 0, 7)),
                    new Case("too-many-segments", rw, r -> {
                        r.direct(Blkif.OP_READ, 4, 0);
                        for (int i = 0; i < Blkif.MAX_SEGMENTS_PER_REQUEST; i++) {
                            r.segment(g, 0, 0);
                        }
                        r.nrSegments = 12;
                    }),
                    new Case("first-after-last", rw, r -> r.direct(Blkif.OP_READ, 5, 0).segment(g, 5, 2)),
                    new Case("last-outside-page", rw, r -> r.direct(Blkif.OP_READ, 6, 0).segment(g, 0, 8)),
                    new Case("beyond-disk", rw, r -> r.direct(Blkif.OP_WRITE, 7, sectors).segment(g, 0, 0)),
                    new Case("negative-sector", rw, r -> r.direct(Blkif.OP_WRITE, 8, -1L).segment(g, 0, 0)),
                    new Case("reserved-op", rw, r -> r.direct(Blkif.OP_RESERVED_1, 9, 0)),
                    new Case("unknown-op", rw, r -> r.direct(99, 10, 0)),
                    new Case("indirect-not-owned", rw, r -> {
                        r.direct(Blkif.OP_INDIRECT, 11, 0);
                        r.indirectOp = Blkif.OP_READ;
                        r.nrSegments = 1;
                        r.indirectGrefs[0] = unused;
                    }),
                    new Case("indirect-zero", rw, r -> {
                        r.direct(Blkif.OP_INDIRECT, 12, 0);
                        r.indirectOp = Blkif.OP_READ;
                        r.nrSegments = 0;
                        r.indirectGrefs[0] = g;
                    }),
                    new Case("indirect-ok", rw, r -> indirectRead(r, 15, indOk)),
                    new Case("indirect-foreign", rw, r -> indirectRead(r, 16, indForeign)),
                    new Case("indirect-bad-seg", rw, r -> indirectRead(r, 17, indBad)),
                    new Case("discard-beyond", rw, r -> {
                        r.direct(Blkif.OP_DISCARD, 13, sectors - 1);
                        r.nrSectors = 2;
                    }),
                    new Case("write-read-only", ro, r -> r.direct(Blkif.OP_WRITE, 14, 0).segment(roGrant(ro, data), 0, 7)));
            Promise<Void> chain = k.loop().completed(null);
            for (Case c : cases) {
                chain = chain.then(v -> {
                    BlkRequest r = new BlkRequest();
                    c.build().accept(r);
                    return c.conn().send(r).map(rsp -> {
                        k.println(TAG + c.name() + ": status " + rsp.status);
                        results.add(c.name());
                        return null;
                    });
                });
            }
            return chain.then(v -> {
                // A run: six reads of the good page pushed at once, the fifth naming a reference never granted.
                List<BlkRequest> run = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    BlkRequest r = new BlkRequest();
                    r.direct(Blkif.OP_READ, 21 + i, 8L * i).segment(i == 4 ? unused : g, 0, 7);
                    run.add(r);
                }
                return rw.sendRun(run, 21).map(st -> {
                    StringBuilder b = new StringBuilder(TAG + "run-with-bad-gref: statuses");
                    for (int x : st) {
                        b.append(' ').append(x);
                    }
                    k.println(b.toString());
                    return null;
                });
            });
        }).then(v -> {
            // The last lie: a producer index far beyond the ring, or behind what the back end took.
            // The back end must close this disk.
            k.cpu().memory().putIntRelease(rw.ringPage.va(), rw.ring.reqProdPvt() + (backwards ? -5 : 1000));
            rw.port.notifyRemote();
            return rw.await(XenbusState.CLOSED);
        }).map(s -> {
            k.println(TAG + (backwards ? "req-prod-backwards" : "req-prod-far-ahead")
                    + ": the back end went " + (s == XenbusState.CLOSED ? "Closed" : s.toString()));
            k.println(TAG + results.size() + " lies answered");
            return results.size();
        });
    }

    private GrantedPage roGrantPage;

    /** A page holding one descriptor (sectors 0-7 of {@code ref}), granted read-only to {@code to}; its reference. */
    private int indirectPage(DomId to, int ref, boolean readonly) {
        PageRun page = k.memory().allocatePages(1);
        new BlkifRequestSegment().wrap(new GuestMemoryBuffer(k.cpu().memory(), page.va(), Mmu.PAGE_SIZE), 0)
                .gref(ref).firstSect(0).lastSect(7);
        return k.grants().grantAccess(to, k.memory().mfn(page.pfn()), readonly).ref().value();
    }

    /** An indirect read of one segment, sector 0, through indirect page {@code page}. */
    private static void indirectRead(BlkRequest r, long id, int page) {
        r.direct(Blkif.OP_INDIRECT, id, 0);
        r.indirectOp = Blkif.OP_READ;
        r.nrSegments = 1;
        r.indirectGrefs[0] = page;
    }

    private int roGrant(Conn ro, PageRun data) {
        if (roGrantPage == null) {
            roGrantPage = k.grants().grantAccess(ro.back, k.memory().mfn(data.pfn()), true);
        }
        return roGrantPage.ref().value();
    }

    private record Case(String name, Conn conn, java.util.function.Consumer<BlkRequest> build) {
    }
}
