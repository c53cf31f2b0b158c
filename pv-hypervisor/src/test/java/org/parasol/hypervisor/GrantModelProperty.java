package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.abi.Gntcopy;
import org.parasol.hypercall.abi.Gntmap;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.GrantTableCalls;
import org.parasol.hypercall.struct.GrantEntryV1;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.time.ManualClock;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * Random sequences of grant operations between a granter {@code a} and a mapper {@code b} —
 * the granter (re)writing entries at any time, ending access the guest's way, {@code b}
 * mapping read-only and writable, unmapping by handle (live or stale), copying through
 * references — checked after every step against a model of the shared entries, the pins, the
 * frames' reference counts and what each live mapping shows. At the end everything is
 * unmapped and both domains destroyed: every frame comes back.
 */
class GrantModelProperty {
    /** Mapping slots in b's address space: inside the bootstrap L1 over [4 MiB, 6 MiB). */
    static final long MAP_VA = 0x5C0000L;
    static final int SLOTS = 4;
    static final int REFS = 4;
    static final int FIRST_REF = 8;
    /** Frames a grant may name: a's two pages, and one of b's (not the granter's: bad_page). */
    static final int FRAMES = 3;
    /** Header flags the granter may write. */
    static final int[] GRANT_FLAGS = {0, Gtf.PERMIT_ACCESS, Gtf.PERMIT_ACCESS | Gtf.READONLY, Gtf.ACCEPT_TRANSFER};

    /** jqwik runs no JUnit extension: the container checks for leaks itself once it closed the host. */
    private static final LeakCheck LEAKS = new LeakCheck();
    private static Hypervisor hv;

    @BeforeContainer
    static void boot() {
        hv = LEAKS.track(Hypervisor.boot(HostConfig.defaults(32L << 20).withClock(new ManualClock()).withPcpus(1)));
    }

    @AfterContainer
    static void close() {
        hv.close();
        LEAKS.verify();
    }

    enum Kind { GRANT, END_ACCESS, MAP, UNMAP, UNMAP_STALE, COPY }

    /**
     * One operation. {@code ref} indexes the references, {@code slot} the mapping slots;
     * for GRANT {@code arg} picks the flags, {@code frame} the frame and {@code toB} whether
     * the entry names b (else a stranger); for MAP {@code toB} means read-only.
     */
    record Step(Kind kind, int ref, int slot, int arg, int frame, boolean toB) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Combinators.combine(
                Arbitraries.of(Kind.class),
                Arbitraries.integers().between(0, REFS - 1),
                Arbitraries.integers().between(0, SLOTS - 1),
                Arbitraries.integers().between(0, GRANT_FLAGS.length - 1),
                Arbitraries.integers().between(0, FRAMES - 1),
                Arbitraries.of(true, true, true, false)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(40);
    }

    /** The model: shared entries as the hypervisor should leave them, pins and mappings. */
    private static final class Model {
        final int[] header = new int[REFS];
        final int[] frameOf = new int[REFS];
        final int[] readPins = new int[REFS];
        final int[] writePins = new int[REFS];
        final int[] activeFrame = new int[REFS];
        final int[] slotRef = {-1, -1, -1, -1};
        final boolean[] slotReadonly = new boolean[SLOTS];
        final long[] slotHandle = new long[SLOTS];
        long staleHandle = 1000;

        int pins(int r) {
            return readPins[r] + writePins[r];
        }
    }

