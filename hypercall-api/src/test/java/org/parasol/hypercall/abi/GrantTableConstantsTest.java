package org.parasol.hypercall.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.abi.ConstantTable.assertExactly;

import org.junit.jupiter.api.Test;

class GrantTableConstantsTest {

    @Test
    void shouldNumberGnttabOpsAsXen() {
        // fact sheet §6.1 grant_table_op commands
        assertExactly(GnttabOp.class,
                "MAP_GRANT_REF", 0, "UNMAP_GRANT_REF", 1, "SETUP_TABLE", 2, "DUMP_TABLE", 3,
                "TRANSFER", 4, "COPY", 5, "QUERY_SIZE", 6, "UNMAP_AND_REPLACE", 7,
                "SET_VERSION", 8, "GET_STATUS_FRAMES", 9, "GET_VERSION", 10,
                "SWAP_GRANT_REF", 11, "CACHE_FLUSH", 12);
    }

    @Test
    void shouldDefineGtfFlagsAsXen() {
        // fact sheet §6.2 GTF flags
        assertExactly(Gtf.class,
                "INVALID", 0, "PERMIT_ACCESS", 1, "ACCEPT_TRANSFER", 2, "TRANSITIVE", 3,
                "TYPE_MASK", 3, "READONLY_BIT", 2, "READONLY", 0x4, "READING_BIT", 3,
                "READING", 0x8, "WRITING_BIT", 4, "WRITING", 0x10, "PWT", 0x20, "PCD", 0x40,
                "PAT", 0x80, "SUB_PAGE", 0x100, "TRANSFER_COMMITTED", 0x4,
                "TRANSFER_COMPLETED", 0x8);
    }

    @Test
    void shouldDefineGntmapFlagsAsXen() {
        // fact sheet §6.4 GNTMAP flags
        assertExactly(Gntmap.class,
                "DEVICE_MAP", 1, "HOST_MAP", 2, "READONLY", 4, "APPLICATION_MAP", 8,
                "CONTAINS_PTE", 16, "GUEST_AVAIL0", 16, "GUEST_AVAIL_MASK", 0xFFFF0000);
    }

    @Test
    void shouldDefineGntstCodesAsXen() {
        // fact sheet §6.5 GNTST status codes
        assertExactly(Gntst.class,
                "OKAY", 0, "GENERAL_ERROR", -1, "BAD_DOMAIN", -2, "BAD_GNTREF", -3,
                "BAD_HANDLE", -4, "BAD_VIRT_ADDR", -5, "BAD_DEV_ADDR", -6,
                "NO_DEVICE_SPACE", -7, "PERMISSION_DENIED", -8, "BAD_PAGE", -9,
                "BAD_COPY_ARG", -10, "ADDRESS_TOO_BIG", -11, "EAGAIN", -12, "NO_SPACE", -13);
    }

    @Test
    void shouldNameEveryGntstCode() {
        // fact sheet §6.5
        assertThat(Gntst.name(0)).isEqualTo("GNTST_okay");
        assertThat(Gntst.name(-3)).isEqualTo("GNTST_bad_gntref");
        assertThat(Gntst.name(-8)).isEqualTo("GNTST_permission_denied");
        assertThat(Gntst.name(-13)).isEqualTo("GNTST_no_space");
        for (int s = -13; s <= 0; s++) {
            assertThat(Gntst.name(s)).as("status %d", s).startsWith("GNTST_");
        }
        assertThat(Gntst.name(-14)).isNull();
        assertThat(Gntst.name(1)).isNull();
    }

    @Test
    void shouldDefineGntcopyFlagsAsXen() {
        // fact sheet §6.4 copy flags; cache_flush op CLEAN=1, INVAL=2, SOURCE_GREF=1<<31
        assertExactly(Gntcopy.class,
                "SOURCE_GREF", 1, "DEST_GREF", 2,
                "CACHE_CLEAN", 1, "CACHE_INVAL", 2, "CACHE_SOURCE_GREF", 0x80000000);
    }

    @Test
    void shouldSizeGrantTablesAsXen() {
        // fact sheet §6.2 reserved refs, 512 v1 entries per frame; §6.3 256 v2 entries,
        // 2048 status entries; §6.6 initial 1 frame, default max 64 frames, maptrack 1024
        assertExactly(Gnttab.class,
                "NR_RESERVED_ENTRIES", 8, "RESERVED_CONSOLE", 0, "RESERVED_XENSTORE", 1,
                "ENTRY_V1_SIZE", 8, "ENTRIES_PER_FRAME_V1", 512, "ENTRY_V2_SIZE", 16,
                "ENTRIES_PER_FRAME_V2", 256, "STATUS_PER_FRAME_V2", 2048, "INITIAL_FRAMES", 1,
                "DEFAULT_MAX_FRAMES", 64, "DEFAULT_MAX_MAPTRACK_FRAMES", 1024);
        assertThat(Gnttab.ENTRIES_PER_FRAME_V1 * Gnttab.ENTRY_V1_SIZE).isEqualTo(4096);
        assertThat(Gnttab.ENTRIES_PER_FRAME_V2 * Gnttab.ENTRY_V2_SIZE).isEqualTo(4096);
    }
}
