package org.parasol.hypercall.struct;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Sizes and offsets of the structures of {@code grant_table.h}. */
class GrantTableLayoutTest {

    @Nested
    @DisplayName("grant_entry_v1 is 8 bytes, 512 per frame")
    class GrantEntryV1Layout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §6.2 v1 entry
            assertThat(GrantEntryV1.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(4096 / GrantEntryV1.SIZE).isEqualTo(512);
            assertThat(GrantEntryV1.FLAGS_OFFSET).isEqualTo(0);
            assertThat(GrantEntryV1.DOMID_OFFSET).isEqualTo(2);
            assertThat(GrantEntryV1.FRAME_OFFSET).isEqualTo(4);
        }
    }

    @Nested
    @DisplayName("grant_entry_header is 4 bytes")
    class GrantEntryHeaderLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §6.3 common header
            assertThat(GrantEntryHeader.LAYOUT.byteSize()).isEqualTo(4);
            assertThat(GrantEntryHeader.FLAGS_OFFSET).isEqualTo(0);
            assertThat(GrantEntryHeader.DOMID_OFFSET).isEqualTo(2);
        }
    }

    @Nested
    @DisplayName("grant_entry_v2 is 16 bytes, 256 per frame")
    class GrantEntryV2Layout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §6.3 v2 entry
            assertThat(GrantEntryV2.LAYOUT.byteSize()).isEqualTo(16);
            assertThat(4096 / GrantEntryV2.SIZE).isEqualTo(256);
            assertThat(GrantEntryV2.HDR_FLAGS_OFFSET).isEqualTo(0);
            assertThat(GrantEntryV2.HDR_DOMID_OFFSET).isEqualTo(2);
            assertThat(GrantEntryV2.FULL_PAGE_FRAME_OFFSET).isEqualTo(8);
            assertThat(GrantEntryV2.SUB_PAGE_PAGE_OFF_OFFSET).isEqualTo(4);
            assertThat(GrantEntryV2.SUB_PAGE_LENGTH_OFFSET).isEqualTo(6);
            assertThat(GrantEntryV2.SUB_PAGE_FRAME_OFFSET).isEqualTo(8);
            assertThat(GrantEntryV2.TRANSITIVE_TRANS_DOMID_OFFSET).isEqualTo(4);
            assertThat(GrantEntryV2.TRANSITIVE_GREF_OFFSET).isEqualTo(8);
        }
    }

    @Nested
    @DisplayName("gnttab_map_grant_ref is 32 bytes")
    class MapGrantRefLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §6.4 map_grant_ref
            assertThat(GnttabMapGrantRef.LAYOUT.byteSize()).isEqualTo(32);
            assertThat(GnttabMapGrantRef.HOST_ADDR_OFFSET).isEqualTo(0);
            assertThat(GnttabMapGrantRef.FLAGS_OFFSET).isEqualTo(8);
            assertThat(GnttabMapGrantRef.REF_OFFSET).isEqualTo(12);
            assertThat(GnttabMapGrantRef.DOM_OFFSET).isEqualTo(16);
            assertThat(GnttabMapGrantRef.STATUS_OFFSET).isEqualTo(18);
            assertThat(GnttabMapGrantRef.HANDLE_OFFSET).isEqualTo(20);
            assertThat(GnttabMapGrantRef.DEV_BUS_ADDR_OFFSET).isEqualTo(24);
        }
    }

    @Nested
    @DisplayName("gnttab_unmap_grant_ref is 24 bytes")
    class UnmapGrantRefLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §6.4 unmap_grant_ref
            assertThat(GnttabUnmapGrantRef.LAYOUT.byteSize()).isEqualTo(24);
            assertThat(GnttabUnmapGrantRef.HOST_ADDR_OFFSET).isEqualTo(0);
            assertThat(GnttabUnmapGrantRef.DEV_BUS_ADDR_OFFSET).isEqualTo(8);
            assertThat(GnttabUnmapGrantRef.HANDLE_OFFSET).isEqualTo(16);
            assertThat(GnttabUnmapGrantRef.STATUS_OFFSET).isEqualTo(20);
        }
    }

    @Nested
    @DisplayName("gnttab_unmap_and_replace is 24 bytes")
    class UnmapAndReplaceLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §6.4 unmap_and_replace
            assertThat(GnttabUnmapAndReplace.LAYOUT.byteSize()).isEqualTo(24);
            assertThat(GnttabUnmapAndReplace.HOST_ADDR_OFFSET).isEqualTo(0);
            assertThat(GnttabUnmapAndReplace.NEW_ADDR_OFFSET).isEqualTo(8);
            assertThat(GnttabUnmapAndReplace.HANDLE_OFFSET).isEqualTo(16);
            assertThat(GnttabUnmapAndReplace.STATUS_OFFSET).isEqualTo(20);
        }
    }

    @Nested
    @DisplayName("gnttab_setup_table is 24 bytes")
    class SetupTableLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §6.4 setup_table
            assertThat(GnttabSetupTable.LAYOUT.byteSize()).isEqualTo(24);
            assertThat(GnttabSetupTable.DOM_OFFSET).isEqualTo(0);
            assertThat(GnttabSetupTable.NR_FRAMES_OFFSET).isEqualTo(4);
            assertThat(GnttabSetupTable.STATUS_OFFSET).isEqualTo(8);
            assertThat(GnttabSetupTable.FRAME_LIST_OFFSET).isEqualTo(16);
        }
    }

    @Nested
    @DisplayName("gnttab_dump_table is 4 bytes")
    class DumpTableLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §6.4 dump_table
            assertThat(GnttabDumpTable.LAYOUT.byteSize()).isEqualTo(4);
            assertThat(GnttabDumpTable.DOM_OFFSET).isEqualTo(0);
            assertThat(GnttabDumpTable.STATUS_OFFSET).isEqualTo(2);
        }
    }

    @Nested
    @DisplayName("gnttab_transfer is 24 bytes")
    class TransferLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §6.4 transfer
            assertThat(GnttabTransfer.LAYOUT.byteSize()).isEqualTo(24);
            assertThat(GnttabTransfer.MFN_OFFSET).isEqualTo(0);
            assertThat(GnttabTransfer.DOMID_OFFSET).isEqualTo(8);
            assertThat(GnttabTransfer.REF_OFFSET).isEqualTo(12);
            assertThat(GnttabTransfer.STATUS_OFFSET).isEqualTo(16);
        }
    }

    @Nested
    @DisplayName("gnttab_copy is 40 bytes")
    class CopyLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §6.4 copy
            assertThat(GnttabCopy.LAYOUT.byteSize()).isEqualTo(40);
            assertThat(GnttabCopy.PTR_LAYOUT.byteSize()).isEqualTo(16);
            assertThat(GnttabCopy.SOURCE_REF_OFFSET).isEqualTo(0);
            assertThat(GnttabCopy.SOURCE_GMFN_OFFSET).isEqualTo(0);
            assertThat(GnttabCopy.SOURCE_DOMID_OFFSET).isEqualTo(8);
            assertThat(GnttabCopy.SOURCE_OFFSET_OFFSET).isEqualTo(10);
            assertThat(GnttabCopy.DEST_REF_OFFSET).isEqualTo(16);
            assertThat(GnttabCopy.DEST_GMFN_OFFSET).isEqualTo(16);
            assertThat(GnttabCopy.DEST_DOMID_OFFSET).isEqualTo(24);
            assertThat(GnttabCopy.DEST_OFFSET_OFFSET).isEqualTo(26);
            assertThat(GnttabCopy.LEN_OFFSET).isEqualTo(32);
            assertThat(GnttabCopy.FLAGS_OFFSET).isEqualTo(34);
            assertThat(GnttabCopy.STATUS_OFFSET).isEqualTo(36);
        }
    }

    @Nested
    @DisplayName("gnttab_query_size is 16 bytes")
    class QuerySizeLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §6.4 query_size
            assertThat(GnttabQuerySize.LAYOUT.byteSize()).isEqualTo(16);
            assertThat(GnttabQuerySize.DOM_OFFSET).isEqualTo(0);
            assertThat(GnttabQuerySize.NR_FRAMES_OFFSET).isEqualTo(4);
            assertThat(GnttabQuerySize.MAX_NR_FRAMES_OFFSET).isEqualTo(8);
            assertThat(GnttabQuerySize.STATUS_OFFSET).isEqualTo(12);
        }
    }

    @Nested
    @DisplayName("gnttab_set_version is 4 bytes, gnttab_get_version 8")
    class VersionLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §6.3 set_version {u32 version}; get_version {u16 dom; u16 pad; u32 version}
            assertThat(GnttabSetVersion.LAYOUT.byteSize()).isEqualTo(4);
            assertThat(GnttabSetVersion.VERSION_OFFSET).isEqualTo(0);
            assertThat(GnttabGetVersion.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(GnttabGetVersion.DOM_OFFSET).isEqualTo(0);
            assertThat(GnttabGetVersion.VERSION_OFFSET).isEqualTo(4);
        }
    }

    @Nested
    @DisplayName("gnttab_get_status_frames is 16 bytes")
    class GetStatusFramesLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §6.4 get_status_frames
            assertThat(GnttabGetStatusFrames.LAYOUT.byteSize()).isEqualTo(16);
            assertThat(GnttabGetStatusFrames.NR_FRAMES_OFFSET).isEqualTo(0);
            assertThat(GnttabGetStatusFrames.DOM_OFFSET).isEqualTo(4);
            assertThat(GnttabGetStatusFrames.STATUS_OFFSET).isEqualTo(6);
            assertThat(GnttabGetStatusFrames.FRAME_LIST_OFFSET).isEqualTo(8);
        }
    }
}