    @Property(tries = 80, shrinking = ShrinkingMode.BOUNDED)
    void grantsFollowTheModelAfterEveryStep(@ForAll("steps") List<Step> steps) throws Exception {
        long freeBefore = hv.frames().freeFrames();
        BareGuest a = BareGuest.create(hv, "granter", 1024);
        BareGuest b = BareGuest.create(hv, "mapper", 1024);
        GrantTableCalls ga = new GrantTableCalls(a.cpu, new ArgumentPage(a.scratch));
        GrantTableCalls gb = new GrantTableCalls(b.cpu, new ArgumentPage(b.scratch));
        long[] table = new long[1];
        assertThat(ga.setupTable(DomId.SELF, table).status()).isEqualTo(Gntst.OKAY);
        MemorySegment m = hv.machine().segment();
        long[] mfn = {
            a.domain.vcpu(0).mmu().translate(a.scratch2, false) >>> 12,
            a.domain.vcpu(0).mmu().translate(a.scratch2 + 4096, false) >>> 12,
            b.domain.vcpu(0).mmu().translate(b.scratch2, false) >>> 12,
        };
        for (int f = 0; f < FRAMES; f++) {
            m.asSlice(MachineMemory.maddr(mfn[f]), 4096).fill((byte) (0xA0 + f));
        }
        long copyDest = b.scratch2 + 4096;
        long copyDestMfn = b.domain.vcpu(0).mmu().translate(copyDest, false) >>> 12;
        int[] baseRefs = {hv.frames().refCount(mfn[0]), hv.frames().refCount(mfn[1])};
        int bId = b.domain.domid();
        DomId aId = DomId.of(a.domain.domid());
        Model model = new Model();

        GrantFrame grants = new GrantFrame(m, table[0]);
        for (Step s : steps) {
            int r = s.ref();
            switch (s.kind()) {
                case GRANT -> {
                    int flags = GRANT_FLAGS[s.arg()];
                    int domid = s.toB() ? bId : 0x321;
                    grants.grant(FIRST_REF + r, domid, mfn[s.frame()], flags);
                    model.header[r] = GrantEntryV1.header(flags, domid);
                    model.frameOf[r] = s.frame();
                }
                case END_ACCESS -> {
                    int h = grants.header(FIRST_REF + r);
                    int flags = GrantEntryV1.headerFlags(h);
                    if ((flags & (Gtf.READING | Gtf.WRITING)) == 0) {
                        grants.setHeader(FIRST_REF + r, GrantEntryV1.header(0, GrantEntryV1.headerDomid(h)));
                        model.header[r] = GrantEntryV1.header(0, GrantEntryV1.headerDomid(h));
                    }
                }
                case MAP -> {
                    boolean ro = s.toB();
                    int expected = acquireOutcome(model, r, ro, bId);
                    int slot = s.slot();
                    boolean slotTaken = expected == Gntst.OKAY && model.slotRef[slot] >= 0;
                    if (slotTaken) {
                        expected = Gntst.GENERAL_ERROR; // a grant mapping is there already
                    }
                    var res = gb.mapGrantRef(MAP_VA + 4096L * slot, Gntmap.HOST_MAP | (ro ? Gntmap.READONLY : 0),
                            GrantRef.of(FIRST_REF + r), aId);
                    assertThat(res.status()).as("map %s", s).isEqualTo(expected);
                    if (slotTaken) {
                        // As Xen's map_grant_ref: the grant was acquired (status set) before the
                        // mapping failed, and the undo clears only what no remaining pin needs. A
                        // granter that rewrote a pinned entry's flags sees GTF_reading set again.
                        pin(model, r, ro, bId);
                        unpin(model, r, ro);
                    }
                    if (expected == Gntst.OKAY) {
                        pin(model, r, ro, bId);
                        model.slotRef[slot] = r;
                        model.slotReadonly[slot] = ro;
                        model.slotHandle[slot] = res.handle();
                    }
                }
                case UNMAP -> {
                    int slot = s.slot();
                    if (model.slotRef[slot] < 0) {
                        assertThat(gb.unmapGrantRef(MAP_VA + 4096L * slot, 0, model.staleHandle).status())
                                .isEqualTo(Gntst.BAD_HANDLE);
                    } else {
                        assertThat(gb.unmapGrantRef(MAP_VA + 4096L * slot, 0, model.slotHandle[slot]).status())
                                .as("unmap %s", s).isEqualTo(Gntst.OKAY);
                        unpin(model, model.slotRef[slot], model.slotReadonly[slot]);
                        model.slotRef[slot] = -1;
                        assertThat(b.domain.vcpu(0).mmu().translate(MAP_VA + 4096L * slot, false)).isNegative();
                    }
                }
                case UNMAP_STALE -> {
                    // A live handle at an address holding no grant mapping (one of b's own pages),
                    // or a handle that names nothing: refused, nothing changes.
                    int slot = s.slot();
                    boolean live = model.slotRef[slot] >= 0;
                    int st = gb.unmapGrantRef(b.scratch2, 0, live ? model.slotHandle[slot] : model.staleHandle).status();
                    assertThat(st).as("%s", s).isEqualTo(live ? Gntst.GENERAL_ERROR : Gntst.BAD_HANDLE);
                }
                case COPY -> {
                    int expected = acquireOutcome(model, r, true, bId);
                    var st = gb.copy(Gntcopy.SOURCE_GREF, FIRST_REF + r, aId, 0, copyDestMfn, DomId.SELF, 0, 16);
                    assertThat(st.status()).as("copy %s", s).isEqualTo(expected);
                    if (expected == Gntst.OKAY) {
                        int f = model.pins(r) > 0 ? model.activeFrame[r] : model.frameOf[r];
                        assertThat(b.mem.getByte(copyDest)).isEqualTo((byte) (0xA0 + f));
                        pin(model, r, true, bId);
                        unpin(model, r, true);
                    }
                }
            }
            check(model, a, b, grants, mfn, baseRefs);
        }

        for (int slot = 0; slot < SLOTS; slot++) {
            if (model.slotRef[slot] >= 0) {
                assertThat(gb.unmapGrantRef(MAP_VA + 4096L * slot, 0, model.slotHandle[slot]).status()).isEqualTo(Gntst.OKAY);
            }
        }
        assertThat(b.domain.maptrack().inUse()).isZero();
        assertThat(hv.destroy(a.domain)).isTrue();
        assertThat(hv.destroy(b.domain)).isTrue();
        assertThat(hv.frames().freeFrames()).as("no frame leaked").isEqualTo(freeBefore);
        assertThat(hv.unhandledExceptions()).isZero();
    }

