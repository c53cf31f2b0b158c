package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * Grant I/O ({@code GuestMemory.readFileToGrants}/{@code writeFileFromGrants}): a privileged
 * back end's file read lands straight in the front end's granted frames, each grant checked
 * and pinned as {@code GNTTABOP_copy} would, and every pin dropped afterwards whatever happened.
 */
class GrantFileIoTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    static final int PAGE = GrantPair.PAGE;

    @TempDir
    Path dir;

    private Hypervisor hv;
    /** The front end (unprivileged), whose pages are granted. */
    BareGuest front;
    /** The back end (privileged). */
    BareGuest back;
    GrantFrame table;
    long page1;
    long page2;
    long mfn1;
    long mfn2;
    int frontId;
    int backId;

    @BeforeEach
    void boot() throws Exception {
        GrantPair pair = GrantPair.boot(leaks);
        hv = pair.hv;
        front = pair.front;
        back = pair.back;
        table = pair.table;
        page1 = pair.va(0);
        page2 = pair.va(1);
        mfn1 = pair.mfn(0);
        mfn2 = pair.mfn(1);
        frontId = front.domain.domid();
        backId = back.domain.domid();
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    /** The file the back end serves: the JDK's channel here, the hypervisor's host file in {@link GrantFileIoHostFileTest}. */
    FileChannel open(BareGuest back, Path p) throws IOException {
        return FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private FileChannel file(int bytes) throws IOException {
        return open(back, GrantPair.image(dir.resolve("disk"), bytes));
    }

    private static byte fileByte(long at) {
        return GrantPair.fileByte(at);
    }

    private long grantOps() {
        return back.domain.vcpu(0).hypercallCounts()[Hypercall.GRANT_TABLE_OP];
    }

    private void assertNothingPinned(int... refs) {
        for (int ref : refs) {
            assertThat(front.domain.grants().pinOf(ref)).as("pin of ref %d", ref).isZero();
            assertThat(table.flags(ref) & (Gtf.READING | Gtf.WRITING)).as("busy bits of ref %d", ref).isZero();
        }
    }

    @Test
    @DisplayName("a read lands in two granted pages at their offsets, in file order, with one grant-table op counted")
    void shouldReadIntoGrantedPieces() throws IOException {
        table.grant(3, backId, mfn1, Gtf.PERMIT_ACCESS);
        table.grant(7, backId, mfn2, Gtf.PERMIT_ACCESS);
        long ops = grantOps();
        try (FileChannel f = file(4 * PAGE)) {
            long got = back.mem.readFileToGrants(f, 1000, frontId, new int[] {3, 7}, new int[] {512, 0},
                    new int[] {PAGE - 512, 1024}, 2);
            assertThat(got).isEqualTo(PAGE - 512 + 1024);
        }
        for (int i = 0; i < PAGE - 512; i++) {
            assertThat(front.mem.getByte(page1 + 512 + i)).as("page 1 byte %d", 512 + i).isEqualTo(fileByte(1000 + i));
        }
        for (int i = 0; i < 1024; i++) {
            assertThat(front.mem.getByte(page2 + i)).as("page 2 byte %d", i).isEqualTo(fileByte(1000 + PAGE - 512 + i));
        }
        assertThat(grantOps()).isEqualTo(ops + 1);
        assertNothingPinned(3, 7);
    }

    @Test
    @DisplayName("a write takes read-only grants, and the file gets the pieces in order")
    void shouldWriteFromReadOnlyGrants() throws IOException {
        for (int i = 0; i < PAGE; i++) {
            front.mem.putByte(page1 + i, (byte) (i + 1));
            front.mem.putByte(page2 + i, (byte) (i * 3));
        }
        table.grant(4, backId, mfn1, Gtf.PERMIT_ACCESS | Gtf.READONLY);
        table.grant(5, backId, mfn2, Gtf.PERMIT_ACCESS | Gtf.READONLY);
        try (FileChannel f = file(2 * PAGE)) {
            assertThat(back.mem.writeFileFromGrants(f, 100, frontId, new int[] {4, 5}, new int[] {0, 2048},
                    new int[] {PAGE, 2048}, 2)).isEqualTo(PAGE + 2048);
        }
        byte[] bytes = Files.readAllBytes(dir.resolve("disk"));
        assertThat(bytes).hasSize(2 * PAGE);
        assertThat(bytes[100 + PAGE + 2048]).as("the first byte after").isEqualTo(fileByte(100 + PAGE + 2048));
        assertThat(bytes[99]).isEqualTo(fileByte(99));
        for (int i = 0; i < PAGE; i++) {
            assertThat(bytes[100 + i]).isEqualTo((byte) (i + 1));
        }
        for (int i = 0; i < 2048; i++) {
            assertThat(bytes[100 + PAGE + i]).isEqualTo((byte) ((2048 + i) * 3));
        }
        assertNothingPinned(4, 5);
    }

    @Test
    @DisplayName("refusals move nothing and leave no pin: read-only grant to read into, bad ref, unknown domain, piece past its page")
    void shouldRefuseBadGrantsAndMoveNothing() throws IOException {
        table.grant(3, backId, mfn1, Gtf.PERMIT_ACCESS);
        table.grant(4, backId, mfn2, Gtf.PERMIT_ACCESS | Gtf.READONLY);
        table.grant(6, 0x55, mfn2, Gtf.PERMIT_ACCESS);
        for (int i = 0; i < PAGE; i++) {
            front.mem.putByte(page1 + i, (byte) 0x77);
        }
        int[] offs = {0, 0};
        int[] lens = {PAGE, PAGE};
        try (FileChannel f = file(4 * PAGE)) {
            assertThat(back.mem.readFileToGrants(f, 0, frontId, new int[] {3, 4}, offs, lens, 2))
                    .as("read into a read-only grant").isEqualTo(Gntst.GENERAL_ERROR);
            assertThat(back.mem.readFileToGrants(f, 0, frontId, new int[] {3, 6}, offs, lens, 2))
                    .as("granted to someone else").isEqualTo(Gntst.GENERAL_ERROR);
            assertThat(back.mem.readFileToGrants(f, 0, frontId, new int[] {3, 512}, offs, lens, 2))
                    .as("beyond the table").isEqualTo(Gntst.BAD_GNTREF);
            assertThat(back.mem.readFileToGrants(f, 0, frontId, new int[] {3, -1}, offs, lens, 2))
                    .isEqualTo(Gntst.BAD_GNTREF);
            assertThat(back.mem.readFileToGrants(f, 0, frontId, new int[] {3, 9}, offs, lens, 2))
                    .as("never granted").isEqualTo(Gntst.GENERAL_ERROR);
            assertThat(back.mem.readFileToGrants(f, 0, 0x1234, new int[] {3}, offs, lens, 1))
                    .as("unknown domain").isEqualTo(Gntst.BAD_DOMAIN);
            assertThat(back.mem.readFileToGrants(f, 0, frontId, new int[] {3}, new int[] {4000}, new int[] {200}, 1))
                    .as("past the page").isEqualTo(Gntst.BAD_COPY_ARG);
            assertThat(back.mem.readFileToGrants(f, 0, frontId, new int[] {3}, new int[] {-1}, new int[] {8}, 1))
                    .isEqualTo(Gntst.BAD_COPY_ARG);
            assertThat(back.mem.writeFileFromGrants(f, 0, frontId, new int[] {3, 6}, offs, lens, 2))
                    .isEqualTo(Gntst.GENERAL_ERROR);
            assertThat(f.size()).isEqualTo(4 * PAGE);
        }
        for (int i = 0; i < PAGE; i++) {
            assertThat(front.mem.getByte(page1 + i)).isEqualTo((byte) 0x77);
        }
        assertNothingPinned(3, 4, 6);
        assertThat(table.flags(4)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READONLY);
    }

    @Test
    @DisplayName("a read past the end of the file says how much it read and unpins")
    void shouldStopAtTheEndOfTheFile() throws IOException {
        table.grant(3, backId, mfn1, Gtf.PERMIT_ACCESS);
        table.grant(7, backId, mfn2, Gtf.PERMIT_ACCESS);
        try (FileChannel f = file(PAGE + 100)) {
            assertThat(back.mem.readFileToGrants(f, 0, frontId, new int[] {3, 7}, new int[] {0, 0},
                    new int[] {PAGE, PAGE}, 2)).isEqualTo(PAGE + 100);
            assertThat(back.mem.readFileToGrants(f, PAGE + 50, frontId, new int[] {7}, new int[] {0},
                    new int[] {PAGE}, 1)).as("one piece: a positional read").isEqualTo(50);
        }
        assertThat(front.mem.getByte(page2 + 99)).isEqualTo(fileByte(PAGE + 99));
        assertNothingPinned(3, 7);
    }

    @Test
    @DisplayName("a grant read copies a piece of a granted page (read-only grants will do) into the caller's memory,"
            + " one grant-table op counted, nothing left pinned")
    void shouldReadAGrantIntoOwnMemory() {
        for (int i = 0; i < PAGE; i++) {
            front.mem.putByte(page1 + i, (byte) (i * 7 + 1));
        }
        table.grant(4, backId, mfn1, Gtf.PERMIT_ACCESS | Gtf.READONLY);
        long dst = back.scratch2;
        for (int i = 0; i < 300; i++) {
            back.mem.putByte(dst + i, (byte) 0x11);
        }
        long ops = grantOps();
        assertThat(back.mem.readGrant(frontId, 4, 1000, dst + 8, 128)).isEqualTo(Gntst.OKAY);
        assertThat(grantOps()).isEqualTo(ops + 1);
        for (int i = 0; i < 128; i++) {
            assertThat(back.mem.getByte(dst + 8 + i)).as("byte %d", i).isEqualTo((byte) ((1000 + i) * 7 + 1));
        }
        assertThat(back.mem.getByte(dst + 7)).as("before the piece").isEqualTo((byte) 0x11);
        assertThat(back.mem.getByte(dst + 8 + 128)).as("after the piece").isEqualTo((byte) 0x11);
        assertThat(back.mem.readGrant(frontId, 4, 0, dst, 0)).as("nothing to copy").isEqualTo(Gntst.OKAY);
        assertNothingPinned(4);
        assertThat(table.flags(4)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READONLY);
    }

    @Test
    @DisplayName("grant reads refused copy nothing and leave no pin: bad ref, someone else's grant, never granted,"
            + " unknown domain, a piece past its page; an unprivileged caller and a destination over a page boundary throw")
    void shouldRefuseBadGrantReads() {
        table.grant(3, backId, mfn1, Gtf.PERMIT_ACCESS);
        table.grant(6, 0x55, mfn2, Gtf.PERMIT_ACCESS);
        table.grant(8, frontId, mfn2, Gtf.PERMIT_ACCESS);
        long dst = back.scratch2;
        for (int i = 0; i < 64; i++) {
            back.mem.putByte(dst + i, (byte) 0x22);
        }
        assertThat(back.mem.readGrant(frontId, 6, 0, dst, 64)).as("granted to someone else").isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(back.mem.readGrant(frontId, 9, 0, dst, 64)).as("never granted").isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(back.mem.readGrant(frontId, 512, 0, dst, 64)).as("beyond the table").isEqualTo(Gntst.BAD_GNTREF);
        assertThat(back.mem.readGrant(frontId, -1, 0, dst, 64)).isEqualTo(Gntst.BAD_GNTREF);
        assertThat(back.mem.readGrant(0x1234, 3, 0, dst, 64)).as("unknown domain").isEqualTo(Gntst.BAD_DOMAIN);
        assertThat(back.mem.readGrant(frontId, 3, 4090, dst, 64)).as("past the page").isEqualTo(Gntst.BAD_COPY_ARG);
        assertThat(back.mem.readGrant(frontId, 3, -8, dst, 64)).isEqualTo(Gntst.BAD_COPY_ARG);
        for (int i = 0; i < 64; i++) {
            assertThat(back.mem.getByte(dst + i)).isEqualTo((byte) 0x22);
        }
        assertThatThrownBy(() -> front.mem.readGrant(frontId, 8, 0, front.scratch, 64))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> back.mem.readGrant(frontId, 3, 0, dst + PAGE - 8, 64))
                .as("over a page boundary").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> back.mem.readGrant(frontId, 3, 0, dst, -1)).isInstanceOf(IllegalArgumentException.class);
        assertNothingPinned(3, 6, 8);
    }

    @Test
    @DisplayName("an unprivileged domain gets no grant I/O, and malformed arguments are refused before any pin")
    void shouldRefuseUnprivilegedCallersAndMalformedArguments() throws IOException {
        table.grant(3, front.domain.domid(), mfn1, Gtf.PERMIT_ACCESS);
        table.grant(8, backId, mfn1, Gtf.PERMIT_ACCESS);
        try (FileChannel f = file(PAGE)) {
            assertThatThrownBy(() -> front.mem.readFileToGrants(f, 0, frontId, new int[] {3}, new int[] {0},
                    new int[] {PAGE}, 1)).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> back.mem.readFileToGrants(f, 0, frontId, new int[] {8}, new int[] {0},
                    new int[] {PAGE}, 2)).as("count beyond the arrays").isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> back.mem.readFileToGrants(f, -1, frontId, new int[] {8}, new int[] {0},
                    new int[] {PAGE}, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> back.mem.readFileToGrants(f, 0, frontId, new int[257], new int[257],
                    new int[257], 257)).isInstanceOf(IllegalArgumentException.class);
        }
        assertNothingPinned(3, 8);
    }
}
