package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.Gntmap;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.GrantTableCalls;
import org.parasol.hypercall.guest.GrantTableCalls.MapResult;
import org.parasol.hypercall.struct.GnttabMapGrantRef;
import org.parasol.hypercall.struct.GnttabUnmapGrantRef;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.time.ManualClock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * map_grant_ref, unmap_grant_ref and unmap_and_replace through the PV MMU: a mapping reaches
 * the granter's frame, pins it with the busy bits set, leaves nothing behind when unmapped
 * (no pin, no reference, no stale TLB entry), survives the granter overwriting its entry or
 * dying, and is released with its mapper. Every refusal of the fact sheet's list.
 */
class GrantMapTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    /** Where b maps grants: inside the bootstrap L1 that covers [4 MiB, 6 MiB), beyond b's 1 MiB. */
    private static final long MAP_VA = 0x5C0000L;

    private Hypervisor hv;
    private BareGuest a;
    private BareGuest b;
    private GrantTableCalls gb;
    private long grantFrameA;
    /** a's grant frame, written from the host side. */
    private GrantFrame table;
    private long pageA;
    private long mfnA;

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withClock(new ManualClock()).withPcpus(1)));
        a = BareGuest.create(hv, "granter", 1024);
        b = BareGuest.create(hv, "mapper", 1024);
        GrantTableCalls ga = new GrantTableCalls(a.cpu, new ArgumentPage(a.scratch));
        gb = new GrantTableCalls(b.cpu, new ArgumentPage(b.scratch));
        long[] frames = new long[1];
        assertThat(ga.setupTable(DomId.SELF, frames).status()).isEqualTo(Gntst.OKAY);
        grantFrameA = frames[0];
        table = new GrantFrame(hv.machine().segment(), grantFrameA);
        pageA = a.scratch2;
        mfnA = a.domain.vcpu(0).mmu().translate(pageA, false) >>> 12;
        for (int i = 0; i < 4096; i++) {
            a.mem.putByte(pageA + i, (byte) (i * 3 + 1));
        }
        assertThat(hv.pageTables().l1EntryAddress(b.domain.domid(), b.domain.vcpu(0).baseMfn(), MAP_VA))
                .as("the test's mapping window has an L1").isPositive();
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    private MemorySegment machine() {
        return hv.machine().segment();
    }

    private void grant(int ref, int domid, long frame, int flags) {
        table.grant(ref, domid, frame, flags);
    }

    private int flags(int ref) {
        return table.flags(ref);
    }

    private DomId idA() {
        return DomId.of(a.domain.domid());
    }

    private MapResult map(long va, int flags, int ref) {
        return gb.mapGrantRef(va, flags, GrantRef.of(ref), idA());
    }

    private int unmap(long va, long handle) {
        return gb.unmapGrantRef(va, 0, handle).status();
    }

    private long translate(long va, boolean write) {
        return b.domain.vcpu(0).mmu().translate(va, write);
    }

    private long typeCount(long mfn) {
        return hv.frames().typeInfo(mfn) & FrameTable.PGT_COUNT_MASK;
    }

    private int pin(int ref) {
        return a.domain.grants().pinOf(ref);
    }

    @Test
    @DisplayName("A writable map reaches the granter's frame with GTF_reading|GTF_writing set; unmap leaves no pin, reference or TLB entry")
    void shouldMapWritableAndUnmapCleanly() {
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        int refs = hv.frames().refCount(mfnA);
        long types = typeCount(mfnA);
        MapResult m = map(MAP_VA, Gntmap.HOST_MAP, 8);
        assertThat(m.status()).isEqualTo(Gntst.OKAY);
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READING | Gtf.WRITING);
        assertThat(hv.frames().refCount(mfnA)).isEqualTo(refs + 1);
        assertThat(typeCount(mfnA)).as("a writable type reference").isEqualTo(types + 1);
        assertThat(b.domain.maptrack().inUse()).isEqualTo(1);

        assertThat(b.mem.getByte(MAP_VA + 10)).isEqualTo((byte) 31);
        b.mem.putLong(MAP_VA + 64, 0x1122_3344_5566_7788L);
        assertThat(a.mem.getLong(pageA + 64)).isEqualTo(0x1122_3344_5566_7788L);

        assertThat(unmap(MAP_VA, m.handle())).isEqualTo(Gntst.OKAY);
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS);
        assertThat(pin(8)).isZero();
        assertThat(hv.frames().refCount(mfnA)).isEqualTo(refs);
        assertThat(typeCount(mfnA)).as("writable type dropped").isEqualTo(types);
        assertThat(b.domain.maptrack().inUse()).isZero();
        assertThat(translate(MAP_VA, false)).isNegative();
        assertThatThrownBy(() -> b.mem.getByte(MAP_VA)).as("the TLB entry the reads made is gone")
                .isInstanceOf(GuestAbort.class);
    }

    @Test
    @DisplayName("A read-only grant maps read-only only; mapping it writable is general_error and takes nothing")
    void shouldKeepReadonlyGrantsReadonly() {
        grant(9, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS | Gtf.READONLY);
        long types = typeCount(mfnA);
        assertThat(map(MAP_VA, Gntmap.HOST_MAP, 9).status()).isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(flags(9)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READONLY);
        assertThat(pin(9)).isZero();
        assertThat(b.domain.maptrack().inUse()).isZero();

        MapResult m = map(MAP_VA, Gntmap.HOST_MAP | Gntmap.READONLY, 9);
        assertThat(m.status()).isEqualTo(Gntst.OKAY);
        assertThat(flags(9)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READONLY | Gtf.READING);
        assertThat(b.mem.getByte(MAP_VA + 1)).isEqualTo((byte) 4);
        assertThat(translate(MAP_VA, true)).as("no write through a read-only map").isNegative();
        assertThat(typeCount(mfnA)).as("no writable type").isEqualTo(types);
        assertThat(unmap(MAP_VA, m.handle())).isEqualTo(Gntst.OKAY);
        assertThat(flags(9)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READONLY);
    }

    @Test
    @DisplayName("Map refusals: no map flag bad_gntref, unknown domain bad_domain, ref out of range bad_gntref, wrong domid or no grant general_error, foreign frame bad_page, no L1 general_error")
    void shouldRefuseBadMaps() {
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        grant(10, 0x321, mfnA, Gtf.PERMIT_ACCESS);
        long mfnB = translate(b.scratch2, false) >>> 12;
        grant(11, b.domain.domid(), mfnB, Gtf.PERMIT_ACCESS);
        int refs = hv.frames().refCount(mfnA);

        assertThat(map(MAP_VA, 0, 8).status()).isEqualTo(Gntst.BAD_GNTREF);
        assertThat(gb.mapGrantRef(MAP_VA, Gntmap.HOST_MAP, GrantRef.of(8), DomId.of(0x1234)).status())
                .isEqualTo(Gntst.BAD_DOMAIN);
        assertThat(map(MAP_VA, Gntmap.HOST_MAP, 512).status()).as("one frame = 512 entries").isEqualTo(Gntst.BAD_GNTREF);
        assertThat(map(MAP_VA, Gntmap.HOST_MAP, 100_000).status()).isEqualTo(Gntst.BAD_GNTREF);
        assertThat(map(MAP_VA, Gntmap.HOST_MAP, 10).status()).as("granted to someone else").isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(map(MAP_VA, Gntmap.HOST_MAP, 12).status()).as("never granted").isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(map(MAP_VA, Gntmap.HOST_MAP, 11).status()).as("a frame the granter does not own")
                .isEqualTo(Gntst.BAD_PAGE);
        assertThat(map(0x7F00_0000_0000L, Gntmap.HOST_MAP, 8).status()).as("no L1 table there")
                .isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(map(0xFFFF_8000_0000_0000L, Gntmap.HOST_MAP, 8).status()).as("hypervisor range")
                .isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(gb.mapGrantRef(MachineMemory.maddr(mfnA), Gntmap.HOST_MAP | Gntmap.CONTAINS_PTE, GrantRef.of(8), idA())
                .status()).as("contains_pte naming a frame that is not our L1").isEqualTo(Gntst.GENERAL_ERROR);

        for (int ref : new int[] {8, 10, 11, 12}) {
            assertThat(pin(ref)).isZero();
        }
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS);
        assertThat(hv.frames().refCount(mfnA)).isEqualTo(refs);
        assertThat(b.domain.maptrack().inUse()).isZero();
    }

    @Test
    @DisplayName("Unmap refusals: unknown handle and double unmap bad_handle, wrong address general_error (mapping kept), wrong dev_bus_addr bad_dev_addr")
    void shouldRefuseBadUnmaps() {
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        assertThat(unmap(MAP_VA, 77)).isEqualTo(Gntst.BAD_HANDLE);
        assertThat(unmap(MAP_VA, 0xFFFF_FFFFL)).isEqualTo(Gntst.BAD_HANDLE);
        MapResult m = map(MAP_VA, Gntmap.HOST_MAP, 8);
        assertThat(m.status()).isEqualTo(Gntst.OKAY);

        assertThat(unmap(MAP_VA + 4096, m.handle())).as("not where it is mapped").isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(b.mem.getByte(MAP_VA)).as("still mapped").isEqualTo((byte) 1);
        assertThat(gb.unmapGrantRef(0, 0x1000, m.handle()).status()).as("no device part").isEqualTo(Gntst.BAD_HANDLE);

        assertThat(unmap(MAP_VA, m.handle())).isEqualTo(Gntst.OKAY);
        assertThat(unmap(MAP_VA, m.handle())).as("double unmap").isEqualTo(Gntst.BAD_HANDLE);
        assertThat(pin(8)).isZero();

        MapResult d = map(0, Gntmap.DEVICE_MAP, 8);
        assertThat(d.status()).isEqualTo(Gntst.OKAY);
        assertThat(d.devBusAddr()).isEqualTo(MachineMemory.maddr(mfnA));
        assertThat(gb.unmapGrantRef(0, d.devBusAddr() + 4096, d.handle()).status()).isEqualTo(Gntst.BAD_DEV_ADDR);
        assertThat(pin(8)).isNotZero();
        assertThat(gb.unmapGrantRef(0, d.devBusAddr(), d.handle()).status()).isEqualTo(Gntst.OKAY);
        assertThat(pin(8)).isZero();
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS);
    }

    @Test
    @DisplayName("A grant PTE belongs to the grant: the guest can neither forge one nor overwrite or map over one")
    void shouldProtectGrantEntries() {
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        grant(13, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        MapResult m = map(MAP_VA, Gntmap.HOST_MAP, 8);
        assertThat(m.status()).isEqualTo(Gntst.OKAY);
        long ownPage = translate(b.scratch2, false) & ~0xFFFL;
        assertThat(b.call(Hypercall.UPDATE_VA_MAPPING, MAP_VA, ownPage | Mmu.PAGE_PRESENT | Mmu.PAGE_RW, Uvmf.INVLPG))
                .as("overwriting a grant mapping").isEqualTo(-Errno.EINVAL);
        assertThat(b.call(Hypercall.UPDATE_VA_MAPPING, MAP_VA, 0, Uvmf.INVLPG)).as("zapping it").isEqualTo(-Errno.EINVAL);
        assertThat(b.call(Hypercall.UPDATE_VA_MAPPING, MAP_VA + 4096,
                ownPage | Mmu.PAGE_PRESENT | (1L << 62), Uvmf.INVLPG)).as("forging _PAGE_GNTTAB").isEqualTo(-Errno.EINVAL);
        assertThat(b.call(Hypercall.UPDATE_VA_MAPPING, MAP_VA + 8192, ownPage | Mmu.PAGE_PRESENT | Mmu.PAGE_RW,
                Uvmf.INVLPG)).isZero();
        assertThat(b.call(Hypercall.UPDATE_VA_MAPPING, MAP_VA + 8192,
                ownPage | Mmu.PAGE_PRESENT | Mmu.PAGE_RW | (1L << 62), Uvmf.INVLPG))
                .as("_PAGE_GNTTAB set on a mapping that keeps its frame (its references would leak)")
                .isEqualTo(-Errno.EINVAL);
        assertThat(b.call(Hypercall.UPDATE_VA_MAPPING, MAP_VA + 8192, 0, Uvmf.INVLPG)).isZero();
        assertThat(map(MAP_VA, Gntmap.HOST_MAP, 13).status()).as("mapping over a grant").isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(pin(13)).isZero();
        assertThat(b.mem.getByte(MAP_VA)).isEqualTo((byte) 1);
        assertThat(unmap(MAP_VA, m.handle())).isEqualTo(Gntst.OKAY);
    }

    @Test
    @DisplayName("GNTMAP_contains_pte: host_addr is the machine address of the L1 entry to write")
    void shouldMapThroughAPteAddress() {
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        long pteMaddr = hv.pageTables().l1EntryAddress(b.domain.domid(), b.domain.vcpu(0).baseMfn(), MAP_VA);
        MapResult m = gb.mapGrantRef(pteMaddr, Gntmap.HOST_MAP | Gntmap.CONTAINS_PTE, GrantRef.of(8), idA());
        assertThat(m.status()).isEqualTo(Gntst.OKAY);
        b.domain.vcpu(0).mmu().invlpg(MAP_VA);
        assertThat(b.mem.getByte(MAP_VA + 2)).isEqualTo((byte) 7);
        assertThat(gb.unmapGrantRef(pteMaddr, 0, m.handle()).status()).isEqualTo(Gntst.OKAY);
        assertThat(translate(MAP_VA, false)).isNegative();
        assertThat(pin(8)).isZero();
    }

    @Test
    @DisplayName("unmap_and_replace moves the entry at new_addr over the grant mapping and zaps new_addr")
    void shouldUnmapAndReplace() {
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        MapResult m = map(MAP_VA, Gntmap.HOST_MAP, 8);
        long ownMfn = translate(b.scratch2, false) >>> 12;
        b.mem.putLong(b.scratch2, 0xCAFEL);
        assertThat(gb.unmapAndReplace(MAP_VA, b.scratch2, m.handle()).status()).isEqualTo(Gntst.OKAY);
        assertThat(translate(MAP_VA, false) >>> 12).isEqualTo(ownMfn);
        assertThat(translate(b.scratch2, false)).isNegative();
        assertThat(b.mem.getLong(MAP_VA)).isEqualTo(0xCAFEL);
        assertThat(pin(8)).isZero();
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS);
    }

    @Test
    @DisplayName("A granter overwriting a mapped entry leaves the mapping working until unmap (Xen never revokes)")
    void shouldKeepMappingWhenGranterOverwrites() {
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        MapResult m = map(MAP_VA, Gntmap.HOST_MAP, 8);
        long otherMfn = a.domain.vcpu(0).mmu().translate(a.scratch, false) >>> 12;
        grant(8, 0x77, otherMfn, 0); // the granter ignores the busy bits
        assertThat(b.mem.getByte(MAP_VA + 10)).isEqualTo((byte) 31);
        b.mem.putByte(MAP_VA + 11, (byte) 99);
        assertThat(a.mem.getByte(pageA + 11)).isEqualTo((byte) 99);
        assertThat(unmap(MAP_VA, m.handle())).isEqualTo(Gntst.OKAY);
        assertThat(pin(8)).isZero();
        assertThat(translate(MAP_VA, false)).isNegative();
    }

    @Test
    @DisplayName("A granter killed while mapped: the mapper keeps its view until it unmaps, then the frame is free")
    void shouldKeepFrameOfDeadGranterUntilUnmap() {
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        MapResult m = map(MAP_VA, Gntmap.HOST_MAP, 8);
        assertThat(m.status()).isEqualTo(Gntst.OKAY);
        int deadId = a.domain.domid();
        assertThat(hv.destroy(a.domain)).isTrue();
        long free = hv.frames().freeFrames();
        assertThat(hv.frames().owner(mfnA)).as("still the dead granter's, still referenced").isEqualTo(deadId);
        assertThat(b.mem.getByte(MAP_VA + 10)).isEqualTo((byte) 31);
        b.mem.putByte(MAP_VA, (byte) 5);
        assertThat(b.mem.getByte(MAP_VA)).isEqualTo((byte) 5);

        assertThat(unmap(MAP_VA, m.handle())).isEqualTo(Gntst.OKAY);
        assertThat(hv.frames().refCount(mfnA)).isZero();
        assertThat(hv.frames().freeFrames()).as("the last frame of the granter returns").isEqualTo(free + 1);
        assertThat(hv.frames().ownedBy(deadId)).isZero();
    }

    @Test
    @DisplayName("A mapper killed while mapped releases its mappings: the granter's entry is free to end and no reference is left")
    void shouldReleaseMappingsOfDeadMapper() {
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        grant(9, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS | Gtf.READONLY);
        int refs = hv.frames().refCount(mfnA);
        long types = typeCount(mfnA);
        assertThat(map(MAP_VA, Gntmap.HOST_MAP, 8).status()).isEqualTo(Gntst.OKAY);
        assertThat(map(MAP_VA + 4096, Gntmap.HOST_MAP | Gntmap.READONLY, 9).status()).isEqualTo(Gntst.OKAY);
        assertThat(map(0, Gntmap.DEVICE_MAP, 8).status()).isEqualTo(Gntst.OKAY);
        long free = hv.frames().freeFrames();
        long owned = b.domain.pages().totPages();
        assertThat(hv.destroy(b.domain)).isTrue();
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS);
        assertThat(flags(9)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READONLY);
        assertThat(pin(8)).isZero();
        assertThat(pin(9)).isZero();
        assertThat(hv.frames().refCount(mfnA)).isEqualTo(refs);
        assertThat(typeCount(mfnA)).isEqualTo(types);
        assertThat(hv.frames().freeFrames()).as("every frame of the mapper, none of the granter's")
                .isEqualTo(free + owned + 1); // + its shared_info
    }

    @Test
    @DisplayName("Batches: 32 maps in one call and 32 unmaps in one call, each with its own status")
    void shouldMapAndUnmapBatches() {
        int n = 32;
        for (int i = 0; i < n; i++) {
            grant(16 + i, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS | Gtf.READONLY);
        }
        long ops = b.scratch2;
        for (int i = 0; i < n; i++) {
            long op = ops + i * GnttabMapGrantRef.SIZE;
            b.mem.putLong(op + GnttabMapGrantRef.HOST_ADDR_OFFSET, MAP_VA + 4096L * i);
            b.mem.putInt(op + GnttabMapGrantRef.FLAGS_OFFSET, Gntmap.HOST_MAP | Gntmap.READONLY);
            b.mem.putInt(op + GnttabMapGrantRef.REF_OFFSET, i == 5 ? 4000 : 16 + i);
            b.mem.putShort(op + GnttabMapGrantRef.DOM_OFFSET, (short) a.domain.domid());
        }
        assertThat(gb.mapGrantRefs(ops, n)).isZero();
        long[] handles = new long[n];
        for (int i = 0; i < n; i++) {
            long op = ops + i * GnttabMapGrantRef.SIZE;
            assertThat(b.mem.getShort(op + GnttabMapGrantRef.STATUS_OFFSET))
                    .isEqualTo((short) (i == 5 ? Gntst.BAD_GNTREF : Gntst.OKAY));
            handles[i] = Integer.toUnsignedLong(b.mem.getInt(op + GnttabMapGrantRef.HANDLE_OFFSET));
        }
        for (int i = 0; i < n; i++) {
            if (i != 5) {
                assertThat(b.mem.getByte(MAP_VA + 4096L * i + 3)).isEqualTo((byte) 10);
            }
        }
        long uops = ops + 2048;
        for (int i = 0; i < n; i++) {
            long op = uops + i * GnttabUnmapGrantRef.SIZE;
            b.mem.putLong(op + GnttabUnmapGrantRef.HOST_ADDR_OFFSET, MAP_VA + 4096L * i);
            b.mem.putLong(op + GnttabUnmapGrantRef.DEV_BUS_ADDR_OFFSET, 0);
            b.mem.putInt(op + GnttabUnmapGrantRef.HANDLE_OFFSET, i == 5 ? 999 : (int) handles[i]);
        }
        assertThat(gb.unmapGrantRefs(uops, n)).isZero();
        for (int i = 0; i < n; i++) {
            assertThat(b.mem.getShort(uops + i * GnttabUnmapGrantRef.SIZE + GnttabUnmapGrantRef.STATUS_OFFSET))
                    .isEqualTo((short) (i == 5 ? Gntst.BAD_HANDLE : Gntst.OKAY));
            assertThat(pin(16 + i)).isZero();
            assertThat(translate(MAP_VA + 4096L * i, false)).isNegative();
        }
        assertThat(b.domain.maptrack().inUse()).isZero();
    }
}