    /** What acquiring {@code r} for {@code ldom} should answer, from the model. */
    private static int acquireOutcome(Model model, int r, boolean ro, int ldom) {
        boolean recheck = model.pins(r) == 0 || (!ro && model.writePins[r] == 0);
        if (recheck) {
            int flags = GrantEntryV1.headerFlags(model.header[r]);
            if ((flags & Gtf.TYPE_MASK) != Gtf.PERMIT_ACCESS || GrantEntryV1.headerDomid(model.header[r]) != ldom) {
                return Gntst.GENERAL_ERROR;
            }
            if (!ro && (flags & Gtf.READONLY) != 0) {
                return Gntst.GENERAL_ERROR;
            }
        }
        int frame = model.pins(r) > 0 ? model.activeFrame[r] : model.frameOf[r];
        return frame == 2 ? Gntst.BAD_PAGE : Gntst.OKAY;
    }

    private static void pin(Model model, int r, boolean ro, int ldom) {
        boolean setStatus = model.pins(r) == 0 || (!ro && model.writePins[r] == 0);
        if (setStatus) {
            int flags = GrantEntryV1.headerFlags(model.header[r]) | Gtf.READING | (ro ? 0 : Gtf.WRITING);
            model.header[r] = GrantEntryV1.header(flags, ldom);
        }
        if (model.pins(r) == 0) {
            model.activeFrame[r] = model.frameOf[r];
        }
        if (ro) {
            model.readPins[r]++;
        } else {
            model.writePins[r]++;
        }
    }

    private static void unpin(Model model, int r, boolean ro) {
        if (ro) {
            model.readPins[r]--;
        } else {
            model.writePins[r]--;
        }
        int clear = 0;
        if (!ro && model.writePins[r] == 0) {
            clear |= Gtf.WRITING;
        }
        if (model.pins(r) == 0) {
            clear |= Gtf.READING;
        }
        model.header[r] &= ~clear;
    }

    private static void check(Model model, BareGuest a, BareGuest b, GrantFrame grants, long[] mfn, int[] baseRefs) {
        int[] refs = baseRefs.clone();
        int live = 0;
        for (int r = 0; r < REFS; r++) {
            assertThat(grants.header(FIRST_REF + r)).as("header of ref %d", FIRST_REF + r).isEqualTo(model.header[r]);
            assertThat(a.domain.grants().pinOf(FIRST_REF + r)).as("pin of ref %d", FIRST_REF + r)
                    .isEqualTo((model.readPins[r] << 8) | model.writePins[r]);
            if (model.pins(r) > 0) {
                refs[model.activeFrame[r]] += model.pins(r);
            }
        }
        for (int f = 0; f < 2; f++) {
            assertThat(hv.frames().refCount(mfn[f])).as("references on a's frame %d", f).isEqualTo(refs[f]);
        }
        for (int slot = 0; slot < SLOTS; slot++) {
            long va = MAP_VA + 4096L * slot;
            if (model.slotRef[slot] < 0) {
                continue;
            }
            live++;
            int f = model.activeFrame[model.slotRef[slot]];
            assertThat(b.mem.getByte(va + 100)).as("slot %d shows frame %d", slot, f).isEqualTo((byte) (0xA0 + f));
            assertThat(b.domain.vcpu(0).mmu().translate(va, true) >= 0).as("slot %d writable", slot)
                    .isEqualTo(!model.slotReadonly[slot]);
        }
        assertThat(b.domain.maptrack().inUse()).isEqualTo(live);
    }
}
